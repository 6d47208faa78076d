"""The analysis queue: a fixed pool of worker slots, each running one spawned process per analysis.

Uploads are queued in SQLite ('queued') and in memory; each slot thread claims the next record and
runs :func:`gait.web.worker.run_job` in a fresh ``spawn`` process, outside any request. A process per
analysis keeps one bad clip from affecting others (a crash fails only its own record) and lets a
deleted or interrupted analysis be stopped.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
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
        self._running: dict[str, BaseProcess] = {}
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = False
        self._ctx = mp.get_context("spawn")

    def start(self) -> None:
        for i in range(self.workers):
            thread = threading.Thread(target=self._slot, name=f"gait-analysis-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, analysis_id: str) -> None:
        self._queue.put(analysis_id)

    def pending(self) -> int:
        return self._queue.qsize()

    def cancel(self, analysis_id: str, timeout_s: float = 10.0) -> None:
        """Stop the analysis if it is running (waits for its process to end)."""
        with self._lock:
            self._cancelled.add(analysis_id)
            proc = self._running.get(analysis_id)
        if proc is not None:
            _stop_process(proc, timeout_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the slots; running analyses are stopped and put back in the queue for the next start."""
        self._stopping = True
        for _ in self._threads:
            self._queue.put(_STOP)
        with self._lock:
            running = dict(self._running)
        for analysis_id, proc in running.items():
            _stop_process(proc, timeout_s)
            self.store.requeue(analysis_id, count_attempt=False)
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
                self.store.fail(item, "The analysis could not be run (server error); upload the clip again.", only_if_running=True)

    def _run(self, analysis_id: str) -> None:
        with self._lock:
            if analysis_id in self._cancelled or not self.store.claim(analysis_id):
                return  # deleted, or already claimed
            proc = self._ctx.Process(
                target=run_job,
                args=(str(self.store.path), self.data_dir, analysis_id, self.video),
                name=f"gait-analysis-{analysis_id[:8]}",
            )
            proc.start()
            self._running[analysis_id] = proc
        proc.join()
        with self._lock:
            self._running.pop(analysis_id, None)
            cancelled = analysis_id in self._cancelled
        if proc.exitcode != 0 and not cancelled and not self._stopping:
            self.store.fail(
                analysis_id,
                f"The analysis process stopped unexpectedly (exit code {proc.exitcode}); "
                "upload the clip again, or a shorter clip if this repeats.",
                only_if_running=True,
            )
        elif not cancelled and not self._stopping:
            self.store.fail(analysis_id, "The analysis ended without a result; upload the clip again.", only_if_running=True)


def _stop_process(proc: BaseProcess, timeout_s: float) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(timeout_s)
    if proc.is_alive():
        proc.kill()
        proc.join(timeout_s)
