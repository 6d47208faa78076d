"""Merging the metrics of several views of one run (a side clip and a rear clip, say).

Each view contributes the metrics it is the source of (the view registry of :mod:`gait.pipeline`
says which: the rear view :data:`gait.metrics.REAR_METRICS`, the side view every other one). The
clips are not synchronised: they are matched by cadence and, when the step-to-step fluctuations of
step time line up clearly enough, by phase (:func:`estimate_phase_offset`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gait.metrics._types import GaitMetrics, Metric
from gait.notes import QualityNote

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


@dataclass(frozen=True)
class ViewPart:
    """One view's contribution to a merge.

    Attributes
    ----------
    role
        The clip's role in the session (``"side"``, ``"rear"``, ``"front"``).
    view
        Its view (``"side_left"``, ``"rear"`` ...).
    metrics
        Its metrics.
    provides
        The metric names taken from this view; ``None``: every metric no other part provides.
    running
        Whether its events show running.
    """

    role: str
    view: str
    metrics: GaitMetrics
    provides: frozenset[str] | None
    running: bool = True


def merge_metrics(parts: Sequence[ViewPart]) -> tuple[dict[str, Metric], dict[str, str]]:
    """The merged metrics and each one's view, parts in order.

    A part with ``provides`` contributes exactly those metrics (when it has them); a part with
    ``provides=None`` every metric that no other part claims.
    """
    claimed = frozenset().union(*(p.provides for p in parts if p.provides is not None))
    merged: dict[str, Metric] = {}
    views: dict[str, str] = {}
    for part in parts:
        for name, metric in part.metrics.metrics.items():
            wanted = name not in claimed if part.provides is None else name in part.provides
            if wanted and name not in merged:
                merged[name], views[name] = metric, part.view
    return merged, views


def merge_steps(parts: Sequence[ViewPart]) -> pd.DataFrame:
    """Every view's steps, in part order, with a ``view`` column in front (each in its clip's time base)."""
    frames = [p.metrics.steps.assign(view=p.view)[["view", *p.metrics.steps.columns]] for p in parts]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    filled = [f for f in frames if not f.empty]
    merged = pd.concat(filled, ignore_index=True) if filled else pd.DataFrame(columns=columns)
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


def match_views(first: ViewPart, second: ViewPart) -> tuple[dict[str, float | str | None], tuple[QualityNote, ...]]:
    """How two views of one run match: cadences, their difference and the phase offset, with notes.

    Returns the ``session`` block of the report (``cadence_<role>_spm`` for both, ``cadence_diff_spm``
    second minus first, ``matched_by``, ``phase_offset_s``, ``phase_correlation``) and its notes.
    """
    c1, c2 = first.metrics.value("cadence_spm"), second.metrics.value("cadence_spm")
    diff = None if c1 is None or c2 is None else c2 - c1
    notes: list[QualityNote] = []
    if diff is None:
        missing = " and ".join(p.role for p, c in ((first, c1), (second, c2)) if c is None)
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
                f"The {first.role} clip's cadence ({c1:.0f} steps/min) and the {second.role} clip's "
                f"({c2:.0f} steps/min) differ by {abs(diff):.0f} steps/min (more than "
                f"{MAX_CADENCE_DIFF_SPM:.0f}): the clips may not be from the same run or speed. "
                "Re-record both at the same speed before comparing the "
                f"{first.role} and {second.role} metrics.",
            )
        )
    offset, r = (None, None)
    if first.running and second.running:
        offset, r = estimate_phase_offset(first.metrics.steps, second.metrics.steps)
    block: dict[str, float | str | None] = {
        f"cadence_{first.role}_spm": c1,
        f"cadence_{second.role}_spm": c2,
        "cadence_diff_spm": diff,
        "matched_by": "cadence",
        "phase_offset_s": offset,
        "phase_correlation": r,
    }
    return block, tuple(notes)


def match_session(parts: Sequence[ViewPart]) -> tuple[dict[str, float | str | None], tuple[QualityNote, ...]]:
    """How the views of one run match: :func:`match_views` of the first two parts, then each further one.

    The block is that of the first two parts; every further part (a front clip beside a rear one)
    adds ``cadence_<role>_spm``, ``cadence_diff_<role>_spm`` (its cadence minus the first part's),
    ``phase_offset_<role>_s`` and ``phase_correlation_<role>``, matched against the first part, and
    its notes.
    """
    first, second, *others = parts
    block, notes = match_views(first, second)
    more = list(notes)
    for part in others:
        extra, extra_notes = match_views(first, part)
        block |= {
            f"cadence_{part.role}_spm": extra[f"cadence_{part.role}_spm"],
            f"cadence_diff_{part.role}_spm": extra["cadence_diff_spm"],
            f"phase_offset_{part.role}_s": extra["phase_offset_s"],
            f"phase_correlation_{part.role}": extra["phase_correlation"],
        }
        more.extend(extra_notes)
    return block, tuple(more)


__all__ = [
    "MAX_CADENCE_DIFF_SPM",
    "ViewPart",
    "estimate_phase_offset",
    "match_session",
    "match_views",
    "merge_metrics",
    "merge_steps",
]
