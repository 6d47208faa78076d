"""The analysis queue: a fixed pool of worker slots, each running one spawned process per analysis.

Uploads are queued in SQLite ('queued') and in memory; each slot thread claims the next record and
runs :func:`gait.web.worker.run_job` in a fresh ``spawn`` process, outside any request. A process per
analysis keeps one bad clip from affecting others (a crash fails only its own record) and lets a
deleted or interrupted analysis be stopped.

Each worker leads its own process group (with the pose model's pool) and ends when the server does,
even when the server is killed (see :func:`gait.web.worker.die_with_parent`). Every claim gives the
run a new run number, which fences its database writes (:mod:`gait.web.db`). Processes are started,
signalled and reaped under one lock, so a signal never reaches a process id that was already reused.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import multiprocessing.connection
import os
import queue
import signal
import threading
from multiprocessing.process import BaseProcess

from gait.web.db import Store
from gait.web.worker import run_job

log = logging.getLogger(__name__)

_STOP = object()


class JobQueue:
    """Runs queued analyses with ``workers`` processes at a time."""

    def __init__(self, store: Store, data_dir: str, *, workers: int, video: bool = True) -> None:
        self.store = store
        self.data_dir = data_dir
        self.workers = workers
        self.video = video
        self._queue: queue.Queue[object] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._running: dict[str, tuple[BaseProcess, int]] = {}  # id -> (process, run number)
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = False
        self._ctx = mp.get_context("spawn")

    def start(self) -> None:
        """Start the worker threads, one per slot."""
        for i in range(self.workers):
            thread = threading.Thread(target=self._slot, name=f"gait-analysis-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, analysis_id: str) -> None:
        """Queue an analysis by id."""
        self._queue.put(analysis_id)

    def pending(self) -> int:
        """The number of analyses waiting in the queue."""
        return self._queue.qsize()

    def cancel(self, analysis_id: str, timeout_s: float = 10.0) -> None:
        """Stop the analysis if it is running (waits for its process to end)."""
        with self._lock:
            self._cancelled.add(analysis_id)
            entry = self._running.get(analysis_id)
        if entry is not None:
            self._stop_process(analysis_id, entry[0], timeout_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the slots; running analyses are stopped and put back in the queue for the next start."""
        self._stopping = True
        for _ in self._threads:
            self._queue.put(_STOP)
        with self._lock:
            running = dict(self._running)
        for analysis_id, (proc, run) in running.items():
            self._stop_process(analysis_id, proc, timeout_s)
            self.store.requeue(analysis_id, count_attempt=False, run=run)
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads.clear()

    def _slot(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP or self._stopping:
                return
            assert isinstance(item, str)
            try:
                self._run(item)
            except Exception:  # never let one analysis kill the slot
                log.exception("analysis %s: worker slot error", item)
                self.store.fail(
                    item, "The analysis could not be run (server error); upload the clip again.", only_if_running=True
                )

    def _run(self, analysis_id: str) -> None:
        with self._lock:
            if analysis_id in self._cancelled:
                return  # deleted
            run = self.store.claim(analysis_id)
            if run is None:
                return  # already claimed
            proc = self._ctx.Process(
                target=run_job,
                args=(str(self.store.path), self.data_dir, analysis_id, self.video, run, os.getpid()),
                name=f"gait-analysis-{analysis_id[:8]}",
            )
            proc.start()
            self._running[analysis_id] = (proc, run)
        multiprocessing.connection.wait([proc.sentinel])  # ended (not yet reaped)
        with self._lock:
            if _unreaped(proc):
                _send(proc, signal.SIGTERM, group=True)  # anything it left behind in its process group
            self._running.pop(analysis_id, None)
            proc.join()
            cancelled = analysis_id in self._cancelled
        if cancelled or self._stopping:
            return
        if proc.exitcode != 0:
            self.store.fail(
                analysis_id,
                f"The analysis process stopped unexpectedly (exit code {proc.exitcode}); "
                "upload the clip again, or a shorter clip if this repeats.",
                run=run,
            )
        else:
            self.store.fail(analysis_id, "The analysis ended without a result; upload the clip again.", run=run)

    def _signal(self, analysis_id: str, proc: BaseProcess, sig: int, *, group: bool) -> None:
        with self._lock:
            entry = self._running.get(analysis_id)
            if entry is not None and entry[0] is proc and _unreaped(proc):
                _send(proc, sig, group=group)

    def _stop_process(self, analysis_id: str, proc: BaseProcess, timeout_s: float) -> None:
        """SIGTERM to the run's process group (it unwinds and stops its pool), then SIGKILL if it hangs."""
        self._signal(analysis_id, proc, signal.SIGTERM, group=True)
        if not multiprocessing.connection.wait([proc.sentinel], timeout_s):
            self._signal(analysis_id, proc, signal.SIGKILL, group=False)
            multiprocessing.connection.wait([proc.sentinel], timeout_s)


def _unreaped(proc: BaseProcess) -> bool:
    """Whether ``proc`` is still our child, running or a zombie: its pid (and process group id) cannot be reused yet."""
    if proc.pid is None:
        return False
    if not hasattr(os, "waitid"):  # pragma: no cover - macOS: is_alive() reaps an ended process, so it is not signalled
        return proc.is_alive()
    try:
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _send(proc: BaseProcess, sig: int, *, group: bool) -> None:
    assert proc.pid is not None
    try:
        if group and hasattr(os, "killpg"):
            try:
                os.killpg(proc.pid, sig)  # the worker leads a group of its own once it has started
                return
            except ProcessLookupError:
                pass
        os.kill(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
