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
from gait.batch.manifest import ClipEntry
from gait.config import AnalysisConfig
from gait.pose import MODELS

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
    model = config.pose.model
    if model not in MODELS:
        model = _absolute(model) or model
    pose = dataclasses.replace(config.pose, workers=1, model=model)
    return dataclasses.replace(config, pose=pose, rules_path=_absolute(config.rules_path))


def _file_contents(cfg: AnalysisConfig, cache: HashCache) -> dict[str, str]:
    """SHA-256 of the files a configuration names (rules, model path): their content is configuration."""
    out = {}
    for what, path in (
        ("rules", cfg.rules_path),
        ("model", None if cfg.pose.model in MODELS else cfg.pose.model),
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
    tables; ``warnings`` gets a note saying so.
    """
    cfg = base
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

    def done(self) -> Done:
        assert self.task is not None
        return Done(self.entry, self.task.name, self.file_sha256, self.settings, self.rear_sha256)


def _unreadable(entry: ClipEntry, err: OSError, *, rear: bool = False) -> Item:
    what = (
        "does not exist"
        if isinstance(err, FileNotFoundError)
        else f"cannot be read ({err.strerror})"
    )
    name = clip_name(entry.path.stem, "-" * 10, entry.subject, entry.session)
    if rear:
        reason = f"Rear file '{entry.rear_label}' {what}; check the path in the rear column."
    else:
        reason = f"File '{entry.label}' {what}; check the path."
    return Item(entry, None, unreadable=Failed(entry, name, type(err).__name__, reason))


def plan(
    entries: Sequence[ClipEntry], config: AnalysisConfig, job: Job, store: Store
) -> tuple[list[Item], set[str]]:
    """One :class:`Item` per entry, in order, and warnings about settings the analysis ignores.

    Entries with the same folder name (same labels, file stem, content and configuration) share
    one task object, so the clip is analysed once. A two-view entry's key includes its rear clip's
    content; an entry whose file or rear file cannot be read gets no task (a failure row).
    """
    cache = HashCache(store.book_dir / "hashes.json")
    jid = job_id(job)
    warnings: set[str] = set()
    tasks: dict[str, ClipTask] = {}
    items = []
    files = _file_contents(config, cache)
    for entry in entries:
        try:
            sha = cache.sha256(entry.path)
        except OSError as err:
            items.append(_unreadable(entry, err))
            continue
        try:
            rear_sha = None if entry.rear is None else cache.sha256(entry.rear)
        except OSError as err:
            items.append(_unreadable(entry, err, rear=True))
            continue
        cfg = clip_config(config, entry, warnings)
        key = result_key(sha, config_hash({**cfg.to_dict(), "file_sha256": files}, jid), rear_sha)
        name = clip_name(entry.path.stem, key, entry.subject, entry.session)
        rear = None if entry.rear is None else str(entry.rear)
        task = tasks.setdefault(
            name, ClipTask(name, key, str(entry.path), cfg, entry.is_video, rear=rear)
        )
        shown = {
            col: getattr(entry, n) if getattr(entry, n) is not None else _setting(cfg, n)
            for n, col in SHOWN_SETTINGS.items()
        }
        items.append(Item(entry, task, sha, shown, rear_sha256=rear_sha or ""))
    cache.save()
    return items, warnings
