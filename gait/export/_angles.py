"""Angle series of a whole track, per frame.

The sagittal angles of :mod:`gait.metrics.kinematics` (runner frame, ground-line corrected) and the frontal
ones of :mod:`gait.report._curves`.
"""

from __future__ import annotations

import numpy as np

from gait.events import GaitEvents
from gait.metrics.kinematics import (
    SIDE_NAMES,
    RunnerFrame,
    _angle_from_up,
    foot_angle_series_deg,
    knee_flexion_deg,
)
from gait.report._curves import frontal_angle_series
from gait.track import PoseTrack


def runner_frame(track: PoseTrack, events: GaitEvents) -> RunnerFrame:
    """The runner frame the metrics use (direction of travel, ground line)."""
    sign = {"image_right": 1.0, "image_left": -1.0}[events.direction or "image_right"]
    return RunnerFrame.from_track(track, sign, events.ground)


def sagittal_series_deg(track: PoseTrack, events: GaitEvents) -> dict[str, np.ndarray]:
    """Per-frame sagittal angles, degrees, with the definitions of :mod:`gait.metrics.kinematics`.

    Keys: ``knee_flexion_<F>``, ``thigh_angle_<F>`` (hip -> knee from the perpendicular, positive
    knee behind the hip: the thigh extension), ``shank_angle_<F>`` (positive ankle ahead of the
    knee), ``foot_angle_<F>`` (heel -> foot index above the ground line, positive toes up) for
    F = L, R, and ``trunk_lean`` (hip midpoint -> shoulder midpoint, positive forward).
    """
    rf = runner_frame(track, events)
    p = rf.points
    out: dict[str, np.ndarray] = {}
    for foot, side in SIDE_NAMES.items():
        hip, knee, ankle = p[f"{side}_hip"], p[f"{side}_knee"], p[f"{side}_ankle"]
        out[f"knee_flexion_{foot}"] = knee_flexion_deg(hip, knee, ankle)
        out[f"thigh_angle_{foot}"] = _angle_from_up(hip - knee)
        out[f"shank_angle_{foot}"] = -_angle_from_up(knee - ankle)
        out[f"foot_angle_{foot}"] = foot_angle_series_deg(rf, foot)
    shoulders = (p["left_shoulder"] + p["right_shoulder"]) / 2
    pelvis = (p["left_hip"] + p["right_hip"]) / 2
    out["trunk_lean"] = _angle_from_up(shoulders - pelvis)
    return out


def frontal_series_deg(track: PoseTrack, view: str = "rear") -> dict[str, np.ndarray]:
    """Per-frame rear- or front-view angles (``pelvic_drop_<F>``, ``hip_adduction_<F>``), degrees."""
    return frontal_angle_series(track, view)
