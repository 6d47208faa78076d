"""Events of one foot: align its strides to the clip's average stride, then apply the event rules.

Rules, applied once to the average stride (the template):

Initial contact
    At the end of the swing the foot reaches its furthest point ahead of the pelvis and is
    already moving back when it lands: in the force-plate data (Fukuchi et al. 2017, 240
    contacts of a rearfoot and a non-rearfoot runner) contact follows that point by 28 +- 5 ms,
    the same for both runners. IC is that point on the template (a peak, found to a millisecond
    by a parabola through the samples of every stride) plus ``ic_after_peak_s``. A peak is set by
    the shape of the whole end of the swing, so it holds on real video where a velocity
    threshold does not: MediaPipe's feet slow down gradually before contact, and a threshold
    crossing on such a shoulder moved by 1-2 frames between a clip and the same clip resampled,
    cut or shrunk (``tests/events/test_real_clips.py``); the peak moves by under one frame.
    It is a treadmill- and overground-safe rule (relative to the pelvis), with no speed
    threshold; absolute-velocity thresholds fail on treadmills (Pose2Sim's
    ``forward_velocity``: +140 ms toe-off bias there).
Toe-off
    After push-off the leg keeps swinging backwards for about 100 ms before it is brought
    forward; the moment the heel is furthest behind the pelvis, plus ``to_offset_s`` (-95 ms),
    marks toe-off. On the force-plate data this lag varied by 6 ms between runners and speeds,
    against 20 ms for peak knee extension (Fellin et al. 2010), and the heel stays visible when
    the far knee is hidden. It is a swing-phase landmark found the way Zeni et al. (2008) find
    walking toe-off (the toe furthest behind the sacrum), with a running-specific offset.

Each stride's events are the template's event times shifted by that stride's alignment, so every
sample of the window contributes to the timing and the result is not tied to the frame grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gait.events._cycles import stride_anchors
from gait.events._signals import FootSignals
from gait.events._template import (
    GRID_STEP_S,
    Template,
    align_strides,
    build_template,
    register,
    typical,
)
from gait.events._types import EventParams

#: Anchor (foot furthest forward) to contact, seconds: the first guess of the contact time.
ANCHOR_TO_IC_S = 0.03
#: Stance plateau used for the ground velocity, seconds after the foot's furthest-forward point:
#: contact follows that point by ~30 ms in the harness data, and the window ends before heel-off
#: (from mid-stance the heel rises and the heel/toe midpoint no longer moves with the belt).
PLATEAU_S = (0.06, 0.14)
#: Least forward travel (leg lengths) of the heel within the search window after its furthest-back
#: point, for a toe-off: the swing reversal is 0.3-0.5 leg lengths on the mocap runners; a curve
#: without it (landmark lost behind the other leg) gives no toe-off rather than a guess.
MIN_SWING_REVERSAL = 0.1
#: A stride whose alignment residual exceeds this multiple of the median gets no event: it does
#: not look like the clip's other strides (occlusion, landmark jump, stumble). Strides that fit up
#: to this much worse keep their events at a lower confidence (:func:`gait.events._detect`): with
#: MediaPipe-like label errors in the harness (severity 2, 30 fps) a factor of 5 dropped 10 % of
#: the contacts, 10 drops 6 %, at an IC spread of 11-25 ms instead of 11-20 ms.
OUTLIER_FACTOR = 10.0


@dataclass(frozen=True, eq=False)
class FootEvents:
    """Per-stride results of one foot (arrays aligned by stride; NaN = not found).

    ``ic_s``/``to_s`` event times; ``ic_cost``/``to_cost`` alignment residuals; ``template``
    the average stride (channels of :meth:`FootSignals.channels`); ``tau_ic_s``/``tau_to_s``
    the events on the template's time axis; ``speed_leg_s`` the running speed in leg lengths/s.
    """

    foot: str
    ic_s: np.ndarray
    to_s: np.ndarray
    ic_cost: np.ndarray
    to_cost: np.ndarray
    template: Template | None
    tau_ic_s: float
    tau_to_s: float
    speed_leg_s: float


def _empty(foot: str) -> FootEvents:
    none = np.empty(0)
    return FootEvents(foot, none, none, none, none, None, float("nan"), float("nan"), float("nan"))


def _parabolic_peak(grid: np.ndarray, y: np.ndarray, k: int) -> float:
    """Sub-grid location of the extremum at index ``k``."""
    if 0 < k < len(y) - 1 and np.all(np.isfinite(y[k - 1 : k + 2])):
        y0, y1, y2 = y[k - 1 : k + 2]
        den = y0 - 2 * y1 + y2
        if den != 0:
            return float(grid[k] + 0.5 * (y0 - y2) / den * GRID_STEP_S)
    return float(grid[k])


def _displacement_template(
    time_s: np.ndarray, x: np.ndarray, anchors: np.ndarray, template: Template, bw: float
) -> np.ndarray:
    """Template of forward position with a free offset per stride (overground, x drifts).

    Each stride's offset starts as its position at the anchor and is then re-estimated as the
    mean difference between its samples and the first template: a single interpolated sample is
    a poor offset late in the swing, where the foot moves fastest.
    """
    ok = np.isfinite(x)
    grid = template.grid_s
    if ok.sum() < 4:
        return np.full(len(grid), np.nan)
    span = (grid[0], grid[-1])
    pieces = []
    for a in anchors:
        m = ok & (time_s >= a + span[0] - 4 * bw) & (time_s <= a + span[1] + 4 * bw)
        if m.sum() >= 2:
            pieces.append((time_s[m] - a, x[m]))
    offsets = [float(np.interp(0.0, tau, v)) for tau, v in pieces]
    disp = np.full(len(grid), np.nan)
    for _ in range(2):
        tau = np.concatenate([p[0] for p in pieces])
        vals = np.concatenate([p[1] - o for p, o in zip(pieces, offsets, strict=True)])
        order = np.argsort(tau)
        disp = build_template(tau[order], vals[order, None], np.zeros(1), span, bw).values[:, 0]
        if not np.isfinite(disp).all():
            break
        offsets = [float(np.mean(v - np.interp(tau_k, grid, disp))) for tau_k, v in pieces]
    return disp


def _ic_on_template(
    template: Template, disp: np.ndarray, pelvis_speed: float, after_peak_s: float
) -> tuple[float, float]:
    """IC time on the template axis and the running speed (leg lengths/s).

    IC is ``after_peak_s`` after the heel/foot-index midpoint is furthest ahead of the pelvis
    (parabolic sub-millisecond peak of the template). The speed is the pelvis's speed relative to
    the ground, whose image velocity is that of the foot's stance plateau (NaN when the template
    has none).
    """
    grid, vals = template.grid_s, template.values
    mid = (vals[:, 0] + vals[:, 1]) / 2
    near = (grid > -0.15) & (grid < 0.1) & np.isfinite(mid)
    if not near.any():
        return float("nan"), float("nan")
    k_pk = int(np.flatnonzero(near)[np.argmax(mid[near])])
    tau_ic = _parabolic_peak(grid, mid, k_pk) + after_peak_s
    speed = float("nan")
    plateau = (grid >= grid[k_pk] + PLATEAU_S[0]) & (grid <= grid[k_pk] + PLATEAU_S[1])
    if plateau.any() and np.isfinite(disp).all():
        v_ground = float(np.median(np.gradient(disp, grid)[plateau]))
        if pelvis_speed - v_ground > 0:
            speed = pelvis_speed - v_ground
    return tau_ic, speed


def _to_on_template(template: Template, tau_ic: float, period_s: float) -> float:
    """Heel furthest behind the pelvis, 100 ms after IC to 75 % of the stride (template axis).

    NaN when the minimum is at the edge of that window or the heel does not come forward again
    by :data:`MIN_SWING_REVERSAL` leg lengths within it (no visible swing reversal).
    """
    grid, heel = template.grid_s, template.values[:, 0]
    m = np.flatnonzero((grid >= tau_ic + 0.1) & (grid <= tau_ic + 0.75 * period_s))
    if len(m) < 3 or not np.isfinite(heel[m]).any():
        return float("nan")
    k = int(m[np.nanargmin(heel[m])])
    if k in (m[0], m[-1]):
        return float("nan")  # no interior minimum: no clear end of the backward swing
    if np.nanmax(heel[k : m[-1] + 1]) - heel[k] < MIN_SWING_REVERSAL:
        return float("nan")
    return _parabolic_peak(grid, heel, k)


def foot_events(
    time_s: np.ndarray,
    fs: FootSignals,
    period_s: float,
    pelvis_speed_px_s: float,
    params: EventParams,
    bandwidth_s: float,
) -> FootEvents:
    """Detect the ICs and TOs of one foot (see the module docstring)."""
    anchors0 = stride_anchors(time_s, fs.mid_fwd, period_s)
    if len(anchors0) < 1 or not np.isfinite(fs.leg_px):
        return _empty(fs.foot)
    anchors0 = anchors0 + ANCHOR_TO_IC_S
    channels = fs.channels()
    ic_win = (-params.ic_window_s[0], params.ic_window_s[1])
    span = (-max(0.3 * period_s, params.ic_window_s[0] + params.search_s), 0.8 * period_s)
    anchors, ic_cost, template = align_strides(
        time_s,
        channels,
        anchors0,
        span_s=span,
        window_s=ic_win,
        bandwidth_s=bandwidth_s,
        search_s=params.search_s,
    )
    ok = np.isfinite(anchors)
    if not ok.any():
        return _empty(fs.foot)
    fits = typical(ic_cost)
    disp = _displacement_template(time_s, fs.mid_abs_fwd, anchors[fits], template, bandwidth_s)
    tau_ic, speed = _ic_on_template(
        template, disp, pelvis_speed_px_s / fs.leg_px, params.ic_after_peak_s
    )
    tau_back = _to_on_template(template, tau_ic, period_s) if np.isfinite(tau_ic) else float("nan")
    to_s, to_cost = np.full(len(anchors), np.nan), np.full(len(anchors), np.inf)
    if np.isfinite(tau_back):
        to_win = (-params.to_window_s[0], params.to_window_s[1])
        shifted = Template(template.grid_s - tau_back, template.values, template.counts)
        for i in np.flatnonzero(ok):
            d, to_cost[i] = register(
                time_s, channels, anchors[i] + tau_back, shifted, to_win, params.search_s / 2
            )
            to_s[i] = anchors[i] + tau_back + d + params.to_offset_s
    bad_ic = ~typical(ic_cost, OUTLIER_FACTOR)
    to_s = np.where(bad_ic | ~typical(to_cost, OUTLIER_FACTOR), np.nan, to_s)
    return FootEvents(
        foot=fs.foot,
        ic_s=np.where(bad_ic, np.nan, anchors + tau_ic),
        to_s=to_s,
        ic_cost=ic_cost,
        to_cost=to_cost,
        template=template,
        tau_ic_s=tau_ic,
        tau_to_s=tau_back + params.to_offset_s,
        speed_leg_s=speed,
    )
