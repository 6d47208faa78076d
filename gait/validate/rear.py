"""Rear-view validation: mocap filmed by a virtual rear camera, metrics against the markers' truth.

For each trial, frame rate and seed: film the RBDS treadmill trial from behind
(:meth:`gait.validate.MocapTrial.to_track` with ``view="rear"``, MediaPipe-sized noise by default),
clean the track, run :func:`gait.events.detect_events` and :func:`gait.metrics.compute_metrics`
exactly as on a video, pair each detected contact with the force-plate contact of the same foot
(nearest IC within ``match_tol_s``), and compare:

* IC and TO timing (bias and SD, ms) and cadence (spm);
* per step: contralateral pelvic drop at midstance, peak hip adduction, step width and the
  rearfoot proxy against ``pelvic_drop_midstance_deg``, ``peak_hip_adduction_deg``,
  ``step_width_m`` (divided by the trial's median hip-joint-centre distance, so in pelvis widths)
  and ``peak_rearfoot_eversion_deg`` of :mod:`gait.validate.truth`;
* per clip and side: the mean over steps (what the report shows) against the mean truth of the
  same steps. Targets: pelvic drop within 2.8 deg (the smallest detectable difference of trained
  2D raters, Dingenen et al. 2018), step width within 0.1 pelvis widths.

Data: Fukuchi RK, Fukuchi CA, Duarte M. PeerJ 5:e3298 (2017), doi:10.7717/peerj.3298, CC BY 4.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from gait.events import detect_events
from gait.metrics import compute_metrics
from gait.track import clean_track
from gait.validate.harness import FOOT, bias_rmse, match_events
from gait.validate.mocap import MocapTrial, list_trials, load_trial

#: Detected step column -> truth contact column.
PAIRS: dict[str, str] = {
    "pelvic_drop_deg": "pelvic_drop_midstance_deg",
    "hip_adduction_deg": "peak_hip_adduction_deg",
    "step_width_pelvis_widths": "step_width_pw",
    "rearfoot_eversion_proxy_deg": "peak_rearfoot_eversion_deg",
}


class RearClip(TypedDict):
    """Clip-level numbers of one rear-view run (:func:`run_rear_once`)."""

    ic_errors: list[float]
    to_errors: list[float]
    cadence_err_spm: float
    running: bool


def pelvis_width_m(trial: MocapTrial) -> float:
    """Median distance between the hip joint centres of a trial, metres."""
    d = np.linalg.norm(trial.landmarks_m["right_hip"] - trial.landmarks_m["left_hip"], axis=1)
    return float(np.nanmedian(d))


def _event_errors(truth_events: pd.DataFrame, events, tol_s: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"IC": [], "TO": []}
    for kind in out:
        for side, foot in FOOT.items():
            sel = (truth_events["side"] == side) & (truth_events["kind"] == kind.lower())
            tt = truth_events.loc[sel, "time_s"].to_numpy(float)
            det = events.of(foot, kind)
            pairs = match_events(tt, det, tol_s)
            out[kind] += [float(det[j] - t) for t, j in zip(tt, pairs, strict=True) if j >= 0]
    return out


def _paired_steps(truth_contacts: pd.DataFrame, steps: pd.DataFrame, tol_s: float) -> pd.DataFrame:
    """One row per matched contact: foot and ``<metric>`` / ``<metric>_true`` for :data:`PAIRS`."""
    rows = []
    for side, foot in FOOT.items():
        tc = truth_contacts[truth_contacts["side"] == side]
        st = steps[steps["foot"] == foot]
        idx = match_events(tc["ic_time_s"].to_numpy(float), st["ic_time_s"].to_numpy(float), tol_s)
        for (_, row), j in zip(tc.iterrows(), idx, strict=True):
            if j >= 0:
                det = st.iloc[j]
                rows.append(
                    {"foot": foot}
                    | {k: float(det[k]) for k in PAIRS}
                    | {f"{k}_true": float(row[v]) for k, v in PAIRS.items()}
                )
    return pd.DataFrame(rows, columns=["foot", *PAIRS, *(f"{k}_true" for k in PAIRS)])


def run_rear_once(
    trial: MocapTrial,
    *,
    fps: float,
    seed: int,
    noise_px: float | None = None,
    duration_s: float | None = None,
    match_tol_s: float = 0.15,
) -> tuple[pd.DataFrame, RearClip]:
    """Film one trial from behind, analyse it, and pair it with the truth.

    Returns
    -------
    steps, clip
        Paired per-step values (:func:`_paired_steps` plus ``trial``, ``fps``, ``seed``) and
        clip-level numbers: ``ic_err_s``/``to_err_s`` lists are pooled by the caller through
        ``clip["ic_errors"]``, ``clip["to_errors"]``; ``cadence_err_spm``; ``running``.
    """
    track, truth = trial.to_track(
        view="rear", fps=fps, noise_px=noise_px, seed=seed, duration_s=duration_s
    )
    cleaned = clean_track(track)
    events = detect_events(cleaned)
    metrics = compute_metrics(cleaned, events)
    contacts = truth.contacts.assign(
        step_width_pw=truth.contacts["step_width_m"] / pelvis_width_m(trial)
    )
    steps = (
        _paired_steps(contacts, metrics.steps, match_tol_s)
        if events.running
        else _paired_steps(contacts.iloc[0:0], metrics.steps.iloc[0:0], match_tol_s)
    )
    cad = metrics.value("cadence_spm")
    errs = _event_errors(truth.events, events, match_tol_s)
    clip: RearClip = {
        "ic_errors": errs["IC"],
        "to_errors": errs["TO"],
        "cadence_err_spm": float(cad - truth.cadence_spm) if cad is not None else float("nan"),
        "running": bool(events.running),
    }
    return steps.assign(trial=trial.trial_id, fps=float(fps), seed=int(seed)), clip


def _metric_columns(paired: pd.DataFrame) -> dict[str, float]:
    """Per-step bias/RMSE and clip-level (per trial, seed and side) mean absolute error."""
    row: dict[str, float] = {}
    for k in PAIRS:
        d, t = paired[k].to_numpy(float), paired[f"{k}_true"].to_numpy(float)
        ok = np.isfinite(d) & np.isfinite(t)
        e = d[ok] - t[ok]
        row[f"{k}_n"] = int(ok.sum())
        row[f"{k}_bias"], row[f"{k}_step_rmse"] = bias_rmse(e)
        sub = paired.loc[ok]
        means = sub.groupby(["trial", "seed", "foot"])[[k, f"{k}_true"]].mean()
        clip_err = (means[k] - means[f"{k}_true"]).abs()
        row[f"{k}_clip_mae"] = float(clip_err.mean()) if len(clip_err) else float("nan")
        row[f"{k}_clip_max"] = float(clip_err.max()) if len(clip_err) else float("nan")
    return row


def run_rear_validation(
    data_dir: Path | str,
    *,
    fps_list: Sequence[float] = (30, 60, 120, 240),
    noise_px: float | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    trial_ids: Sequence[str] | None = None,
    duration_s: float | None = None,
    match_tol_s: float = 0.15,
    trials: Sequence[MocapTrial] | None = None,
) -> pd.DataFrame:
    """Validate rear-view events and metrics on the mocap trials at several frame rates.

    Parameters are as in :func:`gait.validate.run_event_validation` (the view is always
    ``"rear"``).

    Returns
    -------
    pandas.DataFrame
        One row per fps: ``runs``, ``running_pct``, ``ic_bias_ms``, ``ic_sd_ms``, ``to_bias_ms``,
        ``to_sd_ms``, ``cadence_err_max_abs_spm``, and for each of :data:`PAIRS`: ``_n`` (paired
        steps), ``_bias``, ``_step_rmse``, ``_clip_mae`` and ``_clip_max`` (mean over steps per
        trial, seed and side against the truth of the same steps; degrees or pelvis widths).
    """
    if trials is None:
        ids = list(trial_ids) if trial_ids is not None else list(list_trials(data_dir))
        trials = [load_trial(data_dir, t) for t in ids]
    rows = []
    for fps in fps_list:
        runs = [
            run_rear_once(
                tr,
                fps=fps,
                seed=s,
                noise_px=noise_px,
                duration_s=duration_s,
                match_tol_s=match_tol_s,
            )
            for tr in trials
            for s in seeds
        ]
        paired = pd.concat([r[0] for r in runs], ignore_index=True)
        row: dict[str, float] = {"fps": float(fps), "runs": len(runs)}
        row["running_pct"] = 100.0 * float(np.mean([r[1]["running"] for r in runs]))
        pooled = {
            "ic": [x for r in runs for x in r[1]["ic_errors"]],
            "to": [x for r in runs for x in r[1]["to_errors"]],
        }
        for kind, errs in pooled.items():
            e = np.array(errs) * 1000
            row[f"{kind}_bias_ms"] = float(e.mean()) if e.size else float("nan")
            row[f"{kind}_sd_ms"] = float(e.std(ddof=1)) if e.size > 1 else float("nan")
        cad = np.array([r[1]["cadence_err_spm"] for r in runs])
        row["cadence_err_max_abs_spm"] = (
            float(np.nanmax(np.abs(cad))) if np.isfinite(cad).any() else float("nan")
        )
        rows.append(row | _metric_columns(paired))
    return pd.DataFrame(rows)


def format_rear_table(df: pd.DataFrame) -> str:
    """The rear validation table as Markdown: per fps, timing and clip-level / per-step errors."""
    head = (
        "| fps | IC bias/SD ms | TO bias/SD ms | pelvic drop clip MAE (max) / step RMSE deg "
        "| hip add. clip MAE / step RMSE deg | step width clip MAE (max) / step RMSE pw "
        "| rearfoot clip MAE / step RMSE deg |"
    )
    lines = [head, "|" + "---|" * 7]
    for _, r in df.iterrows():
        lines.append(
            f"| {r['fps']:.0f} | {r['ic_bias_ms']:+.1f} / {r['ic_sd_ms']:.1f} "
            f"| {r['to_bias_ms']:+.1f} / {r['to_sd_ms']:.1f} "
            f"| {r['pelvic_drop_deg_clip_mae']:.2f} ({r['pelvic_drop_deg_clip_max']:.2f}) / "
            f"{r['pelvic_drop_deg_step_rmse']:.2f} "
            f"| {r['hip_adduction_deg_clip_mae']:.2f} / {r['hip_adduction_deg_step_rmse']:.2f} "
            f"| {r['step_width_pelvis_widths_clip_mae']:.3f} "
            f"({r['step_width_pelvis_widths_clip_max']:.3f}) / "
            f"{r['step_width_pelvis_widths_step_rmse']:.3f} "
            f"| {r['rearfoot_eversion_proxy_deg_clip_mae']:.2f} / "
            f"{r['rearfoot_eversion_proxy_deg_step_rmse']:.2f} |"
        )
    return "\n".join(lines)
