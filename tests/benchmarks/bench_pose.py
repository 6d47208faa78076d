"""Benchmark of the pose stage against a bare decode + MediaPipe loop on the same frames.

Usage::

    python tests/benchmarks/bench_pose.py CLIP [--repeat 3]
    python tests/benchmarks/bench_pose.py --make-phone-clip OUT.mp4 [--seconds 30]

Prints, per variant, wall time, frames/s and real-time factor (RTF = processing time / clip duration),
median of ``--repeat`` round-robin runs (the host's capacity varies; see research/performance.md):

- ``bare``: one process, PyAV decode -> upright RGB -> ``detect_for_video``, nothing else;
- ``pose_stage_1proc``: ``gait.pose.estimate_pose(workers=1)`` (probe, hashing, duplicate detection,
  runner selection, track building included);
- ``pose_stage``: ``estimate_pose`` with its default worker choice (2 processes on long clips),
  process start-up and model loading included.

Not a test: speed depends on the machine and its neighbours.
"""

from __future__ import annotations

import argparse
import statistics
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def bare_loop(clip: Path) -> int:
    """Decode every frame and run the landmarker on it; returns the number of frames."""
    from gait.pose import resolve_model
    from gait.pose._mediapipe import Landmarker, native_logs_silenced
    from gait.video import iter_frames, probe_video

    meta = probe_video(clip)
    n = 0
    with native_logs_silenced(), Landmarker(resolve_model("full").path) as landmarker:
        for frame in iter_frames(meta, max_long_side_px=1920):
            landmarker.detect(frame.rgb, round(frame.time_s * 1000))
            n += 1
    return n


def pose_stage(clip: Path, workers: int | None) -> int:
    from gait.pose import PoseParams, estimate_pose

    return estimate_pose(clip, PoseParams(workers=workers)).sizes["time"]


def make_phone_clip(out: Path, seconds: float) -> None:
    """A 1080x1920 60 fps H.264 clip from the sample: upscaled, in-between frames blended, looped."""
    src = Path(__file__).resolve().parents[2] / "samples" / "treadmill_side_male_30fps_portrait.mp4"
    with av.open(str(src)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    import cv2

    frames = [cv2.resize(f, (1080, 1920), interpolation=cv2.INTER_LINEAR) for f in frames]
    loop = frames + frames[-2:0:-1]  # ping-pong so the loop has no jump
    n_out = int(seconds * 60)
    with av.open(str(out), "w") as o:
        s = o.add_stream("libx264", rate=60)
        s.width, s.height, s.pix_fmt = 1080, 1920, "yuv420p"
        s.codec_context.options = {"crf": "20", "g": "60", "bf": "0", "preset": "veryfast"}
        s.codec_context.time_base = Fraction(1, 60)
        for i in range(n_out):
            a, b = loop[(i // 2) % len(loop)], loop[(i // 2 + 1) % len(loop)]
            img = a if i % 2 == 0 else ((a.astype(np.uint16) + b) // 2).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for p in s.encode(frame):
                o.mux(p)
        for p in s.encode():
            o.mux(p)
    print(f"wrote {out}: {n_out} frames, 1080x1920, 60 fps, {seconds} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("clip", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--make-phone-clip", type=Path)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    if args.make_phone_clip:
        make_phone_clip(args.make_phone_clip, args.seconds)
        return
    from gait.video import probe_video

    meta = probe_video(args.clip)
    print(
        f"clip {args.clip.name}: {meta.width_px}x{meta.height_px}, {meta.fps:.2f} fps, "
        f"{meta.n_frames} frames, {meta.duration_s:.2f} s, {meta.codec}"
    )
    variants = {
        "bare": lambda: bare_loop(args.clip),
        "pose_stage_1proc": lambda: pose_stage(args.clip, 1),
        "pose_stage": lambda: pose_stage(args.clip, None),
    }
    walls: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.repeat):
        for name, run in variants.items():
            t0 = time.perf_counter()
            n = run()
            walls[name].append(time.perf_counter() - t0)
            assert n == meta.n_frames, (name, n)
    bare = statistics.median(walls["bare"])
    print(f"{'variant':<18} {'wall s':>8} {'frames/s':>9} {'RTF':>6} {'vs bare':>8}   runs")
    for name, w in walls.items():
        m = statistics.median(w)
        print(
            f"{name:<18} {m:8.2f} {meta.n_frames / m:9.1f} {m / meta.duration_s:6.2f} {m / bare:7.2f}x   "
            + ", ".join(f"{x:.1f}" for x in w)
        )


if __name__ == "__main__":
    main()
