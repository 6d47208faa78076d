"""SQLite persistence of analysis records (stdlib ``sqlite3``; one short connection per operation).

The server process and the analysis worker processes write the same database: WAL mode and a busy
timeout let them do so safely.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    stage TEXT,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    label TEXT,
    height_cm REAL,
    treadmill_speed_mps REAL,
    slowmo_factor REAL,
    side_name TEXT NOT NULL,
    side_file TEXT NOT NULL,
    rear_name TEXT,
    rear_file TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    finished_at TEXT,
    summary TEXT
);
CREATE INDEX IF NOT EXISTS analyses_created ON analyses (created_at);
"""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Record:
    """One analysis; file paths are relative to the data directory."""

    id: str
    created_at: str
    status: str
    side_name: str
    side_file: str
    stage: str | None = None
    progress: float = 0.0
    error: str | None = None
    label: str | None = None
    height_cm: float | None = None
    treadmill_speed_mps: float | None = None
    slowmo_factor: float | None = None
    rear_name: str | None = None
    rear_file: str | None = None
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    summary: str | None = None

    @property
    def summary_dict(self) -> dict[str, Any]:
        return json.loads(self.summary) if self.summary else {}


_COLUMNS = tuple(f.name for f in fields(Record))


class Store:
    """Records of analyses in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            yield conn
        finally:
            conn.close()

    def init(self) -> None:
        """Create the database (and its folder) if needed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def add(self, record: Record) -> None:
        values = {name: getattr(record, name) for name in _COLUMNS}
        cols = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        with self._connect() as conn:
            conn.execute(f"INSERT INTO analyses ({cols}) VALUES ({marks})", values)

    def get(self, analysis_id: str) -> Record | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM analyses WHERE id = ?", (analysis_id,)).fetchone()
        return None if row is None else Record(**dict(row))

    def recent(self, *, limit: int = 500) -> list[Record]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM analyses ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
        return [Record(**dict(r)) for r in rows]

    def ids_with_status(self, *statuses: str) -> list[str]:
        marks = ", ".join("?" for _ in statuses)
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT id FROM analyses WHERE status IN ({marks}) ORDER BY created_at, rowid", statuses
            ).fetchall()
        return [r["id"] for r in rows]

    def delete(self, analysis_id: str) -> bool:
        with self._connect() as conn:
            return conn.execute("DELETE FROM analyses WHERE id = ?", (analysis_id,)).rowcount > 0

    def claim(self, analysis_id: str) -> bool:
        """Move a queued analysis to 'running' (atomically: only one worker gets it)."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE analyses SET status = 'running', stage = 'starting', progress = 0, error = NULL, "
                "attempts = attempts + 1, started_at = ? WHERE id = ? AND status = 'queued'",
                (now(), analysis_id),
            )
            return cur.rowcount > 0

    def set_progress(self, analysis_id: str, stage: str, progress: float) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE analyses SET stage = ?, progress = MAX(progress, ?) WHERE id = ? AND status = 'running'",
                (stage, progress, analysis_id),
            )

    def finish(self, analysis_id: str, *, summary: dict[str, Any]) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE analyses SET status = 'done', stage = 'done', progress = 1, error = NULL, finished_at = ?, "
                "summary = ? WHERE id = ?",
                (now(), json.dumps(summary), analysis_id),
            )

    def fail(self, analysis_id: str, error: str, *, only_if_running: bool = False) -> bool:
        cond = " AND status = 'running'" if only_if_running else ""
        with self._connect() as conn:
            cur = conn.execute(
                f"UPDATE analyses SET status = 'failed', error = ?, finished_at = ? WHERE id = ?{cond}",
                (error, now(), analysis_id),
            )
            return cur.rowcount > 0

    def requeue(self, analysis_id: str, *, count_attempt: bool = True) -> None:
        """Put a running analysis back in the queue (``count_attempt=False``: the run does not count)."""
        dec = "" if count_attempt else ", attempts = MAX(attempts - 1, 0)"
        with self._connect() as conn:
            conn.execute(
                f"UPDATE analyses SET status = 'queued', stage = NULL, progress = 0{dec} "
                "WHERE id = ? AND status = 'running'",
                (analysis_id,),
            )

    def recover(self, *, max_attempts: int) -> tuple[list[str], list[str]]:
        """After a crash: re-queue interrupted analyses, or fail those interrupted ``max_attempts`` times.

        Returns the ids re-queued and the ids marked failed.
        """
        requeued, failed = [], []
        for analysis_id in self.ids_with_status("running"):
            record = self.get(analysis_id)
            if record is None:
                continue
            if record.attempts >= max_attempts:
                times = "once" if record.attempts == 1 else f"{record.attempts} times"
                self.fail(
                    analysis_id,
                    f"The server stopped while this analysis was running ({times}), so it was not retried; "
                    "upload the clip again, or a shorter clip if this repeats.",
                    only_if_running=True,
                )
                failed.append(analysis_id)
            else:
                self.requeue(analysis_id)
                requeued.append(analysis_id)
        return requeued, failed
