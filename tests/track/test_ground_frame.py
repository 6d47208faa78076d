"""Ground-relative landmarks and running speed, on tracks whose ground-frame truth is known.

``_overground`` builds a runner in ground coordinates (the pixels of frame 0): the pelvis moves
forward at a constant speed, each foot stands still for its stance and swings forward by a stride
length, and the knee sits where a two-link leg of fixed thigh and shank lengths puts it. A camera
that follows the runner (pan, zoom, roll) turns it into an image track, and the exact
image-to-ground maps are handed over as the camera motion.
"""

from __future__ import annotations

import numpy as np
import pytest

from gait.errors import ClipTooShortError, ConfigError, InvalidTrackError
from gait.skeleton import KEYPOINTS
from gait.track import PoseTrack, from_numpy, load_track
from gait.track._ground_frame import (
    SHOULDER_TO_ANKLE_OF_HEIGHT,
    body_height_px,
    camera_motion_summary,
    running_speed,
    to_ground_frame,
)
from tests.conftest import SAMPLE_TRACK
from tests.video.panning import OUT_SIZE_PX, pan_geometry

KP = {name: i for i, name in enumerate(KEYPOINTS)}
FPS = 30.0
TRUNK_PX, THIGH_PX, SHANK_PX = 120.0, 100.0, 100.0
BODY_PX = (TRUNK_PX + THIGH_PX + SHANK_PX) / SHOULDER_TO_ANKLE_OF_HEIGHT
SPEED_PX_S = 1.2 * BODY_PX
STRIDE_S, STANCE_S = 0.7, 0.25
HIP_HEIGHT_PX, GROUND_Y_PX = 185.0, 400.0


def _foot_x(t: np.ndarray, phase_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(x, lift) of one ankle: still in stance (under the pelvis at mid-stance), eased forward in swing."""
    stride_px = SPEED_PX_S * STRIDE_S
    k = np.floor((t - phase_s) / STRIDE_S)
    tau = (t - phase_s) - k * STRIDE_S  # time since this stride's touchdown
    contact_x = 200.0 + SPEED_PX_S * (phase_s + k * STRIDE_S + STANCE_S / 2)
    swing = np.clip((tau - STANCE_S) / (STRIDE_S - STANCE_S), 0.0, 1.0)
    x = contact_x + stride_px * (1 - np.cos(np.pi * swing)) / 2
    lift = 40.0 * np.sin(np.pi * swing)
    return x, lift


def _knee(hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """The forward solution of the two-link leg (thigh = shank)."""
    d = ankle - hip
    dist = np.linalg.norm(d, axis=1, keepdims=True)
    mid = hip + d / 2
    h = np.sqrt(np.maximum(THIGH_PX**2 - (dist / 2) ** 2, 0.0))
    normal = (
        np.stack([d[:, 1], -d[:, 0]], axis=1) / dist
    )  # points forward (+x) for a leg pointing down
    return mid + h * normal


def _overground(duration_s: float = 3.0) -> np.ndarray:
    """``(n, 33, 2)`` ground-frame landmarks (NaN for those not modelled)."""
    t = np.arange(round(duration_s * FPS)) / FPS
    pos = np.full((len(t), len(KEYPOINTS), 2), np.nan)
    pelvis = np.stack(
        [
            200.0 + SPEED_PX_S * t,
            GROUND_Y_PX - HIP_HEIGHT_PX + 4 * np.cos(4 * np.pi * t / STRIDE_S),
        ],
        1,
    )
    for side, phase in (("left", 0.0), ("right", STRIDE_S / 2)):
        x, lift = _foot_x(t, phase)
        ankle = np.stack([x, GROUND_Y_PX - lift], axis=1)
        pos[:, KP[f"{side}_hip"]] = pelvis
        pos[:, KP[f"{side}_ankle"]] = ankle
        pos[:, KP[f"{side}_knee"]] = _knee(pelvis, ankle)
        pos[:, KP[f"{side}_heel"]] = ankle + [-15.0, 8.0]
        pos[:, KP[f"{side}_foot_index"]] = ankle + [35.0, 12.0]
        lean = np.radians(8.0)
        pos[:, KP[f"{side}_shoulder"]] = pelvis + TRUNK_PX * np.array([np.sin(lean), -np.cos(lean)])
    pos[:, KP["nose"]] = pos[:, KP["left_shoulder"]] + [10.0, -45.0]
    return pos


def _following_camera(n: int) -> np.ndarray:
    """``(n, 2, 3)`` image -> ground similarities of a camera that keeps the pelvis near x = 200 px."""
    t = np.arange(n) / FPS
    scale = 1.0 + 0.05 * np.sin(2 * np.pi * t / 2.3)
    theta = np.radians(1.5 * np.sin(2 * np.pi * t / 1.7))
    lag_px = 25.0 * np.sin(2 * np.pi * t / 1.1)  # the friend does not keep up exactly
    m = np.zeros((n, 2, 3))
    m[:, 0, 0] = m[:, 1, 1] = scale * np.cos(theta)
    m[:, 1, 0] = scale * np.sin(theta)
    m[:, 0, 1] = -m[:, 1, 0]
    m[:, 0, 2] = SPEED_PX_S * t + lag_px
    m[:, 1, 2] = 3.0 * np.sin(2 * np.pi * t / 0.9)
    m[0] = [[1, 0, 0], [0, 1, 0]]  # frame 0 is the reference
    return m


def _image_track(ground: np.ndarray, maps: np.ndarray) -> PoseTrack:
    inv = np.array([np.linalg.inv(np.vstack([a, [0, 0, 1]]))[:2] for a in maps])
    img = np.einsum("tij,tkj->tki", inv[:, :, :2], ground) + inv[:, None, :, 2]
    conf = np.where(np.isfinite(img[..., 0]), 0.9, np.nan)
    return from_numpy(img, conf, np.arange(len(img)) / FPS, image_size_px=(640, 480))


def _motion(maps: np.ndarray, **extra) -> dict:
    return {
        "frame": np.arange(len(maps)),
        "to_reference": maps,
        "image_size_px": (640, 480),
        **extra,
    }


@pytest.fixture(scope="module")
def scene() -> tuple[np.ndarray, np.ndarray, PoseTrack]:
    ground = _overground()
    maps = _following_camera(len(ground))
    return ground, maps, _image_track(ground, maps)


def test_recovers_the_ground_frame(scene) -> None:
    ground, maps, image = scene
    out = to_ground_frame(image, _motion(maps, max_shift_px=123.0, moved=True, reference_frame=0))
    got = out["position"].transpose("time", "keypoint", "space").values
    np.testing.assert_allclose(got, ground, atol=0.02, equal_nan=True)
    assert out.attrs["camera_motion"] == "compensated" and out.attrs["camera_moved"] == 1
    assert out.attrs["camera_max_shift_px"] == 123.0 and out.attrs["camera_reference_frame"] == 0
    assert out.attrs["coordinate_frame"].startswith("ground: pixels of reference frame 0")
    assert "camera_motion" not in image.attrs  # the input is not changed


def test_a_stance_foot_stands_still_on_the_ground_and_the_pelvis_moves_forward(scene) -> None:
    _, maps, image = scene
    out = to_ground_frame(image, _motion(maps))
    t = image["time"].values
    tau = t % STRIDE_S  # left-foot stance: the first STANCE_S of each stride
    stance = (tau > 0.02) & (tau < STANCE_S - 0.02)
    both = stance[1:] & stance[:-1]

    def ankle_step_px(track: PoseTrack) -> np.ndarray:
        a = track["position"].sel(keypoint="left_ankle").values
        return np.linalg.norm(np.diff(a, axis=0), axis=1)[both]

    assert ankle_step_px(image).min() > 3.0  # in the image the background (and the foot) scrolls
    assert ankle_step_px(out).max() < 0.05
    pelvis_x = out["position"].sel(keypoint="left_hip", space="x").values
    assert np.all(np.diff(pelvis_x) > 0.5 * SPEED_PX_S / FPS)


def test_running_speed_in_body_heights_and_metres(scene) -> None:
    _, maps, image = scene
    out = to_ground_frame(image, _motion(maps))
    assert body_height_px(out) == pytest.approx(BODY_PX, rel=1e-3)
    bh = running_speed(out)
    assert bh.unit == "body_heights/s"
    assert bh.value == pytest.approx(1.2, rel=0.01)
    assert 0.0 < bh.uncertainty < 0.1 * bh.value
    ms = running_speed(out, height_cm=180.0)
    assert ms.unit == "m/s" and ms.value == pytest.approx(1.2 * 1.8, rel=0.01)
    # without compensation the following camera hides the speed
    assert running_speed(image).value < 0.2 * bh.value


def test_a_known_pan_of_the_sample_track_maps_back_to_the_first_frame() -> None:
    """The sample's landmarks cut by the synthetic pan window land where frame 0's window shows them.

    The window is that of tests.video.panning, mapped with the exact window maps; rows may be a trimmed,
    reordered part.
    """
    sample = load_track(SAMPLE_TRACK)
    n = 60
    geometry = pan_geometry(n, period_frames=12.0)
    full = sample["position"].values[:n].astype(np.float64)
    rows = np.arange(10, 50)
    track = from_numpy(
        geometry.track_positions(full)[rows],
        sample["confidence"].values[rows],
        sample["time"].values[rows],
        frame=rows,
        image_size_px=OUT_SIZE_PX,
    )
    order = np.random.default_rng(0).permutation(n)
    motion = {"frame": np.arange(n)[order], "to_reference": geometry.true_to_first()[order]}
    out = to_ground_frame(track, motion)
    half = (full[rows] + 0.5) / 2 - 0.5
    expected = geometry.zoom[0] * (half - geometry.offset_px[0])
    np.testing.assert_allclose(out["position"].values, expected, atol=0.01)


def test_unreliable_frames_become_gaps(scene) -> None:
    _, maps, image = scene
    ok = np.ones(len(maps), dtype=bool)
    ok[[5, 6, 40]] = False
    out = to_ground_frame(image, _motion(maps, ok=ok))
    assert out.attrs["camera_unreliable_frames"] == 3
    assert np.isnan(out["position"].values[[5, 6, 40]]).all()
    assert np.isfinite(out["position"].sel(keypoint="left_hip").values[7]).all()
    kept = to_ground_frame(image, _motion(maps, ok=ok), drop_unreliable=False)
    assert np.isfinite(kept["position"].sel(keypoint="left_hip").values[5]).all()


def test_summary_in_body_heights(scene) -> None:
    _, maps, image = scene
    summary = camera_motion_summary(
        image, _motion(maps, max_shift_px=2 * BODY_PX, pan_speed_px_s=BODY_PX, moved=True)
    )
    assert summary["moved"] is True and summary["unreliable_frames"] == 0
    # the image track's body height is scaled by the zoom (+-5 %)
    assert summary["max_shift_body_heights"] == pytest.approx(2.0, rel=0.06)
    assert summary["pan_speed_body_heights_s"] == pytest.approx(1.0, rel=0.06)


def test_bad_inputs_get_one_sentence(scene) -> None:
    _, maps, image = scene
    out = to_ground_frame(image, _motion(maps))
    with pytest.raises(InvalidTrackError, match="already in the ground frame"):
        to_ground_frame(out, _motion(maps))
    with pytest.raises(InvalidTrackError, match="outside them"):
        to_ground_frame(image, _motion(maps[:30]) | {"frame": np.arange(30)})
    with pytest.raises(
        InvalidTrackError, match="measure the motion on the clip the track came from"
    ):
        to_ground_frame(image, _motion(maps) | {"image_size_px": (1920, 1080)})
    with pytest.raises(InvalidTrackError, match="lacks the 'to_reference' array"):
        to_ground_frame(image, {"frame": np.arange(len(maps))})
    with pytest.raises(ConfigError, match="height_cm must be a stature"):
        running_speed(out, height_cm=1.8)
    with pytest.raises(ClipTooShortError, match="film the runner for longer"):
        running_speed(out.isel(time=slice(0, 12)))
