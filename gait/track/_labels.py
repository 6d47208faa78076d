"""Leg-label repair from the step rhythm: which foot is which, decided by the gait cycle.

MediaPipe's leg labels fail in side views in three ways, each 1-11 frames long and with no drop
in visibility: clean left/right swaps, the far foot drawn on the near one, and blended frames
with both legs drawn between the two. A continuity model (:func:`gait.track.repair_left_right_swaps`)
can only exchange labels, and on a clip where such episodes are frequent it follows them. This
step uses what running itself fixes instead:

1. **A step clock without labels.** The label-free signals of :mod:`gait.track._rhythm`
   (leading foot, distance between the feet, pelvis height) give the step period; the clearest
   of them, demodulated at the step frequency, gives a clock that counts steps continuously
   (:func:`step_clock`). Half of it is a stride clock.
2. **Which half is left.** The forward distance of the left-labelled foot ahead of the
   right-labelled one swings once per stride; a local fit of it against the stride clock (every
   frame of 1.5 strides votes) says at which stride phase the left foot leads
   (:func:`foot_phases`). A minority of wrong frames cannot outvote the rest.
3. **Each frame against the gait cycle.** Each foot's average path through its stride (knee,
   ankle, heel and foot index relative to the pelvis, in leg lengths) is the median over strides
   of what is labelled that foot. Each frame keeps its labels or exchanges them, whichever fits
   those paths better; a leg that fits neither (drawn on the other foot, or between the two) is
   masked, and :func:`gait.track.clean_track` leaves it unbridged. The phases and paths are then
   rebuilt from the repaired frames and the decision is made again from the original frames.

Nothing is decided where the rhythm is not clear (no step period, fewer than :data:`MIN_STRIDES`
strides of clock, or frames where the clock fades): those frames keep MediaPipe's labels.
Only side views are repaired; in rear and front views the legs do not cross and the labels follow
image position.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import gaussian_filter1d

from gait.skeleton import LEG_PARTS
from gait.track._model import PoseTrack
from gait.track._rhythm import (
    autocorrelation,
    label_free_signals,
    leg_length_px,
    track_rhythm,
    usable,
    xy,
)
from gait.track._steps import _log
from gait.track._swaps import _apply_swaps

#: Fewest strides with a clear step clock for a repair.
MIN_STRIDES = 3
#: Phase bins of a foot's average path over one stride: about one per frame, within these bounds.
MIN_BINS, MAX_BINS = 16, 60
#: Residual (RMS over the foot's points, leg lengths) above which a leg fits neither labelling and
#: is masked; at least this, and at least :data:`MASK_FACTOR` x the clip's median residual. A leg
#: drawn on the other foot is off by the distance between the feet (0.5-1.2 leg lengths around
#: contacts); stride-to-stride variation and phase error give 0.05-0.15.
MIN_MASK_RESIDUAL = 0.25
MASK_FACTOR = 4.0
#: The leg parts whose residual decides masking: ankle, heel, foot index.
FOOT_PARTS = [LEG_PARTS.index(p) for p in ("ankle", "heel", "foot_index")]
#: Exchange labels only when that lowers the frame's cost by this much (mean square, leg
#: lengths^2): near leg crossings both labellings fit about as well and the labels are kept.
SWAP_MARGIN = 0.01


def _legs(track: PoseTrack, sign: float, leg: float) -> np.ndarray:
    """``(n, 2 sides, parts, 2)`` leg points relative to the hip midpoint: (forward, up) / leg."""
    pelvis = (xy(track, "left_hip") + xy(track, "right_hip")) / 2
    out = np.empty((track.sizes["time"], 2, len(LEG_PARTS), 2))
    for s, side in enumerate(("left", "right")):
        for j, part in enumerate(LEG_PARTS):
            p = xy(track, f"{side}_{part}") - pelvis
            out[:, s, j, 0] = sign * p[:, 0] / leg
            out[:, s, j, 1] = -p[:, 1] / leg
    return out


def _paths(phase: np.ndarray, legs: np.ndarray, n_bins: int) -> np.ndarray:
    """``(2 feet, n_bins, parts, 2)`` median path of each foot over its stride phase.

    NaN-free where any data exist; empty bins are interpolated around the cycle.
    """
    out = np.full((2, n_bins, *legs.shape[2:]), np.nan)
    for f in range(2):
        okp = np.isfinite(phase[:, f])
        b = np.floor(np.where(okp, phase[:, f], 0.0) * n_bins).astype(int) % n_bins
        for k in range(n_bins):
            sel = okp & (b == k)
            if sel.sum() >= 2:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # a point never seen: NaN
                    out[f, k] = np.nanmedian(legs[sel, f], axis=0)
    # fill empty bins circularly, channel by channel
    flat = out.reshape(2, n_bins, -1)
    x = np.arange(n_bins)
    for f in range(2):
        for c in range(flat.shape[2]):
            y = flat[f, :, c]
            ok = np.isfinite(y)
            if 0 < ok.sum() < n_bins:
                xs, ys = x[ok], y[ok]
                flat[f, :, c] = np.interp(x, np.r_[xs - n_bins, xs, xs + n_bins], np.r_[ys, ys, ys])
    return flat.reshape(out.shape)


def _expected(paths: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Each foot's path at its phase per frame, linear between bin centres: ``(n, 2, parts, 2)``."""
    n = len(phase)
    n_bins = paths.shape[1]
    out = np.full((n, 2, *paths.shape[2:]), np.nan)
    for f in range(2):
        ph = phase[:, f]
        ok = np.isfinite(ph)
        pos = ph[ok] * n_bins - 0.5
        k0 = np.floor(pos).astype(int)
        w = (pos - k0)[:, None, None]
        a, b = paths[f, k0 % n_bins], paths[f, (k0 + 1) % n_bins]
        out[ok, f] = (1 - w) * a + w * b
    return out


def _costs(obs: np.ndarray, exp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean square residual of the kept and the exchanged labelling, and per-leg residuals.

    ``obs`` and ``exp`` are ``(n, 2, parts, 2)``; a point missing in either labelling is left out
    of both, so the two costs compare the same points. Returns ``kept``, ``swapped`` (n,) and the
    per-leg RMS residuals of the foot points (:data:`FOOT_PARTS`: the knee moves less, so a leg
    drawn on the other foot shows most there) ``(n, 2, 2)`` for [kept, swapped] x [left, right].
    """
    swapped_obs = obs[:, ::-1]
    d_keep = np.sum((obs - exp) ** 2, axis=-1)  # (n, 2, parts)
    d_swap = np.sum((swapped_obs - exp) ** 2, axis=-1)
    both = np.isfinite(d_keep) & np.isfinite(d_swap)
    both = both & both[:, ::-1]  # the same parts on both legs
    count = both.sum(axis=(1, 2))
    keep = np.where(both, d_keep, 0.0).sum(axis=(1, 2)) / np.maximum(count, 1)
    swap = np.where(both, d_swap, 0.0).sum(axis=(1, 2)) / np.maximum(count, 1)
    keep = np.where(count > 0, keep, np.nan)
    swap = np.where(count > 0, swap, np.nan)
    per_leg = np.empty((len(obs), 2, 2))
    for i, d in enumerate((d_keep, d_swap)):
        d = d[:, :, FOOT_PARTS]
        ok = np.isfinite(d)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_leg[:, i] = np.sqrt(np.where(ok, d, 0.0).sum(axis=2) / ok.sum(axis=2))
    return keep, swap, per_leg


def repair_leg_labels(track: PoseTrack, *, sign: float, iterations: int = 3) -> PoseTrack:
    """Repair the leg labels of a side-view track from its step rhythm (module docstring).

    Parameters
    ----------
    track
        A masked, unfiltered pose track (:func:`gait.track.clean.mask_low_confidence`).
    sign
        +1 when the runner faces image-right, -1 when image-left.
    iterations
        Rounds of anchors, paths and decisions; default 3 (from the second round on, anchors and
        paths come from the frames repaired by the round before).

    Returns
    -------
    PoseTrack
        Leg parts (knee, ankle, heel, foot index) exchanged in the frames where that fits the gait
        cycle better (every per-keypoint variable, as :func:`repair_left_right_swaps` does; the
        bool variable ``swapped`` marks them), and the positions of a leg that fits neither
        labelling set to NaN. The cleaning record gives the step period, the parity vote and the
        counts.
    """
    t = track["time"].values.astype(np.float64)
    leg = leg_length_px(track)
    rhythm = track_rhythm(track, sign)
    record: dict[str, object] = {
        "step_s": rhythm.step_s if np.isfinite(rhythm.step_s) else None,
        "estimates": {
            e.source: [e.step_s if np.isfinite(e.step_s) else None, e.strength]
            for e in rhythm.estimates
        },
    }
    prior = track["swapped"].values if "swapped" in track else np.zeros(len(t), dtype=bool)

    def unchanged(reason: str) -> PoseTrack:
        return _log(
            track.assign(swapped=("time", prior)),
            "repair_leg_labels",
            **record,
            applied=False,
            reason=reason,
            n_frames_swapped=0,
            n_legs_masked=0,
        )

    if not np.isfinite(rhythm.step_s) or not np.isfinite(leg) or len(t) < 8:
        return unchanged("no clear step rhythm")
    clock = step_clock(track, sign, rhythm.step_s)
    if np.isfinite(clock).sum() * float(np.median(np.diff(t))) < MIN_STRIDES * 2 * rhythm.step_s:
        return unchanged("fewer than three strides with a clear step rhythm")
    legs = _legs(track, sign, leg)
    dt = float(np.median(np.diff(t)))
    n_bins = int(np.clip(round(2 * rhythm.step_s / dt), MIN_BINS, MAX_BINS))
    swap = np.zeros(len(t), dtype=bool)
    mask = np.zeros((len(t), 2), dtype=bool)
    current = legs
    agreement = float("nan")
    for _ in range(iterations):
        phase, agreement = foot_phases(t, clock, current, 2 * rhythm.step_s)
        paths = _paths(phase, current, n_bins)
        exp = _expected(paths, phase)
        keep_c, swap_c, per_leg = _costs(legs, exp)
        swap = np.isfinite(keep_c) & (swap_c < keep_c - SWAP_MARGIN)
        resid = np.where(swap[:, None], per_leg[:, 1], per_leg[:, 0])
        limit = max(MIN_MASK_RESIDUAL, MASK_FACTOR * float(np.nanmedian(resid)))
        mask = np.isfinite(resid) & (resid > limit)
        current = np.where(swap[:, None, None, None], legs[:, ::-1], legs)
        current = np.where(mask[:, :, None, None], np.nan, current)
    out = _apply_swaps(track, swap)
    # mask after the exchange: mask[:, 0] is the (repaired) left leg
    pos = out["position"].transpose("time", "keypoint", "space")
    values = pos.values.copy()
    kp = list(map(str, out["keypoint"].values))
    for s, side in enumerate(("left", "right")):
        for part in LEG_PARTS:
            values[mask[:, s], kp.index(f"{side}_{part}"), :] = np.nan
    out = out.assign(
        position=pos.copy(data=values).transpose(*track["position"].dims),
        swapped=("time", swap ^ prior),
    )
    return _log(
        out,
        "repair_leg_labels",
        **record,
        applied=True,
        label_vote_agreement=agreement,
        n_frames_swapped=int(swap.sum()),
        n_legs_masked=int(mask.sum()),
    )


def step_clock(track: PoseTrack, sign: float, step_s: float) -> np.ndarray:
    """Steps elapsed at each frame (continuous), from the clearest label-free signal.

    The signal of :func:`gait.track._rhythm.label_free_signals` with the highest autocorrelation at
    one step is demodulated at the step frequency (complex demodulation: multiplied by
    ``exp(-2 pi i t / step_s)`` and averaged with a Gaussian window of one step); the phase of
    that local average is how far the steps run ahead of or behind a steady clock. Every frame
    within a step or two votes, so a wrong leg in a few frames, or a far-foot peak drawn short,
    barely moves it, and the clock does not slip a step where the signal fades for a moment.
    NaN at frames more than half a step from any sample and where the local amplitude is below a
    fifth of its median (no rhythm there).
    """
    sig = label_free_signals(track, sign)
    t = sig.time_s
    dt = float(np.median(np.diff(t)))
    lag = max(1, round(step_s / dt))
    best, best_r = None, -np.inf
    for name in ("lead", "spread", "bob"):
        y = getattr(sig, name)
        if not usable(y) or lag >= len(y) // 2:
            continue
        r = autocorrelation(y)[lag]
        if np.isfinite(r) and r > best_r:
            best, best_r = y, r
    if best is None:
        return np.full(len(t), np.nan)
    ok = np.isfinite(best)
    y = np.where(ok, best - np.nanmean(best), 0.0)
    w = 2 * np.pi * (t - t[0]) / step_s
    sigma = step_s / dt
    weight = gaussian_filter1d(ok.astype(float), sigma, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (
            gaussian_filter1d(y * np.cos(w), sigma, mode="constant")
            - 1j * gaussian_filter1d(y * np.sin(w), sigma, mode="constant")
        ) / weight
    clock = (w + np.unwrap(np.angle(z))) / (2 * np.pi)
    amplitude = np.abs(z)
    idx = np.flatnonzero(ok)
    pos = np.searchsorted(t[idx], t)
    lo = np.abs(t - t[idx[np.clip(pos - 1, 0, len(idx) - 1)]])
    hi = np.abs(t[idx[np.clip(pos, 0, len(idx) - 1)]] - t)
    near = np.minimum(lo, hi) <= 0.5 * step_s
    valid = near & np.isfinite(amplitude) & (amplitude >= 0.2 * np.nanmedian(amplitude[ok]))
    return np.where(valid, clock, np.nan)


def foot_phases(
    t: np.ndarray, clock: np.ndarray, legs: np.ndarray, stride_s: float
) -> tuple[np.ndarray, float]:
    """``(n, 2)`` stride phase in [0, 1) of the left and right foot, and the labels' agreement.

    Half the step clock is a stride clock ``s``; the forward distance of the left-labelled foot
    ahead of the right-labelled one, ``d``, swings once per stride. A local least-squares fit
    ``d ~ A cos(2 pi s) + B sin(2 pi s)`` (Gaussian window of 1.5 strides) gives the stride
    phase at which the left foot leads; every label in the window votes, so a minority of wrong
    frames shifts it little. Phase 0 of each foot is its furthest lead; the right foot is half a
    stride from the left. The agreement is the share of frames (where ``|cos| > 0.5``) whose
    labelled lead matches the fitted one.
    """
    s = clock / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fwd = np.nanmean(legs[:, :, 2:, 0], axis=2)  # heel and foot index, per label
    d = fwd[:, 0] - fwd[:, 1]
    ok = np.isfinite(d) & np.isfinite(s)
    dt = float(np.median(np.diff(t)))
    sigma = 1.5 * stride_s / dt
    c = np.where(ok, d * np.cos(2 * np.pi * s), 0.0)
    si = np.where(ok, d * np.sin(2 * np.pi * s), 0.0)
    a = gaussian_filter1d(c, sigma, mode="constant")
    b = gaussian_filter1d(si, sigma, mode="constant")
    theta = np.arctan2(b, a) / (2 * np.pi)
    left = (s - theta) % 1.0
    phase = np.stack([left, (left + 0.5) % 1.0], axis=1)
    phase[~np.isfinite(s)] = np.nan
    cos = np.cos(2 * np.pi * left)
    clear = ok & (np.abs(cos) > 0.5)
    agree = float(np.mean(np.sign(d[clear]) == np.sign(cos[clear]))) if clear.any() else np.nan
    return phase, agree
