"""Writing an analysis's files: one function for any number of views."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gait.config import AnalysisConfig, check_output_dir
from gait.export import check_formats, write_exports
from gait.pipeline._analyze import Clips, Prepared, Progress, _share, analyze, as_specs, prepare
from gait.pipeline._types import Analysis, Session
from gait.report import GaitReport, write_html, write_steps_csv
from gait.report.overlay import write_overlay
from gait.track import save_track


def _clip_path(analysis: Analysis) -> Path | None:
    """The analysed video, when the track came from one that is still there."""
    src = analysis.track.attrs.get("source_path")
    if analysis.track.attrs.get("source_format") != "mediapipe" or not src:
        return None
    return Path(src) if Path(src).is_file() else None


def _headline(analysis: Analysis) -> dict[str, str]:
    """The few running metrics printed on the overlay video."""
    lines = {"view": str(analysis.events.view)}
    for key, label, fmt in (
        ("cadence_spm", "cadence", "{:.0f} steps/min"),
        ("contact_time_s", "contact", "{:.3f} s"),
        ("overstride_leg_lengths", "overstride", "{:.2f} leg lengths"),
    ):
        value = analysis.metrics.value(key)
        if value is not None:
            lines[label] = fmt.format(value)
    return lines


def _suffix(index: int, role: str) -> str:
    """File-name suffix of a session's clip: none for the first, ``_<role>`` for the others."""
    return "" if index == 0 else f"_{role}"


def write_outputs(
    result: Analysis | Session, out_dir: str | Path, *, video: bool = True, progress: Progress | None = None
) -> dict[str, Path]:
    """Write ``report.json``, ``steps.csv``, ``report.html``, the raw tracks and the overlays.

    One clip: ``track.nc`` and ``overlay.mp4``. A session of several views: the first clip's as
    above and each further clip's with its role as suffix (``track_rear.nc``, ``overlay_rear.mp4``);
    ``steps.csv`` holds every view's steps (``view`` column), ``report.html`` lists the merged
    metrics and flags, draws the rear clip's (else the front clip's) pelvis and hip curves and the
    other plots and the step table from the first clip. Overlays are drawn only for clips that are available (not for
    track-file input) and when ``video`` is true. Every file is written under a temporary name and
    renamed when complete.
    """
    session: Session | None
    analyses: Sequence[Analysis]
    roles: Sequence[str]
    if isinstance(result, Session):
        session, analyses, roles = result, result.analyses, result.roles
    else:
        session, analyses, roles = None, (result,), ("",)
    report = result.report
    primary = analyses[0]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        (f"overlay{_suffix(i, role)}", clip, analysis, _share(progress, i, len(analyses)))
        for i, (role, analysis) in enumerate(zip(roles, analyses, strict=True))
        if video and (clip := _clip_path(analysis)) is not None
    ]
    # The overlays (decode, draw, H.264: the longest part) encode in a thread while this one writes the
    # report files; FFmpeg and OpenCV release the GIL. Progress is passed on from this thread only.
    overlays = _Overlays(jobs, out)
    overlays.start()
    try:
        paths = _write_report_files(result, session, analyses, roles, report, primary, out)
    except BaseException:
        overlays.stop()  # no video keeps being written after the error is reported
        raise
    return paths | overlays.wait()


class _OverlaysStopped(Exception):
    """Raised inside the overlay thread when its caller asks it to stop."""


class _Overlays(threading.Thread):
    """Draws each job's ``overlay*.mp4`` in turn; :meth:`wait` joins it, reporting its progress."""

    def __init__(self, jobs: Sequence[tuple[str, Path, Analysis, Progress | None]], out: Path) -> None:
        super().__init__(name="gait-overlay", daemon=True)
        self.jobs, self.out = jobs, out
        self.done: dict[str, Path] = {}
        self.error: BaseException | None = None
        self.latest: tuple[Progress, float] | None = None
        self._stop_asked = threading.Event()

    def run(self) -> None:
        try:
            for key, clip, analysis, share in self.jobs:

                def frames(done: int, total: int, share: Progress | None = share) -> None:
                    if self._stop_asked.is_set():
                        raise _OverlaysStopped
                    if share is not None:
                        self.latest = (share, done / max(total, 1))

                self.done[key] = write_overlay(
                    clip,
                    analysis.cleaned,
                    analysis.events.table,
                    self.out / f"{key}.mp4",
                    headline=_headline(analysis),
                    slowmo_factor=analysis.slowmo_factor,
                    progress=frames,
                )
        except _OverlaysStopped:
            pass
        except BaseException as err:  # re-raised in the caller's thread by wait()
            self.error = err

    def stop(self) -> None:
        """Stop at the next frame and wait until the thread has ended (the video stays a ``.part`` file)."""
        self._stop_asked.set()
        self.join()

    def wait(self) -> dict[str, Path]:
        """The overlays written, once all are; their progress goes to the caller's callback meanwhile."""
        try:
            while self.is_alive():
                self.join(0.25)
                self._report()
            self._report()
        except BaseException:  # the caller's progress callback gave up (e.g. the web run lost its lease)
            self.stop()
            raise
        if self.error is not None:
            raise self.error
        return self.done

    def _report(self) -> None:
        latest, self.latest = self.latest, None
        if latest is not None:
            share, fraction = latest
            share("video", fraction)


def _write_report_files(
    result: Analysis | Session,
    session: Session | None,
    analyses: Sequence[Analysis],
    roles: Sequence[str],
    report: GaitReport,
    primary: Analysis,
    out: Path,
) -> dict[str, Path]:
    """``report.json``, ``steps.csv``, the raw tracks and ``report.html`` of :func:`write_outputs`."""
    paths = {"report": out / "report.json", "steps": out / "steps.csv", "html": out / "report.html"}
    tmp = paths["report"].with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n")
    tmp.replace(paths["report"])
    write_steps_csv(result.metrics.steps, paths["steps"])
    for i, (role, analysis) in enumerate(zip(roles, analyses, strict=True)):
        key = f"track{_suffix(i, role)}"
        paths[key] = out / f"{key}.nc"
        save_track(analysis.track, paths[key])
    rear = (session.rear or session.role("front")) if session and session.multi_view else None
    html_report = report
    rear_plot = None
    if rear is not None:
        rear_plot = (rear.cleaned, [e for e in report.events if e.view == rear.events.view])
        html_report = replace(report, events=tuple(e for e in report.events if e.view == primary.events.view))
    write_html(
        html_report,
        paths["html"],
        track=primary.cleaned,
        steps=primary.metrics.steps,
        clip=_clip_path(primary),
        rear=rear_plot,
    )
    return paths


def write_session_exports(session: Session, out_dir: Path, formats: Sequence[str]) -> dict[str, Path]:
    """Export formats of every clip: the first clip's in ``out_dir``, each other's in ``out_dir/<role>/``."""
    paths: dict[str, Path] = {}
    for i, (role, analysis) in enumerate(zip(session.roles, session.analyses, strict=True)):
        if i == 0:
            paths |= write_exports(analysis, out_dir, formats)
        else:
            paths |= {f"{role}_{k}": v for k, v in write_exports(analysis, out_dir / role, formats).items()}
    return paths


def run_analysis(
    clips: Clips,
    out_dir: str | Path,
    config: AnalysisConfig = AnalysisConfig(),
    *,
    progress: Progress | None = None,
    video: bool = True,
    exports: Sequence[str] = (),
) -> tuple[Session, dict[str, Path]]:
    """Analyse one run (one clip or a side and a rear clip) and write the outputs to ``out_dir``.

    ``clips``: as :func:`gait.pipeline.analyze`. ``exports``: formats of
    :func:`gait.export.write_exports` (``c3d``, ``trc``, ``mot``, ``cycles``, ``nwb``, ``bids``)
    written beside the report; in a two-view session the rear clip's go to ``out_dir/rear/``.

    Raises
    ------
    GaitError
        Any user-level problem (bad file, no runner, clip too short), with a one-sentence message;
        an output folder that cannot be written, export formats that do not exist, a bad rules
        file or options that cannot apply to the input (:class:`~gait.errors.ConfigError`), before
        any work is done.
    """
    check_output_dir(out_dir)
    formats = check_formats(exports)
    specs = as_specs(clips)
    prepared: Prepared = prepare(config, specs)
    session = analyze(specs, config, progress=progress, prepared=prepared, overlay=video)
    if progress is not None:
        progress("writing", 0.0)
    paths = write_outputs(session, out_dir, video=video, progress=progress)
    if formats:
        paths |= write_session_exports(session, Path(out_dir), formats)
    return session, paths


__all__ = ["run_analysis", "write_outputs", "write_session_exports"]
