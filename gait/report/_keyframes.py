"""Key frames for the report: a still at initial contact of each foot, with skeleton and angles."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from gait.errors import GaitError
from gait.report.overlay import _draw_skeleton, _text
from gait.track import PoseTrack
from gait.video import iter_frames, probe_video, turned

#: Width of the stills embedded in the HTML report.
STILL_WIDTH_PX = 360


def _pick_ic(events: pd.DataFrame, foot: str) -> pd.Series | None:
    """The most confident initial contact of ``foot`` in the middle half of the clip."""
    ics = events[(events["type"] == "IC") & (events["foot"] == foot)]
    if ics.empty:
        return None
    t = events["time_s"]
    middle = ics[(ics["time_s"] >= t.quantile(0.25)) & (ics["time_s"] <= t.quantile(0.75))]
    pool = middle if not middle.empty else ics
    return pool.sort_values("confidence", ascending=False).iloc[0]


def ic_stills(
    clip: str | Path | None,
    track: PoseTrack,
    events: pd.DataFrame,
    steps: pd.DataFrame,
    *,
    slowmo_factor: float | None = None,
) -> list[dict[str, str]]:
    """One JPEG still (base64 data URI) per foot at initial contact, with knee and shank angles.

    Returns an empty list when the clip is not available (analysis of a track file).
    """
    if clip is None or not Path(clip).is_file():
        return []
    try:
        meta = turned(probe_video(clip, slowmo_factor=slowmo_factor), int(track.attrs.get("rotation_applied_deg", 0)))
    except GaitError:
        return []
    stills = []
    positions = dict(
        zip(
            track["frame"].values.tolist(),
            track["position"].transpose("time", "keypoint", "space").values,
            strict=True,
        )
    )
    for foot, name in (("L", "left"), ("R", "right")):
        ic = _pick_ic(events, foot)
        if ic is None:
            continue
        frame_index = int(ic["frame"])
        frame = next(iter_frames(meta, start=frame_index, stop=frame_index + 1), None)
        if frame is None:
            continue
        scale = STILL_WIDTH_PX / meta.width_px
        img = cv2.resize(
            frame.rgb, (STILL_WIDTH_PX, round(meta.height_px * scale)), interpolation=cv2.INTER_AREA
        )
        if frame_index in positions:
            _draw_skeleton(img, positions[frame_index] * scale, 1.0)
        lines = [f"IC {name} foot, {float(ic['time_s']):.2f} s"]
        row = (
            steps[(steps.get("foot") == foot) & (steps.get("ic_frame") == frame_index)]
            if not steps.empty
            else steps
        )
        for col, label in (
            ("knee_flexion_ic_deg", "knee flexion"),
            ("shank_angle_ic_deg", "shank angle"),
            ("foot_strike_angle_deg", "foot strike angle"),
        ):
            if not row.empty and col in row and np.isfinite(row[col].iloc[0]):
                lines.append(f"{label} {row[col].iloc[0]:.0f} deg")
        for i, line in enumerate(lines):
            _text(img, line, (8, 20 + 20 * i), 0.8)
        ok, jpg = cv2.imencode(
            ".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85]
        )
        if ok:
            uri = "data:image/jpeg;base64," + base64.b64encode(jpg.tobytes()).decode("ascii")
            stills.append({"foot": name, "caption": lines[0], "src": uri})
    return stills
