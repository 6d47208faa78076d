"""Landmarks relative to the ground when the camera moves, and running speed from them.

A following (panning) camera moves the background through the image, so a foot in stance moves in
image pixels and the pelvis seems to stay put. :func:`to_ground_frame` maps every landmark through
the camera motion measured on the background (:func:`gait.video._egomotion.estimate_camera_motion`,
handed over as plain arrays: this stage imports no decoder) into the pixels of one reference frame.
In those coordinates a foot in stance stands still and the pelvis moves forward.

What "ground" means: the motion is the camera's, measured on the static background. Overground
the reference frame is the ground's. On a treadmill it is the room's: the pelvis stays in place and
the stance foot moves back with the belt, so :func:`running_speed` gives about 0 there and the belt
speed must come from the stance foot instead.

Body height (:func:`body_height_px`) is the median shoulder-to-ankle chain (trunk + thigh + shank,
each segment's median length over frames and both sides) divided by :data:`SHOULDER_TO_ANKLE_OF_HEIGHT`:
segment lengths, unlike the vertical extent of the landmarks, do not shrink when the runner leans
or bends the knees. Winter's anthropometric table (Biomechanics and Motor Control of Human
Movement, 4th ed., 2009, fig. 4.1) puts the shoulder at 0.818, the hip at 0.530, the knee at 0.285
and the ankle at 0.039 of stature: 0.779 of stature from shoulder to ankle. People differ from the
table by a few per cent and MediaPipe's joint centres are not markers; :data:`BODY_HEIGHT_REL_SD`
carries both into the speed's uncertainty. It is not validated against measured speeds yet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from gait.errors import ClipTooShortError, ConfigError, InvalidTrackError
from gait.track._model import PoseTrack, validate_track

#: Stature fraction from shoulder to ankle (Winter 2009: 0.818 - 0.039).
SHOULDER_TO_ANKLE_OF_HEIGHT = 0.779
#: Relative standard uncertainty of a body height from :func:`body_height_px` (anthropometric spread
#: between people, ~3 %, and MediaPipe's joint placement, assumed ~4 %).
BODY_HEIGHT_REL_SD = 0.05
#: The speed needs the pelvis over at least this long (about one stride at a jog), and this many frames.
MIN_SPEED_SPAN_S = 0.6
MIN_SPEED_FRAMES = 10
#: Length of the blocks left out one at a time for the speed's jackknife uncertainty, seconds.
_JACKKNIFE_BLOCK_S = 0.35

_SEGMENTS = (("shoulder", "hip"), ("hip", "knee"), ("knee", "ankle"))


class Speed(NamedTuple):
    """A running speed with its standard uncertainty, in ``unit`` ("body_heights/s" or "m/s")."""

    value: float
    uncertainty: float
    unit: str


def _motion_dict(motion: Any) -> dict[str, Any]:
    if isinstance(motion, Mapping):
        return dict(motion)
    if hasattr(motion, "arrays"):
        return dict(motion.arrays())
    if dataclasses.is_dataclass(motion):
        return {f.name: getattr(motion, f.name) for f in dataclasses.fields(motion)}
    raise InvalidTrackError(
        f"Expected the camera motion as a mapping of arrays (CameraMotion.arrays()), got {type(motion).__name__}."
    )


def _xy(track: PoseTrack, name: str) -> np.ndarray:
    return track["position"].sel(keypoint=name).transpose("time", "space").values.astype(np.float64)


def _check_size(track: PoseTrack, motion: dict[str, Any]) -> None:
    size = motion.get("image_size_px")
    if size is None:
        return
    mine = (int(track.attrs["image_width_px"]), int(track.attrs["image_height_px"]))
    if tuple(int(v) for v in size) != mine:
        raise InvalidTrackError(
            f"The camera motion was measured on {size[0]} x {size[1]} px frames but the track is {mine[0]} x "
            f"{mine[1]} px; measure the motion on the clip the track came from."
        )


def to_ground_frame(track: PoseTrack, motion: Any, *, drop_unreliable: bool = True) -> PoseTrack:
    """The track with every landmark mapped into the reference frame's pixels (module docstring).

    Parameters
    ----------
    track
        A pose track in image pixels (not already compensated).
    motion
        The camera motion as a mapping of arrays, e.g. ``CameraMotion.arrays()``: ``frame`` ``(n,)``
        decode indices and ``to_reference`` ``(n, 2, 3)`` maps from each frame's pixels to the
        reference frame's; optional ``ok`` ``(n,)``, ``image_size_px``, ``reference_frame``,
        ``max_shift_px``, ``moved``.
    drop_unreliable
        Landmarks of frames whose motion fit failed (``ok`` False) become NaN (cleaning fills
        them), since their map only assumes the camera kept its speed.

    Returns
    -------
    PoseTrack
        A new track; ``position`` in reference-frame pixels (values may lie outside the image);
        ``position_world`` (camera-independent), confidences and times unchanged. Attributes
        ``camera_motion = "compensated"``, ``camera_reference_frame``, ``camera_max_shift_px``,
        ``camera_max_shift_body_heights``, ``camera_pan_speed_px_s``, ``camera_moved`` (0/1),
        ``camera_unreliable_frames``, and ``coordinate_frame`` record it; ``camera_map_frames`` and
        ``camera_maps`` (each row's map, flattened) let :func:`from_ground_frame` undo it.
        ``image_width_px`` / ``image_height_px`` stay those of the frames. A ground-frame track is
        for analysis in memory: save the image-pixel track (``load_track`` refuses landmarks far
        outside the declared image, which a long pan gives) and compensate again after loading.

    Raises
    ------
    InvalidTrackError
        The track is already compensated, has frames the motion does not cover, or another size.
    """
    validate_track(track)
    if track.attrs.get("camera_motion") == "compensated":
        raise InvalidTrackError(
            "The track is already in the ground frame; pass the image-pixel track."
        )
    m = _motion_dict(motion)
    try:
        frames = np.asarray(m["frame"], dtype=np.int64)
        maps = np.asarray(m["to_reference"], dtype=np.float64)
    except KeyError as err:
        raise InvalidTrackError(
            f"The camera motion lacks the {err.args[0]!r} array; pass CameraMotion.arrays()."
        ) from err
    if maps.shape != (len(frames), 2, 3):
        raise InvalidTrackError(
            f"Expected to_reference of shape ({len(frames)}, 2, 3), got {maps.shape}."
        )
    _check_size(track, m)
    ok = np.asarray(m.get("ok", np.ones(len(frames), dtype=bool)), dtype=bool)
    rows = np.asarray(track["frame"].values, dtype=np.int64)
    order = np.argsort(frames)
    at = np.clip(np.searchsorted(frames[order], rows), 0, len(frames) - 1)
    idx = order[at]
    missing = frames[idx] != rows
    if missing.any():
        raise InvalidTrackError(
            f"The camera motion covers frames {frames.min()}-{frames.max()} but the track has {int(missing.sum())} "
            "frame(s) outside them; measure the motion over the whole clip the track came from."
        )
    pos = track["position"].transpose("time", "keypoint", "space").values.astype(np.float64)
    a = maps[idx]
    ground = np.einsum("tij,tkj->tki", a[:, :, :2], pos) + a[:, None, :, 2]
    bad = ~ok[idx]
    if drop_unreliable:
        ground[bad] = np.nan
    out = track.copy(deep=True)
    out["position"] = (
        ("time", "keypoint", "space"),
        ground.astype(np.float32),
        track["position"].attrs,
    )
    ref = int(m.get("reference_frame", frames[order][0]))
    shift = float(m.get("max_shift_px", np.nan))
    bh = body_height_px(track)
    out.attrs.update(
        camera_motion="compensated",
        camera_reference_frame=ref,
        camera_max_shift_px=shift,
        camera_max_shift_body_heights=shift / bh if np.isfinite(bh) and bh > 0 else float("nan"),
        camera_pan_speed_px_s=float(m.get("pan_speed_px_s", np.nan)),
        camera_moved=int(bool(m.get("moved", True))),
        camera_unreliable_frames=int(bad.sum()),
        # each row's map, so that from_ground_frame can undo it after cleaning (in memory only)
        camera_map_frames=rows.copy(),
        camera_maps=a.reshape(-1).copy(),
        image_coordinate_frame=str(track.attrs.get("coordinate_frame", "")),
        coordinate_frame=(
            f"ground: pixels of reference frame {ref} (origin top-left, +x right, +y down), camera motion removed"
        ),
    )
    return out


#: Attributes :func:`to_ground_frame` adds that describe the compensation itself; the others
#: (``camera_moved``, ``camera_max_shift_px``, ...) say what the camera did and may stay on the
#: image-pixel track for the report.
_COMPENSATION_ATTRS = (
    "camera_motion",
    "camera_reference_frame",
    "camera_map_frames",
    "camera_maps",
    "image_coordinate_frame",
)
#: What :func:`camera_attrs` copies: the camera's motion as the report describes it.
CAMERA_ATTRS = (
    "camera_moved",
    "camera_max_shift_px",
    "camera_max_shift_body_heights",
    "camera_pan_speed_px_s",
    "camera_unreliable_frames",
)


def camera_attrs(track: PoseTrack) -> dict[str, Any]:
    """The attributes of :data:`CAMERA_ATTRS` a track carries (what the report says about the camera)."""
    return {k: track.attrs[k] for k in CAMERA_ATTRS if k in track.attrs}


def from_ground_frame(ground_track: PoseTrack) -> PoseTrack:
    """A ground-frame track (e.g. after cleaning) mapped back into each frame's image pixels.

    Undoes :func:`to_ground_frame` with the maps it stored on the track, so that a track cleaned
    in the ground frame can be drawn over the video; landmarks that cleaning filled in frames whose
    fit failed land where the camera's assumed motion puts them.

    Parameters
    ----------
    ground_track
        A track from :func:`to_ground_frame`, possibly cleaned (same frames, any subset of rows).

    Returns
    -------
    PoseTrack
        ``position`` in image pixels, the compensation's attributes removed (the camera's,
        :data:`CAMERA_ATTRS`, kept), ``coordinate_frame`` the image's again.

    Raises
    ------
    InvalidTrackError
        The track is not in the ground frame, or has rows whose map was not stored.
    """
    if ground_track.attrs.get("camera_motion") != "compensated" or "camera_maps" not in ground_track.attrs:
        raise InvalidTrackError(
            "The track is not in the ground frame (no camera maps); pass a track from to_ground_frame."
        )
    frames = np.asarray(ground_track.attrs["camera_map_frames"], dtype=np.int64).reshape(-1)
    maps = np.asarray(ground_track.attrs["camera_maps"], dtype=np.float64).reshape(-1, 2, 3)
    rows = np.asarray(ground_track["frame"].values, dtype=np.int64)
    order = np.argsort(frames, kind="stable")
    at = np.clip(np.searchsorted(frames[order], rows), 0, len(frames) - 1)
    idx = order[at]
    if (frames[idx] != rows).any():
        raise InvalidTrackError(
            "The track has frames whose camera map was not stored; map the track that to_ground_frame returned."
        )
    full = np.zeros((len(idx), 3, 3))
    full[:, :2] = maps[idx]
    full[:, 2, 2] = 1.0
    inv = np.linalg.inv(full)[:, :2]
    pos = ground_track["position"].transpose("time", "keypoint", "space").values.astype(np.float64)
    image = np.einsum("tij,tkj->tki", inv[:, :, :2], pos) + inv[:, None, :, 2]
    out = ground_track.copy(deep=True)
    out["position"] = (
        ("time", "keypoint", "space"),
        image.astype(np.float32),
        ground_track["position"].attrs,
    )
    coordinate_frame = str(out.attrs.get("image_coordinate_frame") or "")
    for k in _COMPENSATION_ATTRS:
        out.attrs.pop(k, None)
    if coordinate_frame:
        out.attrs["coordinate_frame"] = coordinate_frame
    return out


def body_height_px(track: PoseTrack) -> float:
    """The runner's stature in the track's pixels: median shoulder-to-ankle chain / 0.779 (module docstring).

    Returns NaN when a segment is never seen.
    """
    total = 0.0
    for upper, lower in _SEGMENTS:
        lengths = np.concatenate(
            [
                np.linalg.norm(_xy(track, f"{s}_{upper}") - _xy(track, f"{s}_{lower}"), axis=1)
                for s in ("left", "right")
            ]
        )
        if not np.isfinite(lengths).any():
            return float("nan")
        total += float(np.nanmedian(lengths))
    return total / SHOULDER_TO_ANKLE_OF_HEIGHT


def _pelvis(track: PoseTrack) -> np.ndarray:
    """``(n, 2)`` hip midpoint; one hip where only one is seen; NaN where neither is."""
    left, right = _xy(track, "left_hip"), _xy(track, "right_hip")
    both = (left + right) / 2.0
    return np.where(np.isfinite(both), both, np.where(np.isfinite(left), left, right))


def _velocity(t: np.ndarray, xy: np.ndarray) -> float:
    """Speed (px/s) of the least-squares straight-line motion of points ``xy`` at times ``t``."""
    tc = t - t.mean()
    v = (tc @ (xy - xy.mean(axis=0))) / (tc @ tc)
    return float(np.hypot(v[0], v[1]))


def running_speed(ground_track: PoseTrack, *, height_cm: float | None = None) -> Speed:
    """Running speed from the pelvis (hip midpoint) in the ground frame, with its uncertainty.

    The speed is that of the straight line fitted to the pelvis positions over time (the bob and
    sway within a stride average out over whole strides), divided by :func:`body_height_px`.

    Parameters
    ----------
    ground_track
        A track from :func:`to_ground_frame`, or one from a static camera.
    height_cm
        The runner's stature; given, the speed is in m/s, else in body heights per second.

    Returns
    -------
    Speed
        ``(value, uncertainty, unit)``. The uncertainty combines a jackknife over blocks of
        ``0.35 s`` (what the pelvis's own motion leaves) with :data:`BODY_HEIGHT_REL_SD`.

    Raises
    ------
    ClipTooShortError
        Fewer than :data:`MIN_SPEED_FRAMES` frames with a pelvis, or less than
        :data:`MIN_SPEED_SPAN_S` of them.
    InvalidTrackError
        No shoulder-to-ankle chain in view.
    ConfigError
        ``height_cm`` outside 50-250.
    """
    validate_track(ground_track)
    if height_cm is not None and not 50.0 <= height_cm <= 250.0:
        raise ConfigError(
            f"height_cm must be a stature between 50 and 250 cm (got {height_cm}); give it in centimetres."
        )
    pelvis = _pelvis(ground_track)
    t = ground_track["time"].values.astype(np.float64)
    seen = np.isfinite(pelvis).all(axis=1)
    t, pelvis = t[seen], pelvis[seen]
    if len(t) < MIN_SPEED_FRAMES or t[-1] - t[0] < MIN_SPEED_SPAN_S:
        span = float(t[-1] - t[0]) if len(t) else 0.0
        raise ClipTooShortError(
            f"The pelvis is in view in {len(t)} frames over {span:.2f} s; running speed needs at least "
            f"{MIN_SPEED_FRAMES} frames over {MIN_SPEED_SPAN_S} s, so film the runner for longer."
        )
    bh = body_height_px(ground_track)
    if not np.isfinite(bh) or bh <= 0:
        raise InvalidTrackError(
            "No shoulder, hip, knee and ankle are in view together, so the body height is unknown; film the whole body."
        )
    v = _velocity(t, pelvis)
    span = t[-1] - t[0]
    k = max(3, int(span / _JACKKNIFE_BLOCK_S))
    blocks = np.minimum(((t - t[0]) / span * k).astype(int), k - 1)
    loo = np.array([_velocity(t[blocks != b], pelvis[blocks != b]) for b in range(k)])
    sd_stat = float(np.sqrt((k - 1) / k * np.sum((loo - loo.mean()) ** 2)))
    scale, unit = (
        (1.0 / bh, "body_heights/s") if height_cm is None else (height_cm / 100.0 / bh, "m/s")
    )
    value = v * scale
    return Speed(value, float(np.hypot(sd_stat * scale, BODY_HEIGHT_REL_SD * value)), unit)


def camera_motion_summary(track: PoseTrack, motion: Any) -> dict[str, Any]:
    """What the report says about the camera: moved or not, how far and how fast, also in body heights.

    Parameters
    ----------
    track
        The image-pixel (or ground-frame) track, for the body height.
    motion
        As for :func:`to_ground_frame`.

    Returns
    -------
    dict
        ``moved`` (bool), ``max_shift_px``, ``max_shift_body_heights``, ``pan_speed_px_s``,
        ``pan_speed_body_heights_s``, ``unreliable_frames``.
    """
    m = _motion_dict(motion)
    bh = body_height_px(track)
    shift = float(m.get("max_shift_px", np.nan))
    speed = float(m.get("pan_speed_px_s", np.nan))
    ok = np.asarray(m.get("ok", []), dtype=bool)
    return {
        "moved": bool(m.get("moved", False)),
        "max_shift_px": shift,
        "max_shift_body_heights": shift / bh,
        "pan_speed_px_s": speed,
        "pan_speed_body_heights_s": speed / bh,
        "unreliable_frames": int((~ok).sum()),
    }
