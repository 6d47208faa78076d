"""compute_metrics on the sample clip and on a clip that is not running."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gait.events import detect_events
from gait.metrics import STEP_COLUMNS, Metric, MetricParams, compute_metrics
from gait.track import clean_track, load_track

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "treadmill_side_male_30fps_portrait.track.nc"
NON_RUNNING = REPO / "tests" / "data" / "sports2d_demo_two_people_vp9.track.nc"

EXPECTED = {
    "cadence_spm": "spm",
    "step_time_s": "s",
    "stride_time_s": "s",
    "contact_time_s": "s",
    "flight_time_s": "s",
    "duty_factor": "1",
    "foot_strike_angle_deg": "deg",
    "overstride_leg_lengths": "leg_lengths",
    "shank_angle_ic_deg": "deg",
    "knee_flexion_ic_deg": "deg",
    "peak_knee_flexion_stance_deg": "deg",
    "peak_thigh_extension_deg": "deg",
    "trunk_lean_deg": "deg",
    "vertical_oscillation_leg_lengths": "leg_lengths",
    "vertical_oscillation_cm": "cm",
    "step_time_asymmetry_pct": "%",
    "contact_time_asymmetry_pct": "%",
}


@pytest.fixture(scope="module")
def sample():
    track = clean_track(load_track(SAMPLE))
    events = detect_events(track)
    return track, events, compute_metrics(track, events, height_cm=178.0)


def test_every_metric_present_with_its_unit(sample) -> None:
    _, _, m = sample
    assert set(EXPECTED) <= set(m.metrics)
    for name, unit in EXPECTED.items():
        assert m.metrics[name].unit == unit, name
    json.dumps({k: v.to_dict() for k, v in m.metrics.items()})
    json.dumps({k: v.to_dict() for k, v in m.foot_strike.items()})


def test_sample_cadence_and_foot_strike(sample) -> None:
    _, _, m = sample
    cad = m.metrics["cadence_spm"]
    assert abs(cad.value - 168.75) < 1.0
    assert cad.confidence == "high" and cad.n == 33
    assert 0 < cad.uncertainty < 0.5
    assert m.foot_strike["L"].pattern == "rearfoot"  # the annotated heel strike, near foot
    assert m.foot_strike["L"].confidence in ("high", "medium")
    assert m.foot_strike["R"].confidence == "low"  # far foot
    assert m.metrics["foot_strike_angle_deg"].value > 8.0


def test_timing_plausible_and_low_confidence_at_30_fps(sample) -> None:
    _, _, m = sample
    ct, ft, df = (m.metrics[k] for k in ("contact_time_s", "flight_time_s", "duty_factor"))
    assert 0.18 < ct.value < 0.32 and 0.03 < ft.value < 0.2 and 0.25 < df.value < 0.5
    assert ct.confidence == ft.confidence == df.confidence == "low"
    assert "fps" in ct.note
    # timing uncertainty comes from the frame period and the detector's measured error
    assert ct.uncertainty is not None and 0.005 < ct.uncertainty < 0.03
    st = m.metrics["step_time_s"]
    # the cadence is a robust line through all ICs, the step time the mean measured step: one
    # contact mistimed by a frame moves the mean step by ~0.1 %, the cadence hardly
    assert st.value == pytest.approx(60 / m.metrics["cadence_spm"].value, rel=0.005)
    assert st.per_side is not None and set(st.per_side) == {"L", "R"}


def test_angles_and_oscillation_in_range(sample) -> None:
    _, _, m = sample
    v = {k: m.metrics[k].value for k in EXPECTED}
    assert 0.0 < v["overstride_leg_lengths"] < 0.4
    assert 0.0 < v["trunk_lean_deg"] < 20.0
    assert 0.05 < v["vertical_oscillation_leg_lengths"] < 0.2
    assert v["vertical_oscillation_cm"] == pytest.approx(
        v["vertical_oscillation_leg_lengths"] * 0.491 * 178.0, rel=1e-9
    )
    assert 0.0 < v["knee_flexion_ic_deg"] < v["peak_knee_flexion_stance_deg"] < 60.0


def test_steps_table(sample) -> None:
    _, events, m = sample
    assert list(m.steps.columns[: len(STEP_COLUMNS)]) == list(STEP_COLUMNS)
    assert len(m.steps) == (events.table["type"] == "IC").sum()
    assert set(m.steps["strike_pattern"].dropna()) <= {"rearfoot", "midfoot", "forefoot"}
    assert (m.steps["ic_frame"] >= 0).all()


def test_not_running_gives_no_cadence() -> None:
    track = clean_track(load_track(NON_RUNNING))
    events = detect_events(track)
    m = compute_metrics(track, events)
    assert not events.running
    assert m.metrics["cadence_spm"].value is None
    assert m.metrics["cadence_spm"].note
    assert m.steps.empty
    assert m.foot_strike["L"].pattern is None


def test_metric_params() -> None:
    p = MetricParams()
    assert [p.classify(a) for a in (8.5, 8.0, 0.0, -1.6, -2.0)] == [
        "rearfoot",
        "midfoot",
        "midfoot",
        "midfoot",
        "forefoot",
    ]
    assert p.classify(float("nan")) is None
    with pytest.raises(ValueError, match="forefoot_max_deg"):
        MetricParams(forefoot_max_deg=9.0)
    with pytest.raises(ValueError, match="confidence"):
        Metric(1.0, "s", 1, None, None, "certain")
    assert np.isfinite(p.fsa_reference_offset_deg)
