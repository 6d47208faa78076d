"""Pictures kept from a pass that decodes every frame anyway, so that later passes need not decode again.

**Grey frames for the quick camera check.** The pose stage decodes every frame of a clip; the quick
check whether the camera moved
(:func:`gait.video._egomotion.estimate_camera_motion` with ``step > 1``) needs every
:data:`QUICK_STEP`-th frame in grey at :data:`QUICK_SIDE_PX`. Keeping those while the pose stage has
them (0.2 ms per frame of a 1080p clip, 32 KB per kept picture) saves decoding the clip a second
time (about 5 ms of CPU per 1080p frame). The pictures are kept in this process only, for the
last :data:`MAX_CLIPS` clips, keyed by the file's path, size and modification time, so a changed
file is decoded again.

**Pictures for the overlay video.** Drawing the overlay decodes the clip again and scales it to
the overlay's size: 11-13 ms of CPU per 1080p frame. On a short clip (inferred in one chunk, whose
decoding thread has time to spare while the model runs) the pose stage can keep each picture at
that size as a JPEG instead (:func:`picture_keeper`: 3.5 ms of CPU in the decoding thread, ~65 KB
at 540 x 960), which the overlay decodes in 1.7 ms (:func:`kept_pictures`). Kept for the last
:data:`MAX_PICTURE_CLIPS` clips (a session's clips), keyed as above and by the rotation and size.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from gait.video._decode import display_size
from gait.video._probe import VideoMeta

#: Frames of the quick camera check: every QUICK_STEP-th decode index, long side QUICK_SIDE_PX.
QUICK_STEP = 5
QUICK_SIDE_PX = 240
MAX_CLIPS = 4
#: Pictures for the overlay: clips of at most PICTURE_MAX_FRAMES frames (the one-chunk clips of the
#: pose stage), JPEG quality PICTURE_QUALITY, the last MAX_PICTURE_CLIPS clips.
PICTURE_MAX_FRAMES = 600
PICTURE_QUALITY = 90
MAX_PICTURE_CLIPS = 3

_Key = tuple[str | int, ...]
_LOCK = threading.Lock()


class _Shelf(OrderedDict[_Key, dict[int, np.ndarray]]):
    """Kept pictures by clip (frame index -> picture), the last ``max_clips`` clips."""

    def __init__(self, max_clips: int) -> None:
        super().__init__()
        self.max_clips = max_clips

    def fresh(self, key: _Key) -> dict[int, np.ndarray]:
        """An empty store for ``key``: a new pass replaces what an earlier one kept."""
        with _LOCK:
            self.pop(key, None)
            store = self[key] = {}
            while len(self) > self.max_clips:
                self.popitem(last=False)
        return store

    def find(self, key: _Key) -> dict[int, np.ndarray] | None:
        with _LOCK:
            store = self.get(key)
            if store is not None:
                self.move_to_end(key)
        return store


def _file_key(meta: VideoMeta, *extra: int) -> _Key:
    """The clip's file (path, modification time, size) and ``extra``: a changed file is another key."""
    stat = os.stat(meta.path)
    return (str(Path(meta.path).resolve()), stat.st_mtime_ns, stat.st_size, *(int(v) for v in extra))


_KEPT = _Shelf(MAX_CLIPS)


def grey_size(meta: VideoMeta, side_px: int) -> tuple[int, int]:
    """(width, height) of the upright picture scaled to a long side of at most ``side_px``."""
    k = min(1.0, side_px / max(meta.width_px, meta.height_px))
    return round(meta.width_px * k), round(meta.height_px * k)


def grey_keeper(
    meta: VideoMeta, *, step: int = QUICK_STEP, side_px: int = QUICK_SIDE_PX
) -> Callable[[int, np.ndarray], None]:
    """``keep(index, rgb)``: keep frame ``index``'s grey picture if the quick check will use it.

    ``rgb``: the frame upright by the clip's rotation metadata, at any scale (as
    :func:`gait.video.iter_frames` gives it). A clip whose frames are not all new pictures (a
    frame-rate-converted export) keeps nothing: its check decodes as before. Safe to call from
    several threads.
    """
    if meta.new_frames is not None:
        return lambda index, rgb: None
    store = _KEPT.fresh(_file_key(meta, step, side_px))
    size = grey_size(meta, side_px)

    def keep(index: int, rgb: np.ndarray) -> None:
        if index % step == 0:
            small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            store[index] = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)

    return keep


def kept_grey(
    meta: VideoMeta, start: int, stop: int, *, step: int = QUICK_STEP, side_px: int = QUICK_SIDE_PX
) -> list[tuple[int, np.ndarray]] | None:
    """The kept pictures of every ``step``-th frame in ``start <= index < stop``, or None if any is missing."""
    if meta.new_frames is not None:
        return None
    try:
        store = _KEPT.find(_file_key(meta, step, side_px))
    except OSError:
        return None
    if store is None:
        return None
    first = -(-start // step) * step
    wanted = range(first, stop, step)
    if not wanted or any(i not in store for i in wanted):
        return None
    return [(i, store[i]) for i in wanted]


_PICTURES = _Shelf(MAX_PICTURE_CLIPS)


def picture_keeper(meta: VideoMeta, long_side_px: int) -> Callable[[int, np.ndarray], None] | None:
    """``keep(index, rgb)``: keep frame ``index`` scaled to ``long_side_px`` (:func:`display_size`) as a JPEG.

    None (nothing to keep) for clips longer than :data:`PICTURE_MAX_FRAMES`. ``rgb``: upright by
    the clip's rotation metadata, at any scale. Safe to call from several threads.
    """
    if meta.n_frames > PICTURE_MAX_FRAMES:
        return None
    store = _PICTURES.fresh(_file_key(meta, meta.rotation_deg, long_side_px))
    size = display_size(meta, long_side_px)

    def keep(index: int, rgb: np.ndarray) -> None:
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, PICTURE_QUALITY])
        if ok:  # channel order kept as given (RGB in, RGB out)
            store[index] = jpeg

    return keep


def kept_pictures(meta: VideoMeta, long_side_px: int) -> Iterator[tuple[int, float, np.ndarray]] | None:
    """As :func:`gait.video.iter_scaled_frames` from the kept pictures, or None unless every frame was kept.

    Every frame means every decoded frame, or with ``meta.new_frames`` every new picture.
    """
    try:
        store = _PICTURES.find(_file_key(meta, meta.rotation_deg, long_side_px))
    except OSError:
        return None
    if store is None:
        return None
    wanted = range(meta.n_frames) if meta.new_frames is None else np.flatnonzero(meta.new_frames).tolist()
    if any(i not in store for i in wanted):
        return None

    def pictures() -> Iterator[tuple[int, float, np.ndarray]]:
        for i in wanted:
            rgb = cv2.imdecode(store[i], cv2.IMREAD_COLOR)
            yield int(i), float(meta.frame_times_s[i]), np.ascontiguousarray(rgb)

    return pictures()
