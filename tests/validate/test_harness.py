"""The validation harness: pairing, agreement statistics, and the 120 fps accuracy achieved.

The accuracy test films the RBDS treadmill trials (force-plate contacts) at 120 fps with
MediaPipe-sized landmark noise, one seed, and checks bounds a little looser than measured
(seed 0: IC -0.2 ms [-11.7, +11.4], TO -0.0 ms [-16.6, +16.5], contact time RMSE 8 ms, near-foot
FSA RMSE 1.7 deg, kappa 0.85, knee flexion at IC RMSE 2.1 deg, cadence error < 0.05 spm). The full
table (30-240 fps, 3 seeds) is ``gait validate``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gait.validate import cohen_kappa, format_validation_table, match_events, run_event_validation
from gait.validate.mocap import _c3d_available

TRIAL_IDS = [
    t
    for t in ("RBDS001_runT25", "RBDS001_runT35_c3d", "RBDS0041_runT25")
    if _c3d_available() or not t.endswith("_c3d")
]


def test_match_events_one_to_one_nearest() -> None:
    true = np.array([1.0, 2.0, 3.0, 4.0])
    det = np.array([1.01, 1.03, 2.9, 5.0])
    # 1.0 takes 1.01; 2.0 has nothing within 0.15; 3.0 takes 2.9; 4.0 nothing (5.0 too far)
    assert match_events(true, det, 0.15).tolist() == [0, -1, 2, -1]
    assert match_events(true, np.empty(0), 0.15).tolist() == [-1, -1, -1, -1]


def test_match_events_gives_a_detection_to_its_closest_truth() -> None:
    assert match_events(np.array([1.0, 1.1]), np.array([1.09]), 0.15).tolist() == [-1, 0]


def test_cohen_kappa() -> None:
    a = ["rearfoot"] * 5 + ["midfoot"] * 5
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    # 8 of 10 agree, 50/50 marginals on both sides: po = 0.8, pe = 0.5
    b = ["rearfoot"] * 4 + ["midfoot"] + ["rearfoot"] + ["midfoot"] * 4
    assert cohen_kappa(a, b) == pytest.approx(0.6)
    assert np.isnan(cohen_kappa(["midfoot"], ["midfoot"]))


def test_format_validation_table() -> None:
    df = pd.DataFrame(
        [
            {
                "fps": 120.0,
                "ic_bias_ms": -0.2,
                "ic_loa_low_ms": -11.7,
                "ic_loa_high_ms": 11.4,
                "ic_false_pos": 0,
                "to_false_pos": 1,
            }
        ]
    )
    text = format_validation_table(df)
    lines = text.splitlines()
    assert lines[0].startswith("| fps | IC bias ms | IC 95% LoA ms")
    assert "| 120 | -0.2 | -11.7 .. +11.4 |" in lines[2]
    assert lines[2].rstrip().endswith("| 0/1 |")


@pytest.fixture(scope="module")
def table_120(get_trial) -> pd.Series:
    trials = [get_trial(t) for t in TRIAL_IDS]
    df = run_event_validation("unused", fps_list=(120,), seeds=(0,), trials=trials)
    return df.iloc[0]


def test_events_at_120_fps_meet_the_timing_goals(table_120: pd.Series) -> None:
    row = table_120
    # a toe-off is placed from the swing after it: at a clip's end ~2 % have no swing in view
    assert row["ic_detected_pct"] == 100.0 and row["to_detected_pct"] >= 97.0
    assert row["ic_false_pos"] == 0 and row["to_false_pos"] == 0
    assert abs(row["ic_bias_ms"]) < 3.0  # goal +-5 ms
    assert row["ic_loa_low_ms"] > -15.0 and row["ic_loa_high_ms"] < 15.0  # goal +-20 ms
    assert abs(row["to_bias_ms"]) < 5.0  # goal +-5 ms
    assert row["to_loa_low_ms"] > -20.0 and row["to_loa_high_ms"] < 20.0  # goal +-20 ms
    assert abs(row["contact_bias_ms"]) < 5.0 and row["contact_rmse_ms"] < 11.0


def test_cadence_and_foot_strike_at_120_fps(table_120: pd.Series) -> None:
    row = table_120
    assert row["cadence_err_max_abs_spm"] < 0.3  # goal 1 spm
    assert row["running_pct"] == 100.0
    if len(TRIAL_IDS) == 3:  # bounds measured with all three trials (C3D one included)
        assert row["fsa_rmse_deg"] < 2.4  # goal 3 deg, near-side foot: 1.7 on this seed
        assert abs(row["fsa_bias_deg"]) < 1.0
        assert row["strike_kappa"] >= 0.78  # goal 0.78: 0.85 on this seed
        assert row["fsa_rmse_far_deg"] < 3.5  # the far foot is worse: 2.6
        # knee flexion at IC (the extended-knee flag's metric): 2D at the detected IC vs 3D at
        # force-plate IC, seed 0: bias -0.7 deg, RMSE 2.1 deg
        assert abs(row["knee_ic_bias_deg"]) < 1.5 and row["knee_ic_rmse_deg"] < 3.0


def test_foot_strike_angle_at_30_fps(get_trial) -> None:
    # phone video: the landing window (MetricParams.fsa_landing_window_s) keeps the near-foot
    # FSA within the 3 deg goal (seed 0: 2.9 deg, kappa 0.81; at the IC instant it was 4.2 deg)
    if len(TRIAL_IDS) < 3:
        pytest.skip("bounds measured with all three trials (C3D one included)")
    trials = [get_trial(t) for t in TRIAL_IDS]
    row = run_event_validation("unused", fps_list=(30,), seeds=(0,), trials=trials).iloc[0]
    assert row["fsa_rmse_deg"] < 3.2
    assert row["strike_kappa"] > 0.7
    assert row["knee_ic_rmse_deg"] < 4.5  # 3.6 deg
    assert row["cadence_err_max_abs_spm"] < 1.0  # goal at any frame rate
