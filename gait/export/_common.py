"""What every export shares: the analysis it reads, the constant-rate time base, the Y-up frame.

Coordinates of every export: x to the right of the image, **y up** (the track's image y points
down, so ``y_up = image_height_px - y_px``: origin at the bottom-left corner of the displayed
frame), z = 0 (a single camera sees a plane); in pixels, or in metres when the runner's height is
known (side views only, see :func:`scale_m_per_px`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import xarray as xr

from gait.events import GaitEvents
from gait.metrics import GaitMetrics
from gait.report import GaitReport
from gait.track import PoseTrack

#: Stated in every file that can hold a description.
COORDINATES = (
    "x right, y up (image y flipped: y = image height - y_image), z = 0, origin bottom-left of "
    "the displayed frame; landmarks of the cleaned pose track"
)


class ExportSource(Protocol):
    """The parts of :class:`gait.pipeline.Analysis` the writers read (never modified)."""

    # read-only properties, so that frozen dataclasses (``Analysis``) satisfy the protocol

    @property
    def track(self) -> PoseTrack:
        """The raw pose track."""

    @property
    def cleaned(self) -> PoseTrack:
        """The cleaned pose track."""

    @property
    def events(self) -> GaitEvents:
        """The detected gait events."""

    @property
    def metrics(self) -> GaitMetrics:
        """The gait metrics."""

    @property
    def report(self) -> GaitReport:
        """The typed report."""


@dataclass(frozen=True, eq=False)
class Resampled:
    """Landmarks on a constant-rate time base.

    Attributes
    ----------
    time_s
        ``(m,)`` output times, ``t0 + k / rate_hz`` (t0 = the track's first frame time).
    rate_hz
        The constant rate.
    position_px
        ``(m, n_keypoints, 2)`` image pixels, +y **down** (as the track); NaN where a landmark is
        missing on either side of the output time.
    source_time_s, source_frame
        ``(m,)`` time and decode index of the track frame nearest each output time.
    keypoints
        Landmark names.
    resampled
        True when the track's frame times were not constant and were interpolated.
    """

    time_s: np.ndarray
    rate_hz: float
    position_px: np.ndarray
    source_time_s: np.ndarray
    source_frame: np.ndarray
    keypoints: tuple[str, ...]
    resampled: bool

    def as_track(self, like: PoseTrack) -> PoseTrack:
        """A minimal pose track (``position`` on time, keypoint, space) on this time base."""
        return xr.Dataset(
            {"position": (("time", "keypoint", "space"), self.position_px)},
            coords={"time": self.time_s, "keypoint": list(self.keypoints), "space": ["x", "y"]},
            attrs={**like.attrs, "fps": self.rate_hz},
        )


def is_constant_rate(time_s: np.ndarray, rate_hz: float, tol_frames: float = 0.01) -> bool:
    """Whether the frames are ``1 / rate_hz`` apart within ``tol_frames`` of a frame."""
    if len(time_s) < 2:
        return True
    return bool(np.max(np.abs(np.diff(time_s) * rate_hz - 1.0)) <= tol_frames)


def resample(track: PoseTrack, rate_hz: float | None = None) -> Resampled:
    """The track's landmarks at a constant rate, by linear interpolation between frames.

    Parameters
    ----------
    track
        A pose track (not modified).
    rate_hz
        Output rate; default the track's ``fps`` attribute. A constant-rate track at its own rate
        is returned sample for sample; a variable-frame-rate track (or another rate) is linearly
        interpolated between its two nearest frames (no landmark is made up across a missing one).
    """
    t = track["time"].values.astype(np.float64)
    rate = float(track.attrs["fps"] if rate_hz is None else rate_hz)
    if not (np.isfinite(rate) and rate > 0):
        raise ValueError(f"Expected a positive frame rate, got {rate!r}.")
    pos = track["position"].transpose("time", "keypoint", "space").values.astype(np.float64)
    frames = track["frame"].values if "frame" in track.coords else np.arange(len(t))
    names = tuple(map(str, track["keypoint"].values))
    if is_constant_rate(t, rate):
        grid = t[0] + np.arange(len(t)) / rate
        return Resampled(grid, rate, pos, t.copy(), np.asarray(frames).copy(), names, False)
    n = int(np.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    grid = t[0] + np.arange(n) / rate
    hi = np.clip(np.searchsorted(t, grid, side="left"), 1, len(t) - 1)
    lo = hi - 1
    w = (grid - t[lo]) / (t[hi] - t[lo])
    # an output time within a thousandth of a frame of a track frame takes that frame as it is
    w = np.where((grid - t[lo]) * rate < 1e-3, 0.0, np.where((t[hi] - grid) * rate < 1e-3, 1.0, w))
    w = w[:, None, None]
    a, b = pos[lo], pos[hi]
    with np.errstate(invalid="ignore"):
        out = np.where(w <= 0, a, np.where(w >= 1, b, a * (1 - w) + b * w))
    near = np.where(grid - t[lo] <= t[hi] - grid, lo, hi)
    return Resampled(grid, rate, out, t[near], np.asarray(frames)[near], names, True)


def leg_length_px(track: PoseTrack) -> float:
    """Median thigh + median shank length (hip-knee, knee-ankle) over both legs, pixels."""
    pos = track["position"].transpose("time", "keypoint", "space")
    total = []
    for side in ("left", "right"):
        hip, knee, ankle = (
            pos.sel(keypoint=f"{side}_{p}").values for p in ("hip", "knee", "ankle")
        )
        thigh, shank = np.linalg.norm(hip - knee, axis=1), np.linalg.norm(knee - ankle, axis=1)
        if np.isfinite(thigh).any() and np.isfinite(shank).any():
            total.append(np.nanmedian(thigh) + np.nanmedian(shank))
    return float(np.mean(total)) if total else float("nan")


def scale_m_per_px(analysis: ExportSource) -> float | None:
    """Metres per pixel when the runner's height is known and the view is a side view, else None.

    The leg (thigh + shank, :func:`leg_length_px`) is taken as the fraction of stature the
    metrics use for centimetres (``thigh_shank_fraction``, 0.491 by default, Winter 2009): the
    same scale as ``vertical_oscillation_cm``. It holds in the plane of the runner only.
    """
    config = analysis.report.provenance.config  # frozen JSON of AnalysisConfig.to_dict()
    height_cm = config.get("height_cm")
    if height_cm is None or analysis.events.view not in ("side_left", "side_right"):
        return None
    fraction = float(config.get("metrics", {}).get("thigh_shank_fraction", 0.491))
    leg = leg_length_px(analysis.cleaned)
    if not (np.isfinite(leg) and leg > 0):
        return None
    return fraction * float(height_cm) / 100.0 / leg


def y_up(position_px: np.ndarray, image_height_px: float, scale: float | None) -> np.ndarray:
    """``(..., 3)`` x, y up, z = 0 in px (``scale`` None) or metres (``scale`` m/px)."""
    s = 1.0 if scale is None else scale
    out = np.zeros((*position_px.shape[:-1], 3))
    out[..., 0] = position_px[..., 0] * s
    out[..., 1] = (float(image_height_px) - position_px[..., 1]) * s
    return out


def unit(scale: float | None) -> str:
    """``"px"`` or ``"m"``."""
    return "px" if scale is None else "m"
