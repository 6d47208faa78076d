"""``detect_events``: initial contacts and toe-offs of both feet from a side-view pose track."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pandas as pd
import xarray as xr

from gait.errors import ConfigError
from gait.events._checks import (
    cadence_note,
    events_cadence_spm,
    fitted_cadence_spm,
    flight_note,
    rhythm_check,
    running_checks,
    step_indices,
)
from gait.events._cycles import stride_period
from gait.events._foot import FootEvents, foot_events
from gait.events._ground import (
    fit_ground_line,
    foot_stances,
    footprints,
    ground_motion,
    in_view_span,
)
from gait.events._rear import detect_frontal_events
from gait.events._signals import RunnerSignals, runner_signals
from gait.events._template import default_bandwidth_s
from gait.events._types import LOW_FPS_HZ, EventParams, GaitEvents, empty_table
from gait.notes import QualityNote
from gait.track import PoseTrack, Rhythm, detect_view, given_view, track_fps, track_rhythm
from gait.track._ground_frame import from_ground_frame
from gait.track._rhythm import leg_length_px, xy
from gait.track.view import NEAR_VISIBILITY_MARGIN, TrackView

DETECTOR = "stride-template/1"
#: Name and version of the overground (pass-by) method.
OVERGROUND_DETECTOR = "ground-stance/1"
#: In-view time (s) below which an overground clip is a pass-by (:func:`_is_passby`): about 4
#: strides, twice the stride template's minimum per foot.
PASSBY_MAX_S = 3.0
#: Shortest contact time kept (s); a toe-off closer to its IC is dropped, not reported.
MIN_CONTACT_S = 0.05
#: Fewest contacts for overground events (about one stride: two steps).
MIN_OVERGROUND_ICS = 3
#: Offsets added to the initial contact (timed in the foot's deceleration, gait.events._ground) and to
#: the toe-off (where its ground-relative speed rises above the stance level), seconds (harness pass-bys).
OVERGROUND_IC_OFFSET_S = 0.0
OVERGROUND_TO_OFFSET_S = -0.060
#: Ground tilt (deg) above which events are detected again in a frame levelled to the ground.
LEVEL_TOLERANCE_DEG = 1.0
#: Fewest frames between an IC's furthest-forward point and the clip's edge.
EDGE_FRAMES = 2
#: Foot landmarks nearer than this to an edge of the image (leg lengths, about a shoe's length),
#: or beyond it, are not seen by the overground method (:func:`_inside_image`): MediaPipe goes on
#: drawing a foot that leaves the image where the body's shape puts it, not where the foot is. On
#: the real pass-by (``../shared`` clip 6) the last stance it drew came 4 frames after the foot had
#: left the image, 0.2 leg lengths inside the edge, and made the cadence 158 instead of ~168 spm.
EDGE_MARGIN_LEG = 0.25
#: Least autocorrelation of the label-free rhythm for its step period to set the stride period.
MIN_RHYTHM_STRENGTH = 0.4


def detect_events(
    track: PoseTrack, params: EventParams = EventParams(), *, view: str | TrackView | None = None
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
        The camera view when known (``"side_left"``, ``"side_right"``, ``"rear"``, ``"front"``),
        or the view already read from the clip (:func:`gait.track.clip_view`); None (default):
        detected from the landmarks (:func:`gait.track.detect_view`).

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

    Overground pass-bys (a static camera, the runner crossing the image: the pelvis moves across
    the image about as fast as the feet move about it, :func:`gait.events._ground.ground_motion`;
    and the runner enters or leaves the frame, or is in view for under :data:`PASSBY_MAX_S`) use
    :func:`_detect_overground` instead: only the stretch in view, contacts where the foot stops
    moving relative to the ground, from 3 contacts; ``ground_motion``, ``n_steps`` and
    ``in_view_s`` of the result say so. Longer overground clips keep the stride template.

    When it fails: a panning or hand-held camera (the ground moves in the image unevenly); an
    oblique view that is neither side nor rear (no events, a note); runners that change speed a lot within
    the clip (one average stride is assumed); long occlusions of a foot; sprint starts.
    """
    if isinstance(view, TrackView):
        view_found = view
    else:
        view_found = detect_view(track) if view is None else given_view(track, view)
    fps = track_fps(track)
    if view_found.view in ("rear", "front"):
        return detect_frontal_events(track, view_found, fps, params)
    return _detect_side(track, view_found, fps, params)


def detect_side_events(
    track: PoseTrack, params: EventParams = EventParams(), *, view: TrackView
) -> GaitEvents:
    """The side-view method of :func:`detect_events`, for a track whose view is known.

    Parameters
    ----------
    track
        A pose track, cleaned with :func:`gait.track.clean_track`.
    params
        Detection parameters (see :class:`EventParams`).
    view
        The clip's view (:func:`gait.track.clip_view`); a view that is not a side view gives no
        events and a ``view_not_supported`` note.
    """
    return _detect_side(track, view, track_fps(track), params)


def _detect_side(track: PoseTrack, view: TrackView, fps: float, params: EventParams) -> GaitEvents:
    """The side-view method of :func:`detect_events`."""
    if view.view not in ("side_left", "side_right"):
        note = QualityNote(
            "view_not_supported",
            f"The clip was not recognised as a side, rear or front view (detected: {view.view}); "
            "gait events need a side view (camera perpendicular to the running direction) or a "
            "rear or front view (camera behind or in front of the runner at hip height); film "
            "the whole body with the camera held still.",
        )
        return _no_events(view, (*view.quality, note), fps, params)
    sig = runner_signals(track, view.forward_sign)
    motion, ratio = _ground_motion(track, view.forward_sign)
    if motion == "overground" and _is_passby(track):
        return _detect_overground(track, view, fps, params, ratio)
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
        ground_motion=motion,
    )


def _pelvis_and_feet(track: PoseTrack, sign: float) -> tuple[np.ndarray, dict[str, tuple]]:
    """Pelvis and each leg's (heel, toe) forward image positions, in leg lengths.

    Forward position: ``sign`` x image x / the track's leg length.
    """
    leg = leg_length_px(track)
    pelvis = sign * (xy(track, "left_hip")[:, 0] + xy(track, "right_hip")[:, 0]) / 2 / leg
    feet = {
        f: tuple(sign * xy(track, f"{side}_{p}")[:, 0] / leg for p in ("heel", "foot_index"))
        for f, side in (("L", "left"), ("R", "right"))
    }
    return pelvis, feet


def detect_overground_events(
    track: PoseTrack,
    view: TrackView,
    params: EventParams | None = None,
    *,
    ground_fwd: tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]] | None = None,
) -> GaitEvents:
    """Side-view events of an overground pass-by (:func:`_detect_overground`), for a known view.

    Parameters
    ----------
    track
        The cleaned pose track.
    view
        A side view (:func:`gait.track.clip_view`).
    params
        Detection parameters (default :class:`EventParams`).
    ground_fwd
        ``(pelvis, {"L": (heel, toe), "R": (heel, toe)})``: forward positions relative to the
        ground, leg lengths, per frame. None (default): the image positions, which are
        ground-relative for a static camera; a moving camera passes its compensated ones.
    """
    if view.view not in ("side_left", "side_right"):
        raise ConfigError(
            f"Expected a side view for overground events, got {view.view!r}; pass the clip's "
            "view from gait.track.clip_view."
        )
    _, ratio = _ground_motion(track, view.forward_sign)
    return _detect_overground(
        track, view, track_fps(track), params or EventParams(), ratio, ground_fwd
    )


def _is_passby(track: PoseTrack) -> bool:
    """Whether a clip is a pass-by: the runner enters or leaves the frame, or is briefly in view.

    Briefly: for less than :data:`PASSBY_MAX_S`.

    Such clips get the ground-stance method (:func:`_detect_overground`); longer overground clips
    with the runner in view throughout keep the stride template, which needs
    ``params.min_strides`` strides per foot and was validated on them.
    """
    t = track["time"].values.astype(np.float64)
    hips = np.isfinite(xy(track, "left_hip")[:, 0]) & np.isfinite(xy(track, "right_hip")[:, 0])
    span = in_view_span(hips)
    if span.stop - span.start < 2:
        return False
    edge = 3  # frames: what cleaning leaves at a clip's ends
    enters = span.start > edge or span.stop < len(t) - edge
    return bool(enters or t[span.stop - 1] - t[span.start] < PASSBY_MAX_S)


def _ground_motion(track: PoseTrack, sign: float) -> tuple[str, float]:
    """Treadmill or overground (:func:`gait.events._ground.ground_motion`) from the track's positions.

    Those of a static camera, or of a moving camera's track in the ground frame
    (:func:`gait.track._ground_frame.to_ground_frame`), where the background stands still too.
    """
    t = track["time"].values.astype(np.float64)
    pelvis, feet = _pelvis_and_feet(track, sign)
    rel = [(v[0] + v[1]) / 2 - pelvis for v in feet.values()]
    return ground_motion(t, pelvis, rel)


def _detect_overground(
    track: PoseTrack,
    view: TrackView,
    fps: float,
    params: EventParams,
    ratio: float,
    ground_fwd: tuple[np.ndarray, dict[str, tuple]] | None = None,
) -> GaitEvents:
    """Side-view events of a runner crossing the image of a static camera (a pass-by).

    Only the stretch with the runner in view is used (:func:`in_view_span`), and of it only the foot
    landmarks inside the image by :data:`EDGE_MARGIN_LEG` (:func:`_inside_image`). Each leg's stances are
    where its heel or toe stops moving relative to the ground
    (:func:`gait.events._ground.foot_stances`); stances of either label at one place are one footprint,
    and the footprints alternate feet (:func:`footprints`), so MediaPipe's leg labels only choose which
    foot came first. The IC is timed in the foot's deceleration, where its speed falls to
    :data:`gait.events._ground.IC_PEAK_FRACTION` of its swing's peak (robust to MediaPipe's foot slide
    after contact, :func:`gait.validate.passby.slide_feet`), the TO where the speed rises above the
    stance level again; plus :data:`OVERGROUND_IC_OFFSET_S` and :data:`OVERGROUND_TO_OFFSET_S` (fitted
    on the mocap harness's pass-bys, :mod:`gait.validate.passby`). ``ground_fwd`` (pelvis, per-leg heel
    and toe forward positions relative to the ground, leg lengths) defaults to the track's positions,
    which are ground-relative for a static camera and for a moving camera's track in the ground frame
    (:func:`gait.track._ground_frame.to_ground_frame`: the pipeline passes that track, so a stance foot
    stands still in it as before a static camera).
    """
    t_all = track["time"].values.astype(np.float64)
    pelvis, feet = _pelvis_and_feet(track, view.forward_sign) if ground_fwd is None else ground_fwd
    inside = _inside_image(track)
    feet = {
        f: tuple(np.where(inside[f][k], feet[f][k], np.nan) for k in range(2)) for f in ("L", "R")
    }
    span = in_view_span(np.isfinite(pelvis))
    t = t_all[span]
    in_view = (float(t[0]), float(t[-1])) if len(t) else (float("nan"),) * 2
    ok = np.isfinite(pelvis[span])
    speed = float(np.median(np.gradient(pelvis[span][ok], t[ok]))) if ok.sum() >= 4 else np.nan
    stances = [
        s for f in ("L", "R") for s in foot_stances(t, feet[f][0][span], feet[f][1][span], speed, f)
    ]
    rhythm = track_rhythm(track.isel(time=span), view.forward_sign) if len(t) >= 8 else None
    step_guess = rhythm.step_s if rhythm is not None and np.isfinite(rhythm.step_s) else None
    prints = footprints(stances, step_guess, speed)
    ic = np.array([p.ic_s for p in prints]) + OVERGROUND_IC_OFFSET_S
    to = np.array([p.to_s for p in prints]) + OVERGROUND_TO_OFFSET_S
    foot = np.array([p.foot for p in prints])
    # an IC needs the end of the swing before it in view, a TO the start of the next swing after
    early = ic - in_view[0] < EDGE_FRAMES / fps if np.isfinite(fps) else np.zeros(len(ic), bool)
    ic, to, foot = ic[~early], to[~early], foot[~early]
    to = np.where(in_view[1] - to >= EDGE_FRAMES / fps, to, np.nan)
    to = np.where(to - ic > MIN_CONTACT_S, to, np.nan)  # as in _drop_edges
    step_s = float(np.median(np.diff(ic))) if len(ic) >= 2 else float("nan")
    cad, _ = fitted_cadence_spm(ic, step_s) if len(ic) >= 3 else (float("nan"), 0)
    k = step_indices(ic, step_s) if np.isfinite(step_s) else np.zeros(len(ic), int)
    n_steps = int(np.sum(np.diff(k) == 1)) if len(k) >= 2 else 0
    period = 2 * 60.0 / cad if np.isfinite(cad) else None
    rhythm_spm = _rhythm_cadences(rhythm) if rhythm is not None else {}
    running, notes = _overground_checks(ic, to, foot, cad, params)
    agrees, rhythm_notes = rhythm_check(running, cad, rhythm_spm, params)
    near = view.near_foot
    table = _overground_table(track, t_all, ic, to, foot, near, params)
    ground = None
    if running:
        contacts = {
            f: [(a, b) for a, b, g in zip(ic, to, foot, strict=True) if g == f and np.isfinite(b)]
            for f in ("L", "R")
        }
        ground = fit_ground_line(track, contacts, min_span_px=leg_length_px(track))
    ics = {f: ic[foot == f] for f in ("L", "R")}
    dur = in_view[1] - in_view[0]
    followed = track.attrs.get("camera_motion") == "compensated"
    how = (
        "is followed by the camera (overground, measured relative to the background)"
        if followed
        else "crosses the image (overground, static camera)"
    )
    passby = QualityNote(
        "overground_passby",
        f"The runner {how} and is in view for {dur:.1f} s "
        f"({in_view[0]:.2f}-{in_view[1]:.2f} s); {len(ic)} contacts and {n_steps} steps were "
        "measured there, so cadence and per-step figures rest on those few steps (wider "
        "uncertainty than a longer clip). Film 6 strides or more (a treadmill, or the camera "
        "further away) for steadier figures.",
    )
    notes = (
        *view.quality,
        passby,
        *notes,
        *rhythm_notes,
        *_timing_notes(fps, near, table, ics, params),
    )
    return GaitEvents(
        table=table,
        view=view.view,
        direction=view.direction,
        quality=notes,
        running=running,
        detector=OVERGROUND_DETECTOR,
        near_foot=near,
        stride_time_s=period,
        periodicity=float(ratio) if np.isfinite(ratio) else None,
        ground=ground,
        fps=fps,
        params=params,
        rhythm_cadence_spm=rhythm_spm,
        cadence_agrees=agrees,
        ground_motion="overground",
        n_steps=n_steps,
        in_view_s=in_view,
    )


def _inside_image(track: PoseTrack) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per leg label, whether its (heel, toe) is inside the image by :data:`EDGE_MARGIN_LEG`, per frame.

    In the frames' own pixels: a moving camera's ground-frame track is mapped back first
    (:func:`gait.track._ground_frame.from_ground_frame`).
    """
    image = from_ground_frame(track) if track.attrs.get("camera_motion") == "compensated" else track
    w, h = float(track.attrs["image_width_px"]), float(track.attrs["image_height_px"])
    leg = leg_length_px(image)
    margin = EDGE_MARGIN_LEG * leg if np.isfinite(leg) else 0.0
    out = {}
    for f, side in (("L", "left"), ("R", "right")):
        masks = []
        for p in ("heel", "foot_index"):
            x, y = xy(image, f"{side}_{p}").T
            masks.append((x >= margin) & (x <= w - margin) & (y >= margin) & (y <= h - margin))
        out[f] = (masks[0], masks[1])
    return out


def _overground_checks(
    ic: np.ndarray, to: np.ndarray, foot: np.ndarray, cad: float, params: EventParams
) -> tuple[bool, tuple[QualityNote, ...]]:
    """Running? At least :data:`MIN_OVERGROUND_ICS` contacts, a running cadence, a flight phase."""
    if len(ic) < MIN_OVERGROUND_ICS or not np.isfinite(cad):
        return False, (
            QualityNote(
                "too_few_contacts",
                f"Only {len(ic)} ground contact(s) were seen while the runner was in view; a "
                f"cadence needs {MIN_OVERGROUND_ICS} (about one stride). Film a longer stretch "
                "of the run: stand the camera further back, or film on a treadmill.",
            ),
        )
    note = cadence_note(cad, params)
    if note is not None:
        return False, (note,)
    contact = to - ic
    step = 60.0 / cad
    ok = np.isfinite(contact)
    note = flight_note(float(np.median(contact[ok])) / (2 * step), params) if ok.any() else None
    return (False, (note,)) if note is not None else (True, ())


def _overground_table(
    track: PoseTrack,
    time_s: np.ndarray,
    ic: np.ndarray,
    to: np.ndarray,
    foot: np.ndarray,
    near: str | None,
    params: EventParams,
) -> pd.DataFrame:
    """Events table of a pass-by; confidence = leg visibility near the event x far-foot factor."""
    frames = (
        track["frame"].values.astype(np.int64)
        if "frame" in track.coords
        else np.arange(len(time_s))
    )
    rows = []
    for kind, times in (("IC", ic), ("TO", to)):
        for t, f in zip(times, foot, strict=True):
            if not np.isfinite(t):
                continue
            side = "left" if f == "L" else "right"
            names = [f"{side}_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
            m = np.abs(time_s - t) <= 0.1
            vis = track["confidence"].sel(keypoint=names).values[m]
            v = float(np.nanmean(vis)) if np.isfinite(vis).any() else 0.5
            factor = params.far_foot_factor if near is not None and f != near else 1.0
            k = int(np.argmin(np.abs(time_s - t)))
            rows.append(
                {
                    "foot": str(f),
                    "type": kind,
                    "frame": int(frames[k]),
                    "time_s": float(t),
                    "confidence": float(np.clip(v * factor, 0, 1)),
                }
            )
    if not rows:
        return empty_table()
    table = pd.DataFrame(rows).astype({"frame": np.int64})
    return table.sort_values(["time_s", "foot"], kind="stable").reset_index(drop=True)


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
