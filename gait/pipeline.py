"""The one pipeline the CLI, the web app and the batch engine call.

``video -> pose -> track (clean) -> events -> metrics -> flags -> report``: data flows one way; each
stage is a package with a pure function, and this module only composes them and writes files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from gait.config import AnalysisConfig, check_output_dir
from gait.errors import ClipTooShortError, ConfigError, GaitError
from gait.events import GaitEvents, detect_events
from gait.export import check_formats, write_exports
from gait.flags import FatigueResult, FlagResult, compare_fatigue, evaluate_flags, load_rules
from gait.metrics import GaitMetrics, compute_metrics
from gait.pose import estimate_pose
from gait.report import build_report, write_html, write_steps_csv
from gait.report.overlay import write_overlay
from gait.track import PoseTrack, clean_track, is_track_path, load_track, save_track

if TYPE_CHECKING:
    from gait.session import Session

log = logging.getLogger(__name__)

#: Shortest stretch of the runner in view that can be analysed (a few strides).
MIN_ANALYSIS_S = 2.0

Progress = Callable[[str, float], None]
"""``progress(stage, fraction_done)``: stage is 'pose', 'analysis', 'writing' or 'video'."""


@dataclass(frozen=True)
class Analysis:
    """Everything one analysis produced; ``report`` is the content of ``report.json``."""

    track: PoseTrack
    cleaned: PoseTrack
    events: GaitEvents
    metrics: GaitMetrics
    flags: FlagResult
    fatigue: FatigueResult
    report: dict[str, Any]


def _check_source_options(path: Path, config: AnalysisConfig) -> None:
    """Options that cannot apply to this input are refused, not silently recorded in the provenance."""
    if is_track_path(path) and config.slowmo_factor is not None:
        raise ConfigError(
            f"'{path.name}' is a pose track, whose times are already real-world seconds, so a slow-motion "
            f"factor ({config.slowmo_factor:g}) cannot apply to it; leave --slowmo-factor out (give it to "
            "'gait pose' when making the track)."
        )
    if config.track_fps is not None and not path.is_dir():
        raise ConfigError(
            f"--fps is for landmark folders whose files carry no times (OpenPose JSON); '{path.name}' "
            "has its own frame times (a video or a track file), so leave --fps out."
        )


def load_source(path: str | Path, config: AnalysisConfig = AnalysisConfig(), *, progress: Progress | None = None) -> PoseTrack:
    """The raw pose track of a clip (running the model) or of a track file (``.nc``/``.csv``).

    Raises
    ------
    ConfigError
        A slow-motion factor given for a track file (its times are already real-world seconds).
    """
    path = Path(path)
    _check_source_options(path, config)
    if is_track_path(path):
        return load_track(path, fps=config.track_fps)
    pose_progress = None if progress is None else (lambda done, total: progress("pose", done / max(total, 1)))
    return estimate_pose(path, config.pose, slowmo_factor=config.slowmo_factor, progress=pose_progress)


def _check_long_enough(track: PoseTrack) -> None:
    seen = track["time"].values[track["detected"].values]
    span = float(seen[-1] - seen[0]) if len(seen) else 0.0
    if span < MIN_ANALYSIS_S:
        name = Path(str(track.attrs.get("source_path", "the clip"))).name
        raise ClipTooShortError(
            f"'{name}' shows the runner for only {span:.1f} s; record at least {MIN_ANALYSIS_S:.0f} s "
            "(10 s or more gives steadier figures)."
        )


def analyze_track(track: PoseTrack, config: AnalysisConfig = AnalysisConfig()) -> Analysis:
    """Analyse a raw pose track: clean, detect events, compute metrics, evaluate flags, build the report."""
    _check_long_enough(track)
    cleaned = clean_track(track, config.clean)
    events = detect_events(cleaned, config.events, view=config.view)
    metrics = compute_metrics(cleaned, events, config.metrics, height_cm=config.height_cm)
    rules = load_rules(config.rules_path)
    if events.running:
        flags = evaluate_flags(metrics.metrics, metrics.foot_strike, rules=rules)
        fatigue = compare_fatigue(metrics.steps, rules=rules)
    else:  # no running cadence, no flag: evaluate on nothing so the report still lists what was not assessed
        flags = evaluate_flags({}, {}, rules=rules)
        fatigue = compare_fatigue(metrics.steps.iloc[0:0], rules=rules)
    report = build_report(
        track=track, cleaned=cleaned, events=events, metrics=metrics, config=config, flags=flags, fatigue=fatigue
    )
    return Analysis(track, cleaned, events, metrics, flags, fatigue, report)


def analyze(path: str | Path, config: AnalysisConfig = AnalysisConfig(), *, progress: Progress | None = None) -> Analysis:
    """Analyse a clip or a track file (see :func:`load_source` and :func:`analyze_track`)."""
    track = load_source(path, config, progress=progress)
    if progress is not None:
        progress("analysis", 0.0)
    return analyze_track(track, config)


def _clip_path(analysis: Analysis) -> Path | None:
    """The analysed video, when the track came from one that is still there."""
    src = analysis.track.attrs.get("source_path")
    if analysis.track.attrs.get("source_format") != "mediapipe" or not src:
        return None
    return Path(src) if Path(src).is_file() else None


def write_outputs(
    analysis: Analysis, out_dir: str | Path, *, video: bool = True, progress: Progress | None = None
) -> dict[str, Path]:
    """Write ``report.json``, ``steps.csv``, ``report.html``, the raw ``track.nc`` and ``overlay.mp4``.

    The overlay is drawn only when the analysed clip is available (not for track-file input) and
    ``video`` is true. Every file is written under a temporary name and renamed when complete.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"report": out / "report.json", "steps": out / "steps.csv", "html": out / "report.html", "track": out / "track.nc"}
    tmp = paths["report"].with_suffix(".json.tmp")
    tmp.write_text(json.dumps(analysis.report, indent=2, allow_nan=False) + "\n")
    tmp.replace(paths["report"])
    write_steps_csv(analysis.metrics.steps, paths["steps"])
    save_track(analysis.track, paths["track"])
    clip = _clip_path(analysis)
    write_html(analysis.report, paths["html"], track=analysis.cleaned, steps=analysis.metrics.steps, clip=clip)
    if video and clip is not None:
        overlay_progress = None if progress is None else (lambda done, total: progress("video", done / max(total, 1)))
        paths["overlay"] = write_overlay(
            clip,
            analysis.cleaned,
            analysis.events.table,
            out / "overlay.mp4",
            headline=_headline(analysis.report),
            slowmo_factor=analysis.report["clip"]["slowmo_factor"],
            progress=overlay_progress,
        )
    return paths


def _headline(report: dict[str, Any]) -> dict[str, str]:
    """The few running metrics printed on the overlay video."""
    lines = {"view": str(report.get("view"))}
    for key, label, fmt in (
        ("cadence_spm", "cadence", "{:.0f} steps/min"),
        ("contact_time_s", "contact", "{:.3f} s"),
        ("overstride_leg_lengths", "overstride", "{:.2f} leg lengths"),
    ):
        value = report.get("metrics", {}).get(key, {}).get("value")
        if value is not None:
            lines[label] = fmt.format(value)
    return lines


def _share(progress: Progress | None, part: int, parts: int = 2) -> Progress | None:
    """``progress`` for clip ``part`` of ``parts``: its pose and video stages fill their share of the
    bar; other stages are passed on for the last clip only, so that the stages never go back."""
    if progress is None:
        return None

    def report(stage: str, fraction: float) -> None:
        if stage in ("pose", "video"):
            progress(stage, (part + fraction) / parts)
        elif part == parts - 1:
            progress(stage, fraction)

    return report


def write_session_outputs(
    session: Session, out_dir: str | Path, *, video: bool = True, progress: Progress | None = None
) -> dict[str, Path]:
    """Write a two-view session: ``report.json`` (merged), ``steps.csv`` (both views, ``view`` column),
    ``report.html``, ``track.nc`` and ``track_rear.nc``, and ``overlay.mp4`` / ``overlay_rear.mp4``.

    Files follow the roles (side, rear) of :class:`gait.session.Session`. ``report.html`` lists the
    merged metrics and flags, draws the rear clip's pelvis and hip curves, and the other plots and
    the step table from the side clip. Overlays are drawn
    only for clips that are available (not for track-file input) and when ``video`` is true.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": out / "report.json",
        "steps": out / "steps.csv",
        "html": out / "report.html",
        "track": out / "track.nc",
        "track_rear": out / "track_rear.nc",
    }
    tmp = paths["report"].with_suffix(".json.tmp")
    tmp.write_text(json.dumps(session.report, indent=2, allow_nan=False) + "\n")
    tmp.replace(paths["report"])
    write_steps_csv(session.metrics.steps, paths["steps"])
    save_track(session.side.track, paths["track"])
    save_track(session.rear.track, paths["track_rear"])
    side_view = session.side.events.view
    html_report = {**session.report, "events": [e for e in session.report["events"] if e["view"] == side_view]}
    side_clip = _clip_path(session.side)
    rear_events = [e for e in session.report["events"] if e["view"] == session.rear.events.view]
    write_html(
        html_report,
        paths["html"],
        track=session.side.cleaned,
        steps=session.side.metrics.steps,
        clip=side_clip,
        rear=(session.rear.cleaned, rear_events),
    )
    for part, (key, analysis) in enumerate((("overlay", session.side), ("overlay_rear", session.rear))):
        clip = _clip_path(analysis)
        if video and clip is not None:
            share = _share(progress, part)
            paths[key] = write_overlay(
                clip,
                analysis.cleaned,
                analysis.events.table,
                out / f"{key}.mp4",
                headline=_headline(analysis.report),
                slowmo_factor=analysis.report["clip"]["slowmo_factor"],
                progress=None if share is None else (lambda done, total, p=share: p("video", done / max(total, 1))),
            )
    return paths


def analyze_session(
    side: str | Path,
    rear: str | Path,
    config: AnalysisConfig = AnalysisConfig(),
    *,
    progress: Progress | None = None,
) -> Session:
    """Analyse a side clip and a rear clip (or tracks) separately and merge them into one session.

    ``config.view`` forces the view of the clip whose role it names (see
    :func:`gait.session.role_configs`); otherwise each clip's view is detected.
    """
    from gait.session import merge_session, role_configs

    side_config, rear_config = role_configs(config)
    first = analyze(side, side_config, progress=_share(progress, 0))
    second = analyze(rear, rear_config, progress=_share(progress, 1))
    names = (Path(side).name, Path(rear).name)
    return merge_session(first, second, config, rules=load_rules(config.rules_path), names=names)


@overload
def run_analysis(
    path: str | Path,
    out_dir: str | Path,
    config: AnalysisConfig = ...,
    *,
    rear: None = None,
    progress: Progress | None = None,
    video: bool = True,
    exports: Sequence[str] = (),
) -> tuple[Analysis, dict[str, Path]]: ...


@overload
def run_analysis(
    path: str | Path,
    out_dir: str | Path,
    config: AnalysisConfig = ...,
    *,
    rear: str | Path,
    progress: Progress | None = None,
    video: bool = True,
    exports: Sequence[str] = (),
) -> tuple[Session, dict[str, Path]]: ...


def run_analysis(
    path: str | Path,
    out_dir: str | Path,
    config: AnalysisConfig = AnalysisConfig(),
    *,
    rear: str | Path | None = None,
    progress: Progress | None = None,
    video: bool = True,
    exports: Sequence[str] = (),
) -> tuple[Analysis | Session, dict[str, Path]]:
    """Analyse a clip or track and write the outputs to ``out_dir``.

    ``exports``: formats of :func:`gait.export.write_exports` (``c3d``, ``trc``, ``mot``,
    ``cycles``, ``nwb``, ``bids``) written beside the report; in a two-view session the rear
    clip's go to ``out_dir/rear/``.

    With ``rear`` (a second clip or track, filmed from behind; need not be synchronised), the two
    are analysed separately and merged into one two-view report (:mod:`gait.session`); the result
    is then a :class:`gait.session.Session`, which like :class:`Analysis` has ``report`` and
    ``metrics``.

    Raises
    ------
    GaitError
        Any user-level problem (bad file, no runner, clip too short), with a one-sentence message;
        an output folder that cannot be written, or options that cannot apply to the input
        (:class:`~gait.errors.ConfigError`), before any work is done.
    """
    check_output_dir(out_dir)
    formats = check_export_formats(exports)
    for source in (path, rear):
        if source is not None:
            _check_source_options(Path(source), config)
    load_rules(config.rules_path)  # a bad rules file is refused now, not after the pose model has run
    if rear is not None:
        session = analyze_session(path, rear, config, progress=progress)
        if progress is not None:
            progress("writing", 0.0)
        paths = write_session_outputs(session, out_dir, video=video, progress=progress)
        if formats:
            paths |= write_exports(session.side, Path(out_dir), formats)
            rear_paths = write_exports(session.rear, Path(out_dir) / "rear", formats)
            paths |= {f"rear_{k}": v for k, v in rear_paths.items()}
        return session, paths
    analysis = analyze(path, config, progress=progress)
    if progress is not None:
        progress("writing", 0.0)
    paths = write_outputs(analysis, out_dir, video=video, progress=progress)
    return analysis, paths | write_exports(analysis, Path(out_dir), formats)


def check_export_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The export formats asked for, checked before any work (:func:`gait.export.check_formats`)."""
    return check_formats(formats)


__all__ = [
    "Analysis",
    "GaitError",
    "analyze",
    "analyze_session",
    "analyze_track",
    "load_source",
    "run_analysis",
    "write_outputs",
    "write_session_outputs",
]


#: Columns a hand-corrected event list must have (``time_s`` and ``confidence`` are derived).
HAND_EVENT_COLUMNS = ("foot", "type", "frame")


def _hand_table(track: PoseTrack, events: Any, automatic: Any) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """The corrected events table, the events placed by hand and the automatic events removed.

    An event the same as an automatic one (foot, type and frame) keeps the automatic sub-frame time
    and confidence; every other event is a hand event at its frame's time, confidence 1.
    """
    import numpy as np
    import pandas as pd

    table = pd.DataFrame(events).copy() if not isinstance(events, pd.DataFrame) else events.copy()
    missing = [c for c in HAND_EVENT_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(f"The corrected events lack the column(s) {', '.join(missing)}: give foot, type and frame for every event.")
    table = table[list(HAND_EVENT_COLUMNS)]
    table["foot"] = table["foot"].astype(str).str.strip().str.upper()
    table["type"] = table["type"].astype(str).str.strip().str.upper()
    bad = table[~table["foot"].isin(["L", "R"]) | ~table["type"].isin(["IC", "TO"])]
    if len(bad):
        row = bad.iloc[0]
        raise ConfigError(f"Event {int(bad.index[0]) + 1} has foot {row['foot']!r} and type {row['type']!r}: foot must be L or R and type IC or TO.")
    frames = pd.to_numeric(table["frame"], errors="coerce")
    if frames.isna().any() or (frames != frames.round()).any():
        raise ConfigError(f"Event {int(frames[frames.isna() | (frames != frames.round())].index[0]) + 1} has no whole frame number.")
    table["frame"] = frames.astype(np.int64)
    track_frames = np.asarray(track["frame"].values, dtype=np.int64)
    times = dict(zip(track_frames.tolist(), np.asarray(track["time"].values, dtype=float).tolist(), strict=True))
    outside = [int(f) for f in table["frame"] if int(f) not in times]
    if outside:
        raise ConfigError(f"Frame {outside[0]} is not in the track (frames {track_frames.min()} to {track_frames.max()}).")
    if table.duplicated().any():
        row = table[table.duplicated()].iloc[0]
        raise ConfigError(f"The {row['foot']} {row['type']} at frame {int(row['frame'])} is listed twice.")
    auto = {(str(r.foot), str(r.type), int(r.frame)): (float(r.time_s), float(r.confidence)) for r in automatic.itertuples(index=False)}
    time_s, confidence, by_hand = [], [], []
    for r in table.itertuples(index=False):
        key = (str(r.foot), str(r.type), int(r.frame))
        if key in auto:
            t, c = auto[key]
        else:
            t, c = times[key[2]], 1.0
            by_hand.append({"foot": key[0], "type": key[1], "frame": key[2], "time_s": round(t, 5)})
        time_s.append(t)
        confidence.append(c)
    table["time_s"] = time_s
    table["confidence"] = confidence
    table = table.sort_values(["time_s", "foot", "type"], kind="stable").reset_index(drop=True)
    given = {(str(r.foot), str(r.type), int(r.frame)) for r in table.itertuples(index=False)}
    removed = [
        {"foot": k[0], "type": k[1], "frame": k[2], "time_s": round(v[0], 5)} for k, v in auto.items() if k not in given
    ]
    return table, by_hand, removed


def reanalyze_with_events(track: PoseTrack, events: Any, config: AnalysisConfig = AnalysisConfig()) -> Analysis:
    """Analyse a stored raw pose track again with a corrected list of gait events.

    The pose model is not run: the track is cleaned and the automatic detection is repeated only for
    what surrounds the events (view, direction, near foot, ground line, rhythm); its events table is
    replaced by ``events``, and metrics, flags and the report are recomputed from it.

    Parameters
    ----------
    track
        The raw pose track the automatic analysis used (``track.nc`` of its outputs).
    events
        The full corrected event list: a DataFrame or a list of dicts with ``foot`` (L/R), ``type``
        (IC/TO) and ``frame`` (the track's 0-based decode index). An event equal to an automatic
        one keeps its sub-frame time and confidence; any other is a hand event, at the time of its
        frame in the track's ``time`` coordinate, with confidence 1.
    config
        The analysis settings (those of the automatic analysis).

    Returns
    -------
    Analysis
        As :func:`analyze_track`; ``report["provenance"]["event_corrections"]`` lists the events
        placed by hand, the automatic events removed and all the original automatic events, and a
        quality note says which events were corrected by hand.

    Raises
    ------
    ConfigError
        An event with a bad foot, type or frame, a frame outside the track, or an event listed twice.
    ClipTooShortError
        The track shows the runner for too short a time.
    """
    from dataclasses import replace as _replace

    _check_long_enough(track)
    cleaned = clean_track(track, config.clean)
    automatic = detect_events(cleaned, config.events, view=config.view)
    table, by_hand, removed = _hand_table(track, events, automatic.table)
    events_obj = _replace(automatic, table=table)
    metrics = compute_metrics(cleaned, events_obj, config.metrics, height_cm=config.height_cm)
    rules = load_rules(config.rules_path)
    if events_obj.running:
        flags = evaluate_flags(metrics.metrics, metrics.foot_strike, rules=rules)
        fatigue = compare_fatigue(metrics.steps, rules=rules)
    else:
        flags = evaluate_flags({}, {}, rules=rules)
        fatigue = compare_fatigue(metrics.steps.iloc[0:0], rules=rules)
    report = build_report(
        track=track, cleaned=cleaned, events=events_obj, metrics=metrics, config=config, flags=flags, fatigue=fatigue
    )
    if by_hand or removed:
        def said(items: list[dict[str, Any]]) -> str:
            return ", ".join(f"{e['foot']} {e['type']} at frame {e['frame']}" for e in items)

        parts = [f"placed by hand: {said(by_hand)}" if by_hand else "", f"removed: {said(removed)}" if removed else ""]
        report["quality"].insert(0, {
            "code": "events_corrected_by_hand",
            "message": f"{len(by_hand) + len(removed)} gait event(s) were corrected by hand ("
            + "; ".join(p for p in parts if p) + ").",
        })
    report["provenance"]["event_corrections"] = {
        "by_hand": by_hand,
        "removed": removed,
        "original_events": automatic.to_records(),
    }
    report["provenance"]["event_detector"] = f"{automatic.detector} + corrected by hand"
    return Analysis(track, cleaned, events_obj, metrics, flags, fatigue, report)


def read_events_csv(path: str | Path) -> Any:
    """A corrected event list from a CSV file with columns ``foot``, ``type`` and ``frame`` (others ignored).

    A column named ``event`` is read as ``type`` (the sample annotations use it).

    Raises
    ------
    ConfigError
        The file cannot be read or lacks a column.
    """
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"The events file '{Path(path).name}' cannot be read as CSV ({err}).") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "type" not in table.columns and "event" in table.columns:
        table = table.rename(columns={"event": "type"})
    missing = [c for c in HAND_EVENT_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(f"The events file '{Path(path).name}' lacks the column(s) {', '.join(missing)}: it needs foot, type and frame.")
    return table[list(HAND_EVENT_COLUMNS)]


__all__ += ["read_events_csv", "reanalyze_with_events"]
