"""Loading, time base, calibration and joint centres of the RBDS mocap trials."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from gait.validate import (
    MocapDataError,
    anatomy,
    clusters,
    list_trials,
    load_landmarks,
    load_trial,
    read_markers,
)
from gait.validate.mocap import _c3d_available

HAS_C3D = _c3d_available()
#: Cadence of each trial as printed in the data folder's SOURCES.md table.
SOURCES_CADENCE_SPM = {
    "RBDS001_runT25": 156.83,
    "RBDS001_runT35_c3d": 171.21,
    "RBDS0041_runT25": 157.48,
}


def test_list_trials_matches_events_and_c3d_availability(data_dir):
    ids = list_trials(data_dir)
    assert "RBDS001_runT25" in ids
    assert "RBDS0041_runT25" in ids
    assert ("RBDS001_runT35_c3d" in ids) == HAS_C3D


def test_text_markers_load_fast_in_metres(data_dir):
    start = time.perf_counter()
    md = read_markers(data_dir / "RBDS001" / "RBDS001runT25markers.txt")
    assert time.perf_counter() - start < 2.0
    assert md.n_frames == 4500
    assert md.rate_hz == 150.0
    assert len(md.markers_m) == 32
    assert all(v.shape == (4500, 3) for v in md.markers_m.values())
    np.testing.assert_allclose(md.time_s[[0, 1, -1]], [0.0, 1 / 150, 4499 / 150])
    # metres, y up: the pelvis is about 1 m above the belt, the heel marker a few cm
    assert 0.85 < np.nanmedian(md.markers_m["R.ASIS"][:, 1]) < 1.2
    assert 0.02 < np.nanmin(md.markers_m["R.Heel.Bottom"][:, 1]) < 0.06
    # z points to the runner's right
    assert np.nanmedian(md.markers_m["R.ASIS"][:, 2] - md.markers_m["L.ASIS"][:, 2]) > 0.15
    # the documented gap is kept as NaN
    assert np.isnan(md.markers_m["L.ASIS"]).any()


def test_empty_anatomical_columns_are_dropped(data_dir):
    md = read_markers(data_dir / "RBDS0041" / "RBDS0041runT252.txt")
    assert "R.Knee" not in md.markers_m
    assert "R.Heel.Bottom" in md.markers_m


def test_marker_arrays_are_read_only(t25):
    with pytest.raises(ValueError, match="read-only"):
        t25.markers.markers_m["R.ASIS"][0, 0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        t25.landmarks_m["left_knee"][0, 0] = 0.0


def test_time_column_of_text_files_agrees_with_frame_index(data_dir):
    table = pd.read_csv(
        data_dir / "RBDS001" / "RBDS001runT25markers.txt", sep="\t", usecols=["Time"]
    )
    np.testing.assert_allclose(table["Time"], np.arange(len(table)) / 150, atol=5e-4)


def test_event_times_are_force_sample_over_300_hz_and_frame_times_150(trial):
    """derive_events.py: IC at force sample i is at i/300 s and marker frame round(i/300*150)."""
    c = trial.contacts
    np.testing.assert_allclose(c["ic_time_s"], c["ic_analog_sample"] / 300, atol=5e-5)
    np.testing.assert_allclose(c["to_time_s"], c["to_analog_sample"] / 300, atol=5e-5)
    assert (np.abs(c["ic_marker_frame"] - c["ic_analog_sample"] / 2) <= 0.5).all()
    assert c["to_time_s"].max() <= trial.duration_s


def _ic_check(trial, shift_s: float) -> np.ndarray:
    """Check per contact: at IC (+shift) the foot is down and has just arrived; the other is up."""
    m, t = trial.markers.markers_m, trial.time_s
    low = {
        s: np.nanmin(
            np.stack([m[f"{s}.Heel.Bottom"][:, 1], m[f"{s}.MT1"][:, 1], m[f"{s}.MT5"][:, 1]]), 0
        )
        for s in "LR"
    }
    height = {s: low[s] - np.percentile(low[s], 1) for s in "LR"}
    ok = []
    for c in trial.contacts.itertuples():
        other = "R" if c.foot == "L" else "L"
        ti = c.ic_time_s + shift_s
        h_ic = np.interp(ti, t, height[c.foot])
        h_before = np.interp(ti - 0.04, t, height[c.foot])
        ok.append(
            h_ic < 0.02 and h_before - h_ic > 0.003 and np.interp(ti, t, height[other]) > 0.03
        )
    return np.array(ok)


def test_time_base_of_events_matches_markers(trial):
    """At every force-plate IC the contacting foot's lowest marker has just reached the floor.

    The same check with the events moved by 0.1 s fails for most contacts, so it does test the
    time base (it resolves about +-2 frames for subject 1).
    """
    assert _ic_check(trial, 0.0).all()
    assert _ic_check(trial, -0.1).mean() < 0.1
    assert _ic_check(trial, +0.1).mean() < 0.1


def test_cadence_equals_sources_table(trial):
    assert trial.cadence_spm == pytest.approx(SOURCES_CADENCE_SPM[trial.trial_id], abs=0.05)


def test_contacts_alternate_feet(trial):
    sides = trial.contacts["side"].to_numpy()
    assert (sides[1:] != sides[:-1]).all()


def test_static_calibration_reconstructs_anatomical_markers(trial):
    res = clusters.static_residuals_m(trial.calibration, trial.static.markers_m)
    assert {"left_knee", "right_knee", "left_ankle", "right_ankle"} <= set(res)
    assert max(res.values()) < 0.002


def test_rigid_fit_recovers_motion_with_a_missing_marker():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(5, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    rot = q * np.sign(np.linalg.det(q))
    cur = (ref @ rot.T + [1.0, 2.0, 3.0])[None].repeat(2, axis=0)
    cur[1, 0] = np.nan
    cur[1, 3] = np.nan
    r, t, ok = clusters.rigid_fit(ref, cur)
    assert ok.all()
    np.testing.assert_allclose(r, rot[None].repeat(2, 0), atol=1e-9)
    np.testing.assert_allclose(t, [[1.0, 2.0, 3.0]] * 2, atol=1e-9)
    cur[1, 1] = np.nan  # two markers left
    assert not clusters.rigid_fit(ref, cur)[2][1]


def test_harrington_hip_centres_symmetric_and_inside_pelvis():
    pelvis = {
        "R.ASIS": np.array([0.0, 1.0, 0.12]),
        "L.ASIS": np.array([0.0, 1.0, -0.12]),
        "R.PSIS": np.array([-0.16, 1.0, 0.05]),
        "L.PSIS": np.array([-0.16, 1.0, -0.05]),
    }
    hips = anatomy.harrington_hjc_m(pelvis)
    pw_mm, pd_mm = 240.0, 160.0
    np.testing.assert_allclose(
        hips["right_hip"] * 1000,
        [-0.24 * pd_mm - 9.9, 1000 - 0.30 * pw_mm - 10.9, 0.33 * pw_mm + 7.3],
    )
    np.testing.assert_allclose(hips["left_hip"][[0, 1]], hips["right_hip"][[0, 1]])
    assert hips["left_hip"][2] == pytest.approx(-hips["right_hip"][2])


def test_swapped_shoe_markers_of_subject_1_are_relabelled(trial):
    expected = {"R.MT1": "R.MT5", "R.MT5": "R.MT1"} if trial.trial_id.startswith("RBDS001_") else {}
    assert dict(trial.relabelled) == expected
    res = clusters.cluster_residuals_m(trial.calibration, trial.markers.markers_m)
    assert max(v for k, v in res.items() if k != "pelvis") < 0.003
    assert res["pelvis"] < 0.010  # skin over the iliac crests deforms


def test_segment_lengths_constant_while_running(trial):
    lm = trial.landmarks_m
    for side in ("left", "right"):
        for a, b in (("hip", "knee"), ("knee", "ankle")):
            length = np.linalg.norm(lm[f"{side}_{a}"] - lm[f"{side}_{b}"], axis=1)
            assert 0.35 < np.mean(length) < 0.55
            assert np.std(length) < 0.010, (side, a, b, np.std(length))


def test_landmarks_are_complete_and_anatomically_ordered(trial):
    lm = trial.landmarks_m
    names = [
        f"{s}_{j}"
        for s in ("left", "right")
        for j in ("hip", "knee", "ankle", "heel", "foot_index")
    ]
    for name in names:
        assert lm[name].shape == (trial.markers.n_frames, 3)
        assert np.isfinite(lm[name]).all()
    y = {n: np.median(lm[n][:, 1]) for n in names}
    for s in ("left", "right"):
        assert y[f"{s}_hip"] > y[f"{s}_knee"] > y[f"{s}_ankle"] > y[f"{s}_heel"]
        toe_ahead = lm[f"{s}_foot_index"][:, 0] - lm[f"{s}_heel"][:, 0]
        assert np.median(toe_ahead) > 0.2  # running direction is +x
        assert np.median(lm[f"{s}_foot_index"][:, 1]) < 0.1


def test_stature_estimate_close_to_reported_height(data_dir, get_trial):
    info = pd.read_csv(data_dir / "RBDSinfo.txt", sep="\t")
    height_m = float(info.loc[info["Subject"] == 1, "Height"].iloc[0]) / 100
    assert get_trial("RBDS001_runT25").stature_m == pytest.approx(height_m, rel=0.06)


def test_load_landmarks_shorthand(data_dir):
    landmarks, time_s = load_landmarks(data_dir, "RBDS0041_runT25")
    assert landmarks["left_knee"].shape == (len(time_s), 3)
    assert {"left_asis", "right_psis", "left_heel_top"} <= set(landmarks)


def test_unknown_trial_raises(data_dir):
    with pytest.raises(MocapDataError):
        load_trial(data_dir, "RBDS999_runT25")
    with pytest.raises(MocapDataError):
        load_trial(data_dir, "nonsense")
