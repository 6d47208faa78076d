"""Rear view end to end on mocap filmed by a virtual rear camera: view, events, metrics, validation."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gait.config import AnalysisConfig
from gait.events import REAR_DETECTOR, detect_events
from gait.metrics import REAR_METRICS, REAR_STEP_COLUMNS, compute_metrics
from gait.pipeline import analyze_track
from gait.skeleton import KEYPOINTS
from gait.track import clean_track, detect_view
from gait.validate import run_rear_validation


def _rear(trial, fps=60.0, seed=0, duration_s=12.0):
    track, truth = trial.to_track(view="rear", fps=fps, seed=seed, duration_s=duration_s)
    return clean_track(track), truth


def _mirror(track: xr.Dataset, *, swap: bool) -> xr.Dataset:
    """X -> width - x; with ``swap`` also exchange left/right labels (the runner's mirror image)."""
    width = float(track.attrs["image_width_px"])
    pos = track["position"].copy()
    pos.loc[{"space": "x"}] = width - pos.sel(space="x")
    out = track.assign(position=pos)
    if swap:
        names = [
            k.replace("left_", "#").replace("right_", "left_").replace("#", "right_")
            for k in KEYPOINTS
        ]
        out = out.assign_coords(keypoint=names).reindex(keypoint=list(KEYPOINTS))
    return out


def test_rear_and_side_views_detected(t25) -> None:
    for view in ("rear", "front", "side_left", "side_right"):
        track, _ = t25.to_track(view=view, fps=60, seed=0, duration_s=5)
        assert detect_view(clean_track(track)).view == view


def test_rear_events_match_force_plates(t25) -> None:
    cleaned, truth = _rear(t25)
    ev = detect_events(cleaned)
    assert (ev.view, ev.running, ev.detector, ev.near_foot) == ("rear", True, REAR_DETECTOR, None)
    assert list(ev.table.columns) == ["foot", "type", "frame", "time_s", "confidence"]
    ics = ev.table[ev.table["type"] == "IC"]
    assert (ics["foot"].to_numpy()[1:] != ics["foot"].to_numpy()[:-1]).all()  # alternation
    true_ic = truth.events.loc[truth.events["kind"] == "ic", "time_s"].to_numpy()
    err = np.array([np.min(np.abs(true_ic - t)) for t in ics["time_s"]])
    assert np.median(err) < 0.015
    assert ev.table["confidence"].between(0, 1).all()


def test_rear_metrics_never_side_and_side_never_rear(t25) -> None:
    cleaned, _ = _rear(t25)
    m = compute_metrics(cleaned, detect_events(cleaned))
    assert set(m.metrics) >= REAR_METRICS
    assert "foot_strike_angle_deg" not in m.metrics and "overstride_leg_lengths" not in m.metrics
    assert tuple(m.steps.columns) == REAR_STEP_COLUMNS
    assert m.metrics["knee_frontal_projection_deg"].confidence == "low"
    assert m.metrics["rearfoot_eversion_proxy_deg"].value is None  # 60 fps < 120
    assert any(q.code == "rearfoot_low_fps" for q in m.quality)
    side, _ = t25.to_track(view="side_left", fps=60, seed=0, duration_s=8)
    side = clean_track(side)
    ms = compute_metrics(side, detect_events(side))
    assert not REAR_METRICS & set(ms.metrics)
    assert "pelvic_drop_deg" not in ms.steps.columns


def test_view_override_forces_rear_rule_and_config_validates(t25) -> None:
    cleaned, _ = _rear(t25, duration_s=6)
    assert detect_events(cleaned, view="rear").view == "rear"
    side = detect_events(cleaned, view="side_left")
    assert any(q.code == "view_override_disagrees" for q in side.quality)
    with pytest.raises(ValueError, match="Unknown view"):
        AnalysisConfig(view="top")
    track, _ = t25.to_track(view="rear", fps=60, seed=0, duration_s=6)
    assert analyze_track(track, AnalysisConfig(view="rear")).report.view == "rear"


def test_mirrored_track_mirrors_left_and_right(t25) -> None:
    """X -> width - x with left/right labels exchanged: the runner's mirror image."""
    cleaned, _ = _rear(t25, fps=120, duration_s=8)
    a = compute_metrics(cleaned, detect_events(cleaned))
    mirrored = _mirror(cleaned, swap=True)
    assert detect_view(mirrored).view == "rear"
    b = compute_metrics(mirrored, detect_events(mirrored))
    for key in ("pelvic_drop_deg", "hip_adduction_deg", "knee_frontal_projection_deg"):
        pa, pb = a.metrics[key].per_side, b.metrics[key].per_side
        assert pb["R"] == pytest.approx(pa["L"], abs=1e-6)
        assert pb["L"] == pytest.approx(pa["R"], abs=1e-6)
    width = a.metrics["step_width_pelvis_widths"].value
    assert b.metrics["step_width_pelvis_widths"].value == pytest.approx(width, abs=1e-6)


def test_scaled_and_translated_track_gives_the_same_values(t25) -> None:
    cleaned, _ = _rear(t25, fps=60, duration_s=8)
    a = compute_metrics(cleaned, detect_events(cleaned))
    pos = cleaned["position"] * 1.7 + xr.DataArray(
        [40.0, -25.0], dims="space", coords={"space": ["x", "y"]}
    )
    moved = cleaned.assign(position=pos.astype(cleaned["position"].dtype))
    b = compute_metrics(moved, detect_events(moved, view="rear"))
    for key in ("cadence_spm", "pelvic_drop_deg", "hip_adduction_deg", "step_width_pelvis_widths"):
        assert b.metrics[key].value == pytest.approx(a.metrics[key].value, abs=1e-3)


def test_rear_validation_meets_targets(t25) -> None:
    df = run_rear_validation(None, fps_list=(30, 120), seeds=(0,), trials=[t25], duration_s=15)
    assert (df["running_pct"] == 100).all()
    # 2.8 deg target at 120 fps; one 15 s clip at 30 fps is allowed a little more (the pooled
    # 30 s validation stays under 2.8 at every fps)
    assert (df["pelvic_drop_deg_clip_max"] <= df["fps"].map({30.0: 3.5, 120.0: 2.8})).all()
    assert (df["step_width_pelvis_widths_clip_max"] <= 0.1).all()
    assert (df["ic_bias_ms"].abs() < 10).all()


def test_hip_adduction_summary_is_not_biased_by_noisy_peaks(t25) -> None:
    """The summary is the peak of the mean stance curve; the mean of per-step peaks reads high."""
    errors_summary, errors_per_step = [], []
    for seed in (0, 1):
        track, truth = t25.to_track(view="rear", fps=30, seed=seed, duration_s=20.0)
        cleaned = clean_track(track)
        metrics = compute_metrics(cleaned, detect_events(cleaned))
        true_side = truth.contacts.groupby("side")["peak_hip_adduction_deg"].mean()
        for foot, side in (("L", "left"), ("R", "right")):
            errors_summary.append(metrics.metrics["hip_adduction_deg"].per_side[foot] - true_side[side])
            steps = metrics.steps[metrics.steps["foot"] == foot]
            errors_per_step.append(steps["hip_adduction_deg"].mean() - true_side[side])
    assert abs(np.mean(errors_summary)) < 1.5  # measured: +0.1 deg at 30 fps over 3 trials x 2 seeds
    assert np.mean(np.abs(errors_summary)) < 2.5  # measured: 1.0 deg
    assert np.mean(errors_per_step) > 4.0  # the biased estimator this replaces (measured +8.4 deg)
