"""Tidy tables across a batch, rebuilt from the committed clip folders every run.

Because the tables are read back from ``clips/<name>/`` (``report.json`` and ``steps.parquet``)
rather than collected from workers, they depend only on the results on disk: a resumed run, an
uninterrupted run and the Ray engine give byte-identical tables. Rows follow the input order.

``clips``
    One row per analysed clip: ``clip_id`` (its folder name), ``path``, ``subject``, ``session``,
    ``rear`` (the rear-view clip of a two-view row as the manifest gives it; empty for a single
    clip), the manifest's extra columns, ``file_sha256`` and ``rear_sha256``, the clip's settings
    and properties (a two-view row's ``view`` is e.g. ``side_left+rear``), then each summary
    metric's value in a column named like the report's metric key (``cadence_spm``), then
    ``<metric>_confidence`` (high/medium/low), the foot-strike pattern and angle per foot, ``flags``
    (the fired flag codes joined by ``;``), one nullable boolean ``flag_<code>`` column per flag
    rule (true: fired; false: assessed, not fired; empty: not assessed for this clip, e.g. pelvic
    drop in a side view, or withheld for low confidence), ``quality`` (quality-note
    codes joined by ``;``) and ``clip_folder``.
``metrics``
    One row per clip and metric, with every field of the report (value, unit, n, sd, uncertainty,
    confidence, note): the long form of the metric columns of ``clips``.
``steps``
    One row per step: the clip's id columns, then the columns of the clip's ``steps.csv`` (for a
    two-view row, both views' steps, told apart by its ``view`` column).
``failures``
    One row per failed clip: id columns, ``rear``, ``error_type`` and ``reason`` (one sentence).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gait.batch._job import STEPS_PARQUET
from gait.batch._store import Store, write_atomic
from gait.batch.manifest import ClipEntry

ID_COLUMNS = ("clip_id", "path", "subject", "session")
#: First columns of ``clips``: the ids and the rear and front clips of a session's row (empty for single clips).
CLIP_COLUMNS = (*ID_COLUMNS, "rear", "front")
METRIC_FIELDS = ("value", "unit", "n", "sd", "uncertainty", "confidence", "note")
FAILURE_COLUMNS = (*CLIP_COLUMNS, "error_type", "reason")
#: Columns whose type must not depend on the data (an all-empty column would otherwise be untyped).
_FLOAT = {
    "duration_s",
    "fps",
    "slowmo_factor",
    "height_cm",
    "treadmill_speed_mps",
    "value",
    "sd",
    "uncertainty",
}
_INT = {"n_frames", "n_frames_with_runner", "n_steps", "n"}
_TEXT = {
    "clip_id",
    "path",
    "subject",
    "session",
    "file_sha256",
    "rear",
    "rear_sha256",
    "front",
    "front_sha256",
    "view",
    "manifest_view",
    "direction",
    "flags",
    "quality",
    "clip_folder",
    "metric",
    "unit",
    "confidence",
    "note",
    "error_type",
    "reason",
}


@dataclass(frozen=True)
class Done:
    """An entry whose result is committed in ``clips/<name>``."""

    entry: ClipEntry
    name: str
    file_sha256: str
    settings: dict[str, Any]  # per-clip height_cm and treadmill_speed_mps in effect
    rear_sha256: str = ""  # of the rear clip of a session's row
    front_sha256: str = ""  # of the front clip of a session's row


@dataclass(frozen=True)
class Failed:
    """An entry that failed, with its reason."""

    entry: ClipEntry
    name: str
    error_type: str
    reason: str


def _ids(entry: ClipEntry, name: str) -> dict[str, Any]:
    return {
        "clip_id": name,
        "path": entry.label,
        "subject": entry.subject,
        "session": entry.session,
    }


def _clip_row(
    done: Done, report: dict[str, Any], steps: pd.DataFrame, codes: Sequence[str]
) -> dict[str, Any]:
    clip = report.get("clip", {})
    row = {
        **_ids(done.entry, done.name),
        "rear": done.entry.rear_label,
        "front": done.entry.front_label,
        **dict(done.entry.extra),
    }
    row.update(
        file_sha256=done.file_sha256,
        rear_sha256=done.rear_sha256 or None,
        front_sha256=done.front_sha256 or None,
        view=report.get("view"),
        direction=report.get("direction"),
        running=report.get("running"),
        duration_s=clip.get("duration_s"),
        fps=clip.get("fps"),
        n_frames=clip.get("n_frames"),
        n_frames_with_runner=clip.get("n_frames_with_runner"),
        slowmo_factor=clip.get("slowmo_factor"),
        **done.settings,
        n_steps=len(steps),
    )
    metrics = report.get("metrics", {})
    row.update({k: m.get("value") for k, m in metrics.items()})
    row.update({f"{k}_confidence": m.get("confidence") for k, m in metrics.items()})
    for side, fs in sorted(report.get("foot_strike", {}).items()):
        row[f"foot_strike_{side}"] = fs.get("pattern")
        row[f"foot_strike_angle_{side}_deg"] = fs.get("angle_deg")
    fired = [f["code"] for f in report.get("flags", [])]
    unknown = {f.get("code") for f in report.get("flags_withheld", []) if isinstance(f, dict)}
    unknown.update(report.get("flags_not_assessed", []))
    row["flags"] = ";".join(fired)
    for code in dict.fromkeys([*codes, *fired]):
        row[f"flag_{code}"] = True if code in fired else (pd.NA if code in unknown else False)
    row["quality"] = ";".join(q["code"] for q in report.get("quality", []))
    row["clip_folder"] = f"clips/{done.name}"
    return row


def _dtype(column: str, metric_keys: Set[str], extra: Set[str]) -> str | None:
    if column.startswith("flag_") or column == "running":
        return "boolean"
    if column in _FLOAT or column in metric_keys or column.endswith("_deg"):
        return "float64"
    if column in _INT:
        return "Int64"
    if (
        column in _TEXT
        or column in extra
        or column.endswith("_confidence")
        or column.startswith("foot_strike_")
    ):
        return "str"
    return None


def _frame(
    rows: list[dict[str, Any]],
    first: Sequence[str],
    metric_keys: Set[str] = frozenset(),
    extra: Set[str] = frozenset(),
) -> pd.DataFrame:
    """Rows to a DataFrame, columns in order of first appearance, ``first`` always present, typed by name."""
    columns = list(dict.fromkeys([*first, *(c for r in rows for c in r)]))
    frame = (
        pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    )
    return frame.astype(
        {c: t for c in frame.columns if (t := _dtype(c, metric_keys, extra)) is not None}
    )


def build_tables(
    results: Iterable[Done | Failed], store: Store, *, flag_codes: Sequence[str] = ()
) -> dict[str, pd.DataFrame]:
    """``clips``, ``metrics``, ``steps`` and ``failures`` for the given results, in their order.

    ``flag_codes``: the codes of the rules in use; each gets a ``flag_<code>`` column even when no
    clip fired it, so the schema does not depend on the data (codes seen in reports are added).
    """
    codes = tuple(flag_codes)
    clips, metrics, steps, failures = [], [], [], []
    metric_keys: set[str] = set()
    extra: set[str] = set()
    for res in results:
        if isinstance(res, Failed):
            failures.append(
                {
                    **_ids(res.entry, res.name),
                    "rear": res.entry.rear_label,
                    "front": res.entry.front_label,
                    "error_type": res.error_type,
                    "reason": res.reason,
                }
            )
            continue
        folder = store.clips_dir / res.name
        report = json.loads((folder / "report.json").read_text())
        clip_steps = pd.read_parquet(folder / STEPS_PARQUET)
        clips.append(_clip_row(res, report, clip_steps, codes))
        metric_keys.update(report.get("metrics", {}))
        extra.update(name for name, _ in res.entry.extra)
        ids = _ids(res.entry, res.name)
        for key, m in report.get("metrics", {}).items():
            metrics.append({**ids, "metric": key, **{f: m.get(f) for f in METRIC_FIELDS}})
        if len(clip_steps):
            steps.append(clip_steps.assign(**ids)[[*ids, *clip_steps.columns]])
    ids_frame = pd.DataFrame(columns=list(ID_COLUMNS))
    return {
        "clips": _frame(clips, CLIP_COLUMNS, metric_keys, extra),
        "metrics": _frame(metrics, (*ID_COLUMNS, "metric", *METRIC_FIELDS)),
        "steps": (pd.concat(steps, ignore_index=True) if steps else ids_frame).astype(
            {c: "str" for c in ID_COLUMNS}
        ),
        "failures": _frame(failures, FAILURE_COLUMNS),
    }


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> dict[str, Path]:
    """Write each table as Parquet and CSV (failures: CSV only), atomically; returns the paths."""
    written: dict[str, Path] = {}
    for name, frame in tables.items():
        if name != "failures":
            buf = io.BytesIO()
            frame.to_parquet(buf, index=False)
            write_atomic(out_dir / f"{name}.parquet", buf.getvalue())
            written[f"{name}.parquet"] = out_dir / f"{name}.parquet"
        write_atomic(out_dir / f"{name}.csv", frame.to_csv(index=False, lineterminator="\n"))
        written[f"{name}.csv"] = out_dir / f"{name}.csv"
    return written
