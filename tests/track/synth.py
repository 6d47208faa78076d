"""Synthetic pose tracks for the track-stage tests.

``make_runner`` builds a runner seen from the side on a treadmill (the hips stay in place): each leg
swings with the stride frequency, the right leg half a cycle (pi) behind the left, so the legs cross
twice per stride. Thigh and shank angles are sinusoids with different phases, so knees, ankles,
heels and toes cross at different moments, as in real running. Everything else (head, arms, torso)
sits at fixed offsets above the hips with a small sway.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gait.skeleton import KEYPOINTS, LEG_PARTS
from gait.track import PoseTrack, from_numpy

KP = {name: i for i, name in enumerate(KEYPOINTS)}
THIGH_PX, SHANK_PX = 180.0, 180.0


def _rotate(vec: np.ndarray, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * vec[0] - s * vec[1], s * vec[0] + c * vec[1]], axis=-1)


def _leg(hip: np.ndarray, theta: np.ndarray) -> dict[str, np.ndarray]:
    """Knee, ankle, heel and toe of one leg for stride phase ``theta`` (+x forward, +y down)."""
    thigh = 0.45 * np.sin(theta)
    shank = 0.55 * np.sin(theta - 0.9) - 0.25
    knee = hip + THIGH_PX * np.stack([np.sin(thigh), np.cos(thigh)], axis=-1)
    ankle = knee + SHANK_PX * np.stack([np.sin(shank), np.cos(shank)], axis=-1)
    foot = 0.3 * np.sin(theta - 1.5)
    heel = ankle + _rotate(np.array([-22.0, 14.0]), foot)
    toe = ankle + _rotate(np.array([48.0, 22.0]), foot)
    return {"knee": knee, "ankle": ankle, "heel": heel, "foot_index": toe}


def _times(fps: float, duration_s: float, irregular: bool, rng: np.random.Generator) -> np.ndarray:
    n = round(duration_s * fps)
    if not irregular:
        return np.arange(n) / fps
    return np.r_[0.0, np.cumsum(rng.uniform(0.6, 1.4, n - 1) / fps)]


def make_runner(
    *,
    fps: float = 30.0,
    duration_s: float = 4.0,
    stride_hz: float = 1.4,
    irregular: bool = False,
    noise_px: float = 0.0,
    seed: int = 0,
) -> PoseTrack:
    """A synthetic side-view treadmill runner (see the module docstring)."""
    rng = np.random.default_rng(seed)
    t = _times(fps, duration_s, irregular, rng)
    n = len(t)
    omega = 2 * np.pi * stride_hz
    hip = np.stack([np.full(n, 640.0), 300.0 + 8.0 * np.cos(2 * omega * t)], axis=-1)
    pos = np.empty((n, len(KEYPOINTS), 2))
    offsets = rng.uniform([-40.0, -290.0], [40.0, -60.0], size=(len(KEYPOINTS), 2))
    for j in range(len(KEYPOINTS)):
        sway = 6.0 * np.sin(omega * t + j)
        pos[:, j] = hip + offsets[j] + np.stack([sway, 0.3 * sway], axis=-1)
    conf = np.full((n, len(KEYPOINTS)), 0.95)
    for side, phase, shift in (("left", 0.0, -3.0), ("right", np.pi, 3.0)):
        pos[:, KP[f"{side}_hip"]] = hip + np.array([shift, 0.0])
        for part, xy in _leg(hip, omega * t + phase).items():
            pos[:, KP[f"{side}_{part}"]] = xy
            conf[:, KP[f"{side}_{part}"]] = 0.95 if side == "left" else 0.7
    pos = pos + rng.normal(0.0, noise_px, pos.shape) if noise_px > 0 else pos
    return from_numpy(pos, conf, t, image_size_px=(1280, 720), fps=fps, source_format="synthetic")


def swap_legs(track: PoseTrack, frames: Iterable[int]) -> PoseTrack:
    """A copy of ``track`` with the left and right LEG_PARTS exchanged at the given row indices."""
    rows = np.asarray(sorted(set(frames)), dtype=int)
    pos = track["position"].values.copy()
    conf = track["confidence"].values.copy()
    for part in LEG_PARTS:
        i, j = KP[f"left_{part}"], KP[f"right_{part}"]
        for arr in (pos, conf):
            arr[rows, i], arr[rows, j] = arr[rows, j].copy(), arr[rows, i].copy()
    return track.assign(
        position=track["position"].copy(data=pos), confidence=track["confidence"].copy(data=conf)
    )
