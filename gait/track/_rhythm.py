"""Step rhythm from signals that do not depend on MediaPipe's left/right leg labels.

In side views MediaPipe often gives one leg's landmarks to the other for 1-11 frames (clean
swaps), draws the far foot on the near one, or draws both legs between the two, with no drop in
visibility. Any signal read from one labelled leg inherits those errors. These are the same
whichever leg is called left (image y points down; ``up = -y``; ``forward = sign * x``):

``lead``
    How far the leading foot (the heel/foot-index midpoint further forward) is ahead of the hip
    midpoint, in leg lengths. It peaks once per step, as each foot reaches forward to land (the
    foot's furthest-forward point comes ~30 ms before contact in force-plate data).
``spread``
    The forward distance between the two feet, leg lengths: largest around each contact, zero
    where the legs cross.
``bob``
    Height of the hip midpoint (``-y``), leg lengths: lowest in mid-stance, once per step. It
    needs no foot landmark at all.

Step period: each signal's normalised autocorrelation is read at candidate step lags; the step
period is the lag of the first autocorrelation peak (between :data:`MIN_STEP_S` and
:data:`MAX_STEP_S`) that reaches :data:`FIRST_PEAK_FRACTION` of the highest one, as for strides,
and each signal's estimate is kept with its strength so that the caller can compare them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gait.track._model import PoseTrack

#: Shortest and longest step period searched, seconds: 0.15 s is 400 steps/min; 10 s covers
#: slow motion played without its factor (a 0.36 s step at 8x is 2.9 s; 16x is 5.8 s).
MIN_STEP_S, MAX_STEP_S = 0.15, 10.0
#: An autocorrelation peak counts when it reaches this fraction of the highest peak: multiples of
#: the period are nearly as high, and in a side view the step after a near-foot contact (a far
#: foot's, smaller in the image) is less alike than the stride after it, so the step lag is often
#: a little lower than the stride lag.
FIRST_PEAK_FRACTION = 0.6


#: Least standard deviation (leg lengths) of a signal for its rhythm to count: below this it is
#: flat (a pelvis that does not move, e.g. a track whose hips were fixed) and its
#: autocorrelation is that of rounding noise. Running moves the pelvis by 0.05-0.1 leg lengths.
MIN_SIGNAL_SD = 0.005


def usable(y: np.ndarray) -> bool:
    """Whether a signal has enough samples (8) and variation (:data:`MIN_SIGNAL_SD`)."""
    ok = np.isfinite(y)
    return bool(ok.sum() >= 8 and np.std(y[ok]) >= MIN_SIGNAL_SD)


def xy(track: PoseTrack, name: str) -> np.ndarray:
    """``(n_frames, 2)`` float64 image positions of a keypoint (NaN where missing)."""
    return track["position"].sel(keypoint=name).transpose("time", "space").values.astype(np.float64)


def leg_length_px(track: PoseTrack) -> float:
    """Median thigh + shank length in px over both legs (NaN when no leg is seen)."""
    parts = []
    for side in ("left", "right"):
        hip, knee, ankle = (xy(track, f"{side}_{p}") for p in ("hip", "knee", "ankle"))
        parts.append(np.linalg.norm(hip - knee, axis=1) + np.linalg.norm(knee - ankle, axis=1))
    both = np.concatenate(parts)
    return float(np.nanmedian(both)) if np.isfinite(both).any() else float("nan")


@dataclass(frozen=True, eq=False)
class LabelFreeSignals:
    """Signals of :mod:`gait.track._rhythm` (module docstring), per frame; NaN where unseen."""

    time_s: np.ndarray
    lead: np.ndarray
    spread: np.ndarray
    bob: np.ndarray
    leg_px: float


def label_free_signals(track: PoseTrack, sign: float) -> LabelFreeSignals:
    """The label-free signals of a track whose runner faces ``sign`` (+1 image-right, -1 left)."""
    t = track["time"].values.astype(np.float64)
    leg = leg_length_px(track)
    pelvis = (xy(track, "left_hip") + xy(track, "right_hip")) / 2
    feet = []
    for side in ("left", "right"):
        mid = (xy(track, f"{side}_heel") + xy(track, f"{side}_foot_index")) / 2
        feet.append(sign * (mid[:, 0] - pelvis[:, 0]) / leg)
    a, b = feet
    with np.errstate(invalid="ignore"):
        lead = np.where(np.isfinite(a) & np.isfinite(b), np.fmax(a, b), np.nan)
        spread = np.abs(a - b)
    return LabelFreeSignals(t, lead, spread, -pelvis[:, 1] / leg, leg)


@dataclass(frozen=True)
class PeriodEstimate:
    """One signal's step period (s) and the autocorrelation there (1 = perfectly periodic)."""

    source: str
    step_s: float
    strength: float


def _fill(y: np.ndarray) -> np.ndarray:
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return np.full(len(y), np.nan)
    idx = np.arange(len(y))
    return np.interp(idx, idx[ok], y[ok])


def autocorrelation(y: np.ndarray) -> np.ndarray:
    """Unbiased normalised autocorrelation of a mean-removed, NaN-filled signal (lag in frames)."""
    y = _fill(y)
    if not np.isfinite(y).all() or np.std(y) == 0:
        return np.full(len(y), np.nan)
    y = y - y.mean()
    n = len(y)
    spec = np.fft.rfft(y, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n]
    return ac / (ac[0] * (n - np.arange(n)) / n)


def first_peak_period(
    time_s: np.ndarray,
    signal: np.ndarray,
    lo_s: float,
    hi_s: float,
    fraction: float,
    *,
    max_share: float = 0.6,
) -> tuple[float, float]:
    """Period (s) and strength at the first autocorrelation peak reaching ``fraction`` of the top.

    Frames are taken as uniform (the median frame period); lags from ``lo_s`` to ``hi_s`` and at
    most ``max_share`` of the clip; the lag is refined by a parabola. NaN, 0 when the signal is too
    short, flat (:func:`usable`), or has no peak there.
    """
    if len(signal) < 8 or not usable(signal):
        return float("nan"), 0.0
    ac = autocorrelation(signal)
    if not np.isfinite(ac).all():
        return float("nan"), 0.0
    dt = float(np.median(np.diff(time_s)))
    lo = max(1, int(np.ceil(lo_s / dt)))
    hi = min(int(hi_s / dt), int(max_share * len(ac)))
    if hi <= lo + 2:
        return float("nan"), 0.0
    from scipy.signal import find_peaks  # here: importing scipy.signal costs ~1 s that `gait pose` need not pay

    peaks, _ = find_peaks(ac[lo:hi])
    peaks = peaks[ac[lo:hi][peaks] > 0]
    if len(peaks) == 0:
        return float("nan"), 0.0
    heights = ac[lo:hi][peaks]
    k = lo + int(peaks[np.flatnonzero(heights >= fraction * heights.max())[0]])
    y0, y1, y2 = ac[k - 1], ac[k], ac[k + 1]
    den = y0 - 2 * y1 + y2
    lag = k + (0.5 * (y0 - y2) / den if den < 0 else 0.0)
    return float(lag * dt), float(np.clip(y1, 0.0, 1.0))


def step_periods(signals: LabelFreeSignals) -> tuple[PeriodEstimate, ...]:
    """The step period from each label-free signal (see the module docstring)."""
    out = []
    for name in ("lead", "spread", "bob"):
        step, strength = first_peak_period(
            signals.time_s, getattr(signals, name), MIN_STEP_S, MAX_STEP_S, FIRST_PEAK_FRACTION
        )
        out.append(PeriodEstimate(name, step, strength))
    return tuple(out)


#: Estimates of the step period (from different signals) within this ratio agree.
AGREE_RATIO = 0.08


@dataclass(frozen=True)
class Rhythm:
    """Step period and the label-free estimates behind it (``step_s`` NaN when unclear)."""

    step_s: float
    strength: float
    estimates: tuple[PeriodEstimate, ...]


def consensus(estimates: tuple[PeriodEstimate, ...], min_strength: float = 0.3) -> Rhythm:
    """The step period that most of the (strength-weighted) estimates agree on.

    Estimates are grouped by agreement within :data:`AGREE_RATIO`; the group with the largest
    total strength wins and its strength-weighted mean period is returned, with the strength of
    its best member.
    """
    good = [e for e in estimates if np.isfinite(e.step_s) and e.strength >= min_strength]
    if not good:
        return Rhythm(float("nan"), 0.0, estimates)
    best: list[PeriodEstimate] = []
    for e in good:
        group = [g for g in good if abs(g.step_s / e.step_s - 1) <= AGREE_RATIO]
        if sum(g.strength for g in group) > sum(g.strength for g in best):
            best = group
    w = np.array([g.strength for g in best])
    step = float(np.sum(w * [g.step_s for g in best]) / w.sum())
    return Rhythm(step, float(w.max()), estimates)


def track_rhythm(track: PoseTrack, sign: float) -> Rhythm:
    """:func:`consensus` of the label-free step periods of a track (runner facing ``sign``)."""
    return consensus(step_periods(label_free_signals(track, sign)))
