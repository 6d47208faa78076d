"""The per-clip time limit (``timeout_s``), with the small real jobs.

A clip that sleeps past the limit is stopped and recorded as failed, the other clips go on, and the next run
tries it again.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from gait.batch import BatchInputError, run_batch
from tests.batch._jobs import FakeJob, clip_file
from tests.batch.conftest import calls


def _reason(limit_s: int) -> str:
    return (
        f"Analysis took longer than the {limit_s} s limit; give it more time with --timeout-s "
        "or analyse a shorter clip."
    )


def _slow_and_fast(root: Path, sleep_s: float) -> None:
    # the slow clip is the largest file, so it is started first
    clip_file(root, "slow.mp4", cadence=170.0, sleep=sleep_s, padding="x" * 200)
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        clip_file(root, name, cadence=172.0)


def test_a_clip_over_the_limit_fails_its_worker_is_replaced_and_the_rerun_tries_it_again(
    tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"  # the workers' temporary folder (they inherit TMPDIR)
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)
    root = tmp_path / "clips"
    _slow_and_fast(root, sleep_s=6.0)
    out = tmp_path / "out"

    # one worker: the slow clip runs first, is stopped at 3 s, a new worker runs the others
    summary = run_batch(root, out, job=FakeJob(str(log_dir)), workers=1, timeout_s=3)
    assert (summary.done, summary.failed) == (3, 1)
    assert calls(log_dir) == ["slow.mp4", "a.mp4", "b.mp4", "c.mp4"]
    failures = pd.read_csv(out / "failures.csv")
    assert failures[["path", "error_type", "reason"]].values.tolist() == [
        ["slow.mp4", "Timeout", _reason(3)]
    ]
    assert list(pd.read_parquet(out / "clips.parquet")["path"]) == ["a.mp4", "b.mp4", "c.mp4"]
    record = json.loads((out / "batch.json").read_text())
    assert record["engine"]["timed_out"] == 1 and record["engine"]["workers_replaced"] == 1
    assert record["options"]["timeout_s"] == 3
    (failure,) = (out / ".gait-batch/failures").iterdir()
    failure = json.loads(failure.read_text())
    assert failure["final"] is False and failure["seconds"] >= 3
    assert list(scratch.glob("gait-batch-*")) == []  # the killed worker's scratch folder is gone

    # not done, not a final failure: the next run (with no limit) analyses it, and only it
    (log_dir / "calls.log").unlink()
    summary = run_batch(root, out, job=FakeJob(str(log_dir)), workers=1)
    assert calls(log_dir) == ["slow.mp4"]
    assert (summary.done, summary.skipped, summary.failed) == (1, 3, 0)
    assert pd.read_csv(out / "failures.csv").empty


def test_the_time_limit_must_be_positive(tmp_path: Path) -> None:
    clip_file(tmp_path / "c", "a.mp4", cadence=170.0)
    for bad in (0.0, -5.0, float("nan")):
        with pytest.raises(BatchInputError, match="Expected a per-clip time limit > 0 s"):
            run_batch(tmp_path / "c", tmp_path / "out", job=FakeJob(), timeout_s=bad)


@pytest.mark.ray
def test_ray_cancels_a_clip_over_the_limit(ray_runtime, tmp_path: Path, log_dir: Path) -> None:
    pytest.importorskip("ray")
    root = tmp_path / "clips"
    _slow_and_fast(root, sleep_s=120.0)
    out = tmp_path / "out"
    t0 = time.monotonic()
    summary = run_batch(root, out, job=FakeJob(str(log_dir)), engine="ray", timeout_s=10)
    assert time.monotonic() - t0 < 60  # not the 120 s the slow clip would take
    assert (summary.done, summary.failed) == (3, 1)
    failures = pd.read_csv(out / "failures.csv")
    assert failures[["path", "error_type", "reason"]].values.tolist() == [
        ["slow.mp4", "Timeout", _reason(10)]
    ]
    assert json.loads((out / "batch.json").read_text())["engine"]["timed_out"] == 1

    # the runtime goes on after the cancelled task; the fixed clip is the only one to run again
    (log_dir / "calls.log").unlink()
    clip_file(root, "slow.mp4", cadence=170.0, padding="x" * 200)
    summary = run_batch(root, out, job=FakeJob(str(log_dir)), engine="ray", timeout_s=10)
    assert calls(log_dir) == ["slow.mp4"]
    assert (summary.done, summary.skipped, summary.failed) == (1, 3, 0)
