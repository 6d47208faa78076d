"""Speed and agreement of the pose backends (issue 14), measured side by side in one run.

Usage::

    .venv/bin/python tests/benchmarks/speed.py [CLIP ...] [--repeat 1] [--speed-clips N]
        [--jitter [--crf 8,10,12]] [--tracks DIR [--reuse]]

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
per-step values; metrics with neither, the asymmetries, agree only when equal and are counted apart).

With ``--jitter`` it also measures MediaPipe's own jitter, the baseline for that comparison: MediaPipe
against itself on the same clip after an imperceptible change, with the same measures -
``crfN``: the clip re-encoded with libx264 at each ``--crf`` (default 8, 10, 12; same frames and
timestamps, upright; luma PSNR printed, ~50-54 dB), and ``2 workers``: ``gait pose --workers 2``
(the chunk split, second tracker started 20 frames early) against one worker. "within jitter" says
whether litert's differences are no larger than the largest of these (median px all and lower
body) and its events and metrics agree at least as often as in the worst of them. Tracks go to
``--tracks`` (with ``--reuse``, those already there are loaded instead of made again).

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


def gait_pose(clip: Path, backend: str, out: Path, extra: tuple[str, ...] = ()) -> float:
    """Wall seconds of ``gait pose CLIP -o OUT --backend B [EXTRA]`` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/gait"), "pose", str(clip), "-o", str(out), "--backend", backend, *extra],
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


def reencode(clip: Path, out: Path, crf: int = 10) -> float:
    """Re-encode ``clip`` with libx264 at ``crf``, frame for frame (same timestamps), upright; PSNR in dB.

    The decoded YUV planes are copied (turned by the rotation metadata, so no colour conversion
    happens), and the PSNR is measured on the luma of every frame against the re-decoded output.
    """
    from fractions import Fraction

    import av
    import cv2

    from gait.video import probe_video
    from gait.video._decode import _ROTATE, decoded_frames

    meta = probe_video(clip)
    w, h = meta.width_px, meta.height_px  # displayed (upright) size
    tb = Fraction(meta.time_base).limit_denominator(1_000_000)
    lumas = []
    with av.open(str(out), "w") as dst:
        stream = dst.add_stream("libx264", rate=Fraction(meta.fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = tb
        stream.options = {"crf": str(crf), "preset": "fast"}
        for idx, frame in decoded_frames(meta):
            flat = frame.to_ndarray(format="yuv420p").ravel()  # Y, U, V planes back to back
            sh, sw = frame.height, frame.width
            n_y, n_c = sh * sw, (sh // 2) * (sw // 2)
            planes = [
                flat[:n_y].reshape(sh, sw),
                flat[n_y : n_y + n_c].reshape(sh // 2, sw // 2),
                flat[n_y + n_c :].reshape(sh // 2, sw // 2),
            ]
            if meta.rotation_deg in _ROTATE:
                planes = [cv2.rotate(p, _ROTATE[meta.rotation_deg]) for p in planes]
            lumas.append(planes[0])
            packed = np.concatenate([p.ravel() for p in planes]).reshape(h * 3 // 2, w)
            picture = av.VideoFrame.from_ndarray(packed, format="yuv420p")
            picture.pts, picture.time_base = int(meta.frame_pts[idx]), tb
            picture.color_range, picture.colorspace = frame.color_range, frame.colorspace
            for packet in stream.encode(picture):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    meta2 = probe_video(out)
    if meta2.n_frames != len(lumas):
        raise SystemExit(f"re-encoding {clip.name} gave {meta2.n_frames} frames instead of {len(lumas)}")
    sq = []
    for i, frame in decoded_frames(meta2):
        luma = frame.to_ndarray(format="yuv420p").ravel()[: h * w].reshape(h, w).astype(np.float64)
        sq.append(float(np.mean((luma - lumas[i]) ** 2)))
    mse = float(np.mean(sq))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


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
    within, total, worst, no_unc = 0, 0, "", 0
    worst_ratio = 0.0
    for name, m in ra.metrics.metrics.items():
        other = rb.metrics.metrics.get(name)
        if m.value is None or other is None or other.value is None:
            continue
        total += 1
        # the metric's own uncertainty; without one, the standard error of its per-step values
        unc = m.uncertainty if m.uncertainty is not None else (m.sd / np.sqrt(m.n) if m.sd and m.n else 0.0)
        diff = abs(m.value - other.value)
        if unc <= 0:  # neither an uncertainty nor per-step values (the asymmetries): agrees only if equal
            within += diff == 0
            no_unc += 1
            continue
        ratio = diff / unc
        within += ratio <= 1.0
        if ratio > worst_ratio:
            worst_ratio, worst = ratio, f"{name} {m.value:.3g} vs {other.value:.3g} (+-{unc:.2g})"
    out["metrics_within_unc"], out["metrics_total"], out["worst_metric"] = within, total, worst
    out["metrics_without_unc"] = no_unc
    return out


def _row(d: dict[str, float], a: dict[str, object]) -> tuple[str, str, str]:
    if "error" in a:
        return str(a["error"]), "", ""
    ev = f"{a['events_matched_1f']}/{a['events_ref']} (other {a['events_new']})"
    me = f"{a['metrics_within_unc']}/{a['metrics_total']}"
    if a.get("metrics_without_unc"):
        me += f" ({a['metrics_without_unc']} without uncertainty)"
    return ev, me, str(a["worst_metric"])


def within_jitter(cand: tuple[dict, dict], jitter: list[tuple[dict, dict]]) -> str:
    """"yes" when the candidate differs no more than the largest MediaPipe-vs-MediaPipe difference, else why not."""
    if not jitter:
        return ""
    d, a = cand
    why = []
    for key, label in (("median_px", "median"), ("lower_median_px", "lower-body median")):
        worst = max(j[0][key] for j in jitter)
        if d[key] > worst:
            why.append(f"{label} {d[key]:.2f} > {worst:.2f} px")
    if "error" not in a and all("error" not in j[1] for j in jitter):
        ev = min(j[1]["events_matched_1f"] / max(1, j[1]["events_ref"]) for j in jitter)
        if a["events_matched_1f"] / max(1, a["events_ref"]) < ev:
            why.append(f"events {a['events_matched_1f']}/{a['events_ref']} < {ev:.0%}")
        me = min(j[1]["metrics_within_unc"] / max(1, j[1]["metrics_total"]) for j in jitter)
        if a["metrics_within_unc"] / max(1, a["metrics_total"]) < me:
            why.append(f"metrics {a['metrics_within_unc']}/{a['metrics_total']} < {me:.0%}")
    return "yes" if not why else "no: " + "; ".join(why)


def _speed_rows(clip: Path, walls: dict[str, list[float]]) -> None:
    n, dur, size = clip_info(clip)
    bare_fps = n / statistics.median(walls["bare"])
    for variant, w in walls.items():
        if not w:
            continue
        wall = statistics.median(w)
        print(
            f"| {clip.name} | {n} | {size[0]}x{size[1]} | {variant} | {wall:.2f} | {n / wall:.1f} "
            f"| {wall / dur:.2f} | {n / wall / bare_fps:.2f} |"
        )
    sys.stdout.flush()


class _Tracks:
    """Tracks of each (clip, variant), made by ``gait pose`` in ``folder`` unless already there and ``reuse``."""

    def __init__(self, folder: Path, reuse: bool) -> None:
        self.folder, self.reuse = folder, reuse
        self.paths: dict[tuple[str, str], Path] = {}
        self.psnr_db: dict[tuple[str, str], float] = {}

    def make(self, clip: Path, variant: str, walls: list[float] | None = None) -> None:
        """Run one variant (its wall time appended to ``walls``): a backend name, or a jitter variant."""
        out = self.folder / f"{clip.stem}.{variant.replace(' ', '_')}.nc"
        self.paths[(clip.name, variant)] = out
        if self.reuse and out.is_file():
            return
        if variant.startswith("mediapipe crf"):
            crf = int(variant.removeprefix("mediapipe crf"))
            video = self.folder / f"{clip.stem}.crf{crf}.mp4"
            self.psnr_db[(clip.name, variant)] = reencode(clip, video, crf)
            wall = gait_pose(video, "mediapipe", out)
        elif variant == "mediapipe 2 workers":
            wall = gait_pose(clip, "mediapipe", out, ("--workers", "2"))
        else:
            wall = gait_pose(clip, variant, out)
        if walls is not None:
            walls.append(wall)


def _agreement_rows(clip: Path, store: _Tracks, jitter_variants: list[str]) -> None:
    ref = store.paths[(clip.name, "mediapipe")]

    def compare(variant: str) -> tuple[dict, dict]:
        other = store.paths[(clip.name, variant)]
        return landmark_diff(ref, other), analysis_agreement(ref, other)

    jitter = [compare(v) for v in jitter_variants]
    litert = compare("litert")
    rows = [("litert", *litert, within_jitter(litert, jitter))]
    for variant, (d, a) in zip(jitter_variants, jitter, strict=True):
        psnr = store.psnr_db.get((clip.name, variant))
        label = variant if psnr is None else f"{variant} (PSNR {psnr:.1f} dB)"
        rows.append((label, d, a, ""))
    for label, d, a, verdict in rows:
        ev, me, worst = _row(d, a)
        print(
            f"| {clip.name} | {label} | {d['both']} | {d['ref_only']} | {d['new_only']} | {d['median_px']:.2f} "
            f"| {d['lower_median_px']:.2f} | {d['p95_px']:.1f} | {ev} | {me} | {worst} | {verdict} |"
        )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--speed-clips", type=int, default=2, help="time only the first N clips")
    parser.add_argument("--jitter", action="store_true", help="add the MediaPipe-vs-MediaPipe baseline rows")
    parser.add_argument("--crf", default="8,10,12", help="libx264 qualities of the --jitter re-encodes")
    parser.add_argument("--tracks", type=Path, help="directory for the tracks (default: a new temporary one)")
    parser.add_argument("--reuse", action="store_true", help="load tracks already in --tracks instead of re-running")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)  # child process of bare_process
    args = parser.parse_args(argv)
    if args.bare:
        bare_loop(args.clips[0])
        return
    clips = [c for c in (args.clips or DEFAULT_CLIPS) if c.is_file()]
    tmp = args.tracks or Path(tempfile.mkdtemp(prefix="gait_speed_"))
    tmp.mkdir(parents=True, exist_ok=True)
    store = _Tracks(tmp, args.reuse)
    jitter_variants = [f"mediapipe crf{int(c)}" for c in args.crf.split(",")] + ["mediapipe 2 workers"]
    jitter_variants = jitter_variants if args.jitter else []

    print(f"## Speed (median of {args.repeat} round-robin runs)\n")
    print("| clip | frames | size | variant | wall s | frames/s | RTF | x bare |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for k, clip in enumerate(clips):
        timed = k < args.speed_clips
        walls: dict[str, list[float]] = {"bare": []} if timed else {}
        walls.update({f"gait pose --backend {b}": [] for b in BACKENDS})
        for _ in range(args.repeat if timed else 1):
            for variant in list(walls):
                if variant == "bare":
                    walls[variant].append(bare_process(clip))
                else:
                    store.make(clip, variant.rsplit(" ", 1)[1], walls[variant])
        for variant in jitter_variants:
            store.make(clip, variant)
        if timed:
            _speed_rows(clip, walls)

    print("\n## Agreement with MediaPipe (tracks from `gait pose`; the reference is `gait pose --backend mediapipe`)\n")
    print(
        "| clip | compared | frames both | ref only | other only | median px | lower-body median px | p95 px "
        "| events matched (+-1 frame) | metrics within uncertainty | largest metric difference | within jitter |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|---|---|")
    for clip in clips:
        _agreement_rows(clip, store, jitter_variants)


if __name__ == "__main__":
    main()
