"""Clips whose picture is turned without rotation metadata (issue 12): detected, and run upright.

Most checks use the committed track of the upright sample (no inference); the ``model`` tests make
short, downscaled clips by turning the sample's pixels with PyAV (no rotation metadata) and run the
real model on them.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from gait.errors import ConfigError
from gait.pose import PoseParams, estimate_pose
from gait.pose._orient import (
    MIN_AXIS_FRAMES,
    ProbeScore,
    best_rotation,
    check_rotation,
    orientation_from_landmarks,
    rotate_frame,
    rotated_size,
    rotation_advice,
    track_orientation,
)
from gait.track import detect_view, load_track, save_track
from gait.video._decode import _fit
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK, TEST_DATA
from tests.video.conftest import write_clip

#: Frames (2 s) and size (half the sample's 720 x 1280) of the turned test clips.
N_FRAMES = 60
HALF = (360, 640)


def _turn_points(pos: np.ndarray, size_px: tuple[int, int], quarter_turns_ccw: int) -> np.ndarray:
    """Positions in an image of ``size_px`` turned counter-clockwise like ``np.rot90(img, k)``."""
    out = np.asarray(pos, dtype=np.float64).copy()
    w, h = size_px
    for _ in range(quarter_turns_ccw % 4):
        x, y = out[..., 0].copy(), out[..., 1].copy()
        out[..., 0], out[..., 1] = y, w - x  # continuous coordinates (edges at 0 and w)
        w, h = h, w
    return out


# --- landmark check: no inference -------------------------------------------------------------


def test_upright_tracks_are_not_flagged() -> None:
    """The committed sample track and its rotation-metadata twin stand upright: no false positive."""
    for path in (SAMPLE_TRACK, TEST_DATA / "treadmill_side_male_30fps_rot90meta.track.nc"):
        o = track_orientation(load_track(path))
        assert o.head == "up" and not o.turned and o.fix_deg == 0
        assert o.share > 0.95 and o.n_frames == 360


@pytest.mark.parametrize(("k", "head", "fix"), [(1, "left", 90), (2, "down", 180), (3, "right", 270)])
def test_turned_landmarks_name_the_rotation_that_fixes_them(k: int, head: str, fix: int) -> None:
    """The sample's landmarks, turned as the pixels would be, are flagged with the inverse turn."""
    track = load_track(SAMPLE_TRACK)
    pos = _turn_points(track["position"].values, (720, 1280), k)
    o = orientation_from_landmarks(pos)
    assert (o.head, o.fix_deg, o.turned) == (head, fix, True)
    assert o.share > 0.95
    # the fix turns the points back onto the upright ones
    back = _turn_points(pos, rotated_size(720, 1280, 90 * k), -fix // 90)
    np.testing.assert_allclose(back, track["position"].values, atol=1e-3)


def test_a_minority_of_turned_frames_is_not_flagged() -> None:
    """A few sideways frames (a fall, a crouched start, a bad frame) do not turn the whole clip."""
    pos = load_track(SAMPLE_TRACK)["position"].values.copy()
    pos[:120] = _turn_points(pos[:120], (720, 1280), 1)  # a third of the frames lie sideways
    o = orientation_from_landmarks(pos)
    assert o.head == "up" and not o.turned
    assert abs(o.shares["left"] - 1 / 3) < 0.02


def test_too_few_frames_decide_nothing() -> None:
    pos = load_track(SAMPLE_TRACK)["position"].values[: MIN_AXIS_FRAMES - 1]
    o = orientation_from_landmarks(_turn_points(pos, (720, 1280), 1))
    assert o.head == "unknown" and not o.turned and o.fix_deg is None


def test_advice_names_the_rotation_to_apply() -> None:
    pos = _turn_points(load_track(SAMPLE_TRACK)["position"].values, (720, 1280), 3)
    text = rotation_advice("clip.mp4", orientation_from_landmarks(pos))
    assert "head toward the image right" in text
    assert "turned 90 deg clockwise" in text
    assert text.endswith("re-export the clip rotated 90 deg counter-clockwise, or pass --rotate 270.")
    assert text.count(". ") == 0  # one sentence


def test_rotate_frame_turns_as_the_decoder_does() -> None:
    """The pose stage's extra turn is the decoder's rotation-metadata turn, on the displayed frame."""
    rgb = np.random.default_rng(0).integers(0, 255, size=(48, 80, 3), dtype=np.uint8)
    for r in (0, 90, 180, 270):
        out = rotate_frame(rgb, r)
        np.testing.assert_array_equal(out, _fit(rgb, r, None))
        assert out.flags["C_CONTIGUOUS"]
        assert (out.shape[1], out.shape[0]) == rotated_size(80, 48, r)
    np.testing.assert_array_equal(rotate_frame(rgb, 90), np.rot90(rgb, -1))


def test_rotation_option_is_checked() -> None:
    assert [check_rotation(v) for v in (None, "auto", 0, 90, "180", 270)] == [None, None, 0, 90, 180, 270]
    for bad in (45, -90, 360, "left", True, 90.5):
        with pytest.raises(ConfigError, match="not one of 0, 90, 180, 270"):
            check_rotation(bad)


def test_best_rotation_needs_a_majority_of_upright_poses() -> None:
    def score(r: int, upright: int, vis: float = 0.9) -> ProbeScore:
        return ProbeScore(r, 10, 10, upright, vis)

    assert best_rotation({0: score(0, 0), 90: score(90, 9), 180: score(180, 1), 270: score(270, 0)}) == 90
    assert best_rotation({0: score(0, 2), 90: score(90, 4), 270: score(270, 3)}) is None
    assert best_rotation({0: score(0, 10, 0.8), 90: score(90, 10, 0.9)}) == 90  # then visibility
    assert best_rotation({0: score(0, 10), 90: score(90, 10)}) == 0  # a tie keeps the picture as it is


# --- real inference on turned clips -----------------------------------------------------------


@pytest.fixture(scope="module")
def turned_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The sample's first 2 s at half size, pixels turned by ``np.rot90(k)``, no rotation metadata."""
    with av.open(str(SAMPLE_CLIP)) as src:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(range(N_FRAMES), src.decode(video=0), strict=False)]
    small = [cv2.resize(f, HALF, interpolation=cv2.INTER_AREA) for f in frames]
    folder = tmp_path_factory.mktemp("turned")
    clips = {}
    for k in (0, 1, 2, 3):
        clip = write_clip(folder / f"rot90x{k}.mp4", [np.ascontiguousarray(np.rot90(f, k)) for f in small])
        with av.open(str(clip)) as c:  # the premise: no metadata says how to turn it
            assert (c.streams.video[0].width, c.streams.video[0].height) == rotated_size(*HALF, 90 * k)
            assert not (next(c.decode(video=0)).rotation or 0)
        clips[k] = clip
    return clips


def _upright_reference() -> np.ndarray:
    """The committed upright track's landmarks at half size: what a fixed clip must give."""
    return load_track(SAMPLE_TRACK).isel(time=slice(0, N_FRAMES))["position"].values * 0.5


@pytest.mark.model
@pytest.mark.parametrize(("k", "fix"), [(1, 90), (2, 180), (3, 270)])
def test_turned_clip_is_detected_and_run_upright(
    turned_clips: dict[int, Path], k: int, fix: int, tmp_path: Path
) -> None:
    track = estimate_pose(turned_clips[k], PoseParams(workers=1))
    save_track(track, tmp_path / "turned.track.nc")
    track = load_track(tmp_path / "turned.track.nc")  # the record survives a save
    assert track.attrs["rotation_applied_deg"] == fix
    assert track.attrs["rotation_deg"] == 0  # the file has no metadata; the turn is ours
    assert (track.attrs["image_width_px"], track.attrs["image_height_px"]) == HALF
    check = json.loads(track.attrs["orientation_check"])
    assert check["mode"] == "auto" and check["applied_deg"] == fix
    assert check["first_pass"]["head"] == {90: "left", 180: "down", 270: "right"}[fix]
    assert check["probe"][str(fix)]["n_upright"] >= 8 and check["probe"]["0"]["n_upright"] <= 2
    assert int(track["detected"].sum()) == N_FRAMES
    d = np.linalg.norm(track["position"].values - _upright_reference(), axis=-1)
    assert np.nanmedian(d) < 4.0  # px at half size (body ~270 px tall); measured 1.7
    view = detect_view(track)
    assert view.view == detect_view(load_track(SAMPLE_TRACK)).view == "side_left"
    assert not view.quality  # no mirroring note


@pytest.mark.model
def test_upright_clip_runs_once_and_is_not_turned(turned_clips: dict[int, Path]) -> None:
    track = estimate_pose(turned_clips[0], PoseParams(workers=1))
    assert track.attrs["rotation_applied_deg"] == 0
    check = json.loads(track.attrs["orientation_check"])
    assert check == {"mode": "auto", "first_pass": check["first_pass"], "applied_deg": 0}  # no probe ran
    assert check["first_pass"]["head"] == "up"
    assert np.nanmedian(np.linalg.norm(track["position"].values - _upright_reference(), axis=-1)) < 4.0


@pytest.mark.model
def test_given_rotation_is_applied_without_a_check(turned_clips: dict[int, Path]) -> None:
    """``rotate_deg=0`` keeps today's behaviour: the real model's sideways landmarks, flagged."""
    track = estimate_pose(turned_clips[1], PoseParams(workers=1, rotate_deg=0))
    assert track.attrs["rotation_applied_deg"] == 0
    assert json.loads(track.attrs["orientation_check"]) == {"mode": "given", "applied_deg": 0}
    assert (track.attrs["image_width_px"], track.attrs["image_height_px"]) == (640, 360)
    o = track_orientation(track)
    assert o.turned and o.fix_deg == 90
    with pytest.raises(ConfigError, match="not one of"):
        estimate_pose(turned_clips[1], PoseParams(rotate_deg=45))
