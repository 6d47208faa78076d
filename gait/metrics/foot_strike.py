"""Foot-strike angle (FSA) and pattern.

FSA = foot angle at IC - reference foot angle (domain.md section 2.1; Altman & Davis 2012). The
foot angle is the heel -> foot-index line above the ground line, positive with the toes up. Mocap
studies subtract the angle of the same shoe markers in a standing trial; a video has no standing
trial, so the reference is the same foot's median angle at mid-stance, when the foot is flat
(``MetricParams.fsa_reference``). That also removes MediaPipe's fixed offset between its heel and
foot-index landmarks (they are not at the same height on a flat shoe) and any camera roll.

Classes (Altman & Davis 2012): rearfoot FSA > 8.0 deg, forefoot < -1.6 deg, midfoot between.
The near-side foot is the reliable one: manual 2D analysis reached kappa 0.79 and RMSE 2.9 deg
from the lateral view but kappa 0.61 and RMSE 5.1 deg from the medial (far) view (Mo et al.
2025).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.metrics._types import FootStrike, MetricParams


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
