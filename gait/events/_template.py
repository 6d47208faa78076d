"""The average stride of a clip and the alignment of each stride to it.

A clip of running holds many near-identical strides sampled at different sub-frame phases. Put
side by side on a common time axis, their samples fill in an average stride (a *template*) at a
resolution much finer than one frame and with the landmark noise averaged out; aligning each
stride to that template then times it with all of its samples instead of one noisy crossing.
This is ensemble averaging with iterative registration (as in signal averaging of evoked
responses); the event rules are applied once, to the template.

All functions are pure; times in seconds, values in any consistent unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Grid step of templates, seconds.
GRID_STEP_S = 0.001


def default_bandwidth_s(fps: float) -> float:
    """Default kernel bandwidth of a template: a quarter frame period, at least 3 ms."""
    return max(0.003, 0.25 / fps)


@dataclass(frozen=True, eq=False)
class Template:
    """An average stride: ``values[i, c]`` of channel ``c`` at ``grid_s[i]`` (time from anchor)."""

    grid_s: np.ndarray
    values: np.ndarray
    counts: np.ndarray

    def at(self, tau_s: np.ndarray) -> np.ndarray:
        """Linear interpolation at times ``tau_s`` (any shape) -> ``(*shape, n_channels)``."""
        flat = np.ravel(tau_s)
        cols = [
            np.interp(flat, self.grid_s, self.values[:, c]) for c in range(self.values.shape[1])
        ]
        return np.stack(cols, axis=-1).reshape(*np.shape(tau_s), self.values.shape[1])


def _gauss(half_width: int, bandwidth: float) -> tuple[np.ndarray, np.ndarray]:
    d = np.arange(-half_width, half_width + 1) * GRID_STEP_S
    return d, np.exp(-0.5 * (d / bandwidth) ** 2)


def kernel_template(
    tau_s: np.ndarray, values: np.ndarray, grid_s: np.ndarray, bandwidth_s: float
) -> Template:
    """Local-linear Gaussian-kernel regression of scattered samples onto a regular grid.

    Samples are spread onto the grid by linear binning, then the kernel sums are convolutions, so
    the cost is linear in the number of samples and grid points. Each channel uses its own finite
    samples (a landmark hidden in some frames leaves the other channels of those frames in use).

    Parameters
    ----------
    tau_s
        ``(m,)`` sample times relative to their anchors.
    values
        ``(m, c)`` sample values (NaN = missing).
    grid_s
        Regular grid with step :data:`GRID_STEP_S`.
    bandwidth_s
        Gaussian kernel standard deviation.

    Returns
    -------
    Template
        Grid points with too little data (kernel weight below 1.5 samples) are filled from their
        neighbours (constant extrapolation at the ends); ``counts`` is the kernel weight of the
        best-covered channel.
    """
    n, c = len(grid_s), values.shape[1]
    half = max(1, int(np.ceil(4 * bandwidth_s / GRID_STEP_S)))
    d, w = _gauss(half, bandwidth_s)

    def conv(a: np.ndarray, kern: np.ndarray) -> np.ndarray:
        # correlation: out[i] = sum_j kern(d_j) a[i + j]; kernels in d are mirrored by convolve
        return np.convolve(a, kern[::-1], mode="same")

    out = np.full((n, c), np.nan)
    counts = np.zeros(n)
    pos_all = (tau_s - grid_s[0]) / GRID_STEP_S
    for k in range(c):
        keep = (pos_all >= 0) & (pos_all <= n - 1) & np.isfinite(values[:, k])
        pos, v = pos_all[keep], values[keep, k]
        lo = np.floor(pos).astype(int)
        frac = pos - lo
        hi = np.minimum(lo + 1, n - 1)
        cnt = np.bincount(lo, 1 - frac, n) + np.bincount(hi, frac, n)
        total = np.bincount(lo, (1 - frac) * v, n) + np.bincount(hi, frac * v, n)
        s0, s1, s2 = conv(cnt, w), conv(cnt, w * d), conv(cnt, w * d * d)
        t0, t1 = conv(total, w), conv(total, w * d)
        den = s0 * s2 - s1 * s1
        good = den > 1e-12 * np.maximum(s0, 1e-12) ** 2
        est = np.where(
            good, (s2 * t0 - s1 * t1) / np.where(good, den, 1), t0 / np.maximum(s0, 1e-12)
        )
        ok = s0 >= 1.5
        if ok.sum() >= 2:
            out[:, k] = np.interp(grid_s, grid_s[ok], est[ok])
        counts = np.maximum(counts, s0)
    return Template(grid_s=grid_s, values=out, counts=counts)


def collect(
    time_s: np.ndarray, values: np.ndarray, anchors_s: np.ndarray, span_s: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Samples within ``anchor + span`` of every anchor, as (times relative to anchor, values).

    A sample is kept when any of its channels is finite; missing channels stay NaN (a hidden
    knee does not discard the heel and toe of that frame).
    """
    finite = np.isfinite(values).any(axis=1)
    taus, vals = [], []
    for a in anchors_s:
        m = finite & (time_s >= a + span_s[0]) & (time_s <= a + span_s[1])
        taus.append(time_s[m] - a)
        vals.append(values[m])
    if not taus:
        return np.empty(0), np.empty((0, values.shape[1]))
    return np.concatenate(taus), np.concatenate(vals)


def build_template(
    time_s: np.ndarray,
    values: np.ndarray,
    anchors_s: np.ndarray,
    span_s: tuple[float, float],
    bandwidth_s: float,
    *,
    robust: bool = False,
) -> Template:
    """Template of ``values`` over ``span_s`` around the anchors (see :func:`kernel_template`).

    ``robust``: build it a second time without the samples whose residual RMS from the first
    exceeds :data:`OUTLIER_SAMPLE_RMS` (the same rule that makes a sample wild in
    :func:`register`; for channels in leg lengths, as :func:`align_strides` builds them).
    """
    grid = np.arange(span_s[0], span_s[1] + GRID_STEP_S / 2, GRID_STEP_S)
    margin = (span_s[0] - 4 * bandwidth_s, span_s[1] + 4 * bandwidth_s)
    tau, vals = collect(time_s, values, anchors_s, margin)
    template = kernel_template(tau, vals, grid, bandwidth_s)
    if not robust or not len(tau):
        return template
    # once more without the wild samples (a landmark on the other leg, or drawn between the legs):
    # an average is pulled by them, and they gather where MediaPipe errs most (before contact)
    expected = template.at(np.clip(tau, grid[0], grid[-1]))
    resid = vals - expected
    seen = np.isfinite(resid)
    with np.errstate(invalid="ignore"):
        rms = np.sqrt(np.where(seen, resid**2, 0.0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1))
    wild = seen.any(axis=1) & (rms > OUTLIER_SAMPLE_RMS)
    if not wild.any():
        return template
    return kernel_template(tau[~wild], vals[~wild], grid, bandwidth_s)


#: Residual RMS per channel (leg lengths; knee angle / 60 deg) beyond which one sample counts as
#: wild in :func:`register`: 0.15 leg lengths is 5x MediaPipe's landmark noise, and what a foot
#: landmark put on the other leg (a frequent side-view error) exceeds by far.
OUTLIER_SAMPLE_RMS = 0.15


#: Largest fraction of wild samples in an aligned window (see :func:`register`).
MAX_WILD_FRACTION = 1 / 3


def _centred(raw: np.ndarray, use: np.ndarray) -> np.ndarray:
    """``raw`` minus its mean over the samples in ``use``, per (shift, channel)."""
    n = use.sum(axis=1)
    mean = np.where(use, raw, 0.0).sum(axis=1) / np.maximum(n, 1)
    return raw - mean[:, None, :]


def register(
    time_s: np.ndarray,
    values: np.ndarray,
    anchor_s: float,
    template: Template,
    window_s: tuple[float, float],
    search_s: float,
    min_fraction: float = 0.4,
) -> tuple[float, float]:
    """Shift that best aligns one stride's samples to the template, and the residual at it.

    The cost of a shift ``delta`` is the mean squared difference between the samples at times
    ``t`` with ``t - anchor - delta`` in ``window_s`` and the template there, after removing each
    channel's mean difference (a stride may sit slightly higher or further forward than the
    average). Shifts are tried on the template grid and refined by a parabola through the best
    three.

    Missing values (NaN) leave out only their channel. A sample whose residual RMS exceeds
    :data:`OUTLIER_SAMPLE_RMS` is *wild* (e.g. a foot landmark put on the other leg): it is left
    out of the channel offsets and its share of the cost is capped (truncated least squares), so
    a few wild frames neither pull the alignment nor make the stride look unlike the others.

    Parameters
    ----------
    time_s, values
        The clip's samples, ``(n,)`` and ``(n, c)``.
    anchor_s
        The stride's current anchor time.
    template
        The average stride.
    window_s
        ``(start, end)`` relative to the anchor, e.g. ``(-0.12, 0.06)``.
    search_s
        Largest shift tried (both directions).
    min_fraction
        Fewest samples (with half their channels or more, not wild), as a fraction of what a full
        window holds, for a shift to count; the unshifted window must hold as many (a stride in a
        gap or at the clip's edge is not aligned by sliding the window onto the data next to it).
        Default 0.4 (at least 3 samples): a leg masked for a few frames by the leg-label repair
        (drawn on the other foot, most often just before the far foot lands) leaves the rest of
        the window to time the stride; at 0.6 such strides lost their contact (harness, severity 2,
        120 fps: 15 % of the far foot's contacts missed, 6 % at 0.4, SD 13.1 -> 13.6 ms).

    Returns
    -------
    delta_s, cost
        The shift and the mean square residual of the stride's inliers at it; NaN, inf when no
        shift has enough samples (stride at the clip edge or in a gap) or more than
        :data:`MAX_WILD_FRACTION` of the aligned window is wild.
    """
    finite = np.isfinite(values).any(axis=1)
    m = (
        finite
        & (time_s >= anchor_s + window_s[0] - search_s)
        & (time_s <= anchor_s + window_s[1] + search_s)
    )
    tt, yy = time_s[m], values[m]
    if len(tt) < 3:
        return float("nan"), float("inf")
    n_ch = values.shape[1]
    deltas = np.arange(-search_s, search_s + GRID_STEP_S / 2, GRID_STEP_S)
    tau = tt[None, :] - anchor_s - deltas[:, None]
    inside = (tau >= window_s[0]) & (tau <= window_s[1])
    period = float(np.median(np.diff(time_s))) if len(time_s) > 1 else 1.0
    need = max(3, int(min_fraction * (window_s[1] - window_s[0]) / period))
    observed = np.isfinite(yy)
    home = (tt - anchor_s >= window_s[0]) & (tt - anchor_s <= window_s[1])
    half = (n_ch + 1) // 2  # a sample counts towards ``need`` with half its channels or more
    if (observed[home].sum(axis=1) >= half).sum() < need:
        return float("nan"), float("inf")  # the stride's own window is mostly missing
    expected = template.at(np.clip(tau, template.grid_s[0], template.grid_s[-1]))
    # each (sample, channel) entry counts where it is observed, in the window, and modelled
    valid = inside[..., None] & observed[None, :, :] & np.isfinite(expected)
    raw = np.where(valid, np.nan_to_num(yy[None, :, :] - expected), 0.0)
    n_valid = valid.sum(axis=2)
    resid = np.where(valid, _centred(raw, valid), 0.0)
    for _ in range(2):  # the offsets again without the wild samples (a landmark on the wrong leg)
        wild = (resid**2).sum(axis=2) > n_valid * OUTLIER_SAMPLE_RMS**2
        resid = np.where(valid, _centred(raw, valid & ~wild[..., None]), 0.0)
    sq = (resid**2).sum(axis=2)
    entries = valid.sum(axis=(1, 2))
    inlier_entries = np.where(wild, 0, n_valid).sum(axis=1)
    inliers = ((n_valid >= half) & ~wild).sum(axis=1)
    # the shift is chosen on the mean square per entry x channels with each sample's share
    # capped (truncated least squares): a few wild frames cost a fixed amount and cannot pull it
    capped = np.minimum(sq, n_valid * OUTLIER_SAMPLE_RMS**2).sum(axis=1)
    cost = np.where(inliers >= need, capped / np.maximum(entries, 1) * n_ch, np.inf)
    k = int(np.argmin(cost))
    if not np.isfinite(cost[k]):
        return float("nan"), float("inf")
    seen = n_valid[k] > 0
    if wild[k][seen].mean() > MAX_WILD_FRACTION:
        return float("nan"), float("inf")  # too much of the stride is off: not aligned
    delta = float(deltas[k])
    if 0 < k < len(deltas) - 1 and np.all(np.isfinite(cost[k - 1 : k + 2])):
        y0, y1, y2 = cost[k - 1 : k + 2]
        den = y0 - 2 * y1 + y2
        if den > 0:
            delta += 0.5 * (y0 - y2) / den * GRID_STEP_S
    # the residual reported is that of the inliers: how well the stride fits where it is seen
    inlier_cost = float(np.where(wild[k], 0.0, sq[k]).sum() / max(inlier_entries[k], 1) * n_ch)
    return delta, inlier_cost


#: Alignment residual (mean square, channel units: leg lengths; the knee angle / 60 deg) that
#: always counts as a fit: an RMS of 3 % of a leg length (~6 px on a 200 px leg, ~2 deg of knee),
#: above the natural stride-to-stride variation of noise-free mocap strides (up to ~2.9 %).
#: Without it, nearly noise-free strides would be judged by their tiny natural variation alone.
FIT_FLOOR = 0.03**2


def typical(cost: np.ndarray, factor: float = 3.0, floor: float = FIT_FLOOR) -> np.ndarray:
    """Strides that fit: finite residual at most ``factor`` x the median (or ``floor``).

    A stride cut by the clip's edge or hidden by a gap fits badly and would blur the template.
    """
    finite = np.isfinite(cost)
    if not finite.any():
        return finite
    return finite & (cost <= max(factor * float(np.median(cost[finite])), floor))


def align_strides(
    time_s: np.ndarray,
    values: np.ndarray,
    anchors_s: np.ndarray,
    *,
    span_s: tuple[float, float],
    window_s: tuple[float, float],
    bandwidth_s: float,
    search_s: float,
    iterations: int = 3,
) -> tuple[np.ndarray, np.ndarray, Template]:
    """Iteratively build the template and align every stride to it.

    Each pass builds the template from the current anchors, aligns each stride within
    ``window_s`` and moves its anchor; the median shift is removed so the template does not
    drift. The search range halves each pass (not below 20 ms). After the first pass only
    strides that fit (residual at most 3x the median) build the template.

    Returns
    -------
    anchors_s, cost, template
        Refined anchors (NaN where a stride could not be aligned), the alignment residual of each
        stride (inf where not aligned) and the final template.
    """
    anchors = np.asarray(anchors_s, dtype=float).copy()
    cost = np.full(len(anchors), np.inf)
    search = search_s
    use = np.isfinite(anchors)
    for _ in range(iterations):
        template = build_template(time_s, values, anchors[use], span_s, bandwidth_s, robust=True)
        shifts = np.full(len(anchors), np.nan)
        for i in np.flatnonzero(np.isfinite(anchors)):
            shifts[i], cost[i] = register(time_s, values, anchors[i], template, window_s, search)
        good = np.isfinite(shifts)
        if not good.any():
            break
        ref = good & typical(cost)
        shifts -= np.median(shifts[ref if ref.any() else good])
        anchors = np.where(good, anchors + np.where(good, shifts, 0.0), anchors)
        use = typical(cost)
        search = max(0.02, search / 2)
    template = build_template(time_s, values, anchors[use], span_s, bandwidth_s, robust=True)
    return np.where(np.isfinite(cost), anchors, np.nan), cost, template
