"""Readers of landmarks from other pose tools: OpenPose JSON folders and OpenSim/Pose2Sim TRC files.

Both build a 33-keypoint :class:`~gait.track.PoseTrack` (pixels, image y down) through
:func:`gait.track.from_numpy`; keypoints the tool does not have (BlazePose's mouth, hand and inner
eye points, and heels and toes for OpenPose COCO-18) are NaN. They are registered in
:data:`gait.track._io._FORMATS` (``.trc``) and :data:`gait.track._io._FOLDER_FORMATS` (OpenPose).

OpenPose (BODY_25, or COCO-18 without feet)
    A folder of ``<name>_<frame>_keypoints.json`` files, one per frame, as ``--write_json`` writes
    them: ``{"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": [x, y, c, ...]}]}``.
    The frame number is the last run of digits before ``_keypoints.json``. In each frame the
    **most confident person** (highest mean ``c`` over the keypoints gait uses) is the runner; a
    keypoint with ``c = 0`` is missing. The files carry no frame rate: give ``fps=``; without it
    30 fps is assumed and the track gets ``fps_assumed = 1``. The image size is not stored either:
    give ``image_size_px=``, else it is the ceiling of the largest x and y
    (``image_size_inferred = 1``).
TRC (Sports2D, Pose2Sim, OpenSim, gait's own export)
    Tab-separated: ``PathFileType`` line, the ``DataRate ... Units ...`` names and values, the
    ``Frame#  Time  <marker>...`` row, the ``X1 Y1 Z1 ...`` row, then one row per frame. Markers
    are matched by :data:`TRC_MARKERS` (any letter case), or by gait's own snake_case names. TRC
    y points up; the reader flips it:
    ``-Y`` when every Y is <= 0 (Sports2D's pixel files store ``-y``), else ``H - Y`` with ``H``
    the image height when given (``image_size_px=``; gait's own TRC export), else ``max(Y) - Y``
    (the highest landmark at the top edge); the rule used is the ``trc_y_flip`` attribute. Units ``px`` are kept;
    ``m`` (or ``mm``, ``cm``) are converted at :data:`PX_PER_M` pixels per metre (``px_per_m``
    attribute), shifted so the landmarks lie inside an image sized from the data range
    (``image_size_from_data = 1``). Only X and Y are used (the sagittal plane of a side view); Z
    is ignored. TRC has no confidence: present landmarks get 1.
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from gait.skeleton import KEYPOINTS

log = logging.getLogger(__name__)

#: OpenPose BODY_25 keypoint order (``pose_keypoints_2d`` holds 25 x (x, y, c)).
BODY_25: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)  # fmt: skip
#: OpenPose COCO-18 keypoint order (no feet).
COCO_18: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)  # fmt: skip

#: OpenPose / Pose2Sim / Sports2D name -> gait keypoint. Unlisted names (Neck, MidHip, Hip, Head,
#: small toes) are not used. The big toe stands for BlazePose's ``foot_index`` (the toe tip).
TRC_MARKERS: dict[str, str] = {
    "Nose": "nose",
    "LEye": "left_eye",
    "REye": "right_eye",
    "LEar": "left_ear",
    "REar": "right_ear",
    "LShoulder": "left_shoulder",
    "RShoulder": "right_shoulder",
    "LElbow": "left_elbow",
    "RElbow": "right_elbow",
    "LWrist": "left_wrist",
    "RWrist": "right_wrist",
    "LHip": "left_hip",
    "RHip": "right_hip",
    "LKnee": "left_knee",
    "RKnee": "right_knee",
    "LAnkle": "left_ankle",
    "RAnkle": "right_ankle",
    "LHeel": "left_heel",
    "RHeel": "right_heel",
    "LBigToe": "left_foot_index",
    "RBigToe": "right_foot_index",
}
#: OpenPose keypoints use the same names and mapping.
OPENPOSE_KEYPOINTS = TRC_MARKERS

#: Frame rate assumed for an OpenPose folder when no ``fps=`` is given.
DEFAULT_OPENPOSE_FPS = 30.0
#: Pixels per metre of a TRC file in metres (1 px = 1 mm).
PX_PER_M = 1000.0
#: Margin, as a share of the data range, around the landmarks of a metre TRC's image.
_MARGIN = 0.1
_METRES = {"m": 1.0, "mm": 1e-3, "cm": 1e-2}
_JSON_FRAME = re.compile(r"(\d+)_keypoints\.json$", re.IGNORECASE)
_INDEX = {name: i for i, name in enumerate(KEYPOINTS)}
_LOOKUP = {k.lower(): v for k, v in TRC_MARKERS.items()} | {k: k for k in KEYPOINTS}


class ForeignFormatError(ValueError):
    """A foreign file's content does not fit its format; the message is the reason (lower case)."""


# -- OpenPose ---------------------------------------------------------------------------------


def openpose_files(folder: Path) -> list[tuple[int, Path]]:
    """``(frame, file)`` of the ``*_keypoints.json`` files of ``folder``, by frame number."""
    found = []
    for p in folder.iterdir():
        match = _JSON_FRAME.search(p.name)
        if match and p.is_file() and not p.name.startswith("."):
            found.append((int(match.group(1)), p))
    return sorted(found)


def is_openpose_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding OpenPose ``*_keypoints.json`` files."""
    try:
        return path.is_dir() and bool(openpose_files(path))
    except OSError:
        return False


def _person_score(flat: np.ndarray, used: np.ndarray) -> float:
    c = flat[2::3][used]
    return float(np.mean(c)) if c.size else 0.0


def read_openpose(folder: Path, fps: float | None) -> dict[str, Any]:
    """Arrays and attributes for :func:`gait.track.from_numpy` from an OpenPose JSON folder.

    Raises
    ------
    ForeignFormatError
        A file is not OpenPose JSON, frame numbers repeat, or the keypoint count is not 25 or 18.
    """
    files = openpose_files(folder)
    frames = np.array([f for f, _ in files], dtype=np.int64)
    if np.any(np.diff(frames) == 0):
        dup = int(frames[1:][np.diff(frames) == 0][0])
        raise ForeignFormatError(f"two files have frame number {dup}; keep one file per frame")
    n = len(files)
    pos = np.full((n, len(KEYPOINTS), 2), np.nan)
    conf = np.full((n, len(KEYPOINTS)), np.nan)
    layout: tuple[str, ...] | None = None
    several = 0
    for row, (_, file) in enumerate(files):
        try:
            people = json.loads(file.read_text(encoding="utf-8"))["people"]
            flats = [np.asarray(p["pose_keypoints_2d"], dtype=np.float64) for p in people]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ForeignFormatError(
                f"'{file.name}' is not OpenPose JSON with people[].pose_keypoints_2d; "
                "write it with OpenPose --write_json"
            ) from exc
        flats = [f for f in flats if f.size]
        if not flats:
            continue
        sizes = {f.size for f in flats}
        if layout is None:
            layout = {75: BODY_25, 54: COCO_18}.get(next(iter(sizes)))
        if layout is None or sizes != {3 * len(layout)}:
            raise ForeignFormatError(
                f"'{file.name}' has {sorted(s // 3 for s in sizes)} keypoints per person, not 25 "
                "(BODY_25) or 18 (COCO); use one of those models"
            )
        used = np.array([name in OPENPOSE_KEYPOINTS for name in layout])
        several += len(flats) > 1
        best = max(flats, key=lambda f: _person_score(f, used))
        xyc = best.reshape(-1, 3)
        for j, name in enumerate(layout):
            if name not in OPENPOSE_KEYPOINTS or not xyc[j, 2] > 0:
                continue
            k = _INDEX[OPENPOSE_KEYPOINTS[name]]
            pos[row, k] = xyc[j, :2]
            conf[row, k] = xyc[j, 2]
    if layout is None:
        raise ForeignFormatError("no file has a person in it; check the OpenPose output")
    attrs: dict[str, Any] = {
        "source_format": "openpose",
        "source_path": str(folder),
        "openpose_model": "BODY_25" if layout is BODY_25 else "COCO_18",
        "person_selection": json.dumps(
            {
                "rule": "most confident person per frame (mean keypoint confidence)",
                "frames_with_several_people": several,
            }
        ),
    }
    if fps is None:
        fps = DEFAULT_OPENPOSE_FPS
        attrs["fps_assumed"] = 1
        log.warning(
            "OpenPose folder '%s' has no frame rate; assuming %g fps (pass fps= to load_track).",
            folder.name,
            fps,
        )
    return {
        "position_px": pos,
        "confidence": conf,
        "time_s": frames / float(fps),
        "frame": frames,
        "fps": float(fps),
        **attrs,
    }


# -- TRC --------------------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.rstrip("\r\n").split("\t")]


def _trc_header(lines: list[str]) -> tuple[dict[str, str], list[str], int]:
    """Header values by name, marker names (column order), and index of the first data line."""
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise ForeignFormatError(
            "it does not start with a 'PathFileType' line; give a TRC file as OpenSim writes it"
        )
    names, values = _cells(lines[1]), _cells(lines[2])
    header = dict(zip(names, values, strict=False))
    columns = _cells(lines[3])
    if columns[:2] != ["Frame#", "Time"]:
        raise ForeignFormatError("its fourth line does not start with 'Frame#' and 'Time'")
    markers = [c for c in columns[2:] if c]
    start = 5
    while start < len(lines) and not lines[start].strip():
        start += 1
    return header, markers, start


def _trc_xy(table: np.ndarray, markers: list[str]) -> tuple[np.ndarray, list[str]]:
    """``(n, keypoints, 2)`` X and Y of the known markers (NaN for the others), and those markers' names.

    Raises
    ------
    ForeignFormatError
        No marker is a known name.
    """
    xy = np.full((len(table), len(KEYPOINTS), 2), np.nan)
    matched = []
    for m, marker in enumerate(markers):
        kp = _LOOKUP.get(marker.lower(), _LOOKUP.get(marker))
        if kp is None:
            continue
        matched.append(marker)
        xy[:, _INDEX[kp], 0] = table[:, 2 + 3 * m]
        xy[:, _INDEX[kp], 1] = table[:, 3 + 3 * m]
    if not matched:
        raise ForeignFormatError(
            f"none of its markers {markers[:6]} is a known name such as 'RHip' or 'LAnkle'"
        )
    return xy, matched


def read_trc(path: Path, image_size_px: tuple[int, int] | None) -> dict[str, Any]:
    """Arrays and attributes for :func:`gait.track.from_numpy` from a TRC file.

    Raises
    ------
    ForeignFormatError
        The header or rows are malformed, no marker is known, or the units are not px, m, cm or mm.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    header, markers, start = _trc_header(lines)
    units = header.get("Units", "px").strip().lower() or "px"
    if units not in _METRES and units != "px":
        raise ForeignFormatError(f"its units '{units}' are not px, m, cm or mm")
    rows = [_cells(line) for line in lines[start:] if line.strip()]
    if not rows:
        raise ForeignFormatError("it has a header but no frames")
    width = 2 + 3 * len(markers)
    try:
        table = np.array(
            [[float(c) if c else np.nan for c in (r + [""] * width)[:width]] for r in rows]
        )
    except ValueError as exc:
        raise ForeignFormatError("a data row holds a non-numeric value; fix the file") from exc
    frame_col, time_s = table[:, 0], table[:, 1]
    if not np.all(np.isfinite(time_s)):
        raise ForeignFormatError("its Time column has empty cells")
    n = len(rows)
    xy, matched = _trc_xy(table, markers)
    attrs: dict[str, Any] = {"source_format": "trc", "source_path": str(path), "trc_units": units}
    pos = np.empty_like(xy)
    seen = np.isfinite(xy).all(axis=-1)
    if not seen.any():
        raise ForeignFormatError("every marker position is empty")
    if units == "px":
        pos[..., 0] = xy[..., 0]
        if np.nanmax(xy[..., 1]) <= 0:
            offset, rule = 0.0, "-Y (Sports2D pixel TRC)"
        elif image_size_px is not None:
            offset, rule = float(image_size_px[1]), "image height - Y"
        else:
            offset, rule = math.ceil(float(np.nanmax(xy[..., 1]))), "max(Y) - Y"
        pos[..., 1] = offset - xy[..., 1]
        attrs["trc_y_flip"] = rule
        size = None if image_size_px is None else tuple(int(v) for v in image_size_px)
    else:
        scale = _METRES[units] * PX_PER_M
        x, y = xy[..., 0] * scale, -xy[..., 1] * scale
        span = max(np.nanmax(x) - np.nanmin(x), np.nanmax(y) - np.nanmin(y), 1.0)
        margin = _MARGIN * span
        x0, y0 = np.nanmin(x) - margin, np.nanmin(y) - margin
        pos[..., 0], pos[..., 1] = x - x0, y - y0
        size = (
            math.ceil(np.nanmax(pos[..., 0]) + margin),
            math.ceil(np.nanmax(pos[..., 1]) + margin),
        )
        attrs.update(
            px_per_m=PX_PER_M,
            image_size_from_data=1,
            trc_origin_m=json.dumps([x0 / PX_PER_M, -y0 / PX_PER_M]),
        )
    conf = np.where(seen, 1.0, np.nan)
    if np.all(np.isfinite(frame_col)) and np.all(frame_col == np.round(frame_col)):
        frame = frame_col.astype(np.int64)
        frame -= 1 if frame.min() >= 1 else 0  # TRC frames count from 1, gait's from 0
    else:
        frame = np.arange(n, dtype=np.int64)
    rate = header.get("DataRate", "")
    try:
        fps = float(rate)
    except ValueError:
        fps = float("nan")
    return {
        "position_px": pos,
        "confidence": conf,
        "time_s": time_s,
        "frame": frame,
        "fps": fps if math.isfinite(fps) and fps > 0 else None,
        "image_size_px": size,
        "trc_markers_used": json.dumps(matched),
        **attrs,
    }
