"""Make small test videos with PyAV: any codec/container, chosen timestamps, metadata, repeats."""

from __future__ import annotations

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
