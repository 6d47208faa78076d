"""Evaluating the rules: thresholds, withheld and absent metrics, per-side and combined rules."""

from __future__ import annotations

import copy
import dataclasses
import math

import pytest

from gait.flags import (
    DISCLAIMER,
    Flag,
    FlagResult,
    NotFlaggedRule,
    Rule,
    default_rules,
    evaluate_flags,
)
from gait.notes import QualityNote

from .fakes import FakeFootStrike, FakeMetric, inputs_for

RULES = default_rules()


def _codes(result: FlagResult) -> list[str]:
    return [f.code for f in result.flags]


def _step(threshold: float) -> float:
    """A small step off a threshold, in the metric's own scale."""
    return 1e-3 * max(1.0, abs(threshold))


# -- every rule at, just inside and just outside its threshold (driven by the table itself) -----


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.code)
@pytest.mark.parametrize(
    ("where", "fires"), [("at", True), ("just_beyond", True), ("just_short", False)]
)
def test_rule_threshold(rule: Rule, where: str, fires: bool) -> None:
    sign = -1.0 if rule.direction == "below" else 1.0  # the firing side of the threshold
    offset = {"at": 0.0, "just_beyond": sign, "just_short": -sign}[where] * _step(rule.threshold)
    metrics, strikes = inputs_for(rule, rule.threshold + offset)
    result = evaluate_flags(metrics, strikes, rules=RULES)
    fired = {f.code: f for f in result.flags}
    if rule.supersedes and fires:
        assert not set(rule.supersedes) & set(fired)
    assert (rule.code in fired) is fires
    assert result.withheld == ()
    if fires:
        flag = fired[rule.code]
        assert flag.value == pytest.approx(rule.threshold + offset)
        assert (flag.threshold, flag.direction) == (rule.threshold, rule.direction)
        assert (flag.severity, flag.evidence, flag.reference) == (
            rule.severity,
            rule.evidence,
            rule.reference,
        )
        assert flag.confidence == "high"
        assert "high confidence" in flag.message


def test_equality_fires_for_low_step_rate_and_crossover() -> None:
    assert _codes(evaluate_flags({"cadence_spm": FakeMetric(166.0, "spm")})) == ["low_step_rate"]
    assert _codes(evaluate_flags({"cadence_spm": FakeMetric(166.5, "spm")})) == []
    width = {"step_width_pelvis_widths": FakeMetric(0.0)}
    assert _codes(evaluate_flags(width)) == ["crossover"]  # on the midline counts


def test_low_step_rate_message_says_what_association_and_what_to_do() -> None:
    metric = FakeMetric(158.0, "spm", n=42, uncertainty=0.7)
    (flag,) = evaluate_flags({"cadence_spm": metric}).flags
    assert "158 steps/min" in flag.message and "166" in flag.message
    assert "bone stress injury" in flag.message
    assert "5-10 % higher step rate" in flag.message
    assert "42 steps" in flag.message and "±0.7" in flag.message


def test_to_dict_has_exactly_the_contract_keys() -> None:
    (flag,) = evaluate_flags({"cadence_spm": FakeMetric(150.0, "spm")}).flags
    assert set(flag.to_dict()) == {
        "code",
        "severity",
        "metric",
        "value",
        "threshold",
        "message",
        "evidence",
        "reference",
        "confidence",
        "direction",
    }
    assert flag.to_dict()["direction"] == "below"


def test_flags_are_ordered_by_severity() -> None:
    metrics = {
        "trunk_lean_deg": FakeMetric(20.0, "deg"),  # info
        "hip_adduction_deg": FakeMetric(18.0, "deg"),  # caution
        "cadence_spm": FakeMetric(150.0, "spm"),  # concern
    }
    assert _codes(evaluate_flags(metrics)) == ["low_step_rate", "hip_adduction", "trunk_lean"]


def test_borderline_value_is_called_borderline() -> None:
    metric = FakeMetric(165.5, "spm", uncertainty=1.0)
    (flag,) = evaluate_flags({"cadence_spm": metric}).flags
    assert "borderline" in flag.message
    (clear,) = evaluate_flags({"cadence_spm": dataclasses.replace(metric, value=150.0)}).flags
    assert "borderline" not in clear.message


# -- confidence and absence ----------------------------------------------------------------------


def test_low_confidence_metric_is_withheld_with_a_note() -> None:
    metric = FakeMetric(9.0, "deg", confidence="low", note="view is oblique")
    result = evaluate_flags({"pelvic_drop_deg": metric})
    assert result.flags == ()
    (note,) = result.withheld
    assert isinstance(note, QualityNote) and note.code == "pelvic_drop_withheld"
    assert "rear-view clip" in note.message
    assert "view is oblique" in note.message
    assert "would cross" in note.message


def test_low_confidence_below_threshold_says_not_checked() -> None:
    low = FakeMetric(2.0, "deg", confidence="low")
    metrics = {"knee_flexion_ic_deg": FakeMetric(25.0, "deg"), "pelvic_drop_deg": low}
    (note,) = evaluate_flags(metrics).withheld
    assert "not checked" in note.message and "would cross" not in note.message


def test_low_confidence_timing_metric_suggests_the_fix() -> None:
    metric = FakeMetric(5.0, "deg", confidence="low")
    (note,) = evaluate_flags({"knee_flexion_ic_deg": metric}).withheld
    assert "120 fps" in note.message


def test_medium_confidence_fires_and_says_so() -> None:
    (flag,) = evaluate_flags({"trunk_lean_deg": FakeMetric(18.0, "deg", confidence="medium")}).flags
    assert flag.confidence == "medium" and "medium confidence" in flag.message


@pytest.mark.parametrize("value", [None, math.nan])
def test_absent_metric_gives_no_flag_and_no_note(value: float | None) -> None:
    result = evaluate_flags({"pelvic_drop_deg": FakeMetric(value, "deg", confidence="low")})
    assert result.flags == () and result.withheld == ()
    assert "pelvic_drop" in result.not_assessed


def test_empty_metrics_assess_nothing() -> None:
    result = evaluate_flags({})
    assert result.flags == () and result.withheld == () and result.not_flagged == ()
    assert set(result.not_assessed) == {r.code for r in RULES.rules}
    assert result.disclaimer == DISCLAIMER
    assert "do not predict" in DISCLAIMER and "physical therapist" in DISCLAIMER


def test_bad_confidence_is_rejected() -> None:
    with pytest.raises(ValueError, match="Expected confidence"):
        evaluate_flags({"cadence_spm": FakeMetric(150.0, confidence="certain")})


def test_mapping_metrics_from_report_json_work() -> None:
    metrics = {"cadence_spm": {"value": 150.0, "unit": "spm", "n": 30, "confidence": "high"}}
    foot = {"L": {"pattern": "rearfoot", "confidence": "high"}}
    assert _codes(evaluate_flags(metrics, foot)) == ["low_step_rate"]


# -- shown, not flagged --------------------------------------------------------------------------


@pytest.mark.parametrize("item", RULES.not_flagged, ids=lambda n: n.code)
@pytest.mark.parametrize("value", [-1e6, 0.0, 1e6])
def test_not_flagged_items_are_shown_with_their_reason(item: NotFlaggedRule, value: float) -> None:
    result = evaluate_flags({item.metric: FakeMetric(value, confidence="low")})
    assert result.flags == () and result.withheld == ()
    (shown,) = result.not_flagged
    assert (shown.code, shown.metric, shown.value) == (item.code, item.metric, value)
    assert shown.reason.startswith("Not flagged") and shown.reference
    assert shown.to_dict()["reason"] == item.reason


# -- per side ------------------------------------------------------------------------------------


def test_one_side_beyond_threshold_fires_with_that_side() -> None:
    metric = FakeMetric(6.0, "deg", per_side={"L": 4.0, "R": 8.0})
    (flag,) = evaluate_flags({"pelvic_drop_deg": metric}).flags
    assert (flag.value, flag.sides) == (8.0, ("R",))
    assert "on the right side" in flag.message
    assert flag.per_side == {"L": 4.0, "R": 8.0}


def test_side_names_are_normalised_and_per_side_is_copied() -> None:
    sides = {"left": 9.0, "right": None}
    metric = FakeMetric(12.0, "deg", per_side=sides)
    (flag,) = evaluate_flags({"knee_flexion_ic_deg": metric}).flags
    assert (flag.value, flag.sides) == (9.0, ("L",))
    assert "left side" in flag.message
    assert flag.per_side == {"L": 9.0}
    assert sides == {"left": 9.0, "right": None}


def test_no_side_beyond_threshold_no_flag() -> None:
    metric = FakeMetric(5.0, "deg", per_side={"L": 4.0, "R": 6.0})
    assert evaluate_flags({"pelvic_drop_deg": metric}).flags == ()


def test_rule_without_per_side_ignores_side_values() -> None:
    metric = FakeMetric(10.0, "deg", per_side={"L": 5.0, "R": 16.0})
    assert evaluate_flags({"trunk_lean_deg": metric}).flags == ()


# -- combined rule: rearfoot strike with overstride ----------------------------------------------

_OVER = {"overstride_leg_lengths": FakeMetric(0.35, "leg_lengths")}


def test_rearfoot_with_overstride_supersedes_plain_overstride() -> None:
    strikes = {"L": FakeFootStrike("rearfoot"), "R": FakeFootStrike("rearfoot")}
    result = evaluate_flags(_OVER, strikes)
    assert _codes(result) == ["rearfoot_overstride"]
    (flag,) = result.flags
    assert "heel striking by itself is not shown to cause fractures" in flag.message
    assert "loading rate" in flag.message


@pytest.mark.parametrize("strikes", [None, {"L": FakeFootStrike("midfoot")}])
def test_overstride_without_rearfoot_is_plain_overstride(
    strikes: dict[str, FakeFootStrike] | None,
) -> None:
    assert _codes(evaluate_flags(_OVER, strikes)) == ["overstride"]


def test_low_confidence_foot_strike_withholds_only_the_combined_flag() -> None:
    strikes = {"L": FakeFootStrike("rearfoot", confidence="low")}
    result = evaluate_flags(_OVER, strikes)
    assert _codes(result) == ["overstride"]
    assert [n.code for n in result.withheld] == ["rearfoot_overstride_withheld"]
    assert "foot-strike pattern" in result.withheld[0].message


def test_combined_rule_needs_both_on_the_same_side() -> None:
    metric = FakeMetric(0.27, "leg_lengths", per_side={"L": 0.35, "R": 0.19})
    strikes = {"L": FakeFootStrike("midfoot"), "R": FakeFootStrike("rearfoot")}
    result = evaluate_flags({"overstride_leg_lengths": metric}, strikes)
    assert _codes(result) == ["overstride"]
    assert result.flags[0].sides == ("L",)
    strikes = {"L": FakeFootStrike("rearfoot"), "R": FakeFootStrike("midfoot")}
    (flag,) = evaluate_flags({"overstride_leg_lengths": metric}, strikes).flags
    assert (flag.code, flag.sides, flag.value) == ("rearfoot_overstride", ("L",), 0.35)


def test_combined_flag_takes_the_lower_confidence() -> None:
    strikes = {"L": FakeFootStrike("rearfoot", confidence="medium")}
    (flag,) = evaluate_flags(_OVER, strikes).flags
    assert flag.confidence == "medium"


# -- no mutation ---------------------------------------------------------------------------------


def test_inputs_are_not_modified() -> None:
    metrics = {
        "pelvic_drop_deg": {"value": 8.0, "confidence": "high", "per_side": {"L": 8.0}},
        "cadence_spm": FakeMetric(150.0, "spm"),
    }
    before = copy.deepcopy(metrics)
    result = evaluate_flags(metrics)
    assert metrics == before
    assert all(isinstance(f, Flag) for f in result.flags)
    hash(result.flags[0])  # frozen and hashable despite per_side
    dataclasses.asdict(result)  # the report's JSON writer uses asdict
