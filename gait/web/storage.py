"""How much the data folder holds, what may still be stored, and how fast one client may upload."""

from __future__ import annotations

import math
import os
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path


def size_text(n_bytes: float) -> str:
    """'640 kB', '0.6 MB', '12.3 GB': short, for people."""
    mb = n_bytes / (1024 * 1024)
    if mb >= 1024:
        return f"{mb / 1024:.3g} GB"
    if mb >= 0.1:
        return f"{mb:.3g} MB"
    return f"{max(n_bytes / 1024, 0):.0f} kB"


def folder_bytes(folder: Path) -> int:
    """Bytes of all regular files below ``folder`` (0 if it does not exist); never follows links."""
    total = 0
    stack = [str(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            total += entry.stat(follow_symlinks=False).st_size
                    except OSError:  # removed while we looked
                        continue
        except OSError:
            continue
    return total


@dataclass(frozen=True)
class Usage:
    """The storage used (with uploads in progress), its limit and the free disk, in bytes."""

    used_bytes: int
    limit_bytes: int
    free_disk_bytes: int

    @property
    def text(self) -> str:
        """The used storage against its limit, in words (e.g. ``1.2 GB of 5 GB``)."""
        return f"{size_text(self.used_bytes)} of {size_text(self.limit_bytes)}"


class Storage:
    """The data folder's size against ``GAIT_MAX_STORAGE_MB``, and the free disk against ``GAIT_MIN_FREE_DISK_MB``.

    The size counts the clips and results of every analysis.

    Uploads in progress reserve room (:meth:`reserve`, :meth:`release`), so that uploads sent at the
    same time cannot pass the limit together. The folder size is cached for a few seconds; results
    written by the analysis processes show up when the cache expires.
    """

    def __init__(self, data_dir: Path, *, limit_bytes: int, min_free_bytes: int, cache_s: float = 5.0) -> None:
        self.data_dir = data_dir
        self.limit_bytes = limit_bytes
        self.min_free_bytes = min_free_bytes
        self.cache_s = cache_s
        self._lock = threading.Lock()
        self._cached: tuple[float, int] | None = None
        self._reserved = 0

    def stored_bytes(self) -> int:
        """Bytes of the stored clips and results (cached for ``cache_s`` seconds)."""
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self.cache_s:
                return self._cached[1]
        size = folder_bytes(self.data_dir / "analyses")
        with self._lock:
            self._cached = (time.monotonic(), size)
        return size

    def changed(self) -> None:
        """Files were added or removed: measure again next time."""
        with self._lock:
            self._cached = None

    def free_disk_bytes(self) -> int:
        """Free bytes on the data folder's disk (0 when it cannot be read)."""
        folder = self.data_dir
        while not folder.exists() and folder.parent != folder:  # (before the app has created it)
            folder = folder.parent
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            return 0

    def usage(self) -> Usage:
        """The storage used, including the room reserved by uploads in progress, and the limits."""
        with self._lock:
            reserved = self._reserved
        return Usage(self.stored_bytes() + reserved, self.limit_bytes, self.free_disk_bytes())

    def room(self) -> tuple[int, int]:
        """(bytes the storage limit still allows, bytes the free-disk reserve still allows)."""
        usage = self.usage()
        return usage.limit_bytes - usage.used_bytes, usage.free_disk_bytes - self.min_free_bytes

    def reserve(self, n_bytes: int) -> None:
        """Reserve room for an upload in progress."""
        with self._lock:
            self._reserved += n_bytes

    def release(self, n_bytes: int) -> None:
        """Release room reserved by an upload."""
        with self._lock:
            self._reserved = max(0, self._reserved - n_bytes)

    def quota_message(self) -> str:
        """The one-sentence refusal for an upload beyond the storage limit."""
        usage = self.usage()
        return (
            f"The server's storage limit of {size_text(self.limit_bytes)} is reached ({size_text(usage.used_bytes)} "
            "used); delete old analyses from the history, or raise GAIT_MAX_STORAGE_MB on the server."
        )

    def disk_message(self) -> str:
        """The one-sentence refusal for an upload that would fill the disk."""
        return (
            f"The server's disk is almost full ({size_text(self.free_disk_bytes())} free); delete old analyses "
            "or free disk space on the server, then upload again."
        )


class RateLimit:
    """At most ``per_minute`` events per key in any 60 seconds (a sliding window); 0 means no limit."""

    WINDOW_S = 60.0

    def __init__(self, per_minute: int, *, max_keys: int = 10_000) -> None:
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one event for ``key``; ``None`` if allowed, else the seconds to wait (and it is not counted)."""
        if self.per_minute <= 0:
            return None
        t = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and t - events[0] >= self.WINDOW_S:
                events.popleft()
            if len(events) >= self.per_minute:
                return self.WINDOW_S - (t - events[0])
            events.append(t)
            if len(self._events) > self.max_keys:  # forget clients that are quiet
                for k in [k for k, v in self._events.items() if not v or t - v[-1] >= self.WINDOW_S]:
                    del self._events[k]
        return None

    def message(self, wait_s: float) -> str:
        """The one-sentence refusal for a client over the upload rate, who must wait ``wait_s``."""
        return (
            f"Too many uploads from this computer ({self.per_minute} in the last minute); wait {math.ceil(wait_s)} "
            "seconds and upload again."
        )
