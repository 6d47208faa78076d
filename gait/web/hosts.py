"""The ``Host`` check: answer only requests addressed to this computer or to an allowed origin.

A web page on ``evil.example`` can make its own host name resolve to 127.0.0.1 (DNS rebinding); the
browser then sends that page's requests to ``gait serve`` as same-origin requests, with
``Host: evil.example`` and a matching ``Origin``, which the Origin check lets through. Refusing every
host name that is not a loopback name or address (or listed in ``GAIT_ALLOWED_ORIGINS``) stops it.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from gait.web.limits import refuse
from gait.web.settings import split_host

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def host_message(raw: str) -> str:
    """The one-sentence refusal for a request whose Host header ``raw`` is not allowed."""
    shown = raw[:100] if raw else "(no host)"
    return (
        f"This server does not answer to '{shown}'; open it as localhost or 127.0.0.1, or list the address "
        "you open it with in GAIT_ALLOWED_ORIGINS on the server."
    )


class HostCheck:
    """ASGI middleware: 421 for a request whose ``Host`` is neither loopback nor an allowed (host, port)."""

    def __init__(self, app: ASGIApp, *, allowed: frozenset[tuple[str, int | None]]) -> None:
        self.app = app
        self.allowed = allowed

    def accepts(self, raw: str) -> bool:
        """True if the Host header ``raw`` names a loopback address or an allowed origin."""
        host, port = split_host(raw)
        if not host:
            return False
        if is_loopback(host):
            return True
        return any(h == host and (p is None or port is None or p == port) for h, p in self.allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass on requests to an allowed host; refuse the others with 421 (or close the websocket)."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if self.accepts(raw):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await refuse(scope, send, 421, host_message(raw))
