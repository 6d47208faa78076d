"""Evaluate the rules table against a clip's metrics: flags, withheld flags, shown-only items.

Metrics and foot-strike patterns are read duck-typed: any object with the attributes ``value``,
``unit``, ``n``, ``sd``, ``uncertainty``, ``confidence``, ``note``, ``per_side`` (metrics) or
``pattern``, ``angle_deg``, ``n``, ``confidence`` (foot strike), or a mapping with those keys (as
in ``report.json``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gait.flags._load import default_rules
from gait.flags._result import Flag, FlagResult, NotFlagged
from gait.flags._rules import (
    CONFIDENCES,
    SEVERITIES,
    Confidence,
    FootStrikeCondition,
    MetricCondition,
    Rule,
    RuleSet,
    crosses,
)
from gait.notes import QualityNote
from gait.skeleton import SIDE_NAMES


@dataclass(frozen=True)
class _Reading:
    value: float
    unit: str
    n: int | None
    uncertainty: float | None
    confidence: Confidence
    note: str | None
    per_side: Mapping[str, float]  # finite values only, keys normalised to "L"/"R" when possible


def evaluate_flags(
    metrics: Mapping[str, Any],
    foot_strike: Mapping[str, Any] | None = None,
    *,
    rules: RuleSet | None = None,
) -> FlagResult:
    """Check a clip's metrics against the rules table.

    Parameters
    ----------
    metrics
        Metric key (e.g. ``cadence_spm``) to a metric object or mapping. A missing key, or a value
        of ``None`` or NaN, means "not measured": no flag and no note, only an entry in
        ``not_assessed``.
    foot_strike
        Side (``"L"``/``"R"``) to a foot-strike object or mapping, for rules with a foot-strike
        condition; ``None`` when not measured.
    rules
        The rules; ``None`` uses :func:`gait.flags.default_rules`.

    Returns
    -------
    FlagResult

    Notes
    -----
    Equality fires: ``"below"`` means ``value <= threshold``, ``"above"`` ``value >= threshold``.
    A rule with ``per_side = true`` fires when the whole-clip value or either side's value crosses.
    A foot-strike condition holds when the pattern is seen, with at least medium confidence, on
    the same side (per-side evaluation) or on any side (whole-clip evaluation).
    """
    rules = default_rules() if rules is None else rules
    flags: list[Flag] = []
    withheld: list[QualityNote] = []
    not_assessed: list[str] = []
    for rule in rules.rules:
        outcome = _evaluate_rule(rule, metrics, foot_strike or {})
        if outcome is None:
            not_assessed.append(rule.code)
        elif isinstance(outcome, Flag):
            flags.append(outcome)
        elif isinstance(outcome, QualityNote):
            withheld.append(outcome)
    superseded = {c for r in rules.rules if r.code in {f.code for f in flags} for c in r.supersedes}
    kept = [f for f in flags if f.code not in superseded]
    kept.sort(key=lambda f: -SEVERITIES.index(f.severity))  # stable: table order within severity
    shown = []
    for item in rules.not_flagged:
        reading = _read_metric(metrics, item.metric)
        if reading is not None:
            shown.append(
                NotFlagged(
                    code=item.code,
                    label=item.label,
                    metric=item.metric,
                    value=reading.value,
                    unit=reading.unit,
                    confidence=reading.confidence,
                    reason=item.reason,
                    reference=item.reference,
                    evidence=item.evidence,
                    per_side=_frozen(reading.per_side),
                )
            )
    return FlagResult(
        flags=tuple(kept),
        withheld=tuple(withheld),
        not_flagged=tuple(shown),
        not_assessed=tuple(not_assessed),
    )


# -- one rule ----------------------------------------------------------------------------------


def _evaluate_rule(
    rule: Rule, metrics: Mapping[str, Any], foot_strike: Mapping[str, Any]
) -> Flag | QualityNote | bool | None:
    """A flag, a withheld note, ``False`` (measured, did not fire) or ``None`` (not measured)."""
    readings: dict[str, _Reading] = {}
    for cond in rule.conditions:
        if isinstance(cond, MetricCondition):
            reading = _read_metric(metrics, cond.metric)
            if reading is None:
                return None
            readings[cond.metric] = reading
    primary = readings[rule.metric]
    strikes = {_side_key(k): v for k, v in foot_strike.items()}
    units: list[str | None] = [None]
    if rule.per_side:
        units += sorted(primary.per_side)
    low = [r for r in readings.values() if r.confidence == "low"]
    if low:
        would = any(_holds(rule, u, readings, strikes, allow_low=True) for u in units)
        return _withheld_note(rule, low[0], would=would)
    fired = [u for u in units if _holds(rule, u, readings, strikes, allow_low=False)]
    if not fired:
        if any(_holds(rule, u, readings, strikes, allow_low=True) for u in units):
            return QualityNote(
                f"{rule.code}_withheld",
                f"{rule.label} was not flagged because the foot-strike pattern was measured with "
                f"low confidence, although the other conditions were met. {rule.measure_hint}",
            )
        return False
    return _make_flag(rule, fired, readings, strikes)


def _holds(
    rule: Rule,
    unit: str | None,
    readings: Mapping[str, _Reading],
    strikes: Mapping[str, Any],
    *,
    allow_low: bool,
) -> bool:
    for cond in rule.conditions:
        if isinstance(cond, MetricCondition):
            value = _value_at(readings[cond.metric], unit)
            if value is None or not crosses(value, cond.threshold, cond.direction):
                return False
        elif not _matching_strike_sides(cond, unit, strikes, allow_low=allow_low):
            return False
    return True


def _value_at(reading: _Reading, unit: str | None) -> float | None:
    if unit is None:
        return reading.value
    # A secondary metric without per-side values is judged on its whole-clip value.
    return reading.per_side.get(unit, reading.value if not reading.per_side else None)


def _matching_strike_sides(
    cond: FootStrikeCondition, unit: str | None, strikes: Mapping[str, Any], *, allow_low: bool
) -> list[str]:
    sides = list(strikes) if unit is None else [unit] if unit in strikes else []
    return [
        s
        for s in sides
        if _get(strikes[s], "pattern") == cond.pattern
        and (allow_low or _confidence(_get(strikes[s], "confidence", "low")) != "low")
    ]


def _make_flag(
    rule: Rule,
    fired: list[str | None],
    readings: Mapping[str, _Reading],
    strikes: Mapping[str, Any],
) -> Flag:
    primary = readings[rule.metric]
    sides = tuple(u for u in fired if u is not None)
    if None in fired:
        value, side_text = primary.value, ""
    else:
        pick = max if rule.direction == "above" else min
        value = pick(primary.per_side[s] for s in sides)
        side_text = f" on the {' and '.join(SIDE_NAMES.get(s, s) for s in sides)} side"
        side_text += "s" if len(sides) > 1 else ""
    confidences = [r.confidence for r in readings.values()]
    for cond in rule.conditions:
        if isinstance(cond, FootStrikeCondition):
            used = _matching_strike_sides(cond, None, strikes, allow_low=False)
            if sides:
                used = [s for s in used if s in sides] or used
            confidences += [_confidence(_get(strikes[s], "confidence", "low")) for s in used]
    confidence = max(confidences, key=CONFIDENCES.index)  # the lowest confidence
    message = rule.message.format(value=value, threshold=rule.threshold, side_text=side_text)
    message = f"{message} {_certainty(primary, value, rule.threshold, confidence)}"
    return Flag(
        code=rule.code,
        severity=rule.severity,
        label=rule.label,
        metric=rule.metric,
        value=float(value),
        threshold=rule.threshold,
        direction=rule.direction,
        message=message,
        evidence=rule.evidence,
        reference=rule.reference,
        confidence=confidence,
        per_side=_frozen(primary.per_side),
        sides=sides,
    )


def _certainty(reading: _Reading, value: float, threshold: float, confidence: str) -> str:
    steps = f" over {reading.n} steps" if reading.n else ""
    spread = ""
    if reading.uncertainty is not None and math.isfinite(reading.uncertainty):
        spread = f", uncertainty about ±{reading.uncertainty:.2g} {reading.unit}"
    text = f"Measured{steps} with {confidence} confidence{spread}."
    if reading.uncertainty is not None and abs(value - threshold) <= reading.uncertainty:
        text += (
            " The value is within measurement uncertainty of the threshold: treat it as borderline."
        )
    return text


def _withheld_note(rule: Rule, reading: _Reading, *, would: bool) -> QualityNote:
    why = f" ({reading.note.rstrip('.')})" if reading.note else ""
    if would:
        text = (
            f"{rule.label} was not flagged because it was measured with low confidence{why}, "
            f"although the value would cross the flag threshold; it is worth re-measuring."
        )
    else:
        text = (
            f"{rule.label} was measured with low confidence{why}, so it was not checked "
            "against its flag threshold."
        )
    return QualityNote(f"{rule.code}_withheld", f"{text} {rule.measure_hint}")


# -- duck-typed reading ------------------------------------------------------------------------


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _confidence(value: Any) -> Confidence:
    if value not in CONFIDENCES:
        raise ValueError(f"Expected confidence 'high', 'medium' or 'low', got {value!r}.")
    return value


def _side_key(key: str) -> str:
    lowered = str(key).lower()
    return {"l": "L", "left": "L", "r": "R", "right": "R"}.get(lowered, str(key))


def _read_metric(metrics: Mapping[str, Any], key: str) -> _Reading | None:
    metric = metrics.get(key)
    if metric is None:
        return None
    value = _finite(_get(metric, "value"))
    if value is None:
        return None
    raw_sides = _get(metric, "per_side") or {}
    per_side = {
        _side_key(k): v for k, v in ((k, _finite(v)) for k, v in raw_sides.items()) if v is not None
    }
    n = _get(metric, "n")
    return _Reading(
        value=value,
        unit=str(_get(metric, "unit", "") or ""),
        n=int(n) if n is not None else None,
        uncertainty=_finite(_get(metric, "uncertainty")),
        confidence=_confidence(_get(metric, "confidence")),
        note=_get(metric, "note"),
        per_side=per_side,
    )


def _frozen(sides: Mapping[str, float]) -> dict[str, float | None] | None:
    """A fresh dict (never the caller's), or ``None`` when there are no per-side values."""
    return dict(sides) or None
