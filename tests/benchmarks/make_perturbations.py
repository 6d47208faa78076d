"""Perturbed copies of the sample clip and their pose tracks (fixtures of test_real_clips.py).

Regenerate everything (videos in /tmp; tracks and manifest in tests/data/perturb/)::

    .venv/bin/python tests/benchmarks/make_perturbations.py

Options: ``--only NAME [NAME ...]`` (some variants; the manifest keeps the other entries),
``--video-dir DIR`` (default /tmp/gait_perturb), ``--no-pose`` (videos and manifest only).

Source: ``samples/treadmill_side_male_30fps_portrait.mp4`` (MIT licence, samples/LICENSES/
treadmill_side_male.MIT.txt; 720x1280, 30 fps, 360 frames, first frame at t = 0). Every variant is
decoded with PyAV, transformed as RGB, and re-encoded with libx264 (yuv420p, crf 18, preset medium,
no B-frames) with explicit pts in a 1/fps time base, so frame k is at k / fps seconds; only the
low-quality variant uses crf 40. The videos are written to ``--video-dir`` and are NOT kept in the
project; the model is run on each (``gait pose VIDEO -o tests/data/perturb/NAME.track.nc --workers
1``, the default model ``full``, one clip at a time) and only the tracks are kept.

Variants (``tests/data/perturb/manifest.json`` records each one):

- ``fps25``, ``fps24``: resampled in time by dropping frames: output frame k (at k / fps) shows the
  source frame nearest to that time (index round(k * 30 / fps), ties to the later frame), so a
  frame's picture is up to half a source frame (16.7 ms) from its timestamp; real time base kept.
- ``cut_0.5s``, ``cut_1.3s``, ``cut_2.7s``: the clip from that start time to its end.
- ``cut_4.0s_3.5s``: 3.5 s (105 frames) from 4.0 s.
- ``half``, ``quarter``: scaled to 360x640 and 180x320 (swscale ``area``).
- ``mirror``: flipped left-right (the runner faces image-right; still his left side in view).
- ``crf40``: re-encoded at crf 40 (blocky).
- ``concat2``: the clip twice, 720 frames, timestamps continuous (the second copy starts at 12.0 s).

Time mapping (manifest ``offset_s``, ``period_s``): a variant time t shows the source at
``offset_s + (t mod period_s)`` (``period_s`` null: ``offset_s + t``).

Licence of the outputs: MIT, derived from the sample clip (samples/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "samples" / "treadmill_side_male_30fps_portrait.mp4"
OUT_DIR = ROOT / "tests" / "data" / "perturb"
VIDEO_DIR = Path("/tmp/gait_perturb")
SOURCE_FPS = 30
SOURCE_FRAMES = 360
ENCODER = {"codec": "libx264", "pix_fmt": "yuv420p", "crf": 18, "preset": "medium", "bf": 0}


@dataclass(frozen=True)
class Variant:
    name: str
    transformation: str
    description: str
    params: dict[str, Any]
    fps: int = SOURCE_FPS
    crf: int = ENCODER["crf"]
    offset_s: float = 0.0
    period_s: float | None = None
    source_frames: tuple[int, ...] = field(default_factory=tuple)  # source index per output frame
    size: tuple[int, int] | None = None  # (width, height) when scaled
    mirror: bool = False


def _resample(fps: int) -> tuple[int, ...]:
    idx = []
    k = 0
    while True:
        i = math.floor(k * SOURCE_FPS / fps + 0.5)  # nearest source frame, ties to the later one
        if i >= SOURCE_FRAMES:
            return tuple(idx)
        idx.append(i)
        k += 1


def _cut(start_s: float, duration_s: float | None = None) -> tuple[int, ...]:
    first = round(start_s * SOURCE_FPS)
    stop = SOURCE_FRAMES if duration_s is None else first + round(duration_s * SOURCE_FPS)
    return tuple(range(first, min(stop, SOURCE_FRAMES)))


ALL = tuple(range(SOURCE_FRAMES))

NEAREST = "nearest source frame, ties to the later"
DROP = "by dropping frames (nearest source frame per output time)"
FLIP = "flipped left-right: the runner faces image-right (his left side still in view)"
CONCAT = "the clip twice, timestamps continuous (second copy from 12.0 s)"

VARIANTS: tuple[Variant, ...] = (
    *(
        Variant(f"fps{f}", "resample", f"30 -> {f} fps {DROP}", {"fps": f, "rule": NEAREST},
                fps=f, source_frames=_resample(f))
        for f in (25, 24)
    ),
    *(
        Variant(f"cut_{s}s", "cut", f"from {s} s to the end of the clip", {"start_s": s},
                offset_s=s, source_frames=_cut(s))
        for s in (0.5, 1.3, 2.7)
    ),
    Variant("cut_4.0s_3.5s", "cut", "3.5 s from 4.0 s", {"start_s": 4.0, "duration_s": 3.5},
            offset_s=4.0, source_frames=_cut(4.0, 3.5)),
    *(
        Variant(name, "scale", f"scaled to {frac}: {w}x{h}",
                {"width": w, "height": h, "interpolation": "area"}, source_frames=ALL, size=(w, h))
        for name, frac, w, h in (("half", "1/2", 360, 640), ("quarter", "1/4", 180, 320))
    ),
    Variant("mirror", "mirror", FLIP, {"flip": "horizontal"}, source_frames=ALL, mirror=True),
    Variant("crf40", "low_quality", "re-encoded at libx264 crf 40", {"crf": 40}, crf=40,
            source_frames=ALL),
    Variant("concat2", "concat", CONCAT, {"copies": 2}, period_s=SOURCE_FRAMES / SOURCE_FPS,
            source_frames=ALL + ALL),
)


def _source_frames() -> Iterator[np.ndarray]:
    with av.open(str(SOURCE)) as c:
        for f in c.decode(video=0):
            yield f.to_ndarray(format="rgb24")


def _frames_for(v: Variant) -> Iterator[tuple[int, np.ndarray]]:
    """(output index, RGB picture) in output order; the source is decoded once per pass."""
    wanted = v.source_frames
    k = 0
    while k < len(wanted):  # one pass per monotone run of source indices (two for concat2)
        for i, rgb in enumerate(_source_frames()):
            while k < len(wanted) and wanted[k] == i:
                yield k, rgb
                k += 1
            if k < len(wanted) and wanted[k] < i:
                break  # the next output frame starts a new pass


def write_variant(v: Variant, out: Path) -> dict[str, Any]:
    width, height = v.size or (720, 1280)
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w") as o:
        s = o.add_stream("libx264", rate=v.fps)
        s.width, s.height, s.pix_fmt = width, height, ENCODER["pix_fmt"]
        s.time_base = Fraction(1, v.fps)
        s.codec_context.time_base = Fraction(1, v.fps)
        s.codec_context.options = {
            "crf": str(v.crf), "preset": str(ENCODER["preset"]), "bf": str(ENCODER["bf"])
        }
        n = 0
        for k, rgb in _frames_for(v):
            if v.mirror:
                rgb = np.ascontiguousarray(rgb[:, ::-1])
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if v.size is not None:
                frame = frame.reformat(width=width, height=height, interpolation="AREA")
            frame.pts = k
            frame.time_base = Fraction(1, v.fps)
            for p in s.encode(frame):
                o.mux(p)
            n += 1
        for p in s.encode():
            o.mux(p)
    assert n == len(v.source_frames), (v.name, n)
    with av.open(str(out)) as c:  # check what a reader sees: frame count, rate, times from 0
        st = c.streams.video[0]
        times = np.array([float(f.time) for f in c.decode(video=0)])
    assert len(times) == n and (st.width, st.height) == (width, height), v.name
    assert np.allclose(times - times[0], np.arange(n) / v.fps, atol=1e-6), v.name
    return {"width": width, "height": height, "frames": n, "duration_s": n / v.fps}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _gait_exe() -> list[str]:
    exe = Path(sys.executable).parent / "gait"
    return [str(exe)] if exe.exists() else ["gait"]


def manifest_entry(v: Variant, info: dict[str, Any], video: Path, track: Path) -> dict[str, Any]:
    return {
        "name": v.name,
        "transformation": v.transformation,
        "description": v.description,
        "fps": v.fps,
        "frames": info["frames"],
        "duration_s": info["duration_s"],
        "width": info["width"],
        "height": info["height"],
        "offset_s": v.offset_s,
        "period_s": v.period_s,
        "time_mapping": "source_t = offset_s + (t mod period_s)"
        if v.period_s
        else "source_t = offset_s + t",
        "source_frames": {"first": v.source_frames[0], "last": v.source_frames[-1]}
        if v.transformation != "resample"
        else {
            "rule": v.params["rule"],
            "index_of_output_frame_k": f"floor(k * {SOURCE_FPS} / {v.fps} + 0.5)",
            "first": v.source_frames[0],
            "last": v.source_frames[-1],
        },
        "params": v.params,
        "encoder": {**ENCODER, "crf": v.crf},
        "video_sha256": _sha256(video),
        "track": track.name,
        "track_sha256": _sha256(track) if track.exists() else None,
        "commands": {
            "video": f"python tests/benchmarks/make_perturbations.py --only {v.name}",
            "pose": f"gait pose {video} -o tests/data/perturb/{track.name} --workers 1",
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[v.name for v in VARIANTS])
    parser.add_argument("--video-dir", type=Path, default=VIDEO_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--no-pose", action="store_true", help="videos and manifest only")
    args = parser.parse_args(argv)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out_dir / "manifest.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    entries = {e["name"]: e for e in old.get("variants", [])}
    chosen = [v for v in VARIANTS if not args.only or v.name in args.only]
    for v in chosen:
        video = args.video_dir / f"{v.name}.mp4"
        track = args.out_dir / f"{v.name}.track.nc"
        t0 = time.perf_counter()
        info = write_variant(v, video)
        print(f"{video}: {info['frames']} frames, {info['width']}x{info['height']}, {v.fps} fps "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
        if not args.no_pose:
            cmd = [*_gait_exe(), "pose", str(video), "-o", str(track), "--workers", "1"]
            subprocess.run(cmd, check=True)
            print(f"{track}: {track.stat().st_size / 1024:.0f} KiB", flush=True)
        entries[v.name] = manifest_entry(v, info, video, track)
    manifest = {
        "source": "samples/treadmill_side_male_30fps_portrait.mp4",
        "source_sha256": _sha256(SOURCE),
        "source_fps": SOURCE_FPS,
        "source_frames": SOURCE_FRAMES,
        "licence": "MIT, derived from the sample clip (samples/LICENSES/, samples/README.md)",
        "generator": "tests/benchmarks/make_perturbations.py",
        "regenerate": ".venv/bin/python tests/benchmarks/make_perturbations.py",
        "versions": {
            "av": av.__version__,
            "ffmpeg": {k: ".".join(map(str, x)) for k, x in av.library_versions.items()},
        },
        "variants": [entries[v.name] for v in VARIANTS if v.name in entries],
    }
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{manifest_path}: {len(manifest['variants'])} variants")


if __name__ == "__main__":
    main()
