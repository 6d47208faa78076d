"""Gait events from a rear (or front) view: vertical motion of the foot-index landmark.

Seen from behind a treadmill with the camera at about hip height, a point on the belt comes
towards the camera during stance, so it moves *down* the image (perspective: a ground point at
depth ``D`` sits ``f h / D`` below the horizon). After toe-off the foot rises and moves up the
image; late in swing it reaches forward (away from the camera, up the image) and then descends to
the belt. The foot-index landmark is therefore highest in the image (a minimum of image y) just
before initial contact and lowest (a maximum of y) just after toe-off. Both extremes are found
once per stride, refined to sub-frame time by a parabola, and shifted by offsets measured on the
mocap harness (:func:`gait.validate.run_rear_validation`).

Seen from the front the belt carries the stance foot away from the camera and the roles of the two
extremes swap (:data:`RULES`): the swing foot reaches towards the camera and down, so the *heel*
is lowest in the image at contact (5-15 ms before it on the harness, SD 12-22 ms; the toe's
lowest point is 17-23 ms after contact and noisier), and the toe is highest in the image 170 ms
after toe-off (SD 13-20 ms), so front-view contact times are low confidence. Validation:
``tests/benchmarks/front_view.py``.

The same vertical-position idea is used for sagittal video by DeWitt (2010, toe height for
toe-off) and Fellin et al. (2010, heel vertical position for foot strike); the perspective cue is
ours.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gait.events._checks import cadence_note, rhythm_check, running_checks
from gait.events._cycles import fill_nans, stride_period
from gait.events._types import EVENT_COLUMNS, EventParams, GaitEvents, empty_table
from gait.notes import QualityNote
from gait.skeleton import SIDES
from gait.track import PoseTrack
from gait.track._rhythm import FIRST_PEAK_FRACTION, MIN_STEP_S, first_peak_period, xy
from gait.track.view import TrackView

REAR_DETECTOR = "frontal-toe-height/1"
FRONT_DETECTOR = "frontal-foot-height/front/1"
#: Toe highest in the image -> force-plate IC, seconds. On the harness the extreme came 29-39 ms
#: before contact (three trials, 30-240 fps; the foot is already retracting towards the belt).
IC_OFFSET_S = 0.034
#: Toe lowest in the image -> force-plate TO, seconds. The extreme came 26-60 ms after toe-off
#: (the foot keeps travelling back with the belt's momentum while it lifts); this trial-to-trial
#: spread makes contact times from a rear view low confidence.
TO_OFFSET_S = -0.045
#: Largest share of the stride between an IC and its TO.
MAX_CONTACT_FRACTION = 0.6
#: Largest change of the runner's apparent size (ratio of the 90th to the 10th percentile of the fitted body
#: scale over the frames that show the legs) still treated as a treadmill clip. On a treadmill it stays within a few %
#: (harness: 1.00); overground away from or towards the camera it grows by 2-4 in 3 s (harness,
#: 2.4-3.5 m/s from 3 m; the real rear clip of ``shared/data/clips``: 2.5).
MAX_SCALE_RATIO = 1.3
#: Front view: heel lowest in the image -> force-plate IC, seconds. Seen from the front the swing
#: foot reaches towards the camera and descends (down the image) until contact, then the belt
#: carries it away (up the image). On the harness (three trials, 30-240 fps, MediaPipe-sized
#: noise) the heel's lowest point came 5-15 ms before contact, SD 12-22 ms
#: (``tests/benchmarks/front_view.py``).
FRONT_IC_OFFSET_S = 0.011
#: Front view: foot index highest in the image -> force-plate TO, seconds. The toe's highest point
#: comes late, 170 +- 13-20 ms after toe-off (the foot keeps rising while it is carried back and
#: then swings forward), so front-view contact times are low confidence.
FRONT_TO_OFFSET_S = -0.171


@dataclass(frozen=True)
class _Rule:
    """Which landmark's vertical extreme marks IC and TO in a view, and the offsets to add."""

    ic_keypoint: str
    to_keypoint: str
    approach: float  # +1: the stance foot comes towards the camera (rear view), -1: away (front)
    ic_offset_s: float
    to_offset_s: float
    detector: str


RULES = {
    "rear": _Rule("foot_index", "foot_index", 1.0, IC_OFFSET_S, TO_OFFSET_S, REAR_DETECTOR),
    "front": _Rule(
        "heel", "foot_index", -1.0, FRONT_IC_OFFSET_S, FRONT_TO_OFFSET_S, FRONT_DETECTOR
    ),
}


def _toe_y(track: PoseTrack, side: str, part: str = "foot_index") -> np.ndarray:
    pos = track["position"].sel(keypoint=f"{side}_{part}", space="y")
    return pos.values.astype(np.float64)


#: Overground from behind or in front, the contacts' cadence must agree with the pelvis's step
#: rhythm (:func:`frontal_rhythm_spm`) within this fraction, else the contacts are not trusted.
#: Harness (2 runners x 2 seeds, rear/front, ground/hip height, 30/60 fps, with and without the
#: frontal label errors, 64 clips): the rhythm is within 2.2 % of the force plates' cadence on every
#: clip; the contacts' cadence is within 7.3 % of the rhythm except on one clip whose contacts are
#: 11 % off the force plates (flagged, rightly).
FRONTAL_RHYTHM_AGREEMENT = 0.10
#: Window of the moving average taken off the pelvis height before its rhythm is read, s: it removes
#: the perspective's slow drift (the runner shrinking or growing) and keeps the step bounce (~0.35 s).
RHYTHM_DETREND_S = 0.6
#: Least autocorrelation at the step lag for the pelvis rhythm to count (as gait.track's consensus).
MIN_RHYTHM_STRENGTH = 0.3
#: Longest step period searched for the pelvis rhythm, s (60 steps/min; slower is not running).
MAX_RHYTHM_STEP_S = 1.0


def frontal_rhythm_spm(track: PoseTrack, scale_px: np.ndarray) -> dict[str, float]:
    """The step rhythm of the pelvis's bounce seen from behind or in front, steps/min (label-free).

    The hip midpoint's height over the runner's size in that frame (``scale_px``, from
    :func:`body_scale_px`), with its slow drift taken off (:data:`RHYTHM_DETREND_S`), read at its first
    autocorrelation peak as gait.track's side-view rhythm is. ``{"bob": spm, "consensus": spm}``, or
    ``{}`` when it is too short, flat or not periodic (:data:`MIN_RHYTHM_STRENGTH`).
    """
    t = track["time"].values.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        bob = -(xy(track, "left_hip")[:, 1] + xy(track, "right_hip")[:, 1]) / 2 / scale_px
    ok = np.isfinite(bob)
    if ok.sum() < 8:
        return {}
    dt = float(np.median(np.diff(t)))
    width = max(3, int(round(RHYTHM_DETREND_S / dt)) | 1)
    filled = np.interp(t, t[ok], bob[ok])
    trend = np.convolve(np.pad(filled, width // 2, mode="edge"), np.ones(width) / width, mode="valid")
    step_s, strength = first_peak_period(t, filled - trend, MIN_STEP_S, MAX_RHYTHM_STEP_S, FIRST_PEAK_FRACTION)
    if not np.isfinite(step_s) or strength < MIN_RHYTHM_STRENGTH:
        return {}
    return {"bob": 60.0 / step_s, "consensus": 60.0 / step_s}


def body_scale_px(track: PoseTrack) -> np.ndarray:
    """The runner's leg length in pixels per frame, fitted as a smooth function of time.

    A runner at constant speed towards or away from a static camera has a depth linear in time, so
    his apparent size is ``1 / (a + b t)``. That model is fitted (robustly: iteratively
    reweighted least squares) to 1 / (thigh + shank length in px, mean of both legs) over the
    frames where it is measured. The fit smooths out the periodic foreshortening of the legs
    (from behind or in front the thigh points towards the camera during swing: the per-frame leg
    length varies by +-25 % within a stride) and needs only the legs, so frames where only the
    legs are in view count. On a treadmill ``b`` is ~0 and the scale constant.

    Parameters
    ----------
    track
        A pose track (any view); uses the hips, knees and ankles.

    Returns
    -------
    numpy.ndarray
        ``(n_frames,)`` px, NaN everywhere when fewer than 8 frames have a leg length.
    """
    pos = track["position"]
    legs = []
    for side in ("left", "right"):
        hip, knee, ankle = (
            pos.sel(keypoint=f"{side}_{j}").transpose("time", "space").values.astype(np.float64)
            for j in ("hip", "knee", "ankle")
        )
        legs.append(np.linalg.norm(hip - knee, axis=1) + np.linalg.norm(knee - ankle, axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        leg = np.nanmean(np.stack(legs), axis=0)
    t = track["time"].values.astype(np.float64)
    ok = np.isfinite(leg) & (leg > 0)
    if ok.sum() < 8:
        return np.full(len(t), np.nan)
    inv, tt = 1.0 / leg[ok], t[ok]
    design = np.stack([np.ones_like(tt), tt - tt[0]], axis=1)
    weight = np.ones(len(tt))
    for _ in range(5):
        coef = np.linalg.lstsq(design * weight[:, None], inv * weight, rcond=None)[0]
        resid = inv - design @ coef
        mad = float(np.median(np.abs(resid))) + 1e-12
        weight = 1.0 / np.maximum(1.0, np.abs(resid) / (2.0 * mad))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / (coef[0] + coef[1] * (t - tt[0]))
    return np.where(scale > 0, scale, np.nan)


def _overground_note(track: PoseTrack, view: str) -> QualityNote | None:
    """A note when the runner's apparent size changes: overground towards or away from the camera."""
    scale = body_scale_px(track)
    leg_seen = np.isfinite(track["position"].sel(keypoint=["left_knee", "right_knee"]).values)
    ok = np.isfinite(scale) & leg_seen.any(axis=(1, 2))
    if ok.sum() < 8:
        return None
    # the fit's 10th and 90th percentiles over the frames that show the legs: a few frames at the
    # clip's ends (the runner stepping into view) cannot make the ratio
    lo, hi = np.percentile(scale[ok], [10, 90])
    growing = scale[ok][-1] > scale[ok][0]
    first, last = (lo, hi) if growing else (hi, lo)
    ratio = hi / lo
    if ratio <= MAX_SCALE_RATIO:
        return None
    way = "away from" if last < first else "towards"
    return QualityNote(
        "frontal_overground",
        f"The runner runs {way} the camera (his legs go from {first:.0f} to {last:.0f} px long): "
        f"gait events from a {view} view are validated on a treadmill only, where the feet's "
        "vertical motion marks the contacts; overground it does not (the stance foot rests on "
        "the ground). Film the run from the side, or on a treadmill from behind or in front.",
    )


def _visibility(track: PoseTrack, side: str) -> np.ndarray:
    names = [f"{side}_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
    vis = track["confidence"].sel(keypoint=names).values.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames give NaN
        return np.nanmean(vis, axis=1)


def _extremes(time_s: np.ndarray, y: np.ndarray, period_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Sub-frame times and prominences of the maxima of ``y``, one per stride at most."""
    ok = np.isfinite(y)
    if ok.sum() < 8:
        return np.empty(0), np.empty(0)
    z = fill_nans(y)
    dt = float(np.median(np.diff(time_s)))
    lo, hi = np.percentile(z, [5, 95])
    from scipy.signal import find_peaks  # lazy: scipy.signal's import (~1 s) is not paid by `gait pose`

    peaks, props = find_peaks(
        z, distance=max(1, int(0.6 * period_s / dt)), prominence=max((hi - lo) / 4, 1e-9)
    )
    keep = (peaks > 0) & (peaks < len(z) - 1) & ok[np.clip(peaks, 0, len(z) - 1)]
    peaks, prom = peaks[keep], props["prominences"][keep]
    times = np.empty(len(peaks))
    for i, k in enumerate(peaks):
        a, b, c = z[k - 1], z[k], z[k + 1]
        den = a - 2 * b + c
        frac = 0.5 * (a - c) / den if den < 0 else 0.0
        times[i] = np.interp(k + frac, np.arange(len(time_s)), time_s)
    return times, prom


def _pair(ic: np.ndarray, to: np.ndarray, period_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Each IC with the first TO after it within the largest contact; unpaired TOs are dropped."""
    out = np.full(len(ic), np.nan)
    for i, t in enumerate(ic):
        after = to[(to > t + 0.05) & (to < t + MAX_CONTACT_FRACTION * period_s)]
        if len(after):
            out[i] = after[0]
    return ic, out


def _foot_table(
    time_s: np.ndarray,
    frame: np.ndarray,
    y_ic: np.ndarray,
    y_to: np.ndarray,
    vis: np.ndarray,
    foot: str,
    period_s: float,
    rule: _Rule,
) -> pd.DataFrame:
    """IC and TO rows of one foot (image y of the IC and TO landmarks, :data:`RULES`)."""
    approach = rule.approach
    ic_raw, ic_prom = _extremes(time_s, -approach * y_ic, period_s)
    to_raw, to_prom = _extremes(time_s, approach * y_to, period_s)
    ic_s, to_s = _pair(ic_raw + rule.ic_offset_s, to_raw + rule.to_offset_s, period_s)
    to_prom_map = dict(zip(to_raw + rule.to_offset_s, to_prom, strict=True))
    rows = []
    for kind, times, prom in (
        ("IC", ic_s, ic_prom),
        ("TO", to_s, np.array([to_prom_map.get(t, np.nan) for t in to_s])),
    ):
        ok = np.isfinite(times) & (times >= time_s[0]) & (times <= time_s[-1])
        if not ok.any():
            continue
        med = float(np.nanmedian(prom[ok])) if np.isfinite(prom[ok]).any() else 1.0
        for t, p in zip(times[ok], prom[ok], strict=True):
            near = np.abs(time_s - t) <= 0.1
            v = float(np.nanmean(vis[near])) if np.isfinite(vis[near]).any() else 0.5
            shape = min(1.0, float(p) / med) if np.isfinite(p) and med > 0 else 0.5
            rows.append(
                (foot, kind, int(frame[np.argmin(np.abs(time_s - t))]), float(t), v * shape)
            )
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))


def _period(time_s: np.ndarray, ys: dict[str, np.ndarray]) -> tuple[float, float]:
    candidates = [
        stride_period(time_s, ys["L"] - ys["R"]),
        stride_period(time_s, ys["L"]),
        stride_period(time_s, ys["R"]),
    ]
    good = [c for c in candidates if np.isfinite(c[0])]
    return max(good, key=lambda c: c[1]) if good else (float("nan"), 0.0)


def detect_frontal_events(
    track: PoseTrack, view: TrackView, fps: float, params: EventParams = EventParams()
) -> GaitEvents:
    """Initial contacts and toe-offs of both feet from a rear- or front-view track.

    Parameters
    ----------
    track
        A cleaned pose track filmed from behind (or in front of) the runner.
    view
        Its view (``view.view`` is ``"rear"`` or ``"front"``), detected or given by the user.
    fps
        The track's frame rate.
    params
        The same parameters as the side view; the running checks (periodicity, alternation,
        cadence range, flight phase) use them unchanged.

    Returns
    -------
    GaitEvents
        The same contract as :func:`gait.events.detect_events` for side views; ``near_foot`` is
        None (neither foot is nearer the camera) and ``ground`` None; ``detector`` is
        :data:`REAR_DETECTOR` or :data:`FRONT_DETECTOR` (the rule of :data:`RULES` used).

    Raises
    ------
    ValueError
        When ``view.view`` is neither ``"rear"`` nor ``"front"``.

    Notes
    -----
    Method: see the module docstring. Confidence of an event = mean MediaPipe visibility of the
    leg within 0.1 s, times min(1, prominence of its extreme / the foot's median prominence).

    When it works: treadmill running filmed from behind or in front with a fixed camera near hip
    height, feet in view; at every frame rate from 30 fps (validated on the RBDS mocap projected to
    a virtual rear camera: IC within about +-10 ms SD; front camera: IC 95 % limits about +-35 ms
    at 30-120 fps, +-25 ms at 240 fps, ``tests/benchmarks/front_view.py``).

    Overground running away from or towards the camera (the stance foot does not approach the
    camera, so the extremes lose their meaning) is detected from the runner's apparent size
    (:func:`body_scale_px` changing by more than :data:`MAX_SCALE_RATIO`) and handed to
    :mod:`gait.events._rear_overground` (contacts where the heel comes to rest in the picture; ICs
    only); when its contacts do not alternate it says so with the note ``frontal_overground``.

    When it fails: a camera at foot height (the
    perspective cue vanishes); feet hidden by the treadmill console or each other. Toe-off is
    later than force-plate toe-off by a trial-dependent 26-60 ms (front view: 170 ms) before the
    offset correction, so contact and flight times from a rear or front view are low confidence.
    """
    time_s = track["time"].values.astype(np.float64)
    frame = (
        track["frame"].values.astype(np.int64)
        if "frame" in track.coords
        else np.arange(len(time_s))
    )
    if view.view not in RULES:
        raise ValueError(f"Expected a rear or front view, got {view.view!r}.")
    rule = RULES[view.view]
    overground = _overground_note(track, view.view)
    if overground is not None:
        return _overground_events(track, view, fps, params, frame)
    ys = {f: _toe_y(track, side) for f, side in SIDES}
    period, strength = _period(time_s, ys)
    if not np.isfinite(period) or strength < params.min_periodicity:
        note = QualityNote(
            "no_periodicity",
            "No steady stride rhythm was found, so this does not look like running (standing, "
            "turning, or too few strides in view). Film at least 6 strides of steady running.",
        )
        return _result(
            empty_table(), view, (*view.quality, note), False, fps, params, period, strength, rule
        )
    cad = 120.0 / period  # 2 steps per stride; clearly outside the range: stop before events
    early = cadence_note(cad, params)
    if (
        early is not None
        and not 0.85 * params.min_cadence_spm <= cad <= 1.15 * params.max_cadence_spm
    ):
        return _result(
            empty_table(), view, (*view.quality, early), False, fps, params, period, strength, rule
        )
    parts = [
        _foot_table(
            time_s,
            frame,
            _toe_y(track, side, rule.ic_keypoint),
            _toe_y(track, side, rule.to_keypoint),
            _visibility(track, side),
            f,
            period,
            rule,
        )
        for f, side in SIDES
    ]
    table = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(map(len, parts))
        else empty_table()
    )
    table = table.astype({"frame": np.int64, "time_s": float, "confidence": float})
    table = table.sort_values(["time_s", "foot"], kind="stable").reset_index(drop=True)
    ics = {f: _of(table, f, "IC") for f in ("L", "R")}
    tos = {f: _paired_to(table, f, ics[f], period) for f in ("L", "R")}
    running, notes = running_checks(ics, tos, period, strength, params)
    timing = QualityNote(
        "frontal_view_timing",
        "Events were timed from a rear/front view (vertical foot motion): cadence and step times "
        "are reliable, contact and flight times are approximate. Add a side-view clip for them.",
    )
    return _result(
        table, view, (*view.quality, *notes, timing), running, fps, params, period, strength, rule
    )


def _overground_events(
    track: PoseTrack, view: TrackView, fps: float, params: EventParams, frame: np.ndarray
) -> GaitEvents:
    """Contacts of a runner running away from or towards the camera (:mod:`gait.events._rear_overground`)."""
    from gait.events import _rear_overground as og

    scale = body_scale_px(track)
    table = og.overground_table(track, scale, frame)
    table = table.astype({"frame": np.int64, "time_s": float, "confidence": float})
    table = table.sort_values(["time_s", "foot"], kind="stable").reset_index(drop=True)
    ics = {f: _of(table, f, "IC") for f in ("L", "R")}
    all_ic = np.sort(np.concatenate(list(ics.values())))
    steps = np.diff(all_ic)
    steps = steps[(steps >= og.MIN_STEP_S) & (steps <= og.MAX_STEP_S)]
    period = 2.0 * float(np.median(steps)) if len(steps) else float("nan")
    tos = {f: np.full(len(ics[f]), np.nan) for f in ("L", "R")}
    strength = 1.0 if len(steps) >= 2 else 0.0
    rule = _Rule("foot_index", "foot_index", 0.0, og.IC_OFFSET_S, 0.0, og.OVERGROUND_DETECTOR)
    if not np.isfinite(period):
        note = QualityNote(
            "frontal_overground",
            "The runner runs away from or towards the camera and fewer than 3 contacts were found where "
            "the feet come to rest. Film at least 6 steps with the feet in view, or film from the side.",
        )
        return _result(empty_table(), view, (*view.quality, note), False, fps, params, period, 0.0, rule)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no toe-offs overground: the duty factor is NaN
        running, notes = running_checks(ics, tos, period, strength, params)
    rhythm = frontal_rhythm_spm(track, scale).get("consensus", float("nan"))
    contacts_spm = 120.0 / period
    if running and np.isfinite(rhythm) and abs(contacts_spm / rhythm - 1) > FRONTAL_RHYTHM_AGREEMENT:
        running = False
        notes = (
            *notes,
            QualityNote(
                "cadence_disagreement",
                f"The contacts found give {contacts_spm:.0f} steps/min but the pelvis's bounce gives "
                f"{rhythm:.0f}: some contacts are missed or mistimed.",
            ),
        )
    if not running:
        # the feet's rest points did not give an alternating rhythm: say what is missing, not "jumping"
        why = "; ".join(_lower_first(n.message.split(".")[0]) for n in notes if n.code != "not_alternating")
        note = QualityNote(
            "frontal_overground",
            f"The runner runs {'away from' if view.view == 'rear' else 'towards'} the camera and the "
            f"contacts where each foot comes to rest could not be timed reliably ({len(all_ic)} found"
            f"{'; ' + why if why else ''}). Film from the side, or with the camera at hip height and the "
            "runner filling more of the picture.",
        )
        kept = tuple(n for n in notes if n.code not in ("not_alternating", "no_periodicity", "cadence_disagreement"))
        # a running rhythm without trustworthy contacts is said, with its cadence (never silently "not running")
        _, bounce = rhythm_check(False, float("nan"), {"consensus": rhythm}, params)
        return _result(
            table, view, (*view.quality, *kept, note, *bounce), False, fps, params, period, strength, rule
        )
    way = QualityNote(
        "frontal_overground_timing",
        f"The runner runs {'away from' if view.view == 'rear' else 'towards'} the camera: contacts were "
        f"timed where each foot comes to rest in the picture ({len(all_ic)} contacts); cadence and step "
        "times are measured, contact and flight times are not. Film from the side for them.",
    )
    return _result(table, view, (*view.quality, *notes, way), running, fps, params, period, strength, rule)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _of(table: pd.DataFrame, foot: str, kind: str) -> np.ndarray:
    sel = (table["foot"] == foot) & (table["type"] == kind)
    return np.sort(table.loc[sel, "time_s"].to_numpy(float))


def _paired_to(table: pd.DataFrame, foot: str, ics: np.ndarray, period: float) -> np.ndarray:
    """TO times aligned with ``ics`` (NaN where a contact has none), for the duty-factor check."""
    return _pair(ics, _of(table, foot, "TO"), period)[1]


def _result(
    table: pd.DataFrame,
    view: TrackView,
    notes: tuple[QualityNote, ...],
    running: bool,
    fps: float,
    params: EventParams,
    period: float,
    strength: float,
    rule: _Rule,
) -> GaitEvents:
    return GaitEvents(
        table=table,
        view=view.view,
        direction=None,
        quality=notes,
        running=running,
        detector=rule.detector,
        near_foot=None,
        stride_time_s=period if np.isfinite(period) else None,
        periodicity=strength,
        ground=None,
        fps=fps,
        params=params,
    )
