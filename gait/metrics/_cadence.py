"""The clip's cadence metric, shared by the side- and rear-view metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.events import GaitEvents, fitted_cadence_spm
from gait.metrics._summary import event_sd_s
from gait.metrics._types import Metric, MetricParams


def cadence_metric(
    steps: pd.DataFrame, fps: float, params: MetricParams, step_s: float | None = None
) -> Metric:
    """Cadence, with its per-step spread and per-side values.

    The robust fit of :func:`fitted_cadence_spm` when the step period is known, else 60 x steps / their total
    time; per-step spread and per-side values from the step times.
    """
    step = steps["step_time_s"].to_numpy(float)
    valid = np.isfinite(step) & (step > 0)
    n = int(valid.sum())
    total = float(step[valid].sum())
    cad = 60.0 * n / total if n else float("nan")  # = 60 (n_IC - 1) / span when none is missing
    fitted, spanned = fitted_cadence_spm(steps["ic_time_s"].to_numpy(float), step_s)
    if np.isfinite(fitted):
        cad, total = fitted, spanned * 60.0 / fitted
    per_step = 60.0 / step[valid]
    # each step's two ICs err independently; interior ICs cancel in the sum of the step times
    unc = cad * np.sqrt(2.0) * event_sd_s("IC", fps, params) / total if total > 0 else None
    conf = "high" if n >= 10 else ("medium" if n >= 4 else "low")
    sides = {
        f: float(np.mean(60.0 / step[(steps["foot"] == f).to_numpy() & np.isfinite(step)]))
        if np.any((steps["foot"] == f).to_numpy() & np.isfinite(step))
        else None
        for f in ("L", "R")
    }
    return Metric(
        cad if np.isfinite(cad) else None,
        "spm",
        n,
        float(np.std(per_step, ddof=1)) if per_step.size >= 2 else None,
        None if unc is None else float(unc),
        conf,
        None,
        sides,
    )


def step_period_s(events: GaitEvents) -> float | None:
    """The clip's step period: half its stride period (the label-free rhythm's, when clear)."""
    return events.stride_time_s / 2 if events.stride_time_s else None
