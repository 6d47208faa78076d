"""Ground truth: events in the track's time base, per-contact values and angle definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gait.validate import truth


def _standing(n: int = 3) -> dict[str, np.ndarray]:
    """Build a symmetric upright skeleton (lab frame x forward, y up, z right), metres."""
    pts = {}
    for side, sz in (("left", -1.0), ("right", 1.0)):
        for name, xyz in {
            "hip": (0, 0.95, 0.09),
            "knee": (0, 0.5, 0.09),
            "ankle": (0, 0.1, 0.09),
            "heel_top": (-0.05, 0.09, 0.09),
            "heel": (-0.05, 0.04, 0.09),
            "foot_index": (0.2, 0.04, 0.09),
        }.items():
            x, y, z = xyz
            pts[f"{side}_{name}"] = np.tile([x, y, sz * z], (n, 1)).astype(float)
    return pts


def test_upright_skeleton_has_zero_angles():
    a = truth.frame_angles(_standing(), np.arange(3) / 150)
    np.testing.assert_allclose(a.to_numpy(), 0.0, atol=1e-9)


def test_pelvic_obliquity_sign_and_hip_adduction():
    pts = _standing()
    drop = np.tan(np.radians(5.0)) * 0.18
    pts["left_hip"][:, 1] -= drop  # left side drops: right hip higher -> positive obliquity
    a = truth.frame_angles(pts, np.arange(3) / 150).iloc[0]
    assert a["pelvic_obliquity_deg"] == pytest.approx(5.0, abs=0.01)
    # right leg vertical under a pelvis dropping to the left: right hip adducted by the drop
    assert a["hip_adduction_right_deg"] == pytest.approx(5.0, abs=0.01)
    assert a["femoral_adduction_right_deg"] == pytest.approx(0.0, abs=1e-9)


def test_femoral_adduction_positive_when_knee_medial():
    pts = _standing()
    shift = np.tan(np.radians(8.0)) * 0.45
    pts["left_knee"][:, 2] += shift  # medial for the left leg is +z
    pts["right_knee"][:, 2] -= shift
    a = truth.frame_angles(pts, np.arange(3) / 150).iloc[0]
    for side in ("left", "right"):
        assert a[f"femoral_adduction_{side}_deg"] == pytest.approx(8.0, abs=0.01)
        assert a[f"hip_adduction_{side}_deg"] == pytest.approx(8.0, abs=0.01)


def test_rearfoot_positive_for_eversion_and_nan_when_pitched():
    pts = _standing()
    shift = np.tan(np.radians(6.0)) * 0.05
    pts["left_heel"][:, 2] -= shift  # heel bottom lateral (left: -z) = eversion
    pts["right_heel"][:, 2] -= shift  # right: -z is medial = inversion
    pts["right_heel_top"][1] = pts["right_heel"][1] + [-0.1, 0.005, 0.0]  # frame 1: pitched foot
    a = truth.frame_angles(pts, np.arange(3) / 150)
    assert a["rearfoot_left_deg"].iloc[0] == pytest.approx(6.0, abs=0.01)
    assert a["rearfoot_right_deg"].iloc[0] == pytest.approx(-6.0, abs=0.01)
    assert np.isnan(a["rearfoot_right_deg"].iloc[1])


def test_step_width_sign_and_crossover():
    t = np.arange(300) / 150
    pts = _standing(len(t))
    contacts = pd.DataFrame(
        {
            "side": ["left", "right", "left"],
            "ic_time_s": [0.2, 0.6, 1.0],
            "to_time_s": [0.45, 0.85, 1.25],
        }
    )
    out = truth.contact_truth(contacts, pts, t)
    assert np.isnan(out["step_width_m"].iloc[0])
    np.testing.assert_allclose(out["step_width_m"].iloc[1:], 0.18)
    crossing = {k: v.copy() for k, v in pts.items()}
    crossing["left_heel"][:, 2] = 0.12  # left heel lands right of the right heel
    out = truth.contact_truth(contacts, crossing, t)
    assert (out["step_width_m"].iloc[1:] < 0).all()
    assert list(contacts.columns) == ["side", "ic_time_s", "to_time_s"]  # input untouched


def test_cadence_definition():
    assert truth.cadence_spm(np.array([0.0, 0.4, 0.8, 1.2])) == pytest.approx(150.0)
    assert np.isnan(truth.cadence_spm(np.array([1.0])))


def test_ground_truth_events_in_track_time_base(t25):
    track, gt = t25.to_track(view="side_left", fps=120, seed=3)
    c = t25.contacts
    ic = gt.events.loc[gt.events["kind"] == "ic"]
    np.testing.assert_allclose(ic["time_s"] + gt.time_offset_s, c["ic_time_s"], atol=1e-9)
    assert (ic["side"].to_numpy() == c["side"].to_numpy()).all()
    assert len(gt.contacts) == len(c)
    assert len(gt.events) == 2 * len(c)
    t = track["time"].to_numpy()
    assert (np.abs(t[gt.events["frame"]] - gt.events["time_s"]) <= 0.5 / 120 + 1e-9).all()
    assert gt.cadence_spm == pytest.approx(156.83, abs=0.05)
    np.testing.assert_allclose(gt.contacts["contact_time_s"], c["contact_time_s"])
    assert set(gt.contacts["strike_class"]) == {"midfoot", "forefoot"}


def test_ground_truth_for_a_window(t25):
    track, gt = t25.to_track(view="rear", fps=60, seed=0, start_s=5.0, duration_s=10.0)
    t_end = track["time"].to_numpy()[-1]
    assert abs(len(track["time"]) - 600) <= 1
    assert 5.0 <= gt.time_offset_s < 5.0 + 1 / 60
    assert gt.events["time_s"].between(0, t_end).all()
    assert gt.contacts["ic_time_s"].ge(0).all()
    assert gt.contacts["to_time_s"].le(t_end).all()
    assert 24 <= len(gt.contacts) <= 27  # ~26 steps in 10 s at 157 spm
    assert gt.cadence_spm == pytest.approx(157, abs=3)


def test_angles_follow_the_track_frames(t25):
    track, gt = t25.to_track(view="rear", fps=30, seed=0)
    np.testing.assert_allclose(gt.angles.index.to_numpy(), track["time"].to_numpy())
    src = t25.angles()
    for col in ("pelvic_obliquity_deg", "hip_adduction_left_deg", "knee_flexion_right_deg"):
        resampled = np.interp(gt.angles.index + gt.time_offset_s, src.index, src[col])
        np.testing.assert_allclose(gt.angles[col], resampled, atol=1.0)


def test_trial_angles_are_plausible(trial):
    a = trial.angles()
    assert a["knee_flexion_left_deg"].between(-5, 120).all()
    assert a["pelvic_obliquity_deg"].abs().max() < 15
    assert a["rearfoot_left_deg"].notna().mean() > 0.3
    c = trial.contacts
    assert c["step_width_m"].abs().max() < 0.25
    assert c["peak_hip_adduction_deg"].abs().max() < 25
