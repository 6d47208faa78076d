"""Stride period and one anchor per stride, from the foot-forward signal.

The horizontal distance of a foot ahead of the pelvis swings by about one leg length every stride,
in every kind of running, on a treadmill or overground (Zeni et al. 2008 used it for walking
events). Its peaks (foot furthest ahead, ~30 ms before contact in the harness data) make robust
stride anchors; the exact events come later, from the template (:mod:`._template`).
"""

from __future__ import annotations

import numpy as np

from gait.track._rhythm import first_peak_period

#: Shortest and longest stride period searched, seconds. 0.2 s is 600 steps/min; 20 s covers
#: slow-motion clips played back without their factor (a 0.7 s stride at 8x is 5.6 s), which must
#: be recognised as such rather than as aperiodic.
MIN_STRIDE_S, MAX_STRIDE_S = 0.2, 20.0
#: A later autocorrelation peak replaces an earlier one only when higher than this fraction of
#: the highest peak would not already be reached by the earlier one (avoids picking 2 strides).
FIRST_PEAK_FRACTION = 0.85


def fill_nans(y: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs (constant at the ends); all-NaN stays all-NaN."""
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return y.copy()
    idx = np.arange(len(y))
    return np.interp(idx, idx[ok], y[ok])


def stride_period(time_s: np.ndarray, signal: np.ndarray) -> tuple[float, float]:
    """Stride period (s) and its strength from the autocorrelation of ``signal``.

    The autocorrelation is computed on the NaN-filled, mean-removed signal with frames assumed
    uniform (the median frame period); the period is the lag of its first peak between
    :data:`MIN_STRIDE_S` and :data:`MAX_STRIDE_S` (and at most 60 % of the clip) that reaches
    :data:`FIRST_PEAK_FRACTION` of the highest peak (multiples of the period are nearly as high),
    refined by a parabola. Strength is the autocorrelation there (1 = perfectly periodic).

    Returns
    -------
    period_s, strength
        NaN and 0 when the signal is too short or flat.
    """
    return first_peak_period(
        time_s, signal, MIN_STRIDE_S, MAX_STRIDE_S, FIRST_PEAK_FRACTION, max_share=0.6
    )


def stride_anchors(time_s: np.ndarray, signal: np.ndarray, period_s: float) -> np.ndarray:
    """Times of the peaks of ``signal`` (foot furthest forward), at least 0.6 stride apart.

    A peak needs a prominence of a third of the signal's 5-95 % range. Maxima at the clip's first
    or last frames count when they rise above the median height of the interior peaks minus that
    prominence, so that a contact at the very start or end of the clip is not lost.
    """
    y = fill_nans(signal)
    if not np.isfinite(y).all() or not np.isfinite(period_s):
        return np.empty(0)
    dt = float(np.median(np.diff(time_s)))
    lo, hi = np.percentile(y, [5, 95])
    prominence = max((hi - lo) / 3, 1e-9)
    distance = max(1, int(0.6 * period_s / dt))
    pad = np.r_[-np.inf, y, -np.inf]
    from scipy.signal import find_peaks  # lazy: scipy.signal's import (~1 s) is not paid by `gait pose`

    peaks, _ = find_peaks(pad, distance=distance, prominence=prominence)
    peaks = peaks - 1
    interior = peaks[(peaks > 0) & (peaks < len(y) - 1)]
    if len(interior):
        floor = np.median(y[interior]) - prominence
        edge = (peaks == 0) | (peaks == len(y) - 1)
        peaks = peaks[~edge | (y[peaks] >= floor)]
    return time_s[np.sort(peaks)]
