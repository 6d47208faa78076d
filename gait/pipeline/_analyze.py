"""Analysing clips: pose (or a track file), then each view's methods from the registry.

A side-view clip filmed by a moving camera (a friend following the runner) is analysed in the
ground frame: right after the view, :func:`camera_motion` measures the camera's motion on the
video's background (a quick check first, the full estimate only when the camera moved), and the
cleaning, the events and the metrics run on the track with that motion removed
(:func:`gait.track._ground_frame.to_ground_frame`), so that a contact is where the foot stops on
the ground. ``Analysis.track`` keeps the image pixels (it is what ``track.nc`` saves; the
compensation is measured again on the next analysis) and ``Analysis.cleaned`` is mapped back into
them for the overlay; the report says the camera moved and gives the running speed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gait.config import ROLES, AnalysisConfig, ClipSpec
from gait.errors import ClipTooShortError, ConfigError, GaitError
from gait.events import GaitEvents, with_slowmo_hint
from gait.flags import FatigueResult, FlagResult, RuleSet, compare_fatigue, evaluate_flags, load_rules
from gait.metrics import GaitMetrics, speed_metrics
from gait.notes import QualityNote
from gait.pipeline._progress import Progress
from gait.pipeline._session import merge_views, role_configs, single_session
from gait.pipeline._types import Analysis, Session
from gait.pipeline._views import methods_for
from gait.pose import estimate_pose, resolve_model
from gait.report import build_report
from gait.report.overlay import OVERLAY_LONG_SIDE_PX
from gait.track import PoseTrack, TrackView, clean_track, clip_view, is_track_path, load_track
from gait.track._ground_frame import CAMERA_ATTRS, camera_attrs, from_ground_frame, to_ground_frame
from gait.video import file_sha256, frame_changes, probe_video, speed_change_message, speed_segments
from gait.video._egomotion import CameraMotion, estimate_camera_motion
from gait.video._kept import QUICK_SIDE_PX, QUICK_STEP

log = logging.getLogger(__name__)

#: Shortest stretch of the runner in view that is analysed at all: three contacts (about one
#: stride) at 130 steps/min span 0.92 s. Shorter clips are refused; a clip with fewer contacts in
#: view gets no events and a note from the detector (``too_few_contacts``).
MIN_ANALYSIS_S = 1.0

#: The quick camera check fits every ``CAMERA_CHECK_STEP``-th frame at a long side of
#: ``CAMERA_CHECK_SIDE_PX`` (about 4 ms per frame of a 720 x 1280 clip, mostly decoding, against
#: 24 ms for the full estimate at 480 px, which runs only when the camera moved). At 240 px the
#: "moved" threshold (2 % of the long side) is 4.8 working px, well above the fit's noise.
#: Its frames are kept by the pose stage as it decodes them (:mod:`gait.video._kept`),
#: so a clip posed in this process is not decoded again for the check.
CAMERA_CHECK_STEP = QUICK_STEP
CAMERA_CHECK_SIDE_PX = QUICK_SIDE_PX
#: Quick checks already made in this process (a clip analysed again with other settings, or a
#: re-analysis after corrections), keyed by the file and the runner's landmarks.
_CHECKED: dict[tuple[str, int, int, str], bool] = {}
_CHECKED_MAX = 16

Clips = str | Path | ClipSpec | Sequence[str | Path | ClipSpec]


@dataclass(frozen=True)
class Prepared:
    """What every analysis of a run needs before any pose work: checked once (:func:`prepare`)."""

    config: AnalysisConfig
    rules: RuleSet


def prepare(
    config: AnalysisConfig = AnalysisConfig(), clips: Sequence[ClipSpec] = (), *, video: bool = False
) -> Prepared:
    """Check everything that can fail before the pose model runs: fail fast, parse once.

    The flag rules file is parsed (a typo costs nothing), the pose model is resolved when a clip
    is a video (or ``video`` says videos will come), and options that cannot apply to an input are
    refused.

    Raises
    ------
    GaitError
        A bad rules file, a missing model, an option that cannot apply (one sentence each).
    """
    rules = load_rules(config.rules_path)
    for spec in clips:
        _check_source_options(spec.path, spec.config(config))
    if video or any(not is_track_path(spec.path) and not spec.path.is_dir() for spec in clips):
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


def load_source(
    path: str | Path,
    config: AnalysisConfig = AnalysisConfig(),
    *,
    progress: Progress | None = None,
    overlay: bool = False,
) -> PoseTrack:
    """The raw pose track of a clip (running the model) or of a track file (``.nc``/``.csv``).

    ``overlay``: the overlay video will be drawn in this process, so the pose stage keeps a short
    clip's pictures at the overlay's size (:func:`gait.video.kept_pictures`) instead of the overlay
    decoding the clip again.

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
    return estimate_pose(
        path,
        config.pose,
        slowmo_factor=config.slowmo_factor,
        progress=pose_progress,
        meanwhile=_preload,
        keep_pictures_px=OVERLAY_LONG_SIDE_PX if overlay else None,
    )


#: Modules the stages after pose import on first use (the cleaning's filters, the event detectors'
#: peak finding), imported by :func:`_preload` while the pose model runs.
LATER_IMPORTS = ("scipy.signal", "scipy.interpolate")


def _preload() -> None:
    for name in LATER_IMPORTS:
        importlib.import_module(name)


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


def source_video(track: PoseTrack) -> Path | None:
    """The video a MediaPipe track was made from, when it is still there and unchanged, else None.

    None also for a track whose pixels were turned after decoding (``rotation_applied_deg``): the
    camera's motion would be measured in other pixels than the landmarks'.
    """
    if track.attrs.get("source_format") != "mediapipe" or not track.attrs.get("source_path"):
        return None
    path = Path(str(track.attrs["source_path"]))
    if not path.is_file() or int(track.attrs.get("rotation_applied_deg", 0) or 0):
        return None
    sha = track.attrs.get("source_sha256")
    if sha and file_sha256(path) != sha:
        log.info("'%s' changed since its pose track was made; the camera's motion is not measured", path.name)
        return None
    return path


def camera_motion(track: PoseTrack, *, step: int = CAMERA_CHECK_STEP) -> CameraMotion | None:
    """The camera's motion over the clip when it moved, from the video's background; else None.

    A quick check fits every ``step``-th frame at :data:`CAMERA_CHECK_SIDE_PX`; a camera that it
    finds still (every fit good, the frame centre within 2 % of the long side) costs nothing more
    (and nothing at all the next time the same clip and track are analysed in this process). Otherwise the full estimate
    (:func:`gait.video._egomotion.estimate_camera_motion`) runs over every frame.

    Returns
    -------
    CameraMotion or None
        None for a static camera, a track without its video (:func:`source_video`), or a video
        whose background could not be read (logged).
    """
    path = source_video(track)
    if path is None:
        return None
    factor = float(track.attrs.get("slowmo_factor", 1.0))
    slowmo = None if factor == 1.0 else factor
    stat = path.stat()
    digest = hashlib.sha256(
        track["frame"].values.astype(np.int64).tobytes() + track["position"].values.tobytes()
    ).hexdigest()
    key = (f"{path.resolve()}:{step}", stat.st_mtime_ns, stat.st_size, digest)
    try:
        if key not in _CHECKED:
            quick = estimate_camera_motion(
                path, track, step=step, max_side_px=CAMERA_CHECK_SIDE_PX, slowmo_factor=slowmo
            )
            if len(_CHECKED) >= _CHECKED_MAX:
                _CHECKED.pop(next(iter(_CHECKED)))
            _CHECKED[key] = quick.moved or not bool(quick.ok.all())
        if not _CHECKED[key]:
            return None
        motion = estimate_camera_motion(path, track, slowmo_factor=slowmo)
    except GaitError as err:
        log.warning("The camera's motion could not be measured on '%s': %s", path.name, err)
        return None
    return motion if motion.moved else None


def ground_track(track: PoseTrack, motion: CameraMotion | None) -> PoseTrack:
    """The track to analyse: in the ground frame when the camera moved, else the track itself."""
    if motion is None:
        return track
    try:
        return to_ground_frame(track, motion.arrays())
    except GaitError as err:
        log.warning("The camera's motion does not fit the track (%s); the image pixels are analysed", err)
        return track


def view_stages(track: PoseTrack, config: AnalysisConfig) -> tuple[TrackView, PoseTrack, GaitEvents]:
    """The view (read right after pose), the cleaned track and the events, by the view's methods.

    For a side view of a video whose camera moved, the cleaned track is in the ground frame
    (module docstring; :func:`finish` maps it back for the overlay).
    """
    check_long_enough(track)
    view = clip_view(track, config.clean, given=config.view)
    methods = methods_for(view.view)
    if methods.family == "side" and view.view in ("side_left", "side_right"):
        track = ground_track(track, camera_motion(track))
    cleaned = clean_track(track, config.clean, view=view, repair_labels=methods.repair_labels)
    events = with_slowmo_hint(methods.detect(cleaned, config.events, view), _slowmo_given(track))
    return view, cleaned, _with_speed_change(track, events)


#: Notes of a cadence below the running range: a slow-motion clip without its factor, or a clip
#: whose playback slows down part-way (a phone's slow-motion edit).
LOW_CADENCE_NOTES = ("cadence_too_low", "cadence_suggests_slowmo", "cadence_too_low_for_slowmo")


def _with_speed_change(track: PoseTrack, events: GaitEvents) -> GaitEvents:
    """``events`` with a ``playback_speed_changes`` note first when the clip's playback speed changes.

    Checked only when the cadence is below the running range (otherwise the pose stage checked it
    already, for clips with a slow-motion factor) and the video is at hand: its pictures' rate of
    change over the frames with the runner (:func:`gait.video.speed_segments`). One cadence is never
    averaged over two speeds: the events are then not running, and the note says where to trim.
    """
    if not any(n.code in LOW_CADENCE_NOTES for n in events.quality):
        return events
    path = source_video(track)
    if path is None:
        return events
    factor = float(track.attrs.get("slowmo_factor", 1.0))
    try:
        changes = frame_changes(probe_video(path, slowmo_factor=None if factor == 1.0 else factor))
    except GaitError as err:
        log.info("speed-change check of '%s' skipped: %s", path.name, err)
        return events
    seen = np.isin(changes.index, track["frame"].values[track["detected"].values.astype(bool)])
    message = speed_change_message(speed_segments(changes.media_time_s, changes.change, valid=seen), path.name)
    if message is None:
        return events
    return replace(events, running=False, quality=(QualityNote("playback_speed_changes", message), *events.quality))


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
        flags = evaluate_flags(metrics.metrics, metrics.foot_strike, rules=rules)
        return flags, compare_fatigue(metrics.steps, rules=rules)
    return evaluate_flags({}, {}, rules=rules), compare_fatigue(metrics.steps.iloc[0:0], rules=rules)


def finish(
    track: PoseTrack,
    view: TrackView,
    cleaned: PoseTrack,
    events: GaitEvents,
    config: AnalysisConfig,
    rules: RuleSet,
) -> Analysis:
    """Metrics (by the view's method), flags and the report of one clip.

    A ``cleaned`` track in the ground frame (a moving camera, :func:`view_stages`) adds the
    running speed to the metrics, copies what the camera did (:data:`CAMERA_ATTRS`) onto the
    image-pixel ``track`` for the report's ``camera_moved`` note, and is mapped back into image
    pixels as ``Analysis.cleaned``. Otherwise those attributes are dropped from ``track``, so that
    a saved track whose video is gone does not claim a compensation that was not made.
    """
    metrics = methods_for(view.view).metrics(cleaned, events, config.metrics, config.height_cm)
    if cleaned.attrs.get("camera_motion") == "compensated":
        speed = speed_metrics(cleaned, events.ground_motion, height_cm=config.height_cm)
        metrics = replace(metrics, metrics={**metrics.metrics, **speed})
        track = track.assign_attrs(camera_attrs(cleaned))
        cleaned = from_ground_frame(cleaned)
    elif any(k in track.attrs for k in CAMERA_ATTRS):
        track = track.copy(deep=False)
        track.attrs = {k: v for k, v in track.attrs.items() if k not in CAMERA_ATTRS}
    flags, fatigue = judge(events, metrics, rules)
    report = build_report(
        track=track, cleaned=cleaned, events=events, metrics=metrics, config=config, flags=flags, fatigue=fatigue
    )
    return Analysis(track, cleaned, events, metrics, flags, fatigue, report, view)


def analyze_track(
    track: PoseTrack, config: AnalysisConfig = AnalysisConfig(), *, rules: RuleSet | None = None
) -> Analysis:
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
    overlay: bool = False,
) -> Analysis:
    """Analyse one clip or track file (see :func:`load_source` and :func:`analyze_track`)."""
    track = load_source(path, config, progress=progress, overlay=overlay)
    if progress is not None:
        progress("analysis", 0.0)
    return analyze_track(track, config, rules=rules)


def _share(progress: Progress | None, part: int, parts: int) -> Progress | None:
    """``progress`` for clip ``part`` of ``parts``, so that the stages never go back.

    Its pose and video stages fill their share of the bar; other stages are passed on for the last
    clip only.
    """
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
    overlay: bool = False,
) -> Session:
    """Analyse one run filmed from one or more views: each clip by its own view, then merged.

    Parameters
    ----------
    clips
        A clip or track path, a :class:`gait.config.ClipSpec`, or a sequence of them (a side clip
        and at most a rear and a front clip of the same run; need not be synchronised). Roles come
        from each spec's ``role``, else by position and the detected views
        (:func:`gait.pipeline.assign_views`).
    config
        The analysis settings; each clip's own values (:class:`ClipSpec`) take precedence. With
        two clips, ``config.view`` forces the view of the clip whose role it names
        (:func:`gait.pipeline.role_configs`).
    prepared
        The result of :func:`prepare` when the caller checked already (rules are parsed once).
    overlay
        The overlay videos will be drawn in this process (:func:`load_source`).

    Raises
    ------
    GaitError
        A user-level problem with any clip (one sentence), or more than two clips.
    """
    specs = as_specs(clips)
    if not 1 <= len(specs) <= len(ROLES):
        raise ConfigError(
            f"A session takes one to {len(ROLES)} clips (a side clip and a rear and a front clip of one run), "
            f"got {len(specs)}."
        )
    prepared = prepared or prepare(config, specs)
    given = [spec.role for spec in specs]
    expected = [r or ("side" if i == 0 else ROLES[i]) for i, r in enumerate(given)]
    bases = role_configs(config, expected) if len(specs) > 1 else (config,)
    analyses = [
        analyze_clip(
            spec.path,
            spec.config(base),
            rules=prepared.rules,
            progress=_share(progress, i, len(specs)),
            overlay=overlay,
        )
        for i, (spec, base) in enumerate(zip(specs, bases, strict=True))
    ]
    if len(analyses) == 1:
        return single_session(analyses[0])
    names = tuple(spec.path.name for spec in specs)
    # the session's provenance records the options as the user gave them (the first clip's values)
    user = replace(specs[0].config(config), view=config.view)
    return merge_views(analyses, user, rules=prepared.rules, names=names, roles=given if any(given) else None)


__all__ = [
    "CAMERA_CHECK_STEP",
    "MIN_ANALYSIS_S",
    "Prepared",
    "Progress",
    "analyze",
    "analyze_clip",
    "analyze_track",
    "as_specs",
    "camera_motion",
    "check_long_enough",
    "ground_track",
    "load_source",
    "prepare",
    "source_video",
]
