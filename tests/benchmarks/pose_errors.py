"""Measure MediaPipe's landmark errors on real running clips (facts behind gait.validate.errors).

    python tests/benchmarks/pose_errors.py [--clips-dir ../shared/data/clips] [--tmp DIR]

Clips: the sample's committed VIDEO-mode track (``samples/...portrait.track.nc``), its rotated twin
(``tests/data/...rot90meta.track.nc``), and the two GPL clips of the shared data folder
(``side_overground_passby_30fps_openpose_overlay.mp4``,
``rear_overground_30fps_openpose_overlay.mp4``), whose tracks are made with
``gait pose --workers 1`` into ``--tmp`` (default /tmp/pose_errors; never into the project: GPL).
About 5 s plus ~10 s of pose estimation on the first run.

Per clip it prints:

1. Jitter of hips and knees, per image axis: residual = landmark minus a least-squares fit of a
   stride-periodic Fourier series (harmonics up to 10 Hz; stride frequency refined around the
   annotated one) plus a polynomial trend (linear on the treadmill, quadratic overground), and on
   clips longer than 10 s minus the residual's own 0.3 Hz zero-phase low-pass (the runner drifting
   on the belt). Its lag-1 (``r1``) and lag-2 (``r2``) autocorrelation, time constant
   ``-dt / ln r1`` and SD as % of body height; then ``tau`` and SD corrected for what the same fit
   removes from AR(1) noise (simulated on the clip's own design), when some AR(1) explains ``r1``.
   Knee frames inside leg-label episodes (+- 1 frame) are left out. (A 6 Hz low-pass residual
   cannot measure this at 30 fps: it keeps 6-15 Hz only, where any AR(1) noise with tau > 0.05 s
   has r1 near -0.43; the clips give -0.2..-0.4.)
2. Leg-label episodes: a foot (ankle, heel, foot_index mean) closer to the other leg's smooth
   (stride-periodic fit) trajectory than to its own, in frames where the two smooth feet are more
   than 10 % of body height apart; the fits leave out the flagged frames (4 iterations). Runs of
   flagged frames are episodes: count, lengths, rate per stride (stride from the hand-annotated
   ICs), which feet are wrong (both = swap; one foot: the observed feet's separation relative to
   the smooth feet's, ~0 snap, between = blend), the share starting <= 0.2 s before an annotated
   far-foot IC against the uniform chance, and the far foot's visibility inside and outside.
3. Dropouts: runs of frames without the far foot between the first and last detected frame.

Body height: 90th percentile over frames of (lowest foot landmark y - nose y) / 0.91 (nose height
~0.91 of stature, Drillis & Contini 1966), a rough scale only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import butter, sosfiltfilt

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gait.track import load_track  # noqa: E402

FOOT = ("ankle", "heel", "foot_index")
MAX_HARMONIC_HZ = 10.0
DRIFT_HZ = 0.3
TAU_MAX_S = 0.6
NOSE_HEIGHT_FRACTION = 0.91
PRE_IC_WINDOW_S = 0.2
SEPARATION_FRAC = 0.10


def _r1(x: np.ndarray) -> float:
    """Lag-1 autocorrelation of a series with NaN gaps (pairs with both ends present)."""
    x = x - np.nanmean(x)
    ok = np.isfinite(x[1:]) & np.isfinite(x[:-1])
    return float(
        np.sum(x[1:][ok] * x[:-1][ok]) / np.nansum(x * x) * np.isfinite(x).sum() / ok.sum()
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _design(t_s: np.ndarray, freq_hz: float, trend_deg: int) -> np.ndarray:
    """Stride-periodic Fourier basis up to MAX_HARMONIC_HZ plus a polynomial trend."""
    tt = (t_s - t_s.mean()) / max(np.ptp(t_s), 1e-9)
    cols = [tt**k for k in range(trend_deg + 1)]
    n_harm = int(min(MAX_HARMONIC_HZ / freq_hz, (len(t_s) / 3 - trend_deg - 1) / 2))
    for h in range(1, max(n_harm, 1) + 1):
        cols += [np.cos(2 * np.pi * h * freq_hz * t_s), np.sin(2 * np.pi * h * freq_hz * t_s)]
    return np.stack(cols, axis=1)


def _fit(x: np.ndarray, y: np.ndarray, use: np.ndarray | None = None) -> np.ndarray:
    """Least-squares fit of ``(n, d)`` values on the design ``x`` over rows ``use``; the fit."""
    ok = np.isfinite(y).all(axis=1) if use is None else use & np.isfinite(y).all(axis=1)
    coef, *_ = np.linalg.lstsq(x[ok], y[ok], rcond=None)
    return x @ coef


def _drift_removed(res: np.ndarray, fps: float) -> np.ndarray:
    """Residual minus its own DRIFT_HZ zero-phase low-pass (the runner drifting on the belt).

    Only for clips longer than 3 / DRIFT_HZ; short clips are returned as they are.
    """
    if len(res) < 3 * fps / DRIFT_HZ:
        return res
    sos = butter(2, DRIFT_HZ / (fps / 2), output="sos")
    return res - sosfiltfilt(sos, res, axis=0)


def _chain(x: np.ndarray, proj: np.ndarray, y: np.ndarray, fps: float) -> np.ndarray:
    """The residual the jitter figures are measured on: ``y`` minus its periodic fit, de-drifted."""
    return _drift_removed(y - proj @ y, fps)


def calibration(x: np.ndarray, fps: float, reps: int = 200) -> pd.DataFrame:
    """What :func:`_chain` does to AR(1) noise of known tau on this design ``x``.

    Returns the residual's lag-1 autocorrelation and residual SD / true SD per tau (mean over
    ``reps`` unit-variance series).
    """
    rng = np.random.default_rng(0)
    n = len(x)
    proj = x @ np.linalg.pinv(x)
    rows = []
    for tau in np.r_[0.0, np.geomspace(0.01, TAU_MAX_S, 40)]:
        a = np.exp(-1.0 / (fps * tau)) if tau > 0 else 0.0
        e = rng.normal(size=(n, reps))
        z = np.empty_like(e)
        z[0] = e[0]
        for i in range(1, n):
            z[i] = a * z[i - 1] + np.sqrt(1 - a * a) * e[i]
        res = _chain(x, proj, z, fps)
        r1 = np.mean([_r1(res[:, k]) for k in range(reps)])
        rows.append({"tau_s": tau, "r1": r1, "sd_ratio": float(np.mean(res.std(axis=0)))})
    return pd.DataFrame(rows)


def _invert(cal: pd.DataFrame, r1: float) -> tuple[float, float]:
    """(tau_true_s, sd_ratio) for a measured residual r1 (clipped to the calibration's range)."""
    c = cal.sort_values("tau_s")
    r = np.maximum.accumulate(c["r1"].to_numpy())
    tau = float(np.interp(r1, r, c["tau_s"]))
    return tau, float(np.interp(tau, c["tau_s"], c["sd_ratio"]))


def _segment(track) -> slice:
    """Longest run of frames with both hips, knees and feet present."""
    names = [f"{s}_{p}" for s in ("left", "right") for p in ("hip", "knee", *FOOT)]
    pos = track["position"].sel(keypoint=names).values
    runs = _runs(np.isfinite(pos).all(axis=(1, 2)))
    a, b = max(runs, key=lambda r: r[1] - r[0])
    return slice(a, b)


def _autocorr_stride_s(pos: dict[str, np.ndarray], fps: float, rear: bool) -> float:
    d = pos["left_heel"][:, 1 if rear else 0] - pos["right_heel"][:, 1 if rear else 0]
    d = d - d.mean()
    ac = np.correlate(d, d, "full")[len(d) - 1 :]
    ac = ac / ac[0]
    lo, hi = int(0.4 * fps), min(int(1.2 * fps), len(ac) - 1)
    return float((lo + np.argmax(ac[lo:hi])) / fps)


def _annotated_ics(path: Path | None) -> pd.DataFrame:
    if path is None or not path.is_file():
        return pd.DataFrame(columns=["frame", "foot"])
    table = pd.read_csv(path)
    return table.loc[table["event"] == "IC", ["frame", "foot"]].sort_values("frame")


def measure(track, annotation: Path | None, *, rear: bool, treadmill: bool) -> dict[str, object]:
    """All figures of one clip."""
    fps = float(track.attrs["fps"])
    dt = 1.0 / fps
    t = track.isel(time=_segment(track))
    first_frame = int(t["frame"].values[0])
    kp = list(map(str, t["keypoint"].values))
    allpos = t["position"].values.astype(float)
    conf = t["confidence"].values.astype(float)
    pos = {k: allpos[:, i] for i, k in enumerate(kp)}
    n = len(allpos)
    time_s = np.arange(n) * dt
    feet_y = np.nanmax(
        np.stack([pos[f"{s}_{p}"][:, 1] for s in ("left", "right") for p in FOOT]), axis=0
    )
    height_px = float(np.nanpercentile(feet_y - pos["nose"][:, 1], 90) / NOSE_HEIGHT_FRACTION)
    vis = {
        s: np.nanmean([conf[:, kp.index(f"{s}_{p}")] for p in FOOT], axis=0)
        for s in ("left", "right")
    }
    near = "left" if np.nanmedian(vis["left"]) >= np.nanmedian(vis["right"]) else "right"
    far = "right" if near == "left" else "left"
    ics = _annotated_ics(annotation)
    auto_stride = _autocorr_stride_s(pos, fps, rear)
    stride = 2 * float(np.diff(ics["frame"]).mean()) * dt if len(ics) >= 3 else auto_stride
    trend = 1 if treadmill else 2
    # stride frequency: refine 1 / stride by least squares on hips, knees and feet
    stack = np.concatenate(
        [pos[f"{s}_{p}"] for s in ("left", "right") for p in ("hip", "knee", *FOOT)], axis=1
    )
    grid = np.linspace(0.9, 1.1, 81) / stride
    rss = [np.nansum((stack - _fit(_design(time_s, f, trend), stack)) ** 2) for f in grid]
    freq = float(grid[int(np.argmin(rss))])
    x = _design(time_s, freq, trend)
    # --- leg-label episodes against the stride-periodic smooth feet
    foot = {s: np.mean([pos[f"{s}_{p}"] for p in FOOT], axis=0) for s in ("left", "right")}
    wrong = {s: np.zeros(n, bool) for s in foot}
    for _ in range(4):
        smooth = {s: _fit(x, foot[s], ~wrong[s]) for s in foot}
        sep = np.linalg.norm(smooth["left"] - smooth["right"], axis=1)
        clear = sep > SEPARATION_FRAC * height_px
        for s, o in (("left", "right"), ("right", "left")):
            d_own = np.linalg.norm(foot[s] - smooth[s], axis=1)
            d_other = np.linalg.norm(foot[s] - smooth[o], axis=1)
            wrong[s] = clear & (d_other < d_own)
    flagged = wrong["left"] | wrong["right"]
    episodes = _runs(flagged)
    far_ic = (ics.loc[ics["foot"] == far[0].upper(), "frame"].to_numpy() - first_frame) * dt
    obs_sep = np.linalg.norm(foot["left"] - foot["right"], axis=1)
    kinds, leads, pre = [], [], 0
    for a, b in episodes:
        both = np.mean(wrong["left"][a:b] & wrong["right"][a:b]) >= 0.5
        side = "both" if both else ("far" if wrong[far][a:b].any() else "near")
        kinds.append((side, float(np.median(obs_sep[a:b] / sep[a:b]))))
        lead = far_ic - a * dt
        lead = lead[lead >= 0]
        leads.append(float(lead.min()) if len(lead) else float("nan"))
        pre += bool(len(lead) and lead.min() <= PRE_IC_WINDOW_S)
    lengths = np.array([b - a for a, b in episodes], dtype=int)
    # --- jitter: residual from the periodic fit, de-drifted (knees: episode frames +- 1 out)
    near_ep = np.convolve(flagged.astype(float), np.ones(3), "same") > 0
    cal = calibration(x, fps)
    proj = x @ np.linalg.pinv(x)
    jitter = {}
    for group, names in (
        ("hips", ("left_hip", "right_hip")),
        ("knees", ("left_knee", "right_knee")),
    ):
        for ax, axis in enumerate("xy"):
            r1s, r2s, sds = [], [], []
            for name in names:
                y = pos[name][:, ax]
                if group == "knees":  # bridge episode frames before fitting, then drop them
                    y = np.interp(np.arange(n), np.flatnonzero(~near_ep), y[~near_ep])
                res = _chain(x, proj, y, fps)
                if group == "knees":
                    res[near_ep] = np.nan
                r1s.append(_r1(res))
                r = res - np.nanmean(res)
                r2s.append(float(np.nansum(r[2:] * r[:-2]) / np.nansum(r * r)))
                sds.append(float(np.nanstd(res)))
            r1 = float(np.mean(r1s))
            sd_pct = 100.0 * float(np.mean(sds)) / height_px
            tau_true, ratio = _invert(cal, r1)
            jitter[f"{group} {axis}"] = {
                "r1": r1,
                "r2": float(np.mean(r2s)),
                "tau_raw_s": -dt / np.log(r1) if 0 < r1 < 1 else float("nan"),
                "tau_true_s": tau_true,
                "r1_true": float(np.exp(-dt / tau_true)) if tau_true > 0 else 0.0,
                "sd_pct": sd_pct,
                "sd_true_pct": sd_pct / ratio,
            }
    # --- dropouts: frames without the far foot between the first and last detected frame
    full = track["position"].values
    det = np.isfinite(full).any(axis=(1, 2))
    far_ok = np.isfinite(full[:, [kp.index(f"{far}_{p}") for p in FOOT]]).all(axis=(1, 2))
    a0, a1 = int(np.argmax(det)), len(det) - int(np.argmax(det[::-1]))
    drops = [b - a for a, b in _runs(~far_ok[a0:a1])]
    return {
        "frames": n,
        "fps": fps,
        "height_px": height_px,
        "near": near,
        "stride_s": stride,
        "auto_stride_s": auto_stride,
        "fit_stride_s": 1.0 / freq,
        "strides": n * dt / stride,
        "jitter": jitter,
        "episodes": len(episodes),
        "episode_frames": lengths,
        "episode_rate_per_stride": len(episodes) / (n * dt / stride),
        "flagged_pct": 100.0 * flagged.mean(),
        "clear_pct": 100.0 * clear.mean(),
        "kinds": kinds,
        "pre_ic_share": pre / len(episodes) if episodes and len(far_ic) else float("nan"),
        "leads_s": leads,
        "pre_ic_chance": min(1.0, PRE_IC_WINDOW_S / stride) if len(far_ic) else float("nan"),
        "far_vis_in": float(np.nanmedian(vis[far][flagged])) if flagged.any() else float("nan"),
        "far_vis_out": float(np.nanmedian(vis[far][~flagged])),
        "dropout_runs": drops,
    }


def _print(name: str, m: dict[str, object]) -> None:
    print(f"## {name}")
    print(
        f"frames {m['frames']} at {m['fps']:.0f} fps, body height ~{m['height_px']:.0f} px, "
        f"near leg {m['near']}, stride {m['stride_s']:.3f} s ({m['strides']:.1f} strides)"
    )
    print(
        f"  stride from annotation {m['stride_s']:.3f} s, heel-difference autocorrelation "
        f"{m['auto_stride_s']:.3f} s, periodic fit {m['fit_stride_s']:.3f} s"
    )
    for group, j in m["jitter"].items():
        print(
            f"  jitter {group}: residual r1 {j['r1']:.2f}, r2 {j['r2']:.2f} "
            f"(tau {j['tau_raw_s']:.3f} s), "
            f"SD {j['sd_pct']:.2f} % of height; "
            + (
                f"fit-corrected AR(1): tau {j['tau_true_s']:.3f} s (r1 {j['r1_true']:.2f}), "
                f"SD {j['sd_true_pct']:.2f} %"
                if j["tau_true_s"] < TAU_MAX_S
                else "beyond any AR(1) after the fit (the residual holds motion): not corrected"
            )
        )
    lengths = m["episode_frames"]
    kinds = m["kinds"]
    count = {k: sum(side == k for side, _ in kinds) for k in ("both", "far", "near")}
    ratios = ", ".join(f"{r:.2f}" for side, r in kinds if side != "both")
    print(
        f"  episodes {m['episodes']} ({m['episode_rate_per_stride']:.2f} per stride, "
        f"{m['flagged_pct']:.1f} % of frames; feet apart in {m['clear_pct']:.0f} %), "
        f"lengths {sorted(lengths.tolist())} frames"
        + (f", median {np.median(lengths):.0f}" if len(lengths) else "")
    )
    print(
        f"  kinds: both feet wrong (swap) {count['both']}, far foot only {count['far']}, near foot "
        f"only {count['near']}; one-foot episodes' observed/smooth foot separation: {ratios or '-'}"
    )
    leads = [round(v * m["fps"]) for v in m["leads_s"] if np.isfinite(v)]
    print(
        f"  starting <= {PRE_IC_WINDOW_S} s before a far IC: {m['pre_ic_share']:.2f} "
        f"(uniform chance {m['pre_ic_chance']:.2f}); time from episode start to the next far "
        f"IC (annotated), frames: {leads}"
    )
    print(
        f"  far-foot visibility in episodes {m['far_vis_in']:.2f}, "
        f"elsewhere {m['far_vis_out']:.2f}; dropout runs (frames) {m['dropout_runs'] or 'none'}"
    )


def main(argv: list[str] | None = None) -> None:
    """Measure every clip and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips-dir", type=Path, default=ROOT.parent / "shared" / "data" / "clips")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp/pose_errors"))
    args = parser.parse_args(argv)
    clips = args.clips_dir
    items = [
        (
            "sample (treadmill, side, 30 fps)",
            ROOT / "samples" / "treadmill_side_male_30fps_portrait.track.nc",
            ROOT / "samples" / "treadmill_side_male_30fps_portrait.events.csv",
        ),
        (
            "sample rot90meta (same clip re-encoded)",
            ROOT / "tests" / "data" / "treadmill_side_male_30fps_rot90meta.track.nc",
            clips / "treadmill_side_male_30fps_rot90meta.events.csv",
        ),
    ]
    args.tmp.mkdir(parents=True, exist_ok=True)
    for stem, label in (
        ("side_overground_passby_30fps_openpose_overlay", "GPL side overground pass-by"),
        ("rear_overground_30fps_openpose_overlay", "GPL rear overground"),
    ):
        out = args.tmp / f"{stem}.track.nc"
        if not out.is_file():
            gait = Path(sys.executable).with_name("gait")
            cmd = [str(gait), "pose", str(clips / f"{stem}.mp4"), "-o", str(out), "--workers", "1"]
            subprocess.run(cmd, check=True)
        items.append((label, out, clips / f"{stem}.events.csv"))
    for label, path, annotation in items:
        track = load_track(path)
        m = measure(track, annotation, rear="rear" in path.name, treadmill="treadmill" in path.name)
        _print(label, m)


if __name__ == "__main__":
    main()
