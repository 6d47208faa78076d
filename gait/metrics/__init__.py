"""Side- and rear-view running metrics with uncertainty: cadence, timing, foot strike, angles, oscillation.

metrics = compute_metrics(track, detect_events(track), height_cm=180)
metrics.metrics["cadence_spm"].value
metrics.foot_strike["L"].pattern
metrics.steps            # one row per step
"""

from gait.metrics._compute import compute_metrics
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
    "REAR_METRICS",
    "REAR_STEP_COLUMNS",
    "STEP_COLUMNS",
    "FootStrike",
    "GaitMetrics",
    "Metric",
    "MetricParams",
    "compute_metrics",
]
