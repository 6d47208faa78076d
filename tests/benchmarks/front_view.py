"""Front (and rear) view on the mocap harness: event timing, cadence and frontal metrics vs truth.

    python tests/benchmarks/front_view.py [--mocap ../shared/data/mocap] [--fps 30 --fps 60 ...]
        [--severity 0 --severity 2] [--view front --view rear] [--seeds 2] [--duration-s 15]
        [--overground] [--out FILE.md]

Each RBDS treadmill trial is filmed by a virtual camera (:mod:`gait.validate.camera`) in front of
(or behind) the runner at hip height, 3 m away, for ``--duration-s`` seconds, and analysed exactly
as a video would be after pose estimation: :func:`gait.track.clean_track`, the frontal event
detector (:func:`gait.events._rear.detect_frontal_events`, the front rule for ``front``) and
:func:`gait.metrics.compute_metrics`. Severity 0 is the camera's i.i.d. MediaPipe-sized noise
(0.9 % of stature); severity 2 is :meth:`gait.validate.errors.PoseErrorModel.at_severity` (2) with
its correlated jitter (tau 0.1 s) but **without** leg-label episodes and far-foot dropouts, which
the error model defines for side views only (a frontal view has no far leg); so the frontal
severity-2 rows are optimistic about label swaps.

Per (view, severity, fps) row: ICs and TOs matched to the force plates (one-to-one within 0.15 s),
their bias and 95 % limits of agreement (bias +- 1.96 SD, ms), the largest absolute cadence error
(spm), and for each frontal metric the per-step bias and RMSE and the clip-level mean absolute
error (mean over the steps of a clip and side, against the truth of the same steps, which is what
the report shows): pelvic drop at midstance and peak hip adduction (deg,
:mod:`gait.validate.truth`), knee frontal-plane projection angle (deg; truth: the same 2D angle of
the 3D joint centres projected orthographically on the lab frontal plane, peak over the true
stance), step width (pelvis widths: truth step width over the trial's median hip-joint-centre
distance), crossover agreement (% of steps whose ``width <= 0`` class matches the truth) and the
clip-level error of the crossover fraction; for hip adduction also the clip MAE of the value the
rear report shows (peak of the mean stance curve per side, against the mean true peak).

The front-view event offsets (:data:`gait.events._rear.FRONT_IC_OFFSET_S`, ``FRONT_TO_OFFSET_S``)
were measured on these same trials; the table below the main one gives them held out: fitted on one
subject and scored on the other (RBDS001 against RBDS0041).

``--overground`` adds rows where the runner runs over the ground (belt speed added, away from a
rear camera, towards a front one, 3.5 s) with the camera at hip height and at 0.3 m. The frontal
detector refuses them (note ``frontal_overground``, "running" 0/n): with the refusal switched off
the treadmill rules matched only 0-30 of 56 contacts there, 70-90 ms late (measured 2026-12-02).

Runtime: about 1-2 s per clip at 240 fps on the project's 2-core machine; the default run (2 views x
2 severities x 4 fps x 3 trials x 2 seeds = 96 clips of 15 s) takes about 2-3 minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gait.events._rear import detect_frontal_events  # noqa: E402 - after the sys.path line above
from gait.metrics import (  # noqa: E402 - after the sys.path line above
    compute_metrics,
    frontal,
)
from gait.metrics._rear import _ensemble_peaks  # noqa: E402 - after the sys.path line above
from gait.track import clean_track, track_fps  # noqa: E402 - after the sys.path line above
from gait.track.view import given_view  # noqa: E402 - after the sys.path line above
from gait.validate import list_trials, load_trial  # noqa: E402 - after the sys.path line above
from gait.validate.errors import PoseErrorModel, apply_pose_errors  # noqa: E402 - after the sys.path line above
from gait.validate.harness import FOOT, match_events  # noqa: E402 - after the sys.path line above
from gait.validate.rear import pelvis_width_m  # noqa: E402 - after the sys.path line above

TOL_S = 0.15
#: Per-step metric column -> truth column (the truth table gets ``knee_fppa_true`` and ``step_width_pw``).
PAIRS = {
    "pelvic_drop_deg": "pelvic_drop_midstance_deg",
    "hip_adduction_deg": "peak_hip_adduction_deg",
    "knee_frontal_projection_deg": "knee_fppa_true",
    "step_width_pelvis_widths": "step_width_pw",
}


def frontal_model(severity: int) -> PoseErrorModel:
    """The error model of a severity without its side-view-only parts (episodes, dropouts)."""
    model = PoseErrorModel.at_severity(severity)
    return replace(model, episodes_per_stride=0.0, dropouts_per_stride=0.0)


def knee_fppa_truth(points_m, time_s: np.ndarray, contacts: pd.DataFrame) -> np.ndarray:
    """Peak stance knee frontal-plane projection angle of the 3D joint centres, per contact."""
    out = np.full(len(contacts), np.nan)
    series = {}
    for side, foot in FOOT.items():
        hip, knee, ankle = (
            np.stack([points_m[f"{side}_{j}"][:, 2], points_m[f"{side}_{j}"][:, 1]], axis=1)
            for j in ("hip", "knee", "ankle")
        )  # (lateral = lab z, towards the right; up = lab y)
        series[side] = frontal.knee_projection_deg(hip, knee, ankle, foot)
    for i, c in enumerate(contacts.itertuples(index=False)):
        sel = (time_s >= c.ic_time_s) & (time_s <= c.to_time_s)
        if sel.any() and np.isfinite(series[c.side][sel]).any():
            out[i] = float(np.nanmax(series[c.side][sel]))
    return out


def film(trial, view: str, fps: float, seed: int, severity: int, duration_s: float, **camera):
    """(track, truth, clip) of one virtual clip with the frontal error model."""
    clip = trial.film(view=view, fps=fps, seed=seed, duration_s=duration_s, **camera)
    truth = trial.ground_truth(clip)
    track = clip.track
    if severity:
        track, _ = apply_pose_errors(clip, truth, frontal_model(severity), seed)
    return track, truth, clip


def run_one(trial, view, fps, seed, severity, duration_s, **camera) -> dict:
    """Analyse one clip; return its matched event errors, cadence error and paired steps."""
    track, truth, clip = film(trial, view, fps, seed, severity, duration_s, **camera)
    cleaned = clean_track(track)
    events = detect_frontal_events(cleaned, given_view(cleaned, view), track_fps(cleaned))
    metrics = compute_metrics(cleaned, events)
    errs: dict[str, list[float]] = {"IC": [], "TO": []}
    n_true = {"IC": 0, "TO": 0}
    for kind in errs:
        for side, foot in FOOT.items():
            ev = truth.events
            tt = ev.loc[(ev["side"] == side) & (ev["kind"] == kind.lower()), "time_s"].to_numpy()
            det = events.of(foot, kind) if events.running else np.empty(0)
            pairs = match_events(tt, det, TOL_S)
            n_true[kind] += len(tt)
            errs[kind] += [float(det[j] - t) for t, j in zip(tt, pairs, strict=True) if j >= 0]
    contacts = truth.contacts.assign(
        step_width_pw=truth.contacts["step_width_m"] / pelvis_width_m(trial),
        knee_fppa_true=knee_fppa_truth(
            clip.points_m, clip.track["time"].to_numpy(), truth.contacts
        ),
    )
    rows, reported = [], []
    if events.running:
        steps = metrics.steps
        peaks = _ensemble_peaks(cleaned, steps, "hip", view)
        for side, foot in FOOT.items():
            true = contacts.loc[contacts["side"] == side, "peak_hip_adduction_deg"]
            if np.isfinite(peaks[foot]) and true.notna().any():
                reported.append(peaks[foot] - float(true.mean()))
        for side, foot in FOOT.items():
            tc = contacts[contacts["side"] == side]
            st = steps[steps["foot"] == foot]
            idx = match_events(tc["ic_time_s"].to_numpy(), st["ic_time_s"].to_numpy(), TOL_S)
            for (_, row), j in zip(tc.iterrows(), idx, strict=True):
                if j >= 0:
                    det = st.iloc[j]
                    rows.append(
                        {"trial": trial.trial_id, "seed": seed, "foot": foot}
                        | {k: float(det[k]) for k in PAIRS}
                        | {f"{k}_true": float(row[v]) for k, v in PAIRS.items()}
                    )
    cad = metrics.value("cadence_spm")
    return {
        "trial": trial.trial_id,
        "errors": errs,
        "n_true": n_true,
        "running": bool(events.running),
        "cadence_err_spm": float(cad - truth.cadence_spm) if cad is not None else float("nan"),
        "steps": pd.DataFrame(rows),
        "hip_reported_err_deg": reported,
    }


def _loa(e_s: list[float]) -> str:
    e = np.asarray(e_s, float) * 1000
    if e.size < 2:
        return "n/a"
    b, sd = e.mean(), e.std(ddof=1)
    return f"{b:+.0f} [{b - 1.96 * sd:+.0f}, {b + 1.96 * sd:+.0f}]"


def summarise(runs: list[dict]) -> dict[str, str]:
    """One table row (strings) from the runs of a cell."""
    row: dict[str, str] = {}
    for kind in ("IC", "TO"):
        e = [x for r in runs for x in r["errors"][kind]]
        n = sum(r["n_true"][kind] for r in runs)
        row[f"{kind} found"] = f"{len(e)}/{n}"
        row[f"{kind} bias [95% LoA] ms"] = _loa(e)
    cad = np.array([r["cadence_err_spm"] for r in runs])
    row["running"] = f"{sum(r['running'] for r in runs)}/{len(runs)}"
    row["cadence max abs err spm"] = (
        f"{np.nanmax(np.abs(cad)):.2f}" if np.isfinite(cad).any() else "n/a"
    )
    steps = [r["steps"] for r in runs if len(r["steps"])]
    paired = pd.concat(steps, ignore_index=True) if steps else pd.DataFrame()
    for k in PAIRS:
        if paired.empty:
            row[k] = "n/a"
            continue
        ok = np.isfinite(paired[k]) & np.isfinite(paired[f"{k}_true"])
        sub = paired[ok]
        e = (sub[k] - sub[f"{k}_true"]).to_numpy()
        means = sub.groupby(["trial", "seed", "foot"])[[k, f"{k}_true"]].mean()
        clip = (means[k] - means[f"{k}_true"]).abs()
        fmt = ".3f" if k.startswith("step_width") else ".2f"
        row[k] = (
            f"{e.mean():+{fmt}} / {np.sqrt(np.mean(e**2)):{fmt}} / {clip.mean():{fmt}}"
            if len(e)
            else "n/a"
        )
    if not paired.empty:
        ok = np.isfinite(paired["step_width_pelvis_widths"]) & np.isfinite(
            paired["step_width_pelvis_widths_true"]
        )
        a = paired.loc[ok, "step_width_pelvis_widths"] <= 0
        b = paired.loc[ok, "step_width_pelvis_widths_true"] <= 0
        row["crossover agree %"] = f"{100 * float(np.mean(a == b)):.0f}" if ok.any() else "n/a"
        sub = paired.loc[ok].assign(c=a.astype(float), c_true=b.astype(float))
        means = sub.groupby(["trial", "seed", "foot"])[["c", "c_true"]].mean()
        row["crossover fraction clip MAE"] = f"{(means['c'] - means['c_true']).abs().mean():.3f}"
    else:
        row["crossover agree %"] = "n/a"
        row["crossover fraction clip MAE"] = "n/a"
    hip = np.abs([e for r in runs for e in r["hip_reported_err_deg"]])
    row["hip add. (curve peak) clip MAE"] = f"{hip.mean():.2f}" if hip.size else "n/a"
    return row


def held_out(runs: list[dict]) -> list[str]:
    """IC/TO bias per subject, and each subject's bias with offsets fitted on the other."""
    subj = {}
    for r in runs:
        s = r["trial"].split("_")[0]
        for kind in ("IC", "TO"):
            subj.setdefault((s, kind), []).extend(r["errors"][kind])
    lines = []
    names = sorted({s for s, _ in subj})
    if len(names) != 2:
        return lines
    for kind in ("IC", "TO"):
        m = {s: 1000 * float(np.mean(subj[(s, kind)])) for s in names if subj[(s, kind)]}
        if len(m) == 2:
            a, b = names
            lines.append(
                f"{kind}: in-sample bias {a} {m[a]:+.1f} ms, {b} {m[b]:+.1f} ms; held out "
                f"(offset fitted on the other subject): {a} {m[a] - m[b]:+.1f} ms, "
                f"{b} {m[b] - m[a]:+.1f} ms"
            )
    return lines


def table(cells: list[tuple[str, dict[str, str]]]) -> str:
    """Markdown table: a label column then the row dicts' keys."""
    keys = list(cells[0][1])
    lines = ["| cell | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 1)]
    lines += ["| " + label + " | " + " | ".join(r[k] for k in keys) + " |" for label, r in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the front-view benchmark and print (and optionally write) its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mocap", type=Path, default=ROOT.parent / "shared" / "data" / "mocap")
    parser.add_argument("--fps", type=float, action="append", help="repeatable; default 30-240")
    parser.add_argument("--severity", type=int, action="append", choices=(0, 1, 2, 3))
    parser.add_argument("--view", action="append", choices=("front", "rear"))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--duration-s", type=float, default=15.0)
    parser.add_argument("--overground", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    fps_list = args.fps or [30.0, 60.0, 120.0, 240.0]
    severities = args.severity or [0, 2]
    views = args.view or ["front", "rear"]
    trials = [load_trial(args.mocap, t) for t in list_trials(args.mocap)]
    seeds = range(args.seeds)
    cells, front_runs = [], []
    t0 = time.perf_counter()
    for view in views:
        for sev in severities:
            for fps in fps_list:
                runs = [
                    run_one(tr, view, fps, s, sev, args.duration_s) for tr in trials for s in seeds
                ]
                if view == "front":
                    front_runs += runs
                cells.append((f"{view} sev {sev} {fps:.0f} fps", summarise(runs)))
                print(f"  {cells[-1][0]} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if args.overground:
        for view in views:
            for height, label in ((None, "hip-height camera"), (0.3, "camera at 0.3 m")):
                for fps in (30.0, 120.0):
                    runs = [
                        run_one(
                            tr,
                            view,
                            fps,
                            s,
                            0,
                            3.5,
                            overground=True,
                            camera_height_m=height,
                            distance_m=3.0 if view == "rear" else 12.0,
                        )
                        for tr in trials
                        for s in seeds
                    ]
                    cells.append((f"{view} overground, {label}, {fps:.0f} fps", summarise(runs)))
    head = (
        f"Trials: {', '.join(t.trial_id for t in trials)}; seeds {len(seeds)}; "
        f"{args.duration_s:.0f} s clips. Metric cells: per-step bias / per-step RMSE / clip MAE "
        "(deg; step width in pelvis widths)."
    )
    text = [
        head,
        "",
        table(cells),
        "",
        "Front-view offsets held out (fitted on one subject, scored on the other):",
        *held_out(front_runs),
    ]
    out = "\n".join(text)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


if __name__ == "__main__":
    main()
