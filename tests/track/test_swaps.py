"""repair_left_right_swaps on the synthetic side-view runner (legs cross twice per stride)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from gait.errors import InvalidTrackError
from gait.skeleton import LEG_PARTS
from gait.track import PoseTrack
from gait.track.clean import repair_left_right_swaps
from tests.synth_runner import KP, make_swinging_runner, swap_legs

LEG_NAMES = [f"{side}_{part}" for side in ("left", "right") for part in LEG_PARTS]


def _detected(track: PoseTrack) -> list[int]:
    return np.flatnonzero(track["swapped"].values).tolist()


def _record(track: PoseTrack) -> dict:
    return json.loads(track.attrs["cleaning"])[-1]


RUNNERS = {
    "30fps": dict(fps=30.0, noise_px=1.0),
    "30fps-irregular": dict(fps=30.0, noise_px=1.0, irregular=True),
    "120fps": dict(fps=120.0, duration_s=2.0, noise_px=1.0),
    "120fps-irregular": dict(fps=120.0, duration_s=2.0, noise_px=2.0, irregular=True),
}


@pytest.mark.parametrize("kind", RUNNERS)
def test_clean_runner_is_left_unchanged(kind: str) -> None:
    track = make_swinging_runner(**RUNNERS[kind])
    out = repair_left_right_swaps(track)
    assert _detected(out) == []
    xr.testing.assert_identical(out.drop_vars("swapped").drop_attrs(), track.drop_attrs())
    assert _record(out)["n_frames_swapped"] == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_injected_swaps_are_found_exactly(kind: str) -> None:
    track = make_swinging_runner(**RUNNERS[kind])
    n = track.sizes["time"]
    injected = sorted({3, 17, 40, n - 1} | set(range(n // 2, n // 2 + 5)))
    out = repair_left_right_swaps(swap_legs(track, injected))
    assert _detected(out) == injected
    assert _record(out)["n_frames_swapped"] == len(injected)
    np.testing.assert_array_equal(out["position"].values, track["position"].values)
    np.testing.assert_array_equal(out["confidence"].values, track["confidence"].values)


def test_swaps_at_every_phase_of_the_stride() -> None:
    """One swapped frame at each frame of a full stride, crossings included, is found alone."""
    track = make_swinging_runner(fps=30.0, duration_s=2.0, noise_px=1.0, seed=7)
    for frame in range(10, 32):
        assert _detected(repair_left_right_swaps(swap_legs(track, [frame]))) == [frame]


@settings(max_examples=25, deadline=None)
@given(
    fps=st.sampled_from([30.0, 60.0, 120.0]),
    seed=st.integers(0, 1000),
    runs=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(1, 5)), min_size=1, max_size=4),
)
def test_property_short_runs_are_repaired(
    fps: float, seed: int, runs: list[tuple[float, int]]
) -> None:
    track = make_swinging_runner(fps=fps, duration_s=2.0, noise_px=1.5, seed=seed, irregular=seed % 2 == 1)
    n = track.sizes["time"]
    scale = int(fps // 30)  # a run of k frames at 30 fps lasts k * scale frames here
    injected: set[int] = set()
    for where, length in runs:
        start = int(where * (n - length * scale))
        injected |= set(range(start, start + length * scale))
    out = repair_left_right_swaps(swap_legs(track, injected))
    assert _detected(out) == sorted(injected)


def test_repair_also_swaps_world_positions_and_is_idempotent() -> None:
    base = make_swinging_runner(fps=30.0, duration_s=2.0, noise_px=1.0)
    world = xr.DataArray(
        np.random.default_rng(0).normal(size=(base.sizes["time"], base.sizes["keypoint"], 3)),
        dims=("time", "keypoint", "space3"),
    ).astype(np.float32)
    track = base.assign(position_world=world)
    swapped = swap_legs(track, [12, 13, 14])
    world_values = swapped["position_world"].values.copy()
    for part in LEG_PARTS:
        i, j = KP[f"left_{part}"], KP[f"right_{part}"]
        world_values[[12, 13, 14], i], world_values[[12, 13, 14], j] = (
            world_values[[12, 13, 14], j].copy(),
            world_values[[12, 13, 14], i].copy(),
        )
    swapped = swapped.assign(position_world=swapped["position_world"].copy(data=world_values))
    once = repair_left_right_swaps(swapped)
    np.testing.assert_array_equal(once["position_world"].values, track["position_world"].values)
    twice = repair_left_right_swaps(once)
    assert _record(twice)["n_frames_swapped"] == 0
    assert _detected(twice) == [12, 13, 14]  # the flag keeps the net relabelling


def test_hips_and_other_keypoints_are_not_swapped() -> None:
    track = make_swinging_runner(fps=30.0, duration_s=2.0, noise_px=1.0)
    out = repair_left_right_swaps(swap_legs(track, [20]))
    others = [k for k in track["keypoint"].values if k not in LEG_NAMES]
    xr.testing.assert_identical(
        out["position"].sel(keypoint=others), track["position"].sel(keypoint=others)
    )


def test_all_frames_swapped_keeps_majority_labels() -> None:
    track = make_swinging_runner(fps=30.0, duration_s=2.0, noise_px=1.0)
    mirrored = swap_legs(track, range(track.sizes["time"]))
    assert _detected(repair_left_right_swaps(mirrored)) == []


def test_missing_frames_are_bridged() -> None:
    track = make_swinging_runner(fps=60.0, duration_s=2.0, noise_px=1.0, seed=3)
    pos = track["position"].values.copy()
    pos[[30, 31, 50]] = np.nan  # whole frames lost
    pos[60:90, KP["right_heel"]] = np.nan  # far heel masked for half a second
    pos[70, KP["right_knee"]] = np.nan
    holed = track.assign(position=track["position"].copy(data=pos))
    injected = [32, 33, 49, 51, 75]
    out = repair_left_right_swaps(swap_legs(holed, injected))
    assert _detected(out) == injected
    np.testing.assert_array_equal(out["position"].values, holed["position"].values)


def test_track_without_legs_is_rejected() -> None:
    track = make_swinging_runner(fps=30.0, duration_s=0.5)
    names = [k for k in track["keypoint"].values if k != "left_heel"]
    with pytest.raises(InvalidTrackError, match=r"Expected leg keypoints \['left_heel'\]"):
        repair_left_right_swaps(track.sel(keypoint=names))
