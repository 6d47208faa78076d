"""A virtual pinhole camera that turns 3D joint centres into the pose track MediaPipe would give.

Views (lab frame x = running direction, y = up, z = runner's right; the camera's optical axis is
horizontal, and the image is not mirrored):

``side_left``
    Camera on the runner's **left**, looking along +z: it sees the left side, and the runner
    **faces image-left** (+x maps to -u). This matches a treadmill clip filmed from the left.
``side_right``
    Camera on the right, looking along -z; the runner faces image-right.
``rear``
    Camera behind the runner, looking along +x; the runner's right is on image-right.
``front``
    Camera in front, looking along -x; the runner's right is on image-left.

Placement: the optical axis passes through the mean hip midpoint (horizontally) at
``camera_height_m`` (default half the stature, so a standing body would be centred); ``distance_m``
from that point; principal point at the image centre; focal length by default such that the stature
fills :data:`FRAME_FILL` of the image height.

Sampling: frames at ``t0 + j / fps`` where ``t0 = start_s + phase`` and ``phase`` is drawn
uniformly in ``[0, 1/fps)`` from ``seed`` (a camera is not synchronised with the mocap). The 3D
trajectories are resampled with a cubic spline (also above the 150 Hz source rate); gaps longer
than ``max_gap_s`` stay NaN. The track's first frame is at time 0.

Noise model (ours): i.i.d. Gaussian per frame, keypoint and image axis with standard deviation
``noise_px``, by default :data:`NOISE_FRACTION` (0.9 %) of the stature in pixels. Source: our own
MediaPipe measurements in ``research/performance.md`` section 2c, on a runner ~350 px tall: VIDEO-
vs IMAGE-mode landmarks differ by 5.1 px median (a difference of two estimates; a 2D Rayleigh median
of 1.67 sigma gives sigma ~ 3.1 px per axis) and the median second-difference jitter is 5.4 px
(white noise gives 1.65 sigma, so sigma <= 3.3 px). Both are ~0.9 % of body height. Real
MediaPipe errors are also temporally correlated and include left/right swaps of the far leg;
neither is modelled.

Overground (``overground=True``): the RBDS trials are treadmill running; adding the belt speed times
the time to every point's forward (x) coordinate turns them into overground running at the same
speed (exact up to air resistance: the stance foot then rests on the lab floor). The runner is at
the treadmill position (``distance_m`` from the camera) at the first frame and then travels +x:
away from a ``rear`` camera (shrinking in the image), towards a ``front`` one (growing), across a
side one. The belt speed is :func:`estimate_belt_speed_m_s` unless given. The noise of each frame is then
scaled with the runner's apparent size (``distance_m`` over the hip midpoint's depth), with a floor
of :data:`MIN_NOISE_PX`, so it stays 0.9 % of the body height in the image.

Visibility: :data:`NEAR_VISIBILITY` for the camera-side leg and hip, :data:`FAR_VISIBILITY` for
the other side in side views, :data:`FRONTAL_VISIBILITY` for both sides in rear/front views; NaN
(and NaN positions) for keypoints the mocap cannot give (face, shoulders, arms: there are no trunk
or arm markers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.interpolate import CubicSpline

from gait.skeleton import KEYPOINTS
from gait.track import PoseTrack, from_numpy
from gait.validate.anatomy import HIP_HEIGHT_FRACTION

if TYPE_CHECKING:
    from collections.abc import Mapping

VIEWS: tuple[str, ...] = ("side_left", "side_right", "rear", "front")
NEAR_VISIBILITY = 0.95
FAR_VISIBILITY = 0.75
FRONTAL_VISIBILITY = 0.90
NOISE_FRACTION = 0.009
FRAME_FILL = 0.70
#: Smallest landmark noise SD per axis (px) of an overground clip whose runner has become small.
MIN_NOISE_PX = 1.0

#: Optical-axis direction (lab frame) and near side of each view.
_FORWARD = {
    "side_left": (0, 0, 1),
    "side_right": (0, 0, -1),
    "rear": (1, 0, 0),
    "front": (-1, 0, 0),
}
_NEAR = {"side_left": "left", "side_right": "right", "rear": None, "front": None}


@dataclass(frozen=True, eq=False)
class VirtualCamera:
    """A pinhole camera in the lab frame.

    Attributes
    ----------
    view
        One of :data:`VIEWS`.
    position_m
        ``(3,)`` optical centre in the lab frame.
    rotation
        ``(3, 3)`` rows = camera axes in lab coordinates: x (image right), y (image down),
        z (forward).
    focal_px
        Focal length in pixels (square pixels).
    image_size_px
        ``(width, height)``.
    """

    view: str
    position_m: np.ndarray
    rotation: np.ndarray
    focal_px: float
    image_size_px: tuple[int, int]

    def project(self, points_m: np.ndarray) -> np.ndarray:
        """Project lab points ``(..., 3)`` to pixels ``(..., 2)`` (+y down); NaN behind it."""
        cam = (np.asarray(points_m) - self.position_m) @ self.rotation.T
        depth = np.where(cam[..., 2] > 1e-6, cam[..., 2], np.nan)
        centre = np.array(self.image_size_px, dtype=float) / 2
        return centre + self.focal_px * cam[..., :2] / depth[..., None]


def make_camera(
    view: str,
    *,
    target_m: np.ndarray,
    distance_m: float,
    focal_px: float,
    image_size_px: tuple[int, int],
) -> VirtualCamera:
    """Place a camera ``distance_m`` from ``target_m``, its horizontal optical axis through it."""
    if view not in VIEWS:
        raise ValueError(f"Expected view in {VIEWS}, got {view!r}.")
    if distance_m <= 0 or focal_px <= 0:
        raise ValueError(
            f"Expected positive distance and focal length, got {distance_m}, {focal_px}."
        )
    fwd = np.array(_FORWARD[view], dtype=float)
    down = np.array([0.0, -1.0, 0.0])
    right = np.cross(down, fwd)
    return VirtualCamera(
        view=view,
        position_m=np.asarray(target_m, dtype=float) - distance_m * fwd,
        rotation=np.stack([right, down, fwd]),
        focal_px=float(focal_px),
        image_size_px=(int(image_size_px[0]), int(image_size_px[1])),
    )


def resample_cubic(
    time_s: np.ndarray, values: np.ndarray, new_time_s: np.ndarray, *, max_gap_s: float = 0.05
) -> np.ndarray:
    """Cubic-spline resampling of ``(n, d)`` values; NaN inside longer gaps and outside the data.

    Parameters
    ----------
    time_s
        ``(n,)`` source times.
    values
        ``(n, d)``; a row with any NaN is a gap.
    new_time_s
        Times to evaluate.
    max_gap_s
        Gaps up to this long are bridged by the spline.
    """
    finite = np.isfinite(values).all(axis=1)
    out = np.full((len(new_time_s), values.shape[1]), np.nan)
    if finite.sum() < 4:
        return out
    spline = CubicSpline(time_s[finite], values[finite], axis=0)
    fillable = finite.copy()
    edges = np.flatnonzero(np.diff(np.r_[0, (~finite).astype(int), 0]))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        inner = a > 0 and b < len(finite)
        if inner and time_s[b] - time_s[a - 1] <= max_gap_s + (time_s[1] - time_s[0]):
            fillable[a:b] = True
    pos = np.interp(new_time_s, time_s, np.arange(len(time_s)))
    ok = fillable[np.floor(pos).astype(int)] & fillable[np.ceil(pos).astype(int)]
    ok &= (new_time_s >= time_s[0]) & (new_time_s <= time_s[-1])
    out[ok] = spline(new_time_s[ok])
    return out


@dataclass(frozen=True, eq=False)
class CameraClip:
    """What :func:`project_to_camera` returns.

    Attributes
    ----------
    track
        The pose track (noisy landmarks), first frame at time 0.
    camera
        The virtual camera.
    time_offset_s
        Source time of the track's first frame.
    points_m
        Point name -> ``(n_frames, 3)`` noise-free resampled 3D positions (lab frame).
    position_true_px
        ``(n_frames, 33, 2)`` noise-free projection.
    noise_px
        Standard deviation of the added noise per axis.
    """

    track: PoseTrack
    camera: VirtualCamera
    time_offset_s: float
    points_m: Mapping[str, np.ndarray]
    position_true_px: np.ndarray
    noise_px: float


def estimate_stature_m(points_m: Mapping[str, np.ndarray]) -> float:
    """Rough stature from a running trial: median hip height above the lowest heel / 0.53."""
    hip_y = (points_m["left_hip"][:, 1] + points_m["right_hip"][:, 1]) / 2
    floor = np.nanmin(np.r_[points_m["left_heel"][:, 1], points_m["right_heel"][:, 1]])
    return float((np.nanmedian(hip_y) - floor) / HIP_HEIGHT_FRACTION)


def estimate_belt_speed_m_s(points_m: Mapping[str, np.ndarray], time_s: np.ndarray) -> float:
    """Treadmill belt speed of a trial: the median backward speed of the lower heel, m/s.

    In each frame the heel nearer the floor belongs to the stance foot (or, in flight, to the foot
    about to land); its forward velocity is minus the belt speed during stance. Frames where that
    heel is more than 3 cm above the trial's lowest heel level are left out (flight, swing).
    """
    time_s = np.asarray(time_s, dtype=float)
    heels = [np.asarray(points_m[f"{s}_heel"], dtype=float) for s in ("left", "right")]
    low = np.where(heels[0][:, 1] <= heels[1][:, 1], 0, 1)
    rows = np.arange(len(time_s))
    x = np.where(low == 0, heels[0][:, 0], heels[1][:, 0])
    y = np.where(low == 0, heels[0][:, 1], heels[1][:, 1])
    vx = np.gradient(x, time_s)
    same = np.r_[low[1:] == low[:-1], True] & np.r_[True, low[1:] == low[:-1]]
    floor = np.nanpercentile(y, 5)
    ok = same & np.isfinite(vx) & (y <= floor + 0.03) & (rows > 0) & (rows < len(rows) - 1)
    if ok.sum() < 10:
        raise ValueError(
            "Expected a treadmill trial with heel contacts to estimate the belt speed; "
            "give belt_speed_m_s instead."
        )
    return float(-np.median(vx[ok]))


def _sample_times(
    time_s: np.ndarray, fps: float, start_s: float, duration_s: float | None, phase_s: float
) -> np.ndarray:
    """Frame times in the source base."""
    if fps <= 0:
        raise ValueError(f"Expected a positive fps, got {fps}.")
    t0 = float(time_s[0]) + start_s + phase_s
    t_end = float(time_s[-1])
    if duration_s is not None:
        t_end = min(t_end, float(time_s[0]) + start_s + duration_s)
    n = int(np.floor((t_end - t0) * fps + 1e-9)) + 1
    if n < 2:
        raise ValueError(f"Expected a window of at least two frames, got start {start_s} s.")
    return t0 + np.arange(n) / fps


def project_to_camera(
    points_m: Mapping[str, np.ndarray],
    time_s: np.ndarray,
    *,
    view: str = "side_left",
    fps: float = 60.0,
    image_size_px: tuple[int, int] = (1280, 720),
    distance_m: float = 3.0,
    focal_px: float | None = None,
    camera_height_m: float | None = None,
    stature_m: float | None = None,
    noise_px: float | None = None,
    seed: int = 0,
    start_s: float = 0.0,
    duration_s: float | None = None,
    overground: bool = False,
    belt_speed_m_s: float | None = None,
    **attrs: Any,
) -> CameraClip:
    """Film 3D joint centres with a virtual camera and return a MediaPipe-like pose track.

    Parameters
    ----------
    points_m
        Point name -> ``(n, 3)`` lab-frame positions in metres (x forward, y up, z right). Names in
        :data:`gait.skeleton.KEYPOINTS` become landmarks; needs ``left_hip``/``right_hip`` and
        the heels.
    time_s
        ``(n,)`` source times, uniformly sampled.
    view
        One of :data:`VIEWS` (module docstring).
    fps
        Camera frame rate; any value (e.g. 30, 60, 120, 240).
    image_size_px
        ``(width, height)``; ``(720, 1280)`` for portrait.
    distance_m
        Distance from the optical centre to the mean hip midpoint along the optical axis.
    focal_px
        Focal length; default: the stature fills :data:`FRAME_FILL` of the image height.
    camera_height_m
        Optical-centre height above the lab floor; default half the stature.
    stature_m
        Runner's height with shoes; default :func:`estimate_stature_m`.
    noise_px
        Landmark noise standard deviation per axis; default :data:`NOISE_FRACTION` of the stature
        in pixels. ``0`` gives exact projections.
    seed
        Seeds the sub-frame phase and the noise.
    start_s, duration_s
        Window of the source to film (source time relative to its first frame).
    overground
        Add the belt speed times the time (from the first frame) to every point's forward
        coordinate: overground running, away from a rear camera, towards a front one (module
        docstring). The noise then scales with the runner's apparent size per frame.
    belt_speed_m_s
        The treadmill speed for ``overground``; default :func:`estimate_belt_speed_m_s` of the points.
    **attrs
        Extra track attributes (e.g. ``trial``).

    Returns
    -------
    CameraClip
    """
    rng = np.random.default_rng(seed)
    time_s = np.asarray(time_s, dtype=float)
    t_out = _sample_times(time_s, fps, start_s, duration_s, rng.uniform(0.0, 1.0 / fps))
    pts = {
        k: resample_cubic(time_s, np.asarray(v, dtype=float), t_out) for k, v in points_m.items()
    }
    speed = 0.0
    if overground:
        speed = (
            estimate_belt_speed_m_s(points_m, time_s) if belt_speed_m_s is None else belt_speed_m_s
        )
        if not (np.isfinite(speed) and speed > 0):
            raise ValueError(f"Expected a positive belt speed for overground, got {speed!r} m/s.")
        shift = np.zeros((len(t_out), 3))
        shift[:, 0] = speed * (t_out - t_out[0])
        pts = {k: v + shift for k, v in pts.items()}
    stature = estimate_stature_m(points_m) if stature_m is None else float(stature_m)
    mid = (np.asarray(points_m["left_hip"]) + np.asarray(points_m["right_hip"])) / 2
    target = np.nanmean(mid, axis=0)
    target[1] = stature / 2 if camera_height_m is None else camera_height_m
    focal = FRAME_FILL * image_size_px[1] * distance_m / stature if focal_px is None else focal_px
    camera = make_camera(
        view, target_m=target, distance_m=distance_m, focal_px=focal, image_size_px=image_size_px
    )
    true_px = np.full((len(t_out), len(KEYPOINTS), 2), np.nan)
    for j, name in enumerate(KEYPOINTS):
        if name in pts:
            true_px[:, j] = camera.project(pts[name])
    sigma = NOISE_FRACTION * stature * focal / distance_m if noise_px is None else float(noise_px)
    scale = np.ones(len(t_out))
    if overground:
        hip_mid = (pts["left_hip"] + pts["right_hip"]) / 2
        depth = (hip_mid - camera.position_m) @ camera.rotation[2]
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(depth > 0, distance_m / depth, np.nan)
        scale = np.maximum(scale, MIN_NOISE_PX / sigma) if sigma > 0 else scale
    noisy = true_px + rng.normal(0.0, 1.0, true_px.shape) * sigma * scale[:, None, None]
    conf = np.where(np.isfinite(true_px).all(axis=2), _visibility(view)[None, :], np.nan)
    info = {
        "view": view,
        "fps": fps,
        "distance_m": distance_m,
        "focal_px": focal,
        "position_m": camera.position_m.round(4).tolist(),
        "stature_m": stature,
        "noise_px": sigma,
        "time_offset_s": float(t_out[0]),
        "seed": seed,
        "overground_speed_m_s": float(speed),
    }
    track = from_numpy(
        noisy,
        conf,
        t_out - t_out[0],
        image_size_px=image_size_px,
        fps=fps,
        source_format="mocap",
        view=view,
        synthetic_camera=json.dumps(info),
        **attrs,
    )
    return CameraClip(
        track=track,
        camera=camera,
        time_offset_s=float(t_out[0]),
        points_m=pts,
        position_true_px=true_px,
        noise_px=sigma,
    )


def _visibility(view: str) -> np.ndarray:
    """Per-keypoint visibility for a view (NaN-free; masked by availability later)."""
    near = _NEAR[view]
    vis = np.full(len(KEYPOINTS), FRONTAL_VISIBILITY)
    if near is not None:
        vis = np.array(
            [NEAR_VISIBILITY if k.startswith(near) else FAR_VISIBILITY for k in KEYPOINTS]
        )
    return vis
