"""Clean a pose track: mask unreliable landmarks, repair left/right leg swaps, fill gaps, low-pass.

Every function returns a **new** track (the input is never modified) and appends a record
``{"step": <name>, <parameters and counts>}`` to the JSON list in ``attrs["cleaning"]``.

Only ``position`` is masked, filled and filtered: ``confidence`` stays as MediaPipe measured it, and
``position_world`` passes through unchanged except for the left/right relabelling of
:func:`repair_left_right_swaps`. :func:`clean_track` composes the steps in their sound order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from scipy.interpolate import CubicSpline, PchipInterpolator
from scipy.signal import butter, sosfiltfilt

from gait.errors import InvalidTrackError
from gait.skeleton import LEG_PARTS
from gait.track._model import PoseTrack

_TIME_TOL_S = 1e-6


def _check_range(
    name: str, value: float, low: float, high: float, *, low_open: bool = False
) -> None:
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        raise ValueError(
            f"Expected {name} in {'(' if low_open else '['}{low}, {high}], got {value!r}."
        )


@dataclass(frozen=True)
class CleanParams:
    """Parameters of :func:`clean_track`.

    Attributes
    ----------
    min_visibility
        Landmarks whose MediaPipe visibility is below this (in [0, 1]) are masked. Default 0.5, the
        threshold MediaPipe's own drawing utilities use to show a landmark; higher values would drop
        the far-side foot, which typically sits at 0.5-0.8 in side views.
    max_gap_s
        Longest gap, in seconds, filled by interpolation (time from the last sample before the gap
        to the first after it). Default 0.1 s: about a tenth of a running stride, short enough that
        a smooth curve through the neighbours is credible (2 missing frames at 30 fps).
    cutoff_hz
        Low-pass cut-off in Hz. Default 12 Hz: running kinematics from video are usually low-passed
        at 6-12 Hz; heel and toe events carry energy up to about 10 Hz, and 12 Hz keeps
        initial-contact timing at 30 fps and above.
    filter_order
        Order of the Butterworth filter (applied forward and backward, so the effective order is
        twice this). Default 4, the usual choice in biomechanics.
    repair_swaps
        Whether to repair left/right leg swaps (default True; turn off for frontal or rear views,
        where MediaPipe rarely swaps and the legs never cross).
    """

    min_visibility: float = 0.5
    max_gap_s: float = 0.1
    cutoff_hz: float = 12.0
    filter_order: int = 4
    repair_swaps: bool = True

    def __post_init__(self) -> None:
        _check_range("min_visibility", self.min_visibility, 0.0, 1.0)
        _check_range("max_gap_s", self.max_gap_s, 0.0, np.inf)
        _check_range("cutoff_hz", self.cutoff_hz, 0.0, np.inf, low_open=True)
        if not isinstance(self.filter_order, int) or self.filter_order < 1:
            raise ValueError(
                f"Expected filter_order to be a positive int, got {self.filter_order!r}."
            )


def clean_track(track: PoseTrack, params: CleanParams = CleanParams()) -> PoseTrack:
    """Apply the cleaning steps in order and return the cleaned track.

    Order: :func:`mask_duplicate_frames`, :func:`mask_low_confidence`,
    :func:`repair_left_right_swaps` (if ``params.repair_swaps``), :func:`interpolate_gaps`,
    :func:`lowpass`. Masking comes first so that swaps are judged on trusted points only; swaps are
    repaired before gaps are bridged, since bridging across a swap would draw a leg through the
    other.
    """
    out = mask_duplicate_frames(track)
    out = mask_low_confidence(out, min_visibility=params.min_visibility)
    if params.repair_swaps:
        out = repair_left_right_swaps(out)
    out = interpolate_gaps(out, max_gap_s=params.max_gap_s)
    return lowpass(out, cutoff_hz=params.cutoff_hz, order=params.filter_order)


def mask_low_confidence(track: PoseTrack, *, min_visibility: float = 0.5) -> PoseTrack:
    """Set positions to NaN where the confidence is below ``min_visibility``.

    Parameters
    ----------
    track
        A pose track.
    min_visibility
        Threshold in [0, 1]; default 0.5.

    Notes
    -----
    MediaPipe's visibility is the model's estimate of how likely the landmark is in view and not
    occluded; 0.5 is the threshold its drawing utilities use to show a landmark. In side views the
    far-side foot is partly hidden and usually scores 0.5-0.8 while still being placed well, so a
    stricter threshold would discard much of one leg. Positions whose confidence is NaN (unknown,
    e.g. CSVs from tools without a visibility column) are kept.
    """
    _check_range("min_visibility", min_visibility, 0.0, 1.0)
    low = track["confidence"] < min_visibility
    had = track["position"].notnull().all("space")
    out = track.assign(position=track["position"].where(~low))
    return _log(
        out,
        "mask_low_confidence",
        min_visibility=float(min_visibility),
        n_masked=int((low & had).sum()),
    )


def mask_duplicate_frames(track: PoseTrack) -> PoseTrack:
    """Set positions to NaN in frames flagged ``duplicate``: their true capture time is unknown."""
    dup = track["duplicate"] if "duplicate" in track else xr.zeros_like(track["time"], dtype=bool)
    out = track.assign(position=track["position"].where(~dup))
    return _log(out, "mask_duplicate_frames", n_frames=int(dup.sum()))


def interpolate_gaps(track: PoseTrack, *, max_gap_s: float = 0.1) -> PoseTrack:
    """Fill short interior runs of NaN positions by shape-preserving cubic (PCHIP) interpolation.

    Each keypoint and axis is filled on its own, against the true ``time`` coordinate (frame times
    may be irregular). A gap's duration is the time from the last valid sample before it to the
    first valid sample after it; gaps no longer than ``max_gap_s`` are filled, longer ones and
    leading or trailing NaNs stay NaN. The confidence is left as measured; the bool variable
    ``interpolated`` (time, keypoint) marks the filled landmarks (ORed with any earlier one).

    Parameters
    ----------
    track
        A pose track.
    max_gap_s
        Longest gap to fill, in seconds; default 0.1 (2 missing frames at 30 fps, 11 at 120 fps).
    """
    _check_range("max_gap_s", max_gap_s, 0.0, np.inf)
    t = track["time"].values
    pos = track["position"].transpose("time", "keypoint", "space")
    values = pos.values.copy()
    filled = np.zeros(values.shape, dtype=bool)
    for k in range(values.shape[1]):
        for a in range(values.shape[2]):
            filled[:, k, a] = _fill_series(t, values[:, k, a], max_gap_s)
    interpolated = filled.any(axis=2)
    if "interpolated" in track:
        interpolated |= track["interpolated"].transpose("time", "keypoint").values
    out = track.assign(
        position=pos.copy(data=values).transpose(*track["position"].dims),
        interpolated=(("time", "keypoint"), interpolated),
    )
    return _log(
        out, "interpolate_gaps", max_gap_s=float(max_gap_s), n_filled=int(filled.any(axis=2).sum())
    )


def lowpass(track: PoseTrack, *, cutoff_hz: float = 12.0, order: int = 4) -> PoseTrack:
    """Zero-phase Butterworth low-pass of the positions, per contiguous finite segment.

    Each keypoint and axis is split into runs of finite samples and each run is filtered with
    :func:`scipy.signal.sosfiltfilt` (forward and backward: no time shift). When frame times are
    irregular (variable frame rate), a run is resampled (cubic spline) onto a uniform grid at the
    median frame rate, filtered, and interpolated back to its own times. Runs too short for the
    filter's edge padding are left unfiltered and counted.

    Parameters
    ----------
    track
        A pose track.
    cutoff_hz
        Cut-off frequency in Hz; default 12. Running kinematics from video are usually low-passed
        around 6-12 Hz; heel and toe events carry energy up to about 10 Hz, and 12 Hz preserves the
        timing of initial contact at 30 fps and above. The cut-off actually used is
        ``min(cutoff_hz, 0.8 * Nyquist)`` and is recorded as ``effective_cutoff_hz``. Because the
        filter runs twice, the cut-off is its -6 dB point (gain 0.5), not -3 dB.
    order
        Butterworth order of one pass; default 4.
    """
    _check_range("cutoff_hz", cutoff_hz, 0.0, np.inf, low_open=True)
    if int(order) != order or order < 1:
        raise ValueError(f"Expected order to be a positive integer, got {order!r}.")
    t = track["time"].values
    if len(t) < 2:
        return _log(
            track,
            "lowpass",
            cutoff_hz=float(cutoff_hz),
            order=int(order),
            effective_cutoff_hz=None,
            n_segments_unfiltered=0,
        )
    fs_hz = float(1.0 / np.median(np.diff(t)))
    cut_hz = min(float(cutoff_hz), 0.8 * fs_hz / 2)
    pos = track["position"].transpose("time", "keypoint", "space")
    values = pos.values.copy()
    n_short = 0
    for k in range(values.shape[1]):
        for a in range(values.shape[2]):
            series = values[:, k, a]
            for start, stop in _finite_runs(series):
                seg = _filter_segment(t[start:stop], series[start:stop], fs_hz, cut_hz, int(order))
                if seg is None:
                    n_short += 1
                else:
                    series[start:stop] = seg
    out = track.assign(position=pos.copy(data=values).transpose(*track["position"].dims))
    return _log(
        out,
        "lowpass",
        cutoff_hz=float(cutoff_hz),
        order=int(order),
        effective_cutoff_hz=cut_hz,
        fs_hz=fs_hz,
        n_segments_unfiltered=n_short,
    )


def repair_left_right_swaps(
    track: PoseTrack, *, swap_cost_per_s: float = 0.5, max_bridge_s: float = 0.1
) -> PoseTrack:
    """Detect and undo frames where MediaPipe gave the left leg's landmarks to the right and back.

    In side views, worst on treadmills, MediaPipe often labels the near leg as the far one for a
    single frame or a run of frames. A 2-state Viterbi over frames picks, for each frame, *kept* or
    *swapped* labels. The model is second order: a state is the pair (s[t-1], s[t]), and the cost of
    frame t is how far the relabelled legs at t lie from their constant-velocity prediction from
    t-2 and t-1 (using the true frame times), averaged over the leg points and divided by a body
    scale (the median hip-to-ankle length). Each swapped frame also costs ``swap_cost_per_s`` times
    the frame period, so the majority labelling is kept and ambiguous frames stay as they are. The
    velocity term is what tells a swap from the legs genuinely crossing (twice per stride in side
    views): crossing legs keep their velocities, a swap reverses them. Runs of swapped frames longer
    than about half a stride are ambiguous (the complement is then the shorter explanation) and may
    be left as they are.

    Relabelled landmarks: knee, ankle, heel and foot_index (:data:`gait.skeleton.LEG_PARTS`) of both
    sides, in every variable with a ``keypoint`` dimension (position, confidence, position_world,
    interpolated). Hips are not swapped: in side views they nearly coincide and their labels follow
    the torso, which MediaPipe gets right. Frames with no leg landmark are skipped (bridged); if
    consecutive usable frames are more than ``max_bridge_s`` apart, no continuity cost links them.

    Parameters
    ----------
    track
        A pose track, preferably masked (:func:`mask_low_confidence`) but not yet filtered.
    swap_cost_per_s
        Prior cost of swapped labels per second, in body-scale units; per frame it is this times the
        median frame period, so the balance against the motion costs (which also shrink with the
        frame period near crossings) does not depend on the frame rate. The default 0.5 (0.017 per
        frame at 30 fps, about 6 px on a 360 px leg) is small against the leg separation outside
        crossings and was tuned on synthetic runners from 25 to 240 fps with 5 px noise.
    max_bridge_s
        Longest time between usable frames still linked by the motion model; default 0.1 s.

    Returns
    -------
    PoseTrack
        The repaired track, with the bool variable ``swapped`` (time) marking the frames whose leg
        labels were exchanged (XORed with any earlier one); the record gives ``n_frames_swapped``.
    """
    _check_range("swap_cost_per_s", swap_cost_per_s, 0.0, np.inf)
    _check_range("max_bridge_s", max_bridge_s, 0.0, np.inf)
    names = [f"{side}_{part}" for side in ("left", "right") for part in LEG_PARTS]
    missing = sorted(set(names) - set(map(str, track["keypoint"].values)))
    if missing:
        raise InvalidTrackError(f"Expected leg keypoints {missing} in the track for swap repair.")
    pos = track["position"].sel(keypoint=names).transpose("time", "keypoint", "space").values
    legs = pos.astype(np.float64).reshape(len(pos), 2, len(LEG_PARTS), 2)
    scale = _body_scale(track, legs)
    t = track["time"].values
    frame_cost = swap_cost_per_s * float(np.median(np.diff(t))) if len(t) > 1 else swap_cost_per_s
    states = _viterbi_swaps(legs / scale, t, frame_cost, max_bridge_s)
    out = _apply_swaps(track, states)
    swapped = states ^ track["swapped"].values if "swapped" in track else states
    out = out.assign(swapped=("time", swapped))
    return _log(
        out,
        "repair_left_right_swaps",
        parts=list(LEG_PARTS),
        swap_cost_per_s=float(swap_cost_per_s),
        max_bridge_s=float(max_bridge_s),
        body_scale_px=scale,
        n_frames_swapped=int(states.sum()),
    )


# -- helpers ----------------------------------------------------------------------------------


def _log(track: PoseTrack, step: str, **params: Any) -> PoseTrack:
    raw = track.attrs.get("cleaning", "[]")
    try:
        log = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidTrackError(
            "Expected attrs['cleaning'] to be a JSON list, got invalid JSON."
        ) from exc
    if not isinstance(log, list):
        raise InvalidTrackError(
            f"Expected attrs['cleaning'] to be a JSON list, got {type(log).__name__}."
        )
    return track.assign_attrs(cleaning=json.dumps([*log, {"step": step, **params}]))


def _fill_series(t: np.ndarray, y: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Fill short interior NaN runs of ``y`` in place; return the mask of filled samples."""
    finite = np.isfinite(y)
    mask = np.zeros(y.shape, dtype=bool)
    idx = np.flatnonzero(finite)
    if idx.size < 2 or idx.size == y.size:
        return mask
    gap = np.diff(idx) > 1
    before, after = idx[:-1][gap], idx[1:][gap]
    short = (t[after] - t[before]) <= max_gap_s + _TIME_TOL_S
    for b, e in zip(before[short], after[short], strict=True):
        mask[b + 1 : e] = True
    if mask.any():
        y[mask] = PchipInterpolator(t[idx], y[idx])(t[mask])
    return mask


def _finite_runs(y: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges of consecutive finite samples."""
    edges = np.diff(np.r_[0, np.isfinite(y).astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _filter_segment(
    t: np.ndarray, y: np.ndarray, fs_hz: float, cut_hz: float, order: int
) -> np.ndarray | None:
    """Zero-phase low-pass of one finite segment; None if it is too short to filter."""
    dt = np.diff(t)
    regular = dt.size > 0 and np.all(np.abs(dt * fs_hz - 1.0) < 1e-3)
    if regular:
        grid_t, grid_y, seg_fs = t, y, fs_hz
    else:
        n = round((t[-1] - t[0]) * fs_hz) + 1
        grid_t = np.linspace(t[0], t[-1], max(n, 2))
        grid_y = CubicSpline(t, y)(grid_t) if len(t) > 3 else np.interp(grid_t, t, y)
        seg_fs = (len(grid_t) - 1) / (t[-1] - t[0]) if t[-1] > t[0] else fs_hz
    sos = butter(order, min(cut_hz, 0.8 * seg_fs / 2), btype="low", fs=seg_fs, output="sos")
    padlen = 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    if len(grid_y) <= padlen:
        return None
    smooth = sosfiltfilt(sos, grid_y)
    return smooth if regular else CubicSpline(grid_t, smooth)(t)


def _body_scale(track: PoseTrack, legs: np.ndarray) -> float:
    """Median hip-to-ankle length in px (fallback: a quarter of the image height)."""
    kp = set(map(str, track["keypoint"].values))
    if {"left_hip", "right_hip"} <= kp:
        hips = track["position"].sel(keypoint=["left_hip", "right_hip"])
        hips = hips.transpose("time", "keypoint", "space").values.astype(np.float64)
        ankle = legs[:, :, LEG_PARTS.index("ankle"), :]
        length = np.linalg.norm(hips - ankle, axis=-1)
        if np.isfinite(length).any():
            scale = float(np.nanmedian(length))
            if scale > 0:
                return scale
    return max(1.0, 0.25 * float(track.attrs["image_height_px"]))


def _mean_distance(observed: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Mean over legs and parts of the point distances, ignoring NaNs (0 when none is finite)."""
    d = np.linalg.norm(observed - predicted, axis=-1)
    ok = np.isfinite(d)
    count = ok.sum(axis=(-2, -1))
    total = np.where(ok, d, 0.0).sum(axis=(-2, -1))
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def _transition_costs(legs: np.ndarray, t: np.ndarray, max_bridge_s: float) -> np.ndarray:
    """``cost[i, a, b, c]``: cost of frame i in state c given states a at i-2 and b at i-1."""
    m = len(legs)
    obs = np.stack([legs, legs[:, ::-1]])  # obs[s, i]: frame i relabelled by state s
    cost = np.zeros((m, 2, 2, 2))
    if m < 2:
        return cost
    link = np.diff(t) <= max_bridge_s + _TIME_TOL_S
    first = _mean_distance(obs[None, :, 1:], obs[:, None, :-1])  # [b, c, i-1]
    cost[1:] = np.where(link[:, None, None, None], np.moveaxis(first, -1, 0)[:, None], 0.0)
    if m < 3:
        return cost
    ratio = ((t[2:] - t[1:-1]) / (t[1:-1] - t[:-2]))[:, None, None, None]
    prev, prev2 = obs[:, 1:-1], obs[:, :-2]
    pred = prev[None] + ratio * (prev[None] - prev2[:, None])  # [a, b, i-2]
    pred = np.where(np.isfinite(pred), pred, prev[None])
    second = _mean_distance(obs[None, None, :, 2:], pred[:, :, None])  # [a, b, c, i-2]
    both = (link[1:] & link[:-1])[:, None, None, None]
    cost[2:] = np.where(both, np.moveaxis(second, -1, 0), cost[2:])
    return cost


def _viterbi_swaps(
    legs: np.ndarray, t: np.ndarray, swap_cost: float, max_bridge_s: float
) -> np.ndarray:
    """Most likely kept(0)/swapped(1) state per frame; frames without leg points stay 0."""
    states = np.zeros(len(legs), dtype=bool)
    usable = np.flatnonzero(np.isfinite(legs).any(axis=(1, 2, 3)))
    m = len(usable)
    if m == 0:
        return states
    trans = _transition_costs(legs[usable], t[usable], max_bridge_s)
    prior = np.array([0.0, swap_cost])
    acc = np.array([[0.0, swap_cost], [np.inf, np.inf]])  # acc[s(i-1), s(i)], dummy s(-1) = 0
    back = np.zeros((m, 2, 2), dtype=np.int8)
    for i in range(1, m):
        total = acc[:, :, None] + trans[i]  # [a, b, c]
        back[i] = np.argmin(total, axis=0)
        acc = total.min(axis=0) + prior[None, :]
    seq = np.zeros(m, dtype=np.int8)
    b, c = np.unravel_index(int(np.argmin(acc)), acc.shape)
    seq[-1] = c
    if m >= 2:
        seq[-2] = b
    for i in range(m - 1, 1, -1):
        seq[i - 2] = back[i, seq[i - 1], seq[i]]
    states[usable] = seq.astype(bool)
    return states


def _apply_swaps(track: PoseTrack, states: np.ndarray) -> PoseTrack:
    """Exchange left and right leg parts in the flagged frames of every per-keypoint variable."""
    if not states.any():
        return track.copy()
    names = list(map(str, track["keypoint"].values))
    perm = np.arange(len(names))
    for part in LEG_PARTS:
        i, j = names.index(f"left_{part}"), names.index(f"right_{part}")
        perm[i], perm[j] = j, i
    flag = xr.DataArray(states, dims="time")
    updates = {}
    for name, var in track.data_vars.items():
        if "keypoint" in var.dims and "time" in var.dims:
            axis = var.get_axis_num("keypoint")
            permuted = var.copy(data=np.take(var.values, perm, axis=axis))
            updates[name] = xr.where(flag, permuted, var, keep_attrs=True).transpose(*var.dims)
    return track.assign(updates)
