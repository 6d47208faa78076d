"""Fatigue: first vs last third of a clip, thresholds plus a significance check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.flags import (
    FatigueComparison,
    FatigueCriterion,
    FatigueResult,
    compare_fatigue,
    default_rules,
    load_rules,
)

from .fakes import make_steps

CRITERIA = {c.column: c for c in default_rules().fatigue}


def _drop_at_half(
    before: float, after: float, duration_s: float = 90.0
) -> Callable[[float], float]:
    return lambda t: before if t < duration_s / 2 else after


def _by_code(result: FatigueResult) -> dict[str, FatigueComparison]:
    return {c.code: c for c in result.comparisons}


def test_cadence_dropping_6_percent_over_90_s_is_degraded() -> None:
    steps = make_steps(90.0, _drop_at_half(170.0, 170.0 * 0.94), noise_frac=0.02, seed=1)
    result = compare_fatigue(steps)
    assert result.assessed and result.degraded
    (cadence,) = result.comparisons  # only step times in this table
    assert cadence.code == "fatigue_step_rate" and cadence.degraded
    assert cadence.change == pytest.approx(-6.0, abs=0.6)
    assert cadence.first_mean == pytest.approx(170.0, abs=1.5)
    assert cadence.p_value < 1e-6
    assert cadence.n_first > 60 and cadence.n_last > 60
    (finding,) = result.findings
    assert finding.code == "fatigue_step_rate" and "steps/min" in finding.message
    (flag,) = result.flags
    assert (flag.code, flag.metric, flag.direction, flag.threshold) == (
        "fatigue_step_rate",
        "cadence_change_pct",
        "below",
        -3.0,
    )
    assert flag.value == pytest.approx(cadence.change)
    assert flag.severity == "info" and "Clansey" in flag.reference


@pytest.mark.parametrize("seed", range(5))
def test_constant_form_with_noise_is_not_degraded(seed: int) -> None:
    steps = make_steps(
        120.0,
        lambda t: 172.0,
        noise_frac=0.03,
        columns={
            "overstride_leg_lengths": lambda t: 0.22,
            "knee_flexion_ic_deg": lambda t: 18.0,
            "pelvic_drop_deg": lambda t: 5.0,
        },
        column_noise={
            "overstride_leg_lengths": 0.03,
            "knee_flexion_ic_deg": 3.0,
            "pelvic_drop_deg": 1.5,
        },
        seed=seed,
    )
    result = compare_fatigue(steps)
    assert result.assessed and len(result.comparisons) == 4
    assert not result.degraded
    assert result.findings == () and result.flags == ()
    assert abs(_by_code(result)["fatigue_step_rate"].change) < 1.0


def test_clip_of_30_s_needs_60_s() -> None:
    steps = make_steps(30.0, _drop_at_half(170.0, 150.0, 30.0))
    result = compare_fatigue(steps)
    assert not result.assessed and result.comparisons == () and result.flags == ()
    (note,) = result.notes
    assert note.code == "fatigue_clip_too_short"
    assert "at least 60 s" in note.message
    assert result.duration_s == pytest.approx(30.0, abs=0.5)


def test_min_duration_is_configurable() -> None:
    steps = make_steps(45.0, _drop_at_half(170.0, 150.0, 45.0))
    assert compare_fatigue(steps, min_duration_s=40.0).assessed


@pytest.mark.parametrize(
    "crit", [c for c in CRITERIA.values() if c.column != "cadence_spm"], ids=lambda c: c.code
)
@pytest.mark.parametrize(("factor", "degraded"), [(2.0, True), (0.5, False)])
def test_each_measure_degrades_beyond_its_threshold(
    crit: FatigueCriterion, factor: float, degraded: bool
) -> None:
    base = {"overstride_leg_lengths": 0.22, "knee_flexion_ic_deg": 18.0, "pelvic_drop_deg": 4.0}
    start = base[crit.column]
    change = factor * crit.threshold  # signed: the threshold carries the degrading direction
    steps = make_steps(
        90.0,
        lambda t: 170.0,
        columns={crit.column: _drop_at_half(start, start + change)},
        column_noise={crit.column: abs(crit.threshold) / 4},
        seed=3,
    )
    comparison = _by_code(compare_fatigue(steps))[crit.code]
    assert comparison.change == pytest.approx(change, abs=abs(crit.threshold) / 4)
    assert comparison.degraded is degraded


def test_change_beyond_threshold_but_within_noise_is_not_reported() -> None:
    noisy = [20.0, 0.0, 40.0, 10.0, 30.0, 20.0, 5.0, 35.0, 15.0]
    n = len(noisy)
    steps = pd.DataFrame(
        {
            "foot": ["L", "R"] * (3 * n // 2) + ["L"] * (3 * n % 2),
            "ic_time_s": np.linspace(0.0, 90.0, 3 * n),
            "knee_flexion_ic_deg": noisy + [18.0] * n + [v - 4.0 for v in noisy[::-1]],
        }
    )
    comparison = _by_code(compare_fatigue(steps))["fatigue_knee_flexion_ic"]
    assert comparison.change == pytest.approx(-4.0)  # beyond the -3 deg threshold ...
    assert comparison.p_value > 0.05  # ... but indistinguishable from step-to-step scatter
    assert not comparison.degraded


def test_cadence_from_contact_times_when_step_times_are_missing() -> None:
    steps = make_steps(90.0, _drop_at_half(170.0, 155.0), noise_frac=0.01).drop(
        columns="step_time_s"
    )
    comparison = _by_code(compare_fatigue(steps))["fatigue_step_rate"]
    assert comparison.degraded
    assert comparison.change == pytest.approx(100 * (155 / 170 - 1), abs=0.7)


def test_missed_events_are_not_read_as_a_slow_step_rate() -> None:
    steps = make_steps(90.0, lambda t: 170.0).drop(columns="step_time_s")
    gappy = steps.drop(index=steps.index[-60::3])  # every third late step missing
    comparison = _by_code(compare_fatigue(gappy))["fatigue_step_rate"]
    assert abs(comparison.change) < 0.5 and not comparison.degraded


def test_too_few_steps_for_a_measure_gives_a_note() -> None:
    steps = make_steps(90.0, lambda t: 170.0, columns={"pelvic_drop_deg": lambda t: 5.0})
    steps.loc[steps.index[4:], "pelvic_drop_deg"] = np.nan
    result = compare_fatigue(steps)
    assert "fatigue_pelvic_drop" not in _by_code(result)
    assert [n.code for n in result.notes] == ["fatigue_pelvic_drop_not_assessed"]


def test_measures_not_in_the_table_are_skipped_quietly() -> None:
    result = compare_fatigue(make_steps(90.0, lambda t: 170.0))
    assert [c.code for c in result.comparisons] == ["fatigue_step_rate"]
    assert result.notes == ()


def test_no_contact_times() -> None:
    result = compare_fatigue(pd.DataFrame({"foot": ["L", "R"]}))
    assert not result.assessed and result.notes[0].code == "fatigue_not_assessed"


def test_threshold_override_changes_the_verdict(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[thresholds]\nfatigue_step_rate = -10\n", encoding="utf-8")
    steps = make_steps(90.0, _drop_at_half(170.0, 170.0 * 0.94), noise_frac=0.02, seed=1)
    assert compare_fatigue(steps).degraded
    assert not compare_fatigue(steps, rules=load_rules(path)).degraded


def test_input_is_not_modified_and_order_does_not_matter() -> None:
    steps = make_steps(90.0, _drop_at_half(170.0, 160.0), noise_frac=0.02, seed=4)
    shuffled = steps.sample(frac=1.0, random_state=0)
    before = shuffled.copy()
    a, b = compare_fatigue(steps), compare_fatigue(shuffled)
    pd.testing.assert_frame_equal(shuffled, before)
    assert a.comparisons == b.comparisons
    assert a.to_dict()["degraded"] is True


def test_bad_alpha() -> None:
    with pytest.raises(ValueError, match="alpha"):
        compare_fatigue(make_steps(90.0, lambda t: 170.0), alpha=1.5)
