"""Initial contacts overground from a rear or front view: the foot stops moving in the picture.

A runner running away from (rear view) or towards (front view) a static camera grows smaller or
larger in the picture, so the treadmill rule of :mod:`gait.events._rear` (the stance foot carried
towards the camera by the belt) has nothing to measure: overground the stance foot *rests* on the
ground, and a point at rest projects to a fixed pixel. Contact is therefore found where the foot's
image motion stops:

1. Body scale per frame: :func:`gait.events._rear.body_scale_px` (a robust ``1 / (a + b t)`` fit of
   the leg length in px; it needs only the hips, knees and ankles, so frames where only the legs
   are in view count, and it smooths the within-stride foreshortening of the legs).
2. Per foot, the heel's image y. At rest on the ground it is constant (a fixed pixel); in swing it
   rises in the picture. Each stance is a local maximum of y (lowest in the picture) at least
   :data:`MIN_RISE_LEGS` body scales below the swing's highest point in the :data:`SEARCH_BACK_S`
   before it, so the threshold shrinks with the runner.
3. IC = the sub-frame time the heel, descending from that highest point, is within
   :data:`PLATEAU_FRACTION` of the rise from its stance level, plus :data:`IC_OFFSET_S`. One
   contact per foot and stride (the deeper of two closer than two shortest steps).

Tuned on the RBDS mocap filmed by a virtual rear or front camera moving with the belt speed
(:mod:`gait.validate.rear_overground`, with the error model's correlated jitter) only; the real rear
clip of ``shared/data/clips`` is held out (``tests/benchmarks/rear_overground.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, savgol_filter

from gait.events._cycles import fill_nans
from gait.events._types import EVENT_COLUMNS
from gait.skeleton import SIDES
from gait.track import PoseTrack

OVERGROUND_DETECTOR = "frontal-foot-rest/overground/1"
#: Added to the found IC time, seconds: on the harness (RBDS001 and RBDS0041, 30 fps, severity 2, rear and front,
#: camera at 0.1 m and at hip height) the heel reached a quarter below its plateau 96-103 ms before the force-plate
#: contact (it is still descending slowly while the landing leg is loaded).
IC_OFFSET_S = 0.1
#: Foot landmarks whose mean image y is followed.
Y_PARTS = ("heel",)
#: Share of the swing-to-stance rise of the image y still to come at contact (tuned on the harness).
PLATEAU_FRACTION = 0.25
#: Smallest swing-to-stance rise of the foot in the picture, leg lengths.
MIN_RISE_LEGS = 0.05
#: Savitzky-Golay window (quadratic) applied to the heel's image y, seconds (0: none).
SMOOTH_S = 0.0
#: How far back from the stance the swing's highest image point is searched, seconds.
SEARCH_BACK_S = 0.35
#: Shortest and longest step, seconds (cadence 100-250 spm).
MIN_STEP_S, MAX_STEP_S = 0.24, 0.6


def foot_y_px(track: PoseTrack, side: str) -> np.ndarray:
    """Image y of one foot per frame (mean of :data:`Y_PARTS`), px, NaN where not seen."""
    pos = track["position"]
    ys = np.stack([pos.sel(keypoint=f"{side}_{p}", space="y").values.astype(np.float64) for p in Y_PARTS])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(ys, axis=0)


def _contacts(time_s: np.ndarray, y_px: np.ndarray, scale_px: np.ndarray) -> list[tuple[float, float]]:
    """(IC time, depth) of each stance of one foot: its image y reaches the stance plateau."""
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
    out: list[tuple[float, float]] = []
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
        y0, y1 = seg[j - 1], seg[j]
        frac = (level - y0) / (y1 - y0) if y1 != y0 else 1.0
        t_ic = float(np.interp(m + j - 1 + frac, np.arange(len(time_s)), time_s)) + IC_OFFSET_S
        depth = float(min(1.0, rise / (MIN_RISE_LEGS * sc[p]) / 4))
        if out and t_ic - out[-1][0] < 2 * MIN_STEP_S:  # one contact per stride of a foot: keep the deeper
            if depth > out[-1][1]:
                out[-1] = (t_ic, depth)
            continue
        out.append((t_ic, depth))
    return out


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
    rows = []
    for foot, side in SIDES:
        y_px = foot_y_px(track, side)
        vis = track["confidence"].sel(keypoint=[f"{side}_{p}" for p in Y_PARTS]).values.astype(np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            vis_f = np.nanmean(vis, axis=1)
        for t, depth in _contacts(time_s, y_px, scale_px):
            if not time_s[0] <= t <= time_s[-1]:
                continue
            near = np.abs(time_s - t) <= 0.1
            v = float(np.nanmean(vis_f[near])) if np.isfinite(vis_f[near]).any() else 0.5
            rows.append((foot, "IC", int(frame[np.argmin(np.abs(time_s - t))]), t, float(np.clip(v * depth, 0, 1))))
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
