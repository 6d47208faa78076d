"""Planning a batch: each entry's configuration, content hash, result key and folder name."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gait.batch._job import ClipTask, Job, job_id
from gait.batch._store import HashCache, Store, clip_name, config_hash, result_key
from gait.batch._tables import Done, Failed
from gait.batch.manifest import BatchInputError, ClipEntry
from gait.config import AnalysisConfig
from gait.errors import file_problem

#: Manifest settings applied to the configuration of their clip, where the configuration has them.
CLIP_SETTINGS = ("view", "height_cm", "slowmo_factor", "treadmill_speed_mps")
#: Settings shown in ``clips.csv`` (the manifest's value, else the configuration's), by column.
SHOWN_SETTINGS = {
    "height_cm": "height_cm",
    "treadmill_speed_mps": "treadmill_speed_mps",
    "view": "manifest_view",
}


def _absolute(path: str | None) -> str | None:
    return None if path is None else str(Path(path).expanduser().resolve())


def batch_config(config: AnalysisConfig) -> AnalysisConfig:
    """The configuration as workers get it.

    Batches run one process per clip, so the pose stage itself uses one (``pose.workers=1``);
    file paths (rules, a model given as a path) are made absolute, as workers may run elsewhere.
    """
    from gait.pipeline import MODEL_NAMES

    model = config.pose.model
    if model not in MODEL_NAMES:
        model = _absolute(model) or model
    pose = dataclasses.replace(config.pose, workers=1, model=model)
    return dataclasses.replace(config, pose=pose, rules_path=_absolute(config.rules_path))


def _file_contents(cfg: AnalysisConfig, cache: HashCache) -> dict[str, str]:
    """SHA-256 of the files a configuration names (rules, model path): their content is configuration."""
    from gait.pipeline import MODEL_NAMES

    out = {}
    for what, path in (
        ("rules", cfg.rules_path),
        ("model", None if cfg.pose.model in MODEL_NAMES else cfg.pose.model),
    ):
        if path is not None and Path(path).is_file():
            out[what] = cache.sha256(Path(path))
    return out


def _owner(cfg: Any, name: str) -> str | None:
    """Where field ``name`` lives: ``""`` at the top level, a group's name, or ``None`` (nowhere)."""
    if name in {f.name for f in dataclasses.fields(cfg)}:
        return ""
    for f in dataclasses.fields(cfg):
        sub = getattr(cfg, f.name)
        if dataclasses.is_dataclass(sub) and name in {g.name for g in dataclasses.fields(sub)}:
            return f.name
    return None


def _setting(cfg: AnalysisConfig, name: str) -> Any:
    owner = _owner(cfg, name)
    if owner is None:
        return None
    return getattr(cfg if owner == "" else getattr(cfg, owner), name)


def clip_config(base: AnalysisConfig, entry: ClipEntry, warnings: set[str]) -> AnalysisConfig:
    """The configuration of one clip: ``base`` with the manifest row's settings.

    A setting the configuration does not have (``treadmill_speed_mps`` today) is only shown in the
    tables; ``warnings`` gets a note saying so. The batch's own slow-motion factor is not applied to
    pose-track inputs (their times are already real-world seconds; a note says so); a manifest
    row's is, and the analysis refuses it with that reason.
    """
    cfg = base
    if not entry.is_video and base.slowmo_factor is not None and entry.slowmo_factor is None:
        cfg = dataclasses.replace(cfg, slowmo_factor=None)
        warnings.add(
            "the batch's slow-motion factor is not used for pose-track inputs, whose times are "
            "already real-world seconds"
        )
    for name in CLIP_SETTINGS:
        value = getattr(entry, name)
        if value is None:
            continue
        owner = _owner(cfg, name)
        if owner is None:
            warnings.add(
                f"{name} from the manifest is shown in clips.csv but not used by this version "
                "of the analysis"
            )
        elif owner == "":
            cfg = dataclasses.replace(cfg, **{name: value})
        else:
            group = dataclasses.replace(getattr(cfg, owner), **{name: value})
            cfg = dataclasses.replace(cfg, **{owner: group})
    return cfg


@dataclass(frozen=True)
class Item:
    """One input entry: its task, or why it cannot be one (a file that cannot be read)."""

    entry: ClipEntry
    task: ClipTask | None
    file_sha256: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    unreadable: Failed | None = None
    rear_sha256: str = ""
    front_sha256: str = ""

    def done(self) -> Done:
        assert self.task is not None
        return Done(
            self.entry, self.task.name, self.file_sha256, self.settings, self.rear_sha256, self.front_sha256
        )


def _unreadable(
    entry: ClipEntry, error_type: str, what: str, fix: str, *, role: str | None = None
) -> Item:
    name = clip_name(entry.path.stem, "-" * 10, entry.subject, entry.session)
    if role is not None:
        label = next(lab for r, _, lab in entry.extra_clips if r == role)
        reason = f"{role.capitalize()} file '{label}' {what}; {fix} in the {role} column."
    else:
        reason = f"File '{entry.label}' {what}; {fix}."
    return Item(entry, None, unreadable=Failed(entry, name, error_type, reason))


def _problem(path: Path) -> tuple[str, str, str] | None:
    """(error type, what, fix) when ``path`` cannot be hashed or should not be opened; ``None`` when fine.

    Empty files are fine here: the analysis says what is wrong with them. Named pipes and devices
    are never opened (that could block, or never end).
    """
    problem = file_problem(path)
    if problem is None or problem.what.startswith("is empty"):
        return None
    if problem.what == "does not exist" or "which does not exist" in problem.what:
        return "FileNotFoundError", problem.what, problem.fix
    if "permission denied" in problem.what:
        return "PermissionError", problem.what, problem.fix
    return "NotARegularFile", problem.what, problem.fix


def _same_row(a: ClipEntry, b: ClipEntry) -> bool:
    return (
        dataclasses.replace(
            b,
            label=a.label,
            path=a.path,
            rear=a.rear,
            rear_label=a.rear_label,
            front=a.front,
            front_label=a.front_label,
        )
        == a
    )


def _duplicate(first: ClipEntry, later: ClipEntry, name: str, notes: dict[str, str]) -> None:
    """Record a later entry that would share ``first``'s clip folder (and clip_id), or refuse it.

    The same row again, or a copy of the same file (same content, labels and settings) elsewhere,
    is analysed and shown once (a note says so). Entries that differ in what the tables show beyond
    the clip (treadmill speed, extra columns) cannot share a row: BatchInputError.
    """
    if later == first:
        notes[f"same:{first.label}"] = (
            f"'{first.label}' is listed more than once with the same settings; it is analysed and shown once"
        )
        return
    if _same_row(first, later):
        notes[f"copy:{later.label}"] = (
            f"'{later.label}' has the same content, labels and settings as '{first.label}'; it is "
            f"analysed and shown once, as '{first.label}'"
        )
        return
    fields = [
        f.name
        for f in dataclasses.fields(ClipEntry)
        if f.name not in ("path", "label", "rear", "front", "extra")
    ]
    differ = [
        n.removesuffix("_label") for n in fields if getattr(first, n) != getattr(later, n)
    ]
    differ += [k for (k, v), (_, w) in zip(first.extra, later.extra, strict=True) if v != w]
    raise BatchInputError(
        f"'{first.label}' and '{later.label}' would share clip_id '{name}' (the same content, labels "
        f"and settings) but differ in {', '.join(differ)}; remove one of the rows or give them "
        "different subject or session labels."
    )


def plan(
    entries: Sequence[ClipEntry], config: AnalysisConfig, job: Job, store: Store
) -> tuple[list[Item], set[str]]:
    """One :class:`Item` per entry, in order, and warnings about settings the analysis ignores.

    Each folder name (labels, file stem, content and configuration), which is the tables'
    ``clip_id``, belongs to one entry: a later entry with the same name is dropped when it repeats
    the first (a note in the returned warnings says so) and refused when it differs in what the
    tables show (:class:`~gait.batch.manifest.BatchInputError`). A two-view entry's key includes its
    rear clip's content; an entry whose file or rear file cannot be read, or is not a regular file,
    gets no task (a failure row).
    """
    cache = HashCache(store.book_dir / "hashes.json")
    jid = job_id(job)
    warnings: set[str] = set()
    notes: dict[str, str] = {}
    tasks: dict[str, ClipTask] = {}
    owners: dict[str, ClipEntry] = {}
    items = []
    files = _file_contents(config, cache)
    for entry in entries:
        problem = _problem(entry.path)
        if problem:
            items.append(_unreadable(entry, *problem))
            continue
        extra_problem = next(
            ((role, p) for role, path, _ in entry.extra_clips if (p := _problem(path)) is not None), None
        )
        if extra_problem:
            items.append(_unreadable(entry, *extra_problem[1], role=extra_problem[0]))
            continue
        try:
            sha = cache.sha256(entry.path)
        except OSError as err:
            items.append(
                _unreadable(
                    entry, type(err).__name__, f"cannot be read ({err.strerror})", "check the path"
                )
            )
            continue
        shas: dict[str, str] = {}
        try:
            for role, path, _ in entry.extra_clips:
                shas[role] = cache.sha256(path)
        except OSError as err:
            items.append(
                _unreadable(
                    entry,
                    type(err).__name__,
                    f"cannot be read ({err.strerror})",
                    "check the path",
                    role=role,
                )
            )
            continue
        cfg = clip_config(config, entry, warnings)
        key = result_key(
            sha,
            config_hash({**cfg.to_dict(), "file_sha256": files}, jid),
            shas.get("rear"),
            front_sha256=shas.get("front"),
        )
        name = clip_name(entry.path.stem, key, entry.subject, entry.session)
        if name in owners:
            _duplicate(owners[name], entry, name, notes)
            continue
        owners[name] = entry
        extras = tuple((role, str(path)) for role, path, _ in entry.extra_clips)
        task = tasks.setdefault(
            name, ClipTask(name, key, str(entry.path), cfg, entry.is_video, extras=extras)
        )
        shown = {
            col: getattr(entry, n) if getattr(entry, n) is not None else _setting(cfg, n)
            for n, col in SHOWN_SETTINGS.items()
        }
        items.append(
            Item(
                entry,
                task,
                sha,
                shown,
                rear_sha256=shas.get("rear", ""),
                front_sha256=shas.get("front", ""),
            )
        )
    cache.save()
    return items, warnings | set(notes.values())
