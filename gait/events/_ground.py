"""The ground line: where the feet stand in mid-stance, as a line in the image."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
        toe_da = track["position"].sel(keypoint=f"{side}_foot_index").transpose("time", "space")
        toe = toe_da.values.astype(np.float64)
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


# --- overground: contacts where the foot stops moving relative to the ground -----------------

#: A foot is in stance while its forward velocity relative to the ground is below this fraction
#: of the running speed (late swing: ~2x the running speed; stance: ~0).
STANCE_SPEED_FRACTION = 0.35
#: Initial contact in the foot's deceleration, not at its end: where, going back from the stance
#: (:data:`STANCE_SPEED_FRACTION`), the foot's ground-relative speed last exceeded this fraction
#: of its swing's peak speed (the fastest within :data:`SWING_LOOKBACK_S` before; never below the
#: stance level; 0 = the stance level's crossing, the rule before). MediaPipe's feet slide on
#: past the contact and stop late: on the sample treadmill clip (hand-annotated contacts,
#: belt-relative) the heel is the mocap heel through a 5.5 Hz second-order low-pass, which puts
#: the stance level's crossing ~50 ms after the force-plate contact (the harness's foot slide,
#: :func:`gait.validate.passby.slide_feet`). On the harness's pass-bys with that slide (static
#: camera, severity 0, 16 clips at 30 and 60 fps) the IC error (median) of each fraction: 0 (the
#: stance level) +50 ms, 0.3 +32 ms, 0.4 +20 ms, 0.5 +9 ms; ICs within 1 frame at 30 / 60 fps
#: (24 other clips, ``tests/benchmarks/passby.py --slide-hz 5.5``): 0.5 90 / 70 %, 0.55 90 / 88 %,
#: 0.6 90 / 86 %. Without the slide 0.55 is ~40 ms early: a delay this shape of stop cannot tell
#: apart from none, so the measured slide is assumed. Relative to the swing's own peak rather than
#: to the running speed, the level does not depend on the pelvis-speed estimate (perspective, a
#: moving camera's residual motion).
IC_PEAK_FRACTION = 0.55
#: The swing's peak taken when the view starts in a foot's deceleration (its fastest seen frame
#: is the first), multiples of the running speed: the median over the harness's pass-bys (the
#: RBDS feet, the slower of heel and toe, ground-relative, 2.5 and 3.5 m/s; 30 and 60 fps): 2.2.
TYPICAL_SWING_PEAK = 2.2
#: Gaussian smoothing (s, 1 SD) of the ground-relative positions before differentiating: a fixed
#: time so that the velocity noise does not grow with the frame rate.
SMOOTH_S = 0.012

#: Shortest stance counted, seconds (running contacts last 0.15-0.30 s).
MIN_STANCE_S = 0.07
#: A stance needs the foot swinging forward (faster than the runner) within this time before it.
SWING_LOOKBACK_S = 0.25
#: Two stances (from either leg label) closer than this (leg lengths) and overlapping in time are
#: one footprint (a far foot drawn on the near one shows the same stance twice).
SAME_FOOTPRINT_LEG = 0.35
#: Least pelvis image speed relative to the feet's speed about the pelvis for "overground"
#: (:func:`ground_motion`): ~1 for a static camera overground, ~0 on a treadmill.
OVERGROUND_RATIO = 0.5


#: Least pelvis image speed (leg lengths/s, about 0.9 m/s) for "overground" when the feet are
#: not seen (:func:`ground_motion`); a treadmill runner drifts by less than 0.3.
OVERGROUND_MIN_SPEED = 1.0


def in_view_span(present: np.ndarray, max_gap: int = 3) -> slice:
    """The longest run of frames with the runner in view (``present``), gaps up to ``max_gap``.

    Returns an empty slice when no frame shows the runner.
    """
    idx = np.flatnonzero(present)
    if not len(idx):
        return slice(0, 0)
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.r_[0, breaks + 1]
    stops = np.r_[breaks, len(idx) - 1]
    k = int(np.argmax(idx[stops] - idx[starts]))
    return slice(int(idx[starts[k]]), int(idx[stops[k]]) + 1)


def ground_motion(
    time_s: np.ndarray, pelvis_fwd: np.ndarray, feet_rel: list[np.ndarray]
) -> tuple[str, float]:
    """``"overground"`` or ``"treadmill"``, and the ratio behind it.

    ``pelvis_fwd`` and ``feet_rel`` in leg lengths (the fallback without feet needs that unit).

    The ratio is the pelvis's median forward image speed divided by the median speed of the feet
    about the pelvis (any unit, the same for all). A treadmill runner stays in place while his feet
    swing about him (ratio ~0); overground, seen by a static camera, the pelvis crosses the image
    at the running speed, which is also the speed of each foot about the pelvis in stance and
    about that in swing (ratio ~1).
    """
    ok = np.isfinite(pelvis_fwd)
    if ok.sum() < 4:
        return "treadmill", float("nan")
    v_pelvis = abs(float(np.median(np.gradient(pelvis_fwd[ok], time_s[ok]))))
    speeds = []
    for rel in feet_rel:
        m = np.isfinite(rel)
        if m.sum() >= 4:
            speeds.append(np.abs(np.gradient(rel[m], time_s[m])))
    if not speeds:  # feet out of view: the pelvis's own speed (leg lengths/s) decides
        moving = v_pelvis >= OVERGROUND_MIN_SPEED
        return ("overground" if moving else "treadmill"), float("nan")
    v_feet = float(np.median(np.concatenate(speeds)))
    ratio = v_pelvis / v_feet if v_feet > 0 else float("nan")
    return (
        "overground" if np.isfinite(ratio) and ratio >= OVERGROUND_RATIO else "treadmill"
    ), ratio


def _smooth(time_s: np.ndarray, y: np.ndarray, sd_s: float) -> np.ndarray:
    """Gaussian smoothing over the finite samples (NaN stays NaN); frames taken as uniform."""
    from scipy.ndimage import gaussian_filter1d

    ok = np.isfinite(y)
    if ok.sum() < 2:
        return y.copy()
    dt = float(np.median(np.diff(time_s)))
    sd = sd_s / dt
    if sd < 0.3:
        return y.copy()
    idx = np.arange(len(y))
    filled = np.interp(idx, idx[ok], y[ok])
    return np.where(ok, gaussian_filter1d(filled, sd, mode="nearest"), np.nan)


def ground_velocity(time_s: np.ndarray, fwd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward velocity of a ground-relative position at each frame (smoothed, :data:`SMOOTH_S`).

    Central differences over the finite frames. (Frame-to-frame differences at the midpoints
    were tried: on the harness's pass-bys at 30 fps they doubled the IC spread, 6.9 -> 14.5 ms.)

    Returns
    -------
    time_s, velocity
        The frame times and velocities (NaN where the position is missing).
    """
    y = _smooth(time_s, fwd, SMOOTH_S)
    v = np.full(len(y), np.nan)
    ok = np.isfinite(y)
    if ok.sum() >= 3:
        v[ok] = np.gradient(y[ok], time_s[ok])
    return time_s, v


@dataclass(frozen=True)
class Stance:
    """One stance seen on one labelled leg: onset and end times (s), footprint position.

    ``ic_s`` is in the foot's deceleration into the stance (:data:`IC_PEAK_FRACTION`), ``to_s``
    where its ground-relative speed rises above :data:`STANCE_SPEED_FRACTION` of the running speed
    (sub-frame, before any offset; ``to_s`` NaN when the stance runs to the end of the view);
    ``position`` is the median ground-relative forward position during it (leg lengths); ``foot``
    the leg label that showed it.
    """

    foot: str
    ic_s: float
    to_s: float
    position: float
    timed: bool = True
    """False for a stance entered from frames where the foot is not seen (a dropout over the
    landing): a footprint whose IC cannot be timed (``ic_s`` is its first seen frame)."""


#: Longest rise above the stance level inside a stance that is bridged as noise, seconds, if the
#: foot stays slower than the running speed in it (a toe-off rises through it for good).
BLIP_S = 0.04


def _bridge_blips(tm: np.ndarray, u: np.ndarray, below: np.ndarray) -> np.ndarray:
    """``below`` with short rises (:data:`BLIP_S`, all finite and under 1x speed) between stance frames filled."""
    out = below.copy()
    n = len(u)
    k = 1
    while k < n - 1:
        if below[k - 1] and not below[k] and np.isfinite(u[k]):
            j = k
            while j + 1 < n and not below[j + 1] and np.isfinite(u[j + 1]):
                j += 1
            if j + 1 < n and below[j + 1] and tm[j] - tm[k] <= BLIP_S - 1e-9 and np.max(u[k : j + 1]) < 1.0:
                out[k : j + 1] = True
            k = j + 1
        k += 1
    return out


def _crossing(t0: float, t1: float, u0: float, u1: float, level: float) -> float:
    if not (np.isfinite(u0) and np.isfinite(u1)) or u0 == u1:
        return t1
    return float(t0 + (u0 - level) / (u0 - u1) * (t1 - t0))


def _onset(tm: np.ndarray, u: np.ndarray, k: int, ic: float) -> tuple[float, bool]:
    """The last crossing of :data:`IC_PEAK_FRACTION` x the swing's peak before frame ``k``, and whether it was seen.

    ``ic`` (the stance level's crossing) when the fraction is 0 or no swing is seen above the
    level within :data:`SWING_LOOKBACK_S`; not seen (False) when the foot is missing in the
    deceleration (between that level and the stance, or frames are missing and no swing faster
    than the runner is seen).
    """
    window = (tm < tm[k]) & (tm >= tm[k] - SWING_LOOKBACK_S)
    before = window & np.isfinite(u)
    if not before.any():
        return ic, False
    if float(np.max(u[before])) <= 1.0 and not np.isfinite(u[window]).all():
        return ic, False  # no swing seen, frames missing before the stance
    if not IC_PEAK_FRACTION > 0:
        return ic, True
    peak = float(np.max(u[before]))
    first = int(np.flatnonzero(np.isfinite(u))[0])
    if int(np.flatnonzero(before)[np.argmax(u[before])]) == first:
        peak = max(peak, TYPICAL_SWING_PEAK)  # the view starts in the deceleration
    onset = max(IC_PEAK_FRACTION * peak, STANCE_SPEED_FRACTION)
    if not onset > STANCE_SPEED_FRACTION:
        return ic, True
    i = k - 1
    while i >= 0 and np.isfinite(u[i]) and u[i] < onset and tm[k] - tm[i] <= SWING_LOOKBACK_S:
        i -= 1
    if i >= 0 and not np.isfinite(u[i]):
        return ic, False
    if i < 0 or u[i] < onset:
        return ic, True
    return _crossing(tm[i], tm[i + 1], u[i], u[i + 1], onset), True


def foot_stances(
    time_s: np.ndarray,
    heel_fwd: np.ndarray,
    toe_fwd: np.ndarray,
    speed: float,
    foot: str,
) -> list[Stance]:
    """Stances of one leg from its ground-relative heel and toe forward positions.

    Parameters
    ----------
    time_s
        Frame times (true timestamps), seconds.
    heel_fwd, toe_fwd
        Forward positions relative to the ground, leg lengths (static camera: the image position
        times the facing sign over the leg length; a moving camera: after removing its motion).
    speed
        Running speed relative to the ground, leg lengths/s (> 0).
    foot
        The leg label, carried into each :class:`Stance`.

    Returns
    -------
    list of Stance
        A stance is a run of frames where the slower of heel and toe moves forward at less than
        :data:`STANCE_SPEED_FRACTION` x ``speed``, at least :data:`MIN_STANCE_S` long, entered
        from a swing (faster than ``speed`` within :data:`SWING_LOOKBACK_S`). Its ``ic_s`` is in
        the deceleration into it: the last crossing of :data:`IC_PEAK_FRACTION` x the swing's
        peak speed within :data:`SWING_LOOKBACK_S` before it (the stance level's crossing when
        the fraction is 0 or there is no such crossing). ``to_s`` is the stance level's crossing.
    """
    if not (np.isfinite(speed) and speed > 0):
        return []
    tm, vh = ground_velocity(time_s, heel_fwd)
    _, vt = ground_velocity(time_s, toe_fwd)
    u = np.fmin(vh, vt) / speed  # fmin: one landmark missing leaves the other
    level = STANCE_SPEED_FRACTION
    below = _bridge_blips(tm, u, np.isfinite(u) & (u < level))
    out = []
    k, n = 1, len(u)
    while k < n:
        if below[k] and not below[k - 1]:
            j = k
            while j + 1 < n and (below[j + 1] or not np.isfinite(u[j + 1])):
                j += 1
            while j > k and not np.isfinite(u[j]):
                j -= 1
            # untimed: entered from unseen frames, or the foot missing in its deceleration (a
            # dropout over the landing): no IC time
            timed = bool(np.isfinite(u[k - 1]))
            ic = float(tm[k])
            if timed:
                ic, timed = _onset(tm, u, k, _crossing(tm[k - 1], tm[k], u[k - 1], u[k], level))
            ends = j + 1 < n and np.isfinite(u[j + 1])
            to = _crossing(tm[j], tm[j + 1], u[j], u[j + 1], level) if ends else np.nan
            # the swing before the stance, or before the unseen frames in its landing
            gap = np.flatnonzero(~np.isfinite(u[:k]))
            ref = ic if timed or not len(gap) else min(ic, float(tm[gap[-1]]))
            before = (tm >= ref - SWING_LOOKBACK_S) & (tm < ic)
            swung = bool(np.any(np.fmax(vh, vt)[before] > speed))
            long_enough = (to if np.isfinite(to) else tm[j]) - ic >= MIN_STANCE_S or not ends
            if swung and long_enough:
                mid = (heel_fwd[k : j + 1] + toe_fwd[k : j + 1]) / 2
                pos = float(np.nanmedian(mid)) if np.isfinite(mid).any() else float("nan")
                out.append(Stance(foot, float(ic), float(to), pos, timed))
            k = j + 1
        k += 1
    return out


#: Least interval between footprints, as a fraction of the step period (see :func:`footprints`).
MIN_STEP_FRACTION = 0.6


def _duration(s: Stance) -> float:
    return s.to_s - s.ic_s if np.isfinite(s.to_s) else MIN_STANCE_S


def _one_per_step(prints: list[Stance], weight: np.ndarray, step_s: float | None) -> list[Stance]:
    """Drop the weaker of footprints closer than :data:`MIN_STEP_FRACTION` of a step."""
    if len(prints) < 2:
        return prints
    ic = np.array([p.ic_s for p in prints])
    if step_s is None or not np.isfinite(step_s):
        strong = np.sort(ic[weight >= 0.5 * np.max(weight)])
        gaps = np.diff(strong)
        step_s = float(np.median(gaps)) if len(gaps) else float("nan")
    if not np.isfinite(step_s):
        return prints
    kept: list[int] = []
    for i in np.argsort(-weight, kind="stable"):
        if all(abs(ic[i] - ic[j]) >= MIN_STEP_FRACTION * step_s for j in kept):
            kept.append(int(i))
    return [prints[i] for i in sorted(kept)]


#: Step periods a lattice may have, seconds: 270 down to 100 steps/min (the running range of
#: :class:`gait.events.EventParams`, 130-240, with room). Shorter periods would let a lattice of
#: half steps take in the false stances between footprints.
STEP_RANGE_S = (0.22, 0.6)
#: Stances at one place (:data:`SAME_FOOTPRINT_LEG`) up to this far apart in time are one
#: footprint (a stance cut in two by a leg-label episode); a foot comes back to a place no sooner
#: than a stride later, overground never.
FOOTPRINT_GAP_S = 0.1
#: Largest distance from a lattice node, as fractions of the step period and step length.
LATTICE_TOL = (0.25, 0.3)


def _on_lattice(
    prints: list[Stance], weight: np.ndarray, step_s: float, speed: float
) -> list[Stance]:
    """The footprints that fit a regular sequence of steps, one per step.

    A lattice is ``(t0 + k T, x0 + k T speed)``: footprint times a step period ``T`` apart and
    places a step length (``T`` x the running speed) apart. Each footprint in turn anchors one,
    with ``T`` either ``step_s`` (the label-free rhythm's) or the interval to another footprint
    (over 1 or 2 steps, within the running range); a footprint within :data:`LATTICE_TOL` of a
    node supports it. The lattice with the most support (total stance time, one footprint per
    node) wins, and each of its nodes keeps the footprint nearest to it.
    """
    if len(prints) < 2:
        return prints
    t = np.array([p.ic_s for p in prints])
    x = np.array([p.position for p in prints])
    periods = {float(step_s)} if np.isfinite(step_s) else set()
    for i in range(len(t)):
        for j in range(i + 1, len(t)):
            for m in (1, 2):
                d = (t[j] - t[i]) / m
                if STEP_RANGE_S[0] <= d <= STEP_RANGE_S[1]:
                    periods.add(float(d))
    best: tuple[float, dict[int, int]] = (-1.0, {})
    for period in sorted(periods):
        length = abs(speed) * period
        for i in np.flatnonzero(np.isfinite(x)).tolist():
            k = np.rint((t - t[i]) / period).astype(int)
            rt = np.abs(t - t[i] - k * period) / period
            rx = np.abs(x - x[i] - k * length * np.sign(speed)) / length
            cost = rt / LATTICE_TOL[0] + rx / LATTICE_TOL[1]
            inlier = (rt <= LATTICE_TOL[0]) & (rx <= LATTICE_TOL[1])
            nodes: dict[int, int] = {}
            for j in np.flatnonzero(inlier).tolist():
                old = nodes.get(int(k[j]))
                if old is None or cost[j] < cost[old]:
                    nodes[int(k[j])] = int(j)
            score = float(sum(weight[j] for j in nodes.values()))
            if score > best[0] + 1e-9:
                best = (score, nodes)
    return [prints[j] for j in sorted(best[1].values())] if best[1] else prints


def footprints(
    stances: list[Stance], step_s: float | None = None, speed: float | None = None
) -> list[Stance]:
    """One stance per footprint, the feet alternating (label-free), sorted by time.

    Stances of either label that overlap in time (or are less than :data:`FOOTPRINT_GAP_S` apart)
    and lie within :data:`SAME_FOOTPRINT_LEG` of each other are one footprint (its earliest timed
    onset, which a leg-label episode on one label cannot delay, and the median end). A footprint
    whose landing no label showed (untimed, :class:`Stance`) counts for the lattice and the
    alternation; its IC is its end minus the median contact time (:func:`_time_untimed`), or it
    is left out. The footprints, in time order, alternate feet;
    which foot comes first is what most of their labels say (ties: the first's label).

    Footprints closer in time than :data:`MIN_STEP_FRACTION` x ``step_s`` (default: the median
    interval of the better-supported footprints) are one too many: of such a pair the one seen
    for less time in total (over its stances) goes. A leg-label episode (a leg drawn on the other
    for a few frames, or between the two) shows a short false stance; a real stance lasts the
    contact time.

    With the running ``speed`` (leg lengths/s, ground-relative, signed like the positions) the
    footprints must also lie on a lattice in time and place (:func:`_on_lattice`; ``step_s`` is
    then a first guess of the step period): a false stance from a leg drawn between the two legs
    lies between two footprints.
    """
    merged: list[list[Stance]] = []
    for s in sorted(stances, key=lambda s: s.ic_s):
        for group in merged:
            g = group[0]
            g_end = (
                np.nanmax([x.to_s for x in group])
                if np.isfinite([x.to_s for x in group]).any()
                else np.inf
            )
            s_end = s.to_s if np.isfinite(s.to_s) else np.inf
            overlap = min(g_end, s_end) - max(g.ic_s, s.ic_s)
            if overlap > -FOOTPRINT_GAP_S and abs(s.position - g.position) <= SAME_FOOTPRINT_LEG:
                group.append(s)
                break
        else:
            merged.append([s])
    prints, weight = [], []
    for group in merged:
        tos = [x.to_s for x in group if np.isfinite(x.to_s)]
        labels = [x.foot for x in group]
        foot = max(set(labels), key=labels.count) if len(set(labels)) == 1 else "?"
        timed = [x.ic_s for x in group if x.timed]
        prints.append(
            Stance(
                foot,
                float(np.min(timed if timed else [x.ic_s for x in group])),
                float(np.median(tos)) if tos else float("nan"),
                float(np.median([x.position for x in group])),
                bool(timed),
            )
        )
        weight.append(sum(_duration(x) for x in group))
    if speed is not None and np.isfinite(speed) and speed != 0:
        guess = step_s if step_s is not None else float("nan")
        prints = _on_lattice(prints, np.array(weight), guess, speed)
    else:
        prints = _one_per_step(prints, np.array(weight), step_s)
    prints.sort(key=lambda s: s.ic_s)
    if not prints:
        return []
    # the step number of each footprint (a footprint missed in between counts as its step), so
    # that the feet alternate across a gap too
    ic = np.array([p.ic_s for p in prints])
    steps = np.diff(ic)
    step_s = float(np.median(steps[steps > 0])) if (steps > 0).any() else 1.0
    k = np.r_[0, np.cumsum(np.maximum(1, np.rint(steps / step_s)).astype(int))]
    vote = sum(
        ((p.foot == "L") - (p.foot == "R")) * (1 if j % 2 == 0 else -1)
        for p, j in zip(prints, k, strict=True)
    )  # > 0: even step numbers are left
    if vote == 0:
        vote = 1 if prints[0].foot != "R" else -1
    even, odd = ("L", "R") if vote > 0 else ("R", "L")
    prints = [replace(p, foot=even if j % 2 == 0 else odd) for p, j in zip(prints, k, strict=True)]
    return _time_untimed(prints)


def _time_untimed(prints: list[Stance]) -> list[Stance]:
    """Untimed footprints get their IC from their end: ``to_s`` minus the timed ones' median contact.

    A footprint whose landing was not seen (:class:`Stance` ``timed``) but whose end was, in a
    clip with at least 2 timed footprints that end in view, if that IC falls on their beat (a
    whole number of steps from each, within :data:`LATTICE_TOL`); the others are dropped (they
    count for the lattice and the alternation only).
    """
    contact = [p.to_s - p.ic_s for p in prints if p.timed and np.isfinite(p.to_s)]
    timed_ic = np.array([p.ic_s for p in prints if p.timed])
    steps = np.diff(timed_ic)
    step_s = float(np.median(steps)) if len(steps) else float("nan")
    out = []
    for p in prints:
        if p.timed:
            out.append(p)
        elif len(contact) >= 2 and np.isfinite(p.to_s) and np.isfinite(step_s):
            ic = float(p.to_s - np.median(contact))
            # on the beat of the timed ICs (whole steps from them): a stance cut short by a leg
            # label or merged with the next one has no contact time to subtract
            k = np.abs(ic - timed_ic) / step_s
            if np.all(np.rint(k) >= 1) and np.all(np.abs(k - np.rint(k)) <= LATTICE_TOL[0]):
                out.append(replace(p, ic_s=ic, timed=True))
    return out
