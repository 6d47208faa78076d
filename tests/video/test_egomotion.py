"""Camera motion from the background: synthetic following shots whose true motion is known exactly.

The shots are cut from the bundled static-camera sample by a moving, zooming window
(:mod:`tests.video.panning`); the sample's cached pose track, moved by the same window, gives the
runner's box, so no inference is needed except in the one ``model`` test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gait.errors import ConfigError, VideoReadError
from gait.track import from_numpy, load_track
from gait.video._egomotion import CameraMotion, estimate_camera_motion, runner_boxes_px
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK
from tests.video.panning import OUT_SIZE_PX, PanGeometry, pan_geometry, write_panned_clip

N_FRAMES = 60


def _shot(tmp: Path, name: str, geometry: PanGeometry):
    clip = write_panned_clip(tmp / f"{name}.mp4", SAMPLE_CLIP, geometry)
    sample = load_track(SAMPLE_TRACK)
    n = len(geometry.zoom)
    pos = geometry.track_positions(sample["position"].values[:n].astype(np.float64))
    track = from_numpy(
        pos, sample["confidence"].values[:n], sample["time"].values[:n], image_size_px=OUT_SIZE_PX
    )
    return clip, track, geometry


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("panning")
    return {
        "pan": _shot(tmp, "pan", pan_geometry(N_FRAMES, period_frames=24.0)),  # up to 11 px/frame
        "fast": _shot(tmp, "fast", pan_geometry(N_FRAMES, period_frames=12.0)),  # up to 22 px/frame
        "handheld": _shot(
            tmp, "handheld", pan_geometry(N_FRAMES, kind="handheld", period_frames=30.0)
        ),
        "linear": _shot(tmp, "linear", pan_geometry(N_FRAMES, kind="linear")),  # one way, 420 px
        "static": _shot(tmp, "static", pan_geometry(N_FRAMES, kind="static")),
    }


def _grid_error_px(motion: CameraMotion, truth: np.ndarray) -> np.ndarray:
    """Per frame, the mean distance between estimated and true positions of a 5 x 7 grid of points."""
    w, h = OUT_SIZE_PX
    xs, ys = np.meshgrid(np.linspace(0, w - 1, 5), np.linspace(0, h - 1, 7))
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    return np.linalg.norm(motion.to_reference @ pts - truth @ pts, axis=1).mean(axis=1)


@pytest.mark.parametrize("name", ["pan", "fast", "handheld", "linear"])
def test_recovers_a_known_pan_and_zoom(shots: dict, name: str) -> None:
    clip, track, geometry = shots[name]
    motion = estimate_camera_motion(clip, track, max_side_px=480)
    truth = geometry.true_to_first()
    err = _grid_error_px(motion, truth)
    assert np.median(err) < 1.0 and err.max() < 1.5
    assert motion.moved and motion.ok.all()
    assert np.array_equal(motion.frame, np.arange(N_FRAMES))
    np.testing.assert_allclose(motion.scale, np.hypot(truth[:, 0, 0], truth[:, 1, 0]), atol=0.005)
    np.testing.assert_allclose(
        motion.rotation_deg, np.degrees(np.arctan2(truth[:, 1, 0], truth[:, 0, 0])), atol=0.2
    )
    # the centre's displacement is the window's, in frame-0 pixels
    centre = np.array([(OUT_SIZE_PX[0] - 1) / 2, (OUT_SIZE_PX[1] - 1) / 2, 1.0])
    true_shift = truth @ centre - centre[:2]
    assert np.median(np.abs(motion.dx_px - true_shift[:, 0])) < 1.0
    assert np.median(np.abs(motion.dy_px - true_shift[:, 1])) < 1.0
    assert motion.max_shift_px == pytest.approx(np.linalg.norm(true_shift, axis=1).max(), abs=1.5)
    true_speed = np.median(np.linalg.norm(np.diff(true_shift, axis=0), axis=1)) * 30.0  # 30 fps
    assert motion.pan_speed_px_s == pytest.approx(true_speed, rel=0.05)


def test_a_static_camera_did_not_move(shots: dict) -> None:
    clip, track, _ = shots["static"]
    motion = estimate_camera_motion(clip, track)
    assert not motion.moved
    assert motion.max_shift_px < 1.0
    assert np.all(np.abs(motion.scale - 1.0) < 0.002)


def test_the_real_static_sample_did_not_move() -> None:
    motion = estimate_camera_motion(SAMPLE_CLIP, load_track(SAMPLE_TRACK), stop=45)
    assert not motion.moved and motion.max_shift_px < 2.0
    assert motion.working_long_side_px == 480 and motion.image_size_px == (720, 1280)
    assert (motion.inliers[1:] >= 30).all()


def test_maps_are_relative_to_the_chosen_reference_frame(shots: dict) -> None:
    clip, track, geometry = shots["pan"]
    first = estimate_camera_motion(clip, track)
    mid = estimate_camera_motion(clip, track, reference_frame=30)
    np.testing.assert_allclose(mid.to_reference[30], [[1, 0, 0], [0, 1, 0]], atol=1e-9)
    # a point of frame 0 seen from frame 30: invert frame 30's map to frame 0
    truth = geometry.true_to_first()
    t30 = np.linalg.inv(np.vstack([truth[30], [0, 0, 1]]))
    p = np.array([100.0, 50.0, 1.0])
    assert np.linalg.norm(mid.to_reference[0] @ p - (t30 @ p)[:2]) < 1.0
    assert mid.reference_frame == 30 and first.reference_frame == 0


def test_runner_boxes_pad_the_landmarks_and_fill_gaps() -> None:
    pos = np.full((3, 33, 2), np.nan)
    pos[0, :3] = [[100, 200], [140, 300], [120, 400]]
    pos[2, :3] = [[300, 200], [340, 300], [320, 400]]
    boxes = runner_boxes_px(pos, np.array([0, 5, 9]), 10, (720, 1280))
    assert boxes is not None and boxes.shape == (10, 4)
    pad = 0.15 * 200
    np.testing.assert_allclose(boxes[0], [100 - pad, 200 - pad, 140 + pad, 400 + pad])
    np.testing.assert_allclose(boxes[4], boxes[0])  # frames 1-4 are nearer frame 0 than frame 9
    np.testing.assert_allclose(boxes[7], [300 - pad, 200 - pad, 340 + pad, 400 + pad])
    assert runner_boxes_px(np.full((2, 33, 2), np.nan), np.array([0, 1]), 2, (720, 1280)) is None


def test_bad_inputs_get_one_sentence(tmp_path: Path, shots: dict) -> None:
    clip, track, _ = shots["static"]
    with pytest.raises(ConfigError, match="max_side_px must be at least 120"):
        estimate_camera_motion(clip, track, max_side_px=64)
    with pytest.raises(ConfigError, match="Reference frame 500 is outside"):
        estimate_camera_motion(clip, track, reference_frame=500)
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    with pytest.raises(VideoReadError):
        estimate_camera_motion(not_video)
    with pytest.raises(VideoReadError, match="camera motion needs two or more"):
        estimate_camera_motion(clip, track, start=10, stop=11)


@pytest.mark.model
def test_with_the_real_pose_the_runner_stays_put_in_the_room(shots: dict) -> None:
    """The real pipeline's pose on the synthetic shot: the pelvis stands (nearly) still once compensated.

    On a treadmill the ground frame is the room's, so the pelvis, which moves with the pan in the image,
    stands still.
    """
    from gait.pose import PoseParams, estimate_pose
    from gait.track._ground_frame import to_ground_frame

    clip, _, _ = shots["pan"]
    track = estimate_pose(clip, PoseParams(workers=1))
    motion = estimate_camera_motion(clip, track)
    ground = to_ground_frame(track, motion.arrays())
    hips = ["left_hip", "right_hip"]
    image_x = track["position"].sel(keypoint=hips, space="x").mean("keypoint").values
    ground_x = ground["position"].sel(keypoint=hips, space="x").mean("keypoint").values
    assert np.nanstd(image_x) > 15.0  # the pan moves the runner by +-42 px in the image
    assert np.nanstd(ground_x) < 0.3 * np.nanstd(image_x)
