"""Upload size limit, enforced while the request body streams in (413 without reading the rest)."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Room for the form fields and multipart boundaries on top of the clips themselves.
FORM_OVERHEAD_BYTES = 64 * 1024


def too_large_message(limit_bytes: int) -> str:
    mb = limit_bytes / (1024 * 1024)
    return (
        f"The upload is larger than the limit of {mb:g} MB; trim or compress the clip, "
        "or raise GAIT_MAX_UPLOAD_MB on the server."
    )


class BodySizeLimit:
    """ASGI middleware: reject request bodies above ``max_bytes`` with 413.

    A declared ``Content-Length`` above the limit is refused before any byte is read; otherwise the
    bytes are counted as they arrive and parsing stops as soon as the limit is passed (the
    multipart parser spools file parts to disk, so memory stays small either way).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limit = max_bytes + FORM_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(scope, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, too_large_message(self.max_bytes))
            return message

        await self.app(scope, counted, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        message = too_large_message(self.max_bytes)
        wants_html = not scope["path"].startswith("/api/")
        if wants_html:
            body = (
                "<!doctype html><meta charset=utf-8><title>Upload too large</title>"
                f"<p>{message}</p><p><a href=\"/\">Back</a></p>"
            ).encode()
            ctype = b"text/html; charset=utf-8"
        else:
            body = json.dumps({"detail": message}).encode()
            ctype = b"application/json"
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})
