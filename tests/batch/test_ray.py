"""The Ray engine on a real local Ray runtime (``ray.init(num_cpus=2)``), with the small real jobs.

One runtime serves the session (``ray_runtime`` in conftest.py); the engine uses it as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gait.batch import run_batch
from tests.batch._compare import assert_same_tables
from tests.batch._jobs import FakeJob, clip_file
from tests.batch.conftest import calls

pytest.importorskip("ray", reason="Ray is not installed (pip install 'gait[batch]')")
pytestmark = pytest.mark.ray


def test_ray_gives_the_same_tables_as_the_local_engine(
    ray_runtime, fake_clips: Path, tmp_path: Path
) -> None:
    clip_file(fake_clips, "c/bug.mp4", boom=True)
    local = run_batch(fake_clips, tmp_path / "local", job=FakeJob(), workers=2)
    on_ray = run_batch(fake_clips, tmp_path / "ray", job=FakeJob(), engine="ray")
    assert (on_ray.done, on_ray.failed) == (local.done, local.failed) == (3, 3)
    assert_same_tables(tmp_path / "local", tmp_path / "ray")
    record = json.loads((tmp_path / "ray/batch.json").read_text())
    assert record["engine"]["name"] == "ray" and record["engine"]["started_runtime"] is False
    assert record["engine"]["cluster_cpus"] == 2


def test_ray_isolates_a_killed_worker_and_resumes(
    ray_runtime, tmp_path: Path, log_dir: Path
) -> None:
    root = tmp_path / "clips"
    clip_file(root, "a.mp4", cadence=170.0)
    clip_file(root, "b_killed.mp4", kill=True)
    clip_file(root, "c.mp4", cadence=175.0)
    summary = run_batch(root, tmp_path / "out", job=FakeJob(str(log_dir)), engine="ray")
    assert (summary.done, summary.failed) == (2, 1)
    failures = pd.read_csv(tmp_path / "out/failures.csv")
    assert failures[["path", "error_type"]].values.tolist() == [["b_killed.mp4", "WorkerCrashed"]]
    assert failures["reason"][0] == "the Ray worker process analysing this clip died"
    (log_dir / "calls.log").unlink()
    # the file fixed: only it runs again, on the same runtime
    clip_file(root, "b_killed.mp4", cadence=180.0)
    summary = run_batch(root, tmp_path / "out", job=FakeJob(str(log_dir)), engine="ray")
    assert (summary.done, summary.skipped, summary.failed) == (1, 2, 0)
    assert calls(log_dir) == ["b_killed.mp4"]


def test_ray_workers_are_reused_across_clips(ray_runtime, tmp_path: Path) -> None:
    root = tmp_path / "clips"
    for i in range(6):
        clip_file(root, f"c{i}.mp4", cadence=170.0 + i)
    run_batch(root, tmp_path / "out", job=FakeJob(), engine="ray")
    workers = {
        json.loads(p.joinpath("done.json").read_text())["worker"]
        for p in (tmp_path / "out/clips").iterdir()
    }
    # one process per CPU (plus, rarely, one replaced), not one per clip
    assert len(workers) <= 2 + 1
