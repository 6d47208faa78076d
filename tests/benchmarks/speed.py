"""Speed and agreement of the pose backends (issue 14), measured side by side in one run.

Usage::

    .venv/bin/python tests/benchmarks/speed.py [CLIP ...] [--repeat 1] [--speed-clips N]

For the first ``--speed-clips`` clips (default 2) it times, round-robin over ``--repeat`` runs (median):

- ``bare``: a fresh process, OpenCV decode -> RGB -> MediaPipe ``detect_for_video`` (the simplest
  script; its imports and model load included, as for ``gait pose``);
- ``gait pose --backend B`` for each backend, as a fresh process (start-up, model load, probing,
  hashing, runner selection and the track file included);

and prints frames/s, real-time factor (RTF = wall time / clip duration) and the ratio of each
variant's frames/s to the bare loop's. Then, on every clip, it compares the litert backend's track
with MediaPipe's (both from ``gait pose``): median landmark difference in px (all 33 landmarks and the
lower body, frames where both found the runner), frames found by one only, and
``gait.pipeline.analyze_track`` on both tracks: initial contacts / toe-offs matched within 1 frame,
and per metric the difference against the metric's own uncertainty (else the standard error of its
per-step values).

Not a test: speed depends on the machine and its neighbours (see research/performance.md).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CLIPS = [
    ROOT / "samples/treadmill_side_male_30fps_portrait.mp4",
    Path("/work/shared/data/clips/side_overground_passby_30fps_openpose_overlay.mp4"),
    Path("/work/shared/data/clips/rear_overground_30fps_openpose_overlay.mp4"),
    Path("/work/shared/data/clips/treadmill_side_male_30fps_rot90meta.mp4"),
    Path("/work/shared/data/clips/sports2d_demo_two_people_vp9.mp4"),
]
BACKENDS = ("mediapipe", "litert")
LOWER_BODY = slice(23, 33)


def bare_loop(clip: Path) -> tuple[int, float]:
    """OpenCV decode + MediaPipe VIDEO mode on every frame; (frames, wall s) including model load."""
    t0 = time.perf_counter()
    import cv2

    from gait.pose import resolve_model
    from gait.pose._mediapipe import Landmarker, native_logs_silenced

    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    n = 0
    with native_logs_silenced(), Landmarker(resolve_model("full").path) as landmarker:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            landmarker.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), round(n * 1000.0 / fps))
            n += 1
    cap.release()
    return n, time.perf_counter() - t0


def bare_process(clip: Path) -> float:
    """Wall seconds of :func:`bare_loop` in a fresh process (imports and model load paid, as ``gait pose``)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--bare", str(clip)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bare loop failed on {clip.name}: {proc.stderr.strip()[-400:]}")
    return time.perf_counter() - t0


def gait_pose(clip: Path, backend: str, out: Path) -> float:
    """Wall seconds of ``gait pose CLIP -o OUT --backend B`` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/gait"), "pose", str(clip), "-o", str(out), "--backend", backend],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"gait pose --backend {backend} failed on {clip.name}: {proc.stderr.strip()[-400:]}")
    return wall


def clip_info(clip: Path) -> tuple[int, float, tuple[int, int]]:
    from gait.video import probe_video

    meta = probe_video(clip)
    return meta.n_frames, meta.n_frames / meta.fps, (meta.width_px, meta.height_px)


def landmark_diff(ref_path: Path, new_path: Path) -> dict[str, float]:
    from gait.track import load_track

    a, b = load_track(ref_path), load_track(new_path)
    fa, fb = a["frame"].values, b["frame"].values
    common, ia, ib = np.intersect1d(fa, fb, return_indices=True)
    da, db = a["detected"].values[ia], b["detected"].values[ib]
    both = da & db
    pa, pb = a["position"].values[ia][both], b["position"].values[ib][both]
    d = np.hypot(*(pa - pb).transpose(2, 0, 1))
    return {
        "frames": len(common),
        "both": int(both.sum()),
        "ref_only": int((da & ~db).sum()),
        "new_only": int((db & ~da).sum()),
        "median_px": float(np.nanmedian(d)) if d.size else float("nan"),
        "lower_median_px": float(np.nanmedian(d[:, LOWER_BODY])) if d.size else float("nan"),
        "p95_px": float(np.nanpercentile(d, 95)) if d.size else float("nan"),
    }


def analysis_agreement(ref_path: Path, new_path: Path) -> dict[str, object]:
    from gait.pipeline import analyze_track
    from gait.track import load_track

    out: dict[str, object] = {}
    try:
        ra, rb = analyze_track(load_track(ref_path)), analyze_track(load_track(new_path))
    except Exception as exc:  # a clip the analysis refuses: say so in the table
        return {"error": f"{type(exc).__name__}: {str(exc)[:80]}"}
    ea, eb = ra.events.table, rb.events.table
    matched = 0
    for row in ea.itertuples(index=False):
        same = eb[(eb.foot == row.foot) & (eb.type == row.type)]
        if len(same) and np.min(np.abs(same.frame.to_numpy() - row.frame)) <= 1:
            matched += 1
    out["events_ref"], out["events_new"], out["events_matched_1f"] = len(ea), len(eb), matched
    within, total, worst = 0, 0, ""
    worst_ratio = 0.0
    for name, m in ra.metrics.metrics.items():
        other = rb.metrics.metrics.get(name)
        if m.value is None or other is None or other.value is None:
            continue
        total += 1
        # the metric's own uncertainty; without one, the standard error of its per-step values
        unc = m.uncertainty if m.uncertainty is not None else (m.sd / np.sqrt(m.n) if m.sd and m.n else 0.0)
        diff = abs(m.value - other.value)
        ratio = diff / unc if unc > 0 else (0.0 if diff == 0 else float("inf"))
        within += ratio <= 1.0
        if ratio > worst_ratio:
            worst_ratio, worst = ratio, f"{name} {m.value:.3g} vs {other.value:.3g} (+-{unc:.2g})"
    out["metrics_within_unc"], out["metrics_total"], out["worst_metric"] = within, total, worst
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--speed-clips", type=int, default=2, help="time only the first N clips")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)  # child process of bare_process
    args = parser.parse_args(argv)
    if args.bare:
        bare_loop(args.clips[0])
        return
    clips = [c for c in (args.clips or DEFAULT_CLIPS) if c.is_file()]
    tmp = Path(tempfile.mkdtemp(prefix="gait_speed_"))
    tracks: dict[tuple[str, str], Path] = {}

    print(f"## Speed (median of {args.repeat} round-robin runs)\n")
    print("| clip | frames | size | variant | wall s | frames/s | RTF | x bare |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for k, clip in enumerate(clips):
        n, dur, size = clip_info(clip)
        walls: dict[str, list[float]] = {"bare": []} if k < args.speed_clips else {}
        for b in BACKENDS:
            walls[f"gait pose --backend {b}"] = []
        for _ in range(args.repeat if k < args.speed_clips else 1):
            for variant in list(walls):
                if variant == "bare":
                    walls[variant].append(bare_process(clip))
                else:
                    b = variant.rsplit(" ", 1)[1]
                    out = tmp / f"{clip.stem}.{b}.nc"
                    walls[variant].append(gait_pose(clip, b, out))
                    tracks[(clip.name, b)] = out
        if k >= args.speed_clips:
            continue
        bare_fps = n / statistics.median(walls["bare"])
        for variant, w in walls.items():
            wall = statistics.median(w)
            print(
                f"| {clip.name} | {n} | {size[0]}x{size[1]} | {variant} | {wall:.2f} | {n / wall:.1f} "
                f"| {wall / dur:.2f} | {n / wall / bare_fps:.2f} |"
            )
        sys.stdout.flush()

    print("\n## litert vs mediapipe (tracks from `gait pose`)\n")
    print(
        "| clip | frames both | mp only | litert only | median px | lower-body median px | p95 px "
        "| events matched (+-1 frame) | metrics within uncertainty | largest metric difference |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|---|")
    for clip in clips:
        ref, new = tracks[(clip.name, "mediapipe")], tracks[(clip.name, "litert")]
        d = landmark_diff(ref, new)
        a = analysis_agreement(ref, new)
        if "error" in a:
            ev, me, worst = a["error"], "", ""
        else:
            ev = f"{a['events_matched_1f']}/{a['events_ref']} (litert {a['events_new']})"
            me, worst = f"{a['metrics_within_unc']}/{a['metrics_total']}", a["worst_metric"]
        print(
            f"| {clip.name} | {d['both']} | {d['ref_only']} | {d['new_only']} | {d['median_px']:.2f} "
            f"| {d['lower_median_px']:.2f} | {d['p95_px']:.1f} | {ev} | {me} | {worst} |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
