"""Typed dependencies: settings, services, and the optional access token (``GAIT_TOKEN``).

The API takes the token from the ``Authorization`` header or the cookie, never from the URL (URLs end
up in logs, browser history and bookmarks). Only a page opened in a browser may carry ``?token=``:
it sets the cookie and redirects to the same URL without it.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from gait.web.settings import Settings
from gait.web.uploads import Services

COOKIE_NAME = "gait_token"

_bearer = HTTPBearer(auto_error=False, description="GAIT_TOKEN, when the server sets one.")
_cookie = APIKeyCookie(name=COOKIE_NAME, auto_error=False, description="Set by the login page.")


def get_settings(request: Request) -> Settings:
    """The app's settings (a FastAPI dependency)."""
    return request.app.state.settings


def get_services(request: Request) -> Services:
    """The app's services: store, storage, jobs (a FastAPI dependency)."""
    return request.app.state.services


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServicesDep = Annotated[Services, Depends(get_services)]


def token_matches(given: str | None, expected: str) -> bool:
    """True if ``given`` equals ``expected`` (compared in constant time)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class LoginRequired(Exception):
    """A page was requested without the token: the handler redirects to the login form."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class TokenInUrl(Exception):
    """A page was opened with a valid ``?token=``: the handler sets the cookie and drops it from the URL."""

    def __init__(self, clean_url: str) -> None:
        self.clean_url = clean_url


def require_api_token(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> None:
    """Refuse an API request (401) without the token, as bearer header or cookie, when one is set."""
    if settings.token is None:
        return
    given = (bearer.credentials if bearer else None, cookie)
    if not any(token_matches(g, settings.token) for g in given):
        raise HTTPException(
            401, "This server needs its access token (GAIT_TOKEN): send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )


def require_page_token(request: Request, settings: SettingsDep) -> None:
    """Send a page request without the token (cookie, bearer header or ``?token=``) to the login form."""
    if settings.token is None:
        return
    if token_matches(request.cookies.get(COOKIE_NAME), settings.token):
        return
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and token_matches(header[7:].strip(), settings.token):
        return
    if request.method == "GET" and token_matches(request.query_params.get("token"), settings.token):
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        raise TokenInUrl(request.url.path + (f"?{urlencode(params)}" if params else ""))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(target if request.method == "GET" else "/")


ApiAuth = Depends(require_api_token)
PageAuth = Depends(require_page_token)
