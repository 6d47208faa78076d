"""Angles at events on hand-placed landmarks whose angles are known."""

from __future__ import annotations

import numpy as np
import pytest

from gait.events import GroundLine
from gait.metrics.kinematics import RunnerFrame, contact_kinematics, foot_angle_deg
from gait.skeleton import KEYPOINTS
from gait.track import from_numpy

K = {n: i for i, n in enumerate(KEYPOINTS)}


def _pose(points: dict[str, tuple[float, float]], roll_deg: float = 0.0, n: int = 5):
    """A still pose (image px, +y down) repeated over ``n`` frames, optionally rolled."""
    pos = np.full((n, len(KEYPOINTS), 2), np.nan)
    c, s = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))
    for name, (x, y) in points.items():
        # roll counter-clockwise on screen about (400, 400): y is down, so negate the angle
        dx, dy = x - 400, y - 400
        pos[:, K[name]] = (400 + c * dx + s * dy, 400 - s * dx + c * dy)
    return from_numpy(
        pos,
        np.where(np.isfinite(pos[..., 0]), 0.9, np.nan),
        np.arange(n) / 30.0,
        image_size_px=(800, 800),
    )


# Positions are stored as float32, hence the 1e-3 deg tolerance.
# Runner faces image-right. Left thigh 20 deg behind vertical, knee flexed 30 deg, shank 10 deg
# ahead of vertical; foot 15 deg toes-up; trunk leaning 10 deg forward.
def _leg_points() -> dict[str, tuple[float, float]]:
    hip = np.array([400.0, 300.0])
    thigh = 100 * np.array([-np.sin(np.radians(20)), np.cos(np.radians(20))])
    knee = hip + thigh
    shank = 100 * np.array([np.sin(np.radians(10)), np.cos(np.radians(10))])
    ankle = knee + shank
    heel = ankle + np.array([-10.0, 15.0])
    toe = heel + 50 * np.array([np.cos(np.radians(15)), -np.sin(np.radians(15))])
    sh = hip + 150 * np.array([np.sin(np.radians(10)), -np.cos(np.radians(10))])
    return {
        "left_hip": tuple(hip),
        "right_hip": tuple(hip),
        "left_knee": tuple(knee),
        "left_ankle": tuple(ankle),
        "left_heel": tuple(heel),
        "left_foot_index": tuple(toe),
        "left_shoulder": tuple(sh),
        "right_shoulder": tuple(sh),
    }


@pytest.mark.parametrize("roll_deg", [0.0, 6.0])
def test_angles_of_a_known_pose(roll_deg: float) -> None:
    track = _pose(_leg_points(), roll_deg)
    # the ground line rolls with the camera: angles are relative to it
    slope = -np.tan(np.radians(roll_deg))
    ground = GroundLine(slope=slope, intercept_px={"L": 500.0}, angle_deg=roll_deg, n_points=10)
    rf = RunnerFrame.from_track(track, 1.0, ground)
    k = contact_kinematics(rf, "L", 0.02, 0.1, leg_px=200.0)
    assert foot_angle_deg(rf, "L", 0.05) == pytest.approx(15.0, abs=1e-3)
    assert k["foot_angle_ic_deg"] == pytest.approx(15.0, abs=1e-3)
    assert k["shank_angle_ic_deg"] == pytest.approx(10.0, abs=1e-3)
    assert k["knee_flexion_ic_deg"] == pytest.approx(30.0, abs=1e-3)
    assert k["peak_thigh_extension_deg"] == pytest.approx(20.0, abs=1e-3)
    assert k["trunk_lean_deg"] == pytest.approx(10.0, abs=1e-3)
    heel_ahead = (_leg_points()["left_heel"][0] - 400.0) / 200.0
    assert k["overstride_leg_lengths"] == pytest.approx(
        heel_ahead, abs=1e-3 if roll_deg == 0 else 0.2
    )


def test_facing_left_mirrors_nothing() -> None:
    pts = {n: (800 - x, y) for n, (x, y) in _leg_points().items()}
    rf = RunnerFrame.from_track(_pose(pts), -1.0, None)
    k = contact_kinematics(rf, "L", 0.02, 0.1, leg_px=200.0)
    assert k["foot_angle_ic_deg"] == pytest.approx(15.0, abs=1e-3)
    assert k["shank_angle_ic_deg"] == pytest.approx(10.0, abs=1e-3)
    assert k["trunk_lean_deg"] == pytest.approx(10.0, abs=1e-3)
