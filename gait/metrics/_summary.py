"""Turn per-step values into :class:`Metric` summaries, with uncertainty and confidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.metrics._types import Metric, MetricParams


def frame_sd_s(fps: float) -> float:
    """Timing error (1 SD, s) left by the frame grid after sub-frame estimation.

    Quantisation to the frame grid alone would give ``period / sqrt(12)``; the stride template
    recovers sub-frame timing, and on the mocap harness the spread at 30 fps matched half of
    that (7.4 ms measured against sqrt(5.8**2 + 4.8**2) = 7.5 ms), so this returns
    ``period / (2 sqrt(12))``.
    """
    return (1.0 / fps) / (2.0 * np.sqrt(12.0)) if np.isfinite(fps) and fps > 0 else float("nan")


def event_sd_s(kind: str, fps: float, params: MetricParams) -> float:
    """Random timing error of one IC or TO at ``fps`` (s, 1 SD)."""
    base = params.ic_timing_sd_s if kind == "IC" else params.to_timing_sd_s
    return float(np.hypot(base, frame_sd_s(fps)))


def interval_uncertainty(
    kinds: tuple[str, str], fps: float, n: int, params: MetricParams, *, same_foot: bool
) -> float | None:
    """Standard uncertainty (s) of a mean interval between two event kinds over ``n`` steps.

    Random part: both events' errors, divided by sqrt(n). Systematic part (does not average out):
    the two kinds' systematic errors for mixed intervals (contact = TO - IC, flight = IC - TO);
    for IC-to-IC steps between feet, the near/far difference (sqrt(2) x the IC systematic error);
    none for strides (same foot, same kind).
    """
    if n < 1 or not np.isfinite(fps):
        return None
    rand = np.hypot(event_sd_s(kinds[0], fps, params), event_sd_s(kinds[1], fps, params))
    sys_ = {"IC": params.ic_systematic_s, "TO": params.to_systematic_s}
    if kinds[0] != kinds[1]:
        systematic = float(np.hypot(sys_[kinds[0]], sys_[kinds[1]]))
    else:
        systematic = 0.0 if same_foot else float(np.sqrt(2) * sys_[kinds[0]])
    return float(np.hypot(systematic, rand / np.sqrt(n)))


def summarise(
    values: pd.Series,
    feet: pd.Series,
    unit: str,
    confidence: str,
    *,
    min_n: int = 2,
    uncertainty: float | None = None,
    note: str | None = None,
    per_side: bool = True,
) -> Metric:
    """Mean, SD and n of finite per-step values, plus per-side means.

    Fewer than ``min_n`` finite values give ``value=None`` with a note.
    """
    v = values.to_numpy(dtype=float)
    ok = np.isfinite(v)
    n = int(ok.sum())
    sides = None
    if per_side:
        sides = {}
        for f in ("L", "R"):
            m = ok & (feet.to_numpy() == f)
            sides[f] = float(np.mean(v[m])) if m.sum() >= 1 else None
    if n < min_n:
        return Metric(
            None, unit, n, None, None, "low", note or f"Fewer than {min_n} valid steps.", sides
        )
    return Metric(
        value=float(np.mean(v[ok])),
        unit=unit,
        n=n,
        sd=float(np.std(v[ok], ddof=1)) if n >= 2 else None,
        uncertainty=uncertainty,
        confidence=confidence,
        note=note,
        per_side=sides,
    )


def missing(unit: str, note: str) -> Metric:
    """A metric that the data cannot support: no value, a note saying why."""
    return Metric(None, unit, 0, None, None, "low", note)
