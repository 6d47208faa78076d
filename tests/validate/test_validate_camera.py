"""The virtual camera: geometry, sampling, noise and the pose track it produces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gait.skeleton import KEYPOINTS
from gait.track import validate_track
from gait.validate import VIEWS, project_to_camera
from gait.validate.camera import FAR_VISIBILITY, NEAR_VISIBILITY, make_camera, resample_cubic

LEG = [
    f"{s}_{j}" for s in ("left", "right") for j in ("hip", "knee", "ankle", "heel", "foot_index")
]


def _pos(track, name):
    return track["position"].sel(keypoint=name).to_numpy()


@pytest.mark.parametrize("fps", [30, 60, 120, 240])
def test_frame_count_and_time_base(t25, fps):
    track, truth = t25.to_track(view="side_left", fps=fps, seed=1)
    validate_track(track)
    t = track["time"].to_numpy()
    assert abs(len(t) - t25.duration_s * fps) <= 1
    assert t[0] == 0.0
    np.testing.assert_allclose(np.diff(t), 1 / fps, rtol=1e-9)
    assert track.attrs["fps"] == pytest.approx(fps)
    assert 0.0 <= truth.time_offset_s < 1 / fps
    assert track.attrs["source_format"] == "mocap"
    assert track.attrs["view"] == "side_left"
    assert track.attrs["trial"] == "RBDS001_runT25"


def test_y_points_down(t25):
    track, _ = t25.to_track(view="side_left", fps=30, seed=0)
    for s in ("left", "right"):
        hip_y, knee_y, heel_y = (_pos(track, f"{s}_{j}")[:, 1] for j in ("hip", "knee", "heel"))
        assert (heel_y > hip_y).all()
        assert np.median(knee_y) > np.median(hip_y)
        assert np.median(heel_y) > np.median(knee_y)


def test_side_left_runner_faces_image_left_and_left_leg_is_near(t25):
    track, _ = t25.to_track(view="side_left", fps=60, noise_px=0.0, seed=0)
    for s in ("left", "right"):
        toe_minus_heel = _pos(track, f"{s}_foot_index")[:, 0] - _pos(track, f"{s}_heel")[:, 0]
        assert np.mean(toe_minus_heel < 0) > 0.95
    conf = track["confidence"]
    assert (conf.sel(keypoint="left_knee") == np.float32(NEAR_VISIBILITY)).all()
    assert (conf.sel(keypoint="right_knee") == np.float32(FAR_VISIBILITY)).all()
    # the near (left) leg is closer to the camera, so its thigh looks longer in pixels
    near = np.linalg.norm(_pos(track, "left_hip") - _pos(track, "left_knee"), axis=1)
    far = np.linalg.norm(_pos(track, "right_hip") - _pos(track, "right_knee"), axis=1)
    assert np.median(near) > np.median(far)


def test_side_right_is_the_mirror_case(t25):
    track, _ = t25.to_track(view="side_right", fps=30, noise_px=0.0, seed=0)
    toe_minus_heel = _pos(track, "right_foot_index")[:, 0] - _pos(track, "right_heel")[:, 0]
    assert np.mean(toe_minus_heel > 0) > 0.95
    assert float(track["confidence"].sel(keypoint="right_ankle")[0]) == pytest.approx(
        NEAR_VISIBILITY
    )


def test_rear_and_front_views_place_the_right_hip(t25):
    rear, _ = t25.to_track(view="rear", fps=30, noise_px=0.0, seed=0)
    front, _ = t25.to_track(view="front", fps=30, noise_px=0.0, seed=0)
    assert (_pos(rear, "right_hip")[:, 0] > _pos(rear, "left_hip")[:, 0]).all()
    assert (_pos(front, "right_hip")[:, 0] < _pos(front, "left_hip")[:, 0]).all()


def test_unavailable_keypoints_are_nan_and_leg_keypoints_present(t25):
    track, _ = t25.to_track(view="rear", fps=30, seed=0)
    absent = [k for k in KEYPOINTS if k not in LEG]
    assert np.isnan(track["position"].sel(keypoint=absent)).all()
    assert np.isnan(track["confidence"].sel(keypoint=absent)).all()
    assert np.isfinite(track["position"].sel(keypoint=LEG)).all()
    assert track["detected"].all()


def test_noise_has_the_documented_size_and_is_seeded(t25):
    track, truth = t25.to_track(view="side_left", fps=60, seed=7)
    err = track["position"].to_numpy() - truth.position_true_px
    err = err[np.isfinite(err)]
    assert np.std(err) == pytest.approx(truth.noise_px, rel=0.03)
    assert abs(np.mean(err)) < 0.05 * truth.noise_px
    cam = json.loads(track.attrs["synthetic_camera"])
    stature_px = cam["focal_px"] * cam["stature_m"] / cam["distance_m"]
    assert truth.noise_px == pytest.approx(0.009 * stature_px)
    again, _ = t25.to_track(view="side_left", fps=60, seed=7)
    other, _ = t25.to_track(view="side_left", fps=60, seed=8)
    np.testing.assert_array_equal(track["position"], again["position"])
    assert not np.array_equal(track["position"], other["position"])


def test_zero_noise_gives_the_exact_projection(t25):
    track, truth = t25.to_track(view="rear", fps=30, noise_px=0.0, seed=0)
    np.testing.assert_allclose(track["position"].to_numpy(), truth.position_true_px, atol=1e-3)


def test_portrait_frame_keeps_the_runner_inside(t25):
    track, _ = t25.to_track(view="side_left", fps=30, image_size_px=(720, 1280), seed=0)
    pos = track["position"].sel(keypoint=LEG).to_numpy()
    assert track.attrs["image_width_px"] == 720
    assert track.attrs["image_height_px"] == 1280
    assert (pos[..., 0] > 0).all()
    assert (pos[..., 0] < 720).all()
    assert (pos[..., 1] > 0).all()
    assert (pos[..., 1] < 1280).all()


def test_camera_geometry_on_known_points():
    cam = make_camera(
        "side_left",
        target_m=np.array([2.0, 1.0, 1.0]),
        distance_m=4.0,
        focal_px=1000.0,
        image_size_px=(1280, 720),
    )
    np.testing.assert_allclose(cam.position_m, [2.0, 1.0, -3.0])
    np.testing.assert_allclose(cam.project(np.array([2.0, 1.0, 1.0])), [640.0, 360.0])
    # 0.4 m forward (+x) goes image-left, 0.4 m up goes image-up
    np.testing.assert_allclose(cam.project(np.array([2.4, 1.4, 1.0])), [540.0, 260.0])
    rear = make_camera(
        "rear",
        target_m=np.array([2.0, 1.0, 1.0]),
        distance_m=4.0,
        focal_px=1000.0,
        image_size_px=(1280, 720),
    )
    np.testing.assert_allclose(rear.project(np.array([2.0, 1.0, 1.4])), [740.0, 360.0])
    with pytest.raises(ValueError, match="Expected view"):
        make_camera("top", target_m=np.zeros(3), distance_m=1.0, focal_px=1.0, image_size_px=(2, 2))


def test_cubic_resampling_accuracy_and_gaps():
    t = np.arange(300) / 150
    x = np.stack([np.sin(2 * np.pi * 2.6 * t), np.cos(2 * np.pi * 1.3 * t)], axis=1)
    new_t = 0.0021 + np.arange(400) / 240
    new_t = new_t[new_t <= t[-1]]
    truth = np.stack([np.sin(2 * np.pi * 2.6 * new_t), np.cos(2 * np.pi * 1.3 * new_t)], axis=1)
    np.testing.assert_allclose(resample_cubic(t, x, new_t), truth, atol=2e-4)
    gappy = x.copy()
    gappy[100:103] = np.nan  # 3 frames = 20 ms: bridged
    gappy[200:230] = np.nan  # 200 ms: kept as a gap
    out = resample_cubic(t, gappy, new_t)
    short = (new_t > t[99]) & (new_t < t[103])
    long_ = (new_t > t[200]) & (new_t < t[229])
    assert np.isfinite(out[short]).all()
    assert np.isnan(out[long_]).all()
    assert np.isfinite(out[~long_ & (new_t < t[199])]).all()


def test_project_to_camera_on_plain_points_without_a_trial():
    t = np.arange(0, 2, 1 / 150)
    n = len(t)
    pts = {
        "left_hip": np.tile([0.0, 0.95, -0.09], (n, 1)),
        "right_hip": np.tile([0.0, 0.95, 0.09], (n, 1)),
        "left_heel": np.tile([0.0, 0.05, -0.1], (n, 1)),
        "right_heel": np.tile([0.0, 0.05, 0.1], (n, 1)),
    }
    clip = project_to_camera(pts, t, view="rear", fps=50, noise_px=0.0, seed=0, stature_m=1.8)
    track = clip.track
    assert track.sizes["time"] in (99, 100)
    lh, rh = _pos(track, "left_hip")[0], _pos(track, "right_hip")[0]
    assert rh[0] > lh[0]
    assert lh[1] == pytest.approx(rh[1])
    assert np.isnan(_pos(track, "left_knee")).all()


def test_inputs_are_not_mutated():
    t = np.arange(0, 1, 1 / 150)
    n = len(t)
    pts = {
        k: np.tile(v, (n, 1))
        for k, v in {
            "left_hip": [0, 0.9, -0.1],
            "right_hip": [0, 0.9, 0.1],
            "left_heel": [0, 0.05, -0.1],
            "right_heel": [0, 0.05, 0.1],
        }.items()
    }
    before = {k: v.copy() for k, v in pts.items()}
    project_to_camera(pts, t, view="side_left", fps=30, seed=0)
    for k in pts:
        np.testing.assert_array_equal(pts[k], before[k])


def test_all_views_are_valid_tracks(t25):
    for view in VIEWS:
        track, truth = t25.to_track(view=view, fps=30, seed=0, duration_s=3.0)
        validate_track(track)
        assert truth.view == view
