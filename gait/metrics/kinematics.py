"""Sagittal kinematics at the events, in the runner's frame.

Runner frame: ``fwd`` along the ground line in the direction of travel, ``up`` perpendicular to
it, both in px (the image is rotated by the ground line's angle, so a tilted camera does not tilt
the angles; on an inclined treadmill "vertical" is then perpendicular to the belt). Landmarks are
interpolated linearly at the (sub-frame) event times.

Definitions (domain.md section 2.1; all in degrees):

``foot angle``
    Angle of the heel -> foot-index line above the ground line (positive = toes up).
``overstride``
    Heel ahead of the hip midpoint at IC, in leg lengths (Wille et al. 2014).
``shank angle``
    Knee -> ankle line from the perpendicular, positive when the ankle is ahead of the knee
    (Dingenen et al. 2018; UCSF 2-D running analysis).
``knee flexion``
    180 - angle hip-knee-ankle (0 = straight).
``thigh extension``
    Hip -> knee line from the perpendicular, positive when the knee is behind the hip (MediaPipe
    has no pelvis-tilt landmarks, so this is the thigh segment angle, not hip extension).
``trunk lean``
    Hip midpoint -> shoulder midpoint from the perpendicular, positive forward, at mid-stance
    (Bramah et al. 2018).
``vertical oscillation``
    Peak-to-peak height of the hip midpoint between consecutive ICs, in leg lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gait.events import GroundLine
from gait.skeleton import SIDE_NAMES
from gait.track import PoseTrack


@dataclass(frozen=True, eq=False)
class RunnerFrame:
    """Landmarks of a track in the runner frame (see the module docstring), interpolable in time."""

    time_s: np.ndarray
    points: dict[str, np.ndarray]

    @classmethod
    def from_track(cls, track: PoseTrack, sign: float, ground: GroundLine | None) -> RunnerFrame:
        """Rotate every keypoint into the runner frame (``sign`` +1 = faces image-right)."""
        slope = ground.slope if ground is not None else 0.0
        theta = np.arctan2(-sign * slope, 1.0)  # ground direction in (fwd, up) before rotation
        c, s = np.cos(theta), np.sin(theta)
        pos = track["position"].transpose("time", "keypoint", "space").values.astype(np.float64)
        fwd, up = sign * pos[..., 0], -pos[..., 1]
        rot = np.stack([c * fwd + s * up, -s * fwd + c * up], axis=-1)
        names = list(map(str, track["keypoint"].values))
        return cls(
            track["time"].values.astype(np.float64), {n: rot[:, i] for i, n in enumerate(names)}
        )

    def at(self, name: str, t: float) -> np.ndarray:
        """``(2,)`` position of a keypoint at time ``t`` (NaN outside the finite samples)."""
        p = self.points.get(name)
        if p is None or not np.isfinite(t):
            return np.full(2, np.nan)
        ok = np.isfinite(p).all(axis=1)
        if ok.sum() < 2 or not self.time_s[ok][0] <= t <= self.time_s[ok][-1]:
            return np.full(2, np.nan)
        i = np.searchsorted(self.time_s[ok], t)
        lo, hi = max(i - 1, 0), min(i, ok.sum() - 1)
        if not (hi - lo <= 1 and self.time_s[ok][hi] - self.time_s[ok][lo] < 0.15):
            return np.full(2, np.nan)  # do not interpolate across long gaps
        return np.array([np.interp(t, self.time_s[ok], p[ok, k]) for k in range(2)])

    def series(self, name: str, t0: float, t1: float) -> np.ndarray:
        """Positions at the samples strictly inside (t0, t1) plus both ends, ``(m, 2)``."""
        p = self.points.get(name)
        if p is None or not (np.isfinite(t0) and np.isfinite(t1)):
            return np.empty((0, 2))
        m = (self.time_s > t0) & (self.time_s < t1)
        return np.vstack([self.at(name, t0)[None], p[m], self.at(name, t1)[None]])


def _angle_from_up(v: np.ndarray) -> np.ndarray:
    """Angle of vectors ``(..., 2)`` (fwd, up) from the upward perpendicular, positive forward."""
    return np.degrees(np.arctan2(v[..., 0], v[..., 1]))


def foot_angle_deg(rf: RunnerFrame, foot: str, t: float) -> float:
    """Heel -> foot-index angle above the ground line at time ``t`` (positive = toes up)."""
    side = SIDE_NAMES[foot]
    v = rf.at(f"{side}_foot_index", t) - rf.at(f"{side}_heel", t)
    return float(np.degrees(np.arctan2(v[1], v[0])))


def foot_angle_series_deg(rf: RunnerFrame, foot: str) -> np.ndarray:
    """:func:`foot_angle_deg` at every frame, ``(n,)`` (NaN where a landmark is missing)."""
    side = SIDE_NAMES[foot]
    heel, toe = rf.points.get(f"{side}_heel"), rf.points.get(f"{side}_foot_index")
    if heel is None or toe is None:
        return np.full(len(rf.time_s), np.nan)
    v = toe - heel
    return np.degrees(np.arctan2(v[:, 1], v[:, 0]))


def knee_flexion_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """180 - angle hip-knee-ankle, for ``(..., 2)`` points."""
    u, v = hip - knee, ankle - knee
    den = np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / den
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _nanmax(x: np.ndarray) -> float:
    return float(np.nanmax(x)) if np.isfinite(x).any() else float("nan")


def contact_kinematics(
    rf: RunnerFrame, foot: str, ic: float, to: float, leg_px: float, *, mid_s: float | None = None
) -> dict[str, float]:
    """Kinematic values of one contact (module docstring); NaN where landmarks are missing.

    ``mid_s`` is the mid-stance time for the trunk lean, by default halfway from IC to TO (given
    when the toe-off is unknown: the trunk does not depend on that foot's landmarks).
    """
    side = SIDE_NAMES[foot]
    hip, knee, ankle, heel = (rf.at(f"{side}_{p}", ic) for p in ("hip", "knee", "ankle", "heel"))
    pelvis = (rf.at("left_hip", ic) + rf.at("right_hip", ic)) / 2
    stance = {p: rf.series(f"{side}_{p}", ic, to) for p in ("hip", "knee", "ankle")}
    mid = (ic + to) / 2 if mid_s is None else mid_s
    shoulders = (rf.at("left_shoulder", mid) + rf.at("right_shoulder", mid)) / 2
    pelvis_mid = (rf.at("left_hip", mid) + rf.at("right_hip", mid)) / 2
    thigh = stance["hip"] - stance["knee"]
    return {
        "foot_angle_ic_deg": foot_angle_deg(rf, foot, ic),
        "overstride_leg_lengths": float((heel[0] - pelvis[0]) / leg_px),
        "shank_angle_ic_deg": float(_angle_from_up(knee - ankle) * -1.0),
        "knee_flexion_ic_deg": float(knee_flexion_deg(hip, knee, ankle)),
        "peak_knee_flexion_stance_deg": _nanmax(
            knee_flexion_deg(stance["hip"], stance["knee"], stance["ankle"])
        ),
        "peak_thigh_extension_deg": _nanmax(_angle_from_up(thigh)),
        "trunk_lean_deg": float(_angle_from_up(shoulders - pelvis_mid)),
    }


def midstance_foot_angle(rf: RunnerFrame, foot: str, ic: float, to: float) -> float:
    """Median foot angle over 35-55 % of the contact (foot flat), degrees."""
    times = ic + np.linspace(0.35, 0.55, 5) * (to - ic)
    vals = np.array([foot_angle_deg(rf, foot, t) for t in times])
    return float(np.nanmedian(vals)) if np.isfinite(vals).any() else float("nan")


def vertical_oscillation(rf: RunnerFrame, t0: float, t1: float, leg_px: float) -> float:
    """Peak-to-peak height of the hip midpoint between two ICs, leg lengths."""
    left, right = rf.series("left_hip", t0, t1), rf.series("right_hip", t0, t1)
    up = (left[:, 1] + right[:, 1]) / 2
    if np.isfinite(up).sum() < 3:
        return float("nan")
    return float((np.nanmax(up) - np.nanmin(up)) / leg_px)
