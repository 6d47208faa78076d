"""What flag evaluation returns: flags, shown-but-not-flagged items, and the fixed disclaimer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gait.flags._rules import Confidence, Direction, Evidence, Severity
from gait.notes import QualityNote

#: Fixed text for the report, shown with every set of flags (also when none fired).
DISCLAIMER = (
    "These flags describe how you ran in this clip and what studies have found in groups of "
    "runners with similar measurements; they do not predict or diagnose a stress fracture or any "
    "other injury in you. Bone stress injury depends on many things video cannot see (training "
    "load, energy availability and nutrition, previous bone stress injury, bone health, sleep), "
    "and changing the form of a runner without symptoms is not proven to prevent injury. Discuss "
    "any flag, and any pain, with a physician or physical therapist."
)


@dataclass(frozen=True)
class Flag:
    """One fired rule: what was measured, the threshold, the association and how sure we are.

    Attributes
    ----------
    code, severity, label, evidence, reference
        From the rule (see :mod:`gait.flags._rules` for the severity and evidence scales).
    metric
        Metric key with its unit suffix (for fatigue flags, the change, e.g. ``cadence_change_pct``).
    value
        The measured value that crossed: the whole-clip value, or the worst side's when only a
        side crossed.
    threshold, direction
        The flag fires at ``value <= threshold`` (``"below"``) or ``value >= threshold``
        (``"above"``).
    message
        Plain language, ending with a sentence on measurement confidence.
    confidence
        The lowest confidence among the measurements the rule used (never ``"low"``: a low
        confidence flag is withheld).
    per_side
        The metric's per-side values (e.g. ``{"L": 6.1, "R": 8.0}``), when measured; a fresh dict
        owned by the flag (a plain dict so that ``dataclasses.asdict`` works; do not modify it).
    sides
        Sides whose own value crossed (empty when evaluated on the whole clip only).
    """

    code: str
    severity: Severity
    label: str
    metric: str
    value: float
    threshold: float
    direction: Direction
    message: str
    evidence: Evidence
    reference: str
    confidence: Confidence
    per_side: dict[str, float | None] | None = field(default=None, hash=False)
    sides: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` entry: the eight contract keys plus ``confidence`` and ``direction``."""
        return {
            "code": self.code,
            "severity": self.severity,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "evidence": self.evidence,
            "reference": self.reference,
            "confidence": self.confidence,
            "direction": self.direction,
        }


@dataclass(frozen=True)
class NotFlagged:
    """A measured value that is shown but deliberately not flagged, with the reason why."""

    code: str
    label: str
    metric: str
    value: float
    unit: str
    confidence: Confidence
    reason: str
    reference: str
    evidence: Evidence | None = None
    per_side: dict[str, float | None] | None = field(default=None, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "confidence": self.confidence,
            "reason": self.reason,
            "evidence": self.evidence,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class FlagResult:
    """Everything the report needs about flags.

    Attributes
    ----------
    flags
        Fired flags, ``concern`` first, then ``caution``, then ``info``; table order within each.
    withheld
        One note per rule whose measurement was low confidence, saying what would make it
        measurable.
    not_flagged
        Shown-but-not-flagged measurements that were present, each with its reason.
    not_assessed
        Codes of rules whose metrics were not measured in this clip (e.g. rear-view rules on a side
        clip): no flag does not mean all clear for these.
    disclaimer
        :data:`DISCLAIMER`.
    """

    flags: tuple[Flag, ...]
    withheld: tuple[QualityNote, ...] = ()
    not_flagged: tuple[NotFlagged, ...] = ()
    not_assessed: tuple[str, ...] = ()
    disclaimer: str = DISCLAIMER

    def to_dict(self) -> dict[str, Any]:
        return {
            "flags": [f.to_dict() for f in self.flags],
            "withheld": [n.to_dict() for n in self.withheld],
            "not_flagged": [n.to_dict() for n in self.not_flagged],
            "not_assessed": list(self.not_assessed),
            "disclaimer": self.disclaimer,
        }
