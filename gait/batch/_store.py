"""The batch's output folder: result keys, atomic commits, done markers, failure records, lock.

Layout of ``OUTDIR``::

    batch.json                   configuration, versions, engine, counts and timings of the last run
    clips.parquet  clips.csv     one row per analysed clip     (written by gait.batch._tables)
    metrics.parquet metrics.csv  one row per clip and metric
    steps.parquet  steps.csv     one row per step
    failures.csv                 one row per failed clip
    clips/<name>/                a clip's analysis folder; ``done.json`` inside marks it complete
    .gait-batch/                 bookkeeping: lock, file-hash cache, failure records, temporary folders

A clip's **key** is the SHA-256 of its file's SHA-256 (and its rear clip's, for a two-view row), the
analysis configuration (``AnalysisConfig.to_dict()`` after the per-clip overrides), the gait version
and the job identity.
Its folder ``<name>`` is ``<subject>_<session>_<file stem>-<key[:10]>``, so a new configuration gets
new folders and never overwrites old results. Only the driver writes here: a finished clip is written
into ``.gait-batch/tmp/``, ``done.json`` last, and the folder is then renamed into ``clips/``
(``os.replace``), so ``clips/`` never holds a half-written result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gait import __version__
from gait.batch._job import ClipOutcome, ClipTask
from gait.errors import GaitError

DONE_MARKER = "done.json"
BOOKKEEPING = ".gait-batch"
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_NAME_MAX = 80


class OutputFolderError(GaitError, OSError):
    """The output folder cannot be used (not writable, or another batch is writing to it)."""


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str, allow_nan=True)


def config_hash(config_dict: Mapping[str, Any], job: str) -> str:
    """SHA-256 of a configuration, the gait version and the job identity."""
    return hashlib.sha256(
        _canonical({"config": config_dict, "gait": __version__, "job": job}).encode()
    ).hexdigest()


def result_key(
    content_sha256: str, cfg_hash: str, rear_sha256: str | None = None, *, front_sha256: str | None = None
) -> str:
    """Key of a clip's result.

    The same file content (of both files, for a two-view session) and the same configuration give the same
    key.
    """
    # a side+rear row keeps the key of the stores made before front clips existed
    content = content_sha256 if rear_sha256 is None else f"{content_sha256}+rear:{rear_sha256}"
    if front_sha256 is not None:
        content = f"{content}+front:{front_sha256}"
    return hashlib.sha256(f"{content}:{cfg_hash}".encode()).hexdigest()


def _slug(text: str) -> str:
    return _SLUG.sub("-", text).strip("-.") or "x"


def clip_name(stem: str, key: str, subject: str | None = None, session: str | None = None) -> str:
    """Folder name ``<subject>_<session>_<stem>-<key[:10]>`` (labels only when given, made file-safe)."""
    parts = [_slug(p) for p in (subject, session) if p] + [_slug(stem)]
    return "_".join(parts)[:_NAME_MAX] + "-" + key[:10]


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a file under a temporary name in its folder, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class HashCache:
    """SHA-256 of input files, remembered by (path, size, mtime) in ``.gait-batch/hashes.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._known: dict[str, list[Any]] = json.loads(path.read_text())
        except (OSError, ValueError):
            self._known = {}
        self._used: dict[str, list[Any]] = {}

    def sha256(self, file: Path) -> str:
        st = file.stat()
        stamp = [st.st_size, st.st_mtime_ns]
        known = self._known.get(str(file))
        if known is not None and known[:2] == stamp:
            digest = str(known[2])
        else:
            h = hashlib.sha256()
            with file.open("rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
            digest = h.hexdigest()
        self._used[str(file)] = [*stamp, digest]
        return digest

    def save(self) -> None:
        write_atomic(self.path, json.dumps({**self._known, **self._used}, indent=0))


@dataclass(frozen=True)
class Store:
    """The output folder of a batch (see the module notes for the layout)."""

    root: Path

    @property
    def clips_dir(self) -> Path:
        return self.root / "clips"

    @property
    def book_dir(self) -> Path:
        return self.root / BOOKKEEPING

    @property
    def tmp_dir(self) -> Path:
        return self.book_dir / "tmp"

    @property
    def failures_dir(self) -> Path:
        return self.book_dir / "failures"

    def prepare(self) -> None:
        """Create the folders."""
        try:
            for d in (self.clips_dir, self.tmp_dir, self.failures_dir):
                d.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputFolderError(
                f"Cannot create the output folder '{self.root}' ({err.strerror}); choose another."
            ) from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``.gait-batch/lock`` so that two batches never write into the same folder.

        Once held, temporary folders left by an interrupted run are removed (never before: they
        could belong to the batch that holds the lock).
        """
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            self._remove_leftovers()
            yield
            return
        with (self.book_dir / "lock").open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise OutputFolderError(
                    f"Another 'gait batch' is writing to '{self.root}'; wait for it to finish or choose another folder."
                ) from None
            self._remove_leftovers()
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _remove_leftovers(self) -> None:
        for leftover in self.tmp_dir.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)

    def marker(self, name: str) -> dict[str, Any] | None:
        """The done marker of a clip folder, or ``None`` when there is no complete result."""
        try:
            return json.loads((self.clips_dir / name / DONE_MARKER).read_text())
        except (OSError, ValueError):
            return None

    def is_done(self, task: ClipTask, wanted_files: frozenset[str] = frozenset()) -> bool:
        """A complete result for this key exists, and its run was asked for at least ``wanted_files``."""
        mark = self.marker(task.name)
        return (
            mark is not None
            and mark.get("key") == task.key
            and wanted_files <= set(mark.get("requested", ()))
        )

    def commit(self, task: ClipTask, outcome: ClipOutcome, marker: Mapping[str, Any]) -> Path:
        """Write a successful clip's files, ``done.json`` last, and rename the folder into ``clips/``."""
        tmp = self.tmp_dir / f"{task.name}.{uuid.uuid4().hex[:8]}"
        for rel, data in outcome.files.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (tmp / DONE_MARKER).write_text(json.dumps(dict(marker), indent=2, default=str) + "\n")
        final = self.clips_dir / task.name
        if final.exists():  # an older result for the same name: move it aside, then swap
            old = self.tmp_dir / f"{task.name}.old.{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        (self.failures_dir / f"{task.name}.json").unlink(missing_ok=True)
        return final

    def record_failure(self, task: ClipTask, outcome: ClipOutcome, path_label: str) -> None:
        record = {
            "key": task.key,
            "path": path_label,
            "rear_source": task.rear,
            "error_type": outcome.error_type,
            "reason": outcome.reason,
            "final": outcome.final,
            "detail": outcome.detail,
            "seconds": round(outcome.seconds, 3),
            "worker": outcome.worker,
        }
        write_atomic(self.failures_dir / f"{task.name}.json", json.dumps(record, indent=2) + "\n")

    def known_failure(self, task: ClipTask) -> dict[str, Any] | None:
        """A recorded final failure of this key (the clip's own fault), else ``None``."""
        try:
            record = json.loads((self.failures_dir / f"{task.name}.json").read_text())
        except (OSError, ValueError):
            return None
        return record if record.get("key") == task.key and record.get("final") else None
