"""Gait-cycle curves in long form (``cycles.parquet``): one row per step, side, variable, percent.

A cycle runs from one initial contact to the next of the same foot, resampled onto 101 points
(0 %, 1 %, ..., 100 %) by :func:`gait.report._curves.cycle_curves`; a cycle with gaps over more
than a fifth of its samples is left out, as in the report. ``knee_flexion_deg`` and
``foot_angle_deg`` are the curves the HTML report plots (:func:`gait.report._curves.angle_series`:
level camera, the same cleaned track and events); ``shank_angle_deg``, ``thigh_angle_deg`` and
``trunk_lean_deg`` follow :mod:`gait.metrics.kinematics` (runner frame, ground-line corrected).
A rear view gives ``pelvic_drop_deg`` and ``hip_adduction_deg``
(:func:`gait.report._curves.frontal_angle_series`, the report's rear-view curves) instead.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from gait.export._angles import frontal_series_deg, sagittal_series_deg
from gait.export._common import ExportSource
from gait.report._curves import CYCLE_POINTS, angle_series, cycle_curves

#: Columns of :func:`cycle_table`, in order.
CYCLE_COLUMNS: tuple[str, ...] = (
    "step",
    "side",
    "variable",
    "percent",
    "value",
    "ic_time_s",
    "next_ic_time_s",
    "view",
)


def _series(analysis: ExportSource) -> dict[str, dict[str, np.ndarray]]:
    """``{variable: {foot: per-frame values}}`` for the analysis's view."""
    track, events = analysis.cleaned, analysis.events
    if events.view in ("rear", "front"):
        frontal = frontal_series_deg(track, events.view)
        return {
            f"{v}_deg": {f: frontal[f"{v}_{f}"] for f in ("L", "R")}
            for v in ("pelvic_drop", "hip_adduction")
        }
    direction = analysis.report.direction or "image_left"  # as the HTML report
    plotted = angle_series(track, direction)
    sag = sagittal_series_deg(track, events)
    out = {
        f"{v}_deg": {f: plotted[f"{v}_{f}"] for f in ("L", "R")}
        for v in ("knee_flexion", "foot_angle")
    }
    for v in ("shank_angle", "thigh_angle"):
        out[f"{v}_deg"] = {f: sag[f"{v}_{f}"] for f in ("L", "R")}
    out["trunk_lean_deg"] = {f: sag["trunk_lean"] for f in ("L", "R")}
    return out


def cycle_table(analysis: ExportSource) -> pd.DataFrame:
    """The long-form cycle curves of ``analysis`` (columns :data:`CYCLE_COLUMNS`).

    ``step`` is the step number (``steps.step``) of the cycle's first initial contact, ``side``
    its foot (``"L"``/``"R"``), ``percent`` 0..100 (integers), ``value`` in degrees.
    """
    events = analysis.events.table
    steps = analysis.metrics.steps
    t = analysis.cleaned["time"].values.astype(float)
    grid = np.arange(CYCLE_POINTS, dtype=np.int64)
    frames = []
    for variable, per_foot in _series(analysis).items():
        for foot, values in per_foot.items():
            sel = (events["type"] == "IC") & (events["foot"] == foot)
            ics = np.sort(events.loc[sel, "time_s"].to_numpy(float))
            foot_steps = steps[steps["foot"] == foot] if "foot" in steps else steps.iloc[0:0]
            for start, end in itertools.pairwise(ics):
                curve = cycle_curves(np.asarray(values, float), t, np.array([start, end]))
                if not len(curve):
                    continue
                match = foot_steps.loc[
                    np.isclose(foot_steps["ic_time_s"], start, atol=1e-6), "step"
                ]
                frames.append(
                    pd.DataFrame(
                        {
                            "step": int(match.iloc[0]) if len(match) else -1,
                            "side": foot,
                            "variable": variable,
                            "percent": grid,
                            "value": curve[0],
                            "ic_time_s": start,
                            "next_ic_time_s": end,
                            "view": analysis.events.view,
                        }
                    )
                )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CYCLE_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["side", "step", "variable", "percent"], ignore_index=True)[
        list(CYCLE_COLUMNS)
    ]


def write_cycles(analysis: ExportSource, path: Path) -> Path:
    """Write :func:`cycle_table` as Parquet (``cycles.parquet``).

    Parameters
    ----------
    analysis
        A :class:`gait.pipeline.Analysis` (read only).
    path
        Output file; written under a temporary name, then renamed.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    cycle_table(analysis).to_parquet(tmp, index=False)
    tmp.replace(path)
    return path
