"""Camera motion of a following (panning) shot, measured on the background outside the runner's box.

For every frame the background's motion is fitted as a similarity (translation, uniform scale,
rotation): corners (``cv2.goodFeaturesToTrack``) of a keyframe outside the runner's padded box are
tracked into the frame with pyramidal Lucas-Kanade optical flow, seeded by the camera's last
motion, kept when the backward track returns to within :data:`_FB_MAX_PX` and when they land
outside the runner's box in the frame, and fitted with ``cv2.estimateAffinePartial2D`` under
RANSAC. The keyframe is kept while it shares enough background with the frame (:class:`_Chainer`),
so errors add up only at keyframe changes, not frame after frame. The fits are chained into one
map per frame, from that frame's pixels to the pixels of a reference frame: the *ground frame* of
:func:`gait.track._ground_frame.to_ground_frame`.

What "ground" means: the estimate is of the camera, from the static background. Overground, the
background and the ground are at rest together, so the reference frame is the ground's and a foot
in stance stands still in it. On a treadmill the belt moves but the room does not, so the
reference frame is the room's: the runner stays in place and the stance foot moves back with the
belt, as in a clip from a static camera.

Limits: a similarity is exact for a camera that translates parallel to a flat background and
close for one that pans by a few tens of degrees; a camera walking past a near background
(parallax) or a strong perspective change leaves a residual that ``CameraMotion.residual_px``
reports. Frames whose fit has fewer than :data:`_MIN_INLIERS` inliers (against the keyframe, then
the previous frame) keep the camera's last motion and are marked ``ok = False``.

Work runs on frames downscaled to ``max_side_px`` (480 by default); the maps returned are in pixels
of the full displayed frame, as the pose track's landmarks are.

Cost: about 24 ms per frame on one core for a 720 x 1280 clip (decoding ~15 ms of it). A quick
check, ``step=5``, fits every 5th frame only, decoded straight to grey at the working size
(:func:`_iter_grey`): about 5 ms per frame of the clip, which is what a static camera costs a
pipeline that runs the full estimate only when the quick check says the camera moved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gait.errors import ConfigError, VideoReadError
from gait.video._decode import _ROTATE, decoded_frames, iter_frames
from gait.video._kept import kept_grey
from gait.video._probe import VideoMeta, probe_video

#: Corners sought per frame pair, their quality level and spacing (working pixels).
_MAX_CORNERS = 400
_CORNER_QUALITY = 0.01
_CORNER_SPACING_PX = 7
#: Lucas-Kanade window (working pixels) and pyramid levels: 3 levels follow pans of up to about
#: 60 working px per frame, more than a hand-held following shot gives at 480 px.
_LK_WINDOW_PX = 21
_LK_LEVELS = 3
#: A corner is kept when tracking it forward then back lands within this distance (working px).
_FB_MAX_PX = 0.7
#: RANSAC inlier distance (working px) and the fewest inliers for a frame's fit to count.
_RANSAC_PX = 1.0
_MIN_INLIERS = 12
#: A keyframe is kept while its fits keep this fraction of the inliers of its first fit.
_KEY_KEEP_FRACTION = 0.5
#: The runner's box (landmark extent) is padded on every side by this fraction of its longer side,
#: which covers hair, clothes and hands beyond the landmarks, plus a fixed margin of the image.
_BOX_PAD_FRACTION = 0.15
_BORDER_PX = 4
#: The camera "moved" when some frame's centre lies further than this fraction of the frame's long
#: side from the reference frame's centre: a phone on a tripod or a wall stays below 0.5 %.
_MOVED_MIN_FRACTION = 0.02


@dataclass(frozen=True, eq=False)
class CameraMotion:
    """Per-frame camera motion of a clip, relative to a reference frame (module docstring).

    Every map is in pixels of the full displayed frame (the pose track's coordinates): a point
    ``p`` of frame ``i`` lies at ``to_reference[i] @ (x, y, 1)`` in the reference frame.
    """

    frame: np.ndarray
    """``(n,)`` 0-based decode index of each row."""
    time_s: np.ndarray
    """``(n,)`` real-world time of each frame, seconds."""
    to_reference: np.ndarray
    """``(n, 2, 3)`` similarity from the frame's pixels to the reference frame's pixels."""
    dx_px: np.ndarray
    """``(n,)`` where the frame's centre lies in the reference frame, minus the centre, x: > 0 when
    the camera looks further right than in the reference frame (a pan to the right)."""
    dy_px: np.ndarray
    """``(n,)`` the same in y (+y down)."""
    scale: np.ndarray
    """``(n,)`` scale of the map: < 1 when the frame shows the background larger than the reference
    frame does (the camera zoomed in or came closer)."""
    rotation_deg: np.ndarray
    """``(n,)`` rotation of the map, degrees (image axes, +y down: positive is clockwise)."""
    inliers: np.ndarray
    """``(n,)`` background corners that agree with the fit to the previous frame (0 for the first)."""
    residual_px: np.ndarray
    """``(n,)`` RMS distance of those inliers from the fit, full-frame pixels (NaN for the first)."""
    ok: np.ndarray
    """``(n,)`` the fit had at least :data:`_MIN_INLIERS` inliers (True for the first frame)."""
    image_size_px: tuple[int, int]
    """``(width, height)`` of the full displayed frame."""
    reference_frame: int
    """Decode index of the reference frame."""
    working_long_side_px: int
    """Long side of the frames the fit ran on."""
    moved: bool
    """Some frame's centre moved by more than :data:`_MOVED_MIN_FRACTION` of the long side."""
    max_shift_px: float
    """Largest distance of a frame's centre from the reference frame's centre, full-frame px."""
    pan_speed_px_s: float
    """Median speed of the frame centre over the ground (reference pixels per second)."""
    seconds_per_frame: float
    """Wall-clock time spent per frame of the range measured, decoding included (with ``step`` > 1
    per frame of the clip, not per frame fitted)."""

    def arrays(self) -> dict[str, Any]:
        """The fields as a plain dict (what :func:`gait.track._ground_frame.to_ground_frame` reads)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _homogeneous(a: np.ndarray) -> np.ndarray:
    return np.vstack([a, [0.0, 0.0, 1.0]])


def _similarity_parts(m: np.ndarray) -> tuple[float, float]:
    """(scale, rotation_deg) of a 2x3 similarity."""
    return float(np.hypot(m[0, 0], m[1, 0])), float(np.degrees(np.arctan2(m[1, 0], m[0, 0])))


def runner_boxes_px(
    position_px: np.ndarray, row_frame: np.ndarray, n_frames: int, image_size_px: tuple[int, int]
) -> np.ndarray | None:
    """``(n_frames, 4)`` padded runner box ``x0, y0, x1, y1`` per decode frame, from landmarks.

    Parameters
    ----------
    position_px
        ``(n_rows, n_keypoints, 2)`` landmark positions, full-frame pixels, NaN where missing.
    row_frame
        ``(n_rows,)`` decode index of each row.
    n_frames
        Frames in the clip.
    image_size_px
        ``(width, height)`` of the frame; boxes are clipped to it.

    Returns
    -------
    numpy.ndarray or None
        Frames without landmarks take the box of the nearest frame with them; ``None`` when no
        frame has any.
    """
    pos = np.asarray(position_px, dtype=np.float64)
    seen = np.asarray(np.isfinite(pos).all(axis=2))
    has = seen.sum(axis=1) >= 3
    if not has.any():
        return None
    rows = np.flatnonzero(has)
    masked = np.where(seen[rows, :, None], pos[rows], np.nan)
    raw = np.hstack([np.nanmin(masked, axis=1), np.nanmax(masked, axis=1)])
    frames = np.asarray(row_frame, dtype=np.int64)[rows]
    order = np.argsort(frames)
    frames, raw = frames[order], raw[order]
    # nearest frame with landmarks, for every decode frame
    idx = np.clip(np.searchsorted(frames, np.arange(n_frames)), 0, len(frames) - 1)
    prev = np.clip(idx - 1, 0, len(frames) - 1)
    nearer_prev = np.abs(frames[prev] - np.arange(n_frames)) < np.abs(
        frames[idx] - np.arange(n_frames)
    )
    boxes = raw[np.where(nearer_prev, prev, idx)].copy()
    pad = _BOX_PAD_FRACTION * np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    boxes += np.stack([-pad, -pad, pad, pad], axis=1)
    w, h = image_size_px
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, w)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, h)
    return boxes


def _background_mask(shape: tuple[int, int], box_small: np.ndarray | None) -> np.ndarray:
    """uint8 mask, 255 on the background: the frame minus a border and the runner's box."""
    h, w = shape
    mask = np.zeros((h, w), dtype=np.uint8)
    mask[_BORDER_PX : h - _BORDER_PX, _BORDER_PX : w - _BORDER_PX] = 255
    if box_small is not None:
        x0, y0 = (int(np.floor(v)) for v in box_small[:2])
        x1, y1 = (int(np.ceil(v)) for v in box_small[2:])
        mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = 0
    return mask


@dataclass(frozen=True)
class _PairFit:
    matrix: np.ndarray  # 2x3, current frame -> previous frame, working px
    inliers: int
    residual_px: float
    ok: bool


def _lk(
    a: np.ndarray, b: np.ndarray, pts: np.ndarray, guess: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pyramidal Lucas-Kanade from image ``a`` to ``b``: (tracked points, status), seeded by ``guess``."""
    out, status, _ = cv2.calcOpticalFlowPyrLK(
        a,
        b,
        pts,
        guess,
        winSize=(_LK_WINDOW_PX, _LK_WINDOW_PX),
        maxLevel=_LK_LEVELS,
        criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01),
        flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
    )
    return np.asarray(out), np.asarray(status)


def _fit_pair(
    prev: np.ndarray,
    prev_mask: np.ndarray,
    cur: np.ndarray,
    cur_mask: np.ndarray,
    guess: np.ndarray,
) -> _PairFit:
    """Similarity from ``cur`` to ``prev`` (working px) on background corners.

    ``guess`` (2x3, same direction) seeds the optical flow and stands in when the fit fails.
    """
    failed = _PairFit(guess, 0, float("nan"), False)
    p0 = cv2.goodFeaturesToTrack(
        prev, _MAX_CORNERS, _CORNER_QUALITY, _CORNER_SPACING_PX, mask=prev_mask, blockSize=7
    )
    if p0 is None or len(p0) < _MIN_INLIERS:
        return failed
    p0 = p0.astype(np.float32)
    inv = cv2.invertAffineTransform(guess)
    p1 = cv2.transform(p0, inv).astype(np.float32)
    p1, st1 = _lk(prev, cur, p0, p1)
    back, st2 = _lk(cur, prev, p1, p0.copy())
    good = (
        (st1.ravel() == 1)
        & (st2.ravel() == 1)
        & (np.linalg.norm(back - p0, axis=2).ravel() < _FB_MAX_PX)
    )
    h, w = cur.shape
    xy = p1.reshape(-1, 2)
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w - 1) & (xy[:, 1] >= 0) & (xy[:, 1] < h - 1)
    xi = np.clip(xy[:, 0].astype(int), 0, w - 1)
    yi = np.clip(xy[:, 1].astype(int), 0, h - 1)
    good &= inside & (cur_mask[yi, xi] > 0)
    if good.sum() < _MIN_INLIERS:
        return failed
    src, dst = p1.reshape(-1, 2)[good], p0.reshape(-1, 2)[good]
    matrix, inl = cv2.estimateAffinePartial2D(
        src,
        dst,
        method=cv2.RANSAC,
        ransacReprojThreshold=_RANSAC_PX,
        maxIters=2000,
        confidence=0.999,
    )
    if matrix is None or inl is None or int(inl.sum()) < _MIN_INLIERS:
        return failed
    keep = inl.ravel() == 1
    fitted = src[keep] @ matrix[:, :2].T + matrix[:, 2]
    residual = float(np.sqrt(np.mean(np.sum((fitted - dst[keep]) ** 2, axis=1))))
    return _PairFit(matrix, int(keep.sum()), residual, True)


class _Chainer:
    """Chains per-frame fits into maps to the first frame (working pixels, 3x3).

    Each frame is fitted against a *keyframe* rather than the previous frame, so that the small
    bias and noise of one fit do not add up frame after frame: the keyframe is kept while its fit
    keeps at least :data:`_KEY_KEEP_FRACTION` of the inliers of its first fit; then the previous
    frame becomes the keyframe. A failed fit against both keeps the camera's last motion.
    """

    def __init__(self) -> None:
        self.key: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # grey, mask, map
        self.key_inliers: int | None = None
        self.prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.step = np.eye(3)  # last frame -> the one before

    def add(self, grey: np.ndarray, mask: np.ndarray) -> tuple[_PairFit, np.ndarray]:
        if self.prev is None:
            self.key = self.prev = (grey, mask, np.eye(3))
            return _PairFit(np.eye(3)[:2], 0, float("nan"), True), np.eye(3)
        assert self.key is not None
        key_g, key_mask, key_map = self.key
        prev_g, prev_mask, prev_map = self.prev
        guess = np.linalg.inv(key_map) @ prev_map @ self.step
        fit = _fit_pair(key_g, key_mask, grey, mask, guess[:2])
        keep = fit.ok and (
            self.key_inliers is None or fit.inliers >= _KEY_KEEP_FRACTION * self.key_inliers
        )
        if keep:
            chain = key_map @ _homogeneous(fit.matrix)
            self.key_inliers = fit.inliers if self.key_inliers is None else self.key_inliers
        else:
            fit = _fit_pair(prev_g, prev_mask, grey, mask, self.step[:2])
            chain = prev_map @ _homogeneous(fit.matrix)
            self.key, self.key_inliers = self.prev, (fit.inliers if fit.ok else None)
        self.step = np.linalg.inv(prev_map) @ chain
        self.prev = (grey, mask, chain)
        return fit, chain


def _small_from_full(full_size: tuple[int, int], small_size: tuple[int, int]) -> np.ndarray:
    """3x3 map from full-frame to working pixels (``cv2.resize`` pixel-centre convention)."""
    kx, ky = small_size[0] / full_size[0], small_size[1] / full_size[1]
    return np.array([[kx, 0.0, 0.5 * kx - 0.5], [0.0, ky, 0.5 * ky - 0.5], [0.0, 0.0, 1.0]])


def _to_working(to_small: np.ndarray, box: np.ndarray) -> np.ndarray:
    """A full-frame box ``x0, y0, x1, y1`` in working pixels."""
    corners = to_small @ np.array([[box[0], box[2]], [box[1], box[3]], [1.0, 1.0]])
    return corners[:2].T.ravel()


def _track_arrays(track: Any, image_size_px: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(positions in full-frame px of the video, decode frames) of a pose track (an xarray Dataset)."""
    pos = np.asarray(
        track["position"].transpose("time", "keypoint", "space").values, dtype=np.float64
    )
    frames = np.asarray(track["frame"].values, dtype=np.int64)
    tw, th = (
        int(track.attrs.get("image_width_px", image_size_px[0])),
        int(track.attrs.get("image_height_px", image_size_px[1])),
    )
    if (tw, th) != tuple(image_size_px):
        pos = pos * np.array([image_size_px[0] / tw, image_size_px[1] / th])
    return pos, frames


def _summary(
    frame: np.ndarray, time_s: np.ndarray, maps: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(dx_px, dy_px, max_shift_px, pan_speed_px_s) of the frame centres."""
    centre = np.array([(size[0] - 1) / 2, (size[1] - 1) / 2, 1.0])
    moved_centre = maps @ centre
    dx, dy = moved_centre[:, 0] - centre[0], moved_centre[:, 1] - centre[1]
    shift = np.hypot(dx, dy)
    max_shift = float(shift.max()) if len(shift) else 0.0
    if len(frame) >= 2:
        speed = np.hypot(np.diff(dx), np.diff(dy)) / np.diff(time_s)
        pan_speed = float(np.median(speed))
    else:
        pan_speed = 0.0
    return dx, dy, max_shift, pan_speed


def _iter_grey(
    meta: VideoMeta, start: int, stop: int, step: int, max_side_px: int
) -> Any:
    """(decode index, time_s, upright grey frame at the working size) of frames ``step`` or more apart.

    Only the reference frames are decoded (:func:`gait.video._decode.decoded_frames` with
    ``reference_only``: about half the decoding of an H.264 clip with B-frames), and of those the
    first at least ``step`` frames after the last one kept is converted, straight to grey at the
    working size by the decoder's scaler. Frames that are not new pictures of a frame-rate-converted
    export (``meta.new_frames``) are skipped, as ``iter_frames`` does.
    """
    stored_w, stored_h = (
        (meta.height_px, meta.width_px) if meta.rotation_deg in (90, 270) else (meta.width_px, meta.height_px)
    )
    k = min(1.0, max_side_px / max(stored_w, stored_h))
    work = (round(stored_w * k), round(stored_h * k))
    wanted = meta.new_frames
    last = start - step
    for idx, frame in decoded_frames(meta, start=start, stop=stop, reference_only=step > 1):
        if idx < start or idx - last < step or (wanted is not None and not wanted[idx]):
            continue
        last = idx
        grey: np.ndarray = frame.to_ndarray(format="gray", width=work[0], height=work[1])
        if meta.rotation_deg in _ROTATE:
            grey = cv2.rotate(grey, _ROTATE[meta.rotation_deg])
        yield idx, float(meta.frame_times_s[idx]), np.ascontiguousarray(grey)


def estimate_camera_motion(
    path: str | Path,
    track: Any | None = None,
    *,
    max_side_px: int = 480,
    reference_frame: int | None = None,
    start: int = 0,
    stop: int | None = None,
    slowmo_factor: float | None = None,
    step: int = 1,
) -> CameraMotion:
    """The camera's motion in every frame of a clip, from the background (module docstring).

    Parameters
    ----------
    path
        Video clip.
    track
        The clip's pose track (an xarray Dataset with ``position`` and ``frame``, as
        :mod:`gait.track` defines it): the runner's landmarks, padded, are left out of the fit.
        ``None``: the whole frame is used, which works while the runner covers a small part of it.
    max_side_px
        Frames are downscaled to this long side for the fit (>= 120).
    reference_frame
        Decode index of the frame whose pixels are the ground frame; ``None``: the first frame.
    start, stop
        Decode-index range to measure.
    slowmo_factor
        As for :func:`gait.video.probe_video` (frame times only).
    step
        Fit frames ``step`` or more apart only (from ``start``; :func:`_iter_grey`), decoded straight
        to grey at the working size: a quick check whether the camera moved at all (``moved``, ``max_shift_px``); the
        rows are those frames only. 1 (default): every frame, the full estimate.

    Raises
    ------
    VideoReadError
        Unreadable clip, or fewer than two frames in the range.
    ConfigError
        ``max_side_px`` below 120 or a reference frame outside the range.
    """
    if max_side_px < 120:
        raise ConfigError(
            f"max_side_px must be at least 120 (got {max_side_px}); use 480 for speed and accuracy."
        )
    if int(step) != step or step < 1:
        raise ConfigError(f"step must be a whole number of frames, 1 or more (got {step}); use 1 or 5.")
    meta = probe_video(path, slowmo_factor=slowmo_factor)
    size = (meta.width_px, meta.height_px)
    stop = meta.n_frames if stop is None else min(stop, meta.n_frames)
    boxes = None
    if track is not None:
        pos, track_frames = _track_arrays(track, size)
        boxes = runner_boxes_px(pos, track_frames, meta.n_frames, size)
    t0 = time.perf_counter()
    rows: list[tuple[int, float, np.ndarray, int, float, bool]] = []
    chainer: _Chainer | None = None
    to_small = np.eye(3)
    kept = None if step == 1 else kept_grey(meta, start, stop, step=int(step), side_px=max_side_px)
    if step == 1:
        frames_in: Any = (
            (fr.index, fr.time_s, cv2.cvtColor(fr.rgb, cv2.COLOR_RGB2GRAY))
            for fr in iter_frames(meta, start=start, stop=stop, max_long_side_px=max_side_px)
        )
    elif kept is not None:  # kept by the pose stage, which decoded these frames already
        frames_in = ((i, float(meta.frame_times_s[i]), grey) for i, grey in kept)
    else:
        frames_in = _iter_grey(meta, start, stop, int(step), max_side_px)
    for index, time_s, grey in frames_in:
        if chainer is None:
            to_small = _small_from_full(size, (grey.shape[1], grey.shape[0]))
            chainer = _Chainer()
        box = None if boxes is None else _to_working(to_small, boxes[index])
        fit, chain = chainer.add(grey, _background_mask(grey.shape, box))
        rows.append(
            (index, time_s, chain, fit.inliers, fit.residual_px / to_small[0, 0], fit.ok)
        )
    if len(rows) < 2:
        raise VideoReadError(
            f"'{Path(meta.path).name}' has {len(rows)} frame(s) in the range measured; "
            "camera motion needs two or more."
        )
    frames, times, maps, inliers, residuals, oks = zip(*rows, strict=True)
    elapsed = time.perf_counter() - t0
    frame = np.asarray(frames, dtype=np.int64)
    m = np.linalg.inv(to_small) @ np.asarray(maps) @ to_small  # working -> full-frame pixels
    ref = int(frame[0]) if reference_frame is None else int(reference_frame)
    if ref not in set(frame.tolist()):
        raise ConfigError(
            f"Reference frame {ref} is outside the frames measured ({frame[0]}-{frame[-1]}); choose one inside."
        )
    m = np.linalg.inv(m[int(np.flatnonzero(frame == ref)[0])]) @ m
    to_ref = m[:, :2, :]
    parts = np.array([_similarity_parts(a) for a in to_ref])
    t = np.asarray(times, dtype=np.float64)
    dx, dy, max_shift, pan_speed = _summary(frame, t, m, size)
    return CameraMotion(
        frame=frame,
        time_s=t,
        to_reference=to_ref,
        dx_px=dx,
        dy_px=dy,
        scale=parts[:, 0],
        rotation_deg=parts[:, 1],
        inliers=np.asarray(inliers, dtype=np.int64),
        residual_px=np.asarray(residuals, dtype=np.float64),
        ok=np.asarray(oks, dtype=bool),
        image_size_px=size,
        reference_frame=ref,
        working_long_side_px=round(max(size) * to_small[0, 0]),
        moved=bool(max_shift > _MOVED_MIN_FRACTION * max(size)),
        max_shift_px=max_shift,
        pan_speed_px_s=pan_speed,
        seconds_per_frame=elapsed / (len(frame) if step == 1 else int(frame[-1] - frame[0]) + 1),
    )
