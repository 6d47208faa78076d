"""What runs inside an analysis worker process (spawned, never the web server's process).

:func:`analyse_clips` is the one place the web app calls the pipeline.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from gait.web.db import Record, Store

log = logging.getLogger(__name__)

#: Overall progress at the start of each pipeline stage (stage fractions are mapped into these spans).
STAGE_SPANS = {"pose": (0.0, 0.7), "analysis": (0.7, 0.75), "writing": (0.75, 0.8), "video": (0.8, 1.0)}


def analyse_clips(
    side: Path, rear: Path | None, out_dir: Path, *, height_cm: float | None, slowmo_factor: float | None,
    video: bool, progress: Any = None,
) -> dict[str, Any]:
    """Run the pipeline on the uploaded clip(s); returns the report (content of report.json).

    With a rear clip the two are analysed as one two-view session (one merged report, see
    :mod:`gait.session`).
    """
    from gait.config import AnalysisConfig
    from gait.pipeline import run_analysis

    config = replace(AnalysisConfig(), height_cm=height_cm, slowmo_factor=slowmo_factor)
    if rear is None:
        analysis, _paths = run_analysis(side, out_dir, config, progress=progress, video=video)
        return analysis.report
    session, _paths = run_analysis(side, out_dir, config, rear=rear, progress=progress, video=video)
    return session.report


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """The few figures shown in the history list."""
    cadence = report.get("metrics", {}).get("cadence_spm", {}).get("value")
    return {
        "view": report.get("view"),
        "cadence_spm": cadence,
        "n_flags": len(report.get("flags", [])),
        "flags": [f.get("code") for f in report.get("flags", [])],
        "fps": report.get("clip", {}).get("fps"),
        "slowmo_factor": report.get("clip", {}).get("slowmo_factor"),
    }


class _ProgressWriter:
    """``progress(stage, fraction)`` that writes overall progress to the database, at most every 0.5 s."""

    def __init__(self, store: Store, analysis_id: str) -> None:
        self.store, self.id = store, analysis_id
        self.last_t, self.last_stage = 0.0, ""

    def __call__(self, stage: str, fraction: float) -> None:
        lo, hi = STAGE_SPANS.get(stage, (0.0, 1.0))
        overall = lo + (hi - lo) * min(max(fraction, 0.0), 1.0)
        t = time.monotonic()
        if stage != self.last_stage or t - self.last_t >= 0.5:
            self.store.set_progress(self.id, stage, round(overall, 4))
            self.last_t, self.last_stage = t, stage


def user_message(err: BaseException, record: Record) -> str:
    """The pipeline's one-sentence message, naming the user's file instead of the stored name."""
    message = str(err)
    for stored, original in ((record.side_file, record.side_name), (record.rear_file, record.rear_name)):
        if stored and original:
            message = message.replace(Path(stored).name, original)
    return message


def _on_sigterm(signum: int, frame: Any) -> None:  # pragma: no cover - runs in the child
    sys.exit(128 + signum)  # unwinds 'with' blocks, so the pose model's own pool is terminated too


def run_job(db_path: str, data_dir: str, analysis_id: str, video: bool) -> None:
    """Entry point of a worker process: analyse one claimed record and store the outcome."""
    from gait.errors import GaitError

    signal.signal(signal.SIGTERM, _on_sigterm)
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s gait-worker[{os.getpid()}] %(name)s: %(message)s")
    store = Store(db_path)
    record = store.get(analysis_id)
    if record is None or record.status != "running":
        return
    root = Path(data_dir)
    try:
        report = analyse_clips(
            root / record.side_file,
            None if record.rear_file is None else root / record.rear_file,
            root / "analyses" / analysis_id / "out",
            height_cm=record.height_cm,
            slowmo_factor=record.slowmo_factor,
            video=video,
            progress=_ProgressWriter(store, analysis_id),
        )
    except GaitError as err:
        store.fail(analysis_id, user_message(err, record), only_if_running=True)
        return
    except Exception as err:  # a bug, not a user error: record it and keep the server healthy
        log.exception("analysis %s failed", analysis_id)
        store.fail(
            analysis_id,
            f"Internal error ({type(err).__name__}: {err}); please report this with the clip.",
            only_if_running=True,
        )
        return
    store.finish(analysis_id, summary=summarise(report))
