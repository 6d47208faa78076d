"""The command line as a user runs it: exit codes, one-line errors, files written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gait.track import load_track
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK, shared_clip


def run_gait(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gait.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], match: str) -> None:
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gait: error: ")
    assert match in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.model
def test_pose_writes_a_csv_track(tmp_path: Path) -> None:
    out = tmp_path / "track.csv"
    result = run_gait("pose", str(SAMPLE_CLIP), "-o", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "runner found in 360" in result.stdout
    header = out.read_text().splitlines()
    columns = next(line for line in header if not line.startswith("#")).split(",")
    assert columns[:5] == ["frame", "time_s", "nose_x", "nose_y", "nose_visibility"]
    assert columns[-3:] == ["right_foot_index_x", "right_foot_index_y", "right_foot_index_visibility"]
    track = load_track(out)
    cached = load_track(SAMPLE_TRACK)
    np.testing.assert_allclose(track["position"].values, cached["position"].values, atol=0.01)


@pytest.mark.model
def test_no_person_clip_exits_non_zero_with_one_line() -> None:
    result = run_gait("pose", str(shared_clip("iphone4s_portrait_rot90_wall_noperson.mov")), "-o", "/tmp/unused.nc")
    assert_one_line_error(result, "No person was found")


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", "empty"), (b"hello, this is text\n" * 20, "not a readable video")],
)
def test_bad_files_exit_non_zero_with_one_line(tmp_path: Path, content: bytes, match: str) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    assert_one_line_error(run_gait("pose", str(bad), "-o", str(tmp_path / "t.nc")), match)


def test_missing_clip(tmp_path: Path) -> None:
    assert_one_line_error(run_gait("pose", str(tmp_path / "nope.mov"), "-o", str(tmp_path / "t.nc")), "does not exist")


def test_unknown_track_suffix() -> None:
    assert_one_line_error(run_gait("pose", str(SAMPLE_CLIP), "-o", "/tmp/track.txt"), "use a .nc or .csv")


def test_missing_model_is_reported(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gait.cli", "pose", str(SAMPLE_CLIP), "-o", str(tmp_path / "t.nc")],
        capture_output=True,
        text=True,
        env={"GAIT_MODELS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert_one_line_error(result, "Pose model 'full' is missing")


def test_info_lists_versions_and_verified_model() -> None:
    result = run_gait("info")
    assert result.returncode == 0
    assert "mediapipe 1.2." in result.stdout
    assert "model full (pose_landmarker_full.task): ok sha256=faec63c4" in result.stdout


@pytest.mark.model
def test_analyze_a_clip_writes_the_report_files(tmp_path: Path) -> None:
    import json

    out = tmp_path / "analysis"
    result = run_gait("analyze", str(SAMPLE_CLIP), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "view side_left" in result.stdout and "cadence 168" in result.stdout
    for name in ("report.json", "report.html", "steps.csv", "track.nc", "overlay.mp4"):
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "report.json").read_text())
    assert abs(report["metrics"]["cadence_spm"]["value"] - 168.75) < 1.0
    assert report["foot_strike"]["L"]["pattern"] == "rearfoot"
    assert "Traceback" not in result.stderr


def test_analyze_a_track_file_without_video(tmp_path: Path) -> None:
    result = run_gait("analyze", str(SAMPLE_TRACK), "-o", str(tmp_path / "a"), "--no-video")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "a" / "overlay.mp4").exists()
    assert (tmp_path / "a" / "report.json").exists()


def test_analyze_a_too_short_clip(tmp_path: Path) -> None:
    from gait.track import save_track

    short = tmp_path / "short.nc"
    save_track(load_track(SAMPLE_TRACK).isel(time=slice(0, 20)), short)
    assert_one_line_error(run_gait("analyze", str(short), "-o", str(tmp_path / "a")), "record at least")


def test_validate_prints_the_table() -> None:
    from tests.conftest import SHARED

    if not (SHARED / "data" / "mocap" / "events").is_dir():
        pytest.skip("shared mocap data not available")
    result = run_gait("validate", "--fps", "60", "--seeds", "1")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("| 60 "))
    ic_bias_ms = float(row.split("|")[2])
    assert abs(ic_bias_ms) < 10


def test_validate_cross_validate_holds_out_each_subject() -> None:
    from tests.conftest import SHARED

    if not (SHARED / "data" / "mocap" / "events").is_dir():
        pytest.skip("shared mocap data not available")
    result = run_gait("validate", "--cross-validate", "--fps", "60", "--seeds", "1")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| RBDS") or line.startswith("| pooled")]
    assert [r.split("|")[1].strip() for r in rows] == ["RBDS001", "RBDS0041", "pooled"]
    delay_ms = float(rows[0].split("|")[3])  # contact after the foot's furthest-forward point
    assert 15 <= delay_ms <= 45


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("analyze",), "Missing argument 'source'; see 'gait analyze --help'."),
        (("analyze", str(SAMPLE_TRACK), "-o", "/tmp/unused", "--height-cm", "tall"), "Invalid value for '--height-cm'"),
        (("pose", str(SAMPLE_CLIP), "-o", "/tmp/unused.nc", "--num-poses", "9"), "Invalid value for '--num-poses'"),
        (("info", "--colour"), "No such option: --colour"),
        (("nonsense",), "No such command 'nonsense'"),
    ],
)
def test_command_line_errors_are_one_line_with_exit_code_1(args: tuple[str, ...], match: str) -> None:
    """Click's usage errors used to print a boxed usage block and exit with code 2."""
    assert_one_line_error(run_gait(*args), match)


def test_gait_alone_still_shows_the_help() -> None:
    result = run_gait()
    assert result.returncode == 2 and "analyze" in result.stdout + result.stderr
    assert run_gait("--help").returncode == 0


@pytest.mark.parametrize(
    ("output", "match"),
    [("{tmp}/file", "is an existing file, not a folder"), ("{tmp}/file/out", "is a file, not a folder")],
)
def test_analyze_output_path_errors_are_user_errors(tmp_path: Path, output: str, match: str) -> None:
    """These ended 'internal error: FileExistsError' (exit code 3) after the whole analysis."""
    (tmp_path / "file").write_text("x")
    result = run_gait("analyze", str(SAMPLE_TRACK), "-o", output.format(tmp=tmp_path), "--no-video")
    assert_one_line_error(result, match)


def test_pose_refuses_an_unwritable_output_before_running_the_model(tmp_path: Path) -> None:
    import time

    t0 = time.monotonic()
    result = run_gait("pose", str(SAMPLE_CLIP), "-o", str(tmp_path / "missing" / "t.nc"))
    assert_one_line_error(result, "does not exist; create it first")
    assert time.monotonic() - t0 < 30  # the model never ran (it takes longer on this clip)


def test_slowmo_factor_with_a_track_is_refused_not_written_to_the_provenance(tmp_path: Path) -> None:
    result = run_gait("analyze", str(SAMPLE_TRACK), "-o", str(tmp_path / "a"), "--slowmo-factor", "8")
    assert_one_line_error(result, "is a pose track, whose times are already real-world seconds")
    assert not (tmp_path / "a").exists()


def test_analyze_writes_researchers_formats(tmp_path: Path) -> None:
    pytest.importorskip("ezc3d")
    import ezc3d
    import pandas as pd

    out = tmp_path / "a"
    result = run_gait("analyze", str(SAMPLE_TRACK), "-o", str(out), "--no-video", "--export", "c3d,cycles")
    assert result.returncode == 0, result.stderr
    assert "markers.c3d" in result.stdout and "cycles.parquet" in result.stdout
    c3d = ezc3d.c3d(str(out / "markers.c3d"))
    labels = c3d["parameters"]["EVENT"]["LABELS"]["value"]
    report = pd.read_json(out / "report.json", typ="series")
    assert len(labels) == len(report["events"])  # every IC and TO of the report, as C3D events
    cycles = pd.read_parquet(out / "cycles.parquet")
    assert set(cycles["percent"]) == set(range(101))


def test_analyze_refuses_an_unknown_export_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "a"
    result = run_gait("analyze", str(SAMPLE_TRACK), "-o", str(out), "--export", "c3d,bvh")
    assert result.returncode == 1
    assert "Unknown export format 'bvh'" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_openpose_folder_fps_is_noted_when_assumed_and_taken_from_the_option(tmp_path: Path) -> None:
    import json

    from tests.track.test_foreign import write_openpose

    folder = write_openpose(load_track(SAMPLE_TRACK), tmp_path / "json")
    assumed = run_gait("analyze", str(folder), "-o", str(tmp_path / "a"), "--no-video")
    assert assumed.returncode == 0, assumed.stderr
    codes = {n["code"] for n in json.loads((tmp_path / "a" / "report.json").read_text())["quality"]}
    assert {"fps_assumed", "image_size_inferred"} <= codes
    given = run_gait("analyze", str(folder), "-o", str(tmp_path / "b"), "--no-video", "--fps", "30")
    assert given.returncode == 0, given.stderr
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert "fps_assumed" not in {n["code"] for n in report["quality"]}
    assert report["metrics"]["cadence_spm"]["value"] == pytest.approx(168.6, abs=1.0)


def test_fps_option_is_refused_for_inputs_with_their_own_times(tmp_path: Path) -> None:
    result = run_gait("analyze", str(SAMPLE_TRACK), "-o", str(tmp_path / "a"), "--fps", "60")
    assert_one_line_error(result, "--fps is for landmark folders")
