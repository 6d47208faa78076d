"""A hand-built side-view treadmill runner whose contacts are known exactly.

The pelvis stays in place (treadmill, fixed camera). Each foot, in the image:

* **stance** (IC to TO): flat on the belt at ``GROUND_Y``, carried backward at the belt speed;
* **swing** (TO to the next IC): a cubic path back to the landing point, lifted by a half-sine
  arch, leaving with the belt's velocity and arriving still moving forward relative to the belt at
  half the running speed; at IC it stops dead on the belt, as a real foot does (the velocity
  discontinuity the detector looks for).

Knee and ankle follow from a two-link leg (thigh = shank) between the hip and the ankle, so the knee
is straightest when the foot is furthest from the hip: at toe-off, where the foot leaves the belt
furthest behind and starts to rise (fast enough that the hip-ankle distance shrinks at once).

The foot is furthest ahead of the hip shortly before it lands (:func:`foot_ahead_before_ic_s`),
as a real foot is (28 ms before force-plate contact in the mocap runners, which is what the
detector's ``ic_after_peak_s`` assumes): tests of IC timing on this runner check the detector's
rule (that point plus the delay), and the force plates check the delay.

The swing path keeps the heel going back for a while after toe-off, as in real running, but the
delay to its furthest-back point is the model's own (:func:`heel_back_after_to_s`, 66 ms; the
mocap runners' 92-98 ms is what the detector's ``to_offset_s`` assumes): tests of toe-off timing
on this runner check that the detector finds that point, and the force plates check the offset.
The runner faces image-right unless ``facing_left``; the camera sees the side it faces (a
runner facing image-right shows the right side, un-mirrored), so that leg is the near one
(visibility 0.95, the far leg 0.75).
"""

from __future__ import annotations

import numpy as np

from gait.skeleton import KEYPOINTS
from gait.track import PoseTrack, from_numpy

HIP = np.array([400.0, 300.0])
THIGH_PX = SHANK_PX = 130.0
GROUND_Y = 520.0
FOOT_PX = 55.0
BELT_PX_S = 700.0
LIFT_PX = 90.0
STRIDE_S = 0.72
CONTACT_S = 0.25
#: x of the heel at IC, ahead of the hip (px, in the running direction).
LAND_AHEAD_PX = 40.0


def true_events(duration_s: float, first_ic_s: float = 0.2) -> dict[str, dict[str, np.ndarray]]:
    """IC and TO times of both feet; the right foot half a stride after the left."""
    out = {}
    for foot, offset in (("L", 0.0), ("R", STRIDE_S / 2)):
        ic = np.arange(first_ic_s + offset - 2 * STRIDE_S, duration_s + 2 * STRIDE_S, STRIDE_S)
        out[foot] = {"IC": ic, "TO": ic + CONTACT_S}
    return out


def heel_back_after_to_s() -> float:
    """Time from toe-off to the heel's furthest-back point (relative to the hip) of the model."""
    t = np.arange(0.0, 2 * STRIDE_S, 1e-4)
    fwd = _heel_path(t, np.array([0.0]))[:, 0]
    swing = (t > CONTACT_S) & (t < STRIDE_S)
    return float(t[swing][np.nanargmin(fwd[swing])] - CONTACT_S)


def foot_ahead_before_ic_s() -> float:
    """Time from the foot's furthest point ahead of the hip to IC, of the model.

    The model's foot lands already moving back relative to the hip (at half the belt speed), so
    that point comes before IC; the detector's ``ic_after_peak_s`` is the force plates' delay
    (28 ms), not this model's.
    """
    t = np.arange(0.0, 2 * STRIDE_S, 1e-4)
    fwd = _heel_path(t, np.array([0.0]))[:, 0]
    swing = (t > CONTACT_S) & (t < STRIDE_S + 0.02)
    return float(STRIDE_S - t[swing][np.nanargmax(fwd[swing])])


def _heel_path(t: np.ndarray, ics: np.ndarray) -> np.ndarray:
    """Heel (forward, height) for every time, forward relative to the hip, height above ground."""
    fwd, up = np.full(len(t), np.nan), np.zeros(len(t))
    stance_back = BELT_PX_S * CONTACT_S
    swing = STRIDE_S - CONTACT_S
    v0, v1 = -BELT_PX_S, -BELT_PX_S + 0.5 * BELT_PX_S  # image velocity at TO and just before IC
    for ic in ics:
        st = (t >= ic) & (t < ic + CONTACT_S)
        fwd[st] = LAND_AHEAD_PX - BELT_PX_S * (t[st] - ic)
        sw = (t >= ic + CONTACT_S) & (t < ic + STRIDE_S)
        s = (t[sw] - ic - CONTACT_S) / swing
        p0, p1 = LAND_AHEAD_PX - stance_back, LAND_AHEAD_PX
        h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
        h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
        fwd[sw] = h00 * p0 + h10 * swing * v0 + h01 * p1 + h11 * swing * v1
        up[sw] = LIFT_PX * np.sin(np.pi * s)
    return np.stack([fwd, up], axis=1)


def _knee(hip: np.ndarray, ankle: np.ndarray, sign: float) -> np.ndarray:
    """Two-link knee position, bending forward (in the running direction)."""
    d = ankle - hip
    dist = np.clip(np.linalg.norm(d, axis=1), 1e-6, THIGH_PX + SHANK_PX - 1e-6)
    along = dist / 2
    perp = np.sqrt(THIGH_PX**2 - along**2)
    u = d / dist[:, None]
    n = np.stack([u[:, 1], -u[:, 0]], axis=1) * sign  # normal pointing forward
    n *= np.where(n[:, 0] * sign < 0, -1.0, 1.0)[:, None]
    return hip + u * along[:, None] + n * perp[:, None]


def make_treadmill_runner(
    *,
    fps: float = 120.0,
    duration_s: float = 6.0,
    facing_left: bool = False,
    noise_px: float = 0.0,
    seed: int = 0,
    overground: bool = False,
    roll_deg: float = 0.0,
) -> PoseTrack:
    """The runner of the module docstring as a pose track (image 800 x 600 px).

    ``overground``: the camera is fixed and the runner passes it at the belt speed (everything
    moves forward at ``BELT_PX_S``; the stance foot stands still), starting at the image's edge.
    ``roll_deg``: the camera is rolled (the image rotated counter-clockwise by this angle).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(round(duration_s * fps)) / fps
    sign = -1.0 if facing_left else 1.0
    pos = np.full((len(t), len(KEYPOINTS), 2), np.nan)
    k = {name: i for i, name in enumerate(KEYPOINTS)}
    events = true_events(duration_s)
    for foot, side in (("L", "left"), ("R", "right")):
        path = _heel_path(t, events[foot]["IC"])
        heel = np.stack([HIP[0] + sign * path[:, 0], GROUND_Y - path[:, 1]], axis=1)
        toe = heel + np.array([sign * FOOT_PX, 0.0])
        ankle = heel + np.array([sign * 12.0, -18.0])
        hip = np.tile(HIP, (len(t), 1))
        for name, p in (
            ("hip", hip),
            ("heel", heel),
            ("foot_index", toe),
            ("ankle", ankle),
            ("knee", _knee(hip, ankle, sign)),
        ):
            pos[:, k[f"{side}_{name}"]] = p
    for name, dy in (("shoulder", -220.0), ("ear", -300.0)):
        for side in ("left", "right"):
            pos[:, k[f"{side}_{name}"]] = HIP + np.array([sign * 15.0, dy])
    pos[:, k["nose"]] = HIP + np.array([sign * 35.0, -295.0])
    if overground:
        pos[..., 0] += sign * (BELT_PX_S * t[:, None] - BELT_PX_S * duration_s / 2)
    if roll_deg:
        c, s = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))
        dx, dy = pos[..., 0] - 400.0, pos[..., 1] - 300.0
        pos = np.stack([400.0 + c * dx + s * dy, 300.0 - s * dx + c * dy], axis=-1)
    pos += rng.normal(0.0, noise_px, pos.shape) if noise_px > 0 else 0.0
    conf = np.where(np.isfinite(pos[..., 0]), 0.95, np.nan)
    far = "right_" if facing_left else "left_"
    conf[:, [i for n, i in k.items() if n.startswith(far)]] = 0.75
    return from_numpy(pos, conf, t, image_size_px=(800, 600), fps=fps)
