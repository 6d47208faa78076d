"""Does form degrade over a clip? First third vs last third of the steps, with a noise check.

Muscle fatigue changes running mechanics in ways studied as stress-fracture risk factors (Clansey
et al. 2012). In a clip of a minute or more we compare, per step, step rate, overstride, knee
flexion at initial contact and pelvic drop between the first and the last third of the clip (by
time), and report a change as degradation only when it is at or beyond the criterion's threshold
(``rules.toml``, ``[[fatigue]]``) **and** a one-sided Welch t-test says it is unlikely to be
step-to-step noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gait.flags._load import default_rules
from gait.flags._result import Flag
from gait.flags._rules import Confidence, Direction, FatigueCriterion, RuleSet, crosses
from gait.notes import QualityNote

#: Per-step cadence outside this range (steps/min) is treated as a missed or spurious event.
PLAUSIBLE_CADENCE_SPM = (100.0, 300.0)


@dataclass(frozen=True)
class FatigueComparison:
    """One per-step measure, first third vs last third of the clip.

    Attributes
    ----------
    code, label, column, metric
        From the criterion; ``metric`` names the change with its unit suffix.
    first_mean, last_mean
        Means over the steps of the first and last thirds, in the column's unit.
    change
        ``last - first`` in the column's unit, or in % of ``first_mean`` for relative criteria.
    n_first, n_last
        Steps with a value in each third.
    p_value
        One-sided Welch t-test (last vs first) in the degrading direction.
    threshold, direction
        Degraded when ``change`` is at or beyond ``threshold`` (equality counts) and
        ``p_value < alpha``.
    degraded
        Whether both conditions hold.
    """

    code: str
    label: str
    column: str
    metric: str
    first_mean: float
    last_mean: float
    change: float
    n_first: int
    n_last: int
    p_value: float
    threshold: float
    direction: Direction
    degraded: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "column": self.column,
            "metric": self.metric,
            "first_mean": self.first_mean,
            "last_mean": self.last_mean,
            "change": self.change,
            "n_first": self.n_first,
            "n_last": self.n_last,
            "p_value": self.p_value,
            "threshold": self.threshold,
            "direction": self.direction,
            "degraded": self.degraded,
        }


@dataclass(frozen=True)
class FatigueResult:
    """Outcome of :func:`compare_fatigue`.

    Attributes
    ----------
    assessed
        False when the clip was too short or had no step times (see ``notes``).
    duration_s
        Time from the first to the last initial contact.
    comparisons
        One per criterion whose column had enough steps in both thirds.
    findings
        One note per degraded measure (code = the criterion's code).
    notes
        Why the comparison, or a measure, was not assessed.
    flags
        One ``info`` flag per degraded measure (empty when nothing degraded).
    """

    assessed: bool
    duration_s: float
    comparisons: tuple[FatigueComparison, ...] = ()
    findings: tuple[QualityNote, ...] = ()
    notes: tuple[QualityNote, ...] = ()
    flags: tuple[Flag, ...] = ()

    @property
    def degraded(self) -> bool:
        return any(c.degraded for c in self.comparisons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessed": self.assessed,
            "duration_s": self.duration_s,
            "degraded": self.degraded,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "findings": [n.to_dict() for n in self.findings],
            "notes": [n.to_dict() for n in self.notes],
            "flags": [f.to_dict() for f in self.flags],
        }


def compare_fatigue(
    steps: pd.DataFrame,
    *,
    min_duration_s: float = 60.0,
    rules: RuleSet | None = None,
    alpha: float = 0.05,
    min_steps_per_third: int = 8,
) -> FatigueResult:
    """Compare the first and last thirds of a clip's steps for signs of fatigue.

    Parameters
    ----------
    steps
        One row per step with ``ic_time_s`` and any of ``step_time_s``, ``overstride_leg_lengths``,
        ``knee_flexion_ic_deg``, ``pelvic_drop_deg`` (missing columns or NaN values are skipped).
        Step rate per step is ``60 / step_time_s``; without ``step_time_s`` it comes from the
        intervals between consecutive initial contacts. Not modified.
    min_duration_s
        Shortest span of initial contacts, in seconds, worth comparing (default 60 s: thirds of
        at least 20 s, about 55 steps each at 165 steps/min).
    rules
        Rules whose ``fatigue`` criteria are used; ``None`` uses the defaults.
    alpha
        Significance level of the one-sided Welch t-test (default 0.05).
    min_steps_per_third
        A measure with fewer valid steps in either third is not assessed (default 8).

    Returns
    -------
    FatigueResult

    Notes
    -----
    Thirds are by time: steps with initial contact in the first third of the span from the first
    to the last contact, and in the last third. Consecutive steps are not independent (and left
    and right alternate), so the t-test is a screen against noise, not an exact p-value. Per-step
    step rates outside :data:`PLAUSIBLE_CADENCE_SPM` are dropped as event errors.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"Expected alpha in (0, 1), got {alpha!r}.")
    rules = default_rules() if rules is None else rules
    if "ic_time_s" not in steps.columns:
        note = QualityNote(
            "fatigue_not_assessed",
            "Fatigue was not assessed: the step table has no initial-contact times.",
        )
        return FatigueResult(assessed=False, duration_s=0.0, notes=(note,))
    table = _step_values(steps)
    times = table["ic_time_s"].to_numpy()
    duration_s = float(times[-1] - times[0]) if len(times) >= 2 else 0.0
    if duration_s < min_duration_s:
        note = QualityNote(
            "fatigue_clip_too_short",
            f"Fatigue was not assessed: the clip has {duration_s:.0f} s of running, and comparing "
            f"the first and last thirds needs at least {min_duration_s:.0f} s. Record a longer "
            "clip (a few minutes, ideally late in a run) to see whether form changes as you tire.",
        )
        return FatigueResult(assessed=False, duration_s=duration_s, notes=(note,))
    first = table[times < times[0] + duration_s / 3.0]
    last = table[times >= times[-1] - duration_s / 3.0]
    pairs: list[tuple[FatigueCriterion, FatigueComparison]] = []
    notes: list[QualityNote] = []
    for crit in rules.fatigue:
        if crit.column not in table.columns:
            continue  # not measured in this view: nothing to say
        comparison = _compare(crit, first[crit.column], last[crit.column], alpha)
        if comparison is None or min(comparison.n_first, comparison.n_last) < min_steps_per_third:
            notes.append(
                QualityNote(
                    f"{crit.code}_not_assessed",
                    f"{crit.label} was not compared for fatigue: fewer than "
                    f"{min_steps_per_third} measured steps in the first or last third of the clip.",
                )
            )
            continue
        pairs.append((crit, comparison))
    degraded = [(k, c) for k, c in pairs if c.degraded]
    findings = tuple(QualityNote(c.code, _finding_text(k, c)) for k, c in degraded)
    flags = tuple(_flag(k, c, note.message) for (k, c), note in zip(degraded, findings, strict=True))
    return FatigueResult(
        assessed=True,
        duration_s=duration_s,
        comparisons=tuple(c for _, c in pairs),
        findings=findings,
        notes=tuple(notes),
        flags=flags,
    )


def _step_values(steps: pd.DataFrame) -> pd.DataFrame:
    """A new table sorted by contact time, with numeric columns and a per-step ``cadence_spm``."""
    table = steps.copy()
    table["ic_time_s"] = pd.to_numeric(table["ic_time_s"], errors="coerce")
    table = table[np.isfinite(table["ic_time_s"])].sort_values("ic_time_s", kind="stable")
    step_time = (
        pd.to_numeric(table["step_time_s"], errors="coerce")
        if "step_time_s" in table.columns
        else pd.Series(np.nan, index=table.index)
    )
    if not np.isfinite(step_time).any():
        step_time = table["ic_time_s"].diff()
    with np.errstate(divide="ignore", invalid="ignore"):
        cadence = 60.0 / step_time.where(step_time > 0)
    low, high = PLAUSIBLE_CADENCE_SPM
    table["cadence_spm"] = cadence.where((cadence >= low) & (cadence <= high))
    return table.reset_index(drop=True)


def _compare(
    crit: FatigueCriterion, first: pd.Series, last: pd.Series, alpha: float
) -> FatigueComparison | None:
    a = pd.to_numeric(first, errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(last, errors="coerce").to_numpy(dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return None
    first_mean, last_mean = float(a.mean()), float(b.mean())
    if crit.change == "relative":
        if first_mean == 0.0:
            return None
        change = 100.0 * (last_mean - first_mean) / abs(first_mean)
    else:
        change = last_mean - first_mean
    p_value = _one_sided_welch(b, a, crit.direction)
    return FatigueComparison(
        code=crit.code,
        label=crit.label,
        column=crit.column,
        metric=crit.metric,
        first_mean=first_mean,
        last_mean=last_mean,
        change=change,
        n_first=len(a),
        n_last=len(b),
        p_value=p_value,
        threshold=crit.threshold,
        direction=crit.direction,
        degraded=crosses(change, crit.threshold, crit.direction) and p_value < alpha,
    )


def _one_sided_welch(last: np.ndarray, first: np.ndarray, direction: str) -> float:
    """p-value that ``last`` is lower (``below``) or higher (``above``) than ``first``."""
    if np.ptp(last) == 0.0 and np.ptp(first) == 0.0:  # no spread: the difference is exact
        diff = float(last[0] - first[0])
        return 0.0 if (diff < 0 if direction == "below" else diff > 0) else 1.0
    alternative = "less" if direction == "below" else "greater"
    result = stats.ttest_ind(last, first, equal_var=False, alternative=alternative)
    p = float(result.pvalue)
    return p if math.isfinite(p) else 1.0


def _finding_text(crit: FatigueCriterion, c: FatigueComparison) -> str:
    text = crit.message.format(
        first=c.first_mean,
        last=c.last_mean,
        value=c.change,
        threshold=c.threshold,
        p_value=c.p_value,
    )
    return (
        f"{text} (First vs last third: {c.n_first} vs {c.n_last} steps; one-sided Welch t-test "
        f"p = {c.p_value:.3g}.)"
    )


def _flag(crit: FatigueCriterion, c: FatigueComparison, message: str) -> Flag:
    # How sure: the change is beyond the threshold either way; a very small p-value means the
    # change is large against step-to-step scatter.
    confidence: Confidence = "high" if c.p_value < 0.001 else "medium"
    return Flag(
        code=crit.code,
        severity=crit.severity,
        label=f"{crit.label} changed with fatigue",
        metric=crit.metric,
        value=float(c.change),
        threshold=crit.threshold,
        direction=crit.direction,
        message=message,
        evidence=crit.evidence,
        reference=crit.reference,
        confidence=confidence,
    )
