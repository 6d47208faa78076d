"""``create_app(settings)``: the FastAPI application (nothing runs at import)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from gait import __version__
from gait.web import logmask
from gait.web.db import Store
from gait.web.deps import ApiAuth, LoginRequired, TokenInUrl
from gait.web.hosts import HostCheck
from gait.web.jobs import JobQueue
from gait.web.limits import BodySizeLimit
from gait.web.routes import api, pages, runners
from gait.web.settings import Settings
from gait.web.storage import RateLimit, Storage
from gait.web.uploads import Services

log = logging.getLogger(__name__)

HERE = Path(__file__).parent

#: Pages load only what this server sends (no CDN, no network).
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database is opened and the worker pool started when the app starts (lifespan)."""
    settings = settings if settings is not None else Settings()
    storage = Storage(
        settings.data_dir.resolve(), limit_bytes=settings.max_storage_bytes, min_free_bytes=settings.min_free_disk_bytes
    )
    logmask.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logmask.install()  # (again: uvicorn configures its loggers after the app is built)
        services = start_services(settings, storage)
        app.state.services = services
        try:
            yield
        finally:
            services.jobs.stop()

    app = FastAPI(
        title="gait",
        version=__version__,
        summary="Running-form analysis from video: upload a clip, read the report.",
        lifespan=lifespan,
        docs_url=None,  # the Swagger and ReDoc pages load scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.storage = storage
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.include_router(api.router)
    app.include_router(api.storage_router)
    app.include_router(runners.router)
    app.include_router(pages.router)
    app.include_router(pages.protected)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/openapi.json", include_in_schema=False, dependencies=[ApiAuth])
    def openapi() -> dict[str, Any]:
        return app.openapi()

    _add_handlers(app)
    # (the middleware added last runs first: headers, then Host, then Origin, then the body limits)
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_upload_bytes, storage=storage, rate=RateLimit(settings.uploads_per_minute)
    )

    @app.middleware("http")
    async def same_site_writes_only(request: Request, call_next: Any) -> Response:
        if request.method in UNSAFE_METHODS and not _same_origin(request, settings.allowed_origin_set):
            return JSONResponse(
                {"detail": "Refused a change requested by another web site; upload or delete from gait's own pages."},
                status_code=403,
            )
        response: Response = await call_next(request)
        return response

    app.add_middleware(HostCheck, allowed=settings.allowed_host_set)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin: no referrer to other sites; with no-referrer, Chromium sends "Origin: null"
        # on a plain form POST and the Origin check refused the app's own forms (403)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        return response

    return app


def start_services(settings: Settings, storage: Storage | None = None) -> Services:
    """Open the database, recover analyses interrupted by a crash, start the worker pool."""
    data_dir = settings.data_dir.resolve()
    if storage is None:
        storage = Storage(data_dir, limit_bytes=settings.max_storage_bytes, min_free_bytes=settings.min_free_disk_bytes)
    (data_dir / "analyses").mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_path.resolve())
    store.init()
    requeued, failed = store.recover(max_attempts=settings.max_attempts)
    if requeued or failed:
        log.warning("after a restart: %d analyses re-queued, %d marked failed", len(requeued), len(failed))
    jobs = JobQueue(store, str(data_dir), workers=settings.workers, video=settings.overlay_video)
    for analysis_id in store.ids_with_status("queued"):
        jobs.submit(analysis_id)
    jobs.start()
    return Services(
        store=store, jobs=jobs, data_dir=data_dir, max_upload_bytes=settings.max_upload_bytes, storage=storage
    )


#: Methods that change data: a browser sends them from another site only by cross-site request forgery.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _same_origin(request: Request, allowed: frozenset[str]) -> bool:
    """Whether a state-changing request comes from this server's own pages (or an allowed origin).

    Browsers send ``Origin`` with every cross-origin POST (and ``Sec-Fetch-Site``); other clients
    (curl, scripts with the token) send neither and are let through. Without this check any web page
    the user visits could upload to or delete from a ``gait serve`` on localhost, which has no token
    by default (the token cookie, when set, is SameSite=strict already).
    """
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    origin = origin.rstrip("/").lower()
    if origin in allowed:
        return True
    scheme, _, netloc = origin.partition("://")
    host = request.headers.get("host", "").lower()
    return bool(netloc) and netloc == host and scheme in ("http", "https")


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/openapi.json"


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    @app.exception_handler(TokenInUrl)
    async def token_in_url(request: Request, exc: TokenInUrl) -> Response:
        response = RedirectResponse(exc.clean_url, status_code=303)
        pages.set_token_cookie(response, request.query_params["token"])
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_html(request) and request.method in ("GET", "POST"):
            return pages.render(
                request, "error.html", {"status": exc.status_code, "message": exc.detail}, exc.status_code
            )
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        from fastapi.encoders import jsonable_encoder

        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


__all__ = ["create_app", "start_services"]
