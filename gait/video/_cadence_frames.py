"""Frame-rate-converted exports and playback speed: which decoded frames are new pictures.

A slow-motion export made from ordinary footage shows each captured picture several times
(repeated frames) or fills the gaps with cross-fades of neighbouring pictures (blended frames).
Only the new pictures carry motion at their own time; the pose stage uses those alone, at their own
timestamps. A phone's slow-motion edit that ramps from normal speed to slow motion part-way makes
the picture change abruptly less per frame; :func:`speed_segments` finds where.

All of it works on grey thumbnails of the decoded frames (:func:`gait.video._decode.iter_thumbnails`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np

from gait.video._decode import DUPLICATE_MAX_CHANGED, changed_fraction, iter_thumbnails
from gait.video._probe import VideoMeta

#: A distinct frame is a cross-fade of its distinct neighbours when the part of its change from the
#: previous distinct frame that a cross-fade cannot explain is below this fraction (0 for an
#: exact blend). Measured on cross-fades of the bundled sample (downscaled to 320 px, x264 CRF 23):
#: blended frames score 0.10-0.20 at 2x, 0.15-0.30 at 4x, 0.22-0.37 at 8x (codec noise against ever
#: smaller steps); genuine frames score 0.59-0.81.
_BLEND_MAX_RESIDUAL = 0.45
#: A distinct frame whose change from the previous distinct one is below this fraction of the change
#: across both its neighbours is a repeat that the codec altered slightly (cross-fades at 8x: ~0.5).
_NEAR_REPEAT_MAX_STEP = 0.1
#: Cross-fade weights outside this range are a repeat of one neighbour, not a blend.
_BLEND_WEIGHT_RANGE = (0.08, 0.92)
#: A clip is a converted export when at least this fraction of its frames repeat or blend others,
#: in a regular pattern (:func:`_regular`).
_CONVERTED_MIN_FRACTION = 0.25
#: A pattern is regular when this fraction of the gaps between new frames take one value or two
#: adjacent ones (24 -> 60 fps conversions alternate gaps of 2 and 3), the median gap being 2 or more.
_REGULAR_MIN_FRACTION = 0.85
#: Longest repeat or cross-fade pattern looked for (8x slow motion of 30 fps footage, with room).
_MAX_FRAMES_PER_PICTURE = 12
#: A cross-fade grid stands out when the median residual on it exceeds that off it by this much
#: (measured: 0.3-0.6 in blended copies of the shared clips; genuine video: below 0.1).
_GRID_MIN_CONTRAST = 0.2
#: ... and at least this fraction of the frames off the grid score as cross-fades.
_GRID_MIN_BLENDS = 0.6
#: Playback speed changes where the picture's change per frame differs by at least this ratio
#: between consecutive stretches (slow-motion edits go to 1/2, 1/4 or 1/8 speed).
_SPEED_MIN_RATIO = 1.8
#: Each stretch of constant speed lasts at least this long in media (playback) time: about one
#: stride at normal speed, so the stride's own rise and fall of motion does not look like a change.
_SPEED_MIN_SEGMENT_S = 1.0
#: Levels of binary segmentation: up to 8 stretches before merging (a phone edit: normal, slow, normal).
_SPEED_SPLIT_DEPTH = 3


@dataclass(frozen=True)
class FrameChanges:
    """How much each decoded frame's picture differs from its neighbours' (grey thumbnails).

    Attributes
    ----------
    index
        0-based decode indices of the frames measured.
    media_time_s
        Presentation time of each frame in playback seconds (not divided by the slow-motion factor),
        from the first frame measured.
    changed_fraction
        Fraction of thumbnail pixels that changed by more than a few grey levels since the previous
        frame (1 for the first); below :data:`gait.video._decode.DUPLICATE_MAX_CHANGED` the frame
        repeats the previous one.
    change
        Mean absolute grey-level difference from the previous frame (0 for the first): linear in a
        cross-fade's weight, so it falls with the playback speed for repeats, blends and true
        slow motion alike.
    blend_residual
        For frames that are not repeats: the fraction of the change from the previous distinct frame
        that a cross-fade of the previous and next distinct frames cannot explain (0: an exact
        blend; NaN at the ends, for repeats, or where the weight is outside
        :data:`_BLEND_WEIGHT_RANGE`).
    """

    index: np.ndarray
    media_time_s: np.ndarray
    changed_fraction: np.ndarray
    change: np.ndarray
    blend_residual: np.ndarray
    step_fraction: np.ndarray
    """For frames that are not repeats: the change from the previous distinct frame relative to the
    change from the previous to the next distinct frame (NaN at the ends and for repeats)."""

    @property
    def repeated(self) -> np.ndarray:
        """True where a frame repeats the previous one (or the previous distinct one, up to codec noise)."""
        out = self.changed_fraction < DUPLICATE_MAX_CHANGED
        out |= np.nan_to_num(self.step_fraction, nan=np.inf) < _NEAR_REPEAT_MAX_STEP
        return out


@dataclass(frozen=True)
class NewFrames:
    """Which frames of a clip are new pictures.

    Attributes
    ----------
    new
        Per measured frame, True for a new picture (all True for ordinary video).
    conversion
        ``None`` for ordinary video; ``"repeated"`` when pictures are shown several times,
        ``"blended"`` when cross-fades fill the gaps (both: the one that hides more frames).
    frames_per_new
        Median decoded frames per new picture (1 for ordinary video, 4 for every picture shown four
        times or blended 4x).
    n_repeated, n_blended
        Frames found to repeat the previous one, and cross-fades.
    """

    new: np.ndarray
    conversion: str | None
    frames_per_new: float
    n_repeated: int
    n_blended: int


@dataclass(frozen=True)
class SpeedSegment:
    """A stretch of a clip played at one speed.

    ``[start_frame, stop_frame)`` in decode indices; ``start_s``/``end_s`` in playback seconds
    from the first frame (``end_s`` is the next segment's start, or the last frame's time);
    ``relative_speed`` is the picture's change per frame relative to the fastest stretch (1.0;
    0.25 for a quarter-speed slow-motion stretch).
    """

    start_frame: int
    stop_frame: int
    start_s: float
    end_s: float
    relative_speed: float


def changes_from_thumbnails(
    thumbnails: Iterable[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(changed_fraction, change, blend_residual, step_fraction) per thumbnail of a sequence, in order.

    Keeps three thumbnails in memory at a time. See :class:`FrameChanges` for the meaning.
    """
    frac: list[float] = []
    change: list[float] = []
    residual: list[float] = []
    step: list[float] = []
    prev: np.ndarray | None = None
    # the last two distinct thumbnails (float) and the position of the newer one
    before: np.ndarray | None = None
    middle: np.ndarray | None = None
    middle_at = -1
    for i, thumb in enumerate(thumbnails):
        cur = np.asarray(thumb, dtype=np.float32)
        residual.append(np.nan)
        step.append(np.nan)
        if prev is None:
            frac.append(1.0)
            change.append(0.0)
        else:
            frac.append(changed_fraction(cur, prev))
            change.append(float(np.abs(cur - prev).mean()))
        prev = cur
        if i > 0 and frac[-1] < DUPLICATE_MAX_CHANGED:
            continue  # a repeat: not a distinct picture
        now = cur.ravel()
        if before is not None and middle is not None:
            residual[middle_at], step[middle_at] = _blend_residual(before, middle, now)
        before, middle, middle_at = middle, now, i
    return np.asarray(frac), np.asarray(change), np.asarray(residual), np.asarray(step)


def _blend_residual(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """How well ``b`` is a blend of ``a`` and ``c``: (residual, best weight).

    The part of ``b - a`` that ``(1 - w) a + w c`` cannot explain for the best weight ``w``, as ``|b - a| / |c
    - a|``, and ``w``; the first is NaN when ``w`` is outside :data:`_BLEND_WEIGHT_RANGE`.
    """
    d_step = b - a
    d_span = c - a
    span2 = float(d_span @ d_span)
    step2 = float(d_step @ d_step)
    if span2 <= 0:
        return np.nan, np.nan
    step_fraction = float(np.sqrt(step2 / span2))
    if step2 <= 0:
        return np.nan, step_fraction
    w = float(d_step @ d_span) / span2
    if not _BLEND_WEIGHT_RANGE[0] <= w <= _BLEND_WEIGHT_RANGE[1]:
        return np.nan, step_fraction
    rest = d_step - w * d_span
    return float(np.sqrt(float(rest @ rest) / step2)), step_fraction


def frame_changes(meta: VideoMeta, *, start: int = 0, stop: int | None = None) -> FrameChanges:
    """Decode frames ``start <= index < stop`` of a probed clip and measure how their pictures change.

    Parameters
    ----------
    meta
        From :func:`gait.video.probe_video`.
    start, stop
        Frame-index range, 0-based in presentation order (default: the whole clip).

    Raises
    ------
    VideoReadError
        When the data ends or breaks before ``stop``.
    """
    index: list[int] = []

    def thumbs() -> Iterable[np.ndarray]:
        for idx, thumb in iter_thumbnails(meta, start=start, stop=stop):
            index.append(idx)
            yield thumb

    frac, change, residual, step = changes_from_thumbnails(thumbs())
    idx = np.asarray(index, dtype=np.int64)
    pts = meta.frame_pts[idx] if len(idx) else np.zeros(0, dtype=np.int64)
    media = (pts - pts[0]) * meta.time_base if len(idx) else np.zeros(0)
    return FrameChanges(idx, np.asarray(media, dtype=float), frac, change, residual, step)


def _regular(new: np.ndarray) -> bool:
    """True when the new frames come at a regular spacing (a converter's pattern)."""
    gaps = np.diff(np.flatnonzero(new))
    if len(gaps) < 3 or np.median(gaps) < 2:
        return False
    values, counts = np.unique(gaps, return_counts=True)
    pair = counts + np.append(counts[1:] * (np.diff(values) == 1), 0)  # each value with the next one up
    return bool(pair.max() >= _REGULAR_MIN_FRACTION * len(gaps))


def _blend_grid(residual: np.ndarray) -> tuple[int, int] | None:
    """(frames per picture k, phase) of a cross-fade pattern, or None.

    Every k-th frame is a new picture (high :attr:`FrameChanges.blend_residual`), the k - 1 between them
    cross-fades (low); None when no such pattern stands out.

    A grid rather than a threshold per frame: in clips with little motion (a runner far away)
    genuine frames can score as low as 0.3 and blends of nearly equal pictures as high as 0.6, but
    the pattern still shows in the medians. The smallest k whose contrast is near the best wins
    (every 8th frame of a 4x pattern is also an original).
    """
    best: list[tuple[float, int, int]] = []
    for k in range(2, _MAX_FRAMES_PER_PICTURE + 1):
        for phase in range(k):
            on = np.zeros(len(residual), dtype=bool)
            on[phase::k] = True
            a, b = residual[on], residual[~on]
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            if len(a) < 3 or len(b) < 3:
                continue
            off_median = float(np.median(b))
            if off_median >= _BLEND_MAX_RESIDUAL or np.mean(b < _BLEND_MAX_RESIDUAL) < _GRID_MIN_BLENDS:
                continue
            contrast = float(np.median(a)) - off_median
            if contrast >= _GRID_MIN_CONTRAST:
                best.append((contrast, k, phase))
    if not best:
        return None
    top = max(c for c, _, _ in best)
    contrast, k, phase = min((x for x in best if x[0] >= 0.8 * top), key=lambda x: (x[1], -x[0]))
    return k, phase


def classify_frames(changes: FrameChanges) -> NewFrames:
    """Which frames are new pictures, and whether the clip is a frame-rate-converted export.

    Repeats: at least :data:`_CONVERTED_MIN_FRACTION` of the frames repeat the previous one and the
    others come at a regular spacing; the new pictures are the frames that are not repeats.
    Cross-fades: :attr:`FrameChanges.blend_residual` follows a grid (:func:`_blend_grid`); the new
    pictures are the grid's frames that are not repeats (a still scene). Otherwise (ordinary video;
    true high-frame-rate slow motion, whose small motion between frames looks like a cross-fade
    everywhere, not on a grid; a still scene) every frame counts as new and ``conversion`` is
    ``None``, as before this check existed: repeats are still flagged ``duplicate`` by the decoder.
    """
    n = len(changes.index)
    repeated = changes.repeated
    n_rep = int(repeated.sum())
    blendish = np.nan_to_num(changes.blend_residual, nan=np.inf) < _BLEND_MAX_RESIDUAL
    if n >= 4 and n_rep >= _CONVERTED_MIN_FRACTION * n and _regular(~repeated):
        gaps = np.diff(np.flatnonzero(~repeated))
        return NewFrames(~repeated, "repeated", float(np.median(gaps)), n_rep, 0)
    grid = _blend_grid(np.where(repeated, np.nan, changes.blend_residual)) if n >= 8 else None
    if grid is None:
        return NewFrames(np.ones(n, dtype=bool), None, 1.0, n_rep, int(blendish.sum()))
    k, phase = grid
    new = np.zeros(n, dtype=bool)
    new[phase::k] = True
    new &= ~repeated
    new[0] |= phase != 0 and not repeated[0]  # before the first grid frame: keep the first picture
    return NewFrames(new, "blended", float(k), n_rep, int(n - new.sum() - (repeated & ~new).sum()))


def _part(changes: FrameChanges, a: int, b: int) -> FrameChanges:
    return FrameChanges(
        changes.index[a:b],
        changes.media_time_s[a:b],
        changes.changed_fraction[a:b],
        changes.change[a:b],
        changes.blend_residual[a:b],
        changes.step_fraction[a:b],
    )


def mark_new_frames(
    meta: VideoMeta, changes: FrameChanges | None = None, segments: list[SpeedSegment] | None = None
) -> VideoMeta:
    """``meta`` with :attr:`VideoMeta.new_frames` set when the clip is a converted export.

    Ordinary clips come back unchanged. With the mask set, :func:`gait.video.iter_frames` yields
    only the new pictures (at their own decode indices and timestamps) and ``meta.fps`` is the rate
    of the new pictures. Each stretch played at one speed is classified on its own
    (:func:`classify_frames`), so a clip that ramps from normal speed to a 4x cross-faded slow
    motion keeps every frame of its normal-speed part.

    Parameters
    ----------
    meta
        From :func:`gait.video.probe_video`.
    changes
        From :func:`frame_changes` over the whole clip; measured here when not given.
    segments
        Stretches of one playback speed (positions in ``changes``); default
        :func:`speed_segments` of ``changes``.
    """
    changes = frame_changes(meta) if changes is None else changes
    if segments is None:
        segments = speed_segments(changes.media_time_s, changes.change)
    new = np.ones(len(changes.index), dtype=bool)
    kinds: dict[str, int] = {}
    for seg in segments or [SpeedSegment(0, len(changes.index), 0.0, 0.0, 1.0)]:
        found = classify_frames(_part(changes, seg.start_frame, seg.stop_frame))
        if found.conversion is not None:
            new[seg.start_frame : seg.stop_frame] = found.new
            kinds[found.conversion] = kinds.get(found.conversion, 0) + int((~found.new).sum())
    if not kinds:
        return meta
    mask = np.zeros(meta.n_frames, dtype=bool)
    mask[changes.index[new]] = True
    return replace(meta, new_frames=mask, frame_conversion=max(kinds, key=kinds.__getitem__))


def speed_segments(
    media_time_s: np.ndarray,
    change: np.ndarray,
    *,
    valid: np.ndarray | None = None,
    min_ratio: float = _SPEED_MIN_RATIO,
    min_segment_s: float = _SPEED_MIN_SEGMENT_S,
) -> list[SpeedSegment]:
    """Split a clip where its playback speed changes, from the per-frame picture change.

    The change per frame (:attr:`FrameChanges.change`) drops by the slow-motion factor where a
    phone's edit ramps to slow motion, whether the export repeats pictures, blends them or holds
    true high-frame-rate frames. Stretches of at least ``min_segment_s`` are cut by binary
    segmentation (where the mean change differs most on the two sides), then the most alike
    neighbours are merged until every pair of neighbouring stretches differs by ``min_ratio``.

    Parameters
    ----------
    media_time_s
        Playback time of each frame, seconds (any constant factor cancels).
    change
        Mean absolute grey-level change of each frame from the previous one.
    valid
        Frames to trust (e.g. those where the runner is in view: an empty scene changes little at any
        speed); default all. Invalid frames belong to the stretch around them.
    min_ratio
        Smallest ratio of change per frame between stretches counted as a speed change.
    min_segment_s
        Shortest stretch, playback seconds.

    Returns
    -------
    list of SpeedSegment
        One segment for a clip played at one speed; more when it changes. Frame numbers are
        positions in the arrays given.
    """
    t = np.asarray(media_time_s, dtype=float)
    c = np.asarray(change, dtype=float)
    if t.shape != c.shape or t.ndim != 1:
        raise ValueError(f"Expected media_time_s and change of the same 1-D shape, got {t.shape} and {c.shape}.")
    n = len(t)
    if n == 0:
        return []
    ok = np.isfinite(c) & (np.ones(n, bool) if valid is None else np.asarray(valid, dtype=bool))
    ok[0] = False  # the first frame has no previous one
    cuts = _split(t, c, ok, 0, n, min_segment_s, _SPEED_SPLIT_DEPTH)
    bounds = [0, *sorted(cuts), n]
    # merge the most alike neighbours until every pair differs by min_ratio
    while len(bounds) > 2:
        means = [_mean_change(c, ok, a, b) for a, b in pairwise(bounds)]
        ratios = [_ratio(x, y) for x, y in pairwise(means)]
        k = int(np.argmin(ratios))
        if ratios[k] >= min_ratio:
            break
        del bounds[k + 1]
    means = [_mean_change(c, ok, a, b) for a, b in pairwise(bounds)]
    top = max(means) if means and max(means) > 0 else 1.0
    out = []
    for k, (a, b) in enumerate(pairwise(bounds)):
        end = float(t[b] - t[0]) if b < n else float(t[-1] - t[0])
        out.append(SpeedSegment(a, b, float(t[a] - t[0]), end, float(means[k] / top)))
    return out


def _ratio(x: float, y: float) -> float:
    lo, hi = sorted((x, y))
    if hi <= 0:
        return 1.0
    return np.inf if lo <= 0 else hi / lo


def _mean_change(c: np.ndarray, ok: np.ndarray, a: int, b: int) -> float:
    sel = ok[a:b]
    return float(c[a:b][sel].mean()) if sel.any() else 0.0


def _split(t: np.ndarray, c: np.ndarray, ok: np.ndarray, a: int, b: int, min_s: float, depth: int) -> list[int]:
    """Cut positions in ``[a, b)`` by binary segmentation.

    At each level the cut where the mean change differs most (log ratio, weighted towards well-supported
    sides); kept or merged later.
    """
    if depth <= 0 or t[b - 1] - t[a] < 2 * min_s:
        return []
    w = ok[a:b].astype(float)
    x = np.where(ok[a:b], c[a:b], 0.0)
    cw, cx = np.cumsum(w)[:-1], np.cumsum(x)[:-1]  # left of each cut a + 1 .. b - 1
    nl, nr = cw, w.sum() - cw
    cut = np.arange(a + 1, b)
    allowed = (t[cut] - t[a] >= min_s) & (t[b - 1] - t[cut] >= min_s) & (nl >= 3) & (nr >= 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        ml, mr = cx / nl, (x.sum() - cx) / nr
        score = np.abs(np.log(np.maximum(ml, 1e-9) / np.maximum(mr, 1e-9)))
        score *= np.sqrt(nl * nr / (nl + nr))
    score = np.where(allowed & np.isfinite(score), score, -1.0)
    if not len(score) or score.max() <= 0:
        return []
    best = int(cut[int(np.argmax(score))])
    return [*_split(t, c, ok, a, best, min_s, depth - 1), best, *_split(t, c, ok, best, b, min_s, depth - 1)]


def speed_change_message(segments: list[SpeedSegment], name: str, slowmo_factor: float = 1.0) -> str | None:
    """The sentence refusing a clip whose playback speed changes, or ``None`` for one speed.

    Times are given in the clip's playback seconds (what a video player shows); ``slowmo_factor`` is
    only used to say so when it is not 1.
    """
    if len(segments) < 2:
        return None
    first = segments[1]
    ratio = segments[0].relative_speed / first.relative_speed if first.relative_speed > 0 else np.inf
    change = "slows down" if ratio > 1 else "speeds up"
    factor = max(ratio, 1 / ratio) if np.isfinite(ratio) and ratio > 0 else np.inf
    how = f"about {factor:.0f}x" if np.isfinite(factor) else "sharply"
    more = f" (and {len(segments) - 2} more time{'s' if len(segments) > 3 else ''})" if len(segments) > 2 else ""
    return (
        f"The playback speed of '{Path(name).name}' {change} {how} at {first.start_s:.1f} s{more}, "
        "so one cadence would mix two speeds; trim the clip at that point or export it at one speed."
    )
