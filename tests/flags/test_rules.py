"""The rules table: shipped defaults, user overrides, and clear errors for broken files."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from gait.errors import GaitError
from gait.flags import (
    FootStrikeCondition,
    MetricCondition,
    Rule,
    RulesFileError,
    crosses,
    default_rules,
    evaluate_flags,
    load_rules,
)
from gait.flags._rules import EVIDENCE_LEVELS, KNOWN_METRICS, SEVERITIES

from .fakes import FakeMetric


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "user_rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _assert_one_sentence(err: RulesFileError) -> None:
    text = str(err)
    assert isinstance(err, GaitError) and isinstance(err, ValueError)
    assert text.endswith("."), text
    assert ". " not in text.replace("e.g. ", ""), f"more than one sentence: {text}"


# -- the shipped table ---------------------------------------------------------------------------


def test_default_table_is_package_data() -> None:
    assert files("gait.flags").joinpath("rules.toml").is_file()
    assert load_rules() is default_rules()  # read once


def test_default_table_starts_with_the_issue_rules() -> None:
    rules = default_rules()
    expected = {
        "low_step_rate": ("cadence_spm", "below", 166.0),
        "overstride": ("overstride_leg_lengths", "above", 0.30),
        "rearfoot_overstride": ("overstride_leg_lengths", "above", 0.30),
        "pelvic_drop": ("pelvic_drop_deg", "above", 7.0),
        "hip_adduction": ("hip_adduction_deg", "above", 15.0),
        "crossover": ("step_width_pelvis_widths", "below", 0.0),
        "extended_knee_ic": ("knee_flexion_ic_deg", "below", 10.0),
        "trunk_lean": ("trunk_lean_deg", "above", 15.0),
    }
    got = {r.code: (r.metric, r.direction, r.threshold) for r in rules.rules}
    assert got == expected
    low = rules.rule("low_step_rate")
    assert (low.severity, low.evidence) == ("concern", "prospective")
    assert "10.1136/bjsports-2020-103833" in low.reference  # Kliethermes 2021
    assert "Luedke" in low.threshold_source
    combined = rules.rule("rearfoot_overstride")
    assert combined.conditions[1] == FootStrikeCondition("rearfoot")
    assert combined.supersedes == ("overstride",)


def test_pronation_and_asymmetry_are_shown_not_flagged() -> None:
    rules = default_rules()
    shown = {n.metric: n for n in rules.not_flagged}
    assert {
        "rearfoot_eversion_proxy_deg",
        "step_time_asymmetry_pct",
        "contact_time_asymmetry_pct",
    } <= set(shown)
    assert "Nielsen" in shown["rearfoot_eversion_proxy_deg"].reference
    assert "Malisoux" in shown["step_time_asymmetry_pct"].reference
    assert not {r.metric for r in rules.rules} & set(shown)


@pytest.mark.parametrize("rule", default_rules().rules, ids=lambda r: r.code)
def test_every_rule_is_documented(rule: Rule) -> None:
    assert rule.severity in SEVERITIES and rule.evidence in EVIDENCE_LEVELS
    assert all(c.metric in KNOWN_METRICS for c in rule.conditions if isinstance(c, MetricCondition))
    assert re.search(r"doi:|https?://", rule.reference), rule.reference
    assert len(rule.threshold_source) > 40
    assert "physical therapist" in rule.message  # says what a PT may look at
    assert rule.measure_hint
    assert not re.search(r"\b(predicts?|will (cause|lead))\b", rule.message, re.IGNORECASE)


def test_fatigue_criteria_cover_the_four_measures() -> None:
    got = {c.column: (c.direction, c.threshold, c.change) for c in default_rules().fatigue}
    assert got == {
        "cadence_spm": ("below", -3.0, "relative"),
        "overstride_leg_lengths": ("above", 0.03, "absolute"),
        "knee_flexion_ic_deg": ("below", -3.0, "absolute"),
        "pelvic_drop_deg": ("above", 2.0, "absolute"),
    }


def test_equality_fires_in_both_directions() -> None:
    assert crosses(166.0, 166.0, "below") and crosses(0.3, 0.3, "above")
    assert not crosses(166.01, 166.0, "below") and not crosses(0.2999, 0.3, "above")
    with pytest.raises(ValueError, match="Expected direction"):
        crosses(1.0, 1.0, "sideways")


# -- overrides -----------------------------------------------------------------------------------


def test_thresholds_table_overrides_a_threshold(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, "[thresholds]\nlow_step_rate = 160\n"))
    assert rules.rule("low_step_rate").threshold == 160.0
    assert rules.rule("overstride").threshold == 0.30  # others untouched
    metrics = {"cadence_spm": FakeMetric(163.0, "spm")}
    assert evaluate_flags(metrics, rules=rules).flags == ()
    assert [f.code for f in evaluate_flags(metrics).flags] == ["low_step_rate"]
    assert str(tmp_path) in rules.source


def test_thresholds_table_overrides_a_combined_rule_and_a_fatigue_criterion(
    tmp_path: Path,
) -> None:
    text = "[thresholds]\nrearfoot_overstride = 0.25\nfatigue_step_rate = -5\n"
    rules = load_rules(_write(tmp_path, text))
    combined = rules.rule("rearfoot_overstride")
    assert combined.threshold == 0.25
    assert combined.conditions[1] == FootStrikeCondition("rearfoot")
    assert {c.code: c.threshold for c in rules.fatigue}["fatigue_step_rate"] == -5.0


def test_rule_table_of_the_same_shape_merges_by_code(tmp_path: Path) -> None:
    text = """
[[rule]]
code = "pelvic_drop"
threshold = 5.0

[[rule]]
code = "trunk_lean"
enabled = false

[[rule]]
code = "high_vertical_oscillation"
label = "Vertical oscillation"
metric = "vertical_oscillation_leg_lengths"
direction = "above"
threshold = 0.12
severity = "info"
evidence = "modelling"
reference = "Example, https://example.org"
threshold_source = "Ours, for this test."
measure_hint = "Film from the side."
message = "Bounce {value:.2f}{side_text} (flag at {threshold:.2f}); a physical therapist may look."
"""
    rules = load_rules(_write(tmp_path, text))
    codes = [r.code for r in rules.rules]
    assert rules.rule("pelvic_drop").threshold == 5.0
    assert rules.rule("pelvic_drop").label == "Pelvic drop"  # merged, not replaced
    assert "trunk_lean" not in codes
    assert codes[-1] == "high_vertical_oscillation"
    flags = evaluate_flags({"vertical_oscillation_leg_lengths": FakeMetric(0.15)}, rules=rules)
    assert [f.code for f in flags.flags] == ["high_vertical_oscillation"]


def test_with_thresholds_returns_a_new_rule_set() -> None:
    rules = default_rules()
    changed = rules.with_thresholds({"pelvic_drop": 4})
    assert changed.rule("pelvic_drop").threshold == 4.0
    assert rules.rule("pelvic_drop").threshold == 7.0


# -- broken files --------------------------------------------------------------------------------

_BASE = """
[[rule]]
code = "my_rule"
label = "Mine"
metric = "cadence_spm"
direction = "below"
threshold = 150
severity = "info"
evidence = "modelling"
reference = "Example, https://example.org"
threshold_source = "Ours."
measure_hint = "Film more steps."
message = "Step rate {value:.0f} (flag at {threshold:.0f})."
"""


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[thresholds\nlow_step_rate = 160\n", "is not valid TOML"),
        (_BASE.replace('"cadence_spm"', '"cadence_bpm"'), "unknown metric 'cadence_bpm'"),
        (_BASE.replace('"below"', '"sideways"'), "direction 'sideways'; expected one of"),
        (_BASE.replace('"info"', '"urgent"'), "severity 'urgent'"),
        (_BASE.replace('"modelling"', '"anecdote"'), "evidence 'anecdote'"),
        (_BASE.replace("threshold = 150", 'threshold = "150"'), "finite number for 'threshold'"),
        (_BASE.replace("threshold = 150", "treshold = 150"), "unknown field 'treshold'"),
        (_BASE.replace('label = "Mine"\n', ""), "non-empty text field 'label'"),
        (_BASE.replace("{value:.0f}", "{speed}"), "cannot be filled"),
        (_BASE.replace('"my_rule"', '"My Rule"'), "expected a snake_case string"),
        ("schema_version = 1\n" + _BASE.replace('"my_rule"', '"low_step_rate"'), None),
        ("[thresholds]\nno_such_rule = 1\n", "Unknown rule code 'no_such_rule'"),
        ("[thresholds]\nlow_step_rate = 'fast'\n", "must be a number"),
        ("speed = 3\n", "unknown top-level key 'speed'"),
        ("[[rule]]\ncode = 'rearfoot_overstride'\nthreshold = 0.2\n", r"\[thresholds\]"),
        (
            _BASE.replace(
                'metric = "cadence_spm"\ndirection = "below"\nthreshold = 150\n',
                'all = [{foot_strike = "rearfoot"}]\n',
            ),
            "must start its conditions with a metric condition",
        ),
        (
            _BASE.replace(
                'metric = "cadence_spm"\ndirection = "below"\nthreshold = 150\n',
                'all = [{metric = "cadence_spm", direction = "below", threshold = 150}, '
                '{foot_strike = "tiptoe"}]\n',
            ),
            "foot_strike 'tiptoe'",
        ),
        (_BASE + 'supersedes = ["nothing"]\n', "supersedes unknown rule 'nothing'"),
    ],
)
def test_broken_files_raise_one_clear_sentence(
    tmp_path: Path, text: str, match: str | None
) -> None:
    path = _write(tmp_path, text)
    if match is None:  # merging onto an existing code is fine, it is not a duplicate
        assert load_rules(path).rule("low_step_rate").threshold == 150.0
        return
    with pytest.raises(RulesFileError, match=match) as info:
        load_rules(path)
    assert "user_rules.toml" in str(info.value)
    _assert_one_sentence(info.value)


def test_duplicate_code_in_one_file(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match="used twice"):
        load_rules(_write(tmp_path, _BASE + _BASE.replace("[[rule]]", "[[fatigue]]")))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match="does not exist") as info:
        load_rules(tmp_path / "nope.toml")
    _assert_one_sentence(info.value)
