"""Stand-ins for the metrics stage's types (same fields, duck-typed) and synthetic step tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gait.flags import FootStrikeCondition, MetricCondition, Rule


@dataclass(frozen=True)
class FakeMetric:
    """Same fields as the metrics stage's ``Metric``."""

    value: float | None
    unit: str = ""
    n: int = 30
    sd: float | None = None
    uncertainty: float | None = None
    confidence: str = "high"
    note: str | None = None
    per_side: Mapping[str, float | None] | None = None


@dataclass(frozen=True)
class FakeFootStrike:
    """Same fields as the metrics stage's ``FootStrike``."""

    pattern: str | None
    angle_deg: float | None = 12.0
    n: int = 15
    confidence: str = "high"


def unit_of(metric: str) -> str:
    """The unit suffix of a metric key (``cadence_spm`` -> ``spm``)."""
    for suffix in ("leg_lengths", "pelvis_widths", "spm", "deg", "pct", "s"):
        if metric.endswith("_" + suffix):
            return suffix
    return ""


def inputs_for(
    rule: Rule, primary_value: float, *, confidence: str = "high"
) -> tuple[dict[str, FakeMetric], dict[str, FakeFootStrike]]:
    """Metrics and foot strikes that satisfy every condition of ``rule`` except, possibly, the primary one.

    The primary metric's value is ``primary_value``; secondary metrics sit exactly at their thresholds, which
    fires because equality fires.
    """
    metrics: dict[str, FakeMetric] = {}
    strikes: dict[str, FakeFootStrike] = {}
    for i, cond in enumerate(rule.conditions):
        if isinstance(cond, MetricCondition):
            value = primary_value if i == 0 else cond.threshold
            metrics[cond.metric] = FakeMetric(value, unit_of(cond.metric), confidence=confidence)
        elif isinstance(cond, FootStrikeCondition):
            strikes = {"L": FakeFootStrike(cond.pattern), "R": FakeFootStrike(cond.pattern)}
    return metrics, strikes


def make_steps(
    duration_s: float,
    cadence_spm: Callable[[float], float],
    *,
    noise_frac: float = 0.0,
    columns: Mapping[str, Callable[[float], float]] | None = None,
    column_noise: Mapping[str, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """A step table: alternate feet, step times ``60 / cadence_spm(t)`` with relative noise.

    Each extra column is ``f(t)`` plus Gaussian noise of SD ``column_noise[name]``.
    """
    rng = np.random.default_rng(seed)
    columns = columns or {}
    column_noise = column_noise or {}
    rows = []
    t, foot = 0.0, "L"
    while True:
        step_time_s = 60.0 / cadence_spm(t) * (1.0 + rng.normal(0.0, noise_frac))
        t += step_time_s
        if t > duration_s:
            break
        row = {"foot": foot, "ic_time_s": t, "step_time_s": step_time_s}
        for name, f in columns.items():
            row[name] = f(t) + rng.normal(0.0, column_noise.get(name, 0.0))
        rows.append(row)
        foot = "R" if foot == "L" else "L"
    return pd.DataFrame(rows)
