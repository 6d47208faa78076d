"""What runs inside an analysis worker process (spawned, never the web server's process).

:func:`analyse_clips` is the one place the web app calls the pipeline.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from gait.web.db import Record, Store

log = logging.getLogger(__name__)

#: Overall progress at the start of each pipeline stage (stage fractions are mapped into these spans).
STAGE_SPANS = {"pose": (0.0, 0.7), "analysis": (0.7, 0.75), "writing": (0.75, 0.8), "video": (0.8, 1.0)}


def analyse_clips(
    clips_by_role: list[tuple[str, Path]], out_dir: Path, *, height_cm: float | None, slowmo_factor: float | None,
    video: bool, progress: Any = None,
) -> dict[str, Any]:
    """Run the pipeline on the uploaded clips; returns the report (content of report.json).

    ``clips_by_role``: ``(role, path)``, the side clip first. With a rear or a front clip the clips are
    analysed as one session (one merged report, see :func:`gait.pipeline.analyze`); a clip whose view
    does not fit the field it was uploaded in is analysed by its detected view, with a note.
    """
    from gait.config import AnalysisConfig, ClipSpec
    from gait.pipeline import run_analysis

    roles = len(clips_by_role) > 1
    clips = [
        ClipSpec(p, height_cm=height_cm, slowmo_factor=slowmo_factor, role=role if roles else None)
        for role, p in clips_by_role
    ]
    session, _paths = run_analysis(clips, out_dir, AnalysisConfig(), progress=progress, video=video)
    return session.report.to_dict()


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


class LeaseLost(BaseException):
    """The run no longer owns its analysis (re-queued after a crash, deleted): stop, write nothing more.

    A ``BaseException``, like ``SystemExit``, so that no ``except Exception`` in the pipeline catches it.
    """


class _ProgressWriter:
    """``progress(stage, fraction)`` that writes overall progress to the database, at most every 0.5 s.

    Each write is fenced by the run number: when the run no longer owns the record, it raises
    :class:`LeaseLost` instead (the pipeline calls it between frames and before writing any output).
    """

    def __init__(self, store: Store, analysis_id: str, run: int, parent_pid: int | None = None) -> None:
        self.store, self.id, self.run, self.parent_pid = store, analysis_id, run, parent_pid
        self.last_t, self.last_stage = 0.0, ""

    def __call__(self, stage: str, fraction: float) -> None:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            raise LeaseLost("the server that started this run is gone")
        lo, hi = STAGE_SPANS.get(stage, (0.0, 1.0))
        overall = lo + (hi - lo) * min(max(fraction, 0.0), 1.0)
        t = time.monotonic()
        if stage != self.last_stage or t - self.last_t >= 0.5:
            if not self.store.set_progress(self.id, self.run, stage, round(overall, 4)):
                raise LeaseLost(f"run {self.run} no longer owns analysis {self.id}")
            self.last_t, self.last_stage = t, stage


def user_message(err: BaseException, record: Record) -> str:
    """The pipeline's one-sentence message, naming the user's file instead of the stored name."""
    message = str(err)
    for clip in record.clip_list:
        stored, original = clip.file, clip.name
        if stored and original:
            message = message.replace(Path(stored).name, original)
    return message


def run_folder(analysis_id: str, run: int) -> str:
    """Where run ``run`` writes its outputs, relative to the data directory: every run has its own."""
    return f"analyses/{analysis_id}/run-{run}"


_stopping = False


def _on_sigterm(signum: int, frame: Any) -> None:  # pragma: no cover - runs in the child
    global _stopping
    if _stopping:  # a second SIGTERM (the server and the kernel both asked): already unwinding
        return
    _stopping = True
    signal.alarm(10)  # if unwinding hangs, SIGALRM's default action ends the process
    sys.exit(128 + signum)  # unwinds 'with' blocks, so the pose model's own pool is terminated too


#: ``prctl`` option: the signal this process gets when the thread that started it ends (Linux).
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Make this process end with the server that started it, even when the server is killed (-9).

    On Linux the kernel sends SIGTERM when the parent goes (``prctl(PR_SET_PDEATHSIG)``); elsewhere,
    and for a parent that died before the call, a watchdog thread checks the parent every half second.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, name="gait-parent-watch", daemon=True).start()


def _own_process_group() -> None:
    """Lead a process group of its own (the pose model's pool joins it).

    Then the server can stop the run with everything it started, and a Ctrl-C meant for the server does not
    reach it first.
    """
    with contextlib.suppress(OSError, AttributeError):  # already a group leader
        os.setpgid(0, 0)


def run_job(
    db_path: str, data_dir: str, analysis_id: str, video: bool, run: int, parent_pid: int | None = None
) -> None:
    """Entry point of a worker process: analyse one claimed record (run ``run``) and store the outcome.

    The outputs go to this run's own folder; the record is marked done, pointing at that folder,
    only if this run still owns it. Folders of earlier runs are removed.
    """
    from gait.errors import GaitError

    signal.signal(signal.SIGTERM, _on_sigterm)
    _own_process_group()
    if parent_pid is not None:
        die_with_parent(parent_pid)
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s gait-worker[{os.getpid()}] %(name)s: %(message)s")
    store = Store(db_path)
    record = store.get(analysis_id)
    if record is None or record.status != "running" or record.run_number != run:
        return
    root = Path(data_dir)
    folder = run_folder(analysis_id, run)
    out_dir = root / folder
    remove_earlier_runs(out_dir.parent, run)  # interrupted runs' partial outputs
    try:
        report = analyse_clips(
            [(clip.role, root / clip.file) for clip in record.clip_list],
            out_dir,
            height_cm=record.height_cm,
            slowmo_factor=record.slowmo_factor,
            video=video,
            progress=_ProgressWriter(store, analysis_id, run, parent_pid),
        )
    except LeaseLost as lost:
        log.warning("analysis %s: stopped, %s", analysis_id, lost)
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    except GaitError as err:
        store.fail(analysis_id, user_message(err, record), run=run)
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    except Exception as err:  # a bug, not a user error: record it and keep the server healthy
        log.exception("analysis %s failed", analysis_id)
        store.fail(
            analysis_id,
            f"Internal error ({type(err).__name__}: {err}); please report this with the clip.",
            run=run,
        )
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    if not store.finish(analysis_id, run, summary=summarise(report), output_dir=folder):
        log.warning("analysis %s: run %d finished after it was superseded; its results are dropped", analysis_id, run)
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    remove_earlier_runs(out_dir.parent, run)  # (again: a superseded run may have gone on writing)


def remove_earlier_runs(analysis_dir: Path, run: int) -> None:
    """Delete the output folders of runs before ``run`` (interrupted or superseded), never a later one's."""
    for child in analysis_dir.iterdir() if analysis_dir.is_dir() else ():
        number = child.name.removeprefix("run-")
        earlier = child.name == "out" or (child.name.startswith("run-") and number.isdigit() and int(number) < run)
        if earlier and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
