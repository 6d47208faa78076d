"""Side- and rear-view running metrics with uncertainty: cadence, timing, foot strike, angles, oscillation.

metrics = compute_metrics(track, detect_events(track), height_cm=180)
metrics.metrics["cadence_spm"].value
metrics.foot_strike["L"].pattern
metrics.steps            # one row per step
"""

from gait.metrics._compute import compute_metrics
from gait.metrics._rear import FRONT_REPORTED
from gait.metrics._session import (
    MAX_CADENCE_DIFF_SPM,
    ViewPart,
    estimate_phase_offset,
    match_views,
    merge_metrics,
    merge_steps,
)
from gait.metrics._speed import SPEED_BODY_HEIGHTS, SPEED_M, speed_metrics
from gait.metrics._types import (
    REAR_METRICS,
    REAR_STEP_COLUMNS,
    STEP_COLUMNS,
    FootStrike,
    GaitMetrics,
    Metric,
    MetricParams,
)

__all__ = [
    "FRONT_REPORTED",
    "MAX_CADENCE_DIFF_SPM",
    "REAR_METRICS",
    "REAR_STEP_COLUMNS",
    "SPEED_BODY_HEIGHTS",
    "SPEED_M",
    "STEP_COLUMNS",
    "FootStrike",
    "GaitMetrics",
    "Metric",
    "MetricParams",
    "ViewPart",
    "compute_metrics",
    "estimate_phase_offset",
    "match_views",
    "merge_metrics",
    "merge_steps",
    "speed_metrics",
]
