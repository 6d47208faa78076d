"""``gait batch`` as the CLI registers it: ``app.command("batch")(_friendly(batch_command))``."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import gait.batch._job
import gait.batch._run  # noqa: F401  (loaded before the tests patch PipelineJob, as in a real run)
from gait.batch.cli import batch_command
from gait.cli import _friendly
from tests.batch._jobs import fake_pipeline_job


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        pass

    app.command("batch")(_friendly(batch_command))
    return app


def test_help_lists_the_options(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["batch", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in (
        "INPUT",
        "--output",
        "--engine",
        "--address",
        "--workers",
        "--resume",
        "--no-resume",
        "--retry-failed",
        "--inputs",
        "--no-video",
        "--model",
        "--view",
        "--height-cm",
        "--rules",
        "--slowmo-factor",
        "--timeout-s",
    ):
        assert option in result.output, option


def test_run_prints_a_plan_and_a_summary_and_resumes(
    app: typer.Typer, fake_clips: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gait.batch._job, "PipelineJob", fake_pipeline_job)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(fake_clips), "-o", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert (
        "gait batch: 5 clips to analyse, 0 already done (local engine, 2 workers)" in result.stderr
    )
    assert "failed: b/nobody.mp4: No person was found in 'nobody.mp4'." in result.stderr
    assert result.stdout.startswith(
        "batch of 5 clips: 3 done, 0 skipped (already done), 2 failed (see "
    )
    assert (out / "clips.csv").exists() and (out / "steps.parquet").exists()

    again = CliRunner().invoke(app, ["batch", str(fake_clips), "-o", str(out)])
    assert "0 clips to analyse, 3 already done, 2 failed before (not retried)" in again.stderr
    assert again.stdout.startswith("batch of 5 clips: 0 done, 3 skipped (already done), 2 failed")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nowhere"],
            "gait: error: 'nowhere' does not exist; give a folder of clips or a manifest CSV.",
        ),
        (["{clips}/../bad.csv"], "gait: error: bad.csv line 2: height_cm 'tall' is not a number."),
        (["{clips}", "--rules", "{clips}/missing.toml"], "gait: error: Rules file"),
        (["{clips}", "--view", "diagonal"], "gait: error: Unknown view 'diagonal'; use one of"),
        (
            ["{clips}", "--timeout-s", "0"],
            "gait: error: Expected a per-clip time limit > 0 s, got 0.0; give a positive number",
        ),
        (
            ["{clips}", "--slowmo-factor", "0"],
            "gait: error: --slowmo-factor 0 is outside the range from 1 to 64 (capture fps",
        ),
        (
            ["{clips}", "--slowmo-factor", "nan"],
            "gait: error: --slowmo-factor nan is not a finite number",
        ),
        (
            ["{clips}", "--height-cm", "10"],
            "gait: error: --height-cm 10 is outside the range from 50 to 250",
        ),
        (
            ["{clips}/../dup.csv"],
            "gait: error: 'a.mp4' and 'a.mp4' would share clip_id 'a-",
        ),
    ],
)
def test_user_errors_are_one_line(
    app: typer.Typer,
    fake_clips: Path,
    tmp_path: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gait.batch._job, "PipelineJob", fake_pipeline_job)
    (fake_clips.parent / "bad.csv").write_text("path,height_cm\na.mp4,tall\n")
    (fake_clips.parent / "a.mp4").write_text("{}")
    (fake_clips.parent / "dup.csv").write_text("path,shoe\na.mp4,A\na.mp4,B\n")
    args = [a.format(clips=fake_clips) for a in args]
    result = CliRunner().invoke(app, ["batch", *args, "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_output_folder_that_is_a_file_is_one_line(
    app: typer.Typer, fake_clips: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gait.batch._job, "PipelineJob", fake_pipeline_job)
    (tmp_path / "taken").write_text("a file")
    result = CliRunner().invoke(app, ["batch", str(fake_clips), "-o", str(tmp_path / "taken")])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"gait: error: Output folder '{tmp_path / 'taken'}' is an existing file"
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_duplicate_rows_are_noted_on_stderr(
    app: typer.Typer, fake_clips: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gait.batch._job, "PipelineJob", fake_pipeline_job)
    m = fake_clips / "m.csv"
    m.write_text("path\na/run1.mp4\na/run1.mp4\n")
    result = CliRunner().invoke(app, ["batch", str(m), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (
        "gait batch: note: 'a/run1.mp4' is listed more than once with the same settings; "
        "it is analysed and shown once"
    ) in result.stderr
    assert result.stdout.startswith("batch of 1 clips: 1 done")
