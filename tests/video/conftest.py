"""Make small test videos with PyAV: any codec/container, chosen timestamps, metadata, repeats."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest


def moving_frames(n: int, width: int = 160, height: int = 96, seed: int = 0) -> list[np.ndarray]:
    """``n`` RGB frames of a bright square moving right over a fixed textured background."""
    background = np.random.default_rng(seed).integers(40, 60, size=(height, width, 3), dtype=np.uint8)
    frames = []
    for i in range(n):
        img = background.copy()
        x = 4 + (3 * i) % (width - 24)
        img[30:50, x : x + 20] = (230, 200, 40)
        frames.append(img)
    return frames


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    *,
    codec: str = "libx264",
    fps: int = 30,
    times_s: Sequence[float] | None = None,
    metadata: dict[str, str] | None = None,
    container_metadata: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    pix_fmt: str = "yuv420p",
) -> Path:
    """Encode ``frames`` to ``path``; ``times_s`` sets each frame's presentation time (VFR)."""
    tb = Fraction(1, 60000)  # fine enough for ms timestamps; MPEG-4 Part 2 allows at most 65535
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = pix_fmt
        stream.time_base = tb
        stream.codec_context.time_base = tb
        if codec == "libx264":
            stream.codec_context.options = {"bf": "0"}
        for key, value in (metadata or {}).items():
            stream.metadata[key] = value
        for key, value in (container_metadata or {}).items():
            out.metadata[key] = value
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            t = times_s[i] if times_s is not None else i / fps
            frame.pts = round(t / tb)
            frame.time_base = tb
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture
def clip_factory(tmp_path: Path):
    def make(name: str, n: int = 12, **kwargs) -> Path:
        return write_clip(tmp_path / name, moving_frames(n), **kwargs)

    return make


def mux_packets(
    path: Path,
    frames: Sequence[np.ndarray],
    pts: Sequence[int],
    dts: Sequence[int] | None = None,
    *,
    codec: str = "mpeg4",
    fps: int = 30,
) -> Path:
    """Encode ``frames`` in order, then mux the packets with the given ``pts`` (and ``dts``).

    ``dts`` defaults to the pts; both in units of 1/60000 s: timestamps no encoder would write (resets,
    repeats, cut-offs).

    MP4 keeps decode times increasing and stores presentation times as offsets from them, so a
    timeline that jumps back needs ``dts`` below every later ``pts``.
    """
    tb = Fraction(1, 60000)
    enc = av.CodecContext.create(codec, "w")
    enc.width, enc.height = frames[0].shape[1], frames[0].shape[0]
    enc.pix_fmt, enc.time_base, enc.framerate = "yuv420p", tb, fps
    enc.gop_size = 12
    packets = []
    for i, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = i * round(1 / (fps * tb)), tb
        packets += enc.encode(frame)
    packets += enc.encode()
    assert len(packets) == len(frames)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt, stream.time_base = enc.width, enc.height, "yuv420p", tb
        if enc.extradata:
            stream.codec_context.extradata = enc.extradata
        for packet, p, d in zip(packets, pts, dts if dts is not None else pts, strict=True):
            packet.pts, packet.dts, packet.time_base, packet.stream = int(p), int(d), tb, stream
            out.mux(packet)
    return path


def joined_segments(path: Path, n_per_segment: int = 46, size: int = 64) -> Path:
    """Two MPEG-TS recordings, each starting at time 0, concatenated byte for byte into ``path``.

    E.g. ``joined.mp4``: FFmpeg reads it by content, as MPEG-TS.
    """
    parts = []
    for seed in (0, 1):
        part = path.with_name(f"{path.stem}.part{seed}.ts")
        write_clip(part, moving_frames(n_per_segment, size, size, seed=seed))
        parts.append(part.read_bytes())
        part.unlink()
    path.write_bytes(b"".join(parts))
    return path


def sample_frames(n: int, start: int = 0, long_side_px: int = 320, clip: Path | None = None) -> list[np.ndarray]:
    """``n`` RGB frames of a clip (default the bundled treadmill sample) from frame ``start``.

    Downscaled to ``long_side_px`` (even sizes, for yuv420p).
    """
    import cv2

    from tests.conftest import SAMPLE_CLIP

    out: list[np.ndarray] = []
    with av.open(str(clip or SAMPLE_CLIP)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i < start:
                continue
            if len(out) == n:
                break
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            scale = long_side_px / max(h, w)
            size = (2 * round(w * scale / 2), 2 * round(h * scale / 2))
            out.append(np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)))
    return out


def repeat_frames(frames: Sequence[np.ndarray], k: int) -> list[np.ndarray]:
    """Every picture shown ``k`` times (a frame-rate converter that repeats images)."""
    return [img for img in frames for _ in range(k)]


def blend_frames(frames: Sequence[np.ndarray], k: int) -> list[np.ndarray]:
    """``k - 1`` cross-fades between consecutive pictures (a converter that blends images).

    A, (1 - 1/k) A + (1/k) B, ..., B, ... The last picture is not followed by blends.
    """
    out: list[np.ndarray] = []
    for a, b in itertools.pairwise(frames):
        fa, fb = a.astype(np.float32), b.astype(np.float32)
        out.append(a)
        for j in range(1, k):
            w = j / k
            out.append(np.clip(np.rint((1 - w) * fa + w * fb), 0, 255).astype(np.uint8))
    out.append(frames[-1])
    return out


@pytest.fixture(scope="session")
def sample_pictures() -> list[np.ndarray]:
    """The first 105 frames (3.5 s) of the bundled treadmill sample, downscaled to 320 px."""
    return sample_frames(105)
