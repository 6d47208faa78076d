"""Clean a pose track: mask unreliable landmarks, repair left/right leg swaps, fill gaps, low-pass.

Every function returns a **new** track (the input is never modified) and appends a record
``{"step": <name>, <parameters and counts>}`` to the JSON list in ``attrs["cleaning"]``.

Only ``position`` is masked, filled and filtered: ``confidence`` stays as MediaPipe measured it, and
``position_world`` passes through unchanged except for the left/right relabelling of
:func:`repair_left_right_swaps`. :func:`clean_track` composes the steps in their sound order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from gait.errors import ConfigError
from gait.track._labels import repair_leg_labels
from gait.track._model import PoseTrack
from gait.track._steps import _TIME_TOL_S, _check_range, _log
from gait.track._swaps import repair_left_right_swaps
from gait.track.view import TrackView, detect_view, given_view

__all__ = [
    "CleanParams",
    "clean_track",
    "interpolate_gaps",
    "lowpass",
    "mask_duplicate_frames",
    "mask_low_confidence",
    "repair_left_right_swaps",
    "repair_leg_labels",
]


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
        Whether to repair MediaPipe's leg labels in side views (default True). The repair is
        :func:`repair_leg_labels`: the gait cycle decides which foot is which. Rear and front
        views are not repaired: the legs do not cross there and the labels follow image position.
    """

    min_visibility: float = 0.5
    max_gap_s: float = 0.1
    cutoff_hz: float = 12.0
    filter_order: int = 4
    repair_swaps: bool = True

    def __post_init__(self) -> None:
        """Check every parameter's range; raise ConfigError on one outside it."""
        _check_range("min_visibility", self.min_visibility, 0.0, 1.0)
        _check_range("max_gap_s", self.max_gap_s, 0.0, np.inf)
        _check_range("cutoff_hz", self.cutoff_hz, 0.0, np.inf, low_open=True)
        if isinstance(self.filter_order, bool) or not isinstance(self.filter_order, int) or self.filter_order < 1:
            raise ConfigError(f"filter_order must be a whole number of at least 1, got {self.filter_order!r}.")
        if not isinstance(self.repair_swaps, bool):
            raise ConfigError(f"repair_swaps must be True or False, got {self.repair_swaps!r}.")


def clip_view(track: PoseTrack, params: CleanParams = CleanParams(), *, given: str | None = None) -> TrackView:
    """The camera view of a raw pose track, right after pose: the first decision of an analysis.

    Read from the trusted points (:func:`mask_duplicate_frames`, :func:`mask_low_confidence`), so
    that each view can choose its own cleaning (:func:`clean_track`'s ``view``) and methods.

    Parameters
    ----------
    track
        The raw pose track.
    params
        Cleaning parameters (``min_visibility`` decides which points are trusted).
    given
        The view the user gave (``--view``), else None: detected (:func:`detect_view`).
    """
    trusted = mask_low_confidence(mask_duplicate_frames(track), min_visibility=params.min_visibility)
    return detect_view(trusted) if given is None else given_view(trusted, given)


def clean_track(
    track: PoseTrack,
    params: CleanParams = CleanParams(),
    *,
    view: TrackView | None = None,
    repair_labels: bool | None = None,
) -> PoseTrack:
    """Apply the cleaning steps in order and return the cleaned track.

    Order: :func:`mask_duplicate_frames`, :func:`mask_low_confidence`,
    :func:`repair_leg_labels` (side views, if ``params.repair_swaps``), :func:`interpolate_gaps`,
    :func:`lowpass`. Masking comes first so that labels are judged on trusted points only; labels
    are repaired before gaps are bridged and before filtering, since bridging or smoothing across a
    wrong label would draw a leg through the other.

    ``view``: the clip's view (:func:`clip_view`); None: detected here from the trusted points.
    ``repair_labels``: whether this view's leg labels are repaired (the view registry says);
    None: side views only. ``params.repair_swaps`` False turns the repair off in every view.
    """
    out = mask_duplicate_frames(track)
    out = mask_low_confidence(out, min_visibility=params.min_visibility)
    relabelled_away = None
    if params.repair_swaps:
        view = detect_view(out) if view is None else view
        if repair_labels is None:
            repair_labels = view.view in ("side_left", "side_right")
        if repair_labels:
            before = out["position"].notnull()
            out = repair_leg_labels(out, sign=view.forward_sign)
            relabelled_away = before.values & out["position"].isnull().values
        else:
            kept = out["swapped"].values if "swapped" in out else np.zeros(out.sizes["time"], bool)
            out = _log(
                out.assign(swapped=("time", kept)),
                "repair_leg_labels",
                applied=False,
                reason=f"{view.view} view: the legs do not cross, labels follow image position",
            )
    out = interpolate_gaps(out, max_gap_s=params.max_gap_s)
    if relabelled_away is not None and relabelled_away.any():
        # a leg drawn on the wrong foot is not bridged: a curve through it would cut off the
        # foot's path exactly where contact is timed; the events read the other strides there
        pos = out["position"]
        out = out.assign(position=pos.where(~relabelled_away))
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
        from scipy.interpolate import PchipInterpolator  # lazy, as in _filter_segment

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
    # imported here: scipy.signal and scipy.interpolate cost ~1 s to import, which `gait pose`
    # (it needs gait.track for the track type, not the filters) need not pay
    from scipy.interpolate import CubicSpline
    from scipy.signal import butter, sosfiltfilt

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

