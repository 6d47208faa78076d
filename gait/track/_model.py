"""Construct and validate pose tracks (see :mod:`gait.track._schema` for the format)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from gait.errors import InvalidTrackError
from gait.skeleton import KEYPOINTS
from gait.track import _schema as S

PoseTrack = xr.Dataset


def from_numpy(
    position_px: np.ndarray,
    confidence: np.ndarray,
    time_s: np.ndarray,
    *,
    image_size_px: tuple[int, int],
    frame: np.ndarray | None = None,
    position_world_m: np.ndarray | None = None,
    detected: np.ndarray | None = None,
    duplicate: np.ndarray | None = None,
    keypoints: Sequence[str] = KEYPOINTS,
    fps: float | None = None,
    **attrs: Any,
) -> PoseTrack:
    """Build a pose track from arrays; the one constructor every reader and backend uses.

    Parameters
    ----------
    position_px
        ``(n_frames, n_keypoints, 2)`` x, y in pixels of the displayed image, +y down; NaN = none.
    confidence
        ``(n_frames, n_keypoints)`` visibility in [0, 1]; NaN = none.
    time_s
        ``(n_frames,)`` strictly increasing real-world times in seconds.
    image_size_px
        ``(width, height)`` of the displayed image.
    frame
        0-based decode index of each row; defaults to ``0 .. n_frames-1``.
    position_world_m
        Optional ``(n_frames, n_keypoints, 3)`` world landmarks in metres.
    detected, duplicate
        Optional per-frame booleans; ``detected`` defaults to "any landmark present".
    fps
        Frames per second; defaults to the median of the time differences.
    **attrs
        Further attributes (see :data:`gait.track._schema.OPTIONAL_ATTRS`).
    """
    pos = np.asarray(position_px, dtype=np.float32)
    conf = np.asarray(confidence, dtype=np.float32)
    t = np.asarray(time_s, dtype=np.float64)
    n, k = len(t), len(keypoints)
    if pos.shape != (n, k, 2):
        raise InvalidTrackError(f"Expected position of shape ({n}, {k}, 2), got {pos.shape}.")
    if conf.shape != (n, k):
        raise InvalidTrackError(f"Expected confidence of shape ({n}, {k}), got {conf.shape}.")
    if n >= 2 and not np.all(np.diff(t) > 0):
        raise InvalidTrackError("Expected strictly increasing frame times, got repeated or backward times.")
    frame_idx = np.arange(n) if frame is None else np.asarray(frame, dtype=np.int64)
    if frame_idx.shape != (n,):
        raise InvalidTrackError(f"Expected {n} frame indices, got shape {frame_idx.shape}.")
    if detected is None:
        detected = np.asarray(np.isfinite(pos).any(axis=(1, 2)))
    if duplicate is None:
        duplicate = np.zeros(n, dtype=bool)
    if fps is None:
        fps = float(1.0 / np.median(np.diff(t))) if n >= 2 else float("nan")
    width, height = (int(v) for v in image_size_px)

    data_vars: dict[str, Any] = {
        "position": (S.DIMS, pos),
        "confidence": (("time", "keypoint"), conf),
        "detected": (("time",), np.asarray(detected, dtype=bool)),
        "duplicate": (("time",), np.asarray(duplicate, dtype=bool)),
    }
    coords: dict[str, Any] = {
        "time": ("time", t, {"units": "s"}),
        "frame": ("time", frame_idx),
        "keypoint": ("keypoint", list(keypoints)),
        "space": ("space", list(S.SPACE)),
    }
    if position_world_m is not None:
        world = np.asarray(position_world_m, dtype=np.float32)
        if world.shape != (n, k, 3):
            raise InvalidTrackError(f"Expected world positions of shape ({n}, {k}, 3), got {world.shape}.")
        data_vars["position_world"] = (("time", "keypoint", "space3"), world)
        coords["space3"] = ("space3", list(S.SPACE3))
    base_attrs = {
        "schema": S.SCHEMA,
        "fps": float(fps),
        "image_width_px": width,
        "image_height_px": height,
        "time_unit": S.TIME_UNIT,
        "space_unit": S.SPACE_UNIT,
        "coordinate_frame": S.COORDINATE_FRAME,
    }
    ds = xr.Dataset(data_vars, coords=coords, attrs={**base_attrs, **attrs})
    ds["position"].attrs["units"] = "px"
    if "position_world" in ds:
        ds["position_world"].attrs["units"] = "m"
    return ds


def validate_track(track: xr.Dataset) -> PoseTrack:
    """Check that ``track`` follows the format; return it unchanged or raise InvalidTrackError."""
    if not isinstance(track, xr.Dataset):
        raise InvalidTrackError(f"Expected an xarray Dataset, got {type(track).__name__}.")
    for var in ("position", "confidence"):
        if var not in track:
            names = sorted(map(str, track.data_vars))
            raise InvalidTrackError(f"Expected a '{var}' variable in the track, got {names}.")
    if tuple(track["position"].dims) != S.DIMS:
        raise InvalidTrackError(f"Expected position dims {S.DIMS}, got {tuple(track['position'].dims)}.")
    missing = [a for a in S.REQUIRED_ATTRS if a not in track.attrs]
    if missing:
        raise InvalidTrackError(f"Expected track attributes {missing}, which are missing.")
    if track.attrs["schema"] != S.SCHEMA:
        raise InvalidTrackError(f"Expected track schema {S.SCHEMA!r}, got {track.attrs['schema']!r}.")
    t = track["time"].values
    if len(t) >= 2 and not np.all(np.diff(t) > 0):
        raise InvalidTrackError("Expected strictly increasing frame times in the track.")
    return track


def track_fps(track: PoseTrack) -> float:
    """The track's frame rate: its ``fps`` attribute, else from the median frame interval."""
    fps = float(track.attrs.get("fps", np.nan))
    if np.isfinite(fps) and fps > 0:
        return fps
    t = track["time"].values
    return float(1.0 / np.median(np.diff(t))) if len(t) > 1 else float("nan")
