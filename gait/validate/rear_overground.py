"""Mocap harness for overground running filmed from behind (runner recedes) or in front (approaches).

The RBDS treadmill trials are turned into overground running by :func:`gait.validate.camera.project_to_camera`
(``overground=True``: the belt speed added to every point's forward coordinate), filmed by a static
virtual camera behind the runner (he runs away from it, starting ``distance_m`` in front of it) or in
front of him (he runs towards it), with the realistic pose-error model of :mod:`gait.validate.errors`
(its correlated jitter, scaled with the runner's apparent size; the side-view leg-label episodes and
far-foot dropouts need a near and a far leg and are left out, as in ``tests/benchmarks/front_view.py``;
with ``label_errors`` the frontal leg-label episodes measured on the real rear clip,
:data:`gait.validate.errors.FRONTAL_MEASURED`: whole-leg swaps and one foot snapped onto the other).
Each clip is analysed as a video would be after
pose estimation: :func:`gait.track.clean_track` and :func:`gait.events._rear.detect_frontal_events`
(which routes overground clips to :mod:`gait.events._rear_overground`), and scored against the force
plates: ICs matched one to one within :data:`TOL_S`, their error in ms and in frames, and the cadence
error (spm) against the force plates' cadence over the same clip.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gait.events._rear import detect_frontal_events
from gait.track import clean_track, track_fps
from gait.track.view import given_view
from gait.validate.errors import FRONTAL_MEASURED, PoseErrorModel, apply_pose_errors
from gait.validate.harness import FOOT, match_events
from gait.validate.mocap import MocapTrial

TOL_S = 0.15
#: Starting distance of the runner from the camera, m: behind him (rear) or ahead of him (front).
START_DISTANCE_M = {"rear": 3.0, "front": 12.0}


def frontal_model(severity: int, foot_lag_s: float = 0.0, label_errors: bool = False) -> PoseErrorModel:
    """The error model of a severity without its side-view-only parts (episodes, dropouts), with a foot lag.

    ``label_errors`` adds the frontal leg-label episodes (:data:`gait.validate.errors.FRONTAL_MEASURED`).
    """
    model = replace(
        PoseErrorModel.at_severity(severity), episodes_per_stride=0.0, dropouts_per_stride=0.0, foot_lag_s=foot_lag_s
    )
    return replace(model, **FRONTAL_MEASURED) if label_errors else model


def run_clip(
    trial: MocapTrial,
    *,
    view: str = "rear",
    fps: float = 30.0,
    seed: int = 0,
    severity: int = 2,
    duration_s: float = 3.0,
    camera_height_m: float | None = None,
    foot_lag_s: float = 0.0,
    label_errors: bool = False,
) -> dict[str, object]:
    """Film, analyse and score one overground clip.

    Parameters
    ----------
    trial
        A mocap trial (:func:`gait.validate.load_trial`).
    view
        ``"rear"`` (runner running away) or ``"front"`` (towards the camera).
    fps, seed, duration_s
        The virtual clip's frame rate, noise seed and length.
    severity
        Pose-error severity (:meth:`PoseErrorModel.at_severity`), without episodes and dropouts.
    camera_height_m
        Camera height; None: half the stature (hip height).
    foot_lag_s
        The error model's causal foot lag (:class:`PoseErrorModel` ``foot_lag_s``; 0: none).
    label_errors
        Add the error model's frontal leg-label episodes (:func:`frontal_model`).

    Returns
    -------
    dict
        ``ic_err_s`` (matched IC errors, detected minus true), ``n_true``, ``n_detected``,
        ``cadence_err_spm`` (NaN when no cadence), ``running``, ``detector``.
    """
    clip = trial.film(
        view=view,
        fps=fps,
        seed=seed,
        duration_s=duration_s,
        overground=True,
        distance_m=START_DISTANCE_M[view],
        camera_height_m=camera_height_m,
    )
    truth = trial.ground_truth(clip)
    track = clip.track
    if severity or foot_lag_s or label_errors:
        track, _ = apply_pose_errors(clip, truth, frontal_model(severity, foot_lag_s, label_errors), seed)
    cleaned = clean_track(track)
    events = detect_frontal_events(cleaned, given_view(cleaned, view), track_fps(cleaned))
    errs: list[float] = []
    n_true = 0
    ev = truth.events
    t0, t1 = float(cleaned["time"].values[0]), float(cleaned["time"].values[-1])
    for side, foot in FOOT.items():
        tt = ev.loc[(ev["side"] == side) & (ev["kind"] == "ic"), "time_s"].to_numpy()
        tt = tt[(tt > t0 + 0.05) & (tt < t1 - 0.05)]
        det = events.of(foot, "IC")
        pairs = match_events(tt, det, TOL_S)
        n_true += len(tt)
        errs += [float(det[j] - t) for t, j in zip(tt, pairs, strict=True) if j >= 0]
    true_ic = np.sort(ev.loc[ev["kind"] == "ic", "time_s"].to_numpy())
    true_ic = true_ic[(true_ic >= t0) & (true_ic <= t1)]
    det_ic = np.sort(events.table.loc[events.table["type"] == "IC", "time_s"].to_numpy(float))
    cad_err = float("nan")
    if len(true_ic) >= 3 and len(det_ic) >= 3:
        true_cad = 60.0 * (len(true_ic) - 1) / (true_ic[-1] - true_ic[0])
        cad_err = 60.0 / float(np.median(np.diff(det_ic))) - true_cad
    return {
        "ic_err_s": np.array(errs),
        "n_true": n_true,
        "n_detected": len(det_ic),
        "cadence_err_spm": cad_err,
        "running": bool(events.running),
        "detector": events.detector,
        "fps": fps,
    }


def summarise(runs: list[dict[str, object]]) -> dict[str, float]:
    """One table row from several clips: matched share, IC bias and SD (ms), share within 1 frame, cadence."""
    errs = np.concatenate([np.asarray(r["ic_err_s"], float) for r in runs]) if runs else np.empty(0)
    n_true = sum(int(r["n_true"]) for r in runs)  # type: ignore[call-overload]
    fps = float(runs[0]["fps"]) if runs else float("nan")  # type: ignore[arg-type]
    cad = np.array([float(r["cadence_err_spm"]) for r in runs])  # type: ignore[arg-type]
    ok = np.isfinite(cad)
    return {
        "clips": len(runs),
        "running": sum(bool(r["running"]) for r in runs),
        "ic_matched": len(errs),
        "ic_true": n_true,
        "ic_bias_ms": 1000 * float(np.mean(errs)) if len(errs) else float("nan"),
        "ic_sd_ms": 1000 * float(np.std(errs)) if len(errs) > 1 else float("nan"),
        "within_1_frame_pct": 100.0 * float(np.sum(np.abs(errs) <= 1.0 / fps + 1e-9)) / max(n_true, 1),
        "cadence_max_abs_err_spm": float(np.max(np.abs(cad[ok]))) if ok.any() else float("nan"),
        "cadence_mean_err_spm": float(np.mean(cad[ok])) if ok.any() else float("nan"),
    }


def format_table(rows: list[tuple[str, dict[str, float]]]) -> str:
    """Markdown table of :func:`summarise` rows."""
    head = (
        "| clips | running | ICs matched | IC bias ms | IC SD ms | ICs within 1 frame | cadence mean err spm "
        "| cadence max abs err spm |"
    )
    lines = ["| case " + head, "|---" * 9 + "|"]
    for name, s in rows:
        lines.append(
            f"| {name} | {s['clips']} | {s['running']}/{s['clips']} | {s['ic_matched']}/{s['ic_true']} | "
            f"{s['ic_bias_ms']:+.0f} | {s['ic_sd_ms']:.0f} | {s['within_1_frame_pct']:.0f} % | "
            f"{s['cadence_mean_err_spm']:+.1f} | {s['cadence_max_abs_err_spm']:.1f} |"
        )
    return "\n".join(lines)


__all__ = ["START_DISTANCE_M", "TOL_S", "format_table", "frontal_model", "run_clip", "summarise"]

