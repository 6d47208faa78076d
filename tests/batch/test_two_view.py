"""Two-view rows: a manifest's ``rear`` column (a rear-view clip of the same run).

- With the small real jobs (``_jobs.FakeJob``): the rear clip reaches the job, is part of the
  result key (changing it re-runs the row, and only it), is shown in ``clips.csv``; a missing rear
  file is a failure row; a job that takes no rear clip is one error before the start; Ray gives the
  same tables.
- With the real pipeline (``gait.pipeline.run_analysis([side, rear], ...)``): the sample clip's pose
  track as the side view and a rear-view track from motion capture (``gait.validate``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gait.batch import BatchInputError, run_batch
from tests.batch._compare import assert_same_tables
from tests.batch._jobs import FakeJob, SideOnlyJob, clip_file
from tests.batch.conftest import calls
from tests.conftest import SAMPLE_TRACK, SHARED

MOCAP_DIR = SHARED / "data" / "mocap"


def _missing_rear(label: str) -> str:
    return f"Rear file '{label}' does not exist; check the path in the rear column."


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def fake_manifest(tmp_path: Path) -> Path:
    """A two-view row, the same side clip alone, and a row whose rear file is missing."""
    clip_file(tmp_path / "v", "side.mp4", cadence=170.0, steps=6)
    clip_file(tmp_path / "v", "rear.mp4", pelvic_drop=5.5)
    m = tmp_path / "m" / "manifest.csv"
    m.parent.mkdir()
    m.write_text(
        "path,rear,subject,shoe\n"
        "../v/side.mp4,../v/rear.mp4,S1,A\n"
        "../v/side.mp4,,S1,A\n"
        "../v/side.mp4,../v/missing_rear.mp4,S2,B\n"
    )
    return m


def test_rear_rows_are_analysed_as_two_view_sessions_and_resume_on_both_files(
    fake_manifest: Path, tmp_path: Path, log_dir: Path
) -> None:
    out = tmp_path / "out"
    v = tmp_path / "v"
    summary = run_batch(fake_manifest, out, job=FakeJob(str(log_dir)), workers=2)
    assert (summary.total, summary.done, summary.failed) == (3, 2, 1)
    assert sorted(calls(log_dir)) == ["side.mp4", "side.mp4+rear.mp4"]

    clips = pd.read_parquet(out / "clips.parquet")
    assert list(clips.columns[:5]) == ["clip_id", "path", "subject", "session", "rear"]
    assert list(clips["rear"].fillna("")) == ["../v/rear.mp4", ""]
    assert list(clips["view"]) == ["side_left+rear", "side_left"]
    assert list(clips["rear_sha256"].fillna("")) == [_sha256(v / "rear.mp4"), ""]
    assert list(clips["file_sha256"]) == [_sha256(v / "side.mp4")] * 2
    assert clips["clip_id"].is_unique  # the same side clip with and without a rear clip
    assert clips["pelvic_drop_deg"].iloc[0] == 5.5 and pd.isna(clips["pelvic_drop_deg"].iloc[1])
    csv = pd.read_csv(out / "clips.csv")
    assert list(csv["rear"].fillna("")) == ["../v/rear.mp4", ""]
    steps = pd.read_parquet(out / "steps.parquet")
    assert set(steps.loc[steps["clip_id"] == clips["clip_id"][0], "view"]) == {"side_left"}
    done = json.loads((out / "clips" / clips["clip_id"][0] / "done.json").read_text())
    assert done["rear_source"] == str((v / "rear.mp4").resolve())

    failures = pd.read_csv(out / "failures.csv")
    assert failures[["path", "rear", "subject", "error_type", "reason"]].values.tolist() == [
        [
            "../v/side.mp4",
            "../v/missing_rear.mp4",
            "S2",
            "FileNotFoundError",
            _missing_rear("../v/missing_rear.mp4"),
        ]
    ]

    (log_dir / "calls.log").unlink()
    again = run_batch(fake_manifest, out, job=FakeJob(str(log_dir)))
    assert calls(log_dir) == [] and (again.done, again.skipped, again.failed) == (0, 2, 1)

    clip_file(v, "rear.mp4", pelvic_drop=7.0)  # a new rear clip: only the two-view row again
    again = run_batch(fake_manifest, out, job=FakeJob(str(log_dir)))
    assert calls(log_dir) == ["side.mp4+rear.mp4"]
    assert (again.done, again.skipped, again.failed) == (1, 1, 1)
    clips_after = pd.read_parquet(out / "clips.parquet")
    assert clips_after["clip_id"][0] != clips["clip_id"][0]
    assert clips_after["clip_id"][1] == clips["clip_id"][1]
    assert list(clips_after["pelvic_drop_deg"].fillna(-1)) == [7.0, -1]


def test_a_job_of_one_clip_per_row_is_one_error_before_the_start(
    fake_manifest: Path, tmp_path: Path
) -> None:
    with pytest.raises(BatchInputError, match="takes one clip per row") as info:
        run_batch(fake_manifest, tmp_path / "out", job=SideOnlyJob())
    assert "\n" not in str(info.value)
    assert not list((tmp_path / "out/clips").iterdir())
    # without rear clips, a one-clip job still runs
    clip_file(tmp_path / "solo", "a.mp4", cadence=170.0)
    assert run_batch(tmp_path / "solo", tmp_path / "out2", job=SideOnlyJob()).done == 1


@pytest.mark.ray
def test_rear_rows_on_ray_give_the_same_tables(
    ray_runtime, fake_manifest: Path, tmp_path: Path
) -> None:
    local = run_batch(fake_manifest, tmp_path / "local", job=FakeJob(), workers=2)
    on_ray = run_batch(fake_manifest, tmp_path / "ray", job=FakeJob(), engine="ray")
    assert (on_ray.done, on_ray.failed) == (local.done, local.failed) == (2, 1)
    assert_same_tables(tmp_path / "local", tmp_path / "ray")
    assert pd.read_parquet(tmp_path / "ray/clips.parquet")["view"][0] == "side_left+rear"


# --- the real pipeline ----------------------------------------------------------------------------


def _rear_track(path: Path, seed: int) -> None:
    """A rear-view pose track of a real run (motion capture seen by a virtual camera behind it)."""
    pytest.importorskip("gait.events", reason="the events stage cannot be imported yet")
    pytest.importorskip("gait.metrics", reason="the metrics stage cannot be imported yet")
    if not (MOCAP_DIR / "events").is_dir():
        pytest.skip(f"mocap data not found at {MOCAP_DIR}")
    from gait.track import save_track
    from gait.validate import load_trial

    track, _ = load_trial(MOCAP_DIR, "RBDS001_runT25").to_track(
        view="rear", fps=60, duration_s=8, seed=seed
    )
    save_track(track, path)


@pytest.fixture
def track_pair(tmp_path: Path) -> Path:
    """The sample clip's side-view track, a rear-view track and a manifest using them."""
    root = tmp_path / "two_view"
    root.mkdir()
    shutil.copy(SAMPLE_TRACK, root / "side.nc")
    _rear_track(root / "rear.nc", seed=0)
    (root / "manifest.csv").write_text(
        "path,rear,subject,session\n"
        "side.nc,rear.nc,S01,two_view\n"
        "side.nc,,S01,side_only\n"
        "side.nc,missing_rear.nc,S02,missing\n"
    )
    return root


def test_real_two_view_sessions_in_a_batch(track_pair: Path, tmp_path: Path) -> None:
    from gait.batch import PipelineJob

    manifest = track_pair / "manifest.csv"
    out = tmp_path / "out"
    summary = run_batch(manifest, out, job=PipelineJob(video=False), workers=2)
    assert (summary.total, summary.done, summary.failed) == (3, 2, 1)

    clips = pd.read_csv(out / "clips.csv").set_index("session")
    assert list(clips.index) == ["two_view", "side_only"]
    assert clips.loc["two_view", "rear"] == "rear.nc" and pd.isna(clips.loc["side_only", "rear"])
    assert clips.loc["two_view", "view"] == "side_left+rear"
    assert clips.loc["side_only", "view"] == "side_left"
    assert clips.loc["two_view", "rear_sha256"] == _sha256(track_pair / "rear.nc")
    # the rear view's own metric, measured in the rear clip only
    assert pd.notna(clips.loc["two_view", "pelvic_drop_deg"])
    assert pd.isna(clips.loc["side_only"].get("pelvic_drop_deg"))
    # cadence comes from the side clip either way
    assert clips.loc["two_view", "cadence_spm"] == clips.loc["side_only", "cadence_spm"]

    folder = out / clips.loc["two_view", "clip_folder"]
    report = json.loads((folder / "report.json").read_text())
    assert report["view"] == "side_left+rear"
    assert report["metrics"]["pelvic_drop_deg"]["source_view"] == "rear"
    assert {"report.json", "steps.csv", "track.nc", "track_rear.nc", "done.json"} <= {
        p.name for p in folder.iterdir()
    }
    steps = pd.read_parquet(out / "steps.parquet")
    two_view_steps = steps[steps["session"] == "two_view"]
    assert set(two_view_steps["view"]) == {"side_left", "rear"}

    failures = pd.read_csv(out / "failures.csv")
    assert failures[["session", "rear", "error_type", "reason"]].values.tolist() == [
        ["missing", "missing_rear.nc", "FileNotFoundError", _missing_rear("missing_rear.nc")]
    ]

    # resume: nothing to do; then a different rear track re-runs the two-view row only
    ran: list[str] = []

    def progress(event) -> None:
        if event.kind == "clip":
            ran.append(event.path)

    again = run_batch(manifest, out, job=PipelineJob(video=False), progress=progress)
    assert ran == [] and (again.done, again.skipped, again.failed) == (0, 2, 1)
    _rear_track(track_pair / "rear.nc", seed=1)
    again = run_batch(manifest, out, job=PipelineJob(video=False), progress=progress)
    assert ran == ["side.nc"] and (again.done, again.skipped, again.failed) == (1, 1, 1)
    after = pd.read_csv(out / "clips.csv").set_index("session")
    assert after.loc["two_view", "rear_sha256"] == _sha256(track_pair / "rear.nc")
    assert after.loc["two_view", "clip_id"] != clips.loc["two_view", "clip_id"]
    assert after.loc["side_only", "clip_id"] == clips.loc["side_only", "clip_id"]
