"""``compute_metrics`` for rear-view clips: pelvis, hip, knee, step width and rearfoot, per step.

Definitions of the angles in :mod:`gait.metrics.frontal`. Per step (one contact of one foot):

``pelvic_drop_deg``
    Contralateral pelvic drop at midstance (halfway between IC and TO), positive when the swing
    side is lower.
``femoral_adduction_deg``, ``hip_adduction_deg``, ``knee_frontal_projection_deg``
    Peaks of the stance leg's angle between IC and TO.
``step_width_pelvis_widths``
    Right heel minus left heel along the lateral axis, each at its own IC (this contact and the
    previous contact of the other foot), divided by the hip-landmark distance at those ICs;
    ``<= 0`` means the feet land on or across the line between them, a crossover (Souza 2016;
    Iskandar 2023 reported it in 29.5 % of 44 runners).
``rearfoot_eversion_proxy_deg``
    Peak of the proxy in early stance (the first 60 % of contact, where rearfoot eversion peaks;
    Souza 2016).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from gait.events import GaitEvents
from gait.metrics import frontal
from gait.metrics._cadence import cadence_metric, step_period_s
from gait.metrics._summary import missing, summarise
from gait.metrics._types import (
    REAR_METRICS,
    REAR_STEP_COLUMNS,
    FootStrike,
    GaitMetrics,
    Metric,
    MetricParams,
)
from gait.metrics.temporal import contacts_table
from gait.notes import QualityNote
from gait.skeleton import SIDE_NAMES
from gait.track import PoseTrack

#: Share of contact searched for the rearfoot eversion peak.
EARLY_STANCE_FRACTION = 0.6
#: Steps per side for a medium-confidence frontal angle (Dingenen et al. 2018 averaged 7+).
MIN_STEPS_PER_SIDE = 7
#: Frame rate the rearfoot proxy needs (Souza 2016 used 240 fps: 20 ms = 5 frames).
REARFOOT_MIN_FPS = 120.0
ANGLE_NOTE = (
    "2D frontal-plane angle from pose landmarks (rear view); it relates to, but is not, the 3D "
    "angle (Dingenen et al. 2018)."
)
KNEE_NOTE = (
    "Reported only, never flagged: the 2D knee 'valgus' angle did not relate to 3D knee "
    "abduction in running (Dingenen et al. 2018)."
)


class _Frontal:
    """Landmarks in the (lateral, up) frame, sampled or interpolated in time."""

    def __init__(self, track: PoseTrack, view: str = "rear") -> None:
        pos = track["position"].transpose("time", "keypoint", "space").values.astype(np.float64)
        self.time_s = track["time"].values.astype(np.float64)
        self.names = [str(k) for k in track["keypoint"].values]
        self.points = frontal.frontal_xy(pos, view)

    def p(self, name: str) -> np.ndarray:
        return self.points[:, self.names.index(name)]

    def leg(self, foot: str) -> tuple[np.ndarray, ...]:
        side = SIDE_NAMES[foot]
        return tuple(self.p(f"{side}_{j}") for j in ("hip", "knee", "ankle", "heel"))

    def at(self, series: np.ndarray, t: float) -> float:
        """Linear interpolation of a 1D per-frame series at ``t`` (NaN across gaps/outside)."""
        ok = np.isfinite(series)
        if ok.sum() < 2 or not np.isfinite(t) or not self.time_s[ok][0] <= t <= self.time_s[ok][-1]:
            return float("nan")
        i = int(np.searchsorted(self.time_s[ok], t))
        ts = self.time_s[ok]
        if i > 0 and i < len(ts) and ts[i] - ts[i - 1] > 0.15:
            return float("nan")
        return float(np.interp(t, ts, series[ok]))

    def peak(self, series: np.ndarray, t0: float, t1: float) -> float:
        """Largest value inside ``[t0, t1]`` (samples plus both ends interpolated)."""
        if not (np.isfinite(t0) and np.isfinite(t1)) or t1 <= t0:
            return float("nan")
        inside = (self.time_s > t0) & (self.time_s < t1)
        vals = np.r_[series[inside], self.at(series, t0), self.at(series, t1)]
        return float(np.nanmax(vals)) if np.isfinite(vals).any() else float("nan")


def _series(fr: _Frontal) -> dict[str, np.ndarray]:
    """Per-frame angle series: obliquity, and per foot the stance-leg angles."""
    lh, rh = fr.p("left_hip"), fr.p("right_hip")
    out = {
        "obliquity": frontal.pelvic_obliquity_deg(lh, rh),
        "pelvis_px": np.abs(rh[:, 0] - lh[:, 0]),
    }
    for foot in ("L", "R"):
        hip, knee, ankle, heel = fr.leg(foot)
        out[f"femoral_{foot}"] = frontal.segment_angle_deg(hip, knee, frontal.MEDIAL[foot])
        out[f"hip_{foot}"] = frontal.hip_adduction_deg(hip, knee, lh, rh, foot)
        out[f"knee_{foot}"] = frontal.knee_projection_deg(hip, knee, ankle, foot)
        out[f"rearfoot_{foot}"] = frontal.rearfoot_proxy_deg(knee, ankle, heel, foot)
        out[f"heel_{foot}"] = heel[:, 0]
    return out


def _step_width(fr: _Frontal, s: dict[str, np.ndarray], steps: pd.DataFrame) -> np.ndarray:
    """Step width in pelvis widths per contact (NaN without a preceding contact of the other foot)."""
    out = np.full(len(steps), np.nan)
    for i in range(1, len(steps)):
        prev, cur = steps.iloc[i - 1], steps.iloc[i]
        if prev["foot"] == cur["foot"] or not np.isfinite(cur["step_time_s"]):
            continue
        x = {r["foot"]: fr.at(s[f"heel_{r['foot']}"], r["ic_time_s"]) for r in (prev, cur)}
        pelvis = np.nanmean([fr.at(s["pelvis_px"], r["ic_time_s"]) for r in (prev, cur)])
        if pelvis > 0:
            out[i] = (x["R"] - x["L"]) / pelvis
    return out


def _per_step(track: PoseTrack, events: GaitEvents, view: str = "rear") -> pd.DataFrame:
    """Timing plus the frontal-plane values of every contact (module docstring)."""
    steps = contacts_table(events)
    fr = _Frontal(track, view)
    s = _series(fr)
    rows = []
    for r in steps.itertuples(index=False):
        ic, to, f = r.ic_time_s, r.to_time_s, r.foot
        sign = 1.0 if f == "R" else -1.0  # right stance: left (swing) side low = right hip high
        rows.append(
            {
                "pelvic_drop_deg": sign * fr.at(s["obliquity"], (ic + to) / 2),
                "femoral_adduction_deg": fr.peak(s[f"femoral_{f}"], ic, to),
                "hip_adduction_deg": fr.peak(s[f"hip_{f}"], ic, to),
                "knee_frontal_projection_deg": fr.peak(s[f"knee_{f}"], ic, to),
                "rearfoot_eversion_proxy_deg": fr.peak(
                    s[f"rearfoot_{f}"], ic, ic + EARLY_STANCE_FRACTION * (to - ic)
                ),
            }
        )
    steps = pd.concat([steps, pd.DataFrame(rows, index=steps.index)], axis=1)
    steps["step_width_pelvis_widths"] = _step_width(fr, s, steps)
    width = steps["step_width_pelvis_widths"]
    steps["crossover"] = np.where(np.isfinite(width), (width <= 0).astype(float), np.nan)
    steps.insert(0, "step", np.arange(len(steps)))
    return steps[list(REAR_STEP_COLUMNS)]


#: Samples per stance when stances are averaged into one curve.
STANCE_POINTS = 21


def _ensemble_peaks(
    track: PoseTrack, steps: pd.DataFrame, prefix: str, view: str = "rear"
) -> dict[str, float]:
    """Per foot, the peak of the mean stance curve (each stance resampled from IC to TO).

    The peak of each noisy stance is biased upwards (the largest of several noisy samples); averaging
    the stances first and then taking the peak removes most of that bias (measured on the mocap
    harness: hip adduction +8.4 deg at 30 fps with per-step peaks).
    """
    fr = _Frontal(track, view)
    s = _series(fr)
    out: dict[str, float] = {}
    for foot in ("L", "R"):
        rows = [
            [
                fr.at(s[f"{prefix}_{foot}"], t)
                for t in np.linspace(r.ic_time_s, r.to_time_s, STANCE_POINTS)
            ]
            for r in steps[steps["foot"] == foot].itertuples(index=False)
            if np.isfinite(r.ic_time_s) and np.isfinite(r.to_time_s) and r.to_time_s > r.ic_time_s
        ]
        curves = np.array(rows, dtype=float).reshape(-1, STANCE_POINTS)
        counts = np.isfinite(curves).sum(axis=0)
        enough = counts >= max(
            2, len(curves) // 2
        )  # a stance phase seen in at least half the steps
        mean = np.where(enough, np.nansum(curves, axis=0) / np.maximum(counts, 1), np.nan)
        out[foot] = float(np.nanmax(mean)) if np.isfinite(mean).any() else float("nan")
    return out


def _with_ensemble_value(metric: Metric, peaks: dict[str, float]) -> Metric:
    """``metric`` with its value and per-side values taken from the mean stance curves."""
    finite = [v for v in peaks.values() if np.isfinite(v)]
    if metric.value is None or not finite:
        return metric
    per_side = {f: (v if np.isfinite(v) else None) for f, v in peaks.items()}
    note = (
        metric.note or ""
    ) + " Value: peak of the mean stance curve per side; SD: of per-step peaks."
    return replace(metric, value=float(np.mean(finite)), per_side=per_side, note=note.strip())


def _angle_conf(values: pd.Series, feet: pd.Series) -> str:
    per_side = [int(np.isfinite(values[feet == f]).sum()) for f in ("L", "R")]
    return "medium" if min(per_side) >= MIN_STEPS_PER_SIDE else "low"


def _frontal_metrics(steps: pd.DataFrame, fps: float) -> dict[str, Metric]:
    feet = steps["foot"]
    out: dict[str, Metric] = {}
    for col in ("pelvic_drop_deg", "femoral_adduction_deg", "hip_adduction_deg"):
        out[col] = summarise(
            steps[col], feet, "deg", _angle_conf(steps[col], feet), note=ANGLE_NOTE
        )
    out["knee_frontal_projection_deg"] = summarise(
        steps["knee_frontal_projection_deg"], feet, "deg", "low", note=KNEE_NOTE
    )
    out["step_width_pelvis_widths"] = summarise(
        steps["step_width_pelvis_widths"],
        feet,
        "pelvis_widths",
        _angle_conf(steps["step_width_pelvis_widths"], feet),
        note="Per side: the step that lands on that foot. <= 0: on or across the midline.",
    )
    cross = steps["crossover"]
    out["crossover_fraction"] = summarise(
        cross,
        feet,
        "1",
        out["step_width_pelvis_widths"].confidence,
        note="Share of steps that land on or across the midline (step width <= 0).",
    )
    rear = steps["rearfoot_eversion_proxy_deg"]
    rear_note = (
        "Crude proxy (one heel landmark, not two heel-counter marks); low confidence, and it needs "
        f"{REARFOOT_MIN_FPS:.0f} fps or more."
    )
    if not fps >= REARFOOT_MIN_FPS:
        out["rearfoot_eversion_proxy_deg"] = missing(
            "deg", f"Not reported: filmed at {fps:.0f} fps. " + rear_note
        )
    else:
        out["rearfoot_eversion_proxy_deg"] = summarise(rear, feet, "deg", "low", note=rear_note)
    return out


def compute_rear_metrics(
    track: PoseTrack, events: GaitEvents, params: MetricParams = MetricParams()
) -> GaitMetrics:
    """Rear-view metrics of a running clip (called by :func:`gait.metrics.compute_metrics`).

    Parameters
    ----------
    track
        The cleaned rear-view track the events were detected on.
    events
        Rear-view events (``events.view == "rear"``), running.
    params
        Metric parameters (timing-error model, ``min_steps``).

    Returns
    -------
    GaitMetrics
        Cadence and step/stride times, the contact time (low confidence from a rear view), and
        the frontal-plane metrics of the module docstring; ``foot_strike`` is empty (a rear
        view cannot see the foot-strike angle); ``steps`` has :data:`REAR_STEP_COLUMNS`.
    """
    steps = _per_step(track, events, "rear")
    fps = float(events.fps or np.nan)
    metrics = _timing(steps, events, params, fps, "rear")
    metrics |= _frontal_metrics(steps, fps)
    metrics |= _ensembles(track, steps, metrics, "rear")
    strike = {f: FootStrike(None, None, 0, "low") for f in ("L", "R")}
    return GaitMetrics(metrics, strike, steps, _quality(fps))


#: Front-view metrics the mocap harness supports (``tests/benchmarks/front_view.py``: virtual
#: front camera at hip height, three RBDS trials, MediaPipe-sized noise with and without the
#: correlated jitter of severity 2, 30-240 fps; clip-level error = mean over a clip's steps per
#: side against the truth of the same steps). Pelvic drop 0.5-1.8 deg (target 2.8, the smallest
#: detectable difference of trained 2D raters), hip adduction as reported (peak of the mean
#: stance curve) 0.7-1.8 deg, step width 0.03-0.05 pelvis widths (target 0.1), crossover
#: fraction 0.05-0.11 (the step-width sign). Not supported: the knee frontal-plane projection
#: angle (2.1-5.8 deg, above 2.8 at 30-60 fps and with jitter at every rate) and femoral
#: adduction (no per-contact truth on the harness). The others are returned without a value and
#: with :data:`FRONT_NOT_SUPPORTED`'s note.
FRONT_REPORTED: frozenset[str] = frozenset(
    {"pelvic_drop_deg", "hip_adduction_deg", "step_width_pelvis_widths", "crossover_fraction"}
)
#: Why a front-view metric has no value.
FRONT_NOT_SUPPORTED: dict[str, str] = {
    "rearfoot_eversion_proxy_deg": (
        "Not measurable from the front: the heel counter faces away from the camera. Film from "
        "behind at 120 fps or more for it."
    ),
}
FRONT_UNVALIDATED_NOTE = (
    "Not reported from a front view: the validation harness (virtual front camera) does not "
    "support it (error above the accuracy target, or no truth to check it against). Film from "
    "behind for it."
)


def compute_front_metrics(
    track: PoseTrack, events: GaitEvents, params: MetricParams = MetricParams()
) -> GaitMetrics:
    """Front-view metrics of a running clip (the runner's right is on image-left).

    Parameters
    ----------
    track
        The cleaned front-view track the events were detected on.
    events
        Front-view events (``events.view == "front"``,
        :func:`gait.events.detect_frontal_events`), running.
    params
        Metric parameters (timing-error model, ``min_steps``).

    Returns
    -------
    GaitMetrics
        The contract of :func:`compute_rear_metrics` (same keys, :data:`REAR_STEP_COLUMNS`), with
        the lateral axis mirrored (:func:`gait.metrics.frontal.frontal_xy`). Only the metrics in
        :data:`FRONT_REPORTED` carry a value; the others (the rearfoot proxy, which the front
        camera cannot see, and those whose harness error exceeded the target) have ``value`` None
        and a note. ``steps`` keeps every per-step column for inspection, the rearfoot proxy NaN.
    """
    steps = _per_step(track, events, "front")
    steps["rearfoot_eversion_proxy_deg"] = np.nan
    fps = float(events.fps or np.nan)
    metrics = _timing(steps, events, params, fps, "front")
    metrics |= _frontal_metrics(steps, fps)
    metrics |= _ensembles(track, steps, metrics, "front")
    for key in REAR_METRICS:
        if key not in FRONT_REPORTED:
            unit = metrics[key].unit
            metrics[key] = missing(unit, FRONT_NOT_SUPPORTED.get(key, FRONT_UNVALIDATED_NOTE))
    for key in FRONT_REPORTED & metrics.keys():
        note = (metrics[key].note or "").replace("(rear view)", "(front view)")
        metrics[key] = replace(metrics[key], note=note)
    strike = {f: FootStrike(None, None, 0, "low") for f in ("L", "R")}
    return GaitMetrics(metrics, strike, steps, _front_quality())


def _timing(
    steps: pd.DataFrame, events: GaitEvents, params: MetricParams, fps: float, view: str
) -> dict[str, Metric]:
    feet = steps["foot"]
    toe_off = "+-20 ms" if view == "rear" else "+-20 ms after a 170 ms correction"
    return {
        "cadence_spm": cadence_metric(steps, fps, params, step_period_s(events)),  # as side view
        "step_time_s": summarise(steps["step_time_s"], feet, "s", "high"),
        "stride_time_s": summarise(steps["stride_time_s"], feet, "s", "high"),
        "contact_time_s": summarise(
            steps["contact_time_s"],
            feet,
            "s",
            "low",
            note=f"From a {view} view: toe-off is timed to about {toe_off}; use a side view.",
        ),
    }


def _ensembles(
    track: PoseTrack, steps: pd.DataFrame, metrics: dict[str, Metric], view: str
) -> dict[str, Metric]:
    return {
        key: _with_ensemble_value(metrics[key], _ensemble_peaks(track, steps, prefix, view))
        for key, prefix in (("hip_adduction_deg", "hip"), ("femoral_adduction_deg", "femoral"))
    }


def _front_quality() -> tuple[QualityNote, ...]:
    return (
        QualityNote(
            "frontal_angles_2d",
            "Pelvic drop, hip adduction and step width come from a front view in 2D: keep the "
            "camera level, in "
            "front of the runner at pelvis height and square to the running direction, or the "
            "angles tilt with it.",
        ),
        QualityNote(
            "front_view_metrics",
            "Seen from the front, only the metrics the validation supports are reported; the "
            "rearfoot proxy needs a rear view.",
        ),
    )


def _quality(fps: float) -> tuple[QualityNote, ...]:
    notes = [
        QualityNote(
            "frontal_angles_2d",
            "Pelvic drop, hip adduction, knee projection and step width come from a rear view in "
            "2D: keep the camera level, behind the runner at pelvis height and square to the "
            "treadmill, or the angles tilt with it.",
        )
    ]
    if not fps >= REARFOOT_MIN_FPS:
        notes.append(
            QualityNote(
                "rearfoot_low_fps",
                f"Filmed at {fps:.0f} fps: the rearfoot eversion proxy needs "
                f"{REARFOOT_MIN_FPS:.0f} fps or more and is not reported.",
            )
        )
    return tuple(notes)
