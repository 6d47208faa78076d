"""Event and metric validation against force-plate ground truth (mocap filmed by virtual cameras).

For each trial, frame rate and seed: film the RBDS treadmill trial with a virtual side camera
(:meth:`gait.validate.MocapTrial.to_track`, MediaPipe-sized landmark noise by default), clean the
track, run :func:`gait.events.detect_events` and :func:`gait.metrics.compute_metrics` exactly as
on a video, and compare with the force-plate contacts:

* IC and TO: each true event is paired with the nearest detection of the same foot and type within
  ``match_tol_s`` (one-to-one); bias = mean(detected - true), 95 % limits of agreement = bias +-
  1.96 SD (Bland & Altman 1986). Detections with no partner inside the span of the true events
  (+- half a stride) are false positives; the trials' first and last contacts have no truth (the
  force data drop a contact cut by the start and one without toe-off at the end), so detections
  beyond that span are not counted either way.
* Contact time: detected TO - IC against the force-plate contact time, for contacts whose IC was
  matched.
* Foot-strike angle (near-side foot, and far foot separately): RMSE and bias of the per-contact
  angle against the shoe-marker FSA (heel -> metatarsal line at IC minus standing, Altman & Davis
  2012); strike class agreement as Cohen's kappa over rearfoot/midfoot/forefoot.
* Knee flexion at IC (near-side foot): RMSE and bias of the 2D angle at the detected IC against the
  3D marker angle at force-plate IC (timing, projection and landmark noise together).
* Cadence: error of the clip's cadence (spm) against the force-plate cadence.
* Leg labels: the fraction of frames whose feet carry the wrong side's label
  (:func:`gait.validate.errors.label_error_fraction`), in the raw track and after cleaning.

Robustness (:func:`run_robust_validation`): the same scoring on many short virtual clips (random
trial and start window) with MediaPipe-like errors of increasing severity
(:mod:`gait.validate.errors`: leg-label episodes, correlated jitter, far-foot dropouts).

Data: Fukuchi RK, Fukuchi CA, Duarte M. PeerJ 5:e3298 (2017), doi:10.7717/peerj.3298, CC BY 4.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gait.events import EventParams, GaitEvents, detect_events
from gait.metrics import MetricParams, compute_metrics
from gait.track import CleanParams, clean_track
from gait.validate.errors import SEVERITIES, PoseErrorModel, film, label_error_fraction
from gait.validate.mocap import MocapTrial, list_trials, load_trial

if TYPE_CHECKING:
    from gait.validate.truth import GroundTruth

FSA_CLASSES = {"heel": "rearfoot", "midfoot": "midfoot", "forefoot": "forefoot"}
STRIKE_LABELS = ("rearfoot", "midfoot", "forefoot")
FOOT = {"left": "L", "right": "R"}


def match_events(true_s: np.ndarray, detected_s: np.ndarray, tol_s: float) -> np.ndarray:
    """Pair each true time with the nearest unused detection within ``tol_s``.

    Returns
    -------
    numpy.ndarray
        ``(len(true_s),)`` index into ``detected_s`` or -1 when unmatched. True events are taken in
        order of their distance to the nearest detection, so a detection goes to its closest true
        event.
    """
    true_s, detected_s = np.asarray(true_s, float), np.asarray(detected_s, float)
    out = np.full(len(true_s), -1)
    if not len(true_s) or not len(detected_s):
        return out
    dist = np.abs(true_s[:, None] - detected_s[None, :])
    used: set[int] = set()
    for i in np.argsort(dist.min(axis=1)):
        for j in np.argsort(dist[i]):
            if dist[i, j] > tol_s:
                break
            if j not in used:
                out[i] = j
                used.add(int(j))
                break
    return out


def cohen_kappa(
    a: Sequence[str | None], b: Sequence[str | None], labels: Sequence[str] = STRIKE_LABELS
) -> float:
    """Cohen's kappa of two label sequences (NaN when undefined, e.g. fewer than 2 items).

    Pairs with a label outside ``labels`` (e.g. None, an angle that has no strike class) are left out.
    """
    a, b = list(a), list(b)
    if len(a) != len(b) or len(a) < 2:
        return float("nan")
    idx = {lab: k for k, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b, strict=True):
        if x in idx and y in idx:
            m[idx[x], idx[y]] += 1
    n = m.sum()
    if n == 0:
        return float("nan")
    po = np.trace(m) / n
    pe = float((m.sum(axis=0) * m.sum(axis=1)).sum() / n**2)
    return float((po - pe) / (1 - pe)) if pe < 1 else (1.0 if po == 1 else float("nan"))


#: A detected step's angle paired with its force-plate contact's: foot (``"L"``/``"R"``), whether it
#: is the near foot, detected and true value (degrees).
PairedAngle = tuple[str, bool, float, float]


@dataclass(frozen=True)
class RunResult:
    """Paired errors of one (trial, fps, seed) run; lists hold one entry per matched item.

    ``label_error_raw`` and ``label_error_clean`` are the fractions of frames with wrong leg
    labels (:func:`gait.validate.errors.label_error_fraction`) before and after
    :func:`gait.track.clean_track`; ``severity`` and ``start_s`` describe the clip.
    """

    trial_id: str
    fps: float
    seed: int
    n_true: dict[str, int]
    errors_s: dict[str, list[float]]
    false_pos: dict[str, int]
    contact_err_s: list[float]
    fsa: list[PairedAngle] = field(default_factory=list)
    knee_ic: list[PairedAngle] = field(default_factory=list)
    cadence_err_spm: float = float("nan")
    running: bool = False
    severity: int = 0
    start_s: float = 0.0
    label_error_raw: float = float("nan")
    label_error_clean: float = float("nan")
    cadence_confidence: str = "low"


def _score_events(
    truth_events: pd.DataFrame, events: GaitEvents, tol_s: float, stride_s: float, *, false_pos: str = "span"
) -> tuple[dict[str, int], dict[str, list[float]], dict[str, int]]:
    """Pair detections with true events per foot and kind: counts, signed errors, false positives.

    ``false_pos="span"``: an unmatched detection is a false positive only within half a stride
    of the foot's first and last true event (a treadmill window, whose edges are cut mid-step);
    ``"all"``: every unmatched detection is one (a pass-by, scored on the events in view).
    """
    if false_pos not in ("span", "all"):
        raise ValueError(f"Expected false_pos 'span' or 'all', got {false_pos!r}.")
    n_true: dict[str, int] = {}
    errors: dict[str, list[float]] = {}
    fps_: dict[str, int] = {}
    matched_ic: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for kind in ("IC", "TO"):
        errs: list[float] = []
        n, fp = 0, 0
        for side, foot in FOOT.items():
            tt = truth_events.loc[
                (truth_events["side"] == side) & (truth_events["kind"] == kind.lower()), "time_s"
            ].to_numpy(float)
            det = events.of(foot, kind)
            pairs = match_events(tt, det, tol_s)
            n += len(tt)
            errs += [float(det[j] - t) for t, j in zip(tt, pairs, strict=True) if j >= 0]
            if false_pos == "all":
                fp += int(len(det) - (pairs >= 0).sum())
            elif len(tt):
                span = (tt.min() - stride_s / 2, tt.max() + stride_s / 2)
                inside = (det >= span[0]) & (det <= span[1])
                fp += int(inside.sum() - (pairs >= 0).sum())
            if kind == "IC":
                matched_ic[foot] = (tt, det, pairs)
        n_true[kind], errors[kind], fps_[kind] = n, errs, fp
    return n_true, errors, fps_


def _score_contacts(
    truth: GroundTruth, steps: pd.DataFrame, near: str | None, tol_s: float
) -> tuple[list[float], list[PairedAngle], list[PairedAngle]]:
    contact_err: list[float] = []
    fsa: list[PairedAngle] = []
    knee: list[PairedAngle] = []
    for side, foot in FOOT.items():
        tc = truth.contacts[truth.contacts["side"] == side]
        st = steps[steps["foot"] == foot]
        pairs = match_events(
            tc["ic_time_s"].to_numpy(float), st["ic_time_s"].to_numpy(float), tol_s
        )
        for (_, row), j in zip(tc.iterrows(), pairs, strict=True):
            if j < 0:
                continue
            det = st.iloc[j]
            if np.isfinite(det["contact_time_s"]):
                contact_err.append(float(det["contact_time_s"] - row["contact_time_s"]))
            for name, out in (("knee_flexion_ic_deg", knee), ("foot_strike_angle_deg", fsa)):
                if np.isfinite(det[name]):
                    out.append((foot, foot == near, float(det[name]), float(row[name])))
    return contact_err, fsa, knee


def run_once(
    trial: MocapTrial,
    *,
    fps: float,
    seed: int,
    noise_px: float | None = None,
    view: str = "side_left",
    duration_s: float | None = None,
    clean_params: CleanParams = CleanParams(),
    event_params: EventParams = EventParams(),
    metric_params: MetricParams = MetricParams(),
    match_tol_s: float = 0.15,
    severity: int = 0,
    error_model: PoseErrorModel | None = None,
    start_s: float = 0.0,
) -> RunResult:
    """Film one trial at one frame rate and seed, detect, and pair with the truth.

    ``severity`` (:data:`gait.validate.errors.SEVERITIES`) or an explicit ``error_model`` add
    MediaPipe-like errors (:func:`gait.validate.errors.film`); severity 0 without a model is
    :meth:`MocapTrial.to_track` as before. ``start_s`` starts the clip later in the trial.
    """
    if severity == 0 and error_model is None:
        track, truth = trial.to_track(
            view=view,
            fps=fps,
            noise_px=noise_px,
            seed=seed,
            duration_s=duration_s,
            start_s=start_s,
        )
    else:
        if severity not in SEVERITIES:
            raise ValueError(f"Expected a severity in {SEVERITIES}, got {severity!r}.")
        track, truth, _, _ = film(
            trial,
            view=view,
            fps=fps,
            severity=severity,
            seed=seed,
            start_s=start_s,
            duration_s=duration_s,
            model=error_model,
            noise_px=noise_px,
        )
    cleaned = clean_track(track, clean_params)
    events = detect_events(cleaned, event_params)
    metrics = compute_metrics(cleaned, events, metric_params)
    stride = events.stride_time_s or 0.7
    n_true, errors, false_pos = _score_events(truth.events, events, match_tol_s, stride)
    contact_err, fsa, knee = _score_contacts(truth, metrics.steps, events.near_foot, match_tol_s)
    cad = metrics.value("cadence_spm")
    return RunResult(
        trial_id=trial.trial_id,
        fps=float(fps),
        seed=int(seed),
        n_true=n_true,
        errors_s=errors,
        false_pos=false_pos,
        contact_err_s=contact_err,
        fsa=fsa,
        knee_ic=knee,
        cadence_err_spm=float(cad - truth.cadence_spm) if cad is not None else float("nan"),
        running=events.running,
        severity=int(severity),
        start_s=float(start_s),
        label_error_raw=label_error_fraction(track, truth.position_true_px),
        label_error_clean=label_error_fraction(cleaned, truth.position_true_px),
        cadence_confidence=metrics.metrics["cadence_spm"].confidence,
    )


def _loa(errors_s: list[float]) -> tuple[float, float, float]:
    e = np.asarray(errors_s, float) * 1000
    if e.size < 2:
        return (float("nan"),) * 3
    bias, sd = float(e.mean()), float(e.std(ddof=1))
    return bias, bias - 1.96 * sd, bias + 1.96 * sd


def bias_rmse(errors: np.ndarray) -> tuple[float, float]:
    """Mean and root mean square of paired errors (NaN, NaN when there are none)."""
    e = np.asarray(errors, float)
    if not e.size:
        return float("nan"), float("nan")
    return float(e.mean()), float(np.sqrt(np.mean(e**2)))


def summarise_runs(runs: Iterable[RunResult]) -> dict[str, float]:
    """Pool runs into one row of the validation table (columns: :func:`run_event_validation`)."""
    runs = list(runs)
    row: dict[str, float] = {"runs": len(runs), "trials": len({r.trial_id for r in runs})}
    for kind in ("IC", "TO"):
        errs = [e for r in runs for e in r.errors_s[kind]]
        n = sum(r.n_true[kind] for r in runs)
        k = kind.lower()
        row[f"{k}_n"] = n
        row[f"{k}_detected_pct"] = 100.0 * len(errs) / n if n else float("nan")
        row[f"{k}_false_pos"] = sum(r.false_pos[kind] for r in runs)
        row[f"{k}_bias_ms"], row[f"{k}_loa_low_ms"], row[f"{k}_loa_high_ms"] = _loa(errs)
    ct = [e for r in runs for e in r.contact_err_s]
    row["contact_bias_ms"], row["contact_loa_low_ms"], row["contact_loa_high_ms"] = _loa(ct)
    row["contact_rmse_ms"] = float(np.sqrt(np.mean(np.square(ct))) * 1000) if ct else float("nan")
    for label, near in (("", True), ("_far", False)):
        pairs = [(d, t) for r in runs for (_, is_near, d, t) in r.fsa if is_near == near]
        d = np.array([p[0] for p in pairs])
        t = np.array([p[1] for p in pairs])
        row[f"fsa_bias{label}_deg"], row[f"fsa_rmse{label}_deg"] = bias_rmse(d - t)
        params = MetricParams()
        row[f"strike_kappa{label}"] = cohen_kappa(
            [params.classify(x) for x in d], [params.classify(x) for x in t]
        )
        agree = [params.classify(x) == params.classify(y) for x, y in zip(d, t, strict=True)]
        row[f"strike_agreement{label}_pct"] = (
            100.0 * float(np.mean(agree)) if agree else float("nan")
        )
    knee = np.array([d - t for r in runs for (_, is_near, d, t) in r.knee_ic if is_near])
    row["knee_ic_bias_deg"], row["knee_ic_rmse_deg"] = bias_rmse(knee)
    cad = np.array([r.cadence_err_spm for r in runs])
    row["cadence_err_mean_spm"] = float(np.nanmean(cad)) if np.isfinite(cad).any() else float("nan")
    row["cadence_err_max_abs_spm"] = (
        float(np.nanmax(np.abs(cad))) if np.isfinite(cad).any() else float("nan")
    )
    row["running_pct"] = 100.0 * float(np.mean([r.running for r in runs])) if runs else float("nan")
    row["cadence_within_1spm_pct"] = (
        100.0 * float(np.mean(np.abs(cad) <= 1.0)) if runs else float("nan")
    )  # a NaN cadence (none reported) is not within
    wrong = [not abs(r.cadence_err_spm) <= 1.0 and np.isfinite(r.cadence_err_spm) for r in runs]
    confident = [r.cadence_confidence != "low" for r in runs]
    row["confident_wrong_cadence_pct"] = (
        100.0 * float(np.mean([w and c for w, c in zip(wrong, confident, strict=True)]))
        if runs
        else float("nan")
    )  # a cadence more than 1 spm off, reported at medium or high confidence
    n_ic = sum(r.n_true["IC"] for r in runs)
    close = sum(
        int(np.sum(np.abs(r.errors_s["IC"]) <= 2.0 / r.fps + 1e-9)) for r in runs if r.fps > 0
    )
    row["ic_within_2_frames_pct"] = 100.0 * close / n_ic if n_ic else float("nan")
    for stage in ("raw", "clean"):
        vals = np.array([getattr(r, f"label_error_{stage}") for r in runs], float)
        row[f"label_error_{stage}_pct"] = (
            100.0 * float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
        )
    return row


def run_event_validation(
    data_dir: Path | str,
    *,
    fps_list: Sequence[float] = (30, 60, 120, 240),
    noise_px: float | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    trial_ids: Sequence[str] | None = None,
    view: str = "side_left",
    duration_s: float | None = None,
    per_trial: bool = False,
    event_params: EventParams = EventParams(),
    metric_params: MetricParams = MetricParams(),
    clean_params: CleanParams = CleanParams(),
    match_tol_s: float = 0.15,
    trials: Sequence[MocapTrial] | None = None,
) -> pd.DataFrame:
    """Validate events and metrics on the mocap trials at several frame rates.

    Parameters
    ----------
    data_dir
        The RBDS folder (``shared/data/mocap``).
    fps_list
        Virtual camera frame rates.
    noise_px
        Landmark noise SD per axis in px; None = MediaPipe-sized (0.9 % of stature, see
        :mod:`gait.validate.camera`); 0 = exact projections.
    seeds
        Seeds of the camera's sub-frame phase and noise; results pool over them.
    trial_ids
        Trials to use (default: every trial of :func:`gait.validate.list_trials`).
    view
        ``"side_left"`` or ``"side_right"``.
    duration_s
        Film only the first ``duration_s`` of each trial (None = all 30 s).
    per_trial
        One row per (trial, fps) instead of per fps.
    event_params, metric_params, clean_params
        Passed to the stages.
    match_tol_s
        Largest |detected - true| for a pair.
    trials
        Already loaded trials (overrides ``trial_ids``; saves loading time in tests).

    Returns
    -------
    pandas.DataFrame
        One row per fps (or per trial and fps). Columns: ``fps``, ``trial`` (per-trial only),
        ``runs``, ``trials``; for ``ic`` and ``to``: ``_n`` (true events), ``_detected_pct``,
        ``_false_pos``, ``_bias_ms``, ``_loa_low_ms``, ``_loa_high_ms``; ``contact_bias_ms``,
        ``contact_loa_low_ms``, ``contact_loa_high_ms``, ``contact_rmse_ms``; near-side foot
        ``fsa_bias_deg``, ``fsa_rmse_deg``, ``strike_kappa``, ``strike_agreement_pct`` and the same
        with ``_far`` for the far foot; ``knee_ic_bias_deg``, ``knee_ic_rmse_deg`` (near-side foot);
        ``cadence_err_mean_spm``, ``cadence_err_max_abs_spm``;
        ``running_pct`` (runs judged running); ``cadence_within_1spm_pct`` (runs whose cadence
        is within 1 spm; none reported counts as not), ``ic_within_2_frames_pct`` (true ICs
        matched within two frame periods), ``label_error_raw_pct`` and ``label_error_clean_pct``
        (mean share of frames with wrong leg labels before and after cleaning).
    """
    if trials is None:
        ids = list(trial_ids) if trial_ids is not None else list(list_trials(data_dir))
        trials = [load_trial(data_dir, t) for t in ids]
    results = [
        run_once(
            tr,
            fps=fps,
            seed=seed,
            noise_px=noise_px,
            view=view,
            duration_s=duration_s,
            clean_params=clean_params,
            event_params=event_params,
            metric_params=metric_params,
            match_tol_s=match_tol_s,
        )
        for fps in fps_list
        for tr in trials
        for seed in seeds
    ]
    return summarise_by_fps(results, fps_list, per_trial=per_trial)


def summarise_by_fps(
    results: Sequence[RunResult], fps_list: Sequence[float], *, per_trial: bool = False
) -> pd.DataFrame:
    """One :func:`summarise_runs` row per fps (and per trial when ``per_trial``)."""
    rows = []
    for fps in fps_list:
        at_fps = [r for r in results if r.fps == float(fps)]
        groups = sorted({r.trial_id for r in at_fps}) if per_trial else [None]
        for g in groups:
            sel = [r for r in at_fps if g is None or r.trial_id == g]
            rows.append(
                {"fps": float(fps), **({"trial": g} if per_trial else {}), **summarise_runs(sel)}
            )
    return pd.DataFrame(rows)


ROBUST_SEED = 20261201


@dataclass(frozen=True)
class VirtualClip:
    """One clip of :func:`run_robust_validation`: a trial, a start window and a seed."""

    k: int
    trial_id: str
    start_s: float
    seed: int


def draw_virtual_clips(
    trials: Sequence[MocapTrial], n_clips: int, duration_s: float
) -> list[VirtualClip]:
    """Draw clips ``k = 0 .. n_clips - 1``, each from ``default_rng([ROBUST_SEED, k])``.

    Clip ``k`` depends on ``k`` only (not on frame rate or severity), so every cell of the robust
    table scores the same clips: rows differ only by frame rate and error model (a paired design).
    The trial is uniform among ``trials``, the start uniform such that ``duration_s`` fits.
    """
    clips = []
    for k in range(n_clips):
        rng = np.random.default_rng([ROBUST_SEED, k])
        trial = trials[int(rng.integers(len(trials)))]
        room = max(trial.duration_s - duration_s, 0.0)
        clips.append(
            VirtualClip(
                k=k,
                trial_id=trial.trial_id,
                start_s=float(rng.uniform(0.0, room)),
                seed=int(rng.integers(2**31 - 1)),
            )
        )
    return clips


def run_robust_validation(
    data_dir: Path | str,
    *,
    severities: Sequence[int] = SEVERITIES,
    fps_list: Sequence[float] = (30, 60, 120, 240),
    clips_per_cell: int = 50,
    duration_s: float = 8.0,
    trial_ids: Sequence[str] | None = None,
    trials: Sequence[MocapTrial] | None = None,
    view: str = "side_left",
    noise_px: float | None = None,
    event_params: EventParams = EventParams(),
    metric_params: MetricParams = MetricParams(),
    clean_params: CleanParams = CleanParams(),
    match_tol_s: float = 0.15,
    progress: Callable[[int, float, VirtualClip, RunResult], None] | None = None,
) -> pd.DataFrame:
    """Score the detector on many short virtual clips with MediaPipe-like errors.

    Parameters
    ----------
    data_dir
        The RBDS folder (``shared/data/mocap``).
    severities
        Error-model levels (:meth:`gait.validate.errors.PoseErrorModel.at_severity`).
    fps_list
        Virtual camera frame rates.
    clips_per_cell
        Clips per (severity, fps); clip ``k`` is the same in every cell
        (:func:`draw_virtual_clips`).
    duration_s
        Length of each clip.
    trial_ids, trials
        As in :func:`run_event_validation`.
    view
        ``"side_left"`` or ``"side_right"``.
    noise_px
        Landmark noise SD (None: 0.9 % of stature).
    event_params, metric_params, clean_params, match_tol_s
        As in :func:`run_event_validation`.
    progress
        Called after each clip with ``(severity, fps, clip, result)``.

    Returns
    -------
    pandas.DataFrame
        One row per (severity, fps): ``severity``, ``fps``, ``seconds_per_clip`` (wall time) and
        the :func:`run_event_validation` columns (``runs`` = clips).
    """
    import time

    if trials is None:
        ids = list(trial_ids) if trial_ids is not None else list(list_trials(data_dir))
        trials = [load_trial(data_dir, t) for t in ids]
    by_id = {t.trial_id: t for t in trials}
    clips = draw_virtual_clips(list(trials), clips_per_cell, duration_s)
    rows = []
    for severity in severities:
        for fps in fps_list:
            started = time.perf_counter()
            results = []
            for clip in clips:
                result = run_once(
                    by_id[clip.trial_id],
                    fps=fps,
                    seed=clip.seed,
                    noise_px=noise_px,
                    view=view,
                    duration_s=duration_s,
                    clean_params=clean_params,
                    event_params=event_params,
                    metric_params=metric_params,
                    match_tol_s=match_tol_s,
                    severity=severity,
                    start_s=clip.start_s,
                )
                results.append(result)
                if progress is not None:
                    progress(severity, fps, clip, result)
            elapsed = time.perf_counter() - started
            rows.append(
                {
                    "severity": int(severity),
                    "fps": float(fps),
                    "seconds_per_clip": elapsed / max(len(clips), 1),
                    **summarise_runs(results),
                }
            )
    return pd.DataFrame(rows)


def format_robust_table(df: pd.DataFrame) -> str:
    """The :func:`run_robust_validation` table as GitHub-flavoured Markdown."""
    cols = (
        ("severity", "severity", "{:.0f}"),
        ("fps", "fps", "{:.0f}"),
        ("runs", "clips", "{:.0f}"),
        ("cadence_within_1spm_pct", "cadence within 1 spm %", "{:.0f}"),
        ("confident_wrong_cadence_pct", "wrong cadence, not low confidence %", "{:.0f}"),
        ("ic_within_2_frames_pct", "IC within 2 frames %", "{:.1f}"),
        ("ic_bias_ms", "IC bias ms", "{:+.1f}"),
        ("ic_loa", "IC 95% LoA ms", None),
        ("ic_detected_pct", "IC det %", "{:.1f}"),
        ("false_pos", "false pos IC/TO", None),
        ("label_error", "label error % raw -> clean", None),
        ("running_pct", "running %", "{:.0f}"),
    )
    lines = [
        "| " + " | ".join(c[1] for c in cols) + " |",
        "|" + "|".join("---" for _ in cols) + "|",
    ]
    for _, row in df.iterrows():
        cells = []
        for key, _, fmt in cols:
            if key == "label_error":
                raw, clean = _num(row, "label_error_raw_pct"), _num(row, "label_error_clean_pct")
                cells.append(
                    " -> ".join(f"{v:.1f}" if np.isfinite(v) else "-" for v in (raw, clean))
                )
            else:
                cells.append(_cell(row, key, fmt))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


_TABLE_COLUMNS = (
    ("fps", "fps", "{:.0f}"),
    ("ic_bias_ms", "IC bias ms", "{:+.1f}"),
    ("ic_loa", "IC 95% LoA ms", None),
    ("to_bias_ms", "TO bias ms", "{:+.1f}"),
    ("to_loa", "TO 95% LoA ms", None),
    ("contact_bias_ms", "CT bias ms", "{:+.1f}"),
    ("contact_rmse_ms", "CT RMSE ms", "{:.1f}"),
    ("fsa_rmse_deg", "FSA RMSE deg", "{:.2f}"),
    ("fsa_bias_deg", "FSA bias deg", "{:+.2f}"),
    ("strike_kappa", "kappa", "{:.2f}"),
    ("fsa_rmse_far_deg", "far FSA RMSE", "{:.2f}"),
    ("knee_ic_rmse_deg", "knee IC RMSE deg", "{:.1f}"),
    ("cadence_err_max_abs_spm", "cadence max|err| spm", "{:.2f}"),
    ("ic_detected_pct", "IC det %", "{:.1f}"),
    ("to_detected_pct", "TO det %", "{:.1f}"),
    ("false_pos", "false pos", None),
)


def _num(row: pd.Series, key: str) -> float:
    """A cell as float (NaN when missing or not a number)."""
    try:
        return float(row.get(key, float("nan")))
    except (TypeError, ValueError):
        return float("nan")


def _cell(row: pd.Series, key: str, fmt: str | None) -> str:
    if key in ("ic_loa", "to_loa"):
        k = key[:2]
        lo, hi = _num(row, f"{k}_loa_low_ms"), _num(row, f"{k}_loa_high_ms")
        return f"{lo:+.1f} .. {hi:+.1f}" if np.isfinite(lo) and np.isfinite(hi) else "-"
    if key == "false_pos":
        ic, to = _num(row, "ic_false_pos"), _num(row, "to_false_pos")
        return "/".join(f"{v:.0f}" if np.isfinite(v) else "-" for v in (ic, to))
    value = _num(row, key)
    return fmt.format(value) if fmt is not None and np.isfinite(value) else "-"


def format_validation_table(df: pd.DataFrame) -> str:
    """The validation table as GitHub-flavoured Markdown (one row per row of ``df``)."""
    cols = list(_TABLE_COLUMNS)
    if "trial" in df.columns:
        cols.insert(1, ("trial", "trial", "{}"))
    head = "| " + " | ".join(c[1] for c in cols) + " |"
    rule = "|" + "|".join("---" for _ in cols) + "|"
    lines = [head, rule]
    for _, row in df.iterrows():
        cells = [
            str(row["trial"]) if key == "trial" else _cell(row, key, fmt) for key, _, fmt in cols
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m gait.validate.harness [DATA_DIR]``: print the full validation table."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    data_dir = (
        Path(args[0]) if args else Path(__file__).resolve().parents[3] / "shared" / "data" / "mocap"
    )
    print(format_validation_table(run_event_validation(data_dir)))


if __name__ == "__main__":
    main()
