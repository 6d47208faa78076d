"""Wire schemas of the JSON API (kept apart from the database record and the report's domain types)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from gait.config import BOUNDS
from gait.web.db import Record

Status = Literal["queued", "running", "done", "failed"]

Label = Annotated[str, Field(max_length=200, description="Patient or session label shown in the history.")]
# the bounds are gait.config.BOUNDS, the one table the CLI, the batch and the manifest use too
_H, _T, _S = BOUNDS["height_cm"], BOUNDS["treadmill_speed_mps"], BOUNDS["slowmo_factor"]
HeightCm = Annotated[float, Field(ge=_H[0], le=_H[1], description="Runner's height in cm.")]
TreadmillSpeed = Annotated[
    float, Field(ge=_T[0], le=_T[1], description="Treadmill belt speed in m/s (stored with the record).")
]
SlowmoFactor = Annotated[
    float, Field(ge=_S[0], le=_S[1], description="Capture fps / playback fps of a slow-motion clip.")
]

#: Files an analysis can offer, by public name.
FILE_NAMES = ("report.json", "steps.csv", "report.html", "overlay.mp4", "overlay_rear.mp4", "overlay_front.mp4")


RunnerId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="A runner's id (from POST /api/runners).")]


class AnalysisOptions(BaseModel):
    """The options sent with an upload (validated the same way for the API and the HTML form)."""

    runner_id: RunnerId | None = None
    label: Label | None = None
    height_cm: HeightCm | None = None
    treadmill_speed_mps: TreadmillSpeed | None = None
    slowmo_factor: SlowmoFactor | None = None


class Created(BaseModel):
    """The answer to an upload: the queued analysis's id and where to follow it."""

    id: str
    status: Status = "queued"
    url: str = Field(description="The analysis in the API.")
    page: str = Field(description="The analysis page for people.")


class ClipInfo(BaseModel):
    """An uploaded clip: its original name and container."""

    name: str = Field(description="The uploaded file's name (for display; files are stored under generated names).")
    container: str


class SessionClip(ClipInfo):
    """One clip of a session, with its role."""

    role: str = Field(description="The clip's role in the session: side, rear or front.")


class AnalysisSummary(BaseModel):
    """One analysis as listed: status, progress, options, clips, history figures and file URLs."""

    id: str
    status: Status
    progress: float = Field(ge=0, le=1)
    stage: str | None = None
    error: str | None = None
    label: str | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    height_cm: float | None = None
    treadmill_speed_mps: float | None = None
    slowmo_factor: float | None = None
    side_clip: ClipInfo
    rear_clip: ClipInfo | None = None
    front_clip: ClipInfo | None = None
    clips: list[SessionClip] = Field(default_factory=list, description="Every clip of the session, side first.")
    runner_id: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict, description="View, cadence and flag codes when done.")
    files: dict[str, str] = Field(default_factory=dict, description="Download URLs of the files available.")

    @classmethod
    def from_record(cls, record: Record, files: dict[str, str]) -> AnalysisSummary:
        """The summary of a stored record, with the download URLs ``files``."""
        clips = [SessionClip(name=c.name, container=c.file.rsplit(".", 1)[-1], role=c.role) for c in record.clip_list]
        by_role = {c.role: ClipInfo(name=c.name, container=c.container) for c in clips}
        side = by_role.get("side") or ClipInfo(name=clips[0].name, container=clips[0].container)
        return cls(
            id=record.id,
            status=record.status,  # type: ignore[arg-type]
            progress=record.progress,
            stage=record.stage,
            error=record.error,
            label=record.label,
            created_at=record.created_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            height_cm=record.height_cm,
            treadmill_speed_mps=record.treadmill_speed_mps,
            slowmo_factor=record.slowmo_factor,
            side_clip=side,
            rear_clip=by_role.get("rear"),
            front_clip=by_role.get("front"),
            clips=clips,
            runner_id=record.runner_id,
            summary=record.summary_dict,
            files=files,
        )


class AnalysisDetail(AnalysisSummary):
    """One analysis with its report once done."""

    report: dict[str, Any] | None = Field(default=None, description="The content of report.json, when done.")


class AnalysisList(BaseModel):
    """A list of analyses."""

    analyses: list[AnalysisSummary]


class StorageUsage(BaseModel):
    """The storage used and its limits, in bytes."""

    used_bytes: int = Field(description="Clips and results of all analyses, and uploads in progress.")
    limit_bytes: int = Field(description="GAIT_MAX_STORAGE_MB: uploads are refused (507) beyond it.")
    free_disk_bytes: int = Field(description="Free space on the data folder's disk.")
    min_free_disk_bytes: int = Field(
        description="GAIT_MIN_FREE_DISK_MB: uploads that would leave less free disk are refused (507)."
    )


#: Plausible target step rates, steps/min.
_C = (100.0, 240.0)


class RunnerIn(BaseModel):
    """A new runner: a name or pseudonym, and optionally height, notes and a target step rate."""

    name: Annotated[str, Field(min_length=1, max_length=200, description="Name or pseudonym.")]
    height_cm: HeightCm | None = None
    notes: Annotated[str, Field(max_length=5000)] | None = None
    target_cadence_spm: (
        Annotated[float, Field(ge=_C[0], le=_C[1], description="Target step rate, steps/min.")] | None
    ) = None


class RunnerOut(BaseModel):
    """A runner as the API shows it."""

    id: str
    created_at: str
    name: str
    height_cm: float | None = None
    notes: str | None = None
    target_cadence_spm: float | None = None
    url: str


class RunnerList(BaseModel):
    """A list of runners."""

    runners: list[RunnerOut]


class RunnerDetail(RunnerOut):
    """A runner with their analyses."""

    analyses: list[AnalysisSummary] = Field(description="The runner's analyses, oldest first.")


class RunnerCreated(BaseModel):
    """The answer to creating a runner: its id and URL."""

    id: str
    url: str


class HandEvent(BaseModel):
    """One gait event placed or kept by the clinician."""

    foot: Literal["L", "R"]
    type: Literal["IC", "TO"]
    frame: Annotated[int, Field(ge=0, description="The track's 0-based frame (decode index).")]


class EventsIn(BaseModel):
    """The full corrected event list of an analysis."""

    events: Annotated[list[HandEvent], Field(max_length=20000)]


class MetricChange(BaseModel):
    """One metric in two analyses: values, difference, detectable change, and a sentence."""

    a: float | None
    b: float | None
    unit: str
    difference: float | None
    detectable_change: float | None = Field(description="95 % minimal detectable change: 1.96 * sqrt(u_a^2 + u_b^2).")
    exceeds: bool
    sentence: str


class Comparison(BaseModel):
    """Two analyses of a runner compared: per-metric changes, flags of each, and the target step rate."""

    runner_id: str
    a: str
    b: str
    metrics: dict[str, MetricChange]
    flags: dict[str, list[str]]
    target: dict[str, float | None] | None = None
