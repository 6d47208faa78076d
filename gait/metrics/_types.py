"""Parameters and results of the running metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gait.errors import ConfigError
from gait.events import LOW_FPS_HZ
from gait.notes import QualityNote

CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class Metric:
    """One summarised metric.

    Attributes
    ----------
    value
        Mean over steps (or the clip-level value, e.g. cadence); None when the view, the frame rate
        or the data cannot support it (``note`` says why).
    unit
        Unit, e.g. ``"spm"``, ``"s"``, ``"deg"``, ``"leg_lengths"``, ``"cm"``, ``"%"``, ``"1"``.
    n
        Number of steps (or intervals) behind the value.
    sd
        Standard deviation across steps (None with fewer than 2).
    uncertainty
        Standard uncertainty of ``value`` (1 SD, same unit): for timing metrics from the frame
        period and the detector's measured timing error (see :class:`MetricParams`); None when not
        quantified.
    confidence
        ``"high"``, ``"medium"`` or ``"low"``.
    note
        Why the value is missing or what limits it.
    per_side
        ``{"L": value, "R": value}`` where meaningful.
    """

    value: float | None
    unit: str
    n: int
    sd: float | None
    uncertainty: float | None
    confidence: str
    note: str | None = None
    per_side: dict[str, float | None] | None = None

    def __post_init__(self) -> None:
        if self.confidence not in CONFIDENCE_LEVELS:
            raise ValueError(
                f"Expected confidence in {CONFIDENCE_LEVELS}, got {self.confidence!r}."
            )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (report.json ``metrics`` entry)."""
        out: dict[str, object] = {
            "value": self.value,
            "unit": self.unit,
            "n": self.n,
            "sd": self.sd,
            "uncertainty": self.uncertainty,
            "confidence": self.confidence,
        }
        if self.note is not None:
            out["note"] = self.note
        if self.per_side is not None:
            out["per_side"] = dict(self.per_side)
        return out


@dataclass(frozen=True)
class FootStrike:
    """Foot-strike pattern of one foot.

    ``pattern`` is ``"rearfoot"``, ``"midfoot"``, ``"forefoot"`` or None; ``angle_deg`` the
    median foot-strike angle (positive = toes up); ``n`` the contacts used.
    """

    pattern: str | None
    angle_deg: float | None
    n: int
    confidence: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (report.json ``foot_strike`` entry)."""
        return {
            "pattern": self.pattern,
            "angle_deg": self.angle_deg,
            "n": self.n,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class GaitMetrics:
    """Metrics of a clip.

    Attributes
    ----------
    metrics
        Name (with unit suffix) -> :class:`Metric`.
    foot_strike
        ``{"L": FootStrike, "R": FootStrike}``.
    steps
        One row per step (= one contact of one foot), see :data:`STEP_COLUMNS`.
    quality
        Notes on what limits the metrics.
    """

    metrics: dict[str, Metric]
    foot_strike: dict[str, FootStrike]
    steps: pd.DataFrame
    quality: tuple[QualityNote, ...]

    def value(self, name: str) -> float | None:
        """Shorthand for ``metrics[name].value`` (None if absent)."""
        m = self.metrics.get(name)
        return None if m is None else m.value


@dataclass(frozen=True)
class MetricParams:
    """Parameters of :func:`gait.metrics.compute_metrics`.

    Attributes
    ----------
    rearfoot_min_deg, forefoot_max_deg
        Foot-strike classes by foot-strike angle (Altman & Davis 2012, Gait Posture 35:298):
        rearfoot above 8.0 deg, forefoot below -1.6 deg, midfoot in between.
    fsa_reference
        Reference foot angle subtracted from the heel->toe angle at IC: ``"midstance"`` (default:
        the median angle of the same foot at mid-stance, when the foot is flat; there is no static
        trial in a video) or ``"none"``. MediaPipe's heel and foot-index landmarks do not sit at the
        same height on a flat shoe (about 13 deg apart on the sample clip), so a reference is
        needed; mocap ground truth uses the standing trial instead (Altman & Davis 2012).
    fsa_reference_offset_deg
        Added to the mid-stance reference (deg) to approximate the standing reference. Default
        2.5: a loaded shoe at mid-stance sits flatter (toes lower) than when standing; in the
        RBDS marker data (heel -> metatarsal line, ``foot_angle_midstance_deg`` minus
        ``foot_angle_static_deg`` of the event files) the difference was -1.2 to -3.5 deg over
        two runners and four feet, mean -2.5 deg.
    fsa_landing_window_s
        Half-width (s) of the landing window around each IC whose samples set that contact's
        foot angle at IC (see :func:`gait.metrics.foot_strike.landing_foot_angles`); 0 reads the
        angle at the IC instant only. Default 0.10 (last 100 ms of swing, first 100 ms of
        stance): on the mocap harness the per-contact FSA RMSE fell from 4.2 / 3.3 / 2.6 / 2.2 deg
        (instant) to 2.9 / 2.2 / 2.0 / 1.9 deg at 30 / 60 / 120 / 240 fps, and strike kappa rose
        from 0.66-0.82 to 0.82-0.87; +-40 ms and +-120 ms windows gave 3.6 and 2.8 deg at 30 fps.
    ic_timing_sd_s, to_timing_sd_s
        Random timing error of one IC / TO at a high frame rate, seconds (1 SD). Defaults 0.006 and
        0.008: the spread measured by the mocap harness at 120-240 fps (95 % limits about +-11 ms
        and +-16 ms).
    ic_systematic_s, to_systematic_s
        Systematic timing error that does not average out, seconds. Defaults 0.004 and 0.006:
        the held-out biases when the constants are fitted on one runner and scored on the other
        (``gait validate --cross-validate``, 30-240 fps: IC within 3.5 ms, toe-off within 6.2 ms).
    low_fps_hz
        Below this frame rate contact time, flight time and duty factor are low confidence;
        default 100 (one frame is then > 10 ms, ~5 % of a 200 ms contact).
    min_steps
        Fewest steps for a summary; default 2.
    thigh_shank_fraction
        Thigh + shank length as a fraction of stature, for centimetres from ``height_cm``.
        Default 0.491 (0.245 + 0.246, Winter, Biomechanics and Motor Control of Human Movement,
        4th ed. 2009, Fig. 4.1).
    """

    rearfoot_min_deg: float = 8.0
    forefoot_max_deg: float = -1.6
    fsa_reference: str = "midstance"
    fsa_reference_offset_deg: float = 2.5
    fsa_landing_window_s: float = 0.10
    ic_timing_sd_s: float = 0.006
    to_timing_sd_s: float = 0.008
    ic_systematic_s: float = 0.004
    to_systematic_s: float = 0.006
    low_fps_hz: float = LOW_FPS_HZ
    min_steps: int = 2
    thigh_shank_fraction: float = 0.491

    def __post_init__(self) -> None:
        if not self.forefoot_max_deg < self.rearfoot_min_deg:
            raise ConfigError(
                "Expected forefoot_max_deg < rearfoot_min_deg, got "
                f"{self.forefoot_max_deg!r} and {self.rearfoot_min_deg!r}."
            )
        if self.fsa_reference not in ("midstance", "none"):
            raise ConfigError(
                f"Expected fsa_reference 'midstance' or 'none', got {self.fsa_reference!r}."
            )
        names = ("ic_timing_sd_s", "to_timing_sd_s", "ic_systematic_s", "to_systematic_s")
        for name in (*names, "fsa_landing_window_s"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"Expected {name} >= 0, got {getattr(self, name)!r}.")
        if not 0 < self.thigh_shank_fraction < 1:
            raise ConfigError(
                f"Expected thigh_shank_fraction in (0, 1), got {self.thigh_shank_fraction!r}."
            )
        if not np.isfinite(self.fsa_reference_offset_deg):
            raise ConfigError(
                f"Expected a finite fsa_reference_offset_deg, got {self.fsa_reference_offset_deg!r}."
            )
        if not (np.isfinite(self.low_fps_hz) and self.low_fps_hz > 0):
            raise ConfigError(f"Expected low_fps_hz > 0, got {self.low_fps_hz!r}.")
        if not (np.isfinite(self.min_steps) and int(self.min_steps) == self.min_steps >= 1):
            raise ConfigError(f"Expected min_steps >= 1 (whole), got {self.min_steps!r}.")

    def classify(self, angle_deg: float | None) -> str | None:
        """Foot-strike class of an angle (None for None/NaN)."""
        if angle_deg is None or not np.isfinite(angle_deg):
            return None
        if angle_deg > self.rearfoot_min_deg:
            return "rearfoot"
        if angle_deg < self.forefoot_max_deg:
            return "forefoot"
        return "midfoot"


#: Step timing columns, the same in every view.
_TIMING_COLUMNS: tuple[str, ...] = (
    "step",
    "foot",
    "ic_frame",
    "ic_time_s",
    "to_frame",
    "to_time_s",
    "step_time_s",
    "stride_time_s",
    "contact_time_s",
    "flight_time_s",
    "duty_factor",
)

#: Columns of :attr:`GaitMetrics.steps`.
STEP_COLUMNS: tuple[str, ...] = (
    *_TIMING_COLUMNS,
    "foot_strike_angle_deg",
    "strike_pattern",
    "overstride_leg_lengths",
    "shank_angle_ic_deg",
    "knee_flexion_ic_deg",
    "peak_knee_flexion_stance_deg",
    "peak_thigh_extension_deg",
    "trunk_lean_deg",
    "vertical_oscillation_leg_lengths",
    "ic_confidence",
    "to_confidence",
)

#: Columns of :attr:`GaitMetrics.steps` for a rear-view clip (see :mod:`gait.metrics._rear`).
REAR_STEP_COLUMNS: tuple[str, ...] = (
    *_TIMING_COLUMNS,
    "pelvic_drop_deg",
    "femoral_adduction_deg",
    "hip_adduction_deg",
    "knee_frontal_projection_deg",
    "step_width_pelvis_widths",
    "crossover",
    "rearfoot_eversion_proxy_deg",
    "ic_confidence",
    "to_confidence",
)

#: Metric keys only a rear view can give; never computed from a side clip.
REAR_METRICS: frozenset[str] = frozenset(
    {
        "pelvic_drop_deg",
        "femoral_adduction_deg",
        "hip_adduction_deg",
        "knee_frontal_projection_deg",
        "step_width_pelvis_widths",
        "crossover_fraction",
        "rearfoot_eversion_proxy_deg",
    }
)
