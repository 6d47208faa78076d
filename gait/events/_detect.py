"""``detect_events``: initial contacts and toe-offs of both feet from a side-view pose track."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pandas as pd
import xarray as xr

from gait.events._checks import cadence_note, events_cadence_spm, rhythm_check, running_checks
from gait.events._cycles import stride_period
from gait.events._foot import FootEvents, foot_events
from gait.events._ground import fit_ground_line
from gait.events._rear import detect_frontal_events
from gait.events._signals import RunnerSignals, runner_signals
from gait.events._template import default_bandwidth_s
from gait.events._types import LOW_FPS_HZ, EventParams, GaitEvents, empty_table
from gait.notes import QualityNote
from gait.track import PoseTrack, Rhythm, detect_view, given_view, track_fps, track_rhythm
from gait.track.view import NEAR_VISIBILITY_MARGIN, TrackView

DETECTOR = "stride-template/1"
#: Ground tilt (deg) above which events are detected again in a frame levelled to the ground.
LEVEL_TOLERANCE_DEG = 1.0
#: Fewest frames between an IC's furthest-forward point and the clip's edge.
EDGE_FRAMES = 2
#: Least autocorrelation of the label-free rhythm for its step period to set the stride period.
MIN_RHYTHM_STRENGTH = 0.4


def detect_events(
    track: PoseTrack, params: EventParams = EventParams(), *, view: str | None = None
) -> GaitEvents:
    """Find every initial contact (IC) and toe-off (TO) of both feet.

    Side views use the stride-template method below; rear and front views use
    :func:`gait.events._rear.detect_frontal_events` (vertical foot motion), with the same result
    contract.

    Parameters
    ----------
    track
        A pose track, cleaned with :func:`gait.track.clean_track` (gaps may remain as NaN).
    params
        Detection parameters (see :class:`EventParams`).
    view
        The camera view when known (``"side_left"``, ``"side_right"``, ``"rear"``, ``"front"``);
        None (default): detected from the landmarks (:func:`gait.track.detect_view`).

    Returns
    -------
    GaitEvents
        Events sorted by time; ``running`` False (with a note) when the clip does not look like
        running.

    Notes
    -----
    Method ("stride template"): the stride period is two steps of the label-free rhythm
    (:func:`gait.track.track_rhythm`: signals that are the same whichever leg MediaPipe calls
    left), and the track's leg labels were set by the gait cycle when it was cleaned
    (:func:`gait.track.clean.repair_leg_labels`). The distance of each foot ahead of the pelvis
    gives one anchor per stride (its peaks; Zeni et al. 2008 used the same signal for walking).
    Each foot's strides are then averaged into a template at 1 ms resolution and every stride is
    aligned to it by least squares (heel and toe position, knee angle), which times it with all
    samples of the window and below the frame period. IC is 28 ms after the foot is furthest
    ahead of the pelvis (the force plates' delay); TO is 95 ms before the heel is furthest behind
    the pelvis (the end of the leg's backward swing after push-off). See
    :mod:`gait.events._foot`. The events' cadence is compared with the label-free rhythm's; a
    disagreement is reported (``cadence_agrees``) rather than hidden.

    When it works: side views (camera roughly perpendicular to the running direction) of
    treadmill or overground running with a fixed camera, at 25 fps and above, with at least two
    strides per foot; rearfoot, midfoot and forefoot strikers alike (validated on force-plate
    data, see :mod:`gait.validate.harness`).

    When it fails: a panning or hand-held camera (the ground moves in the image unevenly); an
    oblique view that is neither side nor rear (no events, a note); runners that change speed a lot within
    the clip (one average stride is assumed); long occlusions of a foot; sprint starts.
    """
    view_found = detect_view(track) if view is None else given_view(track, view)
    fps = track_fps(track)
    if view_found.view == "rear":
        return detect_frontal_events(track, view_found, fps, params)
    return _detect_side(track, view_found, fps, params)


def _detect_side(track: PoseTrack, view: TrackView, fps: float, params: EventParams) -> GaitEvents:
    """The side-view method of :func:`detect_events`."""
    if view.view not in ("side_left", "side_right"):
        note = QualityNote(
            "view_not_supported",
            f"The clip was not recognised as a side or rear view (detected: {view.view}); gait "
            "events need a side view (camera perpendicular to the running direction) or a rear "
            "view (camera behind the runner at hip height). Front views are not supported yet: "
            "their foot-motion rule did not hold on the validation data.",
        )
        return _no_events(view, (*view.quality, note), fps, params)
    sig = runner_signals(track, view.forward_sign)
    rhythm = track_rhythm(track, view.forward_sign)
    period, strength = _period(sig, rhythm)
    early = _rhythm_note(period, strength, params)
    if early is not None:
        _, more = rhythm_check(False, float("nan"), _rhythm_cadences(rhythm), params)
        return _no_events(
            view, (*view.quality, early, *more), fps, params, period, strength, rhythm
        )
    feet = _both_feet(sig, period, fps, params)
    ground = fit_ground_line(track, _contacts(feet), min_span_px=_leg_px(sig))
    if ground is not None and abs(ground.angle_deg) > LEVEL_TOLERANCE_DEG:
        # a tilted camera mixes vertical motion into "forward": detect again along the ground
        sig = runner_signals(_level(track, ground.angle_deg), view.forward_sign)
        feet = _both_feet(sig, period, fps, params)
    running, notes = running_checks(
        {f: feet[f].ic_s for f in feet}, {f: feet[f].to_s for f in feet}, period, strength, params
    )
    rhythm_spm = _rhythm_cadences(rhythm)
    ics_all = {f: feet[f].ic_s for f in feet}
    agrees, rhythm_notes = rhythm_check(
        running, events_cadence_spm(ics_all, period), rhythm_spm, params
    )
    notes = (*notes, *rhythm_notes)
    near = _near_foot(view, sig)
    table = _table(sig, feet, near, params)
    ics = {f: _finite(feet[f].ic_s) for f in feet}
    notes = (
        *view.quality,
        *notes,
        *_timing_notes(fps, near, table, ics, params),
        *_toe_off_notes(feet, near),
    )
    if ground is not None and ground.assumed_level and running:
        notes = (
            *notes,
            QualityNote(
                "ground_assumed_level",
                "The feet land in one place (treadmill), so the ground's tilt in the image cannot "
                "be measured and the camera is assumed level; angles from the vertical (trunk, "
                "shank, thigh) include any camera tilt. Level the camera.",
            ),
        )
    return GaitEvents(
        table=table,
        view=view.view,
        direction=view.direction,
        quality=notes,
        running=running,
        detector=DETECTOR,
        near_foot=near,
        stride_time_s=period,
        periodicity=strength,
        ground=ground,
        fps=fps,
        params=params,
        rhythm_cadence_spm=rhythm_spm,
        cadence_agrees=agrees,
    )


def _rhythm_cadences(rhythm: Rhythm) -> dict[str, float]:
    """Cadence (steps/min) of each label-free step-period estimate, and of their consensus."""
    out = {e.source: 60.0 / e.step_s for e in rhythm.estimates if np.isfinite(e.step_s)}
    if np.isfinite(rhythm.step_s):
        out["consensus"] = 60.0 / rhythm.step_s
    return out


def _both_feet(
    sig: RunnerSignals, period: float, fps: float, params: EventParams
) -> dict[str, FootEvents]:
    """Events of both feet, edge events removed."""
    bandwidth = params.template_bandwidth_s or default_bandwidth_s(fps)
    return {
        f: _drop_edges(
            foot_events(sig.time_s, sig.feet[f], period, sig.pelvis_speed_px_s, params, bandwidth),
            sig.time_s,
            params,
        )
        for f in ("L", "R")
    }


def _level(track: PoseTrack, angle_deg: float) -> PoseTrack:
    """A copy of the track turned clockwise on screen by ``angle_deg`` about the image centre.

    That levels a ground line rising to the right by ``angle_deg``; only ``position`` changes.
    """
    cx = float(track.attrs["image_width_px"]) / 2
    cy = float(track.attrs["image_height_px"]) / 2
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    pos = track["position"]
    dx, dy = pos.sel(space="x") - cx, pos.sel(space="y") - cy
    # image y points down, so a clockwise turn on screen is (x, y) -> (c x - s y, s x + c y)
    turned = xr.concat([cx + c * dx - s * dy, cy + s * dx + c * dy], dim="space")
    turned = turned.assign_coords(space=pos["space"]).transpose(*pos.dims).astype(pos.dtype)
    return track.assign(position=turned)


def _leg_px(sig: RunnerSignals) -> float:
    """Mean leg length (thigh + shank) in px: the ground line needs points spread over one."""
    legs = [sig.feet[f].leg_px for f in ("L", "R") if np.isfinite(sig.feet[f].leg_px)]
    return float(np.mean(legs)) if legs else 0.0


def _no_events(
    view: TrackView,
    notes: tuple[QualityNote, ...],
    fps: float,
    params: EventParams,
    period: float = float("nan"),
    strength: float | None = None,
    rhythm: Rhythm | None = None,
) -> GaitEvents:
    """A result without events (``running`` False), carrying the notes that say why."""
    return GaitEvents(
        empty_table(),
        view.view,
        view.direction,
        notes,
        False,
        DETECTOR,
        near_foot=view.near_foot,
        stride_time_s=period if np.isfinite(period) else None,
        periodicity=strength,
        fps=fps,
        params=params,
        rhythm_cadence_spm=_rhythm_cadences(rhythm) if rhythm is not None else {},
    )


def _contacts(feet: dict[str, FootEvents]) -> dict[str, list[tuple[float, float]]]:
    """(IC, TO) pairs with both times known, per foot."""
    return {
        f: [
            (float(a), float(b))
            for a, b in zip(fe.ic_s, fe.to_s, strict=True)
            if np.isfinite(a) and np.isfinite(b)
        ]
        for f, fe in feet.items()
    }


def _rhythm_note(period: float, strength: float, params: EventParams) -> QualityNote | None:
    """A note when the stride rhythm alone rules out running (before detecting events).

    No periodicity, or a stride period whose cadence (2 steps per stride) lies clearly outside the
    running range (more than 15 % beyond it: slow motion, wrong frame rate). Cadences near the
    limits are judged later on the detected events.
    """
    if not np.isfinite(period) or strength < params.min_periodicity:
        return QualityNote(
            "no_periodicity",
            "No steady stride rhythm was found, so this does not look like running (standing, "
            "turning, or too few strides in view). Film at least 6 strides of steady running from "
            "the side.",
        )
    cad = 120.0 / period
    if cad < 0.85 * params.min_cadence_spm or cad > 1.15 * params.max_cadence_spm:
        return cadence_note(cad, params)
    return None


def _drop_edges(fe: FootEvents, time_s: np.ndarray, params: EventParams) -> FootEvents:
    """Set to NaN the events with less than half of their own window inside the clip.

    Such an event is extrapolated from the average stride rather than observed (e.g. a "contact"
    at the first frame of a clip that starts mid-stance). An IC also needs the point it is timed
    from, the foot furthest forward (``ic_after_peak_s`` before it), at least
    :data:`EDGE_FRAMES` frames inside the clip: a maximum at the clip's first frame is no peak. A
    TO with no valid IC before it, or less than 50 ms after it, goes too.
    """
    t0, t1 = time_s[0], time_s[-1]
    frame = float(np.median(np.diff(time_s))) if len(time_s) > 1 else 0.0
    (ib, ia), (tb, ta) = params.ic_window_s, params.to_window_s
    peak = fe.ic_s - params.ic_after_peak_s
    inside = (fe.ic_s - t0 >= 0.5 * ib) & (t1 - fe.ic_s >= 0.5 * ia)
    inside &= (peak - t0 >= EDGE_FRAMES * frame) & (t1 - peak >= EDGE_FRAMES * frame)
    ic = np.where(inside, fe.ic_s, np.nan)
    to = np.where((fe.to_s - t0 >= 0.5 * tb) & (t1 - fe.to_s >= 0.5 * ta), fe.to_s, np.nan)
    to = np.where(np.isfinite(ic) & (to - ic > 0.05), to, np.nan)
    return replace(fe, ic_s=ic, to_s=to)


def _finite(x: np.ndarray) -> np.ndarray:
    return x[np.isfinite(x)]


def _period(sig: RunnerSignals, rhythm: Rhythm) -> tuple[float, float]:
    """Stride period and its strength: two steps of the label-free rhythm when it is clear.

    The rhythm (:func:`gait.track.track_rhythm`) reads signals that are the same whichever leg
    MediaPipe calls left; only when it finds no clear step period does the stride period come
    from the labelled feet (the difference of their forward signals, or the better foot).
    """
    if np.isfinite(rhythm.step_s) and rhythm.strength >= MIN_RHYTHM_STRENGTH:
        return 2.0 * rhythm.step_s, rhythm.strength
    left, right = sig.feet["L"].mid_fwd, sig.feet["R"].mid_fwd
    candidates = [
        stride_period(sig.time_s, left - right),
        stride_period(sig.time_s, left),
        stride_period(sig.time_s, right),
    ]
    good = [c for c in candidates if np.isfinite(c[0])]
    return max(good, key=lambda c: c[1]) if good else (float("nan"), 0.0)


def _near_foot(view: TrackView, sig: RunnerSignals) -> str | None:
    """The foot nearer the camera: the clearly more visible leg, else the one the view implies."""
    vis = {
        f: float(np.nanmedian(sig.feet[f].visibility))
        if np.isfinite(sig.feet[f].visibility).any()
        else float("nan")
        for f in ("L", "R")
    }
    known = np.isfinite(vis["L"]) and np.isfinite(vis["R"])
    if known and abs(vis["L"] - vis["R"]) > NEAR_VISIBILITY_MARGIN:
        return "L" if vis["L"] > vis["R"] else "R"
    return view.near_foot


def _confidence(
    sig: RunnerSignals,
    fe: FootEvents,
    times: np.ndarray,
    cost: np.ndarray,
    near: str | None,
    params: EventParams,
) -> np.ndarray:
    """Event confidence in [0, 1] from visibility, alignment residual and near/far side.

    ``visibility`` is the mean MediaPipe visibility of the leg's knee, ankle, heel and foot index
    within 0.1 s of the event; the alignment factor is sqrt(median residual / residual), capped
    at 1, so a stride that fits the average stride 4x worse than usual gets half; the far foot
    is multiplied by ``params.far_foot_factor``.
    """
    vis = sig.feet[fe.foot].visibility
    finite_cost = cost[np.isfinite(cost)]
    med = float(np.median(finite_cost)) if finite_cost.size else 1.0
    out = np.zeros(len(times))
    for i, (t, c) in enumerate(zip(times, cost, strict=True)):
        m = np.abs(sig.time_s - t) <= 0.1
        v = float(np.nanmean(vis[m])) if m.any() and np.isfinite(vis[m]).any() else 0.5
        fit = min(1.0, np.sqrt(med / c)) if np.isfinite(c) and c > 0 else (1.0 if c == 0 else 0.0)
        out[i] = v * fit * (params.far_foot_factor if near is not None and fe.foot != near else 1.0)
    return np.clip(out, 0.0, 1.0)


def _table(
    sig: RunnerSignals, feet: dict[str, FootEvents], near: str | None, params: EventParams
) -> pd.DataFrame:
    """Assemble the sorted events table from the finite event times."""
    parts = []
    for f, fe in feet.items():
        for kind, times, cost in (("IC", fe.ic_s, fe.ic_cost), ("TO", fe.to_s, fe.to_cost)):
            keep = np.isfinite(times)
            tt, cc = times[keep], cost[keep]
            if not len(tt):
                continue
            idx = np.clip(np.searchsorted(sig.time_s, tt), 1, len(sig.time_s) - 1)
            nearest = np.where(tt - sig.time_s[idx - 1] <= sig.time_s[idx] - tt, idx - 1, idx)
            parts.append(
                pd.DataFrame(
                    {
                        "foot": f,
                        "type": kind,
                        "frame": sig.frame[nearest].astype(np.int64),
                        "time_s": tt,
                        "confidence": _confidence(sig, fe, tt, cc, near, params),
                    }
                )
            )
    if not parts:
        return empty_table()
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["time_s", "foot"], kind="stable").reset_index(drop=True)


def _toe_off_notes(feet: dict[str, FootEvents], near: str | None) -> tuple[QualityNote, ...]:
    """A note per foot whose contacts were found but none of its toe-offs."""
    notes = []
    for f, fe in feet.items():
        if np.isfinite(fe.ic_s).any() and not np.isfinite(fe.to_s).any():
            side = "right" if f == "R" else "left"
            where = " (the far side of the camera)" if near is not None and f != near else ""
            notes.append(
                QualityNote(
                    f"no_toe_off_{f}",
                    f"The {side} heel{where} is not seen swinging back after push-off in the "
                    f"landmarks, so the {side} foot's toe-offs, contact and flight times are "
                    "left out rather than guessed. Film that side, or both sides, for them.",
                )
            )
    return tuple(notes)


def _timing_notes(
    fps: float,
    near: str | None,
    table: pd.DataFrame,
    ics: dict[str, np.ndarray],
    params: EventParams,
) -> tuple[QualityNote, ...]:
    notes = []
    if np.isfinite(fps) and fps < LOW_FPS_HZ and len(table):
        notes.append(
            QualityNote(
                "low_fps_timing",
                f"Filmed at {fps:.0f} fps (one frame = {1000 / fps:.0f} ms): cadence and step "
                "times are reliable, but contact and flight times are only approximate. Film at "
                "120 fps or more for contact times.",
            )
        )
    if near is not None and len(table):
        far = "R" if near == "L" else "L"
        notes.append(
            QualityNote(
                "far_foot",
                f"The {'right' if far == 'R' else 'left'} foot is on the far side of the camera; "
                "its events and foot-strike angle are less reliable (lower confidence).",
            )
        )
    seq = sorted([(t, f) for f in ics for t in ics[f]])
    repeats = sum(1 for a, b in pairwise(seq) if a[1] == b[1])
    if repeats:
        notes.append(
            QualityNote(
                "missing_contacts",
                f"{repeats} contact(s) of one foot were not found between two of the other (foot "
                "hidden or out of view); step times across those gaps are left out.",
            )
        )
    return tuple(notes)
