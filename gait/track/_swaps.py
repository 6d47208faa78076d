"""Left/right leg-swap repair: a second-order Viterbi over frames (see repair_left_right_swaps)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gait.errors import InvalidTrackError
from gait.skeleton import LEG_PARTS
from gait.track._model import PoseTrack
from gait.track._steps import _TIME_TOL_S, _check_range, _log


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


def _body_scale(track: PoseTrack, legs: np.ndarray) -> float:
    """Median hip-to-ankle length in px (fallback: a quarter of the image height)."""
    kp = set(map(str, track["keypoint"].values))
    if {"left_hip", "right_hip"} <= kp:
        hips_da = track["position"].sel(keypoint=["left_hip", "right_hip"])
        hips = hips_da.transpose("time", "keypoint", "space").values.astype(np.float64)
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
