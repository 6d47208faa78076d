"""Server-rendered pages.

Upload and history (``/``), one analysis (``/analyses/{id}``), runners (``/runners/{id}``) and the comparison
of two of their sessions (``/runners/{id}/compare``), login.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gait.web.deps import COOKIE_NAME, PageAuth, ServicesDep, SettingsDep, token_matches
from gait.web.routes import runners as runner_api
from gait.web.routes.api import file_urls, get_record, read_report
from gait.web.schemas import AnalysisOptions, RunnerIn
from gait.web.uploads import UploadError

log = logging.getLogger(__name__)

router = APIRouter(tags=["pages"], include_in_schema=False)
protected = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[PageAuth])


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render template ``name`` with ``context`` and the values every page uses."""
    templates = request.app.state.templates
    settings = request.app.state.settings
    base = {"max_upload_mb": settings.max_upload_mb, "token_required": settings.token is not None}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def _index(
    request: Request,
    services: Any,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
    runner_error: str | None = None,
    runner_form: dict[str, Any] | None = None,
) -> HTMLResponse:
    records = [r for r in services.store.recent(limit=200) if r.runner_id is None]
    runners = [(r, services.store.runner_analyses(r.id)) for r in services.store.runners()]
    return render(
        request,
        "index.html",
        {
            "records": records,
            "files": {r.id: file_urls(services, r) for r in records},
            "error": error,
            "form": form or {},
            "runners": runners,
            "runner_error": runner_error,
            "runner_form": runner_form or {},
            "storage": services.storage.usage(),
        },
        status_code,
    )


@protected.get("/", response_class=HTMLResponse)
def index(request: Request, services: ServicesDep) -> HTMLResponse:
    """The upload form and the history of analyses."""
    return _index(request, services)


def _options(fields: dict[str, str | None]) -> AnalysisOptions:
    return AnalysisOptions.model_validate({k: (v.strip() if v and v.strip() else None) for k, v in fields.items()})


def _validation_message(err: ValidationError) -> str:
    names = {
        "runner_id": "Runner",
        "name": "Name",
        "target_cadence_spm": "Target step rate",
        "notes": "Notes",
        "label": "Label",
        "height_cm": "Height",
        "treadmill_speed_mps": "Treadmill speed",
        "slowmo_factor": "Slow-motion factor",
    }
    first = err.errors()[0]
    field = names.get(str(first["loc"][0]), str(first["loc"][0])) if first["loc"] else "A field"
    return f"{field}: {first['msg']}."


@protected.post("/analyses", response_class=HTMLResponse)
async def upload_form(
    request: Request,
    services: ServicesDep,
    file: Annotated[UploadFile | None, File()] = None,
    rear_file: Annotated[UploadFile | None, File()] = None,
    front_file: Annotated[UploadFile | None, File()] = None,
    label: Annotated[str | None, Form()] = None,
    height_cm: Annotated[str | None, Form()] = None,
    treadmill_speed_mps: Annotated[str | None, Form()] = None,
    slowmo_factor: Annotated[str | None, Form()] = None,
    runner_id: Annotated[str | None, Form()] = None,
) -> Response:
    """The upload form without JavaScript: a plain multipart POST, answered by a redirect."""
    fields = {
        "label": label,
        "height_cm": height_cm,
        "treadmill_speed_mps": treadmill_speed_mps,
        "slowmo_factor": slowmo_factor,
        "runner_id": runner_id,
    }
    try:
        options = _options(fields)
        record = await services.accept(file, rear_file, options, front=front_file)
    except ValidationError as err:
        return _index(request, services, error=_validation_message(err), status_code=422, form=fields)
    except UploadError as err:
        return _index(request, services, error=err.message, status_code=err.status_code, form=fields)
    return RedirectResponse(f"/analyses/{record.id}", status_code=303)


@protected.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def analysis_page(request: Request, services: ServicesDep, analysis_id: str) -> HTMLResponse:
    """The page of one analysis: status, report, overlay video and event corrections."""
    record = get_record(services, analysis_id)
    report = read_report(services, record)
    clip = (report or {}).get("clip", {})
    # overlay.mp4 plays at the file's own rate: capture fps / slow-motion factor
    video_fps = round(float(clip.get("fps") or 30.0) / float(clip.get("slowmo_factor") or 1.0)) or 30
    from gait.web.corrections import is_corrected

    runner = services.store.get_runner(record.runner_id) if record.runner_id else None
    editable = record.status == "done" and not record.extra_clips and "track.nc" in _run_files(services, record)
    return render(
        request, "analysis.html",
        {"record": record, "report": report, "files": file_urls(services, record), "video_fps": video_fps,
         "runner": runner, "events": (report or {}).get("events", []) if editable else [],
         "corrected": is_corrected(services, record), "storage": services.storage.usage()},
    )


def _run_files(services: Any, record: Any) -> set[str]:
    folder = services.output_dir(record)
    return set() if folder is None or not folder.is_dir() else {p.name for p in folder.iterdir()}


@protected.post("/analyses/{analysis_id}/delete")
def delete_form(services: ServicesDep, analysis_id: str) -> RedirectResponse:
    """Delete an analysis from the form on its page, then go back to the history."""
    get_record(services, analysis_id)
    services.delete(analysis_id)
    return RedirectResponse("/", status_code=303)


# --- runners ----------------------------------------------------------------------------------


@protected.post("/runners", response_class=HTMLResponse)
def create_runner_form(
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    height_cm: Annotated[str | None, Form()] = None,
    target_cadence_spm: Annotated[str | None, Form()] = None,
    notes: Annotated[str | None, Form()] = None,
) -> Response:
    """The new-runner form: the same checks and database call as ``POST /api/runners``; answered by a redirect."""
    fields = {"name": name, "height_cm": height_cm, "target_cadence_spm": target_cadence_spm, "notes": notes}
    try:
        body = RunnerIn.model_validate(
            {k: (v.strip() if v and v.strip() else None) for k, v in fields.items()} | {"name": name}
        )
        created = runner_api.create_runner(services, body)
    except ValidationError as err:
        return _index(request, services, runner_error=_validation_message(err), runner_form=fields, status_code=422)
    except HTTPException as err:
        return _index(request, services, runner_error=str(err.detail), runner_form=fields, status_code=err.status_code)
    return RedirectResponse(f"/runners/{created.id}", status_code=303)


@protected.get("/runners/{runner_id}", response_class=HTMLResponse)
def runner_page(request: Request, services: ServicesDep, runner_id: str) -> HTMLResponse:
    """The page of one runner, with their analyses."""
    runner = runner_api.get_runner(services, runner_id)
    records = services.store.runner_analyses(runner.id)
    done = [r for r in records if r.status == "done"]
    return render(
        request, "runner.html",
        {"runner": runner, "records": records, "done": done, "files": {r.id: file_urls(services, r) for r in records},
         "storage": services.storage.usage()},
    )


@protected.post("/runners/{runner_id}/delete")
def delete_runner_form(services: ServicesDep, runner_id: str) -> RedirectResponse:
    """Delete a runner and their analyses from the form on their page, then go back to the history."""
    runner = runner_api.get_runner(services, runner_id)
    services.delete_runner(runner.id)
    return RedirectResponse("/", status_code=303)


def _knee_curve(services: Any, record: Any, report: dict[str, Any]) -> list[float] | None:
    """Knee flexion over the gait cycle, from the stored track; None if unavailable.

    The curve is the mean of both feet's mean curves.
    """
    folder = services.output_dir(record)
    if folder is None or not (folder / "track.nc").is_file() or not report.get("events"):
        return None
    try:
        from gait.pipeline import knee_flexion_cycle

        return knee_flexion_cycle(folder / "track.nc", report["events"], report.get("direction"))
    except Exception:  # a plot must never break the comparison
        log.exception("knee curve of analysis %s", record.id)
        return None


Points = list[tuple[float, float]]


def _two_lines_svg(
    a: Points | None, b: Points | None, x_range: tuple[float, float], x_step: float
) -> dict[str, Any] | None:
    """Geometry of an inline SVG of two sessions' curves (``(x, y)`` points) on shared axes.

    The template draws it; None when neither session has a curve.
    """
    import math

    series = [s for s in (a, b) if s]
    if not series:
        return None
    values = [y for s in series for _, y in s if math.isfinite(y)]
    if not values:
        return None
    lo, hi = math.floor(min(values) / 10) * 10, math.ceil(max(values) / 10) * 10
    hi = hi if hi > lo else lo + 10
    w, h, left, right, top, bottom = 640, 280, 48, 12, 12, 36
    pw, ph = w - left - right, h - top - bottom
    x0, x1 = x_range
    x1 = x1 if x1 > x0 else x0 + 1

    def path(s: Points | None) -> str | None:
        pts: list[str] = []
        for x, y in s or []:
            if math.isfinite(x) and math.isfinite(y):
                px, py = left + pw * (x - x0) / (x1 - x0), top + ph * (1 - (y - lo) / (hi - lo))
                pts.append(f"{'M' if not pts else 'L'}{px:.1f},{py:.1f}")
        return " ".join(pts) or None

    step = 10 if hi - lo <= 80 else 20
    yticks = [(top + ph * (1 - (t - lo) / (hi - lo)), t) for t in range(int(lo), int(hi) + 1, step)]
    n_x = int((x1 - x0) // x_step) + 1
    xticks = [(left + pw * (k * x_step) / (x1 - x0), f"{x0 + k * x_step:g}") for k in range(n_x)]
    return {"w": w, "h": h, "left": left, "top": top, "pw": pw, "ph": ph, "a": path(a), "b": path(b),
            "yticks": yticks, "xticks": xticks}


def knee_cycle_svg(a: list[float] | None, b: list[float] | None) -> dict[str, Any] | None:
    """Geometry of an inline SVG of the two sessions' knee-flexion curves over the gait cycle (0-100 %)."""

    def points(s: list[float] | None) -> Points | None:
        return None if not s else [(100 * i / max(len(s) - 1, 1), v) for i, v in enumerate(s)]

    return _two_lines_svg(points(a), points(b), (0.0, 100.0), 20.0)


def step_rate_series(report: dict[str, Any]) -> Points | None:
    """Step rate (steps/min) over the clip from the report's contacts: ``(seconds from the first, rate)``.

    Each step is the time between consecutive initial contacts (of the first view, in a two-view
    report); a gap longer than 1.5 x the median step (a missed contact) is left out. None for
    fewer than 3 contacts.
    """
    import statistics

    views = report.get("views") or []
    first_view = views[0].get("view") if views else None
    ics = sorted(
        float(e["time_s"])
        for e in report.get("events", [])
        if e.get("type") == "IC" and (first_view is None or e.get("view", first_view) == first_view)
    )
    if len(ics) < 3:
        return None
    steps = [(t0, t1 - t0) for t0, t1 in zip(ics, ics[1:], strict=False) if t1 > t0]
    median = statistics.median(d for _, d in steps)
    return [(t0 + d / 2 - ics[0], 60.0 / d) for t0, d in steps if d <= 1.5 * median] or None


def step_rate_svg(a: Points | None, b: Points | None) -> dict[str, Any] | None:
    """Geometry of an inline SVG of the two sessions' step rate over the clip (seconds from the first contact)."""
    import math

    end = max((x for s in (a, b) if s for x, _ in s), default=0.0)
    span = max(1.0, math.ceil(end))
    tick = next(t for t in (1, 2, 5, 10, 20, 30, 60, 120, 300) if span / t <= 8)
    return _two_lines_svg(a, b, (0.0, float(math.ceil(span / tick) * tick)), float(tick))


@protected.get("/runners/{runner_id}/compare", response_class=HTMLResponse)
def compare_page(request: Request, services: ServicesDep, runner_id: str, a: str = "", b: str = "") -> HTMLResponse:
    """The comparison page of two of a runner's analyses ``a`` and ``b``; 422 unless both are given."""
    runner = runner_api.get_runner(services, runner_id)
    if not a or not b:
        raise HTTPException(422, "Choose two of the runner's analyses to compare (A and B).")
    comparison = runner_api.compare(services, runner.id, a, b)
    records = {key: get_record(services, aid) for key, aid in (("a", a), ("b", b))}
    reports = {key: read_report(services, r) or {} for key, r in records.items()}
    curves = {key: _knee_curve(services, records[key], reports[key]) for key in ("a", "b")}
    from gait.compare import METRIC_WORDS

    return render(
        request, "compare.html",
        {"runner": runner, "c": comparison, "records": records, "reports": reports, "words": METRIC_WORDS,
         "flag_messages": {f.get("code"): f.get("message") for rep in reports.values() for f in rep.get("flags", [])},
         "plot": knee_cycle_svg(curves["a"], curves["b"]),
         "rate_plot": step_rate_svg(step_rate_series(reports["a"]), step_rate_series(reports["b"])),
         "storage": services.storage.usage()},
    )


def _safe_next(next_url: str | None) -> str:
    if not next_url or not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return "/"
    return next_url


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The login form; ``next`` is where to go after logging in."""
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, settings: SettingsDep, token: Annotated[str, Form()], next: Annotated[str | None, Form()] = None
) -> Response:
    """Check the token from the login form, set it as a cookie and go on to ``next``; 401 if wrong."""
    if settings.token is None:
        return RedirectResponse(_safe_next(next), status_code=303)
    if not token_matches(token, settings.token):
        return render(request, "login.html", {"next": _safe_next(next), "error": "That token is not right."}, 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_token_cookie(response, token)
    return response


def set_token_cookie(response: Response, token: str) -> None:
    """Set the access token as an HTTP-only, same-site cookie."""
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict", path="/")


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Answer a liveness probe."""
    return {"status": "ok"}


