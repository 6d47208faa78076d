"""JSON API: ``/api/runners`` (runners followed over time, and the comparison of two of their sessions)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from gait.compare import compare_reports
from gait.web.db import Runner, now
from gait.web.deps import ApiAuth, ServicesDep
from gait.web.routes.api import file_urls, get_record, read_report
from gait.web.schemas import (
    AnalysisSummary,
    Comparison,
    RunnerCreated,
    RunnerDetail,
    RunnerIn,
    RunnerList,
    RunnerOut,
)
from gait.web.uploads import Services

router = APIRouter(prefix="/api/runners", tags=["runners"], dependencies=[ApiAuth])

_NOT_FOUND = "No runner with this id (it may have been deleted)."


def get_runner(services: Services, runner_id: str) -> Runner:
    """The runner with this id; 404 if the id is malformed or unknown."""
    runner = services.store.get_runner(runner_id) if re.fullmatch(r"[0-9a-f]{32}", runner_id) else None
    if runner is None:
        raise HTTPException(404, _NOT_FOUND)
    return runner


def runner_out(runner: Runner) -> RunnerOut:
    """The API view of a runner."""
    return RunnerOut(
        id=runner.id, created_at=runner.created_at, name=runner.name, height_cm=runner.height_cm,
        notes=runner.notes, target_cadence_spm=runner.target_cadence_spm, url=f"/api/runners/{runner.id}",
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Create a runner (name or pseudonym)", responses={422: {}}
)
def create_runner(services: ServicesDep, body: RunnerIn) -> RunnerCreated:
    """Create a runner from a name or pseudonym (201); 422 for a blank name."""
    name = body.name.strip()
    if not name:
        raise HTTPException(422, "Give the runner a name or pseudonym.")
    runner = Runner(
        id=uuid.uuid4().hex, created_at=now(), name=name, height_cm=body.height_cm,
        notes=(body.notes or "").strip() or None, target_cadence_spm=body.target_cadence_spm,
    )
    services.store.add_runner(runner)
    return RunnerCreated(id=runner.id, url=f"/api/runners/{runner.id}")


@router.get("", summary="List runners, by name")
def list_runners(services: ServicesDep) -> RunnerList:
    """Every runner, by name."""
    return RunnerList(runners=[runner_out(r) for r in services.store.runners()])


@router.get("/{runner_id}", summary="A runner with their analyses, oldest first", responses={404: {}})
def get_runner_detail(services: ServicesDep, runner_id: str) -> RunnerDetail:
    """One runner with their analyses, oldest first."""
    runner = get_runner(services, runner_id)
    records = services.store.runner_analyses(runner.id)
    analyses = [AnalysisSummary.from_record(r, file_urls(services, r)) for r in records]
    return RunnerDetail(**runner_out(runner).model_dump(), analyses=analyses)


@router.delete(
    "/{runner_id}", status_code=204, summary="Delete a runner with all their analyses and files", responses={404: {}}
)
def delete_runner(services: ServicesDep, runner_id: str) -> Response:
    """Delete a runner with all their analyses and files (204)."""
    runner = get_runner(services, runner_id)
    services.delete_runner(runner.id)
    return Response(status_code=204)


@router.get(
    "/{runner_id}/compare",
    summary="Compare two of the runner's analyses: differences against the 95 % minimal detectable change",
    responses={404: {}, 409: {}},
)
def compare(
    services: ServicesDep,
    runner_id: str,
    a: Annotated[str, Query(description="The earlier analysis's id.")],
    b: Annotated[str, Query(description="The later analysis's id.")],
) -> Comparison:
    """Compare two of the runner's analyses: metric differences against the minimal detectable change."""
    runner = get_runner(services, runner_id)
    reports = []
    for key, analysis_id in (("a", a), ("b", b)):
        record = get_record(services, analysis_id)
        if record.runner_id != runner.id:
            raise HTTPException(
                404, f"Analysis {key} does not belong to this runner; choose two of the runner's analyses."
            )
        report = read_report(services, record)
        if report is None:
            raise HTTPException(409, f"Analysis {key} is {record.status}, not done, so it cannot be compared yet.")
        reports.append(report)
    result = compare_reports(reports[0], reports[1], target_cadence_spm=runner.target_cadence_spm)
    return Comparison(runner_id=runner.id, a=a, b=b, **result)
