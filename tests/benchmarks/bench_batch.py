"""Benchmark of ``gait batch``: clips per hour with 1 and 2 local workers and with Ray.

Usage::

    python tests/benchmarks/bench_batch.py [CLIP ...] [--copies 3] [--repeat 1] [--no-video]

The clips (default: the sample clip and the shared rotated copy of it, when present) are copied
``--copies`` times under distinct names, so every copy is analysed. Each variant runs
:func:`gait.batch.run_batch` from scratch into a fresh output folder (``resume=False``):

- ``local_1``, ``local_2``: the local engine with 1 and 2 worker processes (process start-up included);
- ``ray_cold``: the Ray engine from no runtime: ``ray.init`` + tasks + ``ray.shutdown``, what a CLI run pays;
- ``ray_warm``: the Ray engine on a runtime started beforehand (its workers warmed by a first batch).

Prints wall time, clips per hour and seconds of video per second, then Ray's overhead: the fixed
cost (init + shutdown) and the cost per clip ((``ray_warm`` - ``local_2``) / clips). Medians of
``--repeat`` runs. Not a test: speed depends on the machine and its neighbours.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CLIPS = (
    ROOT / "samples" / "treadmill_side_male_30fps_portrait.mp4",
    ROOT.parent / "shared" / "data" / "clips" / "treadmill_side_male_30fps_rot90meta.mp4",
)


def make_inputs(clips: list[Path], copies: int, folder: Path) -> tuple[int, float]:
    """Copy each clip ``copies`` times into ``folder``; returns (clips, seconds of video)."""
    from gait.video import probe_video

    folder.mkdir(parents=True)
    seconds = 0.0
    for clip in clips:
        duration = probe_video(clip).n_frames / probe_video(clip).fps
        for i in range(copies):
            shutil.copy(clip, folder / f"{clip.stem}_{i:02d}{clip.suffix}")
            seconds += duration
    return len(clips) * copies, seconds


def run(inputs: Path, work: Path, *, engine: str, workers: int | None, video: bool) -> dict:
    from gait.batch import PipelineJob, run_batch

    out = Path(tempfile.mkdtemp(dir=work))
    t0 = time.perf_counter()
    summary = run_batch(
        inputs, out, engine=engine, workers=workers, job=PipelineJob(video=video), resume=False
    )
    wall = time.perf_counter() - t0
    record = json.loads((out / "batch.json").read_text())
    failures = (out / "failures.csv").read_text()
    shutil.rmtree(out)
    if summary.failed:
        raise SystemExit(f"{summary.failed} clips failed:\n{failures}")
    return {
        "wall_s": wall,
        "engine": record["engine"],
        "clip_s_sum": record["timings"].get("clip_s_sum", 0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--video",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write overlay.mp4 per clip (the CLI default)",
    )
    parser.add_argument("--variants", default="local_1,local_2,ray_cold,ray_warm")
    args = parser.parse_args()
    clips = args.clips or [p for p in DEFAULT_CLIPS if p.exists()]
    variants = args.variants.split(",")
    work = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    try:
        n, video_s = make_inputs(clips, args.copies, work / "inputs")
        print(f"{n} clips, {video_s:.0f} s of video, overlay video {'on' if args.video else 'off'}")
        results: dict[str, list[dict]] = {v: [] for v in variants}
        for _ in range(args.repeat):  # round-robin: the host's capacity drifts
            for v in variants:
                if v == "ray_warm":
                    import ray

                    from gait.batch._job import WORKER_ENV

                    ray.init(
                        num_cpus=2,
                        include_dashboard=False,
                        log_to_driver=False,
                        runtime_env={"env_vars": dict(WORKER_ENV)},
                    )
                    inputs = work / "inputs"
                    run(inputs, work, engine="ray", workers=None, video=args.video)  # warm-up
                    results[v].append(
                        run(inputs, work, engine="ray", workers=None, video=args.video)
                    )
                    ray.shutdown()
                else:
                    engine, workers = (
                        ("ray", 2) if v == "ray_cold" else ("local", int(v.split("_")[1]))
                    )
                    results[v].append(
                        run(work / "inputs", work, engine=engine, workers=workers, video=args.video)
                    )
        print(
            f"{'variant':<10} {'wall s':>8} {'clips/h':>9} {'video s/s':>10} {'worker s/clip':>14}"
        )
        wall = {}
        for v, rs in results.items():
            wall[v] = statistics.median(r["wall_s"] for r in rs)
            per_clip = statistics.median(r["clip_s_sum"] for r in rs) / n
            print(
                f"{v:<10} {wall[v]:8.1f} {n / wall[v] * 3600:9.0f} {video_s / wall[v]:10.2f} {per_clip:14.2f}"
            )
        if "ray_cold" in results:
            eng = results["ray_cold"][0]["engine"]
            print(
                f"ray fixed cost: init {eng.get('init_s', 0):.2f} s + shutdown {eng.get('shutdown_s', 0):.2f} s"
            )
        if {"ray_warm", "local_2"} <= set(wall):
            print(
                f"ray overhead per clip (warm, vs local_2): {(wall['ray_warm'] - wall['local_2']) / n:+.2f} s"
            )
        if {"ray_cold", "local_2"} <= set(wall):
            print(
                f"ray overhead per clip (cold run, vs local_2): {(wall['ray_cold'] - wall['local_2']) / n:+.2f} s"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
