"""Synthetic following (panning) shots cut from the bundled static-camera treadmill sample.

The sample (720 x 1280, static camera) is halved with ``cv2.INTER_AREA`` (360 x 640), then each
output frame ``i`` (270 x 480) is the window ``p = W_i q = o_i + R(roll_i) q / z_i`` of the halved
frame, sampled with ``cv2.warpAffine`` (``q``: output pixel, ``o_i``: window offset, ``z_i``: zoom).
So the true map from frame ``i`` to frame 0 is known exactly, ``W_0^-1 W_i``, and the sample's
cached pose track moves into the synthetic clip's pixels as ``q = W_i^-1 p_half``.

Geometry (:func:`pan_geometry`) is pure numpy, so the track-stage tests use it without cv2.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

OUT_SIZE_PX = (270, 480)
"""(width, height) of the synthetic clip: its long side is the working resolution (480)."""
HALF_SIZE_PX = (360, 640)


@dataclass(frozen=True)
class PanGeometry:
    offset_px: np.ndarray
    """``(n, 2)`` window offset in the halved sample, px."""
    zoom: np.ndarray
    """``(n,)`` output px per halved-sample px."""
    roll_deg: np.ndarray | None = None
    """``(n,)`` rotation of the window (None: 0)."""
    tiled: bool = False
    """The window moves over ``[mirror | sample | mirror]`` (1080 px wide halved), for long one-way pans."""

    def window(self) -> np.ndarray:
        """``(n, 3, 3)`` map from output pixels to halved-sample pixels: ``p = o + R(roll) q / z``."""
        n = len(self.zoom)
        roll = np.radians(np.zeros(n) if self.roll_deg is None else self.roll_deg)
        w = np.zeros((n, 3, 3))
        w[:, 0, 0] = w[:, 1, 1] = np.cos(roll) / self.zoom
        w[:, 1, 0] = np.sin(roll) / self.zoom
        w[:, 0, 1] = -w[:, 1, 0]
        w[:, :2, 2] = self.offset_px
        w[:, 2, 2] = 1.0
        return w

    def true_to_first(self) -> np.ndarray:
        """``(n, 2, 3)`` exact map from each frame's pixels to frame 0's."""
        w = self.window()
        return (np.linalg.inv(w[0]) @ w)[:, :2]

    def track_positions(self, position_full_px: np.ndarray) -> np.ndarray:
        """Landmarks of the full-size sample ``(n, k, 2)`` in the synthetic clip's pixels."""
        half = (position_full_px + 0.5) / 2.0 - 0.5
        if self.tiled:
            half = half + [HALF_SIZE_PX[0], 0.0]
        inv = np.linalg.inv(self.window())
        return np.einsum("tij,tkj->tki", inv[:, :2, :2], half) + inv[:, None, :2, 2]


def pan_geometry(n: int, *, kind: str = "pan", period_frames: float = 24.0) -> PanGeometry:
    """Window offsets and zoom of a synthetic shot of ``n`` frames.

    ``"static"``: a fixed window; ``"pan"``: a sinusoidal horizontal pan of amplitude 42 px (peak
    speed ``2 pi 42 / period_frames`` px/frame, 11 px/frame at the default period) with a 6 px
    vertical bob and a slow zoom of up to 6 %; ``"handheld"``: the same with a roll of +-1.5 deg;
    ``"linear"``: a one-way pan of 7 px/frame with the same bob and zoom over the mirror-tiled
    sample (its mirrored runners are moving "background" the fit must reject).
    """
    i = np.arange(n, dtype=np.float64)
    if kind == "static":
        return PanGeometry(np.tile([45.0, 80.0], (n, 1)), np.ones(n))
    if kind == "linear":  # one way, 7 px/frame, over the mirror-tiled sample (at most 110 frames)
        ox = 100.0 + 7.0 * i
        oy = 80.0 + 6.0 * np.sin(2 * np.pi * i / 17.0)
        zoom = 1.0 + 0.03 * (1.0 - np.cos(2 * np.pi * i / 60.0))
        return PanGeometry(np.stack([ox, oy], axis=1), zoom, tiled=True)
    if kind not in ("pan", "handheld"):
        raise ValueError(kind)
    ox = 45.0 + 42.0 * np.sin(2 * np.pi * i / period_frames)
    oy = 80.0 + 6.0 * np.sin(2 * np.pi * i / 17.0)
    zoom = 1.0 + 0.03 * (1.0 - np.cos(2 * np.pi * i / 60.0))
    if kind == "pan":
        return PanGeometry(np.stack([ox, oy], axis=1), zoom)
    roll = 1.5 * np.sin(2 * np.pi * i / 37.0)
    return PanGeometry(np.stack([ox + 5.0, oy + 4.0], axis=1), zoom, roll)


def write_panned_clip(path: Path, source: Path, geometry: PanGeometry, *, fps: int = 30) -> Path:
    """Encode the synthetic shot of ``geometry`` from the first frames of ``source`` (libx264)."""
    import av
    import cv2

    from gait.video import iter_frames, probe_video

    n = len(geometry.zoom)
    meta = probe_video(source)
    tb = Fraction(1, fps)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = OUT_SIZE_PX
        stream.pix_fmt = "yuv420p"
        stream.codec_context.options = {"bf": "0", "crf": "18", "preset": "veryfast"}
        for fr in iter_frames(meta, stop=n):
            half = cv2.resize(fr.rgb, HALF_SIZE_PX, interpolation=cv2.INTER_AREA)
            if geometry.tiled:
                half = np.hstack([half[:, ::-1], half, half[:, ::-1]])
            inverse = geometry.window()[fr.index, :2]  # output px -> halved px
            img = cv2.warpAffine(
                half, inverse, OUT_SIZE_PX, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            )
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts, frame.time_base = fr.index, tb
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
