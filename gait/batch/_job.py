"""The work of one clip, as it runs inside a worker process (local pool or Ray).

A worker never writes into the batch's output folder: it runs the job in a private temporary folder,
reads back the files the job wrote and returns them, with the outcome, to the driver, which alone
commits results (:mod:`gait.batch._store`). So a worker on another machine of a Ray cluster needs
to read the clips, but not to write where the driver writes; and no half-written result can appear.

A *job* is any picklable callable ``job(clips, out_dir, config) -> (report, steps[, notes])``, where
``clips`` are the row's files (one, or a side and a rear clip of a two-view row), ``report`` is the
``report.json`` dict, ``steps`` the per-step DataFrame and ``notes`` optional problems with
non-essential outputs (kept in ``done.json``); :class:`PipelineJob` (the default) wraps
:func:`gait.pipeline.run_analysis`. Tests pass small jobs of their own. A job may raise anything:
the clip is then recorded as failed. A job says how many clips a row may have with a ``max_clips``
attribute (:func:`max_clips`, default 1); a batch with rows of more clips than its job takes is
refused before any work.

Scratch folders are named after the worker's process id (:func:`scratch_prefix`), so that the local
engine can remove those of a worker it had to kill (:func:`remove_scratch`).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gait.errors import GaitError, ModelFileError

if TYPE_CHECKING:
    import pandas as pd

    from gait.config import AnalysisConfig

log = logging.getLogger(__name__)

Job = Callable[..., tuple[Any, ...]]
"""``job(clips, out_dir, config) -> (report, steps[, notes])``, writing in ``out_dir``."""

#: Written by the worker next to the job's files: the steps at full precision, for the tables.
STEPS_PARQUET = "steps.parquet"
#: Environment of worker processes: one thread per numerical library (clips run in parallel, so more
#: threads only compete for the cores). Both engines set it, so both compute in the same conditions.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: ``error_type`` of a clip stopped for taking longer than the batch's per-clip limit.
TIMEOUT_ERROR = "Timeout"

_prepared = False


def prepare_worker_process() -> None:
    """Once per worker process: thread limits, and the heavy imports done before the first clip."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    for k, v in WORKER_ENV.items():
        os.environ.setdefault(k, v)
    try:
        import cv2

        # as the pose stage's own workers do: cv2's pool competes with FFmpeg and MediaPipe
        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 is a core dependency
        pass


def prepare_job(job: Job) -> None:
    """Run the job's own start-up once per worker process, before it takes a clip.

    That is ``job.prepare()``, when the job has one, so that a clip's time, and its time limit, count only
    the clip's own work.
    """
    prepare = getattr(job, "prepare", None)
    if callable(prepare):
        prepare()


@dataclass(frozen=True)
class ClipTask:
    """What a worker needs to analyse one clip (small and picklable)."""

    name: str  # folder name of the clip's results
    key: str  # content (both clips of a two-view session) + configuration hash
    path: str  # absolute path of the input
    config: AnalysisConfig
    is_video: bool  # the input or one of its extra clips is a video (the pose model is needed)
    #: ``(role, absolute path)`` of the session's other clips (``rear``, ``front``), in role order.
    extras: tuple[tuple[str, str], ...] = ()

    @property
    def rear(self) -> str | None:
        """The rear-view clip of the session, if any."""
        return next((p for role, p in self.extras if role == "rear"), None)

    @property
    def clips(self) -> tuple[Path, ...]:
        """The row's files, as the job receives them: the clip, then its extra clips in role order."""
        return (Path(self.path), *(Path(p) for _, p in self.extras))


@dataclass(frozen=True)
class ClipOutcome:
    """What a worker returns: the files written (success) or the reason (failure).

    ``final`` failures are the clip's own fault (a :class:`~gait.errors.GaitError` other than a
    missing model): the same content and configuration would fail the same way, so a resumed batch
    does not retry them unless asked. Crashes and unexpected exceptions are retried.
    """

    name: str
    key: str
    ok: bool
    files: dict[str, bytes] = field(default_factory=dict)
    error_type: str = ""
    reason: str = ""
    final: bool = False
    detail: str = ""  # traceback of unexpected exceptions (kept in the failure record, not the CSV)
    seconds: float = 0.0
    worker: str = ""  # host:pid
    notes: tuple[str, ...] = ()  # problems with optional outputs, as the job reported them

    @classmethod
    def crashed(
        cls, task: ClipTask, reason: str, error_type: str = "WorkerCrashed", seconds: float = 0.0
    ) -> ClipOutcome:
        """A clip whose worker process died, or whose result never came back."""
        return cls(
            task.name, task.key, ok=False, error_type=error_type, reason=reason, seconds=seconds
        )

    @classmethod
    def timed_out(cls, task: ClipTask, timeout_s: float, seconds: float) -> ClipOutcome:
        """A clip stopped after ``timeout_s``; not final, so the next run tries it again."""
        reason = (
            f"Analysis took longer than the {timeout_s:g} s limit; give it more time with "
            "--timeout-s or analyse a shorter clip."
        )
        return cls.crashed(task, reason, TIMEOUT_ERROR, seconds)


@dataclass(frozen=True)
class PipelineJob:
    """The default job: :func:`gait.pipeline.run_analysis` into the clip's folder.

    It writes ``report.json``, ``steps.csv``, ``report.html``, ``track.nc`` and, with ``video``,
    ``overlay.mp4`` (when the clip is available: video inputs, or tracks whose source video is
    still where it was; it decodes and encodes the clip once more). With extra clips (``rear``,
    ``front``), the clips are analysed as one session: the merged report, every view's steps
    (``view`` column), ``track_<role>.nc`` and, with ``video``, ``overlay_<role>.mp4`` as well. ``exports``: formats of
    :func:`gait.export.write_exports` written into the clip's folder too.
    """

    video: bool = True
    exports: tuple[str, ...] = ()

    #: A row may be one clip, or a side clip with a rear and/or a front clip (a session of views).
    max_clips = 3
    #: Identity of the analysis (not of the optional outputs) for the result key.
    cache_id = "gait.pipeline.run_analysis"

    def requested_outputs(self) -> frozenset[str]:
        """Optional outputs asked for; a result made without one of them is redone when it is asked."""
        from gait.pipeline import export_file_names  # light: the writers import their libraries when used

        names = {"overlay.mp4"} if self.video else set()
        return frozenset(names | {f"export:{name}" for name in export_file_names(self.exports).values()})

    def prepare(self) -> None:
        """Import the analysis stack and the pose model's library (seconds) before the first clip."""
        from gait.pipeline import warm_up

        warm_up()

    def __call__(
        self, clips: tuple[Path, ...], out_dir: Path, config: AnalysisConfig
    ) -> tuple[dict[str, Any], pd.DataFrame]:
        from gait.pipeline import run_analysis

        session, _ = run_analysis(list(clips), out_dir, config, video=self.video, exports=self.exports)
        return session.report.to_dict(), session.metrics.steps


def max_clips(job: Job) -> int:
    """How many clips one row may give ``job`` (its ``max_clips`` attribute; 1 if it has none)."""
    return int(getattr(job, "max_clips", 1))


def scratch_prefix(pid: int | None = None) -> str:
    """Name prefix of the scratch folders of worker process ``pid`` (default: this process)."""
    return f"gait-batch-{os.getpid() if pid is None else pid}-"


def remove_scratch(pid: int) -> None:
    """Remove the scratch folders a killed worker process ``pid`` of this machine left behind."""
    for folder in Path(tempfile.gettempdir()).glob(f"{scratch_prefix(pid)}*"):
        shutil.rmtree(folder, ignore_errors=True)


def _read_tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _failure(task: ClipTask, err: Exception, seconds: float, worker: str) -> ClipOutcome:
    if isinstance(err, GaitError):
        return ClipOutcome(
            task.name,
            task.key,
            ok=False,
            error_type=type(err).__name__,
            reason=str(err),
            final=not isinstance(err, ModelFileError),
            seconds=seconds,
            worker=worker,
        )
    return ClipOutcome(
        task.name,
        task.key,
        ok=False,
        error_type=type(err).__name__,
        reason=f"unexpected error: {type(err).__name__}: {err}".strip().rstrip(":"),
        detail="".join(traceback.format_exception(err)),
        seconds=seconds,
        worker=worker,
    )


def run_job(task: ClipTask, job: Job) -> ClipOutcome:
    """Run ``job`` on one clip in a private temporary folder and return its files or its failure.

    Every ``Exception`` becomes a failed outcome; ``BaseException`` (``KeyboardInterrupt``,
    ``SystemExit``) propagates, and the engine records the clip as crashed if the process dies.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=scratch_prefix()))
    try:
        out = tmp / "out"
        out.mkdir()
        try:
            _report, steps, *rest = job(task.clips, out, task.config)
            steps.to_parquet(out / STEPS_PARQUET, index=False)
            notes = tuple(str(n) for n in rest[0]) if rest else ()
            files = _read_tree(out)
        except Exception as err:  # noqa: BLE001 - failure isolation: an error is the clip's outcome
            return _failure(task, err, time.perf_counter() - t0, worker)
        return ClipOutcome(
            task.name,
            task.key,
            ok=True,
            files=files,
            seconds=time.perf_counter() - t0,
            worker=worker,
            notes=notes,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def job_id(job: Job) -> str:
    """Identity of a job for the result key: its ``cache_id`` attribute, else its qualified name."""
    cid = getattr(job, "cache_id", None)
    if isinstance(cid, str):
        return cid
    target = job if hasattr(job, "__qualname__") else type(job)
    return f"{target.__module__}.{target.__qualname__}"
