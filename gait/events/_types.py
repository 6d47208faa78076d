"""Parameters and result of gait-event detection."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gait.errors import ConfigError
from gait.notes import QualityNote

#: Frame rate below which contact and flight times are low confidence: one frame is then more than
#: 10 ms, a third of the contact time's stride-to-stride spread.
LOW_FPS_HZ = 100.0
#: Columns of :attr:`GaitEvents.table`, in order.
EVENT_COLUMNS: tuple[str, ...] = ("foot", "type", "frame", "time_s", "confidence")


def _positive(name: str, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ConfigError(f"Expected {name} > 0, got {value!r}.")


@dataclass(frozen=True)
class EventParams:
    """Parameters of :func:`gait.events.detect_events`.

    Attributes
    ----------
    ic_after_peak_s
        Initial contact follows the moment the foot (heel/foot-index midpoint) is furthest ahead
        of the pelvis by this delay, in seconds. Default 0.028: in the force-plate data of the
        validation harness (Fukuchi et al. 2017; 240 contacts, two runners, one rearfoot striker)
        the vertical force passes 50 N 28 +- 5 ms after that point, the same for both runners
        (``tests/benchmarks/ic_annotation.py`` prints it). Fitted on either subject alone and
        scored on the other it moves IC by at most a few ms (:mod:`gait.validate.crossval`).
        Until version 0.2 IC was where the foot's velocity relative to the ground fell below 0.35
        of the running speed; on real video that threshold crossing shifted by 1-2 frames between
        a clip and its resampled, cut or shrunk copies, and was dropped.
    to_offset_s
        Toe-off is the moment the heel is furthest behind the pelvis, at the end of the leg's
        backward swing after push-off, plus this offset, in seconds. Default -0.095: on the harness
        that moment came 95 ms after force-plate toe-off (three trials at 120 fps; 92-98 ms per
        trial in the marker data, two runners at 2.5 and 3.5 m/s). Fitted on one subject and
        scored on the other (:mod:`gait.validate.crossval`) toe-off is +4 and -3 ms off at
        120 fps. Two other cues were tried and left: peak knee extension (Fellin et al. 2010, J
        Sci Med Sport 13:646) followed toe-off by 1 ms in one runner and 13-21 ms in the other
        (held-out +15 / -17 ms), and the far knee is often hidden in treadmill video; the
        foot-index landmark leaves the belt early during push-off in MediaPipe's video output
        (contact times 190 ms against 240 ms from the knee on the sample clip, and 27 ms apart
        between the clip and its re-encoded twin).
    min_cadence_spm, max_cadence_spm
        Plausible running cadence, steps per minute (both feet). Defaults 130 and 240: recreational
        running sits at about 150-190 spm and sprinting reaches ~240; below ~130 is walking or
        slow motion whose factor was not given.
    max_duty_factor
        Largest contact time / stride time still counted as running; default 0.55. Running has a
        flight phase (duty factor below 0.5; ~0.25-0.45 at jogging speeds, Forrester & Townend
        2015), walking has double support (about 0.6); 0.55 leaves room for 30 fps rounding.
    min_periodicity
        Smallest autocorrelation (at the stride period) of the foot-forward signal for a clip to be
        periodic; default 0.4 (running strides repeat closely: typically above 0.8).
    min_strides
        Fewest strides per foot needed to report events; default 2.
    ic_window_s
        Window around initial contact, (before, after) in seconds, used to align each stride to
        the clip's average stride. Default (0.12, 0.06): the last part of the swing, where the foot
        moves fastest and its timing is best defined, and the start of stance.
    to_window_s
        Window around the heel's furthest-back point (which marks toe-off, see ``to_offset_s``),
        (before, after) in seconds, used to align each stride's toe-off; default (0.08, 0.10).
    search_s
        Largest shift, in seconds, when aligning a stride to the average stride; default 0.06.
    template_bandwidth_s
        Kernel bandwidth (s) of the average stride; default None = max(3 ms, 0.25 / fps), about a
        quarter frame, so strides sampled at different sub-frame phases fill in each other's gaps.
    far_foot_factor
        Multiplier (0..1) of the far-side foot's event confidence; default 0.7. In side views the
        far foot is partly hidden and its landmarks are worse (Young et al. 2023; Mo et al. 2025:
        foot-strike kappa 0.61 from the medial view against 0.79 lateral).
    """

    ic_after_peak_s: float = 0.028
    to_offset_s: float = -0.095
    min_cadence_spm: float = 130.0
    max_cadence_spm: float = 240.0
    max_duty_factor: float = 0.55
    min_periodicity: float = 0.4
    min_strides: int = 2
    ic_window_s: tuple[float, float] = (0.12, 0.06)
    to_window_s: tuple[float, float] = (0.08, 0.10)
    search_s: float = 0.06
    template_bandwidth_s: float | None = None
    far_foot_factor: float = 0.7

    def __post_init__(self) -> None:
        if not (np.isfinite(self.ic_after_peak_s) and -0.1 <= self.ic_after_peak_s <= 0.1):
            raise ConfigError(
                f"Expected ic_after_peak_s in [-0.1, 0.1] s, got {self.ic_after_peak_s!r}."
            )
        if not (np.isfinite(self.to_offset_s) and -0.2 <= self.to_offset_s <= 0.2):
            raise ConfigError(f"Expected to_offset_s in [-0.2, 0.2] s, got {self.to_offset_s!r}.")
        if not 0 < self.min_cadence_spm < self.max_cadence_spm:
            raise ConfigError(
                "Expected 0 < min_cadence_spm < max_cadence_spm, got "
                f"{self.min_cadence_spm!r} and {self.max_cadence_spm!r}."
            )
        if not 0 < self.max_duty_factor <= 1:
            raise ConfigError(f"Expected max_duty_factor in (0, 1], got {self.max_duty_factor!r}.")
        if not 0 <= self.min_periodicity <= 1:
            raise ConfigError(f"Expected min_periodicity in [0, 1], got {self.min_periodicity!r}.")
        if not 0 <= self.far_foot_factor <= 1:
            raise ConfigError(f"Expected far_foot_factor in [0, 1], got {self.far_foot_factor!r}.")
        if not (np.isfinite(self.min_strides) and int(self.min_strides) == self.min_strides >= 1):
            raise ConfigError(f"Expected min_strides >= 1 (whole), got {self.min_strides!r}.")
        for name in ("ic_window_s", "to_window_s"):
            before, after = getattr(self, name)
            _positive(f"{name}[0]", before)
            _positive(f"{name}[1]", after)
        _positive("search_s", self.search_s)
        if self.template_bandwidth_s is not None:
            _positive("template_bandwidth_s", self.template_bandwidth_s)


@dataclass(frozen=True)
class GroundLine:
    """The ground (belt or floor) as seen in the image, fitted to the feet in mid-stance.

    ``y_px = intercept_px[foot] + slope * x_px`` (image frame, +y down). The near and far foot
    land at different image heights (perspective), so each has its own intercept; the slope is
    shared. ``angle_deg`` is the slope as an angle, positive when the line rises to the right
    (counter-clockwise camera roll or an incline facing image-right). ``assumed_level`` is True
    when the stance points span too little of the image to measure a slope (a treadmill: the
    feet land in the same place), so the camera is taken as level (slope 0).
    """

    slope: float
    intercept_px: dict[str, float]
    angle_deg: float
    n_points: int
    assumed_level: bool = False


@dataclass(frozen=True)
class GaitEvents:
    """Initial contacts and toe-offs of both feet.

    Attributes
    ----------
    table
        One row per event, sorted by time: ``foot`` (``"L"``/``"R"``), ``type``
        (``"IC"``/``"TO"``), ``frame`` (int, the track's 0-based decode index nearest the event),
        ``time_s`` (float, sub-frame, track time base), ``confidence`` (0..1).
    view
        ``"side_left"`` (the camera sees the runner's left side), ``"side_right"``, ``"rear"``,
        ``"front"`` or ``"unknown"``.
    direction
        ``"image_left"`` or ``"image_right"``: where the runner faces in the image (None if not a
        side view).
    quality
        Notes on what limits the events (see :mod:`gait.notes`).
    running
        False when the clip does not look like running (walking, jumping, standing, slow motion
        without its factor, unsupported view); then the table may still hold events, but no
        cadence or flag should be derived from them.
    detector
        Name and version of the method.
    near_foot
        ``"L"``/``"R"``: the foot nearer the camera (its events are more reliable), or None.
    stride_time_s
        Stride period of the clip: two steps of the label-free rhythm
        (:func:`gait.track.track_rhythm`), or, when that is unclear, from the autocorrelation of
        the labelled feet's forward signals (None if aperiodic).
    periodicity
        The autocorrelation (0..1) behind ``stride_time_s``: of the label-free signals at the step
        period, or of the foot-forward signal at the stride period.
    ground
        The ground line, or None.
    fps
        The track's frame rate.
    rhythm_cadence_spm
        Cadence from each label-free step-period estimate of the track (``lead``: the leading
        foot; ``spread``: the distance between the feet; ``bob``: the pelvis's vertical motion;
        ``consensus``: the period they agree on; :func:`gait.track.track_rhythm`), steps/min:
        independent of the detected events and of MediaPipe's leg labels.
    cadence_agrees
        False when the events' cadence and the label-free consensus differ by more than
        :data:`gait.events._checks.CADENCE_AGREEMENT`: the cadence is then low confidence.
    ground_motion
        ``"treadmill"`` (the runner stays in place in the image, the ground moves under him),
        ``"overground"`` (the runner crosses the image of a static camera; contacts are where the
        foot stops moving relative to the ground), or None (not decided: rear/front views).
    n_steps
        Steps measured: IC-to-IC intervals between consecutive contacts of alternating feet in
        the events (None when not counted). Fewer steps, wider uncertainty.
    in_view_s
        ``(first, last)`` time (s) of the stretch in which the runner is in view, when the events
        were detected on that stretch only (overground pass-bys); None otherwise.
    """

    table: pd.DataFrame
    view: str
    direction: str | None
    quality: tuple[QualityNote, ...]
    running: bool
    detector: str
    near_foot: str | None = None
    stride_time_s: float | None = None
    periodicity: float | None = None
    ground: GroundLine | None = None
    fps: float | None = None
    params: EventParams = field(default_factory=EventParams)
    rhythm_cadence_spm: dict[str, float] = field(default_factory=dict)
    cadence_agrees: bool = True
    ground_motion: str | None = None
    n_steps: int | None = None
    in_view_s: tuple[float, float] | None = None

    def of(self, foot: str, kind: str) -> np.ndarray:
        """Sorted event times (s) of one foot (``"L"``/``"R"``) and type (``"IC"``/``"TO"``)."""
        sel = (self.table["foot"] == foot) & (self.table["type"] == kind)
        return np.sort(self.table.loc[sel, "time_s"].to_numpy(dtype=float))

    def to_records(self) -> list[dict[str, object]]:
        """The table as JSON-ready dicts (report.json ``"events"``)."""
        return [
            {
                "foot": str(r.foot),
                "type": str(r.type),
                "frame": int(r.frame),
                "time_s": float(r.time_s),
                "confidence": float(r.confidence),
            }
            for r in self.table.itertuples(index=False)
        ]


def empty_table() -> pd.DataFrame:
    """An events table with no rows and the right column types."""
    return pd.DataFrame(
        {
            "foot": pd.Series(dtype=str),
            "type": pd.Series(dtype=str),
            "frame": pd.Series(dtype=np.int64),
            "time_s": pd.Series(dtype=float),
            "confidence": pd.Series(dtype=float),
        }
    )
