"""Events corrected by hand: recompute a finished analysis from its stored track, and undo that.

The run folder of a finished analysis keeps the automatic results in ``auto/`` (``report.json``,
``steps.csv``, ``report.html``) from the first correction on; ``report.json`` and the other files
served are then the corrected ones, until :func:`restore_events` puts the automatic ones back. The
overlay video keeps the automatic events (it is not redrawn). No pose model runs: the stored raw
track (``track.nc``) is analysed again with :func:`gait.pipeline.reanalyze_with_events`.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from gait.web.db import Record
from gait.web.uploads import Services
from gait.web.worker import summarise

#: Files rewritten by a correction (saved in ``auto/`` first).
CORRECTED_FILES = ("report.json", "steps.csv", "report.html")
AUTO_DIR = "auto"
#: One correction or undo at a time in this server (they rewrite the same files).
_LOCK = threading.Lock()


class CorrectionError(Exception):
    """A correction that cannot be applied: an HTTP status and a one-sentence message."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _run_dir(services: Services, record: Record) -> Path:
    if record.status != "done":
        raise CorrectionError(409, f"This analysis is {record.status}; events can be corrected once it is done.")
    if record.extra_clips:
        raise CorrectionError(
            422, "Correcting the events of a multi-view session is not supported yet; correct a single-clip analysis."
        )
    folder = services.output_dir(record)
    if folder is None or not (folder / "track.nc").is_file():
        raise CorrectionError(
            409, "This analysis has no stored pose track, so its events cannot be corrected; analyse the clip again."
        )
    return folder


def is_corrected(services: Services, record: Record) -> bool:
    """Whether the analysis's served results come from events corrected by hand."""
    folder = services.output_dir(record)
    return folder is not None and (folder / AUTO_DIR / "report.json").is_file()


def correct_events(services: Services, record: Record, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Recompute the analysis from ``events`` (the full list: foot, type, frame); returns the new report.

    Raises
    ------
    CorrectionError
        The analysis is not done, is a two-view session, has no stored track, or an event is invalid.
    """
    with _LOCK:
        return _correct(services, record, events)


def _correct(services: Services, record: Record, events: list[dict[str, Any]]) -> dict[str, Any]:
    from gait.config import AnalysisConfig
    from gait.errors import GaitError
    from gait.pipeline import load_stored_track, reanalyze_with_events, write_outputs

    folder = _run_dir(services, record)
    config = replace(AnalysisConfig(), height_cm=record.height_cm, slowmo_factor=record.slowmo_factor)
    track = load_stored_track(folder / "track.nc")
    try:
        analysis = reanalyze_with_events(track, events, config)
    except GaitError as err:
        raise CorrectionError(422, str(err)) from None
    auto = folder / AUTO_DIR
    if not (auto / "report.json").is_file():
        auto.mkdir(exist_ok=True)
        for name in CORRECTED_FILES:
            if (folder / name).is_file():
                shutil.copy2(folder / name, auto / name)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".correct-") as tmp:
        write_outputs(analysis, tmp, video=False)
        for name in CORRECTED_FILES:
            (Path(tmp) / name).replace(folder / name)
    report = analysis.report.to_dict()
    services.store.set_summary(record.id, {**summarise(report), "events_corrected": True})
    services.storage.changed()
    return report


def restore_events(services: Services, record: Record) -> dict[str, Any]:
    """Put the automatic results back; returns the automatic report.

    Raises
    ------
    CorrectionError
        The analysis is not done or its events were not corrected.
    """
    with _LOCK:
        return _restore(services, record)


def _restore(services: Services, record: Record) -> dict[str, Any]:
    import json

    folder = _run_dir(services, record)
    auto = folder / AUTO_DIR
    if not (auto / "report.json").is_file():
        raise CorrectionError(
            409, "The events of this analysis were not corrected by hand, so there is nothing to undo."
        )
    report = json.loads((auto / "report.json").read_text())
    for name in CORRECTED_FILES:
        if (auto / name).is_file():
            (auto / name).replace(folder / name)
    shutil.rmtree(auto, ignore_errors=True)
    services.store.set_summary(record.id, summarise(report))
    services.storage.changed()
    return report
