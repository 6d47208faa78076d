"""Small grey pictures kept from a pass that decodes every frame anyway, for the quick camera check.

The pose stage decodes every frame of a clip; the quick check whether the camera moved
(:func:`gait.video._egomotion.estimate_camera_motion` with ``step > 1``) needs every
:data:`QUICK_STEP`-th frame in grey at :data:`QUICK_SIDE_PX`. Keeping those while the pose stage has
them (0.2 ms per frame of a 1080p clip, 32 KB per kept picture) saves decoding the clip a second
time (about 5 ms of CPU per 1080p frame). The pictures are kept in this process only, for the
last :data:`MAX_CLIPS` clips, keyed by the file's path, size and modification time, so a changed
file is decoded again.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from gait.video._probe import VideoMeta

#: Frames of the quick camera check: every QUICK_STEP-th decode index, long side QUICK_SIDE_PX.
QUICK_STEP = 5
QUICK_SIDE_PX = 240
MAX_CLIPS = 4

_Key = tuple[str, int, int, int, int]
_KEPT: OrderedDict[_Key, dict[int, np.ndarray]] = OrderedDict()
_LOCK = threading.Lock()


def grey_size(meta: VideoMeta, side_px: int) -> tuple[int, int]:
    """(width, height) of the upright picture scaled to a long side of at most ``side_px``."""
    k = min(1.0, side_px / max(meta.width_px, meta.height_px))
    return round(meta.width_px * k), round(meta.height_px * k)


def _key(meta: VideoMeta, step: int, side_px: int) -> _Key:
    stat = os.stat(meta.path)
    return (str(Path(meta.path).resolve()), stat.st_mtime_ns, stat.st_size, int(step), int(side_px))


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
    key = _key(meta, step, side_px)
    size = grey_size(meta, side_px)
    with _LOCK:
        _KEPT.pop(key, None)  # a new pass replaces what an earlier one kept
        store = _KEPT[key] = {}
        while len(_KEPT) > MAX_CLIPS:
            _KEPT.popitem(last=False)

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
        key = _key(meta, step, side_px)
    except OSError:
        return None
    with _LOCK:
        store = _KEPT.get(key)
        if store is None:
            return None
        _KEPT.move_to_end(key)
    first = -(-start // step) * step
    wanted = range(first, stop, step)
    if not wanted or any(i not in store for i in wanted):
        return None
    return [(i, store[i]) for i in wanted]
