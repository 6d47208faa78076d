"""JSON API: ``/api/analyses``."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile, status
from fastapi.responses import FileResponse, Response

from gait.web.db import Record
from gait.web.deps import ApiAuth, ServicesDep
from gait.web.schemas import (
    AnalysisDetail,
    AnalysisList,
    AnalysisOptions,
    AnalysisSummary,
    Created,
    EventsIn,
    HeightCm,
    Label,
    RunnerId,
    SlowmoFactor,
    StorageUsage,
    TreadmillSpeed,
)
from gait.web.uploads import OUTPUT_FILES, Services, UploadError

router = APIRouter(prefix="/api/analyses", tags=["analyses"], dependencies=[ApiAuth])
storage_router = APIRouter(prefix="/api", tags=["storage"], dependencies=[ApiAuth])

_NOT_FOUND = "No analysis with this id (it may have been deleted)."


def file_urls(services: Services, record: Record) -> dict[str, str]:
    """Download URLs of the output files an analysis has, by file name."""
    return {name: f"/api/analyses/{record.id}/files/{name}" for name in services.available_files(record)}


def get_record(services: Services, analysis_id: str) -> Record:
    """The analysis record with this id; 404 if the id is malformed or unknown."""
    record = services.store.get(analysis_id) if re.fullmatch(r"[0-9a-f]{32}", analysis_id) else None
    if record is None:
        raise HTTPException(404, _NOT_FOUND)
    return record


def read_report(services: Services, record: Record) -> dict[str, Any] | None:
    """The analysis's report.json as a dict, or None before it is done."""
    path = services.output_path(record, "report.json")
    return None if path is None else json.loads(path.read_text())


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload a side-view clip (and optionally a rear-view and a front-view clip) and queue its analysis",
    responses={
        413: {"description": "Upload larger than GAIT_MAX_UPLOAD_MB"},
        415: {"description": "Not a video container (sniffed from content)"},
        422: {"description": "Missing or empty file, or an option out of range"},
        429: {"description": "More than GAIT_UPLOADS_PER_MINUTE uploads from this client (see Retry-After)"},
        507: {
            "description": "The storage limit (GAIT_MAX_STORAGE_MB) or the free-disk reserve "
            "(GAIT_MIN_FREE_DISK_MB) is reached"
        },
    },
)
async def create_analysis(
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="Side-view clip (MP4/MOV, Matroska/WebM or AVI).")],
    rear_file: Annotated[
        UploadFile | None,
        File(description="Optional rear-view clip of the same run: merged with the side clip into one session."),
    ] = None,
    front_file: Annotated[
        UploadFile | None,
        File(description="Optional front-view clip of the same run: gives the frontal-plane metrics without a "
             "rear clip (or those only the front view gives)."),
    ] = None,
    label: Annotated[Label | None, Form()] = None,
    runner_id: Annotated[
        RunnerId | None, Form(description="The runner this clip belongs to (POST /api/runners).")
    ] = None,
    height_cm: Annotated[HeightCm | None, Form()] = None,
    treadmill_speed_mps: Annotated[TreadmillSpeed | None, Form()] = None,
    slowmo_factor: Annotated[SlowmoFactor | None, Form()] = None,
) -> Created:
    """Store the uploaded clip(s) with their options and queue the analysis (202)."""
    options = AnalysisOptions(
        runner_id=runner_id or None,
        label=label,
        height_cm=height_cm,
        treadmill_speed_mps=treadmill_speed_mps,
        slowmo_factor=slowmo_factor,
    )
    try:
        record = await services.accept(file, rear_file, options, front=front_file)
    except UploadError as err:
        raise HTTPException(err.status_code, err.message) from None
    return Created(id=record.id, url=f"/api/analyses/{record.id}", page=f"/analyses/{record.id}")


@router.get("", summary="List analyses, newest first")
def list_analyses(services: ServicesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> AnalysisList:
    """The latest ``limit`` analyses, newest first."""
    records = services.store.recent(limit=limit)
    return AnalysisList(analyses=[AnalysisSummary.from_record(r, file_urls(services, r)) for r in records])


@router.get("/{analysis_id}", summary="Status, progress, error or report of one analysis", responses={404: {}})
def get_analysis(services: ServicesDep, analysis_id: str) -> AnalysisDetail:
    """One analysis: its status, progress, error, files and report once done."""
    record = get_record(services, analysis_id)
    summary = AnalysisSummary.from_record(record, file_urls(services, record))
    return AnalysisDetail(**summary.model_dump(), report=read_report(services, record))


@router.delete(
    "/{analysis_id}", status_code=204, summary="Delete an analysis, its clips and results", responses={404: {}}
)
def delete_analysis(services: ServicesDep, analysis_id: str) -> Response:
    """Delete an analysis, its clips and results (204)."""
    get_record(services, analysis_id)
    services.delete(analysis_id)
    return Response(status_code=204)


@router.patch(
    "/{analysis_id}/events",
    summary="Correct the gait events by hand: the full list (foot, type, frame) recomputes metrics, flags and report",
    responses={404: {}, 409: {}, 422: {}},
)
def patch_events(services: ServicesDep, analysis_id: str, body: EventsIn) -> AnalysisDetail:
    """Replace the analysis's gait events by the corrected list and recompute its results."""
    from gait.web.corrections import CorrectionError, correct_events

    record = get_record(services, analysis_id)
    try:
        correct_events(services, record, [e.model_dump() for e in body.events])
    except CorrectionError as err:
        raise HTTPException(err.status_code, err.message) from None
    return get_analysis(services, analysis_id)


@router.delete(
    "/{analysis_id}/events",
    summary="Undo the hand corrections: restore the automatic events and report",
    responses={404: {}, 409: {}},
)
def restore_events(services: ServicesDep, analysis_id: str) -> AnalysisDetail:
    """Go back to the detected gait events of the analysis, undoing the corrections."""
    from gait.web.corrections import CorrectionError
    from gait.web.corrections import restore_events as restore

    record = get_record(services, analysis_id)
    try:
        restore(services, record)
    except CorrectionError as err:
        raise HTTPException(err.status_code, err.message) from None
    return get_analysis(services, analysis_id)


@router.get(
    "/{analysis_id}/files/{name}",
    summary="Download one result file: report.json, steps.csv, report.html, overlay.mp4, overlay_rear.mp4 or "
    "overlay_front.mp4",
    responses={404: {}},
)
def get_file(
    services: ServicesDep,
    analysis_id: str,
    name: str,
    download: Annotated[bool, Query(description="Send as an attachment (save) rather than inline.")] = False,
) -> FileResponse:
    """Send one output file of an analysis, inline or as a download."""
    record = get_record(services, analysis_id)
    path = services.output_path(record, name) if name in OUTPUT_FILES else None
    if path is None:
        available = ", ".join(services.available_files(record)) or "none yet"
        raise HTTPException(404, f"No file '{name}' for this analysis (available: {available}).")
    return file_response(path, name, record, download=download)


def file_response(path: Any, name: str, record: Record, *, download: bool) -> FileResponse:
    """A FileResponse for one output file, named after the analysis's label and id."""
    media_type = OUTPUT_FILES[name][1]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", record.label or "")[:60].strip("_")
    filename = f"gait_{stem + '_' if stem else ''}{record.id[:8]}_{name}"
    response = FileResponse(
        path, media_type=media_type, filename=filename if download else None,
        content_disposition_type="attachment" if download else "inline",
    )
    if name == "report.html":  # the report is self-contained: it may load nothing, run nothing
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
        )
    return response


@storage_router.get("/storage", summary="Storage used by the analyses, its limit, and the free disk")
def storage_usage(services: ServicesDep) -> StorageUsage:
    """The storage used, its limit and the free disk."""
    usage = services.storage.usage()
    return StorageUsage(
        used_bytes=usage.used_bytes, limit_bytes=usage.limit_bytes, free_disk_bytes=usage.free_disk_bytes,
        min_free_disk_bytes=services.storage.min_free_bytes,
    )
