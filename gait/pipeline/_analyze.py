"""Analysing clips: pose (or a track file), then each view's methods from the registry."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gait.config import AnalysisConfig, ClipSpec
from gait.errors import ClipTooShortError, ConfigError
from gait.events import GaitEvents, with_slowmo_hint
from gait.flags import FatigueResult, FlagResult, RuleSet, compare_fatigue, evaluate_flags, load_rules
from gait.metrics import GaitMetrics
from gait.pipeline._session import merge_session, role_configs, single_session
from gait.pipeline._types import Analysis, Session
from gait.pipeline._views import methods_for
from gait.pose import estimate_pose, resolve_model
from gait.report import build_report
from gait.track import PoseTrack, TrackView, clean_track, clip_view, is_track_path, load_track

log = logging.getLogger(__name__)

#: Shortest stretch of the runner in view that is analysed at all: three contacts (about one
#: stride) at 130 steps/min span 0.92 s. Shorter clips are refused; a clip with fewer contacts in
#: view gets no events and a note from the detector (``too_few_contacts``).
MIN_ANALYSIS_S = 1.0

Progress = Callable[[str, float], None]
"""``progress(stage, fraction_done)``: stage is 'pose', 'analysis', 'writing' or 'video'."""

Clips = str | Path | ClipSpec | Sequence[str | Path | ClipSpec]


@dataclass(frozen=True)
class Prepared:
    """What every analysis of a run needs before any pose work: checked once (:func:`prepare`)."""

    config: AnalysisConfig
    rules: RuleSet


def prepare(config: AnalysisConfig = AnalysisConfig(), clips: Sequence[ClipSpec] = ()) -> Prepared:
    """Check everything that can fail before the pose model runs: fail fast, parse once.

    The flag rules file is parsed (a typo costs nothing), the pose model is resolved when a clip
    is a video, and options that cannot apply to an input are refused.

    Raises
    ------
    GaitError
        A bad rules file, a missing model, an option that cannot apply (one sentence each).
    """
    rules = load_rules(config.rules_path)
    for spec in clips:
        _check_source_options(spec.path, spec.config(config))
    if any(not is_track_path(spec.path) and not spec.path.is_dir() for spec in clips):
        resolve_model(config.pose.model)
    return Prepared(config, rules)


def as_specs(clips: Clips) -> tuple[ClipSpec, ...]:
    """``clips`` as clip specifications (a path, a spec, or a sequence of them)."""
    if isinstance(clips, (str, Path, ClipSpec)):
        clips = [clips]
    return tuple(c if isinstance(c, ClipSpec) else ClipSpec(Path(c)) for c in clips)


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


def check_long_enough(track: PoseTrack) -> None:
    """Refuse a track that shows the runner for less than :data:`MIN_ANALYSIS_S`."""
    seen = track["time"].values[track["detected"].values]
    span = float(seen[-1] - seen[0]) if len(seen) else 0.0
    if span < MIN_ANALYSIS_S:
        name = Path(str(track.attrs.get("source_path", "the clip"))).name
        raise ClipTooShortError(
            f"'{name}' shows the runner for only {span:.1f} s; record at least 2 s of running in "
            "view (10 s or more gives steadier figures)."
        )


def view_stages(track: PoseTrack, config: AnalysisConfig) -> tuple[TrackView, PoseTrack, GaitEvents]:
    """The view (read right after pose), the cleaned track and the events, by the view's methods."""
    check_long_enough(track)
    view = clip_view(track, config.clean, given=config.view)
    methods = methods_for(view.view)
    cleaned = clean_track(track, config.clean, view=view, repair_labels=methods.repair_labels)
    events = with_slowmo_hint(methods.detect(cleaned, config.events, view), _slowmo_given(track))
    return view, cleaned, events


def _slowmo_given(track: PoseTrack) -> bool:
    """Whether the clip's times were already corrected for slow motion (by the user or the file)."""
    if float(track.attrs.get("slowmo_factor", 1.0)) != 1.0:
        return True
    try:
        video = json.loads(str(track.attrs.get("video") or "{}"))
    except ValueError:
        return False
    return video.get("slowmo_source") in ("given", "metadata")


def judge(events: GaitEvents, metrics: GaitMetrics, rules: RuleSet) -> tuple[FlagResult, FatigueResult]:
    """Flags and the fatigue comparison; a clip without running gets none, but says what was not assessed."""
    if events.running:
        return evaluate_flags(metrics.metrics, metrics.foot_strike, rules=rules), compare_fatigue(metrics.steps, rules=rules)
    return evaluate_flags({}, {}, rules=rules), compare_fatigue(metrics.steps.iloc[0:0], rules=rules)


def finish(
    track: PoseTrack,
    view: TrackView,
    cleaned: PoseTrack,
    events: GaitEvents,
    config: AnalysisConfig,
    rules: RuleSet,
) -> Analysis:
    """Metrics (by the view's method), flags and the report of one clip."""
    metrics = methods_for(view.view).metrics(cleaned, events, config.metrics, config.height_cm)
    flags, fatigue = judge(events, metrics, rules)
    report = build_report(
        track=track, cleaned=cleaned, events=events, metrics=metrics, config=config, flags=flags, fatigue=fatigue
    )
    return Analysis(track, cleaned, events, metrics, flags, fatigue, report, view)


def analyze_track(track: PoseTrack, config: AnalysisConfig = AnalysisConfig(), *, rules: RuleSet | None = None) -> Analysis:
    """Analyse a raw pose track: view, clean, detect events, compute metrics, evaluate flags, build the report.

    ``rules``: the flag rules already parsed (:func:`prepare`); None: parsed from ``config.rules_path``.
    """
    view, cleaned, events = view_stages(track, config)
    return finish(track, view, cleaned, events, config, load_rules(config.rules_path) if rules is None else rules)


def analyze_clip(
    path: str | Path,
    config: AnalysisConfig = AnalysisConfig(),
    *,
    rules: RuleSet | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Analyse one clip or track file (see :func:`load_source` and :func:`analyze_track`)."""
    track = load_source(path, config, progress=progress)
    if progress is not None:
        progress("analysis", 0.0)
    return analyze_track(track, config, rules=rules)


def _share(progress: Progress | None, part: int, parts: int) -> Progress | None:
    """``progress`` for clip ``part`` of ``parts``: its pose and video stages fill their share of the
    bar; other stages are passed on for the last clip only, so that the stages never go back."""
    if progress is None or parts == 1:
        return progress

    def report(stage: str, fraction: float) -> None:
        if stage in ("pose", "video"):
            progress(stage, (part + fraction) / parts)
        elif part == parts - 1:
            progress(stage, fraction)

    return report


def analyze(
    clips: Clips,
    config: AnalysisConfig = AnalysisConfig(),
    *,
    progress: Progress | None = None,
    prepared: Prepared | None = None,
) -> Session:
    """Analyse one run filmed from one or more views: each clip by its own view, then merged.

    Parameters
    ----------
    clips
        A clip or track path, a :class:`gait.config.ClipSpec`, or a sequence of them (at most two:
        a side clip and a rear clip of the same run; need not be synchronised).
    config
        The analysis settings; each clip's own values (:class:`ClipSpec`) take precedence. With
        two clips, ``config.view`` forces the view of the clip whose role it names
        (:func:`gait.pipeline.role_configs`).
    prepared
        The result of :func:`prepare` when the caller checked already (rules are parsed once).

    Raises
    ------
    GaitError
        A user-level problem with any clip (one sentence), or more than two clips.
    """
    specs = as_specs(clips)
    if not 1 <= len(specs) <= 2:
        raise ConfigError(f"A session takes one clip or two (a side and a rear clip of one run), got {len(specs)}.")
    prepared = prepared or prepare(config, specs)
    bases = role_configs(config) if len(specs) == 2 else (config,)
    analyses = [
        analyze_clip(spec.path, spec.config(base), rules=prepared.rules, progress=_share(progress, i, len(specs)))
        for i, (spec, base) in enumerate(zip(specs, bases, strict=True))
    ]
    if len(analyses) == 1:
        return single_session(analyses[0])
    names = tuple(spec.path.name for spec in specs)
    # the session's provenance records the options as the user gave them (the first clip's values)
    user = replace(specs[0].config(config), view=config.view)
    return merge_session(analyses[0], analyses[1], user, rules=prepared.rules, names=(names[0], names[1]))


__all__ = [
    "MIN_ANALYSIS_S",
    "Prepared",
    "Progress",
    "analyze",
    "analyze_clip",
    "analyze_track",
    "as_specs",
    "check_long_enough",
    "load_source",
    "prepare",
]
