"""A MediaPipe-like pose-error model for the virtual camera: leg-label episodes, correlated jitter.

:func:`gait.validate.camera.project_to_camera` adds i.i.d. Gaussian noise to exact projections.
Real MediaPipe output on side-view running video differs in ways that break event detectors, and
:func:`apply_pose_errors` adds them to a :class:`~gait.validate.camera.CameraClip` instead:

Leg-label episodes (side views; the far leg is the one away from the camera)
    Runs of frames in which the legs' landmarks (knee, ankle, heel, foot_index; hips never) are
    wrong, of three kinds: ``swap`` (the two legs' landmarks exchanged), ``snap`` (the far leg drawn
    at the near leg's positions plus a few px of noise) and ``blend`` (each leg drawn as a weighted
    mix of both, its own weight uniform in ``blend_weight``, one weight per leg and episode).
    Durations are in seconds so that the model scales with the frame rate: a shifted exponential
    (the continuous form of a geometric number of frames) from ``episode_min_s`` with median
    ``episode_median_s``, redrawn above ``episode_max_s``; an episode covers
    ``max(1, round(duration * fps))`` frames. The count is ``episodes_per_stride`` times the
    clip's strides (stochastically rounded, so the mean is exact); a share
    ``pre_contact_fraction`` starts ``pre_contact_lead_s`` before one of the far foot's force-plate
    initial contacts, the rest uniformly in time. Episodes never overlap or touch (one clean frame
    between them); one that finds no room after 50 draws is dropped (at severity 3 about one in
    100; the realised count is in the track's ``pose_errors`` attribute).
Visibility
    Unchanged inside episodes: MediaPipe's far-leg visibility gives no warning of them.
Correlated jitter
    An AR(1) (discrete Ornstein-Uhlenbeck) process per keypoint and image axis, per-frame
    coefficient ``a = exp(-1 / (fps * noise_tau_s))``, started from its stationary law, with the
    camera's marginal SD (``clip.noise_px``, 0.9 % of stature by default; in a rear or front view
    of overground running scaled per frame with the runner's apparent size, with the camera's
    floor of ``MIN_NOISE_PX``, as the camera's own noise is). It is driven by the very
    normal draws the camera used for its i.i.d. noise (same seed), so ``noise_tau_s = 0`` gives the
    camera's noise bit for bit.
Dropouts
    Runs of frames with no far-foot landmarks (ankle, heel, foot_index: NaN position and NaN
    confidence), ``dropouts_per_stride`` of them, durations like the episodes' with their own
    median and maximum, never inside or touching an episode.
Frontal leg-label episodes (rear and front views only; opt-in, 0 in every severity)
    From behind or in front neither leg is the far one: MediaPipe mixes the legs up in either
    direction. ``frontal_episodes_per_stride`` episodes per stride (placed as the side-view ones:
    a share ``pre_contact_fraction`` starts ``pre_contact_lead_s`` before an initial contact of
    either foot, the rest uniformly; never overlapping or touching), durations from
    ``episode_min_s`` with median ``frontal_episode_median_s``, redrawn above
    ``frontal_episode_max_s`` (so some are long runs), of two kinds: a share
    ``frontal_swap_fraction`` are whole-leg swaps (knee, ankle, heel, foot_index of the two legs
    exchanged), the rest foot snaps (one foot, drawn at random, its ankle, heel and foot_index at
    the other foot's plus ``snap_noise_frac`` noise, or in a share ``frontal_heel_snap_fraction``
    its heel alone; the knee stays). Visibility is unchanged.

Severities (:meth:`PoseErrorModel.at_severity`):

====  ==================  ==========  ===========================  ============  ======== ========
level episodes / stride   duration s  kinds swap / snap / blend    pre-contact   tau s    dropouts
====  ==================  ==========  ===========================  ============  ======== ========
0     0 (today's model)   -           -                            -             0 (iid)  0
1     0.6 (sample clip)   0.017-0.2,  0.2 / 0.2 / 0.6              0.4           0.10     0.05
                          median 0.07
2     2.4 (failing clip)  same        0.5 / 0.25 / 0.25            0.4           0.10     0.15
3     4.0                 0.017-0.25, 0.5 / 0.25 / 0.25            0.4           0.10     0.4
                          median 0.08
====  ==================  ==========  ===========================  ============  ======== ========

Sources. The rates (0.6 and 2.4 episodes per stride), the 1-11 frame episode lengths at 30-60 fps,
the three kinds, "a third of episodes within ~0.15 s before the far foot's contact", the lag-1
autocorrelation of the jitter (~0.7 at 30 fps, ~0.9 at 60 fps: a time constant of 0.1-0.15 s)
and the unchanged visibility are the measurements reported in the robust-events issue (the
sample clip and a failing phone clip). Our own measurement (``tests/benchmarks/pose_errors.py``,
MediaPipe full, VIDEO mode) agrees on most:

* Jitter, sample treadmill clip (360 frames, 30 fps, body ~600 px): residual from a
  stride-periodic Fourier fit (up to 10 Hz) with the runner's belt drift (< 0.3 Hz) removed,
  corrected for what that fit removes from AR(1) noise: hips vertical lag-1 autocorrelation 0.70
  (tau 0.09 s), SD 0.80 % of body height; knees 0.54-0.62 (tau 0.05-0.07 s), SD 1.0 % (y) and
  1.4 % (x); hips horizontal 0.92, SD 1.3 %, which still holds the runner's motion on the belt.
  The rotated re-encode of the clip gives the same figures within 0.05. The two 2-3 s overground
  clips are too short to separate noise from motion (residual SD 1.2-3.7 %, lag-1 0.4-0.9). So:
  0.9 % SD confirmed, lag-1 0.55-0.7 at 30 fps, tau 0.06-0.1 s, at the short end of the issue's
  0.1-0.15 s; we use 0.10 s (0.72 at 30 fps, 0.85 at 60 fps). A 6 Hz low-pass residual, as first
  planned, cannot measure this at 30 fps: it keeps only 6-15 Hz, where any noise with tau > 0.05
  s has a lag-1 autocorrelation near -0.43 (the clips: -0.2 to -0.5).
* Episodes (a foot closer to the other leg's stride-periodic trajectory than to its own, where
  the feet are > 10 % of body height apart): sample clip 15 in 16.9 strides (0.89 per stride;
  rotated re-encode 0.77), all 1 frame but one of 2; 1 swap, 10 far foot only, 4 near foot only,
  the feet drawn 30-60 % of their true distance apart (blends; one snap-like at 11 %). The
  overground pass-by clip: 4 in 2.5 strides (1.6 per stride), 1-3 frames, 3 of them swaps. The
  rear clip: not measurable (the feet are never that far apart). So our rates are of the same
  order as 0.6 / 2.4 (we keep the issue's), our episodes are shorter (median 1 frame = 0.033 s at
  30 fps against 0.07 s), blends dominate on the treadmill and swaps on the overground clip.
* Placement: 53 % (re-encode 62 %) of the sample's episodes start 5-7 frames (0.17-0.23 s) before
  an annotated far-foot IC (the foot's furthest-forward point, ~28 ms before force-plate contact),
  against 28 % for uniform placement: a pre-contact share of 0.35-0.47 (the issue: a third), a
  little earlier than the issue's 0.15 s; hence ``pre_contact_fraction = 0.4`` and
  ``pre_contact_lead_s = (0.05, 0.25)`` (start 0.05-0.25 s before the force-plate contact).
* Visibility of the far foot inside episodes 0.75-0.76, elsewhere 0.77: no warning (confirmed).
* Foot lag (opt-in, ``foot_lag_s``; 0 in every severity, so they are unchanged bit for bit):
  MediaPipe's feet arrive late where they decelerate. On the sample treadmill clip (34
  hand-annotated contacts, ``tests/benchmarks/foot_lag.py``) the foot's belt-relative speed falls
  below 0.35 x the running speed 1.6 frames (53 ms, SD 0.4 frame) after the annotated contact.
  Modelled as a causal one-pole low-pass (time constant ``foot_lag_s``) on both legs' ankle,
  heel and foot_index positions, after the jitter and before the episodes, as a tracker's
  smoothing would be.
* Dropouts: none inside the side clips' running; the rear clip has runs of 1 and 11 frames while
  the runner steps over the camera. Hence rare dropouts (0.05 per stride at severity 1).
* Frontal episodes (``frontal_*``): the rear clip's MediaPipe track (``gait pose --workers 1``)
  against the OpenPose skeleton drawn on that clip (left leg blue, right cyan): the colour under
  each MediaPipe knee, ankle and heel per frame (``tests/benchmarks/rear_overground.py
  --label-colours``). Its running, frames 32-102 (~3.6 strides), has 5 runs of frames with a leg
  point on the other leg: 1, 3, 1, 4 and 3 frames (median 0.1 s), 4 of one foot's heel or ankle
  drawn on the other foot (knees right: snaps) and one of 4 frames with both heels on the other
  foot in turn (swap-like); the step over the camera adds one whole-leg swap of 2 frames (knees
  too). All five start 3-7 frames (0.1-0.23 s) before an annotated contact, which with steps of
  ~10 frames chance would do 60 % of the time, so the side view's placement is kept. The
  side-view episode measure cannot see them (the feet are never > 10 % of body height apart).
  Checking the foot_index too adds two short runs (a toe on the other foot, 2 and 5 frames; less
  sure where the toes meet at the midline), not counted. Hence ``frontal_episodes_per_stride =
  1.4``, ``frontal_episode_median_s = 0.1``, ``frontal_swap_fraction = 0.25`` and, as 3 of the 6
  foot-level pieces (40, 59-61, 81-82) move the heel alone and the others the ankle (with the heel
  in two), ``frontal_heel_snap_fraction = 0.5`` (the ankle-only piece is modelled as a whole
  foot). No run longer than 4 frames was seen on this one short clip; ``frontal_episode_max_s =
  0.4`` (12 frames at 30 fps) lets a few long runs through as a stress the detector must survive,
  not a measurement (:data:`FRONTAL_MEASURED`: these values; the
  rear/front overground harness uses them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from gait.skeleton import KEYPOINTS, LEG_PARTS
from gait.validate.camera import MIN_NOISE_PX, NOISE_FRACTION

if TYPE_CHECKING:
    from gait.track import PoseTrack
    from gait.validate.camera import CameraClip
    from gait.validate.mocap import MocapTrial
    from gait.validate.truth import GroundTruth

SEVERITIES: tuple[int, ...] = (0, 1, 2, 3)
KINDS: tuple[str, ...] = ("swap", "snap", "blend")
FOOT_PARTS: tuple[str, ...] = ("ankle", "heel", "foot_index")
DEFAULT_STRIDE_S = 0.7
_NEAR = {"side_left": "left", "side_right": "right"}
_INDEX = {name: i for i, name in enumerate(KEYPOINTS)}
_PLACEMENT_TRIES = 50
FRONTAL_KINDS: tuple[str, ...] = ("swap", "snap")


@dataclass(frozen=True)
class PoseErrorModel:
    """How MediaPipe's errors are simulated (module docstring: the model, values and sources).

    Attributes
    ----------
    episodes_per_stride
        Mean number of leg-label episodes per stride (0.6 on the sample clip, 2.4 on a failing
        clip).
    episode_min_s, episode_median_s, episode_max_s
        Episode duration: ``episode_min_s`` plus an exponential with median
        ``episode_median_s - episode_min_s``, redrawn above ``episode_max_s`` (1-11 frames at 30-60
        fps on real clips: 0.017-0.2 s, median ~0.07 s).
    kind_weights
        Relative frequencies of ``("swap", "snap", "blend")`` episodes.
    pre_contact_fraction
        Share of episodes that start ``pre_contact_lead_s`` before a far-foot initial contact.
    pre_contact_lead_s
        ``(low, high)`` time from a pre-contact episode's start to the far foot's contact, uniform.
    blend_weight
        ``(low, high)``: in a blend, each leg = ``w * own + (1 - w) * other``, ``w`` uniform here.
    snap_noise_frac
        SD per axis of the noise around a snapped far leg, as a fraction of stature (0.004: 2 px on
        a 500 px runner).
    noise_tau_s
        Time constant of the AR(1) jitter; 0 = i.i.d. (the camera's noise, bit for bit).
    dropouts_per_stride
        Mean number of far-foot dropouts per stride.
    dropout_median_s, dropout_max_s
        Dropout duration (same shifted exponential from ``episode_min_s``).
    foot_lag_s
        Time constant of the causal low-pass on the feet (module docstring, "Foot lag"); 0 = none
        (every severity's default: opt-in, e.g. ``replace(PoseErrorModel.at_severity(2),
        foot_lag_s=FOOT_LAG_S)``).
    frontal_episodes_per_stride
        Mean number of frontal leg-label episodes per stride (rear/front views only; module
        docstring); 0 = none (every severity's default; :data:`FRONTAL_MEASURED` has the measured
        values).
    frontal_episode_median_s, frontal_episode_max_s
        Their duration: from ``episode_min_s``, this median, redrawn above this maximum.
    frontal_swap_fraction
        Share of frontal episodes that swap the whole legs; the rest snap one foot onto the other.
    frontal_heel_snap_fraction
        Share of those snaps that move the heel alone (the rest move ankle, heel and foot_index).
    """

    episodes_per_stride: float = 0.0
    episode_min_s: float = 0.017
    episode_median_s: float = 0.07
    episode_max_s: float = 0.2
    kind_weights: tuple[float, float, float] = (0.2, 0.2, 0.6)
    pre_contact_fraction: float = 0.4
    pre_contact_lead_s: tuple[float, float] = (0.05, 0.25)
    blend_weight: tuple[float, float] = (0.3, 0.7)
    snap_noise_frac: float = 0.004
    noise_tau_s: float = 0.0
    dropouts_per_stride: float = 0.0
    dropout_median_s: float = 0.05
    dropout_max_s: float = 0.15
    foot_lag_s: float = 0.0
    frontal_episodes_per_stride: float = 0.0
    frontal_episode_median_s: float = 0.08
    frontal_episode_max_s: float = 0.4
    frontal_swap_fraction: float = 0.25
    frontal_heel_snap_fraction: float = 0.0

    def __post_init__(self) -> None:
        """Check that rates are non-negative and durations ordered (min < median < max); raise ValueError."""
        nonneg = (
            "episodes_per_stride",
            "snap_noise_frac",
            "noise_tau_s",
            "dropouts_per_stride",
            "foot_lag_s",
            "frontal_episodes_per_stride",
        )
        for name in nonneg:
            if not getattr(self, name) >= 0:
                raise ValueError(f"Expected {name} >= 0, got {getattr(self, name)!r}.")
        for median, top in (
            (self.episode_median_s, self.episode_max_s),
            (self.dropout_median_s, self.dropout_max_s),
            (self.frontal_episode_median_s, self.frontal_episode_max_s),
        ):
            if not 0 < self.episode_min_s < median < top:
                raise ValueError(
                    "Expected 0 < episode_min_s < median < max durations, got "
                    f"{self.episode_min_s}, {median}, {top}."
                )
        for name in ("frontal_swap_fraction", "frontal_heel_snap_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"Expected {name} in [0, 1], got {getattr(self, name)}.")
        if len(self.kind_weights) != len(KINDS) or min(self.kind_weights) < 0:
            raise ValueError(f"Expected 3 non-negative kind weights, got {self.kind_weights}.")
        if sum(self.kind_weights) <= 0:
            raise ValueError("Expected a positive kind weight.")
        if not 0 <= self.pre_contact_fraction <= 1:
            raise ValueError(
                f"Expected pre_contact_fraction in [0, 1], got {self.pre_contact_fraction}."
            )
        for name in ("pre_contact_lead_s", "blend_weight"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"Expected 0 <= low <= high for {name}, got {(low, high)}.")

    @classmethod
    def at_severity(cls, level: int) -> PoseErrorModel:
        """The model of a severity level in :data:`SEVERITIES` (table in the module docstring)."""
        if level == 0:
            return cls()
        tau_s = 0.10  # every non-zero severity's jitter time constant
        if level == 1:
            return cls(episodes_per_stride=0.6, dropouts_per_stride=0.05, noise_tau_s=tau_s)
        if level == 2:
            return cls(
                episodes_per_stride=2.4,
                kind_weights=(0.5, 0.25, 0.25),
                dropouts_per_stride=0.15,
                noise_tau_s=tau_s,
            )
        if level == 3:
            return cls(
                episodes_per_stride=4.0,
                episode_median_s=0.08,
                episode_max_s=0.25,
                kind_weights=(0.5, 0.25, 0.25),
                dropouts_per_stride=0.4,
                dropout_median_s=0.07,
                dropout_max_s=0.25,
                noise_tau_s=tau_s,
            )
        raise ValueError(f"Expected a severity in {SEVERITIES}, got {level!r}.")


class FrontalEpisodeFields(TypedDict):
    """The frontal leg-label episodes' fields of :class:`PoseErrorModel` (``replace(model, **params)``)."""

    frontal_episodes_per_stride: float
    frontal_episode_median_s: float
    frontal_episode_max_s: float
    frontal_swap_fraction: float
    frontal_heel_snap_fraction: float


#: The frontal leg-label episodes measured on the real rear clip (module docstring, "Frontal
#: episodes"): ``replace(PoseErrorModel.at_severity(2), **FRONTAL_MEASURED)`` for a rear or front view.
FRONTAL_MEASURED: FrontalEpisodeFields = {
    "frontal_episodes_per_stride": 1.4,
    "frontal_episode_median_s": 0.1,
    "frontal_episode_max_s": 0.4,
    "frontal_swap_fraction": 0.25,
    "frontal_heel_snap_fraction": 0.5,
}


def _duration_s(rng: np.random.Generator, low: float, median: float, high: float) -> float:
    """Shifted exponential from ``low`` with the given median, redrawn above ``high``."""
    scale = (median - low) / np.log(2.0)
    while True:
        d = low + rng.exponential(scale)
        if d <= high:
            return float(d)


def _stochastic_round(rng: np.random.Generator, x: float) -> int:
    return int(np.floor(x + rng.uniform()))


def _stride_s(truth: GroundTruth, far: str) -> float:
    """Stride period: median interval of the far foot's ICs, else 120 / cadence, else 0.7 s."""
    ev = truth.events
    ic = np.sort(ev.loc[(ev["side"] == far) & (ev["kind"] == "ic"), "time_s"].to_numpy(float))
    if len(ic) >= 2:
        return float(np.median(np.diff(ic)))
    if np.isfinite(truth.cadence_spm) and truth.cadence_spm > 0:
        return 120.0 / truth.cadence_spm
    return DEFAULT_STRIDE_S


def _free(busy: np.ndarray, start: int, stop: int) -> bool:
    """Whether frames ``start:stop`` and one frame either side are free."""
    return 0 <= start < stop <= len(busy) and not busy[max(start - 1, 0) : stop + 1].any()


def plan_episodes(
    n_frames: int,
    fps: float,
    far_ic_s: np.ndarray,
    stride_s: float,
    model: PoseErrorModel,
    seed: int,
) -> pd.DataFrame:
    """Draw the leg-label episodes of a clip (pure; :func:`apply_pose_errors` uses it).

    Parameters
    ----------
    n_frames, fps
        The clip's length and frame rate (frame ``j`` at ``j / fps``).
    far_ic_s
        The far foot's initial-contact times (track time).
    stride_s
        Stride period; the expected count is ``model.episodes_per_stride * n_frames / fps /
        stride_s``.
    model
        The error model.
    seed
        Seeds the draw.

    Returns
    -------
    pandas.DataFrame
        One row per episode, sorted by ``start``: ``start``, ``stop`` (frame indices, stop
        exclusive), ``kind`` (:data:`KINDS`), ``pre_contact`` (placed before a far IC),
        ``w_left``, ``w_right`` (blend weights, NaN for other kinds).
    """
    rng = np.random.default_rng([int(seed), 1])
    busy = np.zeros(n_frames, bool)
    far_ic_s = np.asarray(far_ic_s, float)
    n_strides = n_frames / fps / stride_s
    count = _stochastic_round(rng, model.episodes_per_stride * n_strides)
    n_pre = _stochastic_round(rng, model.pre_contact_fraction * count) if len(far_ic_s) else 0
    weights = np.asarray(model.kind_weights, float) / sum(model.kind_weights)
    rows = []
    for k in range(count):
        kind = KINDS[int(rng.choice(len(KINDS), p=weights))]
        d = _duration_s(rng, model.episode_min_s, model.episode_median_s, model.episode_max_s)
        length = max(1, round(d * fps))
        w = rng.uniform(*model.blend_weight, size=2)
        pre = k < n_pre
        placed = _place(rng, busy, length, fps, far_ic_s if pre else None, model.pre_contact_lead_s)
        if placed is None:
            continue
        rows.append(
            {
                "start": placed,
                "stop": placed + length,
                "kind": kind,
                "pre_contact": pre,
                "w_left": float(w[0]) if kind == "blend" else np.nan,
                "w_right": float(w[1]) if kind == "blend" else np.nan,
            }
        )
    columns = ["start", "stop", "kind", "pre_contact", "w_left", "w_right"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("start").reset_index(drop=True)


def _place(
    rng: np.random.Generator,
    busy: np.ndarray,
    length: int,
    fps: float,
    before_s: np.ndarray | None,
    lead_s: tuple[float, float],
) -> int | None:
    """First frame of an episode of ``length`` frames placed where ``busy`` is free, marked busy there.

    ``before_s``: start ``lead_s`` (uniform) before one of these times; None: anywhere in the clip.
    None when :data:`_PLACEMENT_TRIES` draws all overlap an earlier episode.
    """
    n_frames = len(busy)
    for _ in range(_PLACEMENT_TRIES):
        if before_s is not None:
            t0 = rng.choice(before_s) - rng.uniform(*lead_s)
        else:
            t0 = rng.uniform(0.0, max(n_frames - length, 1) / fps)
        start = round(t0 * fps)
        if _free(busy, start, start + length):
            busy[start : start + length] = True
            return int(start)
    return None


def plan_frontal_episodes(
    n_frames: int, fps: float, ic_s: np.ndarray, stride_s: float, model: PoseErrorModel, seed: int
) -> pd.DataFrame:
    """Draw the frontal leg-label episodes of a rear or front clip (pure; module docstring).

    Parameters
    ----------
    n_frames, fps
        The clip's length and frame rate.
    ic_s
        Initial-contact times of both feet (track time): a share ``pre_contact_fraction`` of the
        episodes starts ``pre_contact_lead_s`` before one of them.
    stride_s
        Stride period; the expected count is ``model.frontal_episodes_per_stride * n_frames / fps
        / stride_s``.
    model, seed
        The error model and the draw's seed.

    Returns
    -------
    pandas.DataFrame
        One row per episode, sorted by ``start``: ``start``, ``stop`` (frames, stop exclusive),
        ``kind`` (:data:`FRONTAL_KINDS`), ``pre_contact``, ``foot`` (the snapped foot, ``"left"``
        or ``"right"``; empty for a swap).
    """
    rng = np.random.default_rng([int(seed), 4])
    busy = np.zeros(n_frames, bool)
    ic_s = np.asarray(ic_s, float)
    count = _stochastic_round(rng, model.frontal_episodes_per_stride * n_frames / fps / stride_s)
    n_pre = _stochastic_round(rng, model.pre_contact_fraction * count) if len(ic_s) else 0
    rows = []
    for k in range(count):
        kind = "swap" if rng.uniform() < model.frontal_swap_fraction else "snap"
        foot = str(rng.choice(["left", "right"])) if kind == "snap" else ""
        d = _duration_s(rng, model.episode_min_s, model.frontal_episode_median_s, model.frontal_episode_max_s)
        length = max(1, round(d * fps))
        pre = k < n_pre
        start = _place(rng, busy, length, fps, ic_s if pre else None, model.pre_contact_lead_s)
        if start is not None:
            rows.append({"start": start, "stop": start + length, "kind": kind, "pre_contact": pre, "foot": foot})
    table = pd.DataFrame(rows, columns=["start", "stop", "kind", "pre_contact", "foot"])
    return table.sort_values("start").reset_index(drop=True)


def _apply_frontal_episodes(
    noisy: np.ndarray, episodes: pd.DataFrame, noise_px: np.ndarray, model: PoseErrorModel, seed: int
) -> np.ndarray:
    """Swap the legs or snap one foot onto the other inside each frontal episode; a new array."""
    rng = np.random.default_rng([int(seed), 5])
    out = noisy.copy()
    left, right = _leg_index("left"), _leg_index("right")
    feet = {s: [_INDEX[f"{s}_{p}"] for p in FOOT_PARTS] for s in ("left", "right")}
    for row in episodes.itertuples(index=False):
        s = slice(row.start, row.stop)
        if row.kind == "swap":
            out[s, left], out[s, right] = noisy[s][:, right], noisy[s][:, left]
            continue
        other = "right" if row.foot == "left" else "left"
        parts = slice(None)
        if model.frontal_heel_snap_fraction > 0 and rng.uniform() < model.frontal_heel_snap_fraction:
            parts = slice(1, 2)  # the heel alone (FOOT_PARTS[1])
        src, dst = np.asarray(feet[other])[parts], np.asarray(feet[row.foot])[parts]
        sd = model.snap_noise_frac / NOISE_FRACTION * noise_px[s]
        jitter = rng.normal(0.0, 1.0, noisy[s][:, src].shape) * sd[:, None, None]
        out[s, dst] = noisy[s][:, src] + jitter
    return out


def _noise_scale(clip: CameraClip) -> np.ndarray:
    """Per-frame factor on ``clip.noise_px``: the runner's apparent size in a rear or front view.

    ``distance_m / depth`` of the hips' midpoint (as :func:`gait.validate.camera.project_to_camera`
    scales its own noise overground, with its floor of ``MIN_NOISE_PX``); ones for side views,
    where the depth does not change.
    """
    n = len(clip.position_true_px)
    info = json.loads(clip.track.attrs.get("synthetic_camera", "{}"))
    if clip.camera.view in _NEAR or not info.get("overground_speed_m_s") or "distance_m" not in info:
        return np.ones(n)
    hip_mid = (np.asarray(clip.points_m["left_hip"]) + np.asarray(clip.points_m["right_hip"])) / 2
    depth = (hip_mid - clip.camera.position_m) @ clip.camera.rotation[2]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(depth > 0, float(info["distance_m"]) / depth, np.nan)
    if clip.noise_px > 0:
        scale = np.maximum(scale, MIN_NOISE_PX / clip.noise_px)
    return np.where(np.isfinite(scale), scale, 1.0)


def _plan_dropouts(
    busy: np.ndarray, fps: float, stride_s: float, model: PoseErrorModel, seed: int
) -> list[tuple[int, int]]:
    """Far-foot dropout runs ``(start, stop)`` in frames not ``busy`` (nor next to them)."""
    rng = np.random.default_rng([int(seed), 2])
    busy = busy.copy()
    n = len(busy)
    count = _stochastic_round(rng, model.dropouts_per_stride * n / fps / stride_s)
    runs = []
    for _ in range(count):
        d = _duration_s(rng, model.episode_min_s, model.dropout_median_s, model.dropout_max_s)
        length = max(1, round(d * fps))
        for _ in range(_PLACEMENT_TRIES):
            start = int(rng.integers(0, max(n - length, 0) + 1))
            if _free(busy, start, start + length):
                busy[start : start + length] = True
                runs.append((start, start + length))
                break
    return sorted(runs)


def _unit_noise(seed: int, shape: tuple[int, ...], fps: float, tau_s: float) -> np.ndarray:
    """The camera's standard-normal draws for ``seed`` (after its phase draw), AR(1)-filtered.

    :func:`gait.validate.camera.project_to_camera` draws the sub-frame phase, then the noise, from
    ``default_rng(seed)``; repeating that order gives the same normals. With ``tau_s > 0`` they
    drive ``x[0] = e[0]``, ``x[t] = a x[t-1] + sqrt(1 - a^2) e[t]`` (stationary, unit variance).
    """
    rng = np.random.default_rng(seed)
    rng.uniform(0.0, 1.0 / fps)
    e = rng.normal(0.0, 1.0, shape)
    if tau_s <= 0:
        return e
    a = float(np.exp(-1.0 / (fps * tau_s)))
    b = float(np.sqrt(1.0 - a * a))
    x, _ = lfilter([b], [1.0, -a], e, axis=0, zi=((1.0 - b) * e[:1]))
    return x


def _lag_feet(position_px: np.ndarray, fps: float, tau_s: float) -> np.ndarray:
    """Both legs' ankle, heel and foot_index through a causal one-pole low-pass (``tau_s``).

    ``y[t] = a y[t-1] + (1 - a) x[t]``, ``a = exp(-1 / (fps tau_s))``, started at ``y[0] = x[0]``
    (NaN frames are held at the last output and stay NaN).
    """
    a = float(np.exp(-1.0 / (fps * tau_s)))
    out = position_px.copy()
    for side in ("left", "right"):
        for part in FOOT_PARTS:
            k = _INDEX[f"{side}_{part}"]
            x = position_px[:, k]
            y = np.empty_like(x)
            prev = x[0].copy()
            for i in range(len(x)):
                ok = np.isfinite(x[i])
                prev = np.where(ok & np.isfinite(prev), a * prev + (1 - a) * x[i], np.where(ok, x[i], prev))
                y[i] = np.where(ok, prev, np.nan)
            out[:, k] = y
    return out


def _stature_px(clip: CameraClip) -> float:
    """Stature in pixels at the runner's distance (from the camera record), else from the noise."""
    info = json.loads(clip.track.attrs.get("synthetic_camera", "{}"))
    if {"stature_m", "focal_px", "distance_m"} <= set(info):
        return float(info["stature_m"]) * float(info["focal_px"]) / float(info["distance_m"])
    return clip.noise_px / NOISE_FRACTION


def _leg_index(side: str) -> list[int]:
    return [_INDEX[f"{side}_{part}"] for part in LEG_PARTS]


def apply_pose_errors(
    clip: CameraClip, truth: GroundTruth, model: PoseErrorModel, seed: int
) -> tuple[PoseTrack, np.ndarray]:
    """Give a virtual-camera clip MediaPipe-like errors (module docstring).

    Parameters
    ----------
    clip
        From :func:`gait.validate.camera.project_to_camera`; its exact projection
        ``clip.position_true_px`` is the starting point and its noise is regenerated (SD
        ``clip.noise_px``). Episodes and dropouts need a side view, frontal episodes a rear or
        front view.
    truth
        The clip's ground truth (:func:`gait.validate.truth.ground_truth`): the far foot's ICs
        place the pre-contact episodes and give the stride period.
    model
        The error model, e.g. ``PoseErrorModel.at_severity(2)``.
    seed
        Seeds noise, episodes and dropouts. With the clip's own seed and ``noise_tau_s = 0`` the
        noise equals the clip's bit for bit (so severity 0 reproduces ``clip.track``).

    Returns
    -------
    track, episode_mask
        The erroneous track (same frames, coordinates, confidence and attributes as
        ``clip.track``, plus the attribute ``pose_errors``: JSON with the model, seed, and the
        episodes and dropouts placed), and a bool ``(n_frames,)`` array of the frames inside a
        leg-label episode (side-view or frontal).
    """
    fps = float(clip.track.attrs["fps"])
    true_px = np.asarray(clip.position_true_px, dtype=float)
    n = len(true_px)
    view = clip.camera.view
    if view not in _NEAR and (model.episodes_per_stride > 0 or model.dropouts_per_stride > 0):
        raise ValueError(f"Expected a side view for leg-label episodes and dropouts, got {view!r}.")
    if view in _NEAR and model.frontal_episodes_per_stride > 0:
        raise ValueError(f"Expected a rear or front view for frontal leg-label episodes, got {view!r}.")
    noise_px = clip.noise_px * _noise_scale(clip)
    noisy = true_px + _unit_noise(seed, true_px.shape, fps, model.noise_tau_s) * noise_px[:, None, None]
    if model.foot_lag_s > 0:
        noisy = _lag_feet(noisy, fps, model.foot_lag_s)
    conf = clip.track["confidence"].values.copy()
    mask = np.zeros(n, bool)
    episodes = pd.DataFrame(columns=["start", "stop", "kind", "pre_contact", "w_left", "w_right"])
    drops: list[tuple[int, int]] = []
    if view in _NEAR:
        near = _NEAR[view]
        far = "right" if near == "left" else "left"
        stride = _stride_s(truth, far)
        ev = truth.events
        far_ic = ev.loc[(ev["side"] == far) & (ev["kind"] == "ic"), "time_s"].to_numpy(float)
        episodes = plan_episodes(n, fps, far_ic, stride, model, seed)
        noisy = _apply_episodes(noisy, episodes, near, model, _stature_px(clip), seed)
        for row in episodes.itertuples(index=False):
            mask[row.start : row.stop] = True
        drops = _plan_dropouts(mask, fps, stride, model, seed)
        foot = [_INDEX[f"{far}_{part}"] for part in FOOT_PARTS]
        for a, b in drops:
            noisy[a:b, foot] = np.nan
            conf[a:b, foot] = np.nan
    frontal = pd.DataFrame(columns=["start", "stop", "kind", "pre_contact", "foot"])
    if model.frontal_episodes_per_stride > 0:
        ev = truth.events
        ic_s = np.sort(ev.loc[ev["kind"] == "ic", "time_s"].to_numpy(float))
        stride = 2.0 * float(np.median(np.diff(ic_s))) if len(ic_s) >= 2 else _stride_s(truth, "left")
        frontal = plan_frontal_episodes(n, fps, ic_s, stride, model, seed)
        noisy = _apply_frontal_episodes(noisy, frontal, noise_px, model, seed)
        for row in frontal.itertuples(index=False):
            mask[row.start : row.stop] = True
    out = clip.track.copy(deep=True)
    out["position"].values[...] = noisy.astype(np.float32)
    out["confidence"].values[...] = conf
    record = {
        "model": asdict(model),
        "seed": int(seed),
        "n_episodes": len(episodes),
        "episode_kinds": {k: int((episodes["kind"] == k).sum()) for k in KINDS},
        "n_episode_frames": int(mask.sum()),
        "n_dropouts": len(drops),
        "n_frontal_episodes": len(frontal),
        "frontal_episode_kinds": {k: int((frontal["kind"] == k).sum()) for k in FRONTAL_KINDS},
    }
    out.attrs["pose_errors"] = json.dumps(record)
    return out, mask


def _apply_episodes(
    noisy: np.ndarray,
    episodes: pd.DataFrame,
    near: str,
    model: PoseErrorModel,
    stature_px: float,
    seed: int,
) -> np.ndarray:
    """Relabel the leg landmarks inside each episode; returns a new array."""
    rng = np.random.default_rng([int(seed), 3])
    out = noisy.copy()
    left, right = _leg_index("left"), _leg_index("right")
    far = right if near == "left" else left
    near_idx = left if near == "left" else right
    for row in episodes.itertuples(index=False):
        s = slice(row.start, row.stop)
        lv, rv = noisy[s][:, left], noisy[s][:, right]
        if row.kind == "swap":
            out[s, left], out[s, right] = rv, lv
        elif row.kind == "snap":
            jitter = rng.normal(0.0, model.snap_noise_frac * stature_px, lv.shape)
            out[s, far] = noisy[s][:, near_idx] + jitter
        else:
            out[s, left] = row.w_left * lv + (1.0 - row.w_left) * rv
            out[s, right] = row.w_right * rv + (1.0 - row.w_right) * lv
    return out


def _feet(position_px: np.ndarray) -> dict[str, np.ndarray]:
    """Per side, the ``(n, 2)`` mean of the foot landmarks present (NaN when none)."""
    out = {}
    for side in ("left", "right"):
        pts = position_px[:, [_INDEX[f"{side}_{p}"] for p in FOOT_PARTS]]
        present = np.isfinite(pts).all(axis=2)
        total = np.where(present[..., None], pts, 0.0).sum(axis=1)
        count = present.sum(axis=1)[:, None]
        out[side] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def label_error_fraction(
    track: PoseTrack, true_px: np.ndarray, *, min_separation_frac: float = 0.2
) -> float:
    """Fraction of frames whose leg labels are wrong, among frames where the true feet are apart.

    A foot is the mean of its ankle, heel and foot_index landmarks (those present). A frame is
    wrong when the track's left foot is closer to the true right foot than to the true left foot,
    or vice versa (so a snapped or blended foot nearer the other leg counts as wrong). A foot with
    no landmark is not wrong.

    Parameters
    ----------
    track
        A pose track (raw or cleaned) with the same frames as ``true_px``.
    true_px
        ``(n_frames, 33, 2)`` exact projection (:attr:`GroundTruth.position_true_px`).
    min_separation_frac
        Frames count only when the true feet are more than this fraction of the leg length
        (median true hip-to-ankle distance) apart; crossings, where labels are ambiguous, are
        left out. Default 0.2 (about 9 % of stature).

    Returns
    -------
    float
        In [0, 1]; NaN when no frame qualifies.
    """
    true_px = np.asarray(true_px, dtype=float)
    pos = track["position"].transpose("time", "keypoint", "space").values.astype(float)
    if pos.shape != true_px.shape:
        raise ValueError(f"Expected a track of shape {true_px.shape}, got {pos.shape}.")
    legs = [
        np.linalg.norm(true_px[:, _INDEX[f"{s}_hip"]] - true_px[:, _INDEX[f"{s}_ankle"]], axis=1)
        for s in ("left", "right")
    ]
    leg_px = float(np.nanmedian(np.concatenate(legs)))
    true_feet, feet = _feet(true_px), _feet(pos)
    sep = np.linalg.norm(true_feet["left"] - true_feet["right"], axis=1)
    apart = sep > min_separation_frac * leg_px
    if not apart.any():
        return float("nan")
    wrong = np.zeros(len(sep), bool)
    for side, other in (("left", "right"), ("right", "left")):
        d_own = np.linalg.norm(feet[side] - true_feet[side], axis=1)
        d_other = np.linalg.norm(feet[side] - true_feet[other], axis=1)
        wrong |= d_other < d_own  # False where NaN
    return float(wrong[apart].mean())


def film(
    trial: MocapTrial,
    *,
    view: str = "side_left",
    fps: float = 60.0,
    severity: int = 0,
    seed: int = 0,
    start_s: float = 0.0,
    duration_s: float | None = None,
    model: PoseErrorModel | None = None,
    noise_px: float | None = None,
) -> tuple[PoseTrack, GroundTruth, np.ndarray, np.ndarray]:
    """Film a mocap trial with a virtual camera and MediaPipe-like errors.

    Parameters
    ----------
    trial
        The mocap trial.
    view, fps, seed, start_s, duration_s, noise_px
        As in :meth:`gait.validate.MocapTrial.to_track` (``seed`` also seeds the errors).
    severity
        One of :data:`SEVERITIES`; 0 gives ``trial.to_track``'s positions bit for bit.
    model
        Overrides ``severity``.

    Returns
    -------
    track, truth, episode_mask, true_px
        The erroneous track, its ground truth, the bool ``(n_frames,)`` leg-label-episode frames
        and the ``(n_frames, 33, 2)`` exact projection.
    """
    clip = trial.film(
        view=view, fps=fps, noise_px=noise_px, seed=seed, start_s=start_s, duration_s=duration_s
    )
    truth = trial.ground_truth(clip)
    model = PoseErrorModel.at_severity(severity) if model is None else model
    track, mask = apply_pose_errors(clip, truth, model, seed)
    return track, truth, mask, clip.position_true_px
