"""Ray engine: the same job as the local engine, one Ray task per clip. The only ``import ray``.

Each task asks for one CPU and is never retried by Ray (``max_retries=0``): a failure is recorded
and the next run retries it (see :mod:`gait.batch._store`). Ray keeps its worker processes and
reuses them for later tasks of the same function (``max_calls`` unlimited, Ray's default for CPU
tasks), so the imports and per-process set-up (:func:`~gait.batch._job.prepare_worker_process`)
happen once per worker process, not once per clip. What is rebuilt per clip is MediaPipe's
landmarker graph: in VIDEO mode it tracks the person from frame to frame, so a clip must start from
a fresh tracker for its result to be the same whichever worker and whichever clip came before (the
local engine does the same). No more than ``workers`` tasks are in flight (default: the cluster's
CPUs), so Ctrl-C has little to cancel.

With a per-clip time limit (``timeout_s``), a task still running when its time is up is cancelled
with ``ray.cancel(force=True)``, which kills its worker process (Ray starts another for the next
tasks), and the clip is recorded as timed out. The clock starts when the task starts the clip's
own work, after its worker process has started and done its imports (the job's ``prepare()``):
each task tells a small actor (:class:`_Clock`, no CPU) when it starts, and the driver asks it.
The scratch folder of a killed Ray worker is left in its machine's temporary folder.

With no address, a local Ray runtime is started (``ray.init(address="local", num_cpus=workers,
include_dashboard=False)``) and shut down at the end; an already initialised Ray (e.g. in a
notebook or a test) is used as it is. On a cluster, every node must see the clips at the same
absolute paths (shared storage) and have gait installed; results travel back to the driver, which
alone writes the output folder, so the output folder need not be shared.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from gait.batch._job import (
    WORKER_ENV,
    ClipOutcome,
    ClipTask,
    Job,
    prepare_job,
    prepare_worker_process,
    run_job,
)
from gait.errors import GaitError

OnOutcome = Callable[[ClipTask, ClipOutcome], None]


class RayEngineError(GaitError, RuntimeError):
    """Ray is missing, or the Ray cluster cannot be reached."""


def _run_clip(task: ClipTask, job: Job, clock: Any = None) -> ClipOutcome:
    prepare_worker_process()
    prepare_job(job)
    if clock is not None:
        clock.start.remote(task.name)  # the time limit counts from here
    return run_job(task, job)


class _Clock:
    """When each task started its clip (a Ray actor).

    Its clock is the only one used, so the machines' clocks need not agree.
    """

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def start(self, name: str) -> None:
        self.started.setdefault(name, time.monotonic())

    def elapsed(self) -> dict[str, float]:
        """Seconds since each started task started."""
        now = time.monotonic()
        return {name: now - t for name, t in self.started.items()}


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayEngineError(
            "The Ray engine needs Ray, which is not installed; run pip install 'gait[batch]' or use --engine local."
        ) from None
    return ray


def _connect(ray: Any, address: str | None, workers: int | None) -> bool:
    """Initialise Ray unless it already is; returns whether this call started it."""
    if ray.is_initialized():
        return False
    common = {
        "log_to_driver": False,
        "logging_level": logging.ERROR,
        "runtime_env": {"env_vars": dict(WORKER_ENV)},
    }
    try:
        if address:
            ray.init(address=address, **common)
        else:
            ray.init(address="local", num_cpus=workers, include_dashboard=False, **common)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at '{address}'" if address else "a local Ray runtime"
        raise RayEngineError(
            f"Cannot start or reach {where} ({err}); check the address or use --engine local."
        ) from None
    return True


def _failure(ray: Any, task: ClipTask, err: Exception, seconds: float) -> ClipOutcome:
    exc = ray.exceptions
    if isinstance(err, exc.OutOfMemoryError):
        return ClipOutcome.crashed(
            task, "Ray killed the worker analysing this clip to free memory", "OutOfMemory", seconds
        )
    if isinstance(err, exc.WorkerCrashedError):
        return ClipOutcome.crashed(
            task, "the Ray worker process analysing this clip died", "WorkerCrashed", seconds
        )
    if isinstance(err, exc.RayTaskError):
        cause = err.cause if isinstance(getattr(err, "cause", None), BaseException) else err
        return ClipOutcome.crashed(
            task, f"Ray task failed: {type(cause).__name__}: {cause}", type(cause).__name__, seconds
        )
    return ClipOutcome.crashed(
        task, f"Ray error: {type(err).__name__}: {err}", type(err).__name__, seconds
    )


def _wait_s(running: dict[Any, tuple[ClipTask, float | None]], timeout_s: float | None) -> float:
    """How long to wait for a result: at most 1 s, and no later than the first task's time limit."""
    started = [t for _, t in running.values() if t is not None]
    if timeout_s is None or not started:
        return 1.0
    first = min(started) + timeout_s - time.perf_counter()
    return min(1.0, max(0.0, first) + 0.01)


def run_ray(  # noqa: C901 - one scheduling loop (submit, wait, time out); split it with the Ray tests at hand
    tasks: Sequence[ClipTask],
    job: Job,
    *,
    workers: int | None,
    address: str | None,
    on_outcome: OnOutcome,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Run ``job`` on every task as Ray tasks; ``on_outcome`` is called in the driver.

    See the module notes. A task still running ``timeout_s`` seconds (``None``: no limit) after it
    started its clip's own work is cancelled, killing its worker process, and its clip recorded as
    timed out.
    """
    ray = _import_ray()
    t0 = time.perf_counter()
    started = _connect(ray, address, workers)
    info: dict[str, Any] = {
        "name": "ray",
        "ray_version": ray.__version__,
        "address": address or "local",
        "started_runtime": started,
        "init_s": round(time.perf_counter() - t0, 3),
        "timed_out": 0,
    }
    # task -> (clip, when its own work started in driver time; None until the clock says so)
    running: dict[Any, tuple[ClipTask, float | None]] = {}
    submitted: dict[Any, float] = {}
    clock: Any = None
    cancelled = True
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        window = max(1, min(workers or cpus, cpus))
        info.update(cluster_cpus=cpus, workers=window)
        remote = ray.remote(num_cpus=1, max_retries=0)(_run_clip)
        if timeout_s is not None:
            clock = ray.remote(num_cpus=0)(_Clock).remote()
        job_ref = ray.put(job)
        queue = list(reversed(tasks))

        def finish(ref: Any) -> None:
            task, t_start = running.pop(ref)
            t0 = submitted.pop(ref)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as err:
                outcome = _failure(ray, task, err, time.perf_counter() - (t_start or t0))
            on_outcome(task, outcome)

        def read_clock() -> None:
            waiting = {task.name: ref for ref, (task, t) in running.items() if t is None}
            if not waiting:
                return
            now = time.perf_counter()
            for name, elapsed in ray.get(clock.elapsed.remote()).items():
                if name in waiting:
                    running[waiting[name]] = (running[waiting[name]][0], now - elapsed)

        while queue or running:
            while queue and len(running) < window:
                task = queue.pop()
                ref = remote.remote(task, job_ref, clock)
                running[ref], submitted[ref] = (task, None), time.perf_counter()
            ready, _ = ray.wait(list(running), num_returns=1, timeout=_wait_s(running, timeout_s))
            for ref in ready:
                finish(ref)
            if timeout_s is None:
                continue
            read_clock()
            now = time.perf_counter()
            overdue = [
                ref for ref, (_, t) in running.items() if t is not None and now - t > timeout_s
            ]
            if not overdue:
                continue
            # finished meanwhile: a result, not a timeout
            ready, overdue = ray.wait(overdue, num_returns=len(overdue), timeout=0)
            for ref in ready:
                finish(ref)
            for ref in overdue:
                task, t_start = running.pop(ref)
                submitted.pop(ref, None)
                ray.cancel(ref, force=True)
                info["timed_out"] += 1
                on_outcome(task, ClipOutcome.timed_out(task, timeout_s, now - (t_start or now)))
        cancelled = False
    finally:
        if cancelled:
            for ref in running:
                ray.cancel(ref, force=True)
        if clock is not None:
            ray.kill(clock)
        if started:
            t1 = time.perf_counter()
            ray.shutdown()
            info["shutdown_s"] = round(time.perf_counter() - t1, 3)
    return info
