"""Rows of several views: a manifest's ``rear`` and ``front`` columns."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from gait.batch import run_batch
from gait.batch._store import result_key
from tests.batch._jobs import FakeJob, clip_file
from tests.batch.conftest import calls


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_keys_of_side_and_rear_rows_stay_as_stores_made_them() -> None:
    side, rear, front, cfg = "a" * 64, "b" * 64, "c" * 64, "d" * 64
    # the formula of the stores made before front clips: a store of side+rear rows stays valid
    assert result_key(side, cfg, rear) == hashlib.sha256(f"{side}+rear:{rear}:{cfg}".encode()).hexdigest()
    assert result_key(side, cfg) == hashlib.sha256(f"{side}:{cfg}".encode()).hexdigest()
    keys = {
        result_key(side, cfg),
        result_key(side, cfg, rear),
        result_key(side, cfg, front_sha256=front),
        result_key(side, cfg, rear, front_sha256=front),
        result_key(side, cfg, front),  # the same file as a rear clip is another session
    }
    assert len(keys) == 5


def test_front_column_reaches_the_job_the_key_and_the_tables(tmp_path: Path, log_dir: Path) -> None:
    v = tmp_path / "v"
    clip_file(v, "side.mp4", cadence=170.0, steps=6)
    clip_file(v, "rear.mp4", pelvic_drop=5.5)
    clip_file(v, "front.mp4", pelvic_drop=6.0)
    m = tmp_path / "manifest.csv"
    m.write_text(
        "path,rear,front,subject\n"
        "v/side.mp4,v/rear.mp4,v/front.mp4,S1\n"
        "v/side.mp4,,v/front.mp4,S1\n"
        "v/side.mp4,,v/missing_front.mp4,S2\n"
    )
    out = tmp_path / "out"
    summary = run_batch(m, out, job=FakeJob(str(log_dir)), workers=1)
    assert (summary.total, summary.done, summary.failed) == (3, 2, 1)
    assert sorted(calls(log_dir)) == ["side.mp4+front.mp4", "side.mp4+rear.mp4+front.mp4"]
    clips = pd.read_parquet(out / "clips.parquet")
    assert list(clips.columns[:6]) == ["clip_id", "path", "subject", "session", "rear", "front"]
    assert list(clips["front"]) == ["v/front.mp4"] * 2
    assert list(clips["front_sha256"]) == [_sha256(v / "front.mp4")] * 2
    assert list(clips["rear_sha256"].fillna("")) == [_sha256(v / "rear.mp4"), ""]
    assert clips["clip_id"].is_unique
    failures = pd.read_csv(out / "failures.csv")
    assert failures["reason"].tolist() == [
        "Front file 'v/missing_front.mp4' does not exist; check the path in the front column."
    ]
    (log_dir / "calls.log").unlink()
    clip_file(v, "front.mp4", pelvic_drop=7.0)  # a new front clip: both rows with it run again
    again = run_batch(m, out, job=FakeJob(str(log_dir)))
    assert sorted(calls(log_dir)) == ["side.mp4+front.mp4", "side.mp4+rear.mp4+front.mp4"]
    assert (again.done, again.failed) == (2, 1)
