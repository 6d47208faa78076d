"""``overlay.mp4``: the clip with the skeleton, gait events and running metrics drawn on it.

Encoded as H.264 (yuv420p, PyAV's libx264) so that browsers play it; one output frame per decoded
frame, at the clip's own presentation times (media time, so it plays back as recorded).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pandas as pd

from gait.skeleton import EDGES, KEYPOINTS
from gait.track import PoseTrack
from gait.video import display_size, iter_scaled_frames, kept_pictures, probe_video, turned

#: Long side of the overlay video; smaller than phone video keeps encoding fast and files small.
#: Measured on the sample (150 frames, libx264 veryfast, crf 23): 18.7 ms of CPU per frame at
#: 1280 px, 7.9 ms at 960 px (430 KiB against 650 KiB), enough to see the skeleton and events.
OVERLAY_LONG_SIDE_PX = 960
#: How long an event marker stays on screen.
EVENT_HOLD_S = 0.12

_COLOURS = {"left": (66, 135, 245), "right": (245, 140, 30), "centre": (220, 220, 220)}  # RGB


def _side(name: str) -> str:
    return "left" if name.startswith("left") else "right" if name.startswith("right") else "centre"


def _draw_skeleton(img: np.ndarray, pts: np.ndarray, scale: float) -> None:
    thickness = max(2, round(3 * scale))
    index = {n: i for i, n in enumerate(KEYPOINTS)}
    for a, b in EDGES:
        pa, pb = pts[index[a]], pts[index[b]]
        if np.isfinite(pa).all() and np.isfinite(pb).all():
            colour = _COLOURS[_side(a)] if _side(a) == _side(b) else _COLOURS["centre"]
            cv2.line(
                img,
                tuple(np.round(pa).astype(int)),
                tuple(np.round(pb).astype(int)),
                colour,
                thickness,
                cv2.LINE_AA,
            )
    for i, name in enumerate(KEYPOINTS[11:], start=11):  # body landmarks, no face points
        if np.isfinite(pts[i]).all():
            cv2.circle(
                img,
                tuple(np.round(pts[i]).astype(int)),
                thickness + 1,
                _COLOURS[_side(name)],
                -1,
                cv2.LINE_AA,
            )


def _text(
    img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int] = (255, 255, 255)
) -> None:
    """Text with a dark outline so that it reads on any background."""
    for ink, width in (((0, 0, 0), max(3, round(4 * scale))), (colour, max(1, round(1.5 * scale)))):
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, ink, width, cv2.LINE_AA)


def write_overlay(
    clip: str | Path,
    track: PoseTrack,
    events: pd.DataFrame,
    out: str | Path,
    *,
    headline: Mapping[str, str] | None = None,
    slowmo_factor: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Draw ``track`` (pixels of the displayed frame) and ``events`` on ``clip`` and encode H.264.

    Parameters
    ----------
    clip
        The analysed video.
    track
        Pose track of that clip (cleaned is best); rows are matched by the ``frame`` coordinate.
    events
        Table with ``foot``, ``type``, ``time_s`` (real-world seconds, as in the report).
    out
        Target ``.mp4``; written to a temporary name first and renamed when complete.
    headline
        Label -> value text shown in the top-left corner (e.g. ``{"cadence": "169 spm"}``).
    """
    meta = turned(probe_video(clip, slowmo_factor=slowmo_factor), int(track.attrs.get("rotation_applied_deg", 0)))
    out = Path(out)
    tmp = out.with_name(out.stem + ".part.mp4")
    scale = min(1.0, OVERLAY_LONG_SIDE_PX / max(meta.width_px, meta.height_px))
    width, height = display_size(meta, OVERLAY_LONG_SIDE_PX)
    sx, sy = width / meta.width_px, height / meta.height_px
    pos_by_frame = dict(
        zip(
            track["frame"].values.tolist(),
            track["position"].transpose("time", "keypoint", "space").values,
            strict=True,
        )
    )
    ev = events.sort_values("time_s") if len(events) else events
    lines = [f"{k}: {v}" for k, v in (headline or {}).items()]
    time_base = Fraction(1, 90000)
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=max(1, round(meta.nominal_fps)))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.codec_context.options = {"preset": "veryfast", "crf": "23", "movflags": "faststart"}
        # the pictures the pose stage kept of a short clip, else the clip decoded again
        pictures = kept_pictures(meta, OVERLAY_LONG_SIDE_PX) or iter_scaled_frames(meta, OVERLAY_LONG_SIDE_PX)
        for index, time_s, img in pictures:
            pts = pos_by_frame.get(index)
            if pts is not None:
                _draw_skeleton(img, pts * (sx, sy), scale * 2)
            for i, line in enumerate(lines):
                _text(img, line, (12, 30 + 28 * i), scale * 2)
            recent = (
                ev[(ev["time_s"] <= time_s) & (ev["time_s"] > time_s - EVENT_HOLD_S)]
                if len(ev)
                else ev
            )
            for j, row in enumerate(recent.itertuples(index=False)):
                colour = _COLOURS["left" if row.foot == "L" else "right"]
                _text(
                    img, f"{row.type} {row.foot}", (12, height - 20 - 30 * j), scale * 2.4, colour
                )
            _text(
                img,
                f"{time_s:6.2f} s  frame {index}",
                (width - int(260 * scale * 2), height - 16),
                scale * 1.6,
            )
            out_frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            out_frame.pts = round(
                (meta.frame_pts[index] - meta.frame_pts[0]) * meta.time_base / time_base
            )
            out_frame.time_base = time_base
            for packet in stream.encode(out_frame):
                container.mux(packet)
            if progress is not None:
                progress(index + 1, meta.n_frames)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(out)
    return out
