"""Clips whose picture is turned without rotation metadata: find which way the runner is up, and fix it.

A portrait clip exported without its display matrix (or filmed with the phone on its side) shows the
runner lying on his side. MediaPipe still finds a (sideways) person in most frames, so nothing fails
loudly; the views, events and cadence that follow are wrong. Two cues tell it:

* **Landmarks of the first pass** (free): the body axis (hips -> shoulders and ankles -> hips) of a
  runner points up the image, within the forward lean of running (< 20 deg). When it points left,
  right or down in most frames, the picture is turned.
* **A probe** (about ``PROBE_FRAMES`` x 4 inferences): a few frames, turned by each candidate
  rotation, go through a fresh landmarker; the rotation giving the most confident upright poses
  wins. This also covers clips where nobody is found upright at all.

Rotations are **clockwise degrees applied to the displayed frame** (after any rotation metadata),
the convention of :attr:`gait.video.VideoMeta.rotation_deg`: a runner whose head points to the image
left is made upright by 90, one whose head points right by 270, an upside-down one by 180.
Image frame as in :mod:`gait.track._schema` (+x right, +y down).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from gait.errors import ConfigError, GaitError
from gait.skeleton import KEYPOINTS

if TYPE_CHECKING:
    from gait.track import PoseTrack
    from gait.video import VideoMeta

#: The rotations a clip may need (clockwise degrees).
ROTATIONS_DEG: tuple[int, ...] = (0, 90, 180, 270)
#: Where the head points -> clockwise rotation that makes the runner upright.
_FIX_DEG = {"up": 0, "left": 90, "down": 180, "right": 270}
_CV2_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
#: A clip is flagged when the body axis points one non-upright way in at least this share of the
#: frames with a usable axis (each way spans 90 deg, so a runner's lean of 5-20 deg stays "up").
#: Chosen a priori, not tuned: a majority well clear of the crouched start of a sprint (< 1 s).
TURNED_MIN_SHARE = 0.6
#: Fewest frames with a usable body axis for the landmark check to decide anything.
MIN_AXIS_FRAMES = 5
#: Frames decoded for the probe at each candidate rotation.
PROBE_FRAMES = 10
#: A probed rotation is accepted when at least this share of the probed frames give an upright pose.
PROBE_MIN_UPRIGHT_SHARE = 0.5

_SHOULDERS = ("left_shoulder", "right_shoulder")
_HIPS = ("left_hip", "right_hip")
_ANKLES = ("left_ankle", "right_ankle")


class RotatedClipError(GaitError, ValueError):
    """The runner lies sideways (or upside down) in the picture and the rotation could not be fixed."""


@dataclass(frozen=True)
class Orientation:
    """Which way the runner's head points in the image, read from the landmarks.

    Attributes
    ----------
    head
        ``"up"``, ``"left"``, ``"right"``, ``"down"`` (the majority way of the body axis) or
        ``"unknown"`` (fewer than :data:`MIN_AXIS_FRAMES` frames with a body axis).
    share
        Share of the frames with a body axis that point the ``head`` way.
    n_frames
        Frames with a usable body axis (shoulders or ankles, and hips, found).
    shares
        Share of frames for each of the four ways.
    """

    head: str
    share: float
    n_frames: int
    shares: dict[str, float] = field(default_factory=dict)

    @property
    def turned(self) -> bool:
        """True when the runner clearly does not stand upright in the picture."""
        return self.head in ("left", "right", "down") and self.share >= TURNED_MIN_SHARE

    @property
    def fix_deg(self) -> int | None:
        """Clockwise rotation that makes the runner upright (0 when upright), None when unknown."""
        return _FIX_DEG.get(self.head)

    def as_dict(self) -> dict:
        """JSON-safe summary, for a track attribute."""
        return {
            "head": self.head,
            "share": round(self.share, 3),
            "n_frames": self.n_frames,
            "shares": {k: round(v, 3) for k, v in self.shares.items()},
        }


def _mid(position_px: np.ndarray, names: tuple[str, str], keypoints: tuple[str, ...]) -> np.ndarray:
    idx = [keypoints.index(n) for n in names]
    return np.nanmean(position_px[:, idx, :], axis=1)


def body_axis(position_px: np.ndarray, keypoints: tuple[str, ...] = KEYPOINTS) -> np.ndarray:
    """Unit vector along the body, feet to head, in each frame.

    Parameters
    ----------
    position_px
        ``(n_frames, n_keypoints, 2)`` image positions, +y down; NaN where missing.
    keypoints
        Names of the keypoint axis (MediaPipe's 33 by default).

    Returns
    -------
    ``(n_frames, 2)`` unit vectors (x, y in image axes: a standing runner gives about (0, -1)); NaN
    where neither the hips -> shoulders nor the ankles -> hips segment is found.
    """
    pos = np.asarray(position_px, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pairs in frames without a pose
        hip = _mid(pos, _HIPS, keypoints)
        parts = [_mid(pos, _SHOULDERS, keypoints) - hip, hip - _mid(pos, _ANKLES, keypoints)]
        units = []
        for v in parts:
            norm = np.linalg.norm(v, axis=1, keepdims=True)
            units.append(np.where(norm > 0, v / np.where(norm > 0, norm, 1.0), np.nan))
        axis = np.nansum(units, axis=0)
        axis[np.isnan(units[0]).any(axis=1) & np.isnan(units[1]).any(axis=1)] = np.nan
        norm = np.linalg.norm(axis, axis=1, keepdims=True)
    return np.where(norm > 1e-9, axis / np.where(norm > 1e-9, norm, 1.0), np.nan)


def head_ways(axis: np.ndarray) -> np.ndarray:
    """Way each body axis points: ``"up"``, ``"left"``, ``"right"``, ``"down"`` or ``""`` (no axis)."""
    ax = np.asarray(axis, dtype=np.float64)
    x, y = ax[:, 0], ax[:, 1]
    out = np.full(len(ax), "", dtype=object)
    ok = np.isfinite(x) & np.isfinite(y)
    vertical = np.abs(y) >= np.abs(x)
    out[ok & vertical & (y < 0)] = "up"
    out[ok & vertical & (y >= 0)] = "down"
    out[ok & ~vertical & (x < 0)] = "left"
    out[ok & ~vertical & (x >= 0)] = "right"
    return out


def orientation_from_landmarks(position_px: np.ndarray, keypoints: tuple[str, ...] = KEYPOINTS) -> Orientation:
    """Which way the runner's head points over the frames of a clip.

    Parameters
    ----------
    position_px
        ``(n_frames, n_keypoints, 2)`` image positions, +y down; NaN where missing.
    keypoints
        Names of the keypoint axis.
    """
    ways = head_ways(body_axis(position_px, keypoints))
    ways = ways[ways != ""]
    n = len(ways)
    shares = {w: (float((ways == w).mean()) if n else 0.0) for w in _FIX_DEG}
    if n < MIN_AXIS_FRAMES:
        return Orientation("unknown", 0.0, n, shares)
    head = max(shares, key=lambda w: shares[w])
    return Orientation(head, shares[head], n, shares)


def track_orientation(track: PoseTrack) -> Orientation:
    """:func:`orientation_from_landmarks` of a pose track (detected frames only; no inference)."""
    names = tuple(str(k) for k in track["keypoint"].values)
    pos = track["position"].values
    if "detected" in track:
        pos = pos[track["detected"].values.astype(bool)]
    return orientation_from_landmarks(pos, names)


def rotate_frame(rgb: np.ndarray, rotate_deg: int) -> np.ndarray:
    """An image turned ``rotate_deg`` clockwise (0, 90, 180, 270), C-contiguous (for ``mp.Image``)."""
    if rotate_deg in _CV2_ROTATE:
        rgb = cv2.rotate(rgb, _CV2_ROTATE[rotate_deg])
    return np.ascontiguousarray(rgb)


def rotated_size(width_px: int, height_px: int, rotate_deg: int) -> tuple[int, int]:
    """(width, height) of a ``width_px`` x ``height_px`` image after turning it ``rotate_deg``."""
    return (height_px, width_px) if rotate_deg % 180 == 90 else (width_px, height_px)


def check_rotation(value: object) -> int | None:
    """``value`` as a rotation in :data:`ROTATIONS_DEG`, or None for automatic.

    ``value`` is an int, a string of one, ``"auto"`` or None; anything else is a one-sentence ConfigError.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if text not in {str(r) for r in ROTATIONS_DEG}:
        raise ConfigError(
            f"Rotation {value!r} is not one of 0, 90, 180, 270 (clockwise degrees) or 'auto'; pick one of those."
        )
    return int(text)


def _turn_words(fix_deg: int) -> tuple[str, str]:
    """(how the picture is turned, how to turn it back) for a clockwise fix."""
    return {
        90: ("turned 90 deg counter-clockwise", "rotated 90 deg clockwise"),
        180: ("upside down", "rotated 180 deg"),
        270: ("turned 90 deg clockwise", "rotated 90 deg counter-clockwise"),
    }[fix_deg]


def rotation_advice(name: str, orientation: Orientation) -> str:
    """One sentence: the runner is not upright in ``name``, and exactly which rotation to apply.

    ``orientation`` must be turned (:attr:`Orientation.turned`).
    """
    if not orientation.turned or orientation.fix_deg is None:
        raise ValueError(f"rotation_advice needs a turned orientation, got {orientation.head!r}")
    fix = orientation.fix_deg
    turned, back = _turn_words(fix)
    where = {"left": "the image left", "right": "the image right", "down": "the bottom of the image"}[
        orientation.head
    ]
    return (
        f"The runner in '{name}' {'is upside down' if fix == 180 else 'lies sideways'} (head toward {where} in "
        f"{orientation.share:.0%} of {orientation.n_frames} frames): the picture is {turned} and carries no "
        f"rotation metadata; re-export the clip {back}, or pass --rotate {fix}."
    )


@dataclass(frozen=True)
class ProbeScore:
    """How upright and confident the poses are in the probed frames at one rotation.

    Attributes
    ----------
    rotate_deg
        Clockwise rotation applied to the probed frames.
    n_probed
        Frames probed.
    n_detected
        Frames with a pose.
    n_upright
        Frames whose pose stands upright (body axis pointing up the image).
    mean_visibility
        Mean MediaPipe visibility of the shoulders, hips and ankles over the frames with a pose.
    """

    rotate_deg: int
    n_probed: int
    n_detected: int
    n_upright: int
    mean_visibility: float

    @property
    def accepted(self) -> bool:
        """True when at least :data:`PROBE_MIN_UPRIGHT_SHARE` of the probed frames are upright poses."""
        return self.n_probed > 0 and self.n_upright >= PROBE_MIN_UPRIGHT_SHARE * self.n_probed

    @property
    def rank(self) -> tuple[int, float]:
        return self.n_upright, self.mean_visibility if np.isfinite(self.mean_visibility) else 0.0


def score_poses(rotate_deg: int, image: np.ndarray, size_px: tuple[int, int]) -> ProbeScore:
    """Score one rotation from the poses found in its probed frames.

    Parameters
    ----------
    rotate_deg
        Rotation the frames were turned by.
    image
        ``(n_probed, 33, 3)`` normalised x, y and visibility of the first pose of each frame, NaN
        where nobody was found (the :meth:`gait.pose._mediapipe.Landmarker.detect` layout).
    size_px
        (width, height) of the turned frames, to measure the axis in pixels.
    """
    image = np.asarray(image, dtype=np.float64)
    found = np.isfinite(image[:, :, :2]).all(axis=(1, 2))
    pos = image[:, :, :2] * np.asarray(size_px, dtype=np.float64)
    ways = head_ways(body_axis(pos))
    idx = [KEYPOINTS.index(n) for n in _SHOULDERS + _HIPS + _ANKLES]
    vis = image[found][:, idx, 2]
    return ProbeScore(
        rotate_deg=rotate_deg,
        n_probed=len(image),
        n_detected=int(found.sum()),
        n_upright=int((found & (ways == "up")).sum()),
        mean_visibility=float(np.nanmean(vis)) if vis.size and np.isfinite(vis).any() else float("nan"),
    )


def probe_frames(n_frames: int, detected: np.ndarray | None = None, count: int = PROBE_FRAMES) -> np.ndarray:
    """Indices of ``count`` frames spread over a clip (over its frames with a pose, when known)."""
    pool = np.arange(n_frames)
    if detected is not None and np.asarray(detected).sum() >= count:
        pool = np.flatnonzero(np.asarray(detected))
    if len(pool) <= count:
        return pool
    return pool[np.linspace(0, len(pool) - 1, count).round().astype(int)]


def probe_rotations(
    meta: VideoMeta,
    model_path: Path,
    frames: np.ndarray,
    *,
    rotations: tuple[int, ...] = ROTATIONS_DEG,
    max_input_long_side_px: int | None = 1920,
    min_detection_confidence: float = 0.5,
    min_presence_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
) -> dict[int, ProbeScore]:
    """Run the pose model on a few frames turned by each candidate rotation.

    Parameters
    ----------
    meta
        The probed clip (:func:`gait.video.probe_video`).
    model_path
        A verified ``.task`` bundle.
    frames
        Decode indices to probe (see :func:`probe_frames`); each is decoded once.
    rotations
        Clockwise rotations to try.
    max_input_long_side_px, min_detection_confidence, min_presence_confidence, min_tracking_confidence
        As in :class:`gait.pose.PoseParams`.

    Returns
    -------
    The :class:`ProbeScore` of each rotation. One landmarker per rotation, closed after use.
    """
    from gait.pose._mediapipe import Landmarker, native_logs_silenced
    from gait.video import iter_frames

    rgbs = []
    for i in frames:
        frame = next(iter_frames(meta, start=int(i), stop=int(i) + 1, max_long_side_px=max_input_long_side_px), None)
        if frame is not None:
            rgbs.append(frame.rgb)
    scores: dict[int, ProbeScore] = {}
    for r in rotations:
        poses = np.full((len(rgbs), 33, 3), np.nan)
        with native_logs_silenced(), Landmarker(
            model_path,
            num_poses=1,
            min_detection_confidence=min_detection_confidence,
            min_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
        ) as landmarker:
            for k, rgb in enumerate(rgbs):
                img, _ = landmarker.detect(rotate_frame(rgb, r), 1000 * k)  # 1 s apart: no tracking carry-over
                poses[k] = img[0]
        scores[r] = score_poses(r, poses, rotated_size(meta.width_px, meta.height_px, r))
    return scores


def best_rotation(scores: dict[int, ProbeScore]) -> int | None:
    """The accepted rotation with the most upright poses (then the highest visibility), or None."""
    accepted = [s for s in scores.values() if s.accepted]
    if not accepted:
        return None
    return max(accepted, key=lambda s: (s.rank, s.rotate_deg == 0)).rotate_deg
