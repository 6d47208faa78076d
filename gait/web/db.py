"""SQLite persistence of analysis records (stdlib ``sqlite3``; one short connection per operation).

The server process and the analysis worker processes write the same database: WAL mode and a busy
timeout let them do so safely.

Every run of an analysis gets a new ``run_number`` when it claims the record (the fencing token): a
worker's writes (progress, the result, a failure) only apply while the record is still 'running'
under its own number, so a run that was superseded (the server crashed and re-queued the analysis)
can no longer change the record, and only the run that owns the record marks it done.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 4

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
    summary TEXT,
    run_number INTEGER NOT NULL DEFAULT 0,
    output_dir TEXT,
    runner_id TEXT,
    clips TEXT
);
CREATE INDEX IF NOT EXISTS analyses_created ON analyses (created_at);
CREATE TABLE IF NOT EXISTS runners (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    name TEXT NOT NULL,
    height_cm REAL,
    notes TEXT,
    target_cadence_spm REAL
);
"""

#: Columns added since schema version 1 (added to an older database by :meth:`Store.init`).
#: Version 2 added the run number and output folder, version 3 the runner (and the ``runners`` table),
#: version 4 the session's clips as a list (``clips``: JSON ``[{"role", "name", "file"}]``, side first).
_ADDED_COLUMNS = {
    "run_number": "INTEGER NOT NULL DEFAULT 0",
    "output_dir": "TEXT",
    "runner_id": "TEXT",
    "clips": "TEXT",
}


@dataclass(frozen=True)
class Clip:
    """One clip of a session: its role (``side``, ``rear``, ``front``), the user's file name, the stored file."""

    role: str
    name: str
    file: str


def clips_json(clips: list[Clip]) -> str:
    """The ``clips`` column's text for these clips."""
    return json.dumps([{"role": c.role, "name": c.name, "file": c.file} for c in clips])


def now() -> str:
    """The current UTC time as an ISO 8601 string, to the second."""
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
    #: Fencing token: incremented by every claim, never reused.
    run_number: int = 0
    #: The folder (relative to the data directory) of the run that finished; ``None`` before.
    output_dir: str | None = None
    #: The runner the analysis belongs to (schema version 3), or ``None``.
    runner_id: str | None = None
    #: Every clip of the session as JSON (schema version 4; see :attr:`clip_list`).
    clips: str | None = None

    @property
    def clip_list(self) -> list[Clip]:
        """The session's clips, side first (from ``side_*``/``rear_*`` for a record without ``clips``)."""
        if self.clips:
            return [Clip(str(c["role"]), str(c["name"]), str(c["file"])) for c in json.loads(self.clips)]
        out = [Clip("side", self.side_name, self.side_file)]
        if self.rear_file is not None:
            out.append(Clip("rear", self.rear_name or "rear clip", self.rear_file))
        return out

    def clip(self, role: str) -> Clip | None:
        """The clip in ``role``, or None."""
        return next((c for c in self.clip_list if c.role == role), None)

    @property
    def extra_clips(self) -> list[Clip]:
        """The clips beside the side clip (rear, front)."""
        return [c for c in self.clip_list if c.role != "side"]

    @property
    def summary_dict(self) -> dict[str, Any]:
        """The stored history figures (view, cadence, flag codes) as a dict; empty when there are none."""
        return json.loads(self.summary) if self.summary else {}


_COLUMNS = tuple(f.name for f in fields(Record))


@dataclass(frozen=True)
class Runner:
    """A runner followed over time (schema version 3): a name or pseudonym and what the clinician notes."""

    id: str
    created_at: str
    name: str
    height_cm: float | None = None
    notes: str | None = None
    #: A target step rate (steps/min) the runner is retraining towards, or ``None``.
    target_cadence_spm: float | None = None


_RUNNER_COLUMNS = tuple(f.name for f in fields(Runner))


def _migrate_clips(conn: sqlite3.Connection) -> None:
    """Fill the ``clips`` list of records made before schema version 4 from their side and rear columns."""
    rows = conn.execute(
        "SELECT id, side_name, side_file, rear_name, rear_file FROM analyses WHERE clips IS NULL"
    ).fetchall()
    for row in rows:
        clips = [Clip("side", row["side_name"], row["side_file"])]
        if row["rear_file"] is not None:
            clips.append(Clip("rear", row["rear_name"] or "rear clip", row["rear_file"]))
        conn.execute("UPDATE analyses SET clips = ? WHERE id = ? AND clips IS NULL", (clips_json(clips), row["id"]))


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
            present = {row["name"] for row in conn.execute("PRAGMA table_info(analyses)")}
            for name, declaration in _ADDED_COLUMNS.items():
                if name not in present:
                    conn.execute(f"ALTER TABLE analyses ADD COLUMN {name} {declaration}")
            _migrate_clips(conn)
            conn.execute("CREATE INDEX IF NOT EXISTS analyses_runner ON analyses (runner_id, created_at)")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def add(self, record: Record) -> None:
        """Insert a new analysis record (its ``clips`` filled from ``side_*``/``rear_*`` when not given)."""
        if record.clips is None:
            record = replace(record, clips=clips_json(record.clip_list))
        values = {name: getattr(record, name) for name in _COLUMNS}
        cols = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        with self._connect() as conn:
            conn.execute(f"INSERT INTO analyses ({cols}) VALUES ({marks})", values)

    def get(self, analysis_id: str) -> Record | None:
        """The analysis record with this id, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM analyses WHERE id = ?", (analysis_id,)).fetchone()
        return None if row is None else Record(**dict(row))

    def recent(self, *, limit: int = 500) -> list[Record]:
        """The latest ``limit`` analysis records, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM analyses ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [Record(**dict(r)) for r in rows]

    def ids_with_status(self, *statuses: str) -> list[str]:
        """Ids of the analyses in any of ``statuses``, oldest first."""
        marks = ", ".join("?" for _ in statuses)
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT id FROM analyses WHERE status IN ({marks}) ORDER BY created_at, rowid", statuses
            ).fetchall()
        return [r["id"] for r in rows]

    def delete(self, analysis_id: str) -> bool:
        """Delete an analysis record; True if there was one."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM analyses WHERE id = ?", (analysis_id,)).rowcount > 0

    def set_summary(self, analysis_id: str, summary: dict[str, Any]) -> bool:
        """Replace the history figures of a finished analysis (after its events were corrected)."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE analyses SET summary = ? WHERE id = ? AND status = 'done'", (json.dumps(summary), analysis_id)
            )
            return cur.rowcount > 0

    # --- runners -------------------------------------------------------------------------------

    def add_runner(self, runner: Runner) -> None:
        """Insert a new runner."""
        values = {name: getattr(runner, name) for name in _RUNNER_COLUMNS}
        with self._connect() as conn:
            conn.execute(
                f"INSERT INTO runners ({', '.join(values)}) VALUES ({', '.join(f':{k}' for k in values)})", values
            )

    def get_runner(self, runner_id: str) -> Runner | None:
        """The runner with this id, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runners WHERE id = ?", (runner_id,)).fetchone()
        return None if row is None else Runner(**dict(row))

    def runners(self) -> list[Runner]:
        """Every runner, by name."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM runners ORDER BY name COLLATE NOCASE, created_at").fetchall()
        return [Runner(**dict(r)) for r in rows]

    def runner_analyses(self, runner_id: str) -> list[Record]:
        """The runner's analyses, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM analyses WHERE runner_id = ? ORDER BY created_at, rowid", (runner_id,)
            ).fetchall()
        return [Record(**dict(r)) for r in rows]

    def delete_runner(self, runner_id: str) -> bool:
        """Remove the runner's record (its analyses are deleted first by the caller, with their files)."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM runners WHERE id = ?", (runner_id,)).rowcount > 0

    def claim(self, analysis_id: str) -> int | None:
        """Move a queued analysis to 'running' (atomically: only one worker gets it); returns its new run number."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "UPDATE analyses SET status = 'running', stage = 'starting', progress = 0, error = NULL, "
                    "attempts = attempts + 1, run_number = run_number + 1, started_at = ?, output_dir = NULL "
                    "WHERE id = ? AND status = 'queued'",
                    (now(), analysis_id),
                )
                row = conn.execute("SELECT run_number FROM analyses WHERE id = ?", (analysis_id,)).fetchone()
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return int(row["run_number"]) if cur.rowcount > 0 and row is not None else None

    def owns(self, analysis_id: str, run: int) -> bool:
        """Whether run ``run`` still owns the analysis (it is running under that number)."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM analyses WHERE id = ? AND status = 'running' AND run_number = ?", (analysis_id, run)
            ).fetchone()
        return row is not None

    def set_progress(self, analysis_id: str, run: int, stage: str, progress: float) -> bool:
        """Record progress of run ``run``; False if that run no longer owns the analysis (nothing written)."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE analyses SET stage = ?, progress = MAX(progress, ?) "
                "WHERE id = ? AND status = 'running' AND run_number = ?",
                (stage, progress, analysis_id, run),
            )
            return cur.rowcount > 0

    def finish(self, analysis_id: str, run: int, *, summary: dict[str, Any], output_dir: str) -> bool:
        """Mark the analysis done with the results in ``output_dir``, if run ``run`` still owns it."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE analyses SET status = 'done', stage = 'done', progress = 1, error = NULL, finished_at = ?, "
                "summary = ?, output_dir = ? WHERE id = ? AND status = 'running' AND run_number = ?",
                (now(), json.dumps(summary), output_dir, analysis_id, run),
            )
            return cur.rowcount > 0

    def fail(self, analysis_id: str, error: str, *, only_if_running: bool = False, run: int | None = None) -> bool:
        """Mark the analysis failed (with ``run``: only while that run owns it)."""
        cond = ""
        params: list[str | int] = [error, now(), analysis_id]
        if run is not None:
            cond, params = " AND status = 'running' AND run_number = ?", [*params, run]
        elif only_if_running:
            cond = " AND status = 'running'"
        with self._connect() as conn:
            cur = conn.execute(
                f"UPDATE analyses SET status = 'failed', error = ?, finished_at = ? WHERE id = ?{cond}", params
            )
            return cur.rowcount > 0

    def requeue(self, analysis_id: str, *, count_attempt: bool = True, run: int | None = None) -> None:
        """Put a running analysis back in the queue.

        ``count_attempt=False``: the run does not count; ``run``: only if that run still owns it. The next
        claim gives it a new run number either way.
        """
        dec = "" if count_attempt else ", attempts = MAX(attempts - 1, 0)"
        cond, params = ("", [analysis_id]) if run is None else (" AND run_number = ?", [analysis_id, run])
        with self._connect() as conn:
            conn.execute(
                f"UPDATE analyses SET status = 'queued', stage = NULL, progress = 0{dec} "
                f"WHERE id = ? AND status = 'running'{cond}",
                params,
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
