"""Per-foot signals in the runner's frame, from a pose track.

Runner frame: ``forward = sign * x`` (sign +1 when the runner faces image-right, -1 when
image-left) and ``up = -y`` (the image y axis points down). Positions are divided by the side's
leg length (median thigh + shank length in px), so signals are comparable between clips and
between the near and the (perspective-smaller) far leg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gait.skeleton import SIDES
from gait.track import PoseTrack

#: Degrees of knee angle per unit of the knee channel (so that it weighs like a position in leg
#: lengths: 10 deg ~ 0.17 leg lengths, about what the foot moves in 20 ms at mid-swing).
KNEE_SCALE_DEG = 60.0


def xy(track: PoseTrack, name: str) -> np.ndarray:
    """``(n_frames, 2)`` float64 image positions of a keypoint (NaN where missing)."""
    return track["position"].sel(keypoint=name).transpose("time", "space").values.astype(np.float64)


def angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC in degrees for ``(n, 2)`` points (NaN where any is missing)."""
    u, v = a - b, c - b
    den = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=1) / den
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


@dataclass(frozen=True, eq=False)
class FootSignals:
    """Signals of one leg.

    Attributes
    ----------
    foot
        ``"L"`` or ``"R"``.
    leg_px
        Median thigh + shank length in px (the normalisation).
    heel_fwd, toe_fwd
        Heel and foot-index forward position relative to the hip midpoint, leg lengths.
    heel_up, toe_up
        Heel and foot-index height (``-y``), leg lengths (absolute, not relative to the pelvis).
    mid_abs_fwd
        Forward position of the heel/foot-index midpoint in the image (not relative to the
        pelvis), leg lengths.
    knee_deg
        Knee angle hip-knee-ankle in degrees (180 = straight).
    visibility
        Mean MediaPipe visibility of knee, ankle, heel and foot index per frame.
    """

    foot: str
    leg_px: float
    heel_fwd: np.ndarray
    toe_fwd: np.ndarray
    heel_up: np.ndarray
    toe_up: np.ndarray
    mid_abs_fwd: np.ndarray
    knee_deg: np.ndarray
    visibility: np.ndarray

    @property
    def mid_fwd(self) -> np.ndarray:
        """Heel/foot-index midpoint forward of the pelvis, leg lengths (the cycle signal)."""
        return (self.heel_fwd + self.toe_fwd) / 2

    def channels(self) -> np.ndarray:
        """``(n, 5)`` alignment channels: heel/toe forward, heel/toe up, knee angle (scaled)."""
        return np.stack(
            [
                self.heel_fwd,
                self.toe_fwd,
                self.heel_up,
                self.toe_up,
                self.knee_deg / KNEE_SCALE_DEG,
            ],
            axis=1,
        )


@dataclass(frozen=True, eq=False)
class RunnerSignals:
    """Both legs plus the pelvis.

    Attributes
    ----------
    time_s
        Track times.
    frame
        Track ``frame`` coordinate (0-based decode index).
    sign
        +1 runner faces image-right, -1 image-left.
    feet
        ``{"L": FootSignals, "R": FootSignals}``.
    pelvis_speed_px_s
        Median forward speed of the hip midpoint in the image, px/s (~0 on a treadmill with a
        fixed camera, the running speed overground).
    """

    time_s: np.ndarray
    frame: np.ndarray
    sign: float
    feet: dict[str, FootSignals]
    pelvis_speed_px_s: float


def _leg_length(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> float:
    thigh = np.linalg.norm(hip - knee, axis=1)
    shank = np.linalg.norm(knee - ankle, axis=1)
    if not (np.isfinite(thigh).any() and np.isfinite(shank).any()):
        return float("nan")
    return float(np.nanmedian(thigh) + np.nanmedian(shank))


def runner_signals(track: PoseTrack, sign: float) -> RunnerSignals:
    """Extract :class:`RunnerSignals` from a (cleaned) track, for a runner facing ``sign``."""
    t = track["time"].values.astype(np.float64)
    pelvis = (xy(track, "left_hip") + xy(track, "right_hip")) / 2
    feet = {}
    for foot, side in SIDES:
        hip, knee, ankle = (xy(track, f"{side}_{p}") for p in ("hip", "knee", "ankle"))
        heel, toe = xy(track, f"{side}_heel"), xy(track, f"{side}_foot_index")
        leg = _leg_length(hip, knee, ankle)
        names = [f"{side}_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
        vis = track["confidence"].sel(keypoint=names).values.astype(np.float64)
        seen = np.isfinite(vis)
        n_seen = seen.sum(axis=1)  # frames without the runner have none: NaN, not a warning
        vis_mean = np.where(
            n_seen > 0, np.where(seen, vis, 0.0).sum(axis=1) / np.maximum(n_seen, 1), np.nan
        )
        feet[foot] = FootSignals(
            foot=foot,
            leg_px=leg,
            heel_fwd=sign * (heel[:, 0] - pelvis[:, 0]) / leg,
            toe_fwd=sign * (toe[:, 0] - pelvis[:, 0]) / leg,
            heel_up=-heel[:, 1] / leg,
            toe_up=-toe[:, 1] / leg,
            mid_abs_fwd=sign * (heel[:, 0] + toe[:, 0]) / 2 / leg,
            knee_deg=angle_deg(hip, knee, ankle),
            visibility=vis_mean,
        )
    fwd = sign * pelvis[:, 0]
    ok = np.isfinite(fwd)
    speed = 0.0
    if ok.sum() >= 3:
        speed = float(np.median(np.gradient(fwd[ok], t[ok])))
    return RunnerSignals(
        time_s=t,
        frame=track["frame"].values.astype(np.int64)
        if "frame" in track.coords
        else np.arange(len(t)),
        sign=sign,
        feet=feet,
        pelvis_speed_px_s=speed,
    )
