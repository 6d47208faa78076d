"""Command line: ``gait pose``, ``gait info`` (and the analysis commands as they land).

User errors end with one line on stderr, ``gait: error: <what is wrong and what to do>``, and exit
code 1; no traceback. That holds for command lines the parser rejects too (an unknown option, a
missing argument, a value that is not a number): :func:`main` prints click's usage errors as one
line. Options are checked, against :data:`gait.config.BOUNDS`, before any work is done, and so are
the output paths. ``--debug`` (before the command) shows tracebacks for bug reports.
"""

from __future__ import annotations

import functools
import logging
import platform
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from gait import __version__
from gait.errors import GaitError

if TYPE_CHECKING:
    from tqdm import tqdm

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_INTERNAL_ERROR = 3

app = typer.Typer(
    name="gait",
    help="Running-form analysis from ordinary video.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (for bug reports).")] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


F = TypeVar("F", bound=Callable[..., Any])


def _friendly(command: F) -> F:
    """Turn errors inside a command into one line on stderr and an exit code (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GaitError as err:
            if _state["debug"]:
                raise
            print(f"gait: error: {err}", file=sys.stderr)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except KeyboardInterrupt:
            print("gait: interrupted", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as err:  # a bug, not a user error: still one line unless --debug
            if _state["debug"]:
                raise
            print(
                f"gait: internal error: {type(err).__name__}: {err} (run 'gait --debug ...' and report this)",
                file=sys.stderr,
            )
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None

    return wrapper  # type: ignore[return-value]


@app.command()
@_friendly
def pose(
    clip: Annotated[Path, typer.Argument(help="Video clip (mp4, mov, avi, mkv, webm).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Track file to write: .nc (NetCDF) or .csv.")],
    model: Annotated[str, typer.Option(help="Pose model: full, heavy, or a path to a .task file.")] = "full",
    slowmo_factor: Annotated[
        float | None,
        typer.Option(help="Capture fps / playback fps of a slow-motion clip (e.g. 8 for 240 fps played at 30)."),
    ] = None,
    num_poses: Annotated[int, typer.Option(min=1, max=5, help="People tracked per frame (1 is fastest).")] = 1,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes for the clip (default: 2 on long clips).")
    ] = None,
    clean: Annotated[
        bool, typer.Option(help="Also clean the track (mask, fill gaps, low-pass, fix leg swaps).")
    ] = False,
    backend: Annotated[
        str, typer.Option(help="Pose backend: mediapipe (reference) or litert (same models, faster).")
    ] = "mediapipe",
    rotate: Annotated[
        str,
        typer.Option(
            help="Clockwise turn for a clip whose picture is turned without metadata: auto, 0, 90, 180 or 270."
        ),
    ] = "auto",
) -> None:
    """Find the runner's 33 pose landmarks in every frame and save the pose track."""
    from gait.config import check_option, check_output_file
    from gait.pipeline import pose_clip

    slowmo_factor = check_option("slowmo_factor", slowmo_factor, label="--slowmo-factor")
    _check_track_suffix(output)
    check_output_file(output)
    pose_options = {
        "model": model,
        "num_poses": num_poses,
        "workers": workers,
        "rotate_deg": rotate,  # PoseParams reads the text: "auto" -> None, "90" -> 90
        "backend": backend,
    }
    progress = _StageProgress()
    try:
        track = pose_clip(
            clip, output, slowmo_factor=slowmo_factor, clean=clean, progress=progress, **pose_options
        )
    finally:
        progress.close()
    n = track.sizes["time"]
    found = int(track["detected"].sum())
    typer.echo(
        f"{output}: {n} frames, runner found in {found}, {track.attrs['fps']:.2f} fps, "
        f"{float(track['time'][-1]):.2f} s, model {track.attrs['model_name']}"
    )


class _StageProgress:
    """``progress(stage, fraction)`` callback: one tqdm bar per pipeline stage, in percent."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: tqdm | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        from tqdm import tqdm

        if stage != self.stage or self.bar is None:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=100, desc=stage, unit="%", disable=None, leave=False,
                            bar_format="{desc:>8}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")
        self.bar.update(round(100 * fraction) - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@app.command()
@_friendly
def analyze(
    source: Annotated[Path, typer.Argument(help="Video clip, or a pose track (.nc/.csv) from 'gait pose'.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for report.json, report.html, steps.csv, overlay.mp4.")
    ],
    rear: Annotated[
        Path | None,
        typer.Argument(help="Optional second clip filmed from behind (two-view session; need not be synchronised)."),
    ] = None,
    front: Annotated[
        Path | None,
        typer.Option(help="Optional clip of the same run filmed from the front (alone or beside the rear clip)."),
    ] = None,
    height_cm: Annotated[
        float | None, typer.Option(help="Runner's height (50-250): vertical oscillation in cm.")
    ] = None,
    slowmo_factor: Annotated[
        float | None,
        typer.Option(help="Capture fps / playback fps of a slow-motion clip (e.g. 8 for 240 fps played at 30)."),
    ] = None,
    model: Annotated[str, typer.Option(help="Pose model: full, heavy, or a path to a .task file.")] = "full",
    view: Annotated[
        str | None,
        typer.Option(
            help="Force a view: side_left or side_right applies to the side clip, rear or front to the rear clip."
        ),
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="TOML file overriding flag thresholds.")] = None,
    video: Annotated[
        bool, typer.Option("--video/--no-video", help="Write overlay.mp4 (skeleton and events on the clip).")
    ] = True,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes for the pose model (default: 2 on long clips).")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="Pose backend: mediapipe (reference) or litert (same models, faster).")
    ] = "mediapipe",
    rotate: Annotated[
        str,
        typer.Option(
            help="Clockwise turn for a clip whose picture is turned without metadata: auto, 0, 90, 180 or 270."
        ),
    ] = "auto",
    export: Annotated[
        str | None,
        typer.Option(help="Also write researchers' formats, comma-separated: c3d, trc, mot, cycles, nwb, bids."),
    ] = None,
    fps: Annotated[
        float | None,
        typer.Option(
            help="Frame rate of an OpenPose JSON folder (its files carry no times; default: 30, with a note)."
        ),
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(
            help="Corrected gait events, a CSV with columns foot,type,frame: used instead of the detected ones "
            "(track input, one clip)."
        ),
    ] = None,
) -> None:
    """Analyse a running clip: gait events, running metrics, flags and the report."""
    from dataclasses import replace

    from gait.config import AnalysisConfig, ClipSpec, check_option
    from gait.errors import ConfigError
    from gait.pipeline import run_analysis

    slowmo_factor = check_option("slowmo_factor", slowmo_factor, label="--slowmo-factor")
    height_cm = check_option("height_cm", height_cm, label="--height-cm")
    fps = check_option("track_fps", fps, label="--fps")
    base = AnalysisConfig()
    config = replace(
        base,
        pose=replace(
            base.pose,
            model=model,
            workers=workers,
            rotate_deg=rotate,  # type: ignore[arg-type]  # PoseParams reads the text: "auto" -> None, "90" -> 90
            backend=backend,
        ),
        view=view,
        rules_path=None if rules is None else str(rules),
    )
    clips = [
        ClipSpec(path, slowmo_factor=slowmo_factor, height_cm=height_cm, track_fps=fps, role=role)
        for path, role in ((source, None), (rear, None), (front, "front"))
        if path is not None
    ]
    if events is not None:
        if len(clips) > 1:
            raise ConfigError(
                "--events applies to one clip; leave out the other views (correct each view's events separately)."
            )
        _analyze_with_events(source, events, output, clips[0].config(config), video=video, export=export)
        return
    progress = _StageProgress()
    try:
        exports = tuple((export or "").split(","))
        session, paths = run_analysis(clips, output, config, progress=progress, video=video, exports=exports)
    finally:
        progress.close()
    report = session.report
    cadence = report.metric_value("cadence_spm")
    flags = ", ".join(f.code for f in report.flags) or "none"
    typer.echo(
        f"{output}: view {report.view}, {len(report.events)} events, "
        + (f"cadence {cadence:.1f} steps/min, " if cadence is not None else "no running cadence, ")
        + f"flags: {flags}"
    )
    for note in report.quality:
        typer.echo(f"  note: {note.message}")
    typer.echo("  wrote " + ", ".join(p.name for p in paths.values()))


def _analyze_with_events(
    source: Path, events: Path, output: Path, config: Any, *, video: bool, export: str | None
) -> None:
    """``gait analyze TRACK.nc --events EVENTS.csv``: recompute from a stored track with corrected events."""
    from gait.config import check_output_dir
    from gait.errors import ConfigError
    from gait.pipeline import is_track_path, load_stored_track, read_events_csv, reanalyze_with_events, write_outputs

    if not is_track_path(source):
        raise ConfigError(
            f"--events needs the pose track of the clip ('{source.name}' is not .nc/.csv): make it with 'gait pose', "
            "or use the track.nc an analysis wrote."
        )
    if export:
        raise ConfigError("--export cannot be combined with --events yet; run the export without --events.")
    check_output_dir(output)
    table = read_events_csv(events)
    analysis = reanalyze_with_events(load_stored_track(source), table, config)
    paths = write_outputs(analysis, output, video=video)
    report = analysis.report
    cadence = report.metric_value("cadence_spm")
    fixed = report.provenance.event_corrections
    n_by_hand, n_removed = (len(fixed.by_hand), len(fixed.removed)) if fixed is not None else (0, 0)
    typer.echo(
        f"{output}: view {report.view}, {len(report.events)} events ({n_by_hand} placed by hand, "
        f"{n_removed} removed), "
        + (f"cadence {cadence:.1f} steps/min" if cadence is not None else "no running cadence")
    )
    typer.echo("  wrote " + ", ".join(p.name for p in paths.values()))


def _default_mocap_dir() -> Path:
    import os

    env = os.environ.get("GAIT_MOCAP_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data" / "mocap"


@app.command()
@_friendly
def validate(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Fukuchi 2017 running data (RBDS*/ and events/); default $GAIT_MOCAP_DIR or ../shared/data/mocap."
        ),
    ] = None,
    fps: Annotated[list[int] | None, typer.Option(help="Virtual camera frame rates (repeat the option).")] = None,
    seeds: Annotated[int, typer.Option(min=1, max=20, help="Noise realisations per trial and frame rate.")] = 3,
    cross_validate: Annotated[
        bool,
        typer.Option(
            "--cross-validate",
            help="Hold out each subject in turn: fit the tuned constants on the others, score the held-out one.",
        ),
    ] = False,
    severity: Annotated[
        list[int] | None,
        typer.Option(
            min=0,
            max=3,
            help="Robustness table: MediaPipe-like pose errors of this severity (0 = today's noise, 1 = sample clip, "
            "2 = failing clip, 3 = worse; repeat the option), on --clips random short clips per severity and "
            "frame rate.",
        ),
    ] = None,
    clips: Annotated[
        int, typer.Option(min=1, help="Virtual clips per severity and frame rate (with --severity).")
    ] = 50,
    clip_duration_s: Annotated[
        float,
        typer.Option("--clip-duration-s", min=2.0, help="Length of each virtual clip in seconds (with --severity)."),
    ] = 8.0,
) -> None:
    """Score the event detector and metrics against force-plate ground truth.

    The truth is motion capture seen by a virtual camera.
    """
    from gait.errors import GaitError as _GaitError
    from gait.validate import format_validation_table, run_event_validation

    folder = data_dir or _default_mocap_dir()
    if not (folder / "events").is_dir():
        raise _GaitError(
            f"No motion-capture data at '{folder}'; pass --data-dir with the RBDS trials and their events/ folder."
        )
    fps_list, seed_list = tuple(fps or (30, 60, 120, 240)), tuple(range(seeds))
    if severity:
        if cross_validate:
            raise _GaitError("Pass either --severity or --cross-validate, not both.")
        from gait.validate import format_robust_table, run_robust_validation

        table = run_robust_validation(
            folder,
            severities=tuple(dict.fromkeys(severity)),
            fps_list=fps_list,
            clips_per_cell=clips,
            duration_s=clip_duration_s,
        )
        typer.echo(format_robust_table(table))
        return
    if cross_validate:
        from gait.validate.crossval import cross_validate as _cross_validate
        from gait.validate.crossval import format_crossval_table

        typer.echo(format_crossval_table(_cross_validate(folder, fps_list=fps_list, seeds=seed_list)))
        return
    typer.echo(format_validation_table(run_event_validation(folder, fps_list=fps_list, seeds=seed_list)))


def _check_track_suffix(path: Path) -> None:
    if path.suffix.lower() not in (".nc", ".csv"):
        raise GaitError(f"Cannot write a track to '{path}': use a .nc or .csv file name.")


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@app.command()
@_friendly
def info() -> None:
    """Print versions, platform and pose-model files (paste this into bug reports)."""
    from gait.pipeline import model_status

    typer.echo(f"gait {__version__}")
    typer.echo(f"python {platform.python_version()} on {platform.platform()}")
    for dist in ("mediapipe", "opencv-contrib-python", "av", "numpy", "scipy", "pandas", "xarray", "h5netcdf"):
        typer.echo(f"{dist} {_dist_version(dist)}")
    folder, models = model_status()
    typer.echo(f"models folder: {folder}")
    for name, filename, status in models:
        typer.echo(f"model {name} ({filename}): {status}")


def _register_optional_commands() -> None:
    """Commands whose modules live with their stage (imports stay light: nothing heavy at start-up)."""
    from gait.batch.cli import batch_command
    from gait.web.cli import serve_command

    app.command("batch", help="Analyse a folder or a manifest of clips; resumable; tidy tables out.")(
        _friendly(batch_command)
    )
    app.command("serve", help="Web app for clinicians: upload a clip, read the report.")(_friendly(serve_command))


_register_optional_commands()


def _usage_line(err: Any) -> str:
    """A click usage error as one sentence: what is wrong, and where the usage is explained."""
    message = " ".join(err.format_message().split()).rstrip(".")
    command = err.ctx.command_path if getattr(err, "ctx", None) is not None else "gait"
    return f"gait: error: {message}; see '{command} --help'."


def _click_errors(name: str) -> tuple[type[BaseException], ...]:
    """Click's exception class ``name``, from the click that typer runs on (typer >= 0.22 vendors one)."""
    import click.exceptions

    found = [getattr(click.exceptions, name)]
    try:
        from typer._click import exceptions as vendored
    except ImportError:  # older typer: plain click
        pass
    else:
        found.append(getattr(vendored, name, None) or getattr(typer, name))
    return tuple(found)


def main(args: list[str] | None = None) -> None:
    """Console entry point: like ``app()``, but usage errors are one line and exit code 1."""
    try:
        code = app(args=args, prog_name="gait", standalone_mode=False)
    except _click_errors("NoArgsIsHelpError") as err:  # 'gait' alone: the help, as click shows it
        err.show()  # type: ignore[attr-defined]
        sys.exit(err.exit_code)  # type: ignore[attr-defined]
    except _click_errors("UsageError") as err:
        print(_usage_line(err), file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except _click_errors("ClickException") as err:
        print(f"gait: error: {' '.join(err.format_message().split())}", file=sys.stderr)  # type: ignore[attr-defined]
        sys.exit(EXIT_USER_ERROR)
    except _click_errors("Abort"):
        print("gait: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
