"""What a batch records about itself: ``batch.json`` and each clip's ``done.json``."""

from __future__ import annotations

import datetime as dt
import platform
import statistics
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from gait import __version__
from gait.batch._job import ClipOutcome, ClipTask, Job, job_id

#: Distributions whose versions go into ``batch.json``.
VERSIONED = (
    "mediapipe",
    "opencv-contrib-python",
    "av",
    "numpy",
    "scipy",
    "pandas",
    "xarray",
    "h5netcdf",
    "pyarrow",
    "ray",
)


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """gait, Python, platform and the versions of the libraries that shape the results."""
    out = {
        "gait": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for dist in VERSIONED:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def timings(
    *, plan_s: float, run_s: float, tables_s: float, wall_s: float, clip_s: list[float], done: int
) -> dict[str, Any]:
    """Wall-clock phases of a run and statistics of the per-clip times (worker side)."""
    out: dict[str, Any] = {
        "wall_s": round(wall_s, 3),
        "plan_s": round(plan_s, 3),
        "run_s": round(run_s, 3),
        "tables_s": round(tables_s, 3),
    }
    if clip_s:
        out.update(
            clip_s_sum=round(sum(clip_s), 3),
            clip_s_median=round(statistics.median(clip_s), 3),
            clip_s_max=round(max(clip_s), 3),
        )
    if done and run_s > 0:
        out["clips_per_hour"] = round(done / run_s * 3600, 1)
    return out


def requested(job: Job) -> frozenset[str]:
    """Optional outputs the job is asked for (its ``requested_outputs()``, if it has one)."""
    ask = getattr(job, "requested_outputs", None)
    return frozenset(ask()) if callable(ask) else frozenset()


def clip_marker(task: ClipTask, outcome: ClipOutcome, job: Job, label: str) -> dict[str, Any]:
    """Content of a clip's ``done.json``: what was analysed, how, by whom, in how long."""
    return {
        "key": task.key,
        "path": label,
        "source": task.path,
        "rear_source": task.rear,
        **{f"{role}_source": p for role, p in task.extras if role != "rear"},
        "gait_version": __version__,
        "job": job_id(job),
        "requested": sorted(requested(job)),
        "files": sorted(outcome.files),
        "notes": list(outcome.notes),
        "seconds": round(outcome.seconds, 3),
        "worker": outcome.worker,
        "finished_utc": now_utc(),
        "config": task.config.to_dict(),
    }
