"""What a batch analyses: clips found in a folder, or listed in a manifest CSV.

A **folder** is searched recursively for videos (:data:`VIDEO_SUFFIXES`, any letter case) and, with
``inputs="tracks"`` or ``"both"``, for pose-track files ending in ``.nc`` (written by ``gait pose``).
CSV files in a folder are never taken as tracks, because data folders hold many other CSVs
(annotations, manifests); list CSV tracks in a manifest instead. Hidden files and folders (names
starting with ``.``, e.g. macOS ``._clip.mp4`` resource forks) and the batch's own output folder are
skipped. Clips are sorted by their path relative to the folder, so a batch's row order is stable.

A **manifest** is a CSV with a header row. Column ``path`` is required; relative paths are relative
to the manifest's folder. Optional columns (empty cells mean "not given"):

``subject``, ``session``
    Labels carried into every table and into the clip's folder name.
``rear``
    A rear-view clip or track of the same run (relative to the manifest's folder, like ``path``):
    the row is then analysed as a two-view session (``path`` the side view, see
    :func:`gait.pipeline.run_analysis`); shown as ``rear`` in ``clips.csv``. A ``view`` forces the
    view of the clip whose role it names (:func:`gait.pipeline.role_configs`).
``view``
    The camera view, ``side_left``, ``side_right``, ``rear`` or ``front``: shown as ``manifest_view``
    in ``clips.csv``, and forced when the analysis configuration has a ``view`` setting.
``height_cm``
    Runner's height (50-250).
``treadmill_speed_mps``
    Belt speed (0.1-12 m/s).
``slowmo_factor``
    Capture fps / playback fps of a slow-motion clip (1-64); for video clips only (a pose track's
    times are already real-world seconds: a row giving one for a track fails with that reason).

The ranges are those of :data:`gait.config.BOUNDS`, as everywhere else.

Any other column is carried, as text, into ``clips.csv`` unchanged (e.g. ``condition``, ``shoe``).
A manifest may list any file that ``gait.pipeline.run_analysis`` reads, including ``.csv`` tracks.
Bad manifest values stop the batch before it starts (one line naming the row); a listed file
(``path`` or ``rear``) that does not exist (or is not a regular file) is recorded as a failed clip
instead, so one typo does not stop a long batch. Folder scans have no rear clips.

A row listed twice (the same file, labels and settings) is analysed and shown once; two rows that
would share a ``clip_id`` yet differ in other columns stop the batch before it starts (see
:func:`gait.batch._plan.plan`), so that ``clip_id`` is unique in every table.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gait.errors import ConfigError, GaitError, file_problem
from gait.skeleton import VIEWS

#: Video suffixes picked up when scanning a folder (compared in lower case).
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
#: Pose-track suffixes picked up when scanning a folder with ``inputs="tracks"`` or ``"both"``.
FOLDER_TRACK_SUFFIXES = (".nc",)
#: Manifest columns with a meaning; every other column is carried through as text.
KNOWN_COLUMNS = (
    "path",
    "rear",
    "front",
    "subject",
    "session",
    "view",
    "height_cm",
    "treadmill_speed_mps",
    "slowmo_factor",
)
#: Columns of ``clips.csv`` that a manifest's extra columns must not shadow.
RESERVED_COLUMNS = frozenset(
    {
        "clip_id",
        "path",
        "rear",
        "front",
        "subject",
        "session",
        "file_sha256",
        "rear_sha256",
        "front_sha256",
        "view",
        "direction",
        "running",
        "duration_s",
        "fps",
        "n_frames",
        "n_frames_with_runner",
        "n_steps",
        "flags",
        "quality",
        "clip_folder",
        "manifest_view",
    }
)

Inputs = Literal["videos", "tracks", "both"]


class BatchInputError(GaitError, ValueError):
    """The batch input (folder or manifest CSV) cannot be used."""


@dataclass(frozen=True)
class ClipEntry:
    """One clip to analyse, with the per-clip settings of its manifest row.

    Attributes
    ----------
    path
        Absolute path of the file.
    label
        The path as the tables show it: relative to the scanned folder, or as written in the manifest.
    subject, session
        Labels (``None`` when not given).
    view, height_cm, treadmill_speed_mps, slowmo_factor
        Per-clip analysis settings; ``None`` keeps the batch configuration's value.
    extra
        Other manifest columns, ``(name, text)`` pairs in manifest order.
    rear, rear_label
        Absolute path of the rear-view clip of a two-view session, and its text as written in the
        manifest; ``None`` for a single clip.
    front, front_label
        The same for a front-view clip of the session (``front`` column).
    """

    path: Path
    label: str
    subject: str | None = None
    session: str | None = None
    view: str | None = None
    height_cm: float | None = None
    treadmill_speed_mps: float | None = None
    slowmo_factor: float | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())
    rear: Path | None = None
    rear_label: str | None = None
    front: Path | None = None
    front_label: str | None = None

    @property
    def extra_clips(self) -> tuple[tuple[str, Path, str], ...]:
        """``(role, path, label)`` of the row's clips beside ``path``: rear, then front."""
        return tuple(
            (role, p, label or str(p))
            for role, p, label in (
                ("rear", self.rear, self.rear_label),
                ("front", self.front, self.front_label),
            )
            if p is not None
        )

    @property
    def is_video(self) -> bool:
        """The clip, or one of its extra clips, is a video (its analysis runs the pose model)."""
        paths = (self.path, *(p for _, p, _ in self.extra_clips))
        return any(p.suffix.lower() in VIDEO_SUFFIXES for p in paths)


def _suffixes(inputs: Inputs) -> tuple[str, ...]:
    if inputs == "videos":
        return VIDEO_SUFFIXES
    if inputs == "tracks":
        return FOLDER_TRACK_SUFFIXES
    if inputs == "both":
        return VIDEO_SUFFIXES + FOLDER_TRACK_SUFFIXES
    raise BatchInputError(f"Expected inputs 'videos', 'tracks' or 'both', got '{inputs}'.")


def scan_folder(
    folder: str | Path, *, inputs: Inputs = "videos", exclude: Iterable[str | Path] = ()
) -> tuple[ClipEntry, ...]:
    """Clips in ``folder`` and its subfolders, sorted by relative path (see the module notes)."""
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise BatchInputError(
            f"'{folder}' is not a folder; give a folder of clips or a manifest CSV."
        )
    wanted = _suffixes(inputs)
    skip = {Path(p).expanduser().resolve() for p in exclude}
    found: list[ClipEntry] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in skip
        )
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(wanted):
                continue
            path = here / name
            found.append(ClipEntry(path=path, label=path.relative_to(root).as_posix()))
    found.sort(key=lambda e: e.label)
    if not found:
        kinds = {"videos": "video", "tracks": "pose-track (.nc)", "both": "video or pose-track"}[
            inputs
        ]
        raise BatchInputError(
            f"No {kinds} files found in '{folder}' (looked for {', '.join(wanted)}); check the folder."
        )
    return tuple(found)


def _number(text: str, column: str, where: str) -> float | None:
    if text == "":
        return None
    from gait.config import check_option  # the one table of option bounds (BOUNDS)

    try:
        value = float(text)
    except ValueError:
        raise BatchInputError(f"{where}: {column} '{text}' is not a number.") from None
    try:
        return check_option(column, value, label=f"{where}: {column}")
    except ConfigError as err:
        raise BatchInputError(str(err)) from None


def _resolve(text: str, base: Path) -> Path:
    path = Path(text).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def _entry(row: dict[str, str], base: Path, where: str, extras: list[str]) -> ClipEntry:
    text = row["path"]
    if text == "":
        raise BatchInputError(f"{where}: the path is empty.")
    rear = row.get("rear", "") or None
    front = row.get("front", "") or None
    view = row.get("view", "") or None
    if view is not None and view not in VIEWS:
        raise BatchInputError(f"{where}: view '{view}' is not one of {', '.join(VIEWS)}.")
    return ClipEntry(
        path=_resolve(text, base),
        label=text,
        subject=row.get("subject", "") or None,
        session=row.get("session", "") or None,
        view=view,
        height_cm=_number(row.get("height_cm", ""), "height_cm", where),
        treadmill_speed_mps=_number(
            row.get("treadmill_speed_mps", ""), "treadmill_speed_mps", where
        ),
        slowmo_factor=_number(row.get("slowmo_factor", ""), "slowmo_factor", where),
        extra=tuple((name, row.get(name, "")) for name in extras),
        rear=None if rear is None else _resolve(rear, base),
        rear_label=rear,
        front=None if front is None else _resolve(front, base),
        front_label=front,
    )


def read_manifest(path: str | Path) -> tuple[ClipEntry, ...]:
    """Clips listed in a manifest CSV, in file order (see the module notes for the columns)."""
    path = Path(path).expanduser()
    name = path.name
    problem = file_problem(path)
    if problem is not None:
        raise BatchInputError(f"Manifest '{path}' {problem.what}; {problem.fix}.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            rows = [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in reader]
    except FileNotFoundError:
        raise BatchInputError(f"Manifest '{path}' does not exist; check the path.") from None
    except (OSError, UnicodeError, csv.Error) as err:
        raise BatchInputError(
            f"Cannot read manifest '{name}' ({err}); save it as a UTF-8 CSV."
        ) from None
    if "path" not in header:
        raise BatchInputError(
            f"'{name}' is not a manifest: it has no 'path' column (columns: {', '.join(header) or 'none'})."
        )
    if len(set(header)) != len(header):
        raise BatchInputError(
            f"Manifest '{name}' has duplicate column names; make each header unique."
        )
    extras = [h for h in header if h not in KNOWN_COLUMNS and h]
    clash = sorted(RESERVED_COLUMNS.intersection(extras))
    if clash:
        raise BatchInputError(
            f"Manifest '{name}' column(s) {', '.join(clash)} clash with output columns; rename them."
        )
    base = path.resolve().parent
    entries = tuple(
        _entry(row, base, f"{name} line {i}", extras) for i, row in enumerate(rows, start=2)
    )
    if not entries:
        raise BatchInputError(
            f"Manifest '{name}' lists no clips; add one row per clip under the header."
        )
    return entries


def load_input(
    source: str | Path, *, inputs: Inputs = "videos", exclude: Iterable[str | Path] = ()
) -> tuple[ClipEntry, ...]:
    """Clips of a batch input: a folder (see :func:`scan_folder`) or a manifest CSV (:func:`read_manifest`)."""
    p = Path(source).expanduser()
    if p.is_dir():
        return scan_folder(p, inputs=inputs, exclude=exclude)
    if p.suffix.lower() == ".csv":
        return read_manifest(p)
    if not p.exists():
        raise BatchInputError(
            f"'{source}' does not exist; give a folder of clips or a manifest CSV."
        )
    raise BatchInputError(
        f"'{p.name}' is neither a folder nor a manifest CSV; to analyse one clip use 'gait analyze'."
    )


__all__ = [
    "FOLDER_TRACK_SUFFIXES",
    "KNOWN_COLUMNS",
    "VIDEO_SUFFIXES",
    "VIEWS",
    "BatchInputError",
    "ClipEntry",
    "Inputs",
    "load_input",
    "read_manifest",
    "scan_folder",
]
