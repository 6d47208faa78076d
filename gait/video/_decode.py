"""Decode frames as upright RGB arrays with their true timestamps and a duplicate flag."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import av
import cv2
import numpy as np

from gait.errors import VideoReadError
from gait.video._probe import VideoMeta, open_container, video_stream

_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}

#: Long side of the grey thumbnail compared between consecutive frames to find duplicates.
_THUMB_LONG_SIDE_PX = 96
#: A frame repeats the previous one when fewer than this fraction of its thumbnail pixels changed
#: by more than _CHANGE_LEVELS grey levels. Measured: genuine consecutive frames of the shared
#: clips change >= 0.3 % (a small walker outdoors) to >= 5.7 % (treadmill runner) of the pixels;
#: repeats re-encoded by x264 change 0-0.2 %.
DUPLICATE_MAX_CHANGED = 0.001
_CHANGE_LEVELS = 4


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``rgb`` is upright (rotation applied), C-contiguous uint8 (h, w, 3)."""

    index: int
    """0-based decode index (position in presentation order)."""
    time_s: float
    """Real-world seconds from the first frame."""
    rgb: np.ndarray
    duplicate: bool
    """True when the picture repeats the previous decoded frame."""


def _to_rgb(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray]:
    """(rgb, luma) of a frame; I420 -> RGB with OpenCV is the fastest path (research/performance.md)."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        i420 = np.asarray(frame.to_ndarray(format="yuv420p"), dtype=np.uint8)
        return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420), i420[: frame.height]
    rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
    return rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _luma(frame: av.VideoFrame) -> np.ndarray:
    """The grey (luma) plane of a frame, without colour conversion when it is I420."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        return frame.to_ndarray(format="yuv420p")[: frame.height]
    return frame.to_ndarray(format="gray")


def _thumbnail(luma: np.ndarray, dtype: type = np.int16) -> np.ndarray:
    h, w = luma.shape
    scale = _THUMB_LONG_SIDE_PX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if dtype is np.int16:
        return cv2.resize(luma, size, interpolation=cv2.INTER_AREA).astype(np.int16)
    return cv2.resize(luma.astype(np.float32), size, interpolation=cv2.INTER_AREA)


def changed_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels of two thumbnails (int16 or float) that differ by more than a few grey levels."""
    return float((np.abs(a - b) > _CHANGE_LEVELS).mean())



def _fit(rgb: np.ndarray, rotation_deg: int, max_long_side_px: int | None) -> np.ndarray:
    if max_long_side_px is not None and max(rgb.shape[:2]) > max_long_side_px:
        scale = max_long_side_px / max(rgb.shape[:2])
        size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    if rotation_deg in _ROTATE:
        rgb = cv2.rotate(rgb, _ROTATE[rotation_deg])
    return np.ascontiguousarray(rgb)


def decoded_frames(
    meta: VideoMeta, *, start: int = 0, stop: int | None = None, reference_only: bool = False
) -> Iterator[tuple[int, av.VideoFrame]]:
    """(decode index, frame) of the plan's frames in order, up to ``stop`` (exclusive).

    Decoding seeks to the key frame before ``start``, so frames before ``start`` come too (callers
    that compare a frame with the previous one need them); frames not in the plan (no timestamp,
    repeats of a timestamp) are skipped. ``reference_only`` asks the decoder to skip the frames no
    other frame refers to (FFmpeg's ``skip_frame = NONREF``): about half the frames and half the
    decoding time of an H.264 phone clip with B-frames, for callers that sample frames anyway;
    streams without such frames come whole.

    Raises
    ------
    VideoReadError
        When the data breaks before ``stop`` (a truncated or corrupt file).
    """
    stop = meta.n_frames if stop is None else min(stop, meta.n_frames)
    name = Path(meta.path).name
    last = -1
    with open_container(meta.path) as container:
        stream = video_stream(container, name)
        stream.thread_type = "AUTO"  # frame threads: 1.4x faster decode of phone streams
        if reference_only:
            stream.codec_context.skip_frame = "NONREF"
        if start > 0:
            container.seek(int(meta.frame_pts[start]), stream=stream, backward=True, any_frame=False)
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                idx = int(np.searchsorted(meta.frame_pts, frame.pts))
                if idx >= len(meta.frame_pts) or meta.frame_pts[idx] != frame.pts or idx <= last:
                    continue  # not a frame of the plan, or a repeat
                if idx >= stop:
                    break
                last = idx
                yield idx, frame
        except av.error.FFmpegError as err:
            raise VideoReadError(
                f"'{name}' breaks off after frame {last + 1} of {meta.n_frames} "
                "(truncated or corrupt); copy or export the clip again."
            ) from err


def _check_complete(meta: VideoMeta, yielded: int, expected: int) -> None:
    """A clip that ended well before the frames its index lists is truncated or corrupt."""
    if yielded < expected and (expected - yielded) > max(2, 0.02 * expected):
        raise VideoReadError(
            f"'{Path(meta.path).name}' ends after {yielded} of {expected} frames (truncated or corrupt); "
            "copy or export the clip again."
        )


def iter_frames(
    meta: VideoMeta,
    *,
    start: int = 0,
    stop: int | None = None,
    max_long_side_px: int | None = None,
    new_frames_only: bool = True,
) -> Iterator[Frame]:
    """Decode frames ``start <= index < stop`` of a probed video, upright, with real-world times.

    Parameters
    ----------
    meta
        From :func:`gait.video.probe_video`.
    start, stop
        Frame-index range, 0-based in presentation order; decoding seeks to the key frame before
        ``start``.
    max_long_side_px
        Downscale frames whose long side exceeds this (``None``: never). Only the pixels handed out
        change; landmark coordinates are mapped back to the full displayed size by the caller.
    new_frames_only
        When ``meta.new_frames`` is set (:func:`gait.video.mark_new_frames`: a frame-rate-converted
        export), yield only the new pictures, at their own indices and times; the repeated and
        blended frames between them are decoded but not converted. Ignored for ordinary clips.

    Raises
    ------
    VideoReadError
        When the data ends or breaks before ``stop`` (a truncated or corrupt file).
    """
    stop = meta.n_frames if stop is None else min(stop, meta.n_frames)
    wanted = meta.new_frames if new_frames_only else None
    expected = stop - start if wanted is None else int(wanted[start:stop].sum())
    yielded, prev_thumb = 0, None
    for idx, frame in decoded_frames(meta, start=start, stop=stop):
        if wanted is not None and not wanted[idx]:
            continue  # a repeat or cross-fade of a converted export
        if idx < start:  # decoded from the key frame on: only its grey thumbnail, for the first frame's check
            prev_thumb = _thumbnail(_luma(frame))
            continue
        rgb, luma = _to_rgb(frame)
        thumb = _thumbnail(luma)
        dup = prev_thumb is not None and changed_fraction(thumb, prev_thumb) < DUPLICATE_MAX_CHANGED
        prev_thumb = thumb
        yielded += 1
        yield Frame(idx, float(meta.frame_times_s[idx]), _fit(rgb, meta.rotation_deg, max_long_side_px), dup)
    _check_complete(meta, yielded, expected)


def iter_scaled_frames(meta: VideoMeta, long_side_px: int) -> Iterator[tuple[int, float, np.ndarray]]:
    """(decode index, time_s, upright RGB at most ``long_side_px`` long) of every frame, for drawing.

    FFmpeg's scaler makes the small picture straight from the decoded planes (fast bilinear; no
    full-size RGB, no duplicate check): 2.5 ms of CPU per frame of the 720 x 1280 sample drawn at
    960 px, against 7.2 ms for :func:`iter_frames`'s conversion plus an area resize. Sizes are even
    (H.264 needs them so). Frames that are not new pictures of a frame-rate-converted export are
    skipped, as :func:`iter_frames` does.

    Raises
    ------
    VideoReadError
        When the data ends or breaks before the last frame (a truncated or corrupt file).
    """
    width, height = display_size(meta, long_side_px)
    stored = (height, width) if meta.rotation_deg in (90, 270) else (width, height)
    wanted = meta.new_frames
    yielded = 0
    for idx, frame in decoded_frames(meta):
        if wanted is not None and not wanted[idx]:
            continue
        rgb: np.ndarray = frame.to_ndarray(
            format="rgb24", width=stored[0], height=stored[1], interpolation="FAST_BILINEAR"
        )
        if meta.rotation_deg in _ROTATE:
            rgb = cv2.rotate(rgb, _ROTATE[meta.rotation_deg])
        yielded += 1
        yield idx, float(meta.frame_times_s[idx]), np.ascontiguousarray(rgb)
    _check_complete(meta, yielded, meta.n_frames if wanted is None else int(wanted.sum()))


def display_size(meta: VideoMeta, long_side_px: int) -> tuple[int, int]:
    """(width, height) of the upright picture scaled to at most ``long_side_px``, both even."""
    scale = min(1.0, long_side_px / max(meta.width_px, meta.height_px))
    return int(round(meta.width_px * scale / 2) * 2), int(round(meta.height_px * scale / 2) * 2)


def iter_thumbnails(meta: VideoMeta, *, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(decode index, grey float32 thumbnail) of frames ``start <= index < stop``, in order.

    The thumbnails are those compared for the ``duplicate`` flag (long side
    :data:`_THUMB_LONG_SIDE_PX`), of the stored (unrotated) picture, but not rounded to whole grey
    levels (a cross-fade's small steps would drown in the rounding); no colour conversion is done,
    so this is several times faster than :func:`iter_frames`.

    Raises
    ------
    VideoReadError
        When the data ends or breaks before ``stop`` (a truncated or corrupt file).
    """
    stop = meta.n_frames if stop is None else min(stop, meta.n_frames)
    yielded = 0
    for idx, frame in decoded_frames(meta, start=start, stop=stop):
        if idx < start:
            continue
        yielded += 1
        yield idx, _thumbnail(_luma(frame), np.float32)
    _check_complete(meta, yielded, stop - start)


T = TypeVar("T")


def prefetch(items: Iterable[T], depth: int = 8) -> Iterator[T]:
    """Run ``items`` in a background thread, ``depth`` ahead; exceptions re-raise in the consumer.

    Decoding and colour conversion release the GIL, so they overlap with inference.
    """
    q: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop_event = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop_event.is_set():
                    return
                q.put(("item", item))
            q.put(("end", None))
        except BaseException as err:  # noqa: BLE001 - handed to the consumer thread
            q.put(("error", err))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop_event.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
