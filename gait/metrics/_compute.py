"""``compute_metrics``: side-view running metrics from a pose track and its events."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from gait.events import GaitEvents, default_bandwidth_s
from gait.metrics._cadence import cadence_metric, step_period_s
from gait.metrics._rear import compute_front_metrics, compute_rear_metrics
from gait.metrics._summary import interval_uncertainty, missing, summarise
from gait.metrics._types import STEP_COLUMNS, FootStrike, GaitMetrics, Metric, MetricParams
from gait.metrics.foot_strike import (
    foot_strike_summary,
    fsa_reference_deg,
    landing_foot_angles,
)
from gait.metrics.kinematics import (
    SIDE_NAMES,
    RunnerFrame,
    contact_kinematics,
    foot_angle_series_deg,
    midstance_foot_angle,
    vertical_oscillation,
)
from gait.metrics.temporal import contacts_table, symmetry_pct
from gait.notes import QualityNote
from gait.track import PoseTrack

ANGLE_NOTE = "2D angle from pose landmarks; typical error 5-8 deg against marker-based capture."


def compute_metrics(
    track: PoseTrack,
    events: GaitEvents,
    params: MetricParams = MetricParams(),
    *,
    height_cm: float | None = None,
) -> GaitMetrics:
    """Compute the side-view running metrics of a clip.

    Parameters
    ----------
    track
        The cleaned pose track the events were detected on.
    events
        Output of :func:`gait.events.detect_events`.
    params
        Metric parameters (foot-strike cut-offs, timing-error model).
    height_cm
        Runner's height; adds ``vertical_oscillation_cm``.

    Returns
    -------
    GaitMetrics
        When ``events.running`` is False, only ``cadence_spm`` with ``value=None`` and a note, and
        no steps: nothing is guessed from a clip that does not look like running. Rear-view events
        (``events.view == "rear"``) give the rear-view metrics of :mod:`gait.metrics._rear`
        instead, and front-view events those of :func:`gait.metrics._rear.compute_front_metrics`:
        a side clip never gives a rear metric, nor the reverse.
    """
    if not events.running or events.table.empty:
        return _not_running(events)
    if events.view == "rear":
        return compute_rear_metrics(track, events, params)
    if events.view == "front":
        return compute_front_metrics(track, events, params)
    if events.view not in ("side_left", "side_right"):
        raise ValueError(f"Expected events of a side or rear view, got view {events.view!r}.")
    sign = {"image_right": 1.0, "image_left": -1.0}[events.direction or "image_right"]
    rf = RunnerFrame.from_track(track, sign, events.ground)
    legs = {f: _leg_px(rf, f) for f in ("L", "R")}
    steps = _steps(rf, events, legs, params)
    fps = float(events.fps or np.nan)
    metrics = _timing_metrics(steps, events, fps, params)
    if not events.cadence_agrees:
        metrics["cadence_spm"] = _disagreeing(metrics["cadence_spm"], events)
    metrics |= _kinematic_metrics(steps, events.near_foot, fps, params, height_cm)
    foot_strike = {
        f: foot_strike_summary(
            steps.loc[steps["foot"] == f, "foot_strike_angle_deg"], f, events.near_foot, fps, params
        )
        for f in ("L", "R")
    }
    return GaitMetrics(metrics, foot_strike, steps, _quality(steps, fps, params))


def _disagreeing(cadence: Metric, events: GaitEvents) -> Metric:
    """The cadence at low confidence, with a note, when the events and the rhythm disagree."""
    rhythm = events.rhythm_cadence_spm.get("consensus", float("nan"))
    return replace(
        cadence,
        confidence="low",
        note=f"The contacts and the body's step rhythm ({rhythm:.0f} steps/min) disagree: "
        "uncertain.",
    )


def _not_running(events: GaitEvents) -> GaitMetrics:
    reason = "; ".join(
        n.message for n in events.quality if n.code not in ("far_foot", "low_fps_timing")
    )
    note = "Not reported: the clip does not look like running." + (f" {reason}" if reason else "")
    empty = pd.DataFrame(columns=list(STEP_COLUMNS))
    strike = {f: FootStrike(None, None, 0, "low") for f in ("L", "R")}
    rhythm = events.rhythm_cadence_spm.get("consensus")
    if rhythm is not None and any(n.code == "running_without_events" for n in events.quality):
        # running, but no trustworthy contacts: the label-free rhythm's cadence, low confidence
        cadence = Metric(
            float(rhythm),
            "spm",
            0,
            None,
            None,
            "low",
            "From the body's step rhythm only (pelvis and feet, whichever leg is which): the "
            "foot contacts could not be found, so no step was measured.",
        )
        quality = (
            QualityNote(
                "no_step_metrics",
                "Only the cadence could be estimated, from the body's rhythm; no per-step "
                "metrics were computed because the foot contacts could not be found.",
            ),
        )
        return GaitMetrics({"cadence_spm": cadence}, strike, empty, quality)
    quality = (
        QualityNote(
            "no_running_metrics",
            "No running metrics were computed because the clip does not look like "
            "running; see the other notes for what to change.",
        ),
    )
    return GaitMetrics({"cadence_spm": missing("spm", note)}, strike, empty, quality)


def _leg_px(rf: RunnerFrame, foot: str) -> float:
    side = SIDE_NAMES[foot]
    hip, knee, ankle = (rf.points[f"{side}_{p}"] for p in ("hip", "knee", "ankle"))
    thigh, shank = np.linalg.norm(hip - knee, axis=1), np.linalg.norm(knee - ankle, axis=1)
    if not (np.isfinite(thigh).any() and np.isfinite(shank).any()):
        return float("nan")
    return float(np.nanmedian(thigh) + np.nanmedian(shank))


def _steps(
    rf: RunnerFrame, events: GaitEvents, legs: dict[str, float], params: MetricParams
) -> pd.DataFrame:
    """Per-contact table: timing, kinematics, foot-strike angle and vertical oscillation."""
    steps = contacts_table(events)
    leg_mean = float(np.nanmean(list(legs.values())))
    kin, mid_angles = [], []
    # a contact without toe-off (e.g. the far foot, see gait.events) still gets a mid-stance
    # window for its foot-strike reference, from the clip's typical contact time
    ct = (steps["to_time_s"] - steps["ic_time_s"]).to_numpy(float)
    typical_ct = float(np.nanmedian(ct)) if np.isfinite(ct).any() else np.nan
    for r in steps.itertuples(index=False):
        to = r.to_time_s if np.isfinite(r.to_time_s) else np.nan
        flat_end = to if np.isfinite(to) else r.ic_time_s + typical_ct
        mid = (r.ic_time_s + flat_end) / 2 if np.isfinite(flat_end) else np.nan
        kin.append(contact_kinematics(rf, r.foot, r.ic_time_s, to, legs[r.foot], mid_s=mid))
        mid_angles.append(
            midstance_foot_angle(rf, r.foot, r.ic_time_s, flat_end)
            if np.isfinite(flat_end)
            else np.nan
        )
        kin[-1]["vertical_oscillation_leg_lengths"] = (
            vertical_oscillation(rf, r.ic_time_s - r.step_time_s, r.ic_time_s, leg_mean)
            if np.isfinite(r.step_time_s)
            else np.nan
        )
    steps = pd.concat([steps, pd.DataFrame(kin, index=steps.index)], axis=1)
    steps["midstance_foot_angle_deg"] = mid_angles
    dt = np.diff(rf.time_s)
    bandwidth = default_bandwidth_s(1.0 / float(np.median(dt))) if len(dt) else 0.003
    for f in ("L", "R"):
        rows = steps.index[steps["foot"] == f]
        if len(rows):
            # the landing window replaces contact_kinematics' angle at the IC instant
            steps.loc[rows, "foot_angle_ic_deg"] = landing_foot_angles(
                rf.time_s,
                foot_angle_series_deg(rf, f),
                steps.loc[rows, "ic_time_s"].to_numpy(float),
                params.fsa_landing_window_s,
                bandwidth,
            )
    refs = {
        f: fsa_reference_deg(steps.loc[steps["foot"] == f, "midstance_foot_angle_deg"], params)
        for f in ("L", "R")
    }
    steps["foot_strike_angle_deg"] = steps["foot_angle_ic_deg"] - steps["foot"].map(refs)
    steps["strike_pattern"] = [params.classify(a) for a in steps["foot_strike_angle_deg"]]
    steps.insert(0, "step", np.arange(len(steps)))
    extra = [c for c in steps.columns if c not in STEP_COLUMNS]
    return steps[list(STEP_COLUMNS) + extra]


def _timing_metrics(
    steps: pd.DataFrame, events: GaitEvents, fps: float, params: MetricParams
) -> dict[str, Metric]:
    feet = steps["foot"]
    low_fps = not (fps >= params.low_fps_hz)
    ct_conf = "low" if low_fps else "medium"
    ct_note = (
        f"Filmed at {fps:.0f} fps: contact and flight times are approximate (film at "
        f"{params.low_fps_hz:.0f} fps or more)."
        if low_fps
        else None
    )

    def unc(col: str, kinds: tuple[str, str], same_foot: bool) -> float | None:
        return interval_uncertainty(
            kinds, fps, int(np.isfinite(steps[col]).sum()), params, same_foot=same_foot
        )

    out = {
        "cadence_spm": cadence_metric(steps, fps, params, step_period_s(events)),
        "step_time_s": summarise(
            steps["step_time_s"],
            feet,
            "s",
            "high",
            uncertainty=unc("step_time_s", ("IC", "IC"), False),
        ),
        "stride_time_s": summarise(
            steps["stride_time_s"],
            feet,
            "s",
            "high",
            uncertainty=unc("stride_time_s", ("IC", "IC"), True),
        ),
        "contact_time_s": summarise(
            steps["contact_time_s"],
            feet,
            "s",
            ct_conf,
            note=ct_note,
            uncertainty=unc("contact_time_s", ("IC", "TO"), True),
        ),
        "flight_time_s": summarise(
            steps["flight_time_s"],
            feet,
            "s",
            ct_conf,
            note=ct_note,
            uncertainty=unc("flight_time_s", ("TO", "IC"), False),
        ),
    }
    out["duty_factor"] = summarise(
        steps["duty_factor"],
        feet,
        "1",
        ct_conf,
        note=ct_note,
        uncertainty=_ratio_unc(out["contact_time_s"], out["stride_time_s"]),
    )
    for name, col in (
        ("step_time_asymmetry_pct", "step_time_s"),
        ("contact_time_asymmetry_pct", "contact_time_s"),
    ):
        side = out[col].per_side or {}
        value = symmetry_pct(side.get("L") or np.nan, side.get("R") or np.nan)
        out[name] = Metric(
            value if np.isfinite(value) else None,
            "%",
            out[col].n,
            None,
            None,
            "low",
            "Left/right symmetry index; the far foot's events carry a different "
            "timing bias, and natural asymmetry is not an injury risk (Malisoux "
            "et al. 2024).",
        )
    return out


def _ratio_unc(num: Metric, den: Metric) -> float | None:
    n, d, n_unc, d_unc = num.value, den.value, num.uncertainty, den.uncertainty
    if n is None or d is None or n_unc is None or d_unc is None or not d:
        return None
    ratio = n / d
    return float(abs(ratio) * np.hypot(n_unc / n, d_unc / d))


def _kinematic_metrics(
    steps: pd.DataFrame, near: str | None, fps: float, params: MetricParams, height_cm: float | None
) -> dict[str, Metric]:
    feet = steps["foot"]
    out: dict[str, Metric] = {}
    fsa = (
        steps["foot_strike_angle_deg"].where(feet == near)
        if near
        else steps["foot_strike_angle_deg"]
    )
    strike = foot_strike_summary(fsa, near or "L", near, fps, params)
    fsa_metric = summarise(
        fsa,
        feet,
        "deg",
        strike.confidence,
        note=(
            f"From the near ({'left' if near == 'L' else 'right'}) foot; see per_side for both."
            if near
            else None
        ),
    )
    both = summarise(steps["foot_strike_angle_deg"], feet, "deg", "low")
    out["foot_strike_angle_deg"] = Metric(
        fsa_metric.value,
        "deg",
        fsa_metric.n,
        fsa_metric.sd,
        None,
        fsa_metric.confidence,
        fsa_metric.note,
        both.per_side,
    )
    for col in (
        "overstride_leg_lengths",
        "shank_angle_ic_deg",
        "knee_flexion_ic_deg",
        "peak_knee_flexion_stance_deg",
        "peak_thigh_extension_deg",
    ):
        unit = "leg_lengths" if col.endswith("leg_lengths") else "deg"
        out[col] = summarise(
            steps[col], feet, unit, "medium", note=None if unit != "deg" else ANGLE_NOTE
        )
    trunk = steps["trunk_lean_deg"]
    out["trunk_lean_deg"] = (
        summarise(trunk, feet, "deg", "medium", per_side=False, note=ANGLE_NOTE)
        if np.isfinite(trunk).sum() >= params.min_steps
        else missing("deg", "Shoulders not visible: trunk lean needs both shoulders and hips.")
    )
    vo = steps["vertical_oscillation_leg_lengths"]
    out["vertical_oscillation_leg_lengths"] = summarise(
        vo, feet, "leg_lengths", "medium", per_side=False
    )
    if height_cm is not None:
        scale = params.thigh_shank_fraction * float(height_cm)
        out["vertical_oscillation_cm"] = summarise(
            vo * scale,
            feet,
            "cm",
            "low",
            per_side=False,
            note=f"Scaled by leg length = {params.thigh_shank_fraction:.3f} x height "
            "(Winter 2009).",
        )
    return out


def _quality(steps: pd.DataFrame, fps: float, params: MetricParams) -> tuple[QualityNote, ...]:
    notes = []
    if not fps >= params.low_fps_hz:
        notes.append(
            QualityNote(
                "fsa_low_fps",
                f"At {fps:.0f} fps the foot-strike angle is read between frames while the foot "
                "is rotating quickly; treat angles near the class cut-offs (8 and -1.6 deg) with "
                "care.",
            )
        )
    # feet without any toe-off carry their own note from the event stage (no_toe_off_*)
    with_to = steps.loc[steps["foot"].isin(steps.loc[steps["to_time_s"].notna(), "foot"])]
    if len(with_to) and with_to["to_time_s"].isna().mean() > 0.3:
        notes.append(
            QualityNote(
                "missing_toe_offs",
                "Toe-off was not found for many contacts; contact times use the rest.",
            )
        )
    return tuple(notes)
