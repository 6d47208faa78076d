"""The batch with bad inputs.

One bad clip never stops or loses the others, ``clip_id`` stays unique, options are checked against the one
bounds table, and time limits count only a clip's own work.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gait.batch import BatchInputError, OutputFolderError, PipelineJob, read_manifest, run_batch
from gait.config import AnalysisConfig
from tests.batch._jobs import FakeJob, clip_file
from tests.batch.conftest import calls
from tests.conftest import SAMPLE_TRACK


def _broken(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "text.mp4").write_text("this is a text file, not a video\n")
    return folder


def _own_reasons(out: Path) -> dict[str, tuple[str, str]]:
    failures = pd.read_csv(out / "failures.csv")
    return {r.path: (r.error_type, r.reason) for r in failures.itertuples()}


def test_a_short_time_limit_does_not_hide_a_broken_clips_own_reason(tmp_path: Path) -> None:
    """The time limit counts only the clip's own work, not the worker's start-up.

    With --timeout-s 1 the worker's start-up (importing the analysis, ~2 s) was counted: broken clips were
    recorded as timeouts.
    """
    out = tmp_path / "out"
    summary = run_batch(
        _broken(tmp_path / "clips"), out, job=PipelineJob(video=False), workers=1, timeout_s=1
    )
    assert (summary.done, summary.failed) == (0, 2)
    reasons = _own_reasons(out)
    assert reasons["empty.mp4"] == (
        "VideoReadError",
        "Video file 'empty.mp4' is empty (0 bytes); copy or export the clip again.",
    )
    assert (
        reasons["text.mp4"][0] == "VideoReadError"
        and "not a readable video" in reasons["text.mp4"][1]
    )


@pytest.mark.ray
def test_ray_time_limit_counts_only_the_clips_own_work(ray_runtime, tmp_path: Path) -> None:
    """A new Ray worker process takes seconds to start and import gait: not the clip's time."""
    out = tmp_path / "out"
    summary = run_batch(
        _broken(tmp_path / "clips"), out, job=PipelineJob(video=False), engine="ray", timeout_s=1
    )
    assert (summary.done, summary.failed) == (0, 2)
    assert {t for t, _ in _own_reasons(out).values()} == {"VideoReadError"}


def test_a_row_listed_twice_is_one_row_with_a_note(tmp_path: Path, log_dir: Path) -> None:
    clip_file(tmp_path, "a.mp4", cadence=170.0)
    clip_file(tmp_path, "b.mp4", cadence=171.0)
    m = tmp_path / "m.csv"
    m.write_text("path,subject\na.mp4,S1\nb.mp4,S1\na.mp4,S1\na.mp4,S1\n")
    events = []
    summary = run_batch(m, tmp_path / "out", job=FakeJob(str(log_dir)), progress=events.append)
    assert (summary.total, summary.done, summary.failed) == (2, 2, 0)
    assert sorted(calls(log_dir)) == ["a.mp4", "b.mp4"]
    clips = pd.read_csv(tmp_path / "out/clips.csv")
    assert clips["clip_id"].is_unique and list(clips["path"]) == ["a.mp4", "b.mp4"]
    note = "'a.mp4' is listed more than once with the same settings; it is analysed and shown once"
    assert events[0].kind == "planned" and note in events[0].notes


def test_copies_of_one_file_in_a_folder_are_one_row(tmp_path: Path, log_dir: Path) -> None:
    root = tmp_path / "clips"
    clip_file(root, "day1/run.mp4", cadence=170.0)
    (root / "copy").mkdir()
    shutil.copy(root / "day1/run.mp4", root / "copy/run.mp4")  # same file name and content
    clip_file(root, "day2/other.mp4", cadence=171.0)
    summary = run_batch(root, tmp_path / "out", job=FakeJob(str(log_dir)))
    assert (summary.total, summary.done) == (2, 2)
    clips = pd.read_csv(tmp_path / "out/clips.csv")
    assert clips["clip_id"].is_unique and list(clips["path"]) == ["copy/run.mp4", "day2/other.mp4"]


def test_rows_that_would_share_a_clip_id_but_differ_are_refused(tmp_path: Path) -> None:
    clip_file(tmp_path, "a.mp4", cadence=170.0)
    m = tmp_path / "m.csv"
    m.write_text("path,subject,shoe\na.mp4,S1,Nike\na.mp4,S1,Asics\n")
    with pytest.raises(
        BatchInputError, match="would share clip_id 'S1_a-.*' .* but differ in shoe; remove one"
    ):
        run_batch(m, tmp_path / "out", job=FakeJob())


def test_special_files_in_a_folder_are_failure_rows_and_never_opened(tmp_path: Path) -> None:
    """A named pipe called clip.mp4 used to block the batch while hashing it."""
    root = tmp_path / "clips"
    clip_file(root, "good.mp4", cadence=170.0)
    os.mkfifo(root / "pipe.mp4")
    (root / "loop.mp4").symlink_to(root / "loop2.mp4")
    (root / "loop2.mp4").symlink_to(root / "loop.mp4")
    summary = run_batch(root, tmp_path / "out", job=FakeJob())
    assert (summary.done, summary.failed) == (1, 3)
    reasons = _own_reasons(tmp_path / "out")
    assert reasons["pipe.mp4"] == (
        "NotARegularFile",
        "File 'pipe.mp4' is a named pipe (FIFO), not a regular file; save the data to a file and give that file.",
    )
    assert "is a symbolic-link loop" in reasons["loop.mp4"][1]


def test_output_folder_that_is_a_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    clip_file(tmp_path / "c", "a.mp4", cadence=170.0)
    (tmp_path / "out").write_text("a file")
    with pytest.raises(OutputFolderError, match="is an existing file, not a folder"):
        run_batch(tmp_path / "c", tmp_path / "out", job=FakeJob())
    with pytest.raises(OutputFolderError, match="'.*out' is a file, not a folder"):
        run_batch(tmp_path / "c", tmp_path / "out" / "sub", job=FakeJob())


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0", False),
        ("0.5", False),
        ("1", True),
        ("64", True),
        ("65", False),
        ("nan", False),
        ("inf", False),
    ],
)
def test_manifest_slowmo_factor_follows_the_bounds_table(
    tmp_path: Path, value: str, ok: bool
) -> None:
    m = tmp_path / "m.csv"
    m.write_text(f"path,slowmo_factor\na.mp4,{value}\n")
    if ok:
        assert read_manifest(m)[0].slowmo_factor == float(value)
    else:
        with pytest.raises(BatchInputError, match=r"^m.csv line 2: slowmo_factor .* from 1 to 64 "):
            read_manifest(m)


def test_track_inputs_do_not_take_a_slowmo_factor(tmp_path: Path) -> None:
    """The batch-wide factor is not used for tracks (a note says so); a manifest row's is refused."""
    shutil.copy(SAMPLE_TRACK, tmp_path / "t.nc")
    shutil.copy(SAMPLE_TRACK, tmp_path / "u.nc")
    m = tmp_path / "m.csv"
    m.write_text("path,subject,slowmo_factor\nt.nc,A,\nu.nc,B,8\n")
    events = []
    summary = run_batch(
        m,
        tmp_path / "out",
        AnalysisConfig(slowmo_factor=4.0),
        job=PipelineJob(video=False),
        progress=events.append,
    )
    assert (summary.done, summary.failed) == (1, 1)
    clips = pd.read_csv(tmp_path / "out/clips.csv")
    assert list(clips["path"]) == ["t.nc"] and list(clips["slowmo_factor"]) == [1.0]
    assert any("slow-motion factor is not used for pose-track inputs" in n for n in events[0].notes)
    error_type, reason = _own_reasons(tmp_path / "out")["u.nc"]
    assert (
        error_type == "ConfigError"
        and "is a pose track, whose times are already real-world seconds" in reason
    )
