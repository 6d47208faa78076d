"""Leave-one-subject-out validation of the three constants fitted on the mocap trials.

Three constants of the side-view method were chosen on the same force-plate trials that
:mod:`gait.validate.harness` scores: the delay from the foot's furthest-forward point to IC
(``EventParams.ic_after_peak_s``), the toe-off offset from the heel's furthest-back point
(``EventParams.to_offset_s``) and the mid-stance -> standing foot-angle offset of the foot-strike
reference (``MetricParams.fsa_reference_offset_deg``).
The biases of the main table are therefore in-sample. Here each subject is held out in turn: the
constants are fitted on the other subject(s) only, by the same rules as the defaults were, and the
held-out subject is scored with them. With the two subjects of the shared data this is two folds;
the pooled rows are an honest (if small) estimate of what a new runner gets.

Fitting rules (training trials only):

* IC delay: minus the IC bias at ``fit_fps`` with no delay (IC is the furthest-forward point plus
  the delay, so the bias moves one for one with it).
* Toe-off offset: minus the toe-off bias with no offset.
* Foot-strike reference offset: minus the mean, over feet, of the shoe-marker foot angle at
  mid-stance minus standing (the event files' ``foot_angle_midstance_deg`` and
  ``foot_angle_static_deg``), as for the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gait.events import EventParams
from gait.metrics import MetricParams
from gait.validate.harness import run_once, summarise_by_fps, summarise_runs
from gait.validate.mocap import MocapTrial, list_trials, load_trial


def subject_of(trial_id: str) -> str:
    """``"RBDS001_runT25"`` -> ``"RBDS001"``."""
    return trial_id.split("_", 1)[0]


@dataclass(frozen=True)
class FittedConstants:
    """Constants fitted on one fold's training subjects."""

    ic_after_peak_s: float
    to_offset_s: float
    fsa_reference_offset_deg: float

    def event_params(self, base: EventParams = EventParams()) -> EventParams:
        """``base`` with this fold's fitted IC and TO offsets."""
        return replace(
            base,
            ic_after_peak_s=self.ic_after_peak_s,
            to_offset_s=self.to_offset_s,
        )

    def metric_params(self, base: MetricParams = MetricParams()) -> MetricParams:
        """``base`` with this fold's fitted foot-strike angle offset."""
        return replace(base, fsa_reference_offset_deg=self.fsa_reference_offset_deg)


def _bias_ms(
    trials: Sequence[MocapTrial], params: EventParams, fps: float, seeds: Sequence[int]
) -> tuple[float, float]:
    runs = [run_once(tr, fps=fps, seed=s, event_params=params) for tr in trials for s in seeds]
    row = summarise_runs(runs)
    return row["ic_bias_ms"], row["to_bias_ms"]


def fit_constants(
    trials: Sequence[MocapTrial], *, fit_fps: float = 120.0, seeds: Sequence[int] = (0,)
) -> FittedConstants:
    """Fit the three constants on ``trials`` (see the module docstring)."""
    ic_bias, to_bias = _bias_ms(
        trials, EventParams(ic_after_peak_s=0.0, to_offset_s=0.0), fit_fps, seeds
    )
    per_foot = []
    for tr in trials:
        c = tr.contacts
        diff = c["foot_angle_midstance_deg"] - c["foot_angle_static_deg"]
        per_foot += [float(v) for v in diff.groupby(c["side"]).mean()]
    return FittedConstants(
        ic_after_peak_s=-ic_bias / 1000.0,
        to_offset_s=-to_bias / 1000.0,
        fsa_reference_offset_deg=-float(np.mean(per_foot)),
    )


def cross_validate(
    data_dir: Path | str,
    *,
    fps_list: Sequence[float] = (30, 60, 120, 240),
    seeds: Sequence[int] = (0, 1, 2),
    fit_fps: float = 120.0,
    fit_seeds: Sequence[int] = (0,),
    trials: Sequence[MocapTrial] | None = None,
) -> pd.DataFrame:
    """Hold out each subject in turn, fit on the rest, score the held-out subject.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`gait.validate.run_event_validation` plus ``held_out`` (a subject,
        or ``"pooled"`` for all held-out runs together), ``ic_after_peak_s``,
        ``to_offset_ms`` and ``fsa_reference_offset_deg`` (the constants used; NaN on
        pooled rows).
    """
    if trials is None:
        trials = [load_trial(data_dir, t) for t in list_trials(data_dir)]
    subjects = sorted({subject_of(t.trial_id) for t in trials})
    if len(subjects) < 2:
        raise ValueError(f"Cross-validation needs two subjects or more, got {subjects}.")
    frames, held_runs = [], []
    for subject in subjects:
        train = [t for t in trials if subject_of(t.trial_id) != subject]
        test = [t for t in trials if subject_of(t.trial_id) == subject]
        fitted = fit_constants(train, fit_fps=fit_fps, seeds=fit_seeds)
        runs = [
            run_once(
                tr,
                fps=fps,
                seed=s,
                event_params=fitted.event_params(),
                metric_params=fitted.metric_params(),
            )
            for fps in fps_list
            for tr in test
            for s in seeds
        ]
        held_runs += runs
        df = summarise_by_fps(runs, fps_list)
        df.insert(0, "held_out", subject)
        df["ic_after_peak_ms"] = 1000.0 * fitted.ic_after_peak_s
        df["to_offset_ms"] = fitted.to_offset_s * 1000
        df["fsa_reference_offset_deg"] = fitted.fsa_reference_offset_deg
        frames.append(df)
    pooled = summarise_by_fps(held_runs, fps_list)
    pooled.insert(0, "held_out", "pooled")
    return pd.concat([*frames, pooled], ignore_index=True)


def format_crossval_table(df: pd.DataFrame) -> str:
    """Markdown table of :func:`cross_validate`: held-out subject, constants and key errors."""
    head = (
        "| held out | fps | IC delay ms | TO offset ms | FSA offset deg | IC bias ms | IC 95% LoA ms "
        "| TO bias ms | TO 95% LoA ms | CT bias ms | FSA RMSE deg | kappa |"
    )
    lines = [head, "|" + "---|" * 12]

    def num(v: float, fmt: str) -> str:
        return fmt.format(v) if np.isfinite(v) else "-"

    for _, r in df.iterrows():
        lines.append(
            "| "
            + " | ".join(
                [
                    str(r["held_out"]),
                    f"{r['fps']:.0f}",
                    num(r["ic_after_peak_ms"], "{:.1f}"),
                    num(r["to_offset_ms"], "{:+.1f}"),
                    num(r["fsa_reference_offset_deg"], "{:+.2f}"),
                    num(r["ic_bias_ms"], "{:+.1f}"),
                    f"{num(r['ic_loa_low_ms'], '{:+.1f}')} .. {num(r['ic_loa_high_ms'], '{:+.1f}')}",
                    num(r["to_bias_ms"], "{:+.1f}"),
                    f"{num(r['to_loa_low_ms'], '{:+.1f}')} .. {num(r['to_loa_high_ms'], '{:+.1f}')}",
                    num(r["contact_bias_ms"], "{:+.1f}"),
                    num(r["fsa_rmse_deg"], "{:.2f}"),
                    num(r["strike_kappa"], "{:.2f}"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)
