"""``gait batch``: the Typer command function, registered by ``gait/cli.py``.

Register with ``app.command("batch")(_friendly(batch_command))``: user errors are raised as
:class:`~gait.errors.GaitError` subclasses for the CLI's wrapper to print as one line.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from gait.batch._run import BatchEvent


class EngineName(StrEnum):
    """The engine that runs the clips: local processes or Ray tasks."""

    local = "local"
    ray = "ray"


class InputKind(StrEnum):
    """Which files of the input folder are analysed: videos, pose tracks or both."""

    videos = "videos"
    tracks = "tracks"
    both = "both"


class _Progress:
    """tqdm bar with ETA over the clips to run (stderr; hidden when stderr is not a terminal)."""

    def __init__(self, engine: str, workers: int | None) -> None:
        self.engine = engine
        self.workers = workers
        self.bar: Any = None

    def __call__(self, event: BatchEvent) -> None:
        from tqdm import tqdm

        if event.kind == "planned":
            known = f", {event.failed} failed before (not retried)" if event.failed else ""
            where = f"{self.engine} engine" + (f", {self.workers} workers" if self.workers else "")
            print(
                f"gait batch: {event.to_run} clips to analyse, {event.skipped} already done{known} ({where})",
                file=sys.stderr,
            )
            for note in event.notes:
                print(f"gait batch: note: {note}", file=sys.stderr)
            self.bar = tqdm(
                total=event.to_run,
                desc="batch",
                unit="clip",
                file=sys.stderr,
                disable=None,
                dynamic_ncols=True,
                smoothing=0.1,
            )
            return
        if self.bar is None:
            return
        if not event.ok:
            self.bar.write(f"failed: {event.path}: {event.reason}", file=sys.stderr)
        self.bar.set_postfix(failed=event.failed, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def batch_command(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="Folder of clips (searched recursively) or manifest CSV (column 'path'; optional "
            "rear (a rear-view clip of the same run: two-view session), subject, session, view, "
            "height_cm, treadmill_speed_mps, slowmo_factor).",
        ),
    ],
    out_dir: Annotated[
        Path, typer.Option("-o", "--output", help="Output folder (created; reused to resume).")
    ],
    engine: Annotated[
        EngineName, typer.Option(help="local: a process per core; ray: Ray tasks.")
    ] = EngineName.local,
    address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster address (e.g. 'auto', 'ray://head:10001'); default: a local Ray runtime."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Clips analysed at once (default: the cores).")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume",
            help="Skip clips already analysed with the same content and settings.",
        ),
    ] = True,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="Also retry clips that failed before for a reason of their own."
        ),
    ] = False,
    inputs: Annotated[
        InputKind,
        typer.Option(help="What a folder scan picks up: videos, tracks (.nc pose tracks) or both."),
    ] = InputKind.videos,
    video: Annotated[
        bool,
        typer.Option(
            "--video/--no-video",
            help="Write overlay.mp4 per clip when the video is available (about doubles the time).",
        ),
    ] = True,
    model: Annotated[
        str, typer.Option(help="Pose model: full, heavy, or a path to a .task file.")
    ] = "full",
    view: Annotated[
        str | None,
        typer.Option(
            help="Force the view of every clip: side_left, side_right, rear or front (manifest wins)."
        ),
    ] = None,
    height_cm: Annotated[
        float | None,
        typer.Option(help="Runner height in cm (50-250) for every clip (manifest wins)."),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(help="TOML file overriding flag thresholds (see gait/flags/rules.toml)."),
    ] = None,
    slowmo_factor: Annotated[
        float | None,
        typer.Option(
            help="Capture fps / playback fps (1-64) for every video clip (manifest wins; not used for "
            "pose tracks, whose times are already real-world seconds)."
        ),
    ] = None,
    timeout_s: Annotated[
        float | None,
        typer.Option(
            "--timeout-s",
            help="Seconds a clip may take; a clip that takes longer is stopped and recorded as "
            "failed (default: no limit).",
        ),
    ] = None,
    export: Annotated[
        str | None,
        typer.Option(
            help="Also write researchers' formats into each clip's folder, comma-separated: "
            "c3d, trc, mot, cycles, nwb, bids."
        ),
    ] = None,
    bids: Annotated[
        Path | None,
        typer.Option(
            "--bids",
            metavar="DIR",
            help="After the batch, write one BIDS-motion dataset of every done clip into DIR "
            "(subject and session from the manifest; folder input: the parent folder name or 01).",
        ),
    ] = None,
) -> None:
    """Analyse every clip of a folder or manifest: per-clip folders plus clips/steps/metrics tables."""
    import dataclasses

    from gait.batch._job import PipelineJob
    from gait.config import AnalysisConfig, check_option
    from gait.pipeline import check_export_formats

    slowmo_factor = check_option("slowmo_factor", slowmo_factor, label="--slowmo-factor")
    height_cm = check_option("height_cm", height_cm, label="--height-cm")
    base = AnalysisConfig()
    config = dataclasses.replace(
        base,
        pose=dataclasses.replace(base.pose, model=model),
        height_cm=height_cm,
        slowmo_factor=slowmo_factor,
        rules_path=None if rules is None else str(rules),
        view=view,
    )
    progress = _Progress(engine.value, workers)
    try:
        from gait.batch._run import run_batch  # the analysis stack loads only when a batch runs

        summary = run_batch(
            input_path,
            out_dir,
            config,
            engine=engine.value,
            workers=workers,
            address=address,
            resume=resume,
            retry_failed=retry_failed,
            inputs=inputs.value,
            job=PipelineJob(video=video, exports=check_export_formats((export or "").split(","))),
            progress=progress,
            timeout_s=timeout_s,
            bids_dir=bids,
        )
    except KeyboardInterrupt:
        progress.close()
        print(
            f"gait batch: results so far are saved in '{out_dir}'; run the same command again to continue.",
            file=sys.stderr,
        )
        raise
    finally:
        progress.close()
    typer.echo(summary.line())
    if summary.bids is not None:
        for problem in summary.bids.problems:
            print(f"gait batch: BIDS: not written: {problem}", file=sys.stderr)
        typer.echo(summary.bids.line())
