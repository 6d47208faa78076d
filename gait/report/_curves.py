"""Joint-angle series from a side- or rear-view track, and their averages over the gait cycle."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from gait.metrics import frontal
from gait.metrics.kinematics import RunnerFrame, foot_angle_series_deg, knee_flexion_deg
from gait.skeleton import SIDES
from gait.track import PoseTrack

#: Points per normalised gait cycle (0 %, 1 %, ..., 100 %).
CYCLE_POINTS = 101


def angle_series(track: PoseTrack, direction: str) -> dict[str, np.ndarray]:
    """Knee flexion and foot angle per side, in degrees, one value per frame.

    The metrics' own definitions (:mod:`gait.metrics.kinematics`): knee flexion = 180 deg minus the
    hip-knee-ankle angle (0 = straight leg); foot angle = angle of the heel -> foot-index line above
    the horizontal, positive when the toes are up (dorsiflexed, as at a heel strike), for a runner
    travelling ``direction`` ('image_left' or 'image_right'). The camera is taken as level here
    (the report's JSON carries no ground line); the report states the ground-line correction used
    for foot-strike angles separately.
    """
    sign = -1.0 if direction == "image_left" else 1.0
    rf = RunnerFrame.from_track(track, sign, None)
    out: dict[str, np.ndarray] = {}
    for key, side in SIDES:
        hip, knee, ankle = (rf.points[f"{side}_{p}"] for p in ("hip", "knee", "ankle"))
        out[f"knee_flexion_{key}"] = knee_flexion_deg(hip, knee, ankle)
        out[f"foot_angle_{key}"] = foot_angle_series_deg(rf, key)
    return out


def cycle_curves(values: np.ndarray, time_s: np.ndarray, ic_times_s: np.ndarray) -> np.ndarray:
    """Resample ``values`` between consecutive initial contacts of one foot onto 0-100 % of the cycle.

    Each cycle is interpolated from its own samples and the one frame on either side, so that 0 %
    and 100 % are the values at the ICs themselves (which fall between frames), not at the first
    and last frame inside the cycle.

    Returns
    -------
    ndarray
        ``(n_cycles, CYCLE_POINTS)``; cycles with gaps (NaN) over more than a fifth of their samples
        are dropped, and so are those longer than 1.5 x the median cycle (a contact was missed
        between their ICs: two strides, not one).
    """
    grid = np.linspace(0.0, 1.0, CYCLE_POINTS)
    rows = []
    ics = np.asarray(ic_times_s, dtype=float)
    lengths = np.diff(ics)
    longest = 1.5 * float(np.median(lengths)) if len(lengths) else np.inf
    frame = float(np.median(np.diff(time_s))) if len(time_s) > 1 else 0.0
    for start, end in itertools.pairwise(ics):
        if end - start > longest:
            continue
        inside = (time_s >= start) & (time_s <= end)
        if inside.sum() < 4 or np.isfinite(values[inside]).mean() < 0.8:
            continue
        near = (time_s >= start - 1.01 * frame) & (time_s <= end + 1.01 * frame)
        t, v = time_s[near], values[near]
        ok = np.isfinite(v)
        rows.append(np.interp(start + grid * (end - start), t[ok], v[ok]))
    return np.array(rows).reshape(-1, CYCLE_POINTS)


def frontal_angle_series(track: PoseTrack, view: str = "rear") -> dict[str, np.ndarray]:
    """Contralateral pelvic drop and hip adduction per side from a rear- or front-view track, per frame.

    ``view``: ``"rear"`` or ``"front"`` (the runner's left is on image-left from behind, on
    image-right from the front).

    ``pelvic_drop_L`` is the pelvic obliquity signed as the drop of the right (swing) hip while the
    left foot is in stance, and vice versa; ``hip_adduction_<foot>`` as in
    :func:`gait.metrics.frontal.hip_adduction_deg` (positive = medial).
    """
    pos = track["position"].transpose("time", "keypoint", "space").values.astype(float)
    names = [str(k) for k in track["keypoint"].values]
    pts = frontal.frontal_xy(pos, view)

    def p(name: str) -> np.ndarray:
        return pts[:, names.index(name)]

    lh, rh = p("left_hip"), p("right_hip")
    obliquity = frontal.pelvic_obliquity_deg(lh, rh)  # positive: right hip higher
    out = {"pelvic_drop_L": -obliquity, "pelvic_drop_R": obliquity}
    for foot, side in (("L", "left"), ("R", "right")):
        out[f"hip_adduction_{foot}"] = frontal.hip_adduction_deg(
            p(f"{side}_hip"), p(f"{side}_knee"), lh, rh, foot
        )
    return out


def cycle_summary(
    track: PoseTrack, events: pd.DataFrame, direction: str, *, rear: bool = False, view: str = "rear"
) -> dict[str, dict[str, np.ndarray]]:
    """Mean and SD curves over the gait cycle: ``{"knee_flexion_L": {"mean", "sd", "n"}, ...}``.

    Side view: knee flexion and foot angle (:func:`angle_series`); ``rear``: pelvic drop and hip
    adduction (:func:`frontal_angle_series`, seen from ``view``: ``"rear"`` or ``"front"``). Each
    foot's cycles run from one of its ICs to the next.
    """
    series = frontal_angle_series(track, view) if rear else angle_series(track, direction)
    t = track["time"].values
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, values in series.items():
        foot = name[-1]
        ics = events[(events["type"] == "IC") & (events["foot"] == foot)]["time_s"].to_numpy()
        cycles = cycle_curves(values, t, np.sort(ics))
        if len(cycles):
            out[name] = {
                "mean": np.nanmean(cycles, 0),
                "sd": np.nanstd(cycles, 0),
                "n": np.array(len(cycles)),
            }
    return out
