"""Overground rear and front views on the mocap harness (:mod:`gait.validate.rear_overground`).

A virtual camera behind the runner (he runs away from it) or in front (towards it), pose-error
severity 2 without side-view episodes, with and without the frontal leg-label episodes measured on
the real rear clip. The thresholds are the benchmark's figures (``tests/benchmarks/rear_overground.py``)
with a margin; one seed per trial here, two with label errors (they are rarer events). Before the
sides came from the feet's image order, the label-error cases here gave 50-61 % within one frame, an
IC SD of 43-47 ms and up to 15 spm cadence error (they fail here).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from gait.events._rear import body_scale_px
from gait.events._rear_overground import (
    OVERGROUND_DETECTOR,
    _by_alternation,
    _contacts,
    label_order,
    relabel_feet,
    side_assignment,
)
from gait.track import clean_track
from gait.validate import load_trial
from gait.validate.errors import PoseErrorModel, apply_pose_errors, label_error_fraction
from gait.validate.rear_overground import START_DISTANCE_M, run_clip, summarise

MOCAP = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mocap").resolve()


@pytest.fixture(scope="module")
def trials():
    if not (MOCAP / "events").is_dir():
        pytest.skip(f"mocap data not found at {MOCAP}")
    return [load_trial(MOCAP, t) for t in ("RBDS001_runT25", "RBDS0041_runT25")]


@pytest.mark.parametrize(
    ("view", "height_m", "labels", "min_matched", "min_within_pct", "max_sd_ms", "max_cad_spm"),
    [
        ("rear", 0.1, False, 0.9, 85.0, 25.0, 6.0),
        ("front", None, False, 0.95, 90.0, 20.0, 3.0),
        ("front", 0.1, False, 0.95, 90.0, 25.0, 3.0),
        ("rear", 0.1, True, 0.9, 75.0, 45.0, 11.0),
        ("front", None, True, 0.85, 80.0, 25.0, 7.0),
    ],
)
def test_overground_contacts_match_force_plates(
    trials, view, height_m, labels, min_matched, min_within_pct, max_sd_ms, max_cad_spm
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        runs = [
            run_clip(tr, view=view, fps=30.0, seed=seed, severity=2, camera_height_m=height_m, label_errors=labels)
            for tr in trials
            for seed in ((0, 1) if labels else (0,))
        ]
    assert all(r["detector"] == OVERGROUND_DETECTOR for r in runs)
    s = summarise(runs)
    assert s["running"] == len(runs), s
    assert s["ic_matched"] >= min_matched * s["ic_true"], s
    assert s["within_1_frame_pct"] >= min_within_pct, s
    assert abs(s["ic_bias_ms"]) < 25 and s["ic_sd_ms"] < max_sd_ms, s
    assert s["cadence_max_abs_err_spm"] < max_cad_spm, s


def test_resting_heel_gives_one_contact_per_stance() -> None:
    """A synthetic heel: rises in swing, rests at a level that moves up the picture; scale halves."""
    fps, stride_s = 30.0, 0.66
    t = np.arange(0, 3.0, 1 / fps)
    scale = 200.0 / (1 + t / 3.0)
    phase = (t % stride_s) / stride_s
    swing = np.where(phase > 0.4, np.sin(np.pi * (phase - 0.4) / 0.6), 0.0)
    y = 600.0 - 20.0 * t - 0.4 * scale * swing
    got = np.array([c[0] for c in _contacts(t, y, scale)])
    assert all(c[2] for c in _contacts(t, y, scale))  # every stance seen
    true = np.arange(1, 5) * stride_s  # the heel lands at phase 0
    assert len(got) == len(true)
    # the threshold crossing comes before the plateau; the offset is for real landings, so only the rhythm here
    assert np.ptp(np.diff(got)) < 1.5 / fps


def test_too_few_frames_give_no_contacts() -> None:
    t = np.arange(4) / 30.0
    assert _contacts(t, np.ones(4), np.ones(4)) == []


def _frontal_track(trial, view: str, model: PoseErrorModel, seed: int = 3):
    clip = trial.film(
        view=view, fps=30.0, seed=seed, duration_s=3.0, overground=True, distance_m=START_DISTANCE_M[view]
    )
    truth = trial.ground_truth(clip)
    track, mask = apply_pose_errors(clip, truth, model, seed)
    return clean_track(track), clip.position_true_px, mask


@pytest.mark.parametrize("view", ["rear", "front"])
def test_sides_come_from_the_feets_image_order(trials, view) -> None:
    """Whole-leg swaps and snapped feet: after relabelling almost no frame carries the wrong foot."""
    model = PoseErrorModel(noise_tau_s=0.1, frontal_episodes_per_stride=2.0, frontal_episode_median_s=0.15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in (3, 4):
            track, true_px, mask = _frontal_track(trials[0], view, model, seed)
            assert label_order(track) == (1.0 if view == "rear" else -1.0)
            raw = label_error_fraction(track, true_px)
            fixed = label_error_fraction(relabel_feet(track, body_scale_px(track)), true_px)
            assert raw > 0.05, raw
            assert fixed < 0.25 * raw and fixed < 0.03, (raw, fixed)


def test_a_mirrored_clip_keeps_its_sides(trials) -> None:
    """Labels the wrong way round throughout (a mirrored rear clip) are kept: the majority decides."""
    track, _, _ = _frontal_track(trials[0], "rear", PoseErrorModel(noise_tau_s=0.1))
    mirrored = track.copy(deep=True)
    x = mirrored["position"].sel(space="x").values
    mirrored["position"].loc[{"space": "x"}] = 2000.0 - x
    assert label_order(mirrored) == -1.0
    swap, _ = side_assignment(mirrored, body_scale_px(mirrored))
    assert not swap.any(), "a consistent left-right order must not be relabelled"
    fixed = relabel_feet(mirrored, body_scale_px(mirrored))["position"].values
    before = mirrored["position"].values
    both = np.isfinite(fixed) & np.isfinite(before)
    assert np.array_equal(fixed[both], before[both])
    assert (np.isnan(fixed).sum() - np.isnan(before).sum()) <= 0.01 * before.size  # few landmarks set aside


def test_a_foot_not_seen_at_contact_is_timed_by_alternation() -> None:
    # L at 0, 0.7, R at 0.35 seen; R at 1.2 filled in (its real landing ~1.05): midway between L 0.7 and L 1.4
    found = [(0.0, "L", 0.9, True), (0.35, "R", 0.9, True), (0.7, "L", 0.9, True), (1.2, "R", 0.8, False)]
    found.append((1.4, "L", 0.9, True))
    got = _by_alternation(found)
    assert [f for _, f, _ in got] == ["L", "R", "L", "R", "L"]
    assert got[3][0] == pytest.approx(1.05) and got[3][2] == pytest.approx(0.4)
    # without the later L: one median step (0.35 s) after the L before it
    got = _by_alternation(found[:-1])
    assert got[3][0] == pytest.approx(1.05)
    # nothing of the other foot near it: dropped
    assert _by_alternation([(0.0, "L", 0.9, True), (2.0, "R", 0.9, False)]) == [(0.0, "L", 0.9)]
    # one landing on both feet within half a shortest step: the more confident kept
    assert _by_alternation([(0.5, "L", 0.9, True), (0.55, "R", 0.5, True)]) == [(0.5, "L", 0.9)]


def test_a_heel_drawn_on_the_other_foot_is_not_used(trials) -> None:
    """Heel-only snaps (the commonest kind on the real rear clip): the moved heel is set aside."""
    model = PoseErrorModel(
        noise_tau_s=0.1, frontal_episodes_per_stride=2.0, frontal_swap_fraction=0.0, frontal_heel_snap_fraction=1.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        track, true_px, mask = _frontal_track(trials[0], "rear", model, seed=5)
        fixed = relabel_feet(track, body_scale_px(track))
    kp = [str(k) for k in track["keypoint"].values]
    heels = [kp.index("left_heel"), kp.index("right_heel")]

    def on_other_heel(t) -> int:
        pos = t["position"].transpose("time", "keypoint", "space").values.astype(float)
        n = 0
        for k, other in ((0, 1), (1, 0)):
            own = np.linalg.norm(pos[:, heels[k]] - true_px[:, heels[k]], axis=1)
            wrong = np.linalg.norm(pos[:, heels[k]] - true_px[:, heels[other]], axis=1)
            n += int(np.sum(wrong < own))  # False where NaN (set aside)
        return n

    before, after = on_other_heel(track), on_other_heel(fixed)
    assert before >= 0.5 * mask.sum(), (before, int(mask.sum()))
    assert after <= 0.25 * before, (before, after)


def _filmed(trial, view: str, seed: int, label_errors: bool):
    """A cleaned overground clip of the harness and its force-plate cadence (steps/min)."""
    from gait.validate.rear_overground import frontal_model

    clip = trial.film(
        view=view, fps=30.0, seed=seed, duration_s=3.0, overground=True, distance_m=START_DISTANCE_M[view]
    )
    truth = trial.ground_truth(clip)
    track, _ = apply_pose_errors(clip, truth, frontal_model(2, label_errors=label_errors), seed)
    cleaned = clean_track(track)
    t0, t1 = float(cleaned["time"].values[0]), float(cleaned["time"].values[-1])
    ic = np.sort(truth.events.loc[truth.events["kind"] == "ic", "time_s"].to_numpy())
    ic = ic[(ic >= t0) & (ic <= t1)]
    return cleaned, 60.0 * (len(ic) - 1) / (ic[-1] - ic[0])


@pytest.mark.parametrize("view", ["rear", "front"])
def test_the_pelvis_rhythm_gives_the_cadence_whichever_leg_is_which(trials, view) -> None:
    from gait.events._rear import frontal_rhythm_spm

    for trial in trials:
        cleaned, true_spm = _filmed(trial, view, seed=1, label_errors=True)
        rhythm = frontal_rhythm_spm(cleaned, body_scale_px(cleaned))
        assert rhythm["consensus"] == pytest.approx(true_spm, rel=0.03)


def test_contacts_that_disagree_with_the_pelvis_rhythm_are_not_trusted(trials, monkeypatch) -> None:
    import gait.events._rear as rear
    from gait.track import track_fps
    from gait.track.view import given_view

    cleaned, true_spm = _filmed(trials[0], "rear", seed=0, label_errors=False)
    agree = rear.detect_frontal_events(cleaned, given_view(cleaned, "rear"), track_fps(cleaned))
    assert agree.running and not [n for n in agree.quality if n.code == "cadence_disagreement"]
    # the same contacts against a rhythm 20 % faster (as on the real rear clip: 137 against 165)
    monkeypatch.setattr(rear, "frontal_rhythm_spm", lambda track, scale: {"consensus": 1.2 * true_spm})
    refused = rear.detect_frontal_events(cleaned, given_view(cleaned, "rear"), track_fps(cleaned))
    codes = [n.code for n in refused.quality]
    assert not refused.running
    assert "frontal_overground" in codes and "running_without_events" in codes
    said = next(n.message for n in refused.quality if n.code == "running_without_events")
    assert f"{1.2 * true_spm:.0f} steps/min" in said
