"""MediaPipe's foot slide at contact, measured on the sample treadmill clip's hand-annotated contacts.

The treadmill clip (``../shared/data/clips/treadmill_side_male_30fps_portrait.mp4``, 34 ICs
annotated by hand, SOURCES.md section 1; its cached track ``tests/data/*_rot90meta.track.nc``)
is the real clip we may tune on. Two tables:

1. **The slide model** (the basis of :func:`gait.validate.passby.slide_feet`). The near foot's
   median forward velocity over the 15 frames around each annotated IC (-6 .. +8, the 16 contacts
   with a full window), made ground-relative by adding a belt speed, against the RBDS mocap
   feet's around their force-plate contacts (ground-relative: the trial speed added), sampled at
   the same 30 fps offsets (the annotation, "first frame the shoe is on the belt", taken as half a
   frame after the contact). The belt speed is the near heel's median backward speed in mid-stance
   (frames +2 .. +7). The mocap feet pass through a causal low-pass (none, one-pole of time
   constant tau, or second-order of natural frequency f0 and damping zeta). Printed: the squared
   error of the best fits, and the heel's and ankle's heights (leg lengths above their stance
   height) around contact, MediaPipe against the heel's best filter.
2. **IC rules** on the same clip: :func:`gait.events._ground.foot_stances` on the belt-relative
   feet (belt speed: the median backward heel speed 1-4 frames after each annotated IC), IC lag
   against the annotation for several :data:`gait.events._ground.IC_PEAK_FRACTION` values (0 =
   the stance level's crossing).

    .venv/bin/python tests/benchmarks/foot_lag.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import bilinear, lfilter

import gait.events._ground as ground
from gait.events._detect import _pelvis_and_feet
from gait.track import clean_track, clip_view, load_track
from gait.track._rhythm import leg_length_px, xy
from gait.validate import list_trials, load_trial
from gait.validate.passby import trial_speed_m_s

ROOT = Path(__file__).resolve().parents[2]
TRACK = ROOT / "tests" / "data" / "treadmill_side_male_30fps_rot90meta.track.nc"
ANNOTATION = ROOT.parent / "shared" / "data" / "clips" / "treadmill_side_male_30fps_portrait.events.csv"
MOCAP = ROOT.parent / "shared" / "data" / "mocap"
WINDOW = np.arange(-6, 9)  # frames around the annotated IC
SHIFT_FRAMES = 0.5  # the annotation's frame is on average half a frame after the contact


def _mediapipe_profiles(track, view, ann, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Near foot: median forward velocity (leg lengths/s, image) and height above stance around each IC."""
    t = track["time"].values.astype(float)
    leg = leg_length_px(track)
    vel, height = [], []
    for r in ann.itertuples():
        if r.foot != view.near_foot or r.frame - 7 < 0 or r.frame + 10 >= len(t):
            continue
        side = {"L": "left", "R": "right"}[r.foot]
        p = xy(track, f"{side}_{part}")
        x, z = view.forward_sign * p[:, 0] / leg, -p[:, 1] / leg
        k = r.frame + WINDOW
        vel.append(np.gradient(x, t)[k])
        height.append(z[k] - np.nanmedian(z[r.frame + 3 : r.frame + 7]))
    return np.nanmedian(vel, axis=0), np.nanmedian(height, axis=0)


def _filter(kind: str, a: float, b: float):
    def run(x: np.ndarray, dt: float) -> np.ndarray:
        if kind == "none":
            return x
        if kind == "pole1":
            c = np.exp(-dt / a)
            return lfilter([1 - c], [1, -c], x - x[0]) + x[0]
        w = 2 * np.pi * a
        num, den = bilinear([w**2], [1, 2 * b * w, w**2], fs=1 / dt)
        return lfilter(num, den, x - x[0]) + x[0]

    return run


def _mocap_profiles(trials, part: str, filt) -> tuple[np.ndarray, np.ndarray]:
    """Mocap feet (both legs, all trials): median velocity / speed and height above stance (leg lengths)."""
    vel, height = [], []
    for trial in trials:
        speed = trial_speed_m_s(trial)
        ts = trial.time_s
        dt = float(ts[1] - ts[0])
        lm = trial.landmarks_m
        leg = float(
            np.nanmedian(
                np.linalg.norm(lm["left_hip"] - lm["left_knee"], axis=1)
                + np.linalg.norm(lm["left_knee"] - lm["left_ankle"], axis=1)
            )
        )
        for side in ("left", "right"):
            q = lm[f"{side}_{part}"]
            ok = np.isfinite(q[:, 0]) & np.isfinite(q[:, 1])
            idx = np.arange(len(ts))
            x = filt(np.interp(idx, idx[ok], q[ok, 0] + speed * ts[ok]), dt)
            z = filt(np.interp(idx, idx[ok], q[ok, 1]), dt)
            v = np.gradient(x, ts) / speed
            for r in trial.contacts[trial.contacts["foot"] == side[0].upper()].itertuples():
                tt = r.ic_time_s + (WINDOW - SHIFT_FRAMES) / 30
                if tt[0] < ts[0] + 0.3 or tt[-1] > ts[-1] - 0.1:
                    continue
                vel.append(np.interp(tt, ts, v))
                stance = np.interp(r.ic_time_s + np.array([0.1, 0.13, 0.17, 0.2]), ts, z).mean()
                height.append((np.interp(tt, ts, z) - stance) / leg)
    return np.nanmedian(vel, axis=0), np.nanmedian(height, axis=0)


def slide_table(track, view, ann) -> None:
    trials = [load_trial(MOCAP, t) for t in list_trials(MOCAP)]
    # the belt: the near heel's median backward speed in mid-stance (frames +2 .. +7 after each IC)
    t = track["time"].values.astype(float)
    leg = leg_length_px(track)
    mid = []
    for r in ann.itertuples():
        if r.foot == view.near_foot and r.frame + 8 < len(t):
            x = view.forward_sign * xy(track, "left_heel" if r.foot == "L" else "right_heel")[:, 0] / leg
            mid.append((x[r.frame + 2] - x[r.frame + 7]) / (t[r.frame + 7] - t[r.frame + 2]))
    belts = np.array([float(np.nanmedian(mid))])
    print(f"belt speed (near heel, mid-stance) {belts[0]:.2f} leg lengths/s")
    filters = [("none", 0.0, 0.0)]
    filters += [("pole1", tau, 0.0) for tau in (0.03, 0.04, 0.05, 0.06, 0.07)]
    filters += [("pole2", f0, z) for f0 in (3.0, 4.0, 5.0, 5.5, 6.0, 7.0) for z in (0.5, 0.6, 0.75, 0.85, 1.0)]
    print("| landmark | best filter of its kind | squared error (speed units)^2 |")
    print("|---|---|---|")
    best_heel = None
    for part in ("heel", "ankle", "foot_index"):
        vel_mp, _ = _mediapipe_profiles(track, view, ann, part)
        fits = []
        for f in filters:
            u, _ = _mocap_profiles(trials, part, _filter(*f))
            err = [float(np.nansum((u - (vel_mp + b) / b) ** 2)) for b in belts]
            j = int(np.argmin(err))
            fits.append((err[j], f, float(belts[j])))
        fits.sort(key=lambda x: x[0])
        shown = [fits[0], next(x for x in fits if x[1][0] == "pole1"), next(x for x in fits if x[1][0] == "none")]
        for err, (kind, a, b), _ in shown:
            name = {"none": "none", "pole1": f"one-pole tau {a:.2f} s", "pole2": f"2nd order {a:g} Hz, zeta {b:g}"}[
                kind
            ]
            print(f"| {part} | {name} | {err:.2f} |")
        if part == "heel":
            best_heel = fits[0][1]
    print()
    print("heights above stance (leg lengths x 100), frames", " ".join(f"{d:+d}" for d in WINDOW))
    for part in ("heel", "ankle"):
        _, z_mp = _mediapipe_profiles(track, view, ann, part)
        _, z_fit = _mocap_profiles(trials, part, _filter(*best_heel))
        _, z_true = _mocap_profiles(trials, part, _filter("none", 0, 0))
        for label, z in (("MediaPipe", z_mp), ("mocap filtered", z_fit), ("mocap", z_true)):
            print(f"  {part:6s} {label:15s}", " ".join(f"{100 * v:5.1f}" for v in z))


def ic_table(track, view, ann) -> None:
    _, feet = _pelvis_and_feet(track, view.forward_sign)
    t = track["time"].values.astype(float)
    fps = float(track.attrs["fps"])
    vs = []
    for r in ann.itertuples():
        heel = feet[r.foot][0]
        for k in range(r.frame + 1, min(r.frame + 5, len(t) - 1)):
            vs.append(-(heel[k + 1] - heel[k - 1]) / (t[k + 1] - t[k - 1]))
    belt = float(np.nanmedian(vs))
    print(f"belt speed {belt:.2f} leg lengths/s; lag = detected - annotated IC, frames at {fps:.0f} fps")
    print("| IC rule | matched | lag median | lag mean | lag SD | within 1 frame % |")
    print("|---|---|---|---|---|---|")
    saved = ground.IC_PEAK_FRACTION
    try:
        for frac in (0.0, 0.3, 0.5, 0.55, 0.6):
            ground.IC_PEAK_FRACTION = frac
            lags = []
            for f in ("L", "R"):
                heel, toe = (x + belt * t for x in feet[f])
                ics = np.array([s.ic_s for s in ground.foot_stances(t, heel, toe, belt, f)])
                for r in ann[ann["foot"] == f].itertuples():
                    if len(ics):
                        d = ics - t[r.frame]
                        j = int(np.argmin(np.abs(d)))
                        if abs(d[j]) < 0.15:
                            lags.append(d[j] * fps)
            lag = np.array(lags)
            rule = f"{frac:.2f} x swing peak" if frac > 0 else "stance level 0.35"
            print(
                f"| {rule} | {len(lag)}/{len(ann)} | {np.median(lag):+.2f} | {lag.mean():+.2f} | "
                f"{lag.std(ddof=1):.2f} | {100 * np.mean(np.abs(lag) <= 1):.0f} |"
            )
    finally:
        ground.IC_PEAK_FRACTION = saved


def main() -> None:
    raw = load_track(TRACK)
    view = clip_view(raw)
    track = clean_track(raw, view=view)
    ann = pd.read_csv(ANNOTATION)
    ann = ann[ann["event"] == "IC"]
    slide_table(track, view, ann)
    print()
    ic_table(track, view, ann)


if __name__ == "__main__":
    main()
