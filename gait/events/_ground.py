"""The ground line: where the feet stand in mid-stance, as a line in the image."""

from __future__ import annotations

import numpy as np

from gait.events._types import GroundLine
from gait.track import PoseTrack

#: Fractions of stance at which the foot index is sampled: after foot-flat (a rearfoot strike
#: lowers the toe during the first ~20 % of stance) and before push-off.
STANCE_FRACTIONS = (0.4, 0.55, 0.7)


def _interp_xy(time_s: np.ndarray, xy: np.ndarray, t: float) -> np.ndarray:
    ok = np.isfinite(xy).all(axis=1)
    if ok.sum() < 2 or not time_s[ok][0] <= t <= time_s[ok][-1]:
        return np.full(2, np.nan)
    return np.array([np.interp(t, time_s[ok], xy[ok, k]) for k in range(2)])


def fit_ground_line(
    track: PoseTrack,
    contacts: dict[str, list[tuple[float, float]]],
    *,
    min_span_px: float = 0.0,
) -> GroundLine | None:
    """Fit ``y = intercept[foot] + slope * x`` to the foot index in stance.

    Parameters
    ----------
    track
        The (cleaned) pose track.
    contacts
        Per foot (``"L"``/``"R"``), a list of (IC, TO) times.
    min_span_px
        Smallest horizontal spread of the points for the slope to be measured; below it the slope
        is 0 (camera assumed level) and only the intercepts are fitted. Overground, successive
        footprints spread across the image; on a treadmill the stance samples cover only the
        part of the belt one foot travels in a stance, over which the foot's own roll (heel
        rising, toe pressing) tilts a fitted line by a few degrees: 2 deg on the level mocap
        treadmill.

    Returns
    -------
    GroundLine or None
        None with fewer than 3 points. Least squares with one intercept per foot and a shared
        slope, then a second fit without points more than 3 scaled MADs from the line.
    """
    t = track["time"].values.astype(np.float64)
    rows = []
    for foot, side in (("L", "left"), ("R", "right")):
        toe = track["position"].sel(keypoint=f"{side}_foot_index").transpose("time", "space")
        toe = toe.values.astype(np.float64)
        for ic, to in contacts.get(foot, []):
            for f in STANCE_FRACTIONS:
                p = _interp_xy(t, toe, ic + f * (to - ic))
                if np.isfinite(p).all():
                    rows.append((foot, p[0], p[1]))
    if len(rows) < 3:
        return None
    feet = sorted({r[0] for r in rows})
    x = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    level = bool(np.ptp(x) < min_span_px)
    dummies = [np.array([r[0] == f for r in rows], float) for f in feet]
    design = np.column_stack(dummies if level else [x, *dummies])
    keep = np.ones(len(x), bool)
    coef = np.zeros(design.shape[1])
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(design[keep], y[keep], rcond=None)
        resid = y - design @ coef
        mad = 1.4826 * np.median(np.abs(resid[keep] - np.median(resid[keep])))
        keep = np.abs(resid) <= max(3 * mad, 1.0)
        if keep.sum() < 3:
            keep[:] = True
            break
    slope = 0.0 if level else float(coef[0])
    intercepts = coef if level else coef[1:]
    return GroundLine(
        slope=slope,
        intercept_px={f: float(c) for f, c in zip(feet, intercepts, strict=True)},
        angle_deg=float(np.degrees(np.arctan(-slope))) + 0.0,  # no -0.0
        n_points=int(keep.sum()),
        assumed_level=level,
    )
