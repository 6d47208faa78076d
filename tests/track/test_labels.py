"""Leg-label repair from the step rhythm, and the label-free rhythm it stands on.

The runner is the hand-built side-view treadmill runner of ``tests/synth_runner.py`` (its
contacts are known exactly); MediaPipe's three kinds of leg-label error are injected into it: clean
swaps, the far foot drawn on the near one, and both legs drawn between the two.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gait.skeleton import LEG_PARTS
from gait.track import PoseTrack, track_rhythm
from gait.track.clean import mask_low_confidence, repair_leg_labels
from tests.synth_runner import KP, STRIDE_S, make_treadmill_runner, swap_legs

FPS = 60.0


@pytest.fixture(scope="module")
def runner() -> PoseTrack:
    """10 s of the synthetic runner at 60 fps facing image-right (near leg: right), 1 px noise."""
    return make_treadmill_runner(fps=FPS, duration_s=10.0, noise_px=1.0, seed=3)


def _legs(track: PoseTrack, side: str) -> np.ndarray:
    names = [f"{side}_{p}" for p in LEG_PARTS]
    return track["position"].sel(keypoint=names).transpose("time", "keypoint", "space").values


def _record(track: PoseTrack) -> dict:
    return [r for r in json.loads(track.attrs["cleaning"]) if r["step"] == "repair_leg_labels"][-1]


def _snap_far_on_near(track: PoseTrack, frames: np.ndarray) -> PoseTrack:
    """The far (left) leg drawn on the near (right) leg, 3 px off, in ``frames``."""
    pos = track["position"].values.copy()
    for part in LEG_PARTS:
        pos[frames, KP[f"left_{part}"]] = pos[frames, KP[f"right_{part}"]] + 3.0
    return track.assign(position=track["position"].copy(data=pos))


def _blend(track: PoseTrack, frames: np.ndarray, w: float = 0.5) -> PoseTrack:
    """Both legs drawn between the two (weight ``w``) in ``frames``."""
    pos = track["position"].values.copy()
    for part in LEG_PARTS:
        a, b = pos[frames, KP[f"left_{part}"]].copy(), pos[frames, KP[f"right_{part}"]].copy()
        pos[frames, KP[f"left_{part}"]] = w * a + (1 - w) * b
        pos[frames, KP[f"right_{part}"]] = (1 - w) * a + w * b
    return track.assign(position=track["position"].copy(data=pos))


def _episodes(n_frames: int, per_stride: float, seed: int) -> list[np.ndarray]:
    """Random runs of 1-8 frames, ``per_stride`` of them per stride, not overlapping."""
    rng = np.random.default_rng(seed)
    n = int(per_stride * n_frames / (STRIDE_S * FPS))
    starts = np.sort(rng.choice(np.arange(30, n_frames - 40, 12), size=n, replace=False))
    return [np.arange(s, s + rng.integers(1, 9)) for s in starts]


def _feet_apart(track: PoseTrack, px: float = 40.0) -> np.ndarray:
    """Frames where the two true heels are more than ``px`` apart (labels are unambiguous)."""
    d = np.abs(_legs(track, "left")[:, 2, 0] - _legs(track, "right")[:, 2, 0])
    return d > px


def test_rhythm_is_the_same_whichever_leg_is_called_left(runner: PoseTrack) -> None:
    everything_swapped = swap_legs(runner, range(runner.sizes["time"]))
    a, b = track_rhythm(runner, 1.0), track_rhythm(everything_swapped, 1.0)
    assert a.step_s == pytest.approx(STRIDE_S / 2, rel=0.01)
    assert b.step_s == pytest.approx(a.step_s, rel=1e-12)
    for ea, eb in zip(a.estimates, b.estimates, strict=True):
        assert ea.source == eb.source
        assert (ea.step_s, ea.strength) == pytest.approx((eb.step_s, eb.strength), nan_ok=True)


def test_clean_runner_keeps_its_labels(runner: PoseTrack) -> None:
    out = repair_leg_labels(runner, sign=1.0)
    rec = _record(out)
    assert rec["applied"] and rec["n_frames_swapped"] == 0
    assert rec["n_legs_masked"] <= 0.01 * runner.sizes["time"]
    assert rec["label_vote_agreement"] == 1.0


def test_swaps_are_undone(runner: PoseTrack) -> None:
    episodes = _episodes(runner.sizes["time"], 2.4, seed=1)
    frames = np.concatenate(episodes)
    out = repair_leg_labels(swap_legs(runner, frames), sign=1.0)
    apart = _feet_apart(runner)
    restored = np.isclose(_legs(out, "left"), _legs(runner, "left")).all(axis=(1, 2))
    # every injected frame where the feet are apart is relabelled (or masked, never left wrong)
    masked = np.isnan(_legs(out, "left")).all(axis=(1, 2))
    assert np.all((restored | masked)[frames[apart[frames]]])
    assert masked[frames].mean() < 0.2
    # no frame the injection left alone is exchanged where the labels were unambiguous
    untouched = np.setdiff1d(np.flatnonzero(apart), frames)
    assert not out["swapped"].values[untouched].any()


def test_far_foot_on_the_near_one_is_masked_not_swapped(runner: PoseTrack) -> None:
    frames = np.concatenate(_episodes(runner.sizes["time"], 1.0, seed=2))
    out = repair_leg_labels(_snap_far_on_near(runner, frames), sign=1.0)
    far, near = _legs(out, "left"), _legs(out, "right")
    apart = frames[_feet_apart(runner)[frames]]
    assert np.isnan(far[apart]).all()  # the far leg drawn on the wrong foot is gone
    assert np.isfinite(near[apart]).all()  # the near leg stays
    assert np.allclose(near[apart], _legs(runner, "right")[apart])


def test_blended_legs_are_masked(runner: PoseTrack) -> None:
    frames = np.concatenate(_episodes(runner.sizes["time"], 1.0, seed=4))
    out = repair_leg_labels(_blend(runner, frames, w=0.5), sign=1.0)
    # each blended leg is off by half the distance between the feet: masked where that is more
    # than the mask limit (0.25 leg lengths, 65 px on this runner's 260 px leg)
    apart = frames[_feet_apart(runner, px=2 * 0.25 * 260 * 1.1)[frames]]
    assert len(apart) >= 10
    # the average paths are themselves a little off where blends sit near a step's peak
    assert np.isnan(_legs(out, "left")[apart]).all(axis=(1, 2)).mean() >= 0.8
    assert np.isnan(_legs(out, "right")[apart]).all(axis=(1, 2)).mean() >= 0.8
    clean = np.setdiff1d(np.arange(runner.sizes["time"]), frames)
    assert np.isnan(_legs(out, "left")[clean]).all(axis=(1, 2)).mean() < 0.02


def test_labels_fully_inverted_for_a_stretch(runner: PoseTrack) -> None:
    """A long run of swapped frames (2 strides) is relabelled: the cycle, not continuity, decides."""
    frames = np.arange(200, 200 + int(2 * STRIDE_S * FPS))
    out = repair_leg_labels(swap_legs(runner, frames), sign=1.0)
    apart = frames[_feet_apart(runner)[frames]]
    assert np.allclose(_legs(out, "left")[apart], _legs(runner, "left")[apart])


def test_too_little_rhythm_leaves_labels_alone(runner: PoseTrack) -> None:
    short = runner.isel(time=slice(0, 40))  # under one stride
    out = repair_leg_labels(short, sign=1.0)
    rec = _record(out)
    assert not rec["applied"] and rec["n_frames_swapped"] == 0
    assert np.array_equal(out["position"].values, short["position"].values, equal_nan=True)


def test_input_is_not_modified(runner: PoseTrack) -> None:
    track = swap_legs(runner, range(100, 104))
    before = track["position"].values.copy()
    repair_leg_labels(mask_low_confidence(track), sign=1.0)
    assert np.array_equal(track["position"].values, before, equal_nan=True)


@pytest.mark.parametrize("duration_s", [2.2, 4.0])
def test_short_clips_are_repaired_too(duration_s: float) -> None:
    """A clip shorter than the phase fit's window (3 s of strides) is repaired, not refused."""
    short = make_treadmill_runner(fps=30.0, duration_s=duration_s, noise_px=1.0, seed=5)
    frames = [20, 21, 45]
    out = repair_leg_labels(swap_legs(short, frames), sign=1.0)
    assert out.sizes["time"] == short.sizes["time"]
    apart = [f for f in frames if _feet_apart(short)[f]]
    assert np.allclose(_legs(out, "left")[apart], _legs(short, "left")[apart])
