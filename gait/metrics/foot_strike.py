"""Foot-strike angle (FSA) and pattern.

FSA = foot angle at IC - reference foot angle (domain.md section 2.1; Altman & Davis 2012). The
foot angle is the heel -> foot-index line above the ground line, positive with the toes up. Mocap
studies subtract the angle of the same shoe markers in a standing trial; a video has no standing
trial, so the reference is the same foot's median angle at mid-stance, when the foot is flat
(``MetricParams.fsa_reference``). That also removes MediaPipe's fixed offset between its heel and
foot-index landmarks (they are not at the same height on a flat shoe) and any camera roll.

The foot angle at IC of each contact is read from its whole landing (:func:`landing_foot_angles`):
the clip's average foot-angle curve around IC gives the shape, at 1 ms resolution and timed by the
detected IC, and each contact's own samples within ``fsa_landing_window_s`` of its IC give its
level. At 30 fps a single interpolated instant sits between two frames while the foot rotates by
~20 deg in 50 ms, and carries the landmark noise of two points.

Classes (Altman & Davis 2012): rearfoot FSA > 8.0 deg, forefoot < -1.6 deg, midfoot between.
The near-side foot is the reliable one: manual 2D analysis reached kappa 0.79 and RMSE 2.9 deg
from the lateral view but kappa 0.61 and RMSE 5.1 deg from the medial (far) view (Mo et al.
2025).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.events import build_template
from gait.metrics._types import FootStrike, MetricParams

#: Fewest contacts of a foot for its average landing curve; fewer: the angle at the IC instant.
MIN_LANDINGS = 3


def landing_foot_angles(
    time_s: np.ndarray,
    foot_angle_deg: np.ndarray,
    ic_times_s: np.ndarray,
    window_s: float,
    bandwidth_s: float,
) -> np.ndarray:
    """Foot angle at each IC from the contact's landing window (module docstring).

    Parameters
    ----------
    time_s, foot_angle_deg
        ``(n,)`` frame times and the foot's heel -> foot-index angle (NaN where missing).
    ic_times_s
        ``(k,)`` IC times of this foot (NaN allowed).
    window_s
        Half-width of each landing window; its samples' mean difference from the average curve
        is the contact's offset.
    bandwidth_s
        Kernel bandwidth of the average curve (:func:`gait.events.build_template`).

    Returns
    -------
    numpy.ndarray
        ``(k,)`` angles at IC, deg; NaN where the IC is NaN or its window holds no sample. With
        fewer than :data:`MIN_LANDINGS` ICs (or ``window_s`` 0) the angle at the IC instant,
        linearly interpolated.
    """
    ics = np.asarray(ic_times_s, dtype=float)
    ok = np.isfinite(foot_angle_deg)
    out = np.full(len(ics), np.nan)
    if ok.sum() < 2:
        return out
    t, a = time_s[ok], foot_angle_deg[ok]
    good = np.isfinite(ics)
    if window_s <= 0 or good.sum() < MIN_LANDINGS:
        inside = good & (ics >= t[0]) & (ics <= t[-1])
        return np.where(inside, np.interp(ics, t, a), np.nan)
    span = (-window_s - 4 * bandwidth_s, window_s + 4 * bandwidth_s)
    curve = build_template(t, a[:, None], ics[good], span, bandwidth_s)
    at_ic = float(curve.at(np.array([0.0]))[0, 0])
    for i in np.flatnonzero(good):
        m = np.abs(t - ics[i]) <= window_s
        if m.any():
            out[i] = at_ic + float(np.mean(a[m] - curve.at(t[m] - ics[i])[:, 0]))
    return out


def fsa_reference_deg(midstance_angles: pd.Series, params: MetricParams) -> float:
    """Reference foot angle of one foot: median mid-stance angle (+ offset), or 0."""
    if params.fsa_reference == "none":
        return 0.0
    v = midstance_angles.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v) + params.fsa_reference_offset_deg) if v.size else float("nan")


def foot_strike_summary(
    angles: pd.Series, foot: str, near_foot: str | None, fps: float, params: MetricParams
) -> FootStrike:
    """Pattern of one foot from the median FSA of its contacts.

    Confidence: ``"high"`` for the near foot at >= 100 fps with >= 5 contacts, ``"medium"`` for
    the near foot otherwise (the foot rotates ~20 deg in the first 50 ms of a rearfoot contact, so
    a timing error of 10 ms is worth several degrees), ``"low"`` for the far foot or fewer than 3
    contacts.
    """
    v = angles.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return FootStrike(None, None, 0, "low")
    angle = float(np.median(v))
    far = near_foot is not None and foot != near_foot
    if far or v.size < 3:
        conf = "low"
    elif fps >= params.low_fps_hz and v.size >= 5:
        conf = "high"
    else:
        conf = "medium"
    return FootStrike(params.classify(angle), angle, int(v.size), conf)
