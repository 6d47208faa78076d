"""``run_batch``: plan (hash, skip what is done), run on an engine, commit, rebuild the tables."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gait.batch._job import ClipOutcome, ClipTask, Job, PipelineJob, job_id, max_clips
from gait.batch._plan import Item, batch_config, clip_config, plan
from gait.batch._record import clip_marker, now_utc, requested, timings, versions
from gait.batch._store import OutputFolderError, Store, config_hash, write_atomic
from gait.batch._tables import Done, Failed, build_tables, write_tables
from gait.batch.manifest import BatchInputError, ClipEntry, Inputs, load_input
from gait.config import AnalysisConfig, check_output_dir
from gait.errors import ConfigError, GaitError

Engine = Literal["local", "ray"]


@dataclass(frozen=True)
class BatchEvent:
    """Progress of a batch: ``"planned"`` once (``to_run`` known), then ``"clip"`` after each clip."""

    kind: Literal["planned", "clip"]
    to_run: int
    skipped: int = 0
    failed: int = 0
    path: str = ""
    ok: bool = True
    reason: str = ""
    notes: tuple[str, ...] = ()
    """With ``"planned"``: what the plan changed or ignores (duplicate rows, unused settings)."""


@dataclass(frozen=True)
class BidsResult:
    """What :func:`write_batch_bids` wrote: the dataset folder, how many recordings, what failed."""

    root: Path
    written: int
    problems: tuple[str, ...] = ()

    def line(self) -> str:
        """One line saying where the dataset is."""
        failed = f", {len(self.problems)} not written" if self.problems else ""
        return f"BIDS-motion dataset: {self.root} ({self.written} recordings{failed})"


@dataclass(frozen=True)
class BatchSummary:
    """What a run did, counted per input entry.

    ``done``: analysed by this run; ``skipped``: already done; ``failed``: failed in this run, or
    before for a reason of their own (not retried), or unreadable files.
    """

    out_dir: Path
    total: int
    done: int
    skipped: int
    failed: int
    seconds: float
    engine: str
    tables: dict[str, Path] = field(default_factory=dict)
    interrupted: bool = False
    bids: BidsResult | None = None

    def line(self) -> str:
        """One line for the end of a run."""
        m, s = divmod(round(self.seconds), 60)
        took = f"{m} min {s:02d} s" if m else f"{s} s"
        failed = f"{self.failed} failed" + (
            f" (see {self.out_dir / 'failures.csv'})" if self.failed else ""
        )
        head = "interrupted after" if self.interrupted else "batch of"
        return (
            f"{head} {self.total} clips: {self.done} done, {self.skipped} skipped (already done), "
            f"{failed}; {took}"
        )


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _size(path: str | None) -> int:
    try:
        return 0 if path is None else os.stat(path).st_size
    except OSError:
        return 0


class _Run:
    """State of one run: what each folder name's status is, and the commits as outcomes arrive."""

    def __init__(
        self,
        store: Store,
        job: Job,
        items: list[Item],
        progress: Callable[[BatchEvent], None] | None,
    ):
        self.store, self.job, self.items, self.progress = store, job, items, progress
        self.status: dict[str, str | Failed] = {}  # "todo", "skipped", "done" or a failure
        self.labels: dict[str, str] = {}
        self.weight: dict[str, int] = {}  # entries per task (a row listed twice is analysed once)
        self.unreadable = sum(item.task is None for item in items)
        self.todo: list[ClipTask] = []
        self.clip_s: list[float] = []
        self.failed_so_far = 0

    def decide(self, *, resume: bool, retry_failed: bool) -> None:
        wanted = requested(self.job)
        for item in self.items:
            task = item.task
            if task is not None:
                self.weight[task.name] = self.weight.get(task.name, 0) + 1
            if task is None or task.name in self.status:
                continue
            self.labels[task.name] = item.entry.label
            known = self.store.known_failure(task) if resume and not retry_failed else None
            if resume and self.store.is_done(task, wanted):
                self.status[task.name] = "skipped"
            elif known is not None:
                self.status[task.name] = Failed(
                    item.entry, task.name, known["error_type"], known["reason"]
                )
            else:
                self.status[task.name] = "todo"
                self.todo.append(task)
        # Largest files first: a long clip started last would leave the other workers idle at the end.
        self.todo.sort(key=lambda t: -sum(_size(str(p)) for p in t.clips))

    def planned(self, notes: Sequence[str] = ()) -> None:
        self.failed_so_far = self.count(Failed)
        if self.progress is not None:
            event = BatchEvent(
                "planned",
                len(self.todo),
                self.count("skipped"),
                self.failed_so_far,
                notes=tuple(notes),
            )
            self.progress(event)

    def count(self, kind: str | type) -> int:
        """Entries (not tasks) with a status: a string, or the ``Failed`` type (unreadable files too)."""
        if isinstance(kind, type):
            n = self.unreadable
            return n + sum(self.weight[k] for k, s in self.status.items() if isinstance(s, kind))
        return sum(self.weight[k] for k, s in self.status.items() if s == kind)

    def on_outcome(self, task: ClipTask, outcome: ClipOutcome) -> None:
        label = self.labels[task.name]
        self.clip_s.append(outcome.seconds)
        if outcome.ok:
            self.store.commit(task, outcome, clip_marker(task, outcome, self.job, label))
            self.status[task.name] = "done"
        else:
            self.store.record_failure(task, outcome, label)
            entry = ClipEntry(Path(task.path), label)
            self.status[task.name] = Failed(entry, task.name, outcome.error_type, outcome.reason)
            self.failed_so_far += self.weight[task.name]
        if self.progress is not None:
            event = BatchEvent(
                "clip",
                len(self.todo),
                failed=self.failed_so_far,
                path=label,
                ok=outcome.ok,
                reason=outcome.reason,
            )
            self.progress(event)

    def results(self) -> list[Done | Failed]:
        """Each entry's result in input order; entries not run (interrupted) are left out."""
        out: list[Done | Failed] = []
        for item in self.items:
            s = item.unreadable if item.task is None else self.status[item.task.name]
            if isinstance(s, Failed):
                out.append(Failed(item.entry, s.name, s.error_type, s.reason))
            elif s in ("done", "skipped"):
                out.append(item.done())
        return out


def _engine(
    engine: Engine, run: _Run, workers: int | None, address: str | None, timeout_s: float | None
) -> dict[str, Any]:
    if engine == "local":
        from gait.batch._local import run_local

        n = workers or default_workers()
        return run_local(
            run.todo, run.job, workers=n, on_outcome=run.on_outcome, timeout_s=timeout_s
        )
    if engine == "ray":
        from gait.batch._ray import run_ray

        return run_ray(
            run.todo,
            run.job,
            workers=workers,
            address=address,
            on_outcome=run.on_outcome,
            timeout_s=timeout_s,
        )
    raise BatchInputError(f"Expected engine 'local' or 'ray', got '{engine}'.")


def _preflight(run: _Run, config: AnalysisConfig) -> tuple[str, ...]:
    """Problems that would fail every clip are one error, before starting; returns the flag codes.

    Raises
    ------
    GaitError
        The pose model is missing (when videos are to be analysed), the rules file is invalid, or
        the input has two-view rows and the job takes no rear clip.
    """
    from gait.pipeline import prepare

    most = max((len(t.clips) for t in run.todo), default=1)
    if most > max_clips(run.job):
        raise BatchInputError(
            f"The manifest has rows of {most} clips (rear or front columns) but the job {job_id(run.job)} takes "
            f"{'one clip' if max_clips(run.job) == 1 else f'{max_clips(run.job)} clips'} per row (its max_clips); "
            "remove those columns or use a job that analyses sessions of several views."
        )
    video = isinstance(run.job, PipelineJob) and any(t.is_video for t in run.todo)
    return prepare(config, video=video).rules.codes


def run_batch(
    source: str | Path | Sequence[ClipEntry],
    out_dir: str | Path,
    config: AnalysisConfig = AnalysisConfig(),  # noqa: B008 - frozen, as in gait.pipeline
    *,
    engine: Engine = "local",
    workers: int | None = None,
    address: str | None = None,
    resume: bool = True,
    retry_failed: bool = False,
    inputs: Inputs = "videos",
    job: Job | None = None,
    progress: Callable[[BatchEvent], None] | None = None,
    timeout_s: float | None = None,
    bids_dir: str | Path | None = None,
) -> BatchSummary:
    """Analyse every clip of a folder or manifest into ``out_dir``; see :mod:`gait.batch`.

    Parameters
    ----------
    source
        Folder of clips, manifest CSV, or entries (:func:`gait.batch.load_input`).
    config
        Analysis configuration; each manifest row may override ``view``, ``height_cm`` and
        ``slowmo_factor`` (``treadmill_speed_mps`` too, once the analysis takes it).
        ``pose.workers`` is set to 1: the parallelism is across clips.
    engine, workers, address
        ``"local"``: ``workers`` processes (default: the cores). ``"ray"``: Ray tasks on the cluster
        at ``address``, or on a local Ray runtime with ``workers`` CPUs when no address is given.
    resume
        Skip clips whose result for the same content and configuration exists, and clips that
        failed for a reason of their own (bad file, no runner) with the same content and
        configuration. ``False``: analyse every clip again.
    retry_failed
        Retry the clips that failed for a reason of their own, too.
    inputs
        What a folder scan picks up: ``"videos"``, ``"tracks"`` (``.nc``) or ``"both"``.
    job
        ``job(clips, out_dir, config) -> (report, steps[, notes])``, ``clips`` the row's files (a
        manifest's ``rear`` column adds the rear clip, for jobs with ``max_clips`` 2); default
        :class:`PipelineJob`.
    progress
        Called with a :class:`BatchEvent` once planned and after each clip (in this process).
    timeout_s
        Longest time one clip may take (``None``: no limit). A clip that takes longer is stopped
        (its worker process is killed and replaced) and recorded as failed with error type
        ``Timeout``; like a crash, it is tried again by the next run.
    bids_dir
        After the batch, write a BIDS-motion dataset there from every done clip
        (:func:`write_batch_bids`); skipped when the batch is interrupted. A clip that cannot be
        written is listed in ``summary.bids.problems``, it does not fail the batch.

    Raises
    ------
    GaitError
        The input or output folder cannot be used, the input lists two different rows that would
        share a ``clip_id``, the pose model is missing, ``timeout_s`` is not positive, or the engine
        cannot start. A clip's own failure never raises: it is a row of
        ``failures.csv``.
    KeyboardInterrupt
        After writing the tables and ``batch.json`` of the clips finished so far (as for any
        error raised while the clips run).
    """
    t0 = time.perf_counter()
    if timeout_s is not None and not (math.isfinite(timeout_s) and timeout_s > 0):
        raise BatchInputError(
            f"Expected a per-clip time limit > 0 s, got {timeout_s}; "
            "give a positive number of seconds."
        )
    out = Path(out_dir).expanduser().resolve()
    job = PipelineJob() if job is None else job
    entries = load_input(source, inputs=inputs, exclude=[out]) if isinstance(source, (str, Path)) else tuple(source)
    try:
        check_output_dir(out)
    except ConfigError as err:
        raise OutputFolderError(str(err)) from None
    store = Store(out)
    store.prepare()
    config = batch_config(config)
    with store.lock():
        record: dict[str, Any] = {"started_utc": now_utc(), "input": _describe(source)}
        items, warnings = plan(entries, config, job, store)
        run = _Run(store, job, items, progress)
        run.decide(resume=resume, retry_failed=retry_failed)
        codes = _preflight(run, config)
        run.planned(sorted(warnings))
        times = {"plan_s": time.perf_counter() - t0}
        stopped_by: BaseException | None = None
        record["engine"] = {"name": engine}
        t_run = time.perf_counter()
        try:
            record["engine"] = _engine(engine, run, workers, address, timeout_s)
        except BaseException as err:  # noqa: BLE001 - Ctrl-C or a broken engine: keep what is done
            stopped_by = err
        times["run_s"] = time.perf_counter() - t_run
        t_tables = time.perf_counter()
        tables = write_tables(build_tables(run.results(), store, flag_codes=codes), store.root)
        times["tables_s"] = time.perf_counter() - t_tables
        bids, bids_s = None, 0.0
        if bids_dir is not None and stopped_by is None:
            t_bids = time.perf_counter()
            bids = write_batch_bids(run.results(), store.root, config, bids_dir)
            bids_s = time.perf_counter() - t_bids
        summary = BatchSummary(
            out_dir=store.root,
            total=len(items),
            done=run.count("done"),
            skipped=run.count("skipped"),
            failed=run.count(Failed),
            seconds=time.perf_counter() - t0,
            engine=engine,
            tables=tables,
            interrupted=stopped_by is not None,
            bids=bids,
        )
        record["options"] = {
            "resume": resume,
            "retry_failed": retry_failed,
            "timeout_s": timeout_s,
            "job": repr(job),
        }
        if bids is not None:
            record["bids"] = {
                "root": str(bids.root),
                "recordings": bids.written,
                "problems": list(bids.problems),
                "seconds": round(bids_s, 3),
            }
        _write_record(record, summary, run, config, stopped_by, times, sorted(warnings))
    if stopped_by is not None:
        raise stopped_by
    return summary


def _bids_subject(entry: ClipEntry) -> str:
    """The manifest's subject, else the name of the clip's parent folder, else ``"01"``."""
    from gait.pipeline import bids_label

    for text in (entry.subject, Path(entry.label).parent.name):
        if text:
            try:
                return bids_label(text, "subject")
            except ValueError:
                continue
    return "01"


def write_batch_bids(
    results: Sequence[Done | Failed],
    store_root: Path,
    config: AnalysisConfig,
    bids_dir: str | Path,
) -> BidsResult:
    """Write the done clips of a batch as one BIDS-motion dataset (:func:`gait.export.write_bids_motion`).

    Each clip's analysis is rebuilt from its folder without running the pose model:
    ``analyze_track(load_track(clips/<name>/track.nc), clip configuration)``. Subject: the
    manifest's ``subject``, else the clip's parent folder name, else ``"01"``; session: the
    manifest's ``session``; run: 1, 2, ... in input order when a subject and session have several
    clips, none otherwise.

    Parameters
    ----------
    results
        The batch's entries (:meth:`_Run.results`); failed ones are left out.
    store_root
        The batch output folder (holding ``clips/``).
    config
        The batch configuration; each row's manifest settings are applied to it.
    bids_dir
        Dataset folder (created; files of the same names are replaced).

    Returns
    -------
    BidsResult
        Where the dataset is, how many recordings were written, and one sentence per clip (or for
        the whole dataset) that could not be written.
    """
    from gait.pipeline import analyze_track, load_stored_track, write_bids_motion

    root = Path(bids_dir).expanduser().resolve()
    problems: list[str] = []
    loaded: list[tuple[Any, str, str | None]] = []
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, Done) or result.name in seen:
            continue
        seen.add(result.name)
        entry = result.entry
        track_path = store_root / "clips" / result.name / "track.nc"
        try:
            cfg = clip_config(config, entry, set())
            analysis = analyze_track(load_stored_track(track_path), cfg)
        except GaitError as err:
            problems.append(f"{entry.label}: {err}")
            continue
        except Exception as err:  # noqa: BLE001 - one clip must not stop the dataset
            problems.append(f"{entry.label}: {type(err).__name__}: {err}")
            continue
        session = None if entry.session is None else str(entry.session)
        loaded.append((analysis, _bids_subject(entry), session))
    counts: dict[tuple[str, str | None], int] = {}
    for _, subject, session in loaded:
        counts[subject, session] = counts.get((subject, session), 0) + 1
    runs: dict[tuple[str, str | None], int] = {}
    rows = []
    for analysis, subject, session in loaded:
        key = (subject, session)
        runs[key] = runs.get(key, 0) + 1
        rows.append((analysis, subject, session, runs[key] if counts[key] > 1 else None))
    if not rows:
        return BidsResult(root, 0, tuple(problems))
    try:
        written = write_bids_motion(root, rows)
    except (ValueError, OSError) as err:
        problems.append(f"the dataset could not be written: {err}")
        return BidsResult(root, 0, tuple(problems))
    return BidsResult(root, len(written), tuple(problems))


def _describe(source: str | Path | Sequence[ClipEntry]) -> str:
    return str(source) if isinstance(source, (str, Path)) else f"{len(source)} entries"


def _write_record(
    record: dict[str, Any],
    summary: BatchSummary,
    run: _Run,
    config: AnalysisConfig,
    stopped_by: BaseException | None,
    times: dict[str, float],
    warnings: list[str],
) -> None:
    """``batch.json``: what ran, how, with which configuration and versions, and how long it took."""
    record.update(
        status="complete" if stopped_by is None else "interrupted",
        stopped_by=None if stopped_by is None else f"{type(stopped_by).__name__}: {stopped_by}",
        out_dir=str(summary.out_dir),
        finished_utc=now_utc(),
        counts={
            "clips": summary.total,
            "unique_analyses": len(run.status),
            "done": summary.done,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "not_run": run.count("todo"),
        },
        job=job_id(run.job),
        config=config.to_dict(),
        config_hash=config_hash(config.to_dict(), job_id(run.job)),
        versions=versions(),
        timings=timings(**times, wall_s=summary.seconds, clip_s=run.clip_s, done=summary.done),
        warnings=warnings,
        tables=sorted(summary.tables),
    )
    write_atomic(summary.out_dir / "batch.json", json.dumps(record, indent=2, default=str) + "\n")
