"""Cleaning steps: masking, gap filling, low-pass, clean_track, and the no-mutation rule."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import numpy as np
import pytest
import xarray as xr

from gait.errors import ConfigError
from gait.skeleton import KEYPOINTS
from gait.track import CleanParams, PoseTrack, clean_track, from_numpy
from gait.track.clean import (
    interpolate_gaps,
    lowpass,
    mask_duplicate_frames,
    mask_low_confidence,
    repair_left_right_swaps,
)
from tests.synth_runner import KP, make_swinging_runner


def _steps(track: PoseTrack) -> list[dict]:
    return json.loads(track.attrs["cleaning"])


def _signal_track(t: np.ndarray, x: np.ndarray) -> PoseTrack:
    """A track whose every keypoint has position (x(t), x(t) + 100) and confidence 0.9."""
    pos = np.repeat(np.stack([x, x + 100.0], axis=-1)[:, None, :], len(KEYPOINTS), axis=1)
    conf = np.full((len(t), len(KEYPOINTS)), 0.9)
    return from_numpy(pos, conf, t, image_size_px=(1920, 1080))


def _amplitude(t: np.ndarray, y: np.ndarray, freq_hz: float) -> float:
    """Amplitude of the ``freq_hz`` tone in ``y``, fitted jointly with the 2, 12 and 14 Hz tones."""
    freqs = sorted({freq_hz, 2.0, 12.0, 14.0})
    waves = [f(2 * np.pi * fr * t) for fr in freqs for f in (np.sin, np.cos)]
    coef, *_ = np.linalg.lstsq(np.stack([*waves, np.ones_like(t)], 1), y, rcond=None)
    i = 2 * freqs.index(freq_hz)
    return float(np.hypot(coef[i], coef[i + 1]))


# -- masking -----------------------------------------------------------------------------------


def test_mask_low_confidence(runner30: PoseTrack) -> None:
    conf = runner30["confidence"].values.copy()
    conf[10, KP["left_ankle"]] = 0.49
    conf[11, KP["left_ankle"]] = 0.5
    conf[12, KP["left_ankle"]] = np.nan
    track = runner30.assign(confidence=runner30["confidence"].copy(data=conf))
    out = mask_low_confidence(track, min_visibility=0.5)
    ankle = out["position"].sel(keypoint="left_ankle").values
    assert np.isnan(ankle[10]).all()
    assert np.isfinite(ankle[11]).all() and np.isfinite(ankle[12]).all()
    assert int(out["position"].isnull().any("space").sum()) == 1
    np.testing.assert_array_equal(out["confidence"], track["confidence"])
    assert _steps(out) == [{"step": "mask_low_confidence", "min_visibility": 0.5, "n_masked": 1}]


def test_mask_low_confidence_far_leg_at_higher_threshold(runner30: PoseTrack) -> None:
    out = mask_low_confidence(runner30, min_visibility=0.8)
    masked = out["position"].isnull().all(("time", "space"))
    assert set(out["keypoint"].values[masked.values]) == {
        "right_knee",
        "right_ankle",
        "right_heel",
        "right_foot_index",
    }


def test_mask_duplicate_frames(runner30: PoseTrack) -> None:
    dup = np.zeros(runner30.sizes["time"], dtype=bool)
    dup[[4, 5, 30]] = True
    out = mask_duplicate_frames(runner30.assign(duplicate=("time", dup)))
    frame_nan = out["position"].isnull().all(("keypoint", "space")).values
    np.testing.assert_array_equal(frame_nan, dup)
    assert _steps(out) == [{"step": "mask_duplicate_frames", "n_frames": 3}]


# -- interpolation -----------------------------------------------------------------------------


def test_interpolate_fills_short_gap_and_keeps_long_gap() -> None:
    t = np.arange(120) / 30.0
    x = 200.0 + 80.0 * np.sin(2 * np.pi * 1.4 * t)
    holed = x.copy()
    holed[[20, 21]] = np.nan  # 2 missing frames: 0.1 s between the neighbours
    holed[60:64] = np.nan  # 4 missing frames: 0.167 s
    holed[:3] = np.nan
    holed[-2:] = np.nan
    out = interpolate_gaps(_signal_track(t, holed), max_gap_s=0.1)
    got = out["position"].sel(keypoint="left_ankle", space="x").values
    np.testing.assert_allclose(got[[20, 21]], x[[20, 21]], atol=0.8)  # 1% of the amplitude
    assert np.isnan(got[60:64]).all() and np.isnan(got[:3]).all() and np.isnan(got[-2:]).all()
    np.testing.assert_array_equal(
        got[np.isfinite(holed)], holed[np.isfinite(holed)].astype(np.float32)
    )
    filled = out["interpolated"].sel(keypoint="left_ankle").values
    assert np.flatnonzero(filled).tolist() == [20, 21]
    assert out["interpolated"].dtype == bool
    assert _steps(out)[-1] == {"step": "interpolate_gaps", "max_gap_s": 0.1, "n_filled": 2 * 33}


def test_interpolate_uses_true_time_for_gap_length() -> None:
    t = np.arange(40) / 30.0
    t[11:] += 0.05  # a stall: the neighbours of the 1-frame gap at 10 are 0.117 s apart
    x = 100.0 + t * 50.0
    holed = x.copy()
    holed[[5, 10]] = np.nan
    out = interpolate_gaps(_signal_track(t, holed), max_gap_s=0.1)
    got = out["position"].sel(keypoint="nose", space="x").values
    assert np.isnan(got[10])
    assert got[5] == pytest.approx(x[5], abs=1e-3)


def test_interpolate_keeps_confidence(runner30: PoseTrack) -> None:
    pos = runner30["position"].values.copy()
    pos[50, KP["left_heel"]] = np.nan
    out = interpolate_gaps(runner30.assign(position=runner30["position"].copy(data=pos)))
    assert np.isfinite(out["position"].values[50, KP["left_heel"]]).all()
    xr.testing.assert_identical(out["confidence"], runner30["confidence"])


# -- low-pass ----------------------------------------------------------------------------------


def _two_tone(t: np.ndarray) -> np.ndarray:
    return 300.0 + 40.0 * np.sin(2 * np.pi * 2.0 * t) + 10.0 * np.sin(2 * np.pi * 14.0 * t + 0.3)


@pytest.mark.parametrize("irregular", [False, True])
def test_lowpass_removes_14hz_keeps_2hz(irregular: bool) -> None:
    rng = np.random.default_rng(1)
    dt = np.full(479, 1 / 120) * (rng.uniform(0.7, 1.3, 479) if irregular else 1.0)
    t = np.r_[0.0, np.cumsum(dt)]
    out = lowpass(_signal_track(t, _two_tone(t)), cutoff_hz=6.0)
    y = out["position"].sel(keypoint="left_heel", space="x").values.astype(float)
    inner = slice(60, -60)  # away from the edges
    assert _amplitude(t[inner], y[inner], 2.0) == pytest.approx(40.0, rel=0.02)
    assert _amplitude(t[inner], y[inner], 14.0) < 0.3  # 10 px -> < 3 %


def test_lowpass_default_cutoff_is_the_half_gain_point() -> None:
    t = np.arange(600) / 120.0
    x = 300.0 + 20.0 * np.sin(2 * np.pi * 12.0 * t)
    out = lowpass(_signal_track(t, x))
    y = out["position"].sel(keypoint="nose", space="x").values.astype(float)
    assert _amplitude(t[100:-100], y[100:-100], 12.0) == pytest.approx(10.0, rel=0.05)
    step = _steps(out)[-1]
    assert step["effective_cutoff_hz"] == 12.0 and step["n_segments_unfiltered"] == 0


def test_lowpass_caps_cutoff_below_nyquist() -> None:
    t = np.arange(90) / 30.0
    out = lowpass(_signal_track(t, 100.0 + 10.0 * np.sin(2 * np.pi * t)), cutoff_hz=14.0)
    assert _steps(out)[-1]["effective_cutoff_hz"] == pytest.approx(12.0)


def test_lowpass_per_segment_and_short_segments_left_alone() -> None:
    t = np.arange(200) / 120.0
    x = _two_tone(t)
    x[100:103] = np.nan
    x[160:163] = np.nan
    x[188:190] = np.nan
    # segments: 0-99, 103-159, 163-187 (25 samples) and 190-199 (10 samples: shorter than the
    # 15-sample padding of an order-4 sosfiltfilt, so left as is)
    out = lowpass(_signal_track(t, x), cutoff_hz=6.0)
    y = out["position"].sel(keypoint="nose", space="x").values
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))
    np.testing.assert_array_equal(y[190:], x[190:].astype(np.float32))
    for seg in (slice(0, 100), slice(103, 160), slice(163, 188)):
        assert np.max(np.abs(y[seg] - x[seg])) > 3.0  # the 14 Hz ripple (10 px) was removed
    assert _steps(out)[-1]["n_segments_unfiltered"] == 2 * 33  # one per keypoint and axis


# -- composition and contracts -----------------------------------------------------------------


def test_clean_track_runs_steps_in_order(runner30: PoseTrack) -> None:
    out = clean_track(runner30)
    assert [s["step"] for s in _steps(out)] == [
        "mask_duplicate_frames",
        "mask_low_confidence",
        "repair_leg_labels",
        "interpolate_gaps",
        "lowpass",
    ]
    assert {"interpolated", "swapped"} <= set(out.data_vars)
    no_repair = clean_track(runner30, CleanParams(repair_swaps=False))
    assert "repair_leg_labels" not in [s["step"] for s in _steps(no_repair)]


def test_clean_params_are_frozen_and_checked() -> None:
    params = CleanParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.cutoff_hz = 6.0  # type: ignore[misc]
    for bad in (
        {"min_visibility": 1.5},
        {"max_gap_s": -0.1},
        {"cutoff_hz": 0.0},
        {"filter_order": 0},
        {"repair_swaps": "no"},
    ):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            CleanParams(**bad)


def test_cleaning_log_appends(runner30: PoseTrack) -> None:
    once = mask_low_confidence(runner30)
    twice = lowpass(once)
    assert [s["step"] for s in _steps(twice)] == ["mask_low_confidence", "lowpass"]
    assert "cleaning" not in runner30.attrs


STEPS: list[Callable[[PoseTrack], PoseTrack]] = [
    mask_low_confidence,
    mask_duplicate_frames,
    interpolate_gaps,
    lowpass,
    repair_left_right_swaps,
    clean_track,
]


@pytest.mark.parametrize("step", STEPS, ids=lambda f: f.__name__)
def test_steps_do_not_mutate_input(step: Callable[[PoseTrack], PoseTrack]) -> None:
    track = make_swinging_runner(fps=60.0, duration_s=1.5, noise_px=2.0, seed=4)
    pos = track["position"].values.copy()
    pos[10:13, KP["left_ankle"]] = np.nan
    conf = track["confidence"].values.copy()
    conf[40, :] = 0.2
    dup = np.zeros(track.sizes["time"], dtype=bool)
    dup[70] = True
    track = track.assign(
        position=track["position"].copy(data=pos),
        confidence=track["confidence"].copy(data=conf),
        duplicate=("time", dup),
    )
    track.attrs["cleaning"] = json.dumps([{"step": "earlier"}])
    before = track.copy(deep=True)
    out = step(track)
    xr.testing.assert_identical(track, before)
    assert track.attrs == before.attrs
    assert out is not track
    assert _steps(out)[0] == {"step": "earlier"}
