"""Overground pass-bys on the mocap harness: the runner crosses a static virtual side camera.

The RBDS trials are treadmill running: the pelvis stays in place and the stance foot moves back
with the belt at the trial speed. Adding the trial speed to every point's forward (lab x)
coordinate turns a trial into overground running at that speed: the stance foot then stands
still on the lab floor and the whole body crosses a static camera, as in a pass-by filmed by a
phone on a wall. The force-plate contacts are unchanged (the added motion is uniform).

:func:`film_passby` films such a pass-by: a window of ``lead_s + in_view_s + tail_s`` seconds in
which the runner's hip midpoint is inside the image for ``in_view_s`` (the camera's field at the
runner's depth is ``speed * in_view_s`` wide), with MediaPipe-like errors
(:mod:`gait.validate.errors`). What the image does not show is removed as a pose estimator would:
a keypoint outside the image has no position and no confidence, and a frame whose hip midpoint
is outside the image has no landmarks at all (no person detected). So the clip starts and ends
with empty frames and the runner enters and leaves the frame.

:func:`run_passby_once` scores the detector on one such clip exactly as
:func:`gait.validate.harness.run_once` does, on the contacts whose IC falls while the runner is
in view (with the foot inside the image).

*Foot slide* (``slide_hz`` > 0; off by default): MediaPipe's foot landmarks do not stop where the
foot lands; they carry on forward, stop late and settle back, and their heel and ankle reach the
stance height late too. Measured on the sample treadmill clip (``tests/benchmarks/foot_lag.py``:
the near foot's 16 hand-annotated contacts with a full window, made ground-relative with the belt
speed, the heel's mid-stance speed): the median forward velocity over the 15 frames around contact
is the RBDS mocap foot's (force-plate contacts, ground-relative) through a causal second-order
low-pass, damping 0.75, natural frequency 6 Hz for the heel, 5.5 Hz for the ankle (squared error
0.19 and 0.16 (speed units)^2, against 2.6 and 2.3 unfiltered and 0.42 and 0.29 for the best
one-pole; the toe fits less well, 4 Hz, 1.25 against 5.3). The filter also reproduces the heel's
and ankle's late vertical arrival (at stance height 2-3 frames after the annotation, the mocap
heel 0-1). :func:`slide_feet` applies it (:data:`SLIDE_DAMPING`; ``slide_hz`` its natural
frequency, :data:`SLIDE_TREADMILL_HZ` = 5.5 Hz the treadmill clip's, about 43 ms of delay; lower
is a longer slide) to both legs' ankle, heel and foot-index image positions (ground-relative for a
static camera), before MediaPipe-like noise and label episodes are added. The treadmill clip is
the only real clip with hand-annotated contacts we may tune on; the held-out real pass-by
(SOURCES.md section 6) was not used for it.

A *following* camera (``camera="follow"``) stands where the static one does but turns to keep the
runner in the middle of the image, as a friend filming him would: its aim is the runner's hip
midpoint smoothed over :data:`FOLLOW_SMOOTH_S` and late by :data:`FOLLOW_LAG_S`, plus a hand's
wobble (:data:`FOLLOW_WOBBLE_FRACTION` of the image at about 1 Hz across, half that up and
down). Every point of the static camera's image is shifted by that known per-frame pan
(``PassBy.pan_px``), so the runner stays near the centre for the whole window while the
"background" (the ground) moves through the image. :meth:`PassBy.camera_motion` gives the known
pan in the form :func:`gait.track._ground_frame.to_ground_frame` reads (what
:func:`gait.video._egomotion.estimate_camera_motion` measures on a real video), which turns the
track back into ground-relative pixels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from gait.errors import ConfigError
from gait.events import EventParams, detect_events
from gait.metrics import MetricParams, compute_metrics
from gait.skeleton import KEYPOINTS
from gait.track import CleanParams, PoseTrack, clean_track, clip_view
from gait.track._ground_frame import to_ground_frame
from gait.validate.camera import CameraClip, project_to_camera
from gait.validate.errors import PoseErrorModel, apply_pose_errors
from gait.validate.harness import RunResult, _score_contacts, _score_events
from gait.validate.mocap import MocapTrial
from gait.validate.truth import GroundTruth, cadence_spm

#: Horizontal field of view of the virtual phone camera, degrees: a phone's main camera (26 mm
#: equivalent) sees about 70 deg across a landscape image.
FOV_DEG = 70.0
#: Extra source time around the filmed window (cubic resampling needs neighbours), seconds.
MARGIN_S = 0.2
#: A following camera's aim: the hip midpoint smoothed (Gaussian SD, s) and late by a reaction time
#: (s); the hand's wobble has this amplitude (fraction of the image width) at about 1 Hz.
FOLLOW_SMOOTH_S = 0.15
FOLLOW_LAG_S = 0.1
FOLLOW_WOBBLE_FRACTION = 0.02
CAMERAS = ("static", "follow")
#: Damping ratio of the foot-slide low-pass (module docstring, "Foot slide"; treadmill clip: 0.75).
SLIDE_DAMPING = 0.75
#: The foot-slide natural frequency measured on the sample treadmill clip, Hz (heel 6, ankle 5.5).
SLIDE_TREADMILL_HZ = 5.5
_FOOT_POINTS = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("ankle", "heel", "foot_index"))


def trial_speed_m_s(trial: MocapTrial) -> float:
    """Treadmill speed of a trial, m/s: from its id (``..._runT25`` = 2.5 m/s), else measured.

    The measurement is the median backward velocity of both heels over the middle of each
    force-plate stance (30-60 % of the contact), where the heel moves with the belt.
    """
    m = re.search(r"runT(\d+)", trial.trial_id)
    if m:
        return int(m.group(1)) / 10.0
    t = trial.time_s
    vel = []
    for row in trial.contacts.itertuples(index=False):
        side = {"L": "left", "R": "right"}[row.foot]
        heel = np.asarray(trial.landmarks_m[f"{side}_heel"])[:, 0]
        a = row.ic_time_s + 0.3 * (row.to_time_s - row.ic_time_s)
        b = row.ic_time_s + 0.6 * (row.to_time_s - row.ic_time_s)
        sel = (t >= a) & (t <= b) & np.isfinite(heel)
        if sel.sum() >= 3:
            vel.append(-np.polyfit(t[sel], heel[sel], 1)[0])
    if not vel:
        raise ConfigError(
            f"Expected force-plate contacts in trial {trial.trial_id!r} to measure its speed."
        )
    return float(np.median(vel))


@dataclass(frozen=True, eq=False)
class PassBy:
    """One filmed pass-by: the track, its truth, and where the runner is in view.

    ``in_view`` is the bool per-frame mask of frames with the hip midpoint inside the image;
    ``speed_m_s`` the running speed; ``field_m`` the camera's field width at the runner's depth.
    """

    track: PoseTrack
    truth: GroundTruth
    in_view: np.ndarray
    speed_m_s: float
    field_m: float
    pan_px: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    """``(n_frames, 2)`` where a following camera looks, relative to the static one (image px at
    the runner's depth, +x right, +y down); zeros for a static camera (module docstring)."""
    camera: str = "static"

    def camera_motion(self) -> dict[str, Any]:
        """The known camera motion, as :func:`gait.track._ground_frame.to_ground_frame` reads it.

        Maps from each frame's pixels to the first frame's (pure translations by ``pan_px``).
        """
        frames = self.track["frame"].values.astype(np.int64)
        pan = self.pan_px if len(self.pan_px) else np.zeros((len(frames), 2))
        maps = np.zeros((len(frames), 2, 3))
        maps[:, 0, 0] = maps[:, 1, 1] = 1.0
        maps[:, :, 2] = pan - pan[0]
        shift = np.linalg.norm(pan - pan[0], axis=1)
        w, h = int(self.track.attrs["image_width_px"]), int(self.track.attrs["image_height_px"])
        return {
            "frame": frames,
            "to_reference": maps,
            "ok": np.ones(len(frames), bool),
            "image_size_px": (w, h),
            "reference_frame": int(frames[0]),
            "max_shift_px": float(shift.max()),
            "moved": bool(shift.max() > 0.02 * max(w, h)),
        }


def film_passby(
    trial: MocapTrial,
    *,
    fps: float,
    severity: int = 0,
    seed: int = 0,
    start_s: float = 0.0,
    in_view_s: float = 2.0,
    lead_s: float = 0.3,
    tail_s: float = 0.5,
    view: str = "side_left",
    image_size_px: tuple[int, int] = (1280, 720),
    fov_deg: float = FOV_DEG,
    model: PoseErrorModel | None = None,
    camera: str = "static",
    slide_hz: float = 0.0,
) -> PassBy:
    """Film a trial as an overground pass-by of a static side camera (module docstring).

    Parameters
    ----------
    trial
        The mocap trial (treadmill; its speed is added to the forward coordinate).
    fps
        Camera frame rate.
    severity
        MediaPipe-like error level (:meth:`PoseErrorModel.at_severity`); ``model`` overrides it.
    seed
        Seeds the camera's sub-frame phase, the noise and the errors.
    start_s
        Trial time at which the filmed window starts.
    in_view_s
        How long the hip midpoint is inside the image, seconds.
    lead_s, tail_s
        Empty time before the runner enters and after he leaves, seconds.
    view
        ``"side_left"`` (runner faces image-left) or ``"side_right"``.
    image_size_px, fov_deg
        Image size and horizontal field of view; the camera stands as far from the runner's
        path as that field needs to span ``speed * in_view_s``.
    camera
        ``"static"`` or ``"follow"``: a camera at the same place that turns to keep the runner in
        the middle (module docstring), so he is in view for the whole window.
    slide_hz
        Foot slide (module docstring): natural frequency of the low-pass the foot landmarks
        follow the true feet through, Hz; 0 (default) = none. :data:`SLIDE_TREADMILL_HZ` is the
        sample treadmill clip's.

    Returns
    -------
    PassBy
    """
    if view not in ("side_left", "side_right"):
        raise ConfigError(f"Expected a side view for a pass-by, got {view!r}.")
    if camera not in CAMERAS:
        raise ConfigError(f"Expected camera 'static' or 'follow' for a pass-by, got {camera!r}.")
    if not slide_hz >= 0:
        raise ConfigError(f"Expected slide_hz >= 0 (0 = no foot slide), got {slide_hz!r}.")
    if not (in_view_s > 0 and lead_s >= 0 and tail_s >= 0):
        raise ConfigError(
            f"Expected in_view_s > 0 and lead_s, tail_s >= 0, got {in_view_s}, {lead_s}, {tail_s}."
        )
    speed = trial_speed_m_s(trial)
    duration = lead_s + in_view_s + tail_s
    t_src = trial.time_s
    t0 = float(t_src[0]) + start_s
    if t0 + duration + MARGIN_S > t_src[-1] or start_s < MARGIN_S:
        raise ConfigError(
            f"Expected a window inside trial {trial.trial_id!r} ({MARGIN_S:.1f}-"
            f"{trial.duration_s - MARGIN_S:.1f} s), got {start_s:.2f}-{start_s + duration:.2f} s."
        )
    # the runner's hip midpoint passes the image centre halfway through the in-view stretch,
    # and the slice is symmetric about that moment so that the camera aims at it
    t_mid = t0 + lead_s + in_view_s / 2
    half = max(lead_s, tail_s) + in_view_s / 2 + MARGIN_S
    sel = (t_src >= t_mid - half) & (t_src <= t_mid + half)
    t_slice = t_src[sel]
    points = {}
    for name, p in trial.landmarks_m.items():
        q = np.array(p[sel], dtype=float)
        q[:, 0] += speed * (t_slice - t_mid)
        points[name] = q
    field_m = speed * in_view_s
    distance_m = field_m / 2 / np.tan(np.radians(fov_deg) / 2)
    focal = image_size_px[0] * distance_m / field_m
    clip = project_to_camera(
        points,
        t_slice,
        view=view,
        fps=fps,
        image_size_px=image_size_px,
        distance_m=distance_m,
        focal_px=focal,
        stature_m=trial.stature_m,
        seed=seed,
        start_s=t0 - float(t_slice[0]),
        duration_s=duration,
        trial=trial.trial_id,
    )
    truth = trial.ground_truth(clip)
    model = PoseErrorModel.at_severity(severity) if model is None else model
    seen = clip if slide_hz == 0 else replace(clip, position_true_px=slide_feet(clip.position_true_px, fps, slide_hz))
    track, _ = apply_pose_errors(seen, truth, model, seed)
    pan = np.zeros((track.sizes["time"], 2))
    if camera == "follow":
        pan = _follow_pan(clip, seed)
        track = track.copy(deep=True)
        track["position"].values[...] = track["position"].values - pan[:, None, :].astype(np.float32)
        clip = replace(clip, position_true_px=clip.position_true_px - pan[:, None, :])
    track, in_view = _out_of_frame(track, clip)
    track.attrs["passby"] = (
        f"speed {speed:.2f} m/s, field {field_m:.2f} m, in view {in_view_s} s, camera {camera}, "
        f"foot slide {slide_hz:g} Hz"
    )
    return PassBy(track, truth, in_view, speed, field_m, pan, camera)


def slide_feet(position_px: np.ndarray, fps: float, slide_hz: float) -> np.ndarray:
    """The feet through the foot-slide low-pass (module docstring, "Foot slide").

    ``position_px``: ``(n_frames, 33, 2)`` image positions; both legs' ankle, heel and foot index
    pass through a causal second-order low-pass (natural frequency ``slide_hz``, damping
    :data:`SLIDE_DAMPING`, unit gain, bilinear at ``fps``, started at rest at the first finite
    position); other keypoints and missing samples are unchanged. Returns a new array.
    """
    from scipy.signal import bilinear, lfilter

    out = np.array(position_px, dtype=float, copy=True)
    if slide_hz <= 0:
        return out
    if not slide_hz < fps / 2:
        raise ConfigError(
            f"Expected a foot-slide frequency below half the frame rate ({fps / 2:g} Hz), got {slide_hz}."
        )
    w = 2 * np.pi * slide_hz
    b, a = bilinear([w**2], [1.0, 2 * SLIDE_DAMPING * w, w**2], fs=fps)
    idx = np.arange(len(out))
    for name in _FOOT_POINTS:
        k = KEYPOINTS.index(name)
        for ax in (0, 1):
            y = out[:, k, ax]
            ok = np.isfinite(y)
            if ok.sum() < 2:
                continue
            filled = np.interp(idx, idx[ok], y[ok])
            y0 = filled[0]
            out[:, k, ax] = np.where(ok, lfilter(b, a, filled - y0) + y0, np.nan)
    return out


def _follow_pan(clip: CameraClip, seed: int) -> np.ndarray:
    """``(n, 2)`` a following camera's aim minus the static camera's, image px (module docstring)."""
    from scipy.ndimage import gaussian_filter1d

    w, h = clip.camera.image_size_px
    t = clip.track["time"].values.astype(np.float64)
    hips = [KEYPOINTS.index("left_hip"), KEYPOINTS.index("right_hip")]
    hip = clip.position_true_px[:, hips].mean(axis=1)
    dt = float(np.median(np.diff(t)))
    aim_x = gaussian_filter1d(hip[:, 0], FOLLOW_SMOOTH_S / dt, mode="nearest")
    late = np.interp(t - FOLLOW_LAG_S, t, aim_x)  # the aim of a reaction time ago
    rng = np.random.default_rng([seed, 7])
    f_x, f_y = rng.uniform(0.8, 1.3), rng.uniform(1.2, 1.9)
    p_x, p_y = rng.uniform(0, 2 * np.pi, 2)
    wobble = FOLLOW_WOBBLE_FRACTION * w
    dx = late - w / 2 + wobble * np.sin(2 * np.pi * f_x * t + p_x)
    dy = 0.5 * wobble * np.sin(2 * np.pi * f_y * t + p_y)
    return np.stack([dx, dy], axis=1)


def _out_of_frame(track: PoseTrack, clip: CameraClip) -> tuple[PoseTrack, np.ndarray]:
    """Remove what the image does not show: keypoints outside it, frames without the hips."""
    w, h = clip.camera.image_size_px
    true_px = clip.position_true_px
    with np.errstate(invalid="ignore"):
        outside = ~(
            (true_px[..., 0] >= 0)
            & (true_px[..., 0] < w)
            & (true_px[..., 1] >= 0)
            & (true_px[..., 1] < h)
        )
    hips = [KEYPOINTS.index("left_hip"), KEYPOINTS.index("right_hip")]
    hip_x = true_px[:, hips, 0].mean(axis=1)
    in_view = (hip_x >= 0) & (hip_x < w)
    outside |= ~in_view[:, None]
    out = track.copy(deep=True)
    pos = out["position"].values
    pos[outside] = np.nan
    conf = out["confidence"].values
    conf[outside] = np.nan
    return out, in_view


def in_view_truth(p: PassBy) -> pd.DataFrame:
    """The true events while the runner is in view, of a foot inside the image (heel and toe).

    A foot partly outside the image is not one a pose model sees: MediaPipe draws it where the
    body's shape puts it (:data:`gait.events._detect.EDGE_MARGIN_LEG`).
    """
    ev = p.truth.events
    t = p.track["time"].values.astype(float)
    w = float(p.track.attrs["image_width_px"])
    pan_x = p.pan_px[:, 0] if len(p.pan_px) else np.zeros(len(t))
    keep = []
    for row in ev.itertuples(index=False):
        k = int(np.clip(np.searchsorted(t, row.time_s), 0, len(t) - 1))
        foot_x = [
            p.truth.position_true_px[k, KEYPOINTS.index(f"{row.side}_{name}"), 0] - pan_x[k]
            for name in ("heel", "foot_index")
        ]
        keep.append(bool(p.in_view[k]) and all(0 <= x < w for x in foot_x))
    return ev[np.array(keep, bool)].reset_index(drop=True)


def run_passby_once(
    trial: MocapTrial,
    *,
    fps: float,
    seed: int,
    severity: int = 0,
    start_s: float = 1.0,
    in_view_s: float = 2.0,
    view: str = "side_left",
    clean_params: CleanParams | None = None,
    event_params: EventParams | None = None,
    metric_params: MetricParams | None = None,
    match_tol_s: float = 0.15,
    camera: str = "static",
    compensate: bool = True,
    error_model: PoseErrorModel | None = None,
    slide_hz: float = 0.0,
) -> RunResult:
    """Film one pass-by, detect, and pair with the in-view truth (:func:`in_view_truth`).

    The cadence error is against the force-plate cadence of the in-view contacts; the detected
    steps' foot-strike and knee angles at IC are paired with the force-plate contacts' as
    :func:`gait.validate.harness.run_once` pairs them (``fsa``, ``knee_ic``); ``n_true``
    counts the in-view events; false positives are detections of a foot and kind paired with no
    true event of that foot and kind while in view (:func:`gait.validate.harness._score_events`
    with ``false_pos="all"``, the pairing the treadmill harness uses). ``camera="follow"``: a
    following camera (:func:`film_passby`), whose known pan is removed before cleaning
    (:func:`gait.track._ground_frame.to_ground_frame`, as the pipeline does with the measured
    one) unless ``compensate`` is False. ``error_model`` overrides ``severity``'s (e.g. with a
    foot lag, :attr:`gait.validate.errors.PoseErrorModel.foot_lag_s`); ``slide_hz`` adds the
    foot slide (:func:`film_passby`).
    """
    p = film_passby(
        trial,
        fps=fps,
        severity=severity,
        seed=seed,
        start_s=start_s,
        in_view_s=in_view_s,
        view=view,
        camera=camera,
        model=error_model,
        slide_hz=slide_hz,
    )
    # as the pipeline does: the view is read on the raw (image) track, right after pose
    track_view = clip_view(p.track, clean_params or CleanParams())
    track = p.track
    if camera == "follow" and compensate:
        track = to_ground_frame(track, p.camera_motion())
    cleaned = clean_track(track, clean_params or CleanParams(), view=track_view)
    events = detect_events(cleaned, event_params or EventParams(), view=track_view)
    metrics = compute_metrics(cleaned, events, metric_params or MetricParams())
    truth_ev = in_view_truth(p)
    n_true, errors, false_pos = _score_events(truth_ev, events, match_tol_s, float("nan"), false_pos="all")
    ics = truth_ev.loc[truth_ev["kind"] == "ic", "time_s"].to_numpy(float)
    contact_err, fsa, knee = _score_contacts(p.truth, metrics.steps, events.near_foot, match_tol_s)
    cad = metrics.value("cadence_spm")
    return RunResult(
        trial_id=trial.trial_id,
        fps=float(fps),
        seed=int(seed),
        n_true=n_true,
        errors_s=errors,
        false_pos=false_pos,
        contact_err_s=contact_err,
        fsa=fsa,
        knee_ic=knee,
        cadence_err_spm=float(cad - cadence_spm(ics)) if cad is not None else float("nan"),
        running=events.running,
        severity=int(severity),
        start_s=float(start_s),
        cadence_confidence=metrics.metrics["cadence_spm"].confidence,
    )


def passby_summary(runs: Sequence[RunResult]) -> dict[str, float]:
    """Pool pass-by runs: cadence error, ICs within 1 and 2 frames, IC bias and spread, running %, strike.

    Strike: the detected steps' foot-strike angle against the force-plate contact's
    (``fsa_bias_deg``) and their patterns (``strike_agreement_pct``, :meth:`MetricParams.classify`),
    near foot only (the far foot's angle is not reported to users either).
    """
    runs = list(runs)
    near = [(d, t) for r in runs for (_, is_near, d, t) in r.fsa if is_near]
    classify = MetricParams().classify
    agree = [classify(d) == classify(t) for d, t in near]
    n_ic = sum(r.n_true["IC"] for r in runs)
    errs = np.array([e for r in runs for e in r.errors_s["IC"]], float)
    within = {
        k: 100.0
        * sum(int(np.sum(np.abs(r.errors_s["IC"]) <= k / r.fps + 1e-9)) for r in runs)
        / n_ic
        if n_ic
        else float("nan")
        for k in (1, 2)
    }
    cad = np.array([r.cadence_err_spm for r in runs], float)
    fin = np.isfinite(cad)
    return {
        "runs": len(runs),
        "running_pct": 100.0 * float(np.mean([r.running for r in runs])) if runs else float("nan"),
        "cadence_reported_pct": 100.0 * float(np.mean(fin)) if runs else float("nan"),
        "cadence_mae_spm": float(np.mean(np.abs(cad[fin]))) if fin.any() else float("nan"),
        "cadence_max_abs_spm": float(np.max(np.abs(cad[fin]))) if fin.any() else float("nan"),
        "ic_n": n_ic,
        "ic_detected_pct": 100.0 * len(errs) / n_ic if n_ic else float("nan"),
        "ic_within_1_frame_pct": within[1],
        "ic_within_2_frames_pct": within[2],
        "ic_bias_ms": float(errs.mean() * 1000) if errs.size else float("nan"),
        "ic_sd_ms": float(errs.std(ddof=1) * 1000) if errs.size >= 2 else float("nan"),
        "ic_false_pos": sum(r.false_pos["IC"] for r in runs),
        "to_bias_ms": float(np.mean([e for r in runs for e in r.errors_s["TO"]]) * 1000)
        if any(r.errors_s["TO"] for r in runs)
        else float("nan"),
        "strike_n": len(near),
        "strike_agreement_pct": 100.0 * float(np.mean(agree)) if agree else float("nan"),
        "fsa_bias_deg": float(np.mean([d - t for d, t in near])) if near else float("nan"),
    }
