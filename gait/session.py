"""Two-view sessions: one report from a side clip and a rear clip of the same run.

The clips are analysed separately (:func:`gait.pipeline.analyze`, each with its own view) and
merged here by pure functions over the two :class:`gait.pipeline.Analysis` objects:

- side-view metrics (cadence, timing, foot strike, sagittal angles) come from the side clip, the
  rear-view metrics (:data:`gait.metrics.REAR_METRICS`: pelvic drop, hip adduction, step width ...)
  from the rear clip; each metric in ``report.json`` says where it came from (``source_view``);
- the clips are not synchronised. They are matched by cadence (a difference of more than
  :data:`MAX_CADENCE_DIFF_SPM` is reported as ``views_disagree``) and, when the step-to-step
  fluctuations of step time line up clearly enough, by phase (:func:`estimate_phase_offset`);
- flags are evaluated on the merged metrics, so a rear-view rule (pelvic drop) and a side-view rule
  (step rate) can both fire; the fatigue comparison uses the side clip's steps.

Roles follow the *detected* views: a pair given the wrong way round (the rear clip first) is swapped
with a note, and a clip whose view does not match its role (two side clips, say) is still analysed
by its detected view, with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gait.flags import FatigueResult, FlagResult, RuleSet, evaluate_flags
from gait.metrics import REAR_METRICS, GaitMetrics, Metric
from gait.notes import QualityNote
from gait.report._json import SCHEMA_VERSION, flag_fields, json_safe

if TYPE_CHECKING:
    from gait.config import AnalysisConfig
    from gait.pipeline import Analysis

#: Cadence difference (steps/min) beyond which the two clips are taken not to show the same run.
#: Cadence from a clip of 20+ steps is repeatable to about 1 step/min (the mocap harness: side and
#: rear cameras on the same trial agree within 0.1 step/min); runners change cadence by roughly
#: 3-4 steps/min per 1 km/h of speed, so 3 steps/min separates "same speed" from "another speed".
MAX_CADENCE_DIFF_SPM = 3.0
#: Fewest paired steps for a phase estimate.
MIN_PHASE_PAIRS = 20
#: Family-wise significance of the best lag's correlation (Fisher z, Bonferroni over the lags tried).
PHASE_ALPHA = 0.01
#: Smallest lead of the best lag's correlation over the runner-up's.
PHASE_MARGIN = 0.15

SIDE_VIEWS = ("side_left", "side_right")
ROLES = ("side", "rear")


@dataclass(frozen=True)
class Session:
    """A merged two-view analysis; ``report`` is the content of ``report.json``.

    Attributes
    ----------
    side, rear
        The analyses in their roles (after swapping a pair given the wrong way round).
    metrics
        The merged metrics: side-view metrics from ``side``, rear-view metrics from ``rear``,
        ``side``'s foot strike, both views' steps (``view`` column first) and all quality notes.
    source_views
        Metric name -> the view it was measured in.
    flags, fatigue
        Flags on the merged metrics; fatigue comparison on the side clip's steps.
    report
        The merged report (JSON-safe).
    """

    side: Analysis
    rear: Analysis
    metrics: GaitMetrics
    source_views: dict[str, str]
    flags: FlagResult
    fatigue: FatigueResult
    report: dict[str, Any]


def role_configs(config: AnalysisConfig) -> tuple[AnalysisConfig, AnalysisConfig]:
    """The configurations of the side and the rear clip.

    ``config.view`` forces the view of the clip whose role it names: a side view
    (``"side_left"``/``"side_right"``) the side clip's, ``"rear"`` or ``"front"`` the rear clip's;
    the other clip's view is detected. Without ``config.view`` both are detected.
    """
    if config.view is None:
        return config, config
    if config.view in SIDE_VIEWS:
        return config, replace(config, view=None)
    return replace(config, view=None), config


def assign_roles(
    first: Analysis, second: Analysis, names: tuple[str, str] = ("the side clip", "the rear clip")
) -> tuple[Analysis, Analysis, tuple[QualityNote, ...]]:
    """``(side, rear, notes)``: the analyses in their roles, swapped when given the wrong way round.

    ``first`` was given as the side clip and ``second`` as the rear clip; ``names`` name them in
    notes. A clip whose detected view does not fit its role keeps the role and its detected view,
    with a ``view_mismatch`` note.
    """
    v1, v2 = first.events.view, second.events.view
    if v1 == "rear" and v2 in SIDE_VIEWS:
        note = QualityNote(
            "view_mismatch",
            f"The clip given as the side view ({names[0]}) was filmed from behind and the clip given "
            f"as the rear view ({names[1]}) from the side ({_view_words(v2)}); they were analysed by "
            "the views detected, as if given the other way round.",
        )
        return second, first, (note,)
    notes = []
    if v1 not in SIDE_VIEWS:
        notes.append(
            QualityNote(
                "view_mismatch",
                f"The clip given as the side view ({names[0]}) looks like a {_view_words(v1)}, not a "
                "side view; it was analysed as such, so the side-view metrics (foot strike, "
                "overstride, knee and trunk angles) are missing. Film the side clip with the camera "
                "perpendicular to the running direction, at hip height.",
            )
        )
    if v2 != "rear":
        notes.append(
            QualityNote(
                "view_mismatch",
                f"The clip given as the rear view ({names[1]}) looks like a {_view_words(v2)}, not a "
                "rear view; it was analysed as such, so the rear-view metrics (pelvic drop, hip "
                "adduction, step width) are missing. Film the rear clip from behind the runner, at "
                "pelvis height.",
            )
        )
    return first, second, tuple(notes)


def _view_words(view: str) -> str:
    return {
        "side_left": "side view (left side)",
        "side_right": "side view (right side)",
        "rear": "rear view",
        "front": "front view",
    }.get(view, "view that could not be recognised")


def merge_metrics(side: Analysis, rear: Analysis) -> tuple[dict[str, Metric], dict[str, str]]:
    """Side-view metrics from ``side``, rear-view metrics from ``rear``; and each one's view.

    A metric of :data:`gait.metrics.REAR_METRICS` comes from ``rear`` (when it has it), every other
    metric (cadence, step time, ...) from ``side``.
    """
    merged: dict[str, Metric] = {}
    views: dict[str, str] = {}
    for name, metric in side.metrics.metrics.items():
        if name not in REAR_METRICS:
            merged[name], views[name] = metric, side.events.view
    for name, metric in rear.metrics.metrics.items():
        if name in REAR_METRICS:
            merged[name], views[name] = metric, rear.events.view
    return merged, views


def merge_steps(side: Analysis, rear: Analysis) -> pd.DataFrame:
    """Both clips' steps, side first, with a ``view`` column in front (each in its clip's time base)."""
    parts = []
    for analysis in (side, rear):
        steps = analysis.metrics.steps
        parts.append(steps.assign(view=analysis.events.view)[["view", *steps.columns]])
    columns = list(dict.fromkeys([*parts[0].columns, *parts[1].columns]))
    merged = (
        pd.concat([p for p in parts if not p.empty], ignore_index=True)
        if any(not p.empty for p in parts)
        else pd.DataFrame(columns=columns)
    )
    return merged.reindex(columns=columns)


def estimate_phase_offset(
    side_steps: pd.DataFrame, rear_steps: pd.DataFrame, *, min_pairs: int = MIN_PHASE_PAIRS
) -> tuple[float | None, float | None]:
    """Time offset between two unsynchronised clips of the same run, from their step times.

    Each clip's step times minus its per-foot median leave the step-to-step fluctuations; when the
    two clips filmed the same steps, these fluctuations line up at one lag (in steps). Every lag
    with at least ``min_pairs`` paired steps of the same foot is tried.

    Returns
    -------
    offset_s, r
        ``offset_s``: rear-clip time minus side-clip time of the same step (an instant at ``t`` in
        the side clip is at ``t + offset_s`` in the rear clip), the median over the paired steps;
        ``r`` the correlation at that lag. ``(None, r)`` when no lag stands out: its correlation
        must be significant at :data:`PHASE_ALPHA` after a Bonferroni correction over the lags
        tried and lead the runner-up by :data:`PHASE_MARGIN`. Clips filmed one after the other
        share no steps, and give None; so do clips whose timing noise (about 10 ms per event at
        60 fps) exceeds the runner's natural step-time variability (a few ms on a treadmill).
    """
    a, b = _fluctuations(side_steps), _fluctuations(rear_steps)
    if a is None or b is None:
        return None, None
    found = []
    for lag in range(-(len(a) - min_pairs), len(b) - min_pairs + 1):
        i = np.arange(len(a))
        j = i + lag
        ok = (j >= 0) & (j < len(b))
        i, j = i[ok], j[ok]
        if len(i) < min_pairs or (a["foot"].to_numpy()[i] != b["foot"].to_numpy()[j]).mean() > 0.1:
            continue
        x, y = a["dev"].to_numpy()[i], b["dev"].to_numpy()[j]
        fin = np.isfinite(x) & np.isfinite(y)
        if fin.sum() < min_pairs or np.std(x[fin]) == 0 or np.std(y[fin]) == 0:
            continue
        r = float(np.corrcoef(x[fin], y[fin])[0, 1])
        offset = float(np.median(b["ic_time_s"].to_numpy()[j] - a["ic_time_s"].to_numpy()[i]))
        found.append((r, int(fin.sum()), offset))
    if not found:
        return None, None
    found.sort(key=lambda f: -f[0])
    r, n, offset = found[0]
    runner_up = found[1][0] if len(found) > 1 else -1.0
    z = math.atanh(min(r, 0.999999)) * math.sqrt(n - 3)
    p = 0.5 * math.erfc(z / math.sqrt(2.0)) * len(found)  # one-sided, Bonferroni over the lags
    if p >= PHASE_ALPHA or r - runner_up < PHASE_MARGIN:
        return None, r
    return offset, r


def _fluctuations(steps: pd.DataFrame) -> pd.DataFrame | None:
    if steps.empty or "step_time_s" not in steps:
        return None
    out = steps[["foot", "ic_time_s", "step_time_s"]].reset_index(drop=True)
    median = out.groupby("foot")["step_time_s"].transform("median")
    return out.assign(dev=out["step_time_s"] - median)


def session_block(side: Analysis, rear: Analysis) -> tuple[dict[str, Any], tuple[QualityNote, ...]]:
    """The ``session`` block of the report (cadences, difference, phase offset) and its notes."""
    c_side, c_rear = side.metrics.value("cadence_spm"), rear.metrics.value("cadence_spm")
    diff = None if c_side is None or c_rear is None else c_rear - c_side
    notes: list[QualityNote] = []
    if diff is None:
        missing = " and ".join(r for r, c in zip(ROLES, (c_side, c_rear), strict=True) if c is None)
        notes.append(
            QualityNote(
                "views_not_matched",
                f"The clips could not be matched by cadence: the {missing} clip shows no steady "
                "running. Each view's metrics stand on their own.",
            )
        )
    elif abs(diff) > MAX_CADENCE_DIFF_SPM:
        notes.append(
            QualityNote(
                "views_disagree",
                f"The side clip's cadence ({c_side:.0f} steps/min) and the rear clip's "
                f"({c_rear:.0f} steps/min) differ by {abs(diff):.0f} steps/min (more than "
                f"{MAX_CADENCE_DIFF_SPM:.0f}): the clips may not be from the same run or speed. "
                "Re-record both at the same speed before comparing the side and rear metrics.",
            )
        )
    offset, r = (None, None)
    if side.events.running and rear.events.running:
        offset, r = estimate_phase_offset(side.metrics.steps, rear.metrics.steps)
    block = {
        "cadence_side_spm": c_side,
        "cadence_rear_spm": c_rear,
        "cadence_diff_spm": diff,
        "matched_by": "cadence",
        "phase_offset_s": offset,
        "phase_correlation": r,
    }
    return json_safe(block), tuple(notes)


def view_block(role: str, analysis: Analysis) -> dict[str, Any]:
    """One entry of the report's ``views`` list."""
    return {
        "role": role,
        "view": analysis.events.view,
        "clip": analysis.report["clip"],
        "detector": analysis.events.detector,
        "cadence_spm": json_safe(analysis.metrics.value("cadence_spm")),
        "running": bool(analysis.events.running),
    }


def merge_session(
    first: Analysis,
    second: Analysis,
    config: AnalysisConfig,
    *,
    rules: RuleSet | None = None,
    names: tuple[str, str] | None = None,
) -> Session:
    """Merge the analyses of the clip given as side view (``first``) and as rear view (``second``).

    Parameters
    ----------
    first, second
        Analyses of the side and rear clip, each by its own (detected or forced) view.
    config
        The user's configuration (recorded in the report's provenance).
    rules
        Flag rules (``None``: the defaults); the same as the analyses used.
    names
        The two files' names as the user gave them, for notes; default: from the clips' paths.
    """
    names = names or (_clip_name(first), _clip_name(second))
    side, rear, role_notes = assign_roles(first, second, (f"'{names[0]}'", f"'{names[1]}'"))
    metrics, source_views = merge_metrics(side, rear)
    session, session_notes = session_block(side, rear)
    flags = evaluate_flags(metrics, side.metrics.foot_strike, rules=rules)
    fatigue = side.fatigue
    steps = merge_steps(side, rear)
    notes = (
        *role_notes,
        *session_notes,
        *_prefixed("Side clip", side),
        *_prefixed("Rear clip", rear),
    )
    merged = GaitMetrics(metrics, dict(side.metrics.foot_strike), steps, notes)
    report = _report(side, rear, metrics, source_views, session, notes, flags, fatigue, config)
    return Session(side, rear, merged, source_views, flags, fatigue, report)


def _clip_name(analysis: Analysis) -> str:
    return Path(str(analysis.report["clip"].get("path") or "")).name or "pose track"


def _prefixed(label: str, analysis: Analysis) -> list[QualityNote]:
    return [QualityNote(q["code"], f"{label}: {q['message']}") for q in analysis.report["quality"]]


def _report(
    side: Analysis,
    rear: Analysis,
    metrics: dict[str, Metric],
    source_views: dict[str, str],
    session: dict[str, Any],
    notes: tuple[QualityNote, ...],
    flags: FlagResult,
    fatigue: FatigueResult,
    config: AnalysisConfig,
) -> dict[str, Any]:
    by_role = {"side": side, "rear": rear}
    metric_dicts = {}
    for name in metrics:
        source = side if name not in REAR_METRICS else rear
        metric_dicts[name] = {**source.report["metrics"][name], "source_view": source_views[name]}
    events = [{**e, "view": a.events.view} for a in (side, rear) for e in a.report["events"]]
    rear_prov = rear.report["provenance"]
    provenance = {
        **side.report["provenance"],
        "rear": {
            k: rear_prov.get(k)
            for k in (
                "model_name",
                "model_sha256",
                "source_format",
                "event_detector",
                "person_selection",
                "cleaning",
            )
        },
        "config": config.to_dict(),
    }
    seen: set[tuple[str, str]] = set()
    quality = []
    for q in notes:
        if (q.code, q.message) not in seen:
            seen.add((q.code, q.message))
            quality.append(q.to_dict())
    report = {
        "schema_version": SCHEMA_VERSION,
        "clip": side.report["clip"],
        "view": f"{side.events.view}+{rear.events.view}",
        "views": [view_block(role, a) for role, a in by_role.items()],
        "session": session,
        "direction": side.report["direction"],
        "running": side.report["running"],
        "events": events,
        "metrics": metric_dicts,
        "foot_strike": side.report["foot_strike"],
        "quality": quality,
        **flag_fields(flags, fatigue),
        "provenance": provenance,
    }
    return json_safe(report)


__all__ = [
    "MAX_CADENCE_DIFF_SPM",
    "Session",
    "assign_roles",
    "estimate_phase_offset",
    "merge_metrics",
    "merge_session",
    "merge_steps",
    "role_configs",
    "session_block",
    "view_block",
]
