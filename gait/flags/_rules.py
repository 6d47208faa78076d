"""Rule types: one flag rule, a shown-but-not-flagged entry, a fatigue criterion, and the rule set.

The values live in ``rules.toml`` (see :func:`gait.flags.load_rules`); this module only defines
their shape and vocabularies. Everything is frozen: :meth:`RuleSet.with_thresholds` returns a new
rule set.

Semantics shared by every threshold in this package
----------------------------------------------------
``direction = "below"`` fires when ``value <= threshold``; ``direction = "above"`` fires when
``value >= threshold``. **Equality fires** in both directions, because the published cut-offs we
use are inclusive (Luedke 2021: "<= 166 steps/min"; a crossover is a step width "<= 0").

Severity
--------
``concern``
    Prospective evidence that links the measurement itself to bone stress injury (only low step
    rate today).
``caution``
    Prospective evidence for a kinetic correlate that the video measurement only estimates
    (braking force, loading rate), or retrospective evidence in runners with a tibial stress
    fracture history.
``info``
    Retrospective evidence for soft-tissue running injuries, or modelling/lab evidence only. Every
    shown-but-not-flagged entry is ``info``.

Evidence
--------
``prospective`` (cohort followed forward), ``randomised trial``, ``retrospective`` (case-control
or cross-sectional with injury history), ``modelling`` (biomechanics or modelling only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from gait.errors import GaitError

Direction = Literal["below", "above"]
Severity = Literal["info", "caution", "concern"]
Evidence = Literal["prospective", "randomised trial", "retrospective", "modelling"]
Confidence = Literal["high", "medium", "low"]
FootStrikePattern = Literal["rearfoot", "midfoot", "forefoot"]
ChangeKind = Literal["relative", "absolute"]

DIRECTIONS: tuple[str, ...] = get_args(Direction)
SEVERITIES: tuple[str, ...] = get_args(Severity)  # in increasing order of weight
EVIDENCE_LEVELS: tuple[str, ...] = get_args(Evidence)
CONFIDENCES: tuple[str, ...] = get_args(Confidence)
FOOT_STRIKE_PATTERNS: tuple[str, ...] = get_args(FootStrikePattern)
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)

#: Metric keys a rule may name (the metrics stage's vocabulary, side and rear view).
KNOWN_METRICS: frozenset[str] = frozenset(
    {
        "cadence_spm",
        "step_time_s",
        "contact_time_s",
        "flight_time_s",
        "duty_factor",
        "foot_strike_angle_deg",
        "overstride_leg_lengths",
        "shank_angle_ic_deg",
        "knee_flexion_ic_deg",
        "peak_knee_flexion_stance_deg",
        "trunk_lean_deg",
        "vertical_oscillation_leg_lengths",
        "step_time_asymmetry_pct",
        "contact_time_asymmetry_pct",
        "pelvic_drop_deg",
        "hip_adduction_deg",
        "step_width_pelvis_widths",
        "crossover_fraction",
        "rearfoot_eversion_proxy_deg",
        "knee_frontal_projection_deg",
    }
)

#: Per-step columns a fatigue criterion may compare (``cadence_spm`` is derived from step times).
KNOWN_STEP_COLUMNS: frozenset[str] = frozenset(
    {"cadence_spm", "overstride_leg_lengths", "knee_flexion_ic_deg", "pelvic_drop_deg"}
)


class RulesFileError(GaitError, ValueError):
    """A rules file cannot be read or does not follow the rules-table format."""


def crosses(value: float, threshold: float, direction: str) -> bool:
    """Whether ``value`` is at or beyond ``threshold`` in ``direction`` (equality fires)."""
    if direction == "below":
        return value <= threshold
    if direction == "above":
        return value >= threshold
    raise ValueError(f"Expected direction 'below' or 'above', got {direction!r}.")


@dataclass(frozen=True)
class MetricCondition:
    """``metric`` is at or beyond ``threshold`` in ``direction``."""

    metric: str
    direction: Direction
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "direction": self.direction, "threshold": self.threshold}


@dataclass(frozen=True)
class FootStrikeCondition:
    """The foot-strike pattern is ``pattern`` (on the same side, when evaluated per side)."""

    pattern: FootStrikePattern

    def to_dict(self) -> dict[str, Any]:
        return {"foot_strike": self.pattern}


Condition = MetricCondition | FootStrikeCondition


@dataclass(frozen=True)
class Rule:
    """One flag rule: every condition must hold for the flag to fire.

    Attributes
    ----------
    code
        Stable snake_case identifier (also the key of a ``[thresholds]`` override).
    label
        Short human name, e.g. "Pelvic drop".
    conditions
        The first is always a :class:`MetricCondition` (the *primary* condition, whose metric,
        value and threshold the flag reports); others may be metric or foot-strike conditions.
    severity, evidence
        See the module docstring.
    message
        Plain-language template: what was measured, the association, what a physical therapist
        may look at. Placeholders: ``{value}``, ``{threshold}``, ``{side_text}``.
    reference
        Short citation with DOI or URL.
    threshold_source
        Why this number ("Ours" when it is our choice).
    measure_hint
        What would make the metric measurable, used when the metric is low confidence.
    per_side
        When true and the metric has per-side values, either side crossing fires the flag.
    supersedes
        Codes of rules whose flag is dropped when this rule fires (e.g. the combined rearfoot and
        overstride rule replaces the plain overstride flag).
    evidence_note
        Optional nuance about the evidence (e.g. "the prospective link is for braking force").
    """

    code: str
    label: str
    conditions: tuple[Condition, ...]
    severity: Severity
    message: str
    evidence: Evidence
    reference: str
    threshold_source: str
    measure_hint: str
    per_side: bool = False
    supersedes: tuple[str, ...] = ()
    evidence_note: str | None = None

    @property
    def primary(self) -> MetricCondition:
        first = self.conditions[0]
        assert isinstance(first, MetricCondition)
        return first

    @property
    def metric(self) -> str:
        return self.primary.metric

    @property
    def threshold(self) -> float:
        return self.primary.threshold

    @property
    def direction(self) -> Direction:
        return self.primary.direction

    def with_threshold(self, threshold: float) -> Rule:
        """A copy whose primary condition has ``threshold``."""
        primary = replace(self.primary, threshold=float(threshold))
        return replace(self, conditions=(primary, *self.conditions[1:]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "metric": self.metric,
            "threshold": self.threshold,
            "direction": self.direction,
            "conditions": [c.to_dict() for c in self.conditions],
            "severity": self.severity,
            "message": self.message,
            "evidence": self.evidence,
            "evidence_note": self.evidence_note,
            "reference": self.reference,
            "threshold_source": self.threshold_source,
            "per_side": self.per_side,
            "supersedes": list(self.supersedes),
        }


@dataclass(frozen=True)
class NotFlaggedRule:
    """A metric that is shown but deliberately never flagged as a risk, with the reason."""

    code: str
    label: str
    metric: str
    reason: str
    reference: str
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "metric": self.metric,
            "reason": self.reason,
            "evidence": self.evidence,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class FatigueCriterion:
    """How much a per-step measure may change from the first to the last third of a clip.

    Attributes
    ----------
    code, label
        As for :class:`Rule`.
    column
        Per-step column compared (``cadence_spm`` is derived from step times).
    change
        ``"relative"``: change in % of the first-third mean; ``"absolute"``: in the column's unit.
    metric
        Name of the change value with its unit suffix (e.g. ``cadence_change_pct``).
    direction, threshold
        The change degrades form when it is at or beyond ``threshold`` in ``direction``.
    severity, message, evidence, reference, threshold_source
        As for :class:`Rule`; message placeholders are ``{first}``, ``{last}``, ``{value}``
        (the change), ``{threshold}`` and ``{p_value}``.
    """

    code: str
    label: str
    column: str
    change: ChangeKind
    metric: str
    direction: Direction
    threshold: float
    severity: Severity
    message: str
    evidence: Evidence
    reference: str
    threshold_source: str

    def with_threshold(self, threshold: float) -> FatigueCriterion:
        return replace(self, threshold=float(threshold))

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "column": self.column,
            "change": self.change,
            "metric": self.metric,
            "direction": self.direction,
            "threshold": self.threshold,
            "severity": self.severity,
            "message": self.message,
            "evidence": self.evidence,
            "reference": self.reference,
            "threshold_source": self.threshold_source,
        }


@dataclass(frozen=True)
class RuleSet:
    """Every rule of one rules table, in table order, plus where it came from."""

    rules: tuple[Rule, ...]
    not_flagged: tuple[NotFlaggedRule, ...] = ()
    fatigue: tuple[FatigueCriterion, ...] = ()
    source: str = "<memory>"

    @property
    def codes(self) -> tuple[str, ...]:
        """Codes that accept a threshold override (flag rules and fatigue criteria)."""
        return tuple(r.code for r in self.rules) + tuple(c.code for c in self.fatigue)

    def rule(self, code: str) -> Rule:
        """The flag rule ``code``; ``KeyError`` when there is none."""
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(code)

    def with_thresholds(self, thresholds: Mapping[str, float]) -> RuleSet:
        """A copy with the thresholds of the named rules or fatigue criteria replaced.

        Raises
        ------
        RulesFileError
            When a code is unknown or a threshold is not a finite number.
        """
        unknown = sorted(set(thresholds) - set(self.codes))
        if unknown:
            raise RulesFileError(
                f"Unknown rule code {unknown[0]!r} in threshold overrides; "
                f"known codes: {', '.join(self.codes)}."
            )
        for code, value in thresholds.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise RulesFileError(
                    f"Threshold override for {code!r} must be a number, got {value!r}."
                )
        rules = tuple(
            r.with_threshold(thresholds[r.code]) if r.code in thresholds else r for r in self.rules
        )
        fatigue = tuple(
            c.with_threshold(thresholds[c.code]) if c.code in thresholds else c
            for c in self.fatigue
        )
        return replace(self, rules=rules, fatigue=fatigue)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rules": [r.to_dict() for r in self.rules],
            "not_flagged": [n.to_dict() for n in self.not_flagged],
            "fatigue": [c.to_dict() for c in self.fatigue],
        }
