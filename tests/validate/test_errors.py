"""The MediaPipe-like pose-error model (gait.validate.errors) and its use in the harness."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from gait.skeleton import KEYPOINTS, LEFT_RIGHT_PAIRS, LEG_PARTS
from gait.validate import (
    PoseErrorModel,
    apply_pose_errors,
    film,
    format_robust_table,
    label_error_fraction,
    project_to_camera,
    run_robust_validation,
)
from gait.validate.errors import FRONTAL_MEASURED
from gait.validate.harness import run_once, summarise_runs
from gait.validate.truth import ground_truth

IDX = {k: i for i, k in enumerate(KEYPOINTS)}
LEG = {s: [IDX[f"{s}_{p}"] for p in LEG_PARTS] for s in ("left", "right")}
FAR_FOOT = [IDX[f"right_{p}"] for p in ("ankle", "heel", "foot_index")]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _far_ics(truth, far: str = "right") -> np.ndarray:
    ev = truth.events
    return ev.loc[(ev["side"] == far) & (ev["kind"] == "ic"), "time_s"].to_numpy(float)


def _strides(truth, n_frames: int, fps: float) -> float:
    return n_frames / fps / float(np.median(np.diff(_far_ics(truth))))


def _clip(trial, *, fps: float = 60.0, seed: int = 0, duration_s: float | None = None):
    clip = project_to_camera(
        trial.landmarks_m,
        trial.time_s,
        fps=fps,
        seed=seed,
        duration_s=duration_s,
        stature_m=trial.stature_m,
        trial=trial.trial_id,
    )
    return clip, ground_truth(trial.trial_id, trial.contacts, clip)


def test_severity_0_is_todays_track_bit_for_bit(t25) -> None:
    for fps, seed, start in ((60, 7, 0.0), (30, 3, 4.5)):
        ref, ref_truth = t25.to_track(fps=fps, seed=seed, start_s=start, duration_s=6.0)
        track, truth, mask, true_px = film(
            t25, fps=fps, seed=seed, severity=0, start_s=start, duration_s=6.0
        )
        assert np.array_equal(track["position"].values, ref["position"].values, equal_nan=True)
        assert np.array_equal(track["confidence"].values, ref["confidence"].values, equal_nan=True)
        assert np.array_equal(track["time"].values, ref["time"].values)
        assert not mask.any()
        assert truth.time_offset_s == ref_truth.time_offset_s
        assert true_px.shape == track["position"].shape


@pytest.mark.parametrize("severity", [1, 2])
def test_episode_rate_and_placement(t25, severity: int) -> None:
    model = PoseErrorModel.at_severity(severity)
    fps = 60.0
    _, truth, mask, _ = film(t25, fps=fps, seed=11, severity=severity)
    n = len(mask)
    episodes = _runs(mask)  # episodes never touch, so runs of the mask are the episodes
    rate = len(episodes) / _strides(truth, n, fps)
    assert rate == pytest.approx(model.episodes_per_stride, rel=0.25)
    # a share starts pre_contact_lead_s before a far-foot contact; uniform placement would put
    # only ~0.26 (0.2 s window / 0.78 s stride) of them there
    far_ic = _far_ics(truth)
    lo, hi = model.pre_contact_lead_s
    lead = far_ic[None, :] - np.array([a for a, _ in episodes])[:, None] / fps
    near_ic = ((lead >= lo - 1 / fps) & (lead <= hi + 1 / fps)).any(axis=1)
    uniform = replace(model, pre_contact_fraction=0.0)
    _, mask_u = apply_pose_errors(*_clip(t25, fps=fps, seed=11), uniform, 11)
    starts_u = np.array([a for a, _ in _runs(mask_u)]) / fps
    lead_u = far_ic[None, :] - starts_u[:, None]
    near_u = ((lead_u >= lo - 1 / fps) & (lead_u <= hi + 1 / fps)).any(axis=1)
    assert near_ic.mean() > 0.45 and near_u.mean() < 0.35
    assert near_ic.mean() - near_u.mean() > 0.2
    # durations in seconds: the same model gives the same time in episodes at 30 fps
    _, truth30, mask30, _ = film(t25, fps=30.0, seed=11, severity=severity)
    per_stride_60 = mask.sum() / fps / _strides(truth, n, fps)
    per_stride_30 = mask30.sum() / 30.0 / _strides(truth30, len(mask30), 30.0)
    assert per_stride_30 == pytest.approx(per_stride_60, rel=0.3)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_ar1_jitter_autocorrelation_and_sd(t25, fps: float) -> None:
    model = PoseErrorModel(noise_tau_s=0.1)
    clip, truth = _clip(t25, fps=fps, seed=5)
    track, mask = apply_pose_errors(clip, truth, model, 5)
    assert not mask.any()
    err = (track["position"].values.astype(float) - clip.position_true_px) / clip.noise_px
    series = err.reshape(len(err), -1)
    series = series[:, np.isfinite(series).all(axis=0)]
    assert series.shape[1] >= 20
    r1 = np.mean([np.corrcoef(s[1:], s[:-1])[0, 1] for s in series.T])
    assert r1 == pytest.approx(np.exp(-1 / (fps * 0.1)), abs=0.03)
    assert float(series.std()) == pytest.approx(1.0, rel=0.05)
    # the i.i.d. model's noise is uncorrelated
    iid, _ = apply_pose_errors(clip, truth, PoseErrorModel(), 5)
    e0 = (iid["position"].values.astype(float) - clip.position_true_px).reshape(len(err), -1)
    e0 = e0[:, np.isfinite(e0).all(axis=0)]
    assert abs(np.mean([np.corrcoef(s[1:], s[:-1])[0, 1] for s in e0.T])) < 0.03


def test_label_error_fraction(t25) -> None:
    clip, truth = _clip(t25, fps=60.0, seed=2, duration_s=10.0)
    true_px = clip.position_true_px
    assert label_error_fraction(clip.track, true_px) < 0.01
    pos = clip.track["position"].values.copy()
    exchanged = pos.copy()
    for a, b in LEFT_RIGHT_PAIRS:
        exchanged[:, [IDX[a], IDX[b]]] = pos[:, [IDX[b], IDX[a]]]
    flipped = clip.track.copy(deep=True)
    flipped["position"].values[...] = exchanged
    assert label_error_fraction(flipped, true_px) > 0.99
    # a missing foot is not wrong
    no_left = clip.track.copy(deep=True)
    no_left["position"].values[:, [IDX[f"left_{p}"] for p in ("ankle", "heel", "foot_index")]] = (
        np.nan
    )
    assert label_error_fraction(no_left, true_px) < 0.01
    track2, mask2 = apply_pose_errors(clip, truth, PoseErrorModel.at_severity(2), 2)
    err2 = label_error_fraction(track2, true_px)
    assert 0.05 < err2 < 0.5
    repaired = track2.copy(deep=True)  # only episode frames are wrong
    repaired["position"].values[mask2] = clip.track["position"].values[mask2]
    assert label_error_fraction(repaired, true_px) < 0.01
    # every swap episode is wrong wherever the feet are apart
    swaps = PoseErrorModel(episodes_per_stride=2.0, kind_weights=(1.0, 0.0, 0.0))
    track_s, mask_s = apply_pose_errors(clip, truth, swaps, 2)
    assert label_error_fraction(track_s, true_px) == pytest.approx(mask_s.mean(), abs=0.05)


def test_episode_kinds_relabel_only_the_legs(t25) -> None:
    clip, truth = _clip(t25, fps=60.0, seed=4, duration_s=10.0)
    base, _ = apply_pose_errors(clip, truth, PoseErrorModel(), 4)  # same noise, no episodes
    b = base["position"].values
    for kinds in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)):
        model = PoseErrorModel(episodes_per_stride=1.0, kind_weights=kinds)
        track, mask = apply_pose_errors(clip, truth, model, 4)
        p = track["position"].values
        assert mask.sum() > 10
        assert np.array_equal(p[~mask], b[~mask], equal_nan=True)
        others = [i for i in range(len(KEYPOINTS)) if i not in LEG["left"] + LEG["right"]]
        assert np.array_equal(p[:, others], b[:, others], equal_nan=True)  # hips never move
        m = mask
        if kinds[0]:  # swap: exactly exchanged
            assert np.allclose(p[m][:, LEG["left"]], b[m][:, LEG["right"]], atol=1e-3)
            assert np.allclose(p[m][:, LEG["right"]], b[m][:, LEG["left"]], atol=1e-3)
        elif kinds[1]:  # snap: the far (right) leg on the near one, near leg untouched
            assert np.array_equal(p[m][:, LEG["left"]], b[m][:, LEG["left"]])
            gap = np.linalg.norm(p[m][:, LEG["right"]] - b[m][:, LEG["left"]], axis=-1)
            assert np.median(gap) < 0.01 * 500 and np.median(gap) > 0
        else:  # blend: each leg between the two
            left, right = b[m][:, LEG["left"]], b[m][:, LEG["right"]]
            d = right - left
            w = np.sum((p[m][:, LEG["left"]] - left) * d, axis=-1) / np.sum(d * d, axis=-1)
            big = np.linalg.norm(d, axis=-1) > 20
            assert w[big].min() > 0.3 - 1e-3 and w[big].max() < 0.7 + 1e-3


def test_visibility_inside_episodes_is_unchanged(t25) -> None:
    clip, truth = _clip(t25, fps=60.0, seed=9, duration_s=15.0)
    track, mask = apply_pose_errors(clip, truth, PoseErrorModel.at_severity(2), 9)
    conf = track["confidence"].values
    assert np.array_equal(conf[mask], clip.track["confidence"].values[mask], equal_nan=True)
    far = conf[:, LEG["right"]]
    finite_out = far[~mask][np.isfinite(far[~mask])]
    assert np.all(far[mask] == np.median(finite_out))


def test_dropouts_blank_the_far_foot_only(t25) -> None:
    clip, truth = _clip(t25, fps=60.0, seed=6)
    model = PoseErrorModel(dropouts_per_stride=0.5)
    track, mask = apply_pose_errors(clip, truth, model, 6)
    pos = track["position"].values
    present = np.isfinite(clip.position_true_px[:, FAR_FOOT]).all(axis=(1, 2))
    gone = np.isnan(pos[:, FAR_FOOT]).all(axis=(1, 2)) & present
    runs = _runs(gone)
    assert len(runs) / _strides(truth, len(pos), 60.0) == pytest.approx(0.5, rel=0.3)
    assert np.isnan(track["confidence"].values[gone][:, FAR_FOOT]).all()
    near_foot = [IDX[f"left_{p}"] for p in ("ankle", "heel", "foot_index")]
    base = np.isfinite(clip.track["position"].values[:, near_foot])
    assert np.array_equal(np.isfinite(pos[:, near_foot]), base)
    assert not mask.any()


def test_same_seed_same_track(t25) -> None:
    a = film(t25, fps=30.0, seed=21, severity=3, start_s=2.0, duration_s=8.0)
    b = film(t25, fps=30.0, seed=21, severity=3, start_s=2.0, duration_s=8.0)
    c = film(t25, fps=30.0, seed=22, severity=3, start_s=2.0, duration_s=8.0)
    assert np.array_equal(a[0]["position"].values, b[0]["position"].values, equal_nan=True)
    assert np.array_equal(a[2], b[2])
    assert a[0].attrs["pose_errors"] == b[0].attrs["pose_errors"]
    assert not np.array_equal(a[2], c[2])


def test_model_checks() -> None:
    with pytest.raises(ValueError, match="severity"):
        PoseErrorModel.at_severity(4)
    with pytest.raises(ValueError, match="kind weights"):
        PoseErrorModel(kind_weights=(1.0, 0.0))
    with pytest.raises(ValueError, match="durations"):
        PoseErrorModel(episode_median_s=0.3)
    levels = [PoseErrorModel.at_severity(k) for k in (0, 1, 2, 3)]
    assert [m.episodes_per_stride for m in levels] == [0.0, 0.6, 2.4, 4.0]
    assert levels[0] == PoseErrorModel() and levels[0].noise_tau_s == 0.0


def test_harness_at_severity_1(t25) -> None:
    result = run_once(t25, fps=30, seed=0, severity=1, duration_s=8.0, start_s=3.0)
    assert result.severity == 1 and result.start_s == 3.0
    assert 0.0 <= result.label_error_raw <= 1.0 and 0.0 <= result.label_error_clean <= 1.0
    plain = run_once(t25, fps=30, seed=0, duration_s=8.0, start_s=3.0)
    assert plain.label_error_raw == 0.0
    row = summarise_runs([result, plain])
    for key in (
        "cadence_within_1spm_pct",
        "ic_within_2_frames_pct",
        "label_error_raw_pct",
        "label_error_clean_pct",
        "running_pct",
    ):
        assert np.isfinite(row[key]), key
    assert row["label_error_raw_pct"] == pytest.approx(50.0 * result.label_error_raw)
    df = run_robust_validation(
        "unused", severities=(1,), fps_list=(30,), clips_per_cell=1, duration_s=8.0, trials=[t25]
    )
    assert len(df) == 1 and df.iloc[0]["runs"] == 1
    text = format_robust_table(df)
    assert text.splitlines()[0].startswith("| severity | fps | clips | cadence within 1 spm %")
    assert text.splitlines()[2].startswith("| 1 | 30 | 1 |")


# --- frontal leg-label episodes (rear/front views) ---------------------------------------------


def _rear_clip(trial, *, fps: float = 30.0, seed: int = 3):
    clip = trial.film(view="rear", fps=fps, seed=seed, duration_s=6.0, overground=True, distance_m=3.0)
    return clip, trial.ground_truth(clip)


def test_frontal_episodes_swap_legs_or_snap_a_foot(t25) -> None:
    clip, truth = _rear_clip(t25)
    base, base_mask = apply_pose_errors(clip, truth, PoseErrorModel(noise_tau_s=0.1), 3)
    assert not base_mask.any()
    b = base["position"].values
    feet = {s: [IDX[f"{s}_{p}"] for p in ("ankle", "heel", "foot_index")] for s in ("left", "right")}
    for swap_share in (1.0, 0.0):
        model = PoseErrorModel(noise_tau_s=0.1, frontal_episodes_per_stride=3.0, frontal_swap_fraction=swap_share)
        track, mask = apply_pose_errors(clip, truth, model, 3)
        p = track["position"].values
        assert mask.sum() > 10
        assert np.array_equal(p[~mask], b[~mask], equal_nan=True)  # nothing changes outside episodes
        others = [i for i in range(len(KEYPOINTS)) if i not in LEG["left"] + LEG["right"]]
        assert np.array_equal(p[:, others], b[:, others], equal_nan=True)
        if swap_share:
            assert np.allclose(p[mask][:, LEG["left"]], b[mask][:, LEG["right"]], atol=1e-3)
            assert np.allclose(p[mask][:, LEG["right"]], b[mask][:, LEG["left"]], atol=1e-3)
        else:  # one foot on the other, knees untouched
            knees = [IDX["left_knee"], IDX["right_knee"]]
            assert np.array_equal(p[:, knees], b[:, knees], equal_nan=True)
            gap = np.linalg.norm(p[mask][:, feet["left"]] - p[mask][:, feet["right"]], axis=-1)
            true_gap = np.linalg.norm(b[mask][:, feet["left"]] - b[mask][:, feet["right"]], axis=-1)
            assert np.median(gap) < 0.3 * np.median(true_gap)


def test_frontal_episode_rate_and_durations(t25) -> None:
    clip, truth = _rear_clip(t25, fps=60.0, seed=8)
    model = replace(PoseErrorModel.at_severity(2), episodes_per_stride=0.0, dropouts_per_stride=0.0, **FRONTAL_MEASURED)
    rates, lengths = [], []
    for seed in range(6):
        track, mask = apply_pose_errors(clip, truth, model, seed)
        runs = _runs(mask)
        rates.append(len(runs) / _strides(truth, len(mask), 60.0))
        lengths += [(b - a) / 60.0 for a, b in runs]
        assert json.loads(track.attrs["pose_errors"])["n_frontal_episodes"] == len(runs)
    assert np.mean(rates) == pytest.approx(FRONTAL_MEASURED["frontal_episodes_per_stride"], rel=0.3)
    assert np.median(lengths) == pytest.approx(FRONTAL_MEASURED["frontal_episode_median_s"], rel=0.35)
    assert max(lengths) <= FRONTAL_MEASURED["frontal_episode_max_s"] + 1 / 60.0


def test_frontal_episodes_need_a_frontal_view_and_stay_off_by_default(t25) -> None:
    assert all(PoseErrorModel.at_severity(k).frontal_episodes_per_stride == 0.0 for k in (0, 1, 2, 3))
    clip, truth = _clip(t25, fps=30.0, seed=1, duration_s=4.0)
    with pytest.raises(ValueError, match="rear or front view"):
        apply_pose_errors(clip, truth, PoseErrorModel(frontal_episodes_per_stride=1.0), 1)
    with pytest.raises(ValueError, match="frontal_swap_fraction"):
        PoseErrorModel(frontal_swap_fraction=1.5)


def test_rear_overground_jitter_follows_the_runners_size(t25) -> None:
    clip, truth = _rear_clip(t25, seed=4)
    track, _ = apply_pose_errors(clip, truth, PoseErrorModel(), 4)
    err = np.linalg.norm(track["position"].values.astype(float) - clip.position_true_px, axis=-1)
    third = len(err) // 3
    near, far = np.nanmedian(err[:third]), np.nanmedian(err[-third:])
    assert far < 0.7 * near  # he runs away: smaller in the picture, smaller pixel errors


def test_frontal_heel_snaps_move_the_heel_alone(t25) -> None:
    clip, truth = _rear_clip(t25)
    base, _ = apply_pose_errors(clip, truth, PoseErrorModel(noise_tau_s=0.1), 3)
    model = PoseErrorModel(
        noise_tau_s=0.1, frontal_episodes_per_stride=3.0, frontal_swap_fraction=0.0, frontal_heel_snap_fraction=1.0
    )
    track, mask = apply_pose_errors(clip, truth, model, 3)
    p, b = track["position"].values, base["position"].values
    heels = [IDX["left_heel"], IDX["right_heel"]]
    rest = [i for i in range(len(KEYPOINTS)) if i not in heels]
    assert mask.sum() > 10
    assert np.array_equal(p[:, rest], b[:, rest], equal_nan=True)
    gap = np.linalg.norm(p[mask][:, heels[0]] - p[mask][:, heels[1]], axis=-1)
    true_gap = np.linalg.norm(b[mask][:, heels[0]] - b[mask][:, heels[1]], axis=-1)
    assert np.median(gap) < 0.3 * np.median(true_gap)
    with pytest.raises(ValueError, match="frontal_heel_snap_fraction"):
        PoseErrorModel(frontal_heel_snap_fraction=-0.1)
