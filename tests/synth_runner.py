"""Synthetic side-view treadmill runners for the tests: one module, two models, no inference.

Both models are :class:`gait.track.PoseTrack` objects built with :func:`gait.track.from_numpy`,
with every landmark of :data:`gait.skeleton.KEYPOINTS` placed by hand and deterministic for a given
``seed``. Pick the model by what the test needs to know exactly:

:func:`make_treadmill_runner` (the *contact-exact* runner)
    Feet that stand on the belt between known contacts (:func:`true_events`); for tests of the
    event detector, the leg-label repair, the view and anything timed against the true IC / TO.
:func:`make_swinging_runner` (the *swinging* runner)
    Legs swinging as sinusoids that cross twice per stride, optional irregular (variable frame
    rate) frame times, a 1280 x 720 image; for tests of the track stage (cleaning, swap repair,
    file round trips) that need leg crossings and frame timing rather than contact times.

:func:`swap_legs` exchanges the left and right leg landmarks of either model at given frames
(MediaPipe's label swaps), and :data:`KP` maps keypoint names to their index.

The contact-exact runner
------------------------
A hand-built side-view treadmill runner whose contacts are known exactly.

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

The swinging runner
-------------------
The hips stay in place (treadmill): each leg swings with the stride frequency, the right leg half a
cycle (pi) behind the left, so the legs cross twice per stride. Thigh and shank angles are
sinusoids with different phases, so knees, ankles, heels and toes cross at different moments, as
in real running. Everything else (head, arms, torso) sits at fixed offsets above the hips with a
small sway. The left leg has visibility 0.95, the right (far) leg 0.7.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gait.skeleton import KEYPOINTS, LEG_PARTS
from gait.track import PoseTrack, from_numpy

__all__ = [
    "KP",
    "STRIDE_S",
    "foot_ahead_before_ic_s",
    "heel_back_after_to_s",
    "make_swinging_runner",
    "make_treadmill_runner",
    "swap_legs",
    "true_events",
]

#: Index of each keypoint name in :data:`gait.skeleton.KEYPOINTS`.
KP = {name: i for i, name in enumerate(KEYPOINTS)}

# --- the contact-exact runner --------------------------------------------------------------

#: Geometry (image px) and timing (s) of the contact-exact runner.
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
    """The contact-exact runner (see the module docstring) as a pose track (image 800 x 600 px, wider overground).

    Parameters
    ----------
    fps
        Frame rate (Hz); frame times are exactly ``i / fps``.
    duration_s
        Length of the track (s); the true contacts are :func:`true_events` of this duration.
    facing_left
        The runner faces image-left (the camera sees, and is nearer, the left leg).
    noise_px
        SD of Gaussian noise added to every position (px).
    seed
        Seed of the noise.
    overground
        The camera is fixed and the runner passes it at the belt speed (everything moves forward
        at ``BELT_PX_S``; the stance foot stands still); the image is then as wide as his path
        (plus a leg length each side) so that he is inside it throughout.
    roll_deg
        The camera is rolled (the image rotated counter-clockwise by this angle, deg).
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
    size = (800, 600)
    if overground:  # a wide image around the whole path, as a panorama of the pass-by
        pad = 300.0
        pos[..., 0] += pad - np.nanmin(pos[..., 0])
        size = (int(np.ceil(np.nanmax(pos[..., 0]) + pad)), 600)
    conf = np.where(np.isfinite(pos[..., 0]), 0.95, np.nan)
    far = "right_" if facing_left else "left_"
    conf[:, [i for n, i in k.items() if n.startswith(far)]] = 0.75
    return from_numpy(pos, conf, t, image_size_px=size, fps=fps)


# --- the swinging runner -------------------------------------------------------------------

#: Thigh and shank of the swinging runner (px).
SWING_THIGH_PX, SWING_SHANK_PX = 180.0, 180.0


def _swing_rotate(vec: np.ndarray, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * vec[0] - s * vec[1], s * vec[0] + c * vec[1]], axis=-1)


def _swing_leg(hip: np.ndarray, theta: np.ndarray) -> dict[str, np.ndarray]:
    """Knee, ankle, heel and toe of one leg for stride phase ``theta`` (+x forward, +y down)."""
    thigh = 0.45 * np.sin(theta)
    shank = 0.55 * np.sin(theta - 0.9) - 0.25
    knee = hip + SWING_THIGH_PX * np.stack([np.sin(thigh), np.cos(thigh)], axis=-1)
    ankle = knee + SWING_SHANK_PX * np.stack([np.sin(shank), np.cos(shank)], axis=-1)
    foot = 0.3 * np.sin(theta - 1.5)
    heel = ankle + _swing_rotate(np.array([-22.0, 14.0]), foot)
    toe = ankle + _swing_rotate(np.array([48.0, 22.0]), foot)
    return {"knee": knee, "ankle": ankle, "heel": heel, "foot_index": toe}


def _swing_times(
    fps: float, duration_s: float, irregular: bool, rng: np.random.Generator
) -> np.ndarray:
    n = round(duration_s * fps)
    if not irregular:
        return np.arange(n) / fps
    return np.r_[0.0, np.cumsum(rng.uniform(0.6, 1.4, n - 1) / fps)]


def make_swinging_runner(
    *,
    fps: float = 30.0,
    duration_s: float = 4.0,
    stride_hz: float = 1.4,
    irregular: bool = False,
    noise_px: float = 0.0,
    seed: int = 0,
) -> PoseTrack:
    """The swinging runner (see the module docstring) as a pose track (image 1280 x 720 px).

    Parameters
    ----------
    fps
        Nominal frame rate (Hz).
    duration_s
        Length of the track (s).
    stride_hz
        Stride frequency (Hz); the legs cross twice per stride.
    irregular
        Frame intervals drawn uniformly in 0.6-1.4 frame periods (a variable-frame-rate phone clip)
        instead of exactly ``1 / fps``.
    noise_px
        SD of Gaussian noise added to every position (px).
    seed
        Seed of the noise, the irregular frame times and the head/arm/torso offsets.
    """
    rng = np.random.default_rng(seed)
    t = _swing_times(fps, duration_s, irregular, rng)
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
        for part, xy in _swing_leg(hip, omega * t + phase).items():
            pos[:, KP[f"{side}_{part}"]] = xy
            conf[:, KP[f"{side}_{part}"]] = 0.95 if side == "left" else 0.7
    pos = pos + rng.normal(0.0, noise_px, pos.shape) if noise_px > 0 else pos
    return from_numpy(pos, conf, t, image_size_px=(1280, 720), fps=fps, source_format="synthetic")


def swap_legs(track: PoseTrack, frames: Iterable[int]) -> PoseTrack:
    """A copy of ``track`` (any track) with left and right LEG_PARTS exchanged at the given rows."""
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
