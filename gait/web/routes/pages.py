"""Server-rendered pages: upload and history (``/``), one analysis (``/analyses/{id}``), login."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gait.web.deps import COOKIE_NAME, PageAuth, ServicesDep, SettingsDep, token_matches
from gait.web.routes.api import file_urls, get_record, read_report
from gait.web.schemas import AnalysisOptions
from gait.web.uploads import UploadError

router = APIRouter(tags=["pages"], include_in_schema=False)
protected = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[PageAuth])


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    templates = request.app.state.templates
    settings = request.app.state.settings
    base = {"max_upload_mb": settings.max_upload_mb, "token_required": settings.token is not None}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)  # type: ignore[no-any-return]


def _index(request: Request, services: Any, *, error: str | None = None, status_code: int = 200, form: dict[str, Any] | None = None) -> HTMLResponse:
    records = services.store.recent(limit=200)
    return render(
        request, "index.html",
        {"records": records, "files": {r.id: file_urls(services, r) for r in records}, "error": error, "form": form or {},
         "storage": services.storage.usage()},
        status_code,
    )


@protected.get("/", response_class=HTMLResponse)
def index(request: Request, services: ServicesDep) -> HTMLResponse:
    return _index(request, services)


def _options(fields: dict[str, str | None]) -> AnalysisOptions:
    return AnalysisOptions.model_validate({k: (v.strip() if v and v.strip() else None) for k, v in fields.items()})


def _validation_message(err: ValidationError) -> str:
    names = {"label": "Label", "height_cm": "Height", "treadmill_speed_mps": "Treadmill speed", "slowmo_factor": "Slow-motion factor"}
    first = err.errors()[0]
    field = names.get(str(first["loc"][0]), str(first["loc"][0])) if first["loc"] else "A field"
    return f"{field}: {first['msg']}."


@protected.post("/analyses", response_class=HTMLResponse)
async def upload_form(
    request: Request,
    services: ServicesDep,
    file: Annotated[UploadFile | None, File()] = None,
    rear_file: Annotated[UploadFile | None, File()] = None,
    label: Annotated[str | None, Form()] = None,
    height_cm: Annotated[str | None, Form()] = None,
    treadmill_speed_mps: Annotated[str | None, Form()] = None,
    slowmo_factor: Annotated[str | None, Form()] = None,
) -> Response:
    """The upload form without JavaScript: a plain multipart POST, answered by a redirect."""
    fields = {"label": label, "height_cm": height_cm, "treadmill_speed_mps": treadmill_speed_mps, "slowmo_factor": slowmo_factor}
    try:
        options = _options(fields)
        record = await services.accept(file, rear_file, options)
    except ValidationError as err:
        return _index(request, services, error=_validation_message(err), status_code=422, form=fields)
    except UploadError as err:
        return _index(request, services, error=err.message, status_code=err.status_code, form=fields)
    return RedirectResponse(f"/analyses/{record.id}", status_code=303)


@protected.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def analysis_page(request: Request, services: ServicesDep, analysis_id: str) -> HTMLResponse:
    record = get_record(services, analysis_id)
    report = read_report(services, record)
    clip = (report or {}).get("clip", {})
    # overlay.mp4 plays at the file's own rate: capture fps / slow-motion factor
    video_fps = round(float(clip.get("fps") or 30.0) / float(clip.get("slowmo_factor") or 1.0)) or 30
    return render(
        request, "analysis.html",
        {"record": record, "report": report, "files": file_urls(services, record), "video_fps": video_fps,
         "storage": services.storage.usage()},
    )


@protected.post("/analyses/{analysis_id}/delete")
def delete_form(services: ServicesDep, analysis_id: str) -> RedirectResponse:
    get_record(services, analysis_id)
    services.delete(analysis_id)
    return RedirectResponse("/", status_code=303)


def _safe_next(next_url: str | None) -> str:
    if not next_url or not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return "/"
    return next_url


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, settings: SettingsDep, token: Annotated[str, Form()], next: Annotated[str | None, Form()] = None) -> Response:
    if settings.token is None:
        return RedirectResponse(_safe_next(next), status_code=303)
    if not token_matches(token, settings.token):
        return render(request, "login.html", {"next": _safe_next(next), "error": "That token is not right."}, 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_token_cookie(response, token)
    return response


def set_token_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict", path="/")


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


