"""Local engine: long-lived worker processes (spawn), each analysing one clip at a time.

Not :class:`multiprocessing.pool.Pool` nor :class:`concurrent.futures.ProcessPoolExecutor`: when a
worker dies mid-clip (killed, out of memory, a crash in native code), ``Pool`` waits forever for
the lost task and ``ProcessPoolExecutor`` breaks and fails *every* pending clip without saying which
one killed it. Here each worker has its own pipe, the driver watches each process's sentinel, so a
dead worker fails exactly the clip it was running and is replaced.

Workers are reused across clips (imports, model-file checks and native libraries are loaded once per
process), ignore SIGINT (Ctrl-C stops the driver, which stops them) and run with one thread per
numerical library (:data:`gait.batch._job.WORKER_ENV`), since the parallelism is across clips.

With a per-clip time limit (``timeout_s``), the driver kills (SIGKILL) a worker whose clip runs
longer, records the clip as timed out and starts a fresh worker for the clips still to run; the
clock starts when the clip is sent to a worker that is ready, i.e. that has done its start-up
(imports, and the job's own ``prepare()``), so the limit counts only the clip's own work. The
scratch folders of a killed, crashed or terminated worker are removed by the driver
(:func:`gait.batch._job.remove_scratch`).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from gait.batch._job import (
    WORKER_ENV,
    ClipOutcome,
    ClipTask,
    Job,
    prepare_job,
    prepare_worker_process,
    remove_scratch,
    run_job,
)
from gait.errors import GaitError

OnOutcome = Callable[[ClipTask, ClipOutcome], None]
#: Seconds a worker gets to finish after the driver asks it to stop (after that it is terminated).
STOP_GRACE_S = 5.0
#: Seconds a new worker gets to import gait and report ready.
START_TIMEOUT_S = 120.0
_READY = "ready"


class WorkerStartError(GaitError, RuntimeError):
    """Worker processes die before they can take a clip (a broken installation, not a bad clip)."""


def _worker_main(conn: Connection, job: Job) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    prepare_worker_process()
    prepare_job(job)  # imports before 'ready': a clip's time limit counts only its own work
    conn.send(_READY)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the driver is gone
            return
        if task is None:
            return
        outcome = run_job(task, job)
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Slot:
    proc: BaseProcess
    conn: Connection
    task: ClipTask | None = None
    started: float = 0.0


@contextlib.contextmanager
def _child_env() -> Iterator[None]:
    """Set :data:`WORKER_ENV` while starting children (they copy the environment at start)."""
    saved = {k: os.environ.get(k) for k in WORKER_ENV}
    os.environ.update(WORKER_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _spawn(ctx: Any, job: Job) -> _Slot:
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker_main, args=(child, job), name="gait-batch-worker")
    with _child_env():
        proc.start()
    child.close()
    return _Slot(proc, parent)


def _await_ready(slot: _Slot) -> None:
    """Wait for a new worker's ready message; a worker that dies first is an installation problem."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if slot.conn.poll(0.2) and slot.conn.recv() == _READY:
                return
        except (EOFError, OSError):
            break
        if not slot.proc.is_alive() and not slot.conn.poll():
            break
    slot.proc.join(1.0)
    if slot.proc.is_alive():
        slot.proc.terminate()
    raise WorkerStartError(
        f"Batch worker processes cannot start (exit code {slot.proc.exitcode}); run 'gait --debug batch ...' "
        "or check the installation with 'gait info'."
    )


def _start_all(ctx: Any, job: Job, n: int) -> list[_Slot]:
    slots = [_spawn(ctx, job) for _ in range(n)]
    try:
        for s in slots:
            _await_ready(s)
    except BaseException:
        _stop(slots, hard=True)
        raise
    return slots


def _death_reason(proc: BaseProcess) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the worker process analysing this clip was killed by {name}{hint}"
    return f"the worker process analysing this clip exited unexpectedly (exit code {code})"


def _collect(slot: _Slot) -> ClipOutcome | None:
    """The outcome of a busy slot whose pipe or process became ready; ``None`` if nothing happened."""
    assert slot.task is not None
    try:
        if slot.conn.poll():
            return slot.conn.recv()
    except (EOFError, OSError):
        pass
    if slot.proc.is_alive():
        return None
    slot.proc.join()
    assert slot.proc.pid is not None  # _spawn started it
    remove_scratch(slot.proc.pid)
    return ClipOutcome.crashed(
        slot.task, _death_reason(slot.proc), seconds=time.perf_counter() - slot.started
    )


def _elapsed_s(slot: _Slot) -> float:
    return time.perf_counter() - slot.started


def _stop_overdue(slot: _Slot, timeout_s: float) -> ClipOutcome:
    """Kill the worker of a clip that ran past ``timeout_s``; the clip's outcome is a timeout."""
    assert slot.task is not None
    seconds = _elapsed_s(slot)
    slot.proc.kill()
    slot.proc.join()
    assert slot.proc.pid is not None  # _spawn started it
    remove_scratch(slot.proc.pid)
    return ClipOutcome.timed_out(slot.task, timeout_s, seconds)


def _wait_s(busy: list[_Slot], timeout_s: float | None) -> float:
    """How long to wait for a result: at most 1 s, and no later than the first clip's time limit."""
    if timeout_s is None or not busy:
        return 1.0
    first = min(s.started for s in busy) + timeout_s - time.perf_counter()
    return min(1.0, max(0.0, first) + 0.01)


def _stop(slots: list[_Slot], *, hard: bool) -> None:
    for s in slots:
        if hard:
            s.proc.terminate()
        else:
            with contextlib.suppress(OSError):
                s.conn.send(None)
    deadline = time.monotonic() + STOP_GRACE_S
    for s in slots:
        s.proc.join(max(0.0, deadline - time.monotonic()))
        if s.proc.is_alive():
            s.proc.terminate()
            s.proc.join()
        s.conn.close()
        if s.proc.pid is not None:  # a worker terminated mid-clip leaves its scratch folder
            remove_scratch(s.proc.pid)


def run_local(
    tasks: Sequence[ClipTask],
    job: Job,
    *,
    workers: int,
    on_outcome: OnOutcome,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Run ``job`` on every task with ``workers`` processes; ``on_outcome`` is called in the driver.

    A clip still running after ``timeout_s`` seconds (``None``: no limit) is stopped by killing its
    worker (see the module notes). Returns engine details for ``batch.json``.
    ``KeyboardInterrupt`` (raised in the driver, e.g. by Ctrl-C or by ``on_outcome``) terminates
    the workers and propagates; clips already reported through ``on_outcome`` are unaffected.
    """
    ctx = mp.get_context("spawn")
    pending = deque(tasks)
    n_workers = max(1, min(workers, len(tasks)))
    slots: list[_Slot] = []
    info: dict[str, Any] = {
        "name": "local",
        "workers": n_workers,
        "start_method": "spawn",
        "workers_replaced": 0,
        "timed_out": 0,
    }
    if not tasks:
        return info
    hard = True
    try:
        slots = _start_all(ctx, job, n_workers)
        while pending or any(s.task is not None for s in slots):
            for i, s in enumerate(slots):
                if s.task is None and pending:
                    if not s.proc.is_alive():  # died while idle: replace before giving it work
                        s.conn.close()
                        s = slots[i] = _start_all(ctx, job, 1)[0]
                        info["workers_replaced"] += 1
                    s.task, s.started = pending.popleft(), time.perf_counter()
                    s.conn.send(s.task)
            busy = [s for s in slots if s.task is not None]
            wait(
                [s.conn for s in busy] + [s.proc.sentinel for s in busy],
                timeout=_wait_s(busy, timeout_s),
            )
            for i, s in enumerate(slots):
                if s.task is None:
                    continue
                outcome = _collect(s)
                if outcome is None and timeout_s is not None and _elapsed_s(s) > timeout_s:
                    outcome = _stop_overdue(s, timeout_s)
                    info["timed_out"] += 1
                if outcome is None:
                    continue
                task, s.task = s.task, None
                if not s.proc.is_alive():
                    s.conn.close()
                    slots[i] = _start_all(ctx, job, 1)[0] if pending else s
                    info["workers_replaced"] += bool(pending)
                on_outcome(task, outcome)
        hard = False
    finally:
        _stop([s for s in slots if s.proc.is_alive()], hard=hard)
    return info
