"""Limits on request bodies, enforced while they stream in.

Size (413), storage and free disk (507), uploads per client and minute (429). Refused requests are answered at
once and their connection closed.
"""

from __future__ import annotations

import html
import json
import math

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gait.web.storage import RateLimit, Storage

#: Room for the form fields and multipart boundaries on top of the clips themselves.
FORM_OVERHEAD_BYTES = 64 * 1024

#: POST here is an upload: the storage, disk and rate limits apply.
UPLOAD_PATHS = frozenset({"/api/analyses", "/analyses"})

_CLOSE = (b"connection", b"close")


def too_large_message(limit_bytes: int) -> str:
    """The one-sentence refusal for an upload larger than ``limit_bytes``."""
    mb = limit_bytes / (1024 * 1024)
    return (
        f"The upload is larger than the limit of {mb:g} MB; trim or compress the clip, "
        "or raise GAIT_MAX_UPLOAD_MB on the server."
    )


async def refuse(
    scope: Scope, send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer ``status`` with a one-sentence ``message`` and close the connection.

    The answer is JSON for the API, a page otherwise.
    """
    if scope["path"].startswith("/api/") or scope["path"] == "/openapi.json":
        body = json.dumps({"detail": message}).encode()
        ctype = b"application/json"
    else:
        body = (
            f"<!doctype html><meta charset=utf-8><title>gait: error {status}</title>"
            f"<h1>{status}</h1><p class=error>{html.escape(message)}</p><p><a href=\"/\">Back</a></p>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                *(headers or []),
                _CLOSE,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """ASGI middleware that enforces the size, storage and upload-rate limits.

    Request bodies above ``max_bytes`` get 413; uploads (POST to :data:`UPLOAD_PATHS`) that would pass the
    storage limit or the free-disk reserve get 507, and beyond ``rate`` per client 429.

    A declared ``Content-Length`` is judged before any byte is read; otherwise the bytes are counted as
    they arrive and parsing stops as soon as a limit is passed (the multipart parser spools file parts
    to disk, so memory stays small either way). Either way the response closes the connection, so a
    client that keeps sending is cut off rather than read to the end.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, storage: Storage | None = None, rate: RateLimit | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limit = max_bytes + FORM_OVERHEAD_BYTES
        self.storage = storage
        self.rate = rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass on a request whose body stays within the limits; refuse it (413, 429, 507) otherwise."""
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"] in UPLOAD_PATHS
        if upload and self.rate is not None:
            client = scope.get("client")
            wait_s = self.rate.hit(client[0] if client else "unknown")
            if wait_s is not None:
                await refuse(
                    scope, send, 429, self.rate.message(wait_s), [(b"retry-after", str(math.ceil(wait_s)).encode())]
                )
                return
        raw = dict(scope["headers"]).get(b"content-length")
        declared = int(raw) if raw is not None and raw.isdigit() else None
        if declared is not None and declared > self.limit:
            await refuse(scope, send, 413, too_large_message(self.max_bytes))
            return
        storage = self.storage if upload else None
        if storage is None:
            await self._counted(scope, receive, send, None, 0)
            return
        quota_room, disk_room = storage.room()
        if quota_room <= 0 or (declared or 0) > quota_room:
            await refuse(scope, send, 507, storage.quota_message())
            return
        if disk_room <= 0 or (declared or 0) > disk_room:
            await refuse(scope, send, 507, storage.disk_message())
            return
        await self._counted(scope, receive, send, storage, disk_room)

    async def _counted(
        self, scope: Scope, receive: Receive, send: Send, storage: Storage | None, disk_room: int
    ) -> None:
        received = 0
        refused = False

        def stop(status: int, message: str) -> HTTPException:
            nonlocal refused
            refused = True
            return HTTPException(status, message)

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                n = len(message.get("body", b""))
                received += n
                if received > self.limit:
                    raise stop(413, too_large_message(self.max_bytes))
                if storage is not None:
                    storage.reserve(n)
                    quota_room, _ = storage.room()  # includes what every upload in progress has reserved
                    if quota_room < 0:
                        raise stop(507, storage.quota_message())
                    if received > disk_room:
                        raise stop(507, storage.disk_message())
            return message

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start" and refused:
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, _CLOSE]}
            await send(message)

        try:
            await self.app(scope, counted, closing)
        finally:
            if storage is not None:
                storage.changed()  # the upload's files (if any) are in the data folder now: measure again
                storage.release(received)
