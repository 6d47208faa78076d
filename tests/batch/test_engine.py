"""The batch engine on the local process pool, with small real jobs (``_jobs.FakeJob``): no pose model.

Covers the tables, failure isolation (GaitError, a bug, a killed worker, an empty file, a missing
file), resume (nothing reruns; an interrupted run continues and ends with the same tables as an
uninterrupted one), atomic commits and the output-folder lock.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gait.batch import BatchEvent, OutputFolderError, run_batch
from gait.batch._local import WorkerStartError
from gait.batch._store import Store
from gait.config import AnalysisConfig
from tests.batch._compare import assert_same_tables, read_tables
from tests.batch._jobs import FakeJob, clip_file
from tests.batch.conftest import calls


def test_batch_writes_tables_folders_and_records(fake_clips: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_batch(fake_clips, out, job=FakeJob(), workers=2)
    assert (summary.total, summary.done, summary.skipped, summary.failed) == (5, 3, 0, 2)
    assert "5 clips: 3 done, 0 skipped (already done), 2 failed" in summary.line()

    clips = pd.read_parquet(out / "clips.parquet")
    assert list(clips["path"]) == ["a/run1.mp4", "a/run2.MOV", "b/run3.mkv"]  # input order
    assert list(clips["cadence_spm"]) == [172.0, 160.0, 181.5]
    assert list(clips["cadence_spm_confidence"]) == ["high"] * 3
    assert list(clips["n_steps"]) == [6, 5, 7]
    assert list(clips["flags"]) == ["", "low_step_rate", ""]
    assert list(clips["flag_low_step_rate"]) == [False, True, False]
    assert str(clips["flag_low_step_rate"].dtype) == "boolean"
    assert clips["flag_pelvic_drop"].isna().all()  # not assessed: empty, not False
    assert not clips["flag_overstride"].any() and clips["flag_overstride"].notna().all()
    assert list(clips["quality"]) == ["", "short_clip", ""]
    assert clips["height_cm"].dtype == "float64" and clips["height_cm"].isna().all()
    assert clips["clip_id"].is_unique

    steps = pd.read_parquet(out / "steps.parquet")
    assert len(steps) == 6 + 5 + 7
    assert list(steps.columns[:4]) == ["clip_id", "path", "subject", "session"]
    assert steps["contact_time_s"].iloc[1] == 0.201 + 1e-9  # full precision, not steps.csv's %.5g

    metrics = pd.read_parquet(out / "metrics.parquet")
    assert len(metrics) == 3 * 2 and set(metrics["unit"]) == {"steps/min", "s"}

    failures = pd.read_csv(out / "failures.csv")
    assert list(failures["path"]) == ["b/nobody.mp4", "empty.mp4"]
    assert list(failures["error_type"]) == ["NoPersonError", "VideoReadError"]
    assert failures["reason"].iloc[0] == "No person was found in 'nobody.mp4'."

    for cid in clips["clip_id"]:
        folder = out / "clips" / cid
        assert {p.name for p in folder.iterdir()} == {
            "report.json",
            "steps.csv",
            "steps.parquet",
            "report.html",
            "done.json",
        }
        assert json.loads((folder / "done.json").read_text())["requested"] == ["report.html"]

    record = json.loads((out / "batch.json").read_text())
    assert record["status"] == "complete"
    assert record["counts"] == {
        "clips": 5,
        "unique_analyses": 5,
        "done": 3,
        "skipped": 0,
        "failed": 2,
        "not_run": 0,
    }
    assert record["engine"]["name"] == "local" and record["engine"]["workers"] == 2
    assert record["config"]["pose"]["workers"] == 1  # parallelism is across clips
    assert {"gait", "python", "mediapipe", "pandas", "pyarrow"} <= set(record["versions"])
    assert record["timings"]["wall_s"] > 0 and "clips_per_hour" in record["timings"]


def test_failures_never_stop_the_batch(tmp_path: Path, log_dir: Path) -> None:
    root = tmp_path / "clips"
    clip_file(root, "1_bug.mp4", boom=True)
    clip_file(root, "2_killed.mp4", kill=True)
    clip_file(root, "3_good.mp4", cadence=170.0)
    (root / "4_text.mp4").write_text("this is not a video")
    (root / "5_truncated.mp4").write_bytes(b'{"cadence": 17')
    clip_file(root, "6_good.mp4", cadence=175.0)
    summary = run_batch(root, tmp_path / "out", job=FakeJob(str(log_dir)), workers=2)
    assert (summary.done, summary.failed) == (2, 4)
    failures = pd.read_csv(tmp_path / "out/failures.csv").set_index("path")
    assert failures.loc["1_bug.mp4", "reason"] == "unexpected error: RuntimeError: fake bug"
    assert failures.loc["2_killed.mp4", "error_type"] == "WorkerCrashed"
    assert "killed by SIGKILL" in failures.loc["2_killed.mp4", "reason"]
    assert set(failures.loc[["4_text.mp4", "5_truncated.mp4"], "error_type"]) == {"VideoReadError"}
    record = json.loads(
        (
            tmp_path
            / "out/.gait-batch/failures/"
            / next(
                p.name for p in (tmp_path / "out/.gait-batch/failures").iterdir() if "bug" in p.name
            )
        ).read_text()
    )
    assert "Traceback" in record["detail"] and record["final"] is False


def test_missing_manifest_file_is_a_failure_row(tmp_path: Path) -> None:
    clip_file(tmp_path, "a.mp4", cadence=170.0)
    m = tmp_path / "m.csv"
    m.write_text("path,subject\na.mp4,S1\nmissing.mp4,S2\n")
    summary = run_batch(m, tmp_path / "out", job=FakeJob())
    assert (summary.done, summary.failed) == (1, 1)
    row = pd.read_csv(tmp_path / "out/failures.csv").iloc[0]
    assert (row["path"], row["subject"], row["error_type"], row["reason"]) == (
        "missing.mp4",
        "S2",
        "FileNotFoundError",
        "File 'missing.mp4' does not exist; check the path.",
    )


def test_manifest_settings_reach_the_job_and_the_tables(tmp_path: Path, log_dir: Path) -> None:
    clip_file(tmp_path, "v/a.mp4", cadence=170.0)
    clip_file(tmp_path, "v/b.mp4", cadence=171.0)
    m = tmp_path / "m.csv"
    # the same row twice: analysed and shown once (clip_id stays unique), with a note
    m.write_text(
        "path,subject,session,view,height_cm,slowmo_factor,treadmill_speed_mps,shoe\n"
        "v/a.mp4,S 01,pre/x,rear,180,4,3.2,Nike\n"
        "v/b.mp4,S02,,,,,,\n"
        "v/a.mp4,S 01,pre/x,rear,180,4,3.2,Nike\n"
    )
    summary = run_batch(
        m, tmp_path / "out", AnalysisConfig(height_cm=170.0), job=FakeJob(str(log_dir))
    )
    assert (summary.total, summary.done) == (2, 2)
    assert sorted(calls(log_dir)) == ["a.mp4", "b.mp4"]
    clips = pd.read_parquet(tmp_path / "out/clips.parquet")
    assert clips["clip_id"].is_unique
    assert list(clips["clip_id"].str.rsplit("-", n=1).str[0]) == ["S-01_pre-x_a", "S02_b"]
    assert list(clips["manifest_view"].fillna("")) == ["rear", ""]
    assert list(clips["slowmo_factor"]) == [4.0, 1.0]  # the job saw the manifest's settings
    # height: the manifest's, else the batch configuration's
    assert list(clips["height_cm"]) == [180.0, 170.0]
    assert list(clips["treadmill_speed_mps"].fillna(-1)) == [3.2, -1]
    assert list(clips["shoe"].fillna("")) == ["Nike", ""]
    report = json.loads((tmp_path / "out/clips" / clips["clip_id"][0] / "report.json").read_text())
    assert report["provenance"]["config"]["height_cm"] == 180.0
    unused = [n for n in ("treadmill_speed_mps", "view") if not hasattr(AnalysisConfig(), n)]
    if "view" not in unused:
        assert list(clips["view"]) == ["rear", "side_left"]
    warnings = json.loads((tmp_path / "out/batch.json").read_text())["warnings"]
    assert warnings == sorted(
        [
            f"{n} from the manifest is shown in clips.csv but not used by this version of the analysis"
            for n in unused
        ]
        + [
            "'v/a.mp4' is listed more than once with the same settings; it is analysed and shown once"
        ]
    )


def test_rerun_skips_done_clips_and_known_failures(
    fake_clips: Path, tmp_path: Path, log_dir: Path
) -> None:
    out = tmp_path / "out"
    run_batch(fake_clips, out, job=FakeJob(str(log_dir)))
    first = read_tables(out)
    (log_dir / "calls.log").unlink()
    events: list[BatchEvent] = []
    summary = run_batch(fake_clips, out, job=FakeJob(str(log_dir)), progress=events.append)
    assert calls(log_dir) == []
    assert (summary.done, summary.skipped, summary.failed) == (0, 3, 2)
    assert events == [BatchEvent("planned", to_run=0, skipped=3, failed=2)]
    for name, value in read_tables(out).items():
        assert (
            value.equals(first[name]) if isinstance(value, pd.DataFrame) else value == first[name]
        )

    run_batch(fake_clips, out, job=FakeJob(str(log_dir)), retry_failed=True)
    assert sorted(calls(log_dir)) == ["empty.mp4", "nobody.mp4"]
    (log_dir / "calls.log").unlink()
    run_batch(fake_clips, out, job=FakeJob(str(log_dir)), resume=False)
    assert len(calls(log_dir)) == 5


def test_changed_content_or_configuration_is_analysed_again(
    fake_clips: Path, tmp_path: Path, log_dir: Path
) -> None:
    out = tmp_path / "out"
    run_batch(fake_clips, out, job=FakeJob(str(log_dir)))
    (log_dir / "calls.log").unlink()
    clip_file(fake_clips, "a/run1.mp4", cadence=150.0, steps=6)  # new content
    run_batch(fake_clips, out, job=FakeJob(str(log_dir)))
    assert calls(log_dir) == ["run1.mp4"]
    assert pd.read_parquet(out / "clips.parquet")["cadence_spm"].iloc[0] == 150.0
    (log_dir / "calls.log").unlink()
    run_batch(fake_clips, out, AnalysisConfig(height_cm=181.0), job=FakeJob(str(log_dir)))
    assert len(calls(log_dir)) == 5  # new configuration: every clip again, into new folders
    # old results are kept, never overwritten
    assert len(list((out / "clips").iterdir())) == 3 + 1 + 3


def test_asking_for_more_outputs_redoes_only_clips_made_without_them(
    tmp_path: Path, log_dir: Path
) -> None:
    clip_file(tmp_path / "c", "a.mp4", cadence=170.0)
    out = tmp_path / "out"
    run_batch(tmp_path / "c", out, job=FakeJob(str(log_dir), html=False))
    (folder,) = (out / "clips").iterdir()
    assert not (folder / "report.html").exists()
    run_batch(tmp_path / "c", out, job=FakeJob(str(log_dir), html=True))
    assert (folder / "report.html").exists()
    assert Store(out).marker(folder.name)["requested"] == ["report.html"]
    # fewer outputs than the result was made with: nothing to redo
    run_batch(tmp_path / "c", out, job=FakeJob(str(log_dir), html=False))
    assert calls(log_dir) == ["a.mp4", "a.mp4"]


def test_pipeline_job_requested_outputs() -> None:
    from gait.batch import PipelineJob

    assert PipelineJob().requested_outputs() == {"overlay.mp4"}
    assert PipelineJob(video=False).requested_outputs() == set()


class _StopAfter:
    """Progress callback that presses Ctrl-C after ``n`` clips."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, event: BatchEvent) -> None:
        if event.kind == "clip":
            self.n -= 1
            if self.n == 0:
                raise KeyboardInterrupt


def test_interrupted_run_continues_and_ends_with_the_same_tables(
    tmp_path: Path, log_dir: Path
) -> None:
    root = tmp_path / "clips"
    for i in range(5):
        clip_file(root, f"c{i}.mp4", cadence=160.0 + i, steps=3 + i, sleep=0.2)
    clip_file(root, "c5_bad.mp4", fail="No person was found.")
    reference = tmp_path / "reference"
    run_batch(root, reference, job=FakeJob(), workers=2)

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(root, out, job=FakeJob(str(log_dir)), workers=2, progress=_StopAfter(3))
    record = json.loads((out / "batch.json").read_text())
    assert record["status"] == "interrupted" and record["counts"]["done"] == 3
    # the tables hold the clips finished so far
    finished = set(pd.read_parquet(out / "clips.parquet")["path"])
    assert len(finished) == 3
    committed = list((out / "clips").iterdir())
    assert len(committed) == 3 and all((p / "done.json").exists() for p in committed)

    (log_dir / "calls.log").unlink()
    summary = run_batch(root, out, job=FakeJob(str(log_dir)), workers=2)
    rerun = calls(log_dir)
    assert (summary.done, summary.skipped, summary.failed) == (2, 3, 1)
    # only the missing clips ran
    assert sorted(rerun) == sorted({p.name for p in root.iterdir()} - finished)
    assert_same_tables(out, reference)
    assert list((out / ".gait-batch/tmp").iterdir()) == []


def test_half_written_results_are_not_taken_as_done(
    fake_clips: Path, tmp_path: Path, log_dir: Path
) -> None:
    out = tmp_path / "out"
    run_batch(fake_clips, out, job=FakeJob(str(log_dir)))
    (log_dir / "calls.log").unlink()
    folder = next((out / "clips").iterdir())
    (folder / "done.json").unlink()  # as if the run had died before the marker
    (out / ".gait-batch/tmp/leftover.1234").mkdir()
    run_batch(fake_clips, out, job=FakeJob(str(log_dir)))
    assert len(calls(log_dir)) == 1 and (folder / "done.json").exists()
    assert not (out / ".gait-batch/tmp/leftover.1234").exists()


def test_two_batches_cannot_share_an_output_folder(fake_clips: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "out")
    store.prepare()
    with store.lock():
        in_flight = store.tmp_dir / "clip.1234"  # the running batch's clip being committed
        in_flight.mkdir()
        with pytest.raises(OutputFolderError, match="Another 'gait batch' is writing to"):
            run_batch(fake_clips, tmp_path / "out", job=FakeJob())
        assert in_flight.exists()


def test_workers_that_cannot_start_are_one_error(fake_clips: Path, tmp_path: Path) -> None:
    from tests.batch._unimportable import UnimportableJob

    with pytest.raises(WorkerStartError, match="Batch worker processes cannot start"):
        run_batch(fake_clips, tmp_path / "out", job=UnimportableJob())


def test_output_inside_the_input_folder_is_not_scanned(fake_clips: Path) -> None:
    out = fake_clips / "results"
    run_batch(fake_clips, out, job=FakeJob())
    clip_file(out, "clips/x/overlay.mp4", cadence=1.0)
    assert run_batch(fake_clips, out, job=FakeJob()).total == 5
    shutil.rmtree(out)


_CTRL_C_SCRIPT = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
from gait.batch import run_batch
from tests.batch._jobs import FakeJob
try:
    run_batch(sys.argv[1], sys.argv[2], job=FakeJob(sys.argv[3]), workers=2)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_ctrl_c_in_a_terminal_stops_cleanly_and_the_rerun_continues(
    tmp_path: Path, log_dir: Path
) -> None:
    """SIGINT to the whole process group, as a terminal sends it: workers ignore it, the driver stops."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / "clips"
    for i in range(4):
        clip_file(root, f"c{i}.mp4", cadence=160.0 + i, sleep=0.8)
    out = tmp_path / "out"
    args = [sys.executable, "-c", _CTRL_C_SCRIPT, str(root), str(out), str(log_dir)]
    proc = subprocess.Popen(
        args,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not list((out / "clips").glob("*/done.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    record = json.loads((out / "batch.json").read_text())
    assert record["status"] == "interrupted" and 1 <= record["counts"]["done"] < 4
    assert list((out / ".gait-batch/tmp").iterdir()) == []
    finished = set(pd.read_parquet(out / "clips.parquet")["path"])

    (log_dir / "calls.log").unlink()
    summary = run_batch(root, out, job=FakeJob(str(log_dir)), workers=2)
    assert sorted(calls(log_dir)) == sorted({f"c{i}.mp4" for i in range(4)} - finished)
    assert (summary.done + summary.skipped, summary.failed) == (4, 0)


def test_an_engine_error_mid_run_keeps_the_finished_clips(fake_clips: Path, tmp_path: Path) -> None:
    def broken(event: BatchEvent) -> None:
        if event.kind == "clip":
            raise RuntimeError("cluster lost")

    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="cluster lost"):
        run_batch(fake_clips, out, job=FakeJob(), workers=1, progress=broken)
    record = json.loads((out / "batch.json").read_text())
    assert record["status"] == "interrupted"
    assert record["stopped_by"] == "RuntimeError: cluster lost"
    assert record["counts"]["done"] + record["counts"]["failed"] == 1
    assert run_batch(fake_clips, out, job=FakeJob()).skipped == record["counts"]["done"]
