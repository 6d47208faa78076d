"""Initial contacts overground from a rear or front view: the foot stops moving in the picture.

A runner running away from (rear view) or towards (front view) a static camera grows smaller or
larger in the picture, so the treadmill rule of :mod:`gait.events._rear` (the stance foot carried
towards the camera by the belt) has nothing to measure: overground the stance foot *rests* on the
ground, and a point at rest projects to a fixed pixel. Contact is therefore found where the foot's
image motion stops:

1. Body scale per frame: :func:`gait.events._rear.body_scale_px` (a robust ``1 / (a + b t)`` fit of
   the leg length in px; it needs only the hips, knees and ankles, so frames where only the legs
   are in view count, and it smooths the within-stride foreshortening of the legs).
2. Sides from the picture, not from MediaPipe's labels (:func:`side_assignment`): from behind the
   runner's left foot is on image-left, in front on image-right (which one: the majority order of
   the hips, :func:`label_order`). Per frame the feet's image-x order decides their sides when
   they are more than :data:`X_MARGIN_LEGS` leg lengths apart; overlapping in x (crossover) the
   assignment that moves the feet least from the previous frame is kept; two feet on one spot
   are one foot drawn onto the other, and the one that jumped there is not used (NaN, filled in);
   the same for each foot landmark alone (a heel drawn on the other foot's heel).
   MediaPipe swaps the legs, or draws one foot on the other, for runs of frames in these views
   (:mod:`gait.validate.errors`, frontal episodes).
3. Per foot, the heel's image y. At rest on the ground it is constant (a fixed pixel); in swing it
   rises in the picture. Each stance is a local maximum of y (lowest in the picture) at least
   :data:`MIN_RISE_LEGS` body scales below the swing's highest point in the :data:`SEARCH_BACK_S`
   before it, so the threshold shrinks with the runner.
4. IC = the sub-frame time the heel, descending from that highest point, is within
   :data:`PLATEAU_FRACTION` of the rise from its stance level, plus :data:`IC_OFFSET_S` (and
   :data:`RECEDING_EXTRA_S` when the runner runs away from the camera). One
   contact per foot and stride (the deeper of two closer than two shortest steps).
5. Strict alternation where a foot was not seen: a contact whose descent fell in frames filled in
   (the foot drawn onto the other) is timed from the other foot's contacts, at half confidence
   (:func:`_by_alternation`); one landing found on both feet within half a shortest step is kept
   once.

Tuned on the RBDS mocap filmed by a virtual rear or front camera moving with the belt speed
(:mod:`gait.validate.rear_overground`, with the error model's correlated jitter and its frontal
leg-label episodes) only; the timing (:data:`IC_OFFSET_S`) is for MediaPipe without foot lag: with
the error model's 45 ms foot lag contacts come ~30 ms late (``tests/benchmarks/rear_overground.py``).
Timing from the mean of ankle, heel and toe or from the toe alone was worse on the harness (the toe's
image y peaks at push-off, not at contact). The real rear clip of ``shared/data/clips`` is held out
(``tests/benchmarks/rear_overground.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, savgol_filter

from gait.events._cycles import fill_nans
from gait.events._types import EVENT_COLUMNS
from gait.skeleton import LEG_PARTS, SIDES
from gait.track import PoseTrack

OVERGROUND_DETECTOR = "frontal-foot-rest/overground/1"
#: Added to the found IC time, seconds: on the harness (RBDS001 and RBDS0041, seeds 0-3, 30 and 60 fps, severity 2,
#: rear and front, camera at 0.1 m and at hip height, with and without frontal label errors) the heel is 40 % of its
#: descent above its plateau about 125 ms before the force-plate contact (it is still descending slowly while the
#: landing leg is loaded); running away from the camera, 20 ms more (:data:`RECEDING_EXTRA_S`: the foot moving away
#: rises in the picture as it descends, so its image descent ends earlier).
IC_OFFSET_S = 0.125
#: Added to :data:`IC_OFFSET_S` when the runner shrinks in the picture (runs away from the camera), seconds.
RECEDING_EXTRA_S = 0.02
#: Foot landmarks whose mean image y is followed.
Y_PARTS = ("heel",)
#: Share of the swing-to-stance rise of the image y still to come at the timed crossing (harness: 0.4 gave 80 % of
#: contacts within 1 frame against 75 % for 0.25 and 45 % for 0.1, each with its best offset; with the error
#: model's foot lag, 35 % against 22 %: timing on the steep part of the descent is earlier and less delayed by the
#: lag than timing near rest).
PLATEAU_FRACTION = 0.4
#: Smallest swing-to-stance rise of the foot in the picture, leg lengths.
MIN_RISE_LEGS = 0.05
#: Savitzky-Golay window (quadratic) applied to the heel's image y, seconds (0: none).
SMOOTH_S = 0.0
#: How far back from the stance the swing's highest image point is searched, seconds.
SEARCH_BACK_S = 0.35
#: Foot landmarks whose mean image position orders the feet left to right.
FOOT_PARTS = ("ankle", "heel", "foot_index")
#: Smallest x distance of the feet, leg lengths, at which their image order decides their sides.
X_MARGIN_LEGS = 0.06
#: A contact is timed from its own foot when at least :data:`SEEN_SHARE` of the frames from
#: :data:`SEEN_BEFORE_S` before its threshold crossing to the crossing showed that foot (not filled in).
SEEN_BEFORE_S = 0.1
SEEN_SHARE = 0.7
#: Shortest and longest step, seconds (cadence 100-250 spm).
MIN_STEP_S, MAX_STEP_S = 0.24, 0.6


def foot_y_px(track: PoseTrack, side: str) -> np.ndarray:
    """Image y of one foot per frame (mean of :data:`Y_PARTS`), px, NaN where not seen."""
    pos = track["position"]
    ys = np.stack([pos.sel(keypoint=f"{side}_{p}", space="y").values.astype(np.float64) for p in Y_PARTS])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(ys, axis=0)


def _foot_xy(track: PoseTrack, side: str) -> np.ndarray:
    """``(n, 2)`` mean image position of one foot's ankle, heel and foot_index, px (NaN where none)."""
    pos = track["position"]
    pts = np.stack(
        [pos.sel(keypoint=f"{side}_{p}").transpose("time", "space").values.astype(np.float64) for p in FOOT_PARTS]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(pts, axis=0)


def label_order(track: PoseTrack) -> float:
    """+1 when the labelled left leg is on image-left in most frames (a rear view), -1 when on image-right.

    The majority of the frames' left-right order of the hips (of the feet where the hips are not
    seen): MediaPipe's labels are wrong in episodes, not most of the time, and a mirrored clip or a
    view taken for its opposite cannot then turn every contact to the wrong foot.
    """
    pos = track["position"]
    d = pos.sel(keypoint="right_hip", space="x").values - pos.sel(keypoint="left_hip", space="x").values
    d = d.astype(np.float64)
    if not np.isfinite(d).any():
        d = _foot_xy(track, "right")[:, 0] - _foot_xy(track, "left")[:, 0]
    med = float(np.nanmedian(d)) if np.isfinite(d).any() else 0.0
    return -1.0 if med < 0 else 1.0


def side_assignment(track: PoseTrack, scale_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, whether the two feet's labels are to be exchanged, and which foot is a snap.

    The runner's left foot is on the image side of :func:`label_order` (image-left from behind,
    image-right in front). A frame whose feet are more than :data:`X_MARGIN_LEGS` leg lengths apart
    in x in the wrong order is swapped; closer than that (feet overlapping in x: crossover, or one
    foot drawn onto the other) the frame keeps the assignment that moves the feet least from the
    previous frame. Where both feet are within the margin of each other in x and y, one of them is
    MediaPipe's foot drawn onto the other: the one that jumped further from its last position is
    marked (its landmarks are then not used).

    Returns
    -------
    swap, snapped
        ``(n,)`` bool: exchange the labels in that frame; ``(n, 2)`` bool: foot (left, right,
        after the exchange) drawn onto the other.
    """
    xy = {side: _foot_xy(track, side) for _, side in SIDES}
    n = len(xy["left"])
    order = label_order(track)
    margin = X_MARGIN_LEGS * np.where(np.isfinite(scale_px), scale_px, np.nanmedian(scale_px))
    swap = np.zeros(n, bool)
    snapped = np.zeros((n, 2), bool)
    last = np.full((2, 2), np.nan)  # last assigned position of (left, right)
    for i in range(n):
        a, b = xy["left"][i], xy["right"][i]
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            for k, p in enumerate((a, b)):
                if np.isfinite(p).all():
                    last[k] = p
            continue
        d = order * (b[0] - a[0])  # > 0: left foot on its own image side
        close = abs(d) <= margin[i] and abs(a[1] - b[1]) <= margin[i]
        if close and np.isfinite(last).all():
            # one foot drawn onto the other: the one seen here is the foot that was last nearer
            mid = (a + b) / 2
            k_real = int(np.argmin([np.linalg.norm(mid - last[0]), np.linalg.norm(mid - last[1])]))
            snapped[i, 1 - k_real] = True
        elif abs(d) > margin[i]:
            swap[i] = d < 0
        elif np.isfinite(last).all():
            keep = np.linalg.norm(a - last[0]) + np.linalg.norm(b - last[1])
            cross = np.linalg.norm(b - last[0]) + np.linalg.norm(a - last[1])
            swap[i] = cross < keep
        pa, pb = (b, a) if swap[i] else (a, b)
        for k, p in enumerate((pa, pb)):
            if not snapped[i, k]:
                last[k] = p
    return swap, snapped


def _landmark_snaps(left_px: np.ndarray, right_px: np.ndarray, margin_px: np.ndarray) -> np.ndarray:
    """``(n, 2)`` bool: where one foot landmark (e.g. the heel) is drawn on the other foot's.

    Both within ``margin_px`` of each other in x and in y: the one that jumped further from its
    last position is marked (MediaPipe moves one landmark, the other stays on its foot).
    """
    marked = np.zeros((len(left_px), 2), bool)
    last = np.full((2, 2), np.nan)
    for i, (a, b) in enumerate(zip(left_px, right_px, strict=True)):
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            continue
        if np.all(np.abs(a - b) <= margin_px[i]) and np.isfinite(last).all():
            marked[i, int(np.argmax([np.linalg.norm(a - last[0]), np.linalg.norm(b - last[1])]))] = True
        for k, p in enumerate((a, b)):
            if not marked[i, k]:
                last[k] = p
    return marked


def relabel_feet(track: PoseTrack, scale_px: np.ndarray) -> PoseTrack:
    """The track with the legs' labels set by :func:`side_assignment`, feet or landmarks drawn on the other NaN.

    After the whole feet, each foot landmark on its own (:func:`_landmark_snaps`): MediaPipe often
    draws one foot's heel alone on the other foot.
    """
    swap, snapped = side_assignment(track, scale_px)
    out = track.copy(deep=True)
    kp = [str(k) for k in out["keypoint"].values]
    legs = [(kp.index(f"left_{p}"), kp.index(f"right_{p}")) for p in LEG_PARTS]
    feet = [[kp.index(f"{side}_{p}") for p in FOOT_PARTS] for side in ("left", "right")]
    for name in ("position", "confidence"):
        arr = out[name]
        t_ax, k_ax = arr.dims.index("time"), arr.dims.index("keypoint")
        v = np.moveaxis(arr.values, (t_ax, k_ax), (0, 1)).copy()
        for li, ri in legs:
            v[swap, li], v[swap, ri] = v[swap, ri].copy(), v[swap, li].copy()
        if name == "position":
            for k in (0, 1):
                v[np.ix_(snapped[:, k], np.asarray(feet[k]))] = np.nan
            margin = X_MARGIN_LEGS * np.where(np.isfinite(scale_px), scale_px, np.nanmedian(scale_px))
            for li, ri in zip(feet[0], feet[1], strict=True):
                marked = _landmark_snaps(v[:, li], v[:, ri], margin)
                v[marked[:, 0], li] = np.nan
                v[marked[:, 1], ri] = np.nan
        arr.values[...] = np.moveaxis(v, (0, 1), (t_ax, k_ax))
    return out


def _contacts(
    time_s: np.ndarray, y_px: np.ndarray, scale_px: np.ndarray, offset_s: float = IC_OFFSET_S
) -> list[tuple[float, float, bool]]:
    """(IC time, depth, seen) of each stance of one foot: its image y reaches the stance plateau.

    ``seen`` is False when the crossing falls in frames where the foot was not seen (filled in).
    """
    ok = np.isfinite(y_px) & np.isfinite(scale_px)
    if ok.sum() < 6:
        return []
    y = fill_nans(np.where(ok, y_px, np.nan))
    sc = fill_nans(np.where(ok, scale_px, np.nan))
    dt = float(np.median(np.diff(time_s)))
    win = int(round(SMOOTH_S / dt)) | 1
    if win >= 5 and len(y) > win:
        y = savgol_filter(y, win, 2)
    # candidates in px with the smallest body's threshold; each is then checked at its own scale
    peaks, _ = find_peaks(
        y, distance=max(1, int(1.2 * MIN_STEP_S / dt)), prominence=MIN_RISE_LEGS * float(np.min(sc))
    )
    out: list[tuple[float, float, bool]] = []
    back = max(2, int(round(SEARCH_BACK_S / dt)))
    for p in peaks:
        if not ok[p]:
            continue
        lo = max(0, p - back)
        m = lo + int(np.argmin(y[lo : p + 1]))
        rise = y[p] - y[m]
        if m == p or rise < MIN_RISE_LEGS * sc[p]:
            continue
        level = y[p] - PLATEAU_FRACTION * rise
        seg = y[m : p + 1]
        j = int(np.nonzero(seg >= level)[0][0])
        if j == 0:
            continue
        # the descent to the crossing must have been seen, not filled in across a gap
        window = ok[max(0, m + j - 1 - int(round(SEEN_BEFORE_S / dt))) : m + j + 1]
        seen = bool(np.mean(window) >= SEEN_SHARE)
        y0, y1 = seg[j - 1], seg[j]
        frac = (level - y0) / (y1 - y0) if y1 != y0 else 1.0
        t_ic = float(np.interp(m + j - 1 + frac, np.arange(len(time_s)), time_s)) + offset_s
        depth = float(min(1.0, rise / (MIN_RISE_LEGS * sc[p]) / 4))
        if out and t_ic - out[-1][0] < 2 * MIN_STEP_S:  # one contact per stride of a foot: keep the deeper
            if (seen, depth) > (out[-1][2], out[-1][1]):  # a seen stance before one filled in
                out[-1] = (t_ic, depth, seen)
            continue
        out.append((t_ic, depth, seen))
    return out


def _receding(scale_px: np.ndarray) -> bool:
    """Whether the runner shrinks in the picture (runs away from the camera)."""
    ok = np.flatnonzero(np.isfinite(scale_px))
    return len(ok) >= 2 and bool(scale_px[ok[-1]] < scale_px[ok[0]])


def overground_table(track: PoseTrack, scale_px: np.ndarray, frame: np.ndarray) -> pd.DataFrame:
    """IC rows (``EVENT_COLUMNS``) of both feet of a rear/front overground track.

    Parameters
    ----------
    track
        The cleaned pose track.
    scale_px
        Its body scale per frame.
    frame
        Its frame numbers.

    Returns
    -------
    pandas.DataFrame
        One row per IC; confidence = visibility of the foot near the contact times the relative depth
        of the speed drop.
    """
    time_s = track["time"].values.astype(np.float64)
    track = relabel_feet(track, scale_px)
    offset_s = IC_OFFSET_S + (RECEDING_EXTRA_S if _receding(scale_px) else 0.0)
    found: list[tuple[float, str, float, bool]] = []
    for foot, side in SIDES:
        y_px = foot_y_px(track, side)
        vis = track["confidence"].sel(keypoint=[f"{side}_{p}" for p in Y_PARTS]).values.astype(np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            vis_f = np.nanmean(vis, axis=1)
        for t, depth, seen in _contacts(time_s, y_px, scale_px, offset_s):
            if not time_s[0] <= t <= time_s[-1]:
                continue
            near = np.abs(time_s - t) <= 0.1
            v = float(np.nanmean(vis_f[near])) if np.isfinite(vis_f[near]).any() else 0.5
            found.append((t, foot, float(np.clip(v * depth, 0, 1)), seen))
    rows = [
        (foot, "IC", int(frame[np.argmin(np.abs(time_s - t))]), t, conf) for t, foot, conf in _by_alternation(found)
    ]
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))


def _by_alternation(found: list[tuple[float, str, float, bool]]) -> list[tuple[float, str, float]]:
    """Contacts ``(time, foot, confidence)`` with those not seen timed from the other foot's.

    A contact whose timing fell in frames where its foot was not seen (MediaPipe drew it onto the
    other foot, so its time is that of a line drawn across the gap) is put, by strict left-right
    alternation, midway between the other foot's seen contacts before and after it when they are
    at most a stride (two :data:`MAX_STEP_S`) apart, else one median step (of the seen contacts)
    from the nearer of them; its confidence is halved. Without a seen contact of the other foot
    near it, it is dropped. Two contacts of opposite feet closer than half :data:`MIN_STEP_S` are
    one landing seen twice: the more confident is kept.
    """
    found = sorted(found)
    seen_t = [(t, f) for t, f, _, s in found if s]
    steps = [
        b[0] - a[0]
        for a, b in zip(seen_t, seen_t[1:], strict=False)
        if a[1] != b[1] and MIN_STEP_S <= b[0] - a[0] <= MAX_STEP_S
    ]
    step = float(np.median(steps)) if steps else float("nan")
    out: list[tuple[float, str, float]] = []
    for t, foot, conf, seen in found:
        if not seen:
            before = [u for u, f in seen_t if f != foot and u < t]
            after = [u for u, f in seen_t if f != foot and u >= t]
            lo = before[-1] if before else -np.inf
            hi = after[0] if after else np.inf
            if hi - lo <= 2 * MAX_STEP_S:
                t = (lo + hi) / 2
            elif np.isfinite(step) and min(t - lo, hi - t) <= MAX_STEP_S:
                t = lo + step if t - lo <= hi - t else hi - step
            else:
                continue
            conf = conf / 2
        out.append((t, foot, conf))
    out.sort()
    kept: list[tuple[float, str, float]] = []
    for c in out:
        if kept and c[1] != kept[-1][1] and c[0] - kept[-1][0] < MIN_STEP_S / 2:
            if c[2] > kept[-1][2]:
                kept[-1] = c
            continue
        kept.append(c)
    return kept
