"""Rear and front view overground on the mocap harness, and the real rear clip held out.

    python tests/benchmarks/rear_overground.py [--mocap ../shared/data/mocap] [--seeds 2] [--real-track T.nc]
        [--label-colours T.nc]

Harness (:mod:`gait.validate.rear_overground`): RBDS001 and RBDS0041 (2.5 m/s), virtual camera behind the
runner (he runs away from 3 m) or in front (towards it from 12 m), at 0.1 m and at hip height, 30 and 60
fps, 3 s, pose-error severity 2 without side-view episodes (jitter scaled with the runner's size); ICs
matched to the force plates within 0.15 s. The same eight cases again with the error model's frontal
leg-label episodes (``FRONTAL_MEASURED``: whole-leg swaps and one foot drawn onto the other, measured on
the real rear clip against its drawn OpenPose skeleton), then four rows with its opt-in foot lag
(``foot_lag_s`` 0.045 s: MediaPipe's feet arriving late at contact, measured on the sample treadmill
clip), not used for tuning. The constants of :mod:`gait.events._rear_overground` were tuned on the
rows without foot lag only.

``--real-track``: a track of ``../shared/data/clips/rear_overground_30fps_openpose_overlay.mp4`` made with
``gait pose CLIP -o T.nc --workers 1`` (GPL-3.0: keep it outside the project); its 7 annotated ICs are
scored held out (nearest same-foot IC, in frames) with the detected cadence.

``--label-colours T.nc`` (same track): the measurement behind the error model's frontal episodes
(``gait.validate.errors.FRONTAL_MEASURED``): the colour of the OpenPose skeleton drawn on the clip
(left leg blue, right cyan) under each MediaPipe knee, ankle and heel, per frame, and the runs of frames
where a MediaPipe leg point sits on the other leg's colour.
Runtime: about 1 minute on the project's machine (2 cores shared).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gait.events import detect_events  # noqa: E402 - after the sys.path line above
from gait.track import clean_track, load_track  # noqa: E402 - after the sys.path line above
from gait.validate import load_trial  # noqa: E402 - after the sys.path line above
from gait.validate.rear_overground import format_table, run_clip, summarise  # noqa: E402

#: The error model's foot lag measured on the sample treadmill clip (``tests/benchmarks/foot_lag.py``).
FOOT_LAG_S = 0.045
ANNOTATION = ROOT.parent / "shared" / "data" / "clips" / "rear_overground_30fps_openpose_overlay.events.csv"


def real_clip(track_path: Path) -> str:
    """Held-out figures of the real rear clip."""
    cleaned = clean_track(load_track(track_path))
    ev = detect_events(cleaned)
    ann = pd.read_csv(ANNOTATION)
    frames, t = cleaned["frame"].values, cleaned["time"].values
    ic = ev.table[ev.table["type"] == "IC"]
    lines, hits = [], 0
    for r in ann.itertuples():
        got = ic.loc[ic["foot"] == r.foot, "time_s"].to_numpy()
        d = (got - np.interp(r.frame, frames, t)) * float(cleaned.attrs["fps"])
        near = float(d[np.argmin(np.abs(d))]) if len(d) else float("nan")
        hits += int(abs(near) <= 1.0 + 1e-6)
        lines.append(f"{r.foot}@{r.frame}: {near:+.1f} frames")
    span_s = (ann["frame"].iloc[-1] - ann["frame"].iloc[0]) / 30.0
    ann_cad = 60.0 * (len(ann) - 1) / span_s
    unc = ann_cad * (ann["uncertainty_frames"].iloc[0] + ann["uncertainty_frames"].iloc[-1]) / 30.0 / span_s
    det = np.sort(ic["time_s"].to_numpy())
    cad = 60.0 / float(np.median(np.diff(det))) if len(det) >= 2 else float("nan")
    return (
        f"real rear clip (held out): running {ev.running}, {len(det)} ICs detected; cadence (median step) "
        f"{cad:.1f} spm vs annotation {ann_cad:.1f} +- {unc:.1f}; {hits}/{len(ann)} annotated ICs within 1 frame\n  "
        + ", ".join(lines)
    )


def _leg_colour(rgb: np.ndarray, x: float, y: float, radius: int = 7) -> str:
    """``L`` (blue), ``R`` (cyan) or ``?``: the OpenPose leg colour dominating around a point."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return "."
    xi, yi = int(round(x)), int(round(y))
    patch = rgb[max(0, yi - radius) : yi + radius + 1, max(0, xi - radius) : xi + radius + 1].reshape(-1, 3).astype(int)
    r, g, b = patch.T
    blue = int(((b > 170) & (r < 90) & (g < 110)).sum())
    cyan = int(((b > 170) & (g > 170) & (r < 110)).sum())
    if max(blue, cyan) < 5 or blue == cyan:
        return "?"
    return "L" if blue > cyan else "R"


def label_colours(track_path: Path) -> str:
    """Per frame, the OpenPose colour under MediaPipe's leg points, and the runs where they disagree."""
    import av  # the project's video reader; only this measurement needs it here

    track = load_track(track_path)
    pos = track["position"]
    clip = ANNOTATION.with_name(ANNOTATION.name.replace(".events.csv", ".mp4"))
    parts = ("knee", "ankle", "heel")
    lines, wrong = [], []
    with av.open(str(clip)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= pos.sizes["time"]:
                break
            rgb = frame.to_ndarray(format="rgb24")
            got = {
                (side, part): _leg_colour(
                    rgb,
                    float(pos.sel(keypoint=f"{side}_{part}", space="x").values[i]),
                    float(pos.sel(keypoint=f"{side}_{part}", space="y").values[i]),
                )
                for side in ("left", "right")
                for part in parts
            }
            bad = [f"{s}_{p}" for (s, p), c in got.items() if c == ("R" if s == "left" else "L")]
            wrong.append(bad)
            cells = " ".join(got[("left", p)] for p in parts) + " | " + " ".join(got[("right", p)] for p in parts)
            lines.append(f"{i:3d}  {cells}  {' '.join(bad)}")
    runs, start = [], None
    for i, bad in enumerate([*wrong, []]):
        if bad and start is None:
            start = i
        elif not bad and start is not None:
            points = ", ".join(sorted({b for w in wrong[start:i] for b in w}))
            runs.append(f"{start}-{i - 1} ({i - start} frames: {points})")
            start = None
    head = "frame  MediaPipe left knee ankle heel | right knee ankle heel: OpenPose colour underneath (L blue, R cyan)"
    return "\n".join([head, *lines, "runs of frames with a leg point on the other leg: " + "; ".join(runs)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mocap", type=Path, default=ROOT.parent / "shared" / "data" / "mocap")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--real-track", type=Path)
    parser.add_argument("--label-colours", type=Path, help="a track of the real rear clip: its leg-label errors")
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    if args.label_colours is not None:
        print(label_colours(args.label_colours))
        return
    trials = [load_trial(args.mocap, t) for t in ("RBDS001_runT25", "RBDS0041_runT25")]
    rows = []
    for labels in (False, True):
        for view in ("rear", "front"):
            for height, label in ((0.1, "camera at 0.1 m"), (None, "hip-height camera")):
                for fps in (30.0, 60.0):
                    runs = [
                        run_clip(
                            tr, view=view, fps=fps, seed=s, severity=2, camera_height_m=height, label_errors=labels
                        )
                        for tr in trials
                        for s in range(args.seeds)
                    ]
                    name = f"{view}, {label}, {fps:.0f} fps{', label errors' if labels else ''}"
                    rows.append((name, summarise(runs)))
    for labels in (False, True):
        for view in ("rear", "front"):
            runs = [
                run_clip(
                    tr,
                    view=view,
                    fps=30.0,
                    seed=s,
                    severity=2,
                    camera_height_m=0.1,
                    foot_lag_s=FOOT_LAG_S,
                    label_errors=labels,
                )
                for tr in trials
                for s in range(args.seeds)
            ]
            name = f"{view}, camera at 0.1 m, 30 fps, foot lag {FOOT_LAG_S:.3f} s{', label errors' if labels else ''}"
            rows.append((name, summarise(runs)))
    print(format_table(rows))
    if args.real_track is not None:
        print(real_clip(args.real_track))


if __name__ == "__main__":
    main()
