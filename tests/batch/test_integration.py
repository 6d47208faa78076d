"""The batch engine with the real pipeline (``gait.pipeline.run_analysis``).

- Pose tracks (``.nc``: no inference) plus broken files, on the local engine and on a real local Ray
  runtime (identical tables), and resumed after an interruption.
- End to end (``model`` marker): the sample clip and the shared clips plus broken files, through
  MediaPipe, on both engines, identical tables.

Skipped while the analysis stages (``gait.events``, ``gait.metrics``) cannot be imported.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.batch._compare import assert_same_tables
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK, SHARED_CLIPS, TEST_DATA

pytest.importorskip("gait.events", reason="the events stage (gait.events) cannot be imported yet")
pytest.importorskip(
    "gait.metrics", reason="the metrics stage (gait.metrics) cannot be imported yet"
)

from gait.batch import BatchEvent, PipelineJob, run_batch

#: Ground truth of the sample clip (samples/README.md): 168.75 steps/min.
SAMPLE_CADENCE_SPM = 168.75
TRACKS = {
    "treadmill": SAMPLE_TRACK,
    "rot90": TEST_DATA / "treadmill_side_male_30fps_rot90meta.track.nc",
    "walker": TEST_DATA / "sports2d_demo_two_people_vp9.track.nc",
}
SHARED = (
    "treadmill_side_male_30fps_rot90meta.mp4",
    "iphone4s_portrait_rot90_wall_noperson.mov",
    "sports2d_demo_two_people_vp9.mp4",
)


def _broken_files(folder: Path) -> list[Path]:
    """An empty video, text saved as .mp4, a truncated MP4 and a .nc that is not a track."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "text_as.mp4").write_text("this is a text file, not a video\n")
    (folder / "truncated.mp4").write_bytes(SAMPLE_CLIP.read_bytes()[:300_000])
    (folder / "garbage.track.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    return sorted(folder.iterdir())


@pytest.fixture(scope="module")
def track_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tracks")
    broken = _broken_files(root / "broken")
    rows = ["path,subject,session,height_cm"]
    rows += [f"{p},S01,{name},178" for name, p in TRACKS.items()]
    rows += [f"broken/{p.name},S09,," for p in broken]
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root / "manifest.csv"


@pytest.fixture(scope="module")
def local_tracks(track_manifest: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    summary = run_batch(track_manifest, out, job=PipelineJob(video=False), workers=2)
    assert (summary.total, summary.done, summary.failed) == (7, 3, 4)
    return out


def test_tracks_and_broken_files_on_the_local_engine(local_tracks: Path) -> None:
    clips = pd.read_parquet(local_tracks / "clips.parquet").set_index("session")
    assert list(clips.index) == ["treadmill", "rot90", "walker"]
    for session in ("treadmill", "rot90"):
        row = clips.loc[session]
        assert row["running"] and row["view"] == "side_left"
        assert row["cadence_spm"] == pytest.approx(SAMPLE_CADENCE_SPM, abs=3.0)
        assert row["cadence_spm_confidence"] in {"high", "medium", "low"}
        assert row["n_steps"] > 20 and row["height_cm"] == 178.0
    assert not clips.loc["walker", "running"] and pd.isna(clips.loc["walker", "cadence_spm"])
    flag_columns = [c for c in clips.columns if c.startswith("flag_")]
    assert flag_columns and all(str(clips[c].dtype) == "boolean" for c in flag_columns)
    for session, row in clips.iterrows():
        fired = {c.removeprefix("flag_") for c in flag_columns if row[c] is True}
        assert fired == set(filter(None, row["flags"].split(";"))), session
    assert pd.isna(clips.loc["treadmill", "flag_pelvic_drop"])  # not assessed in a side view

    steps = pd.read_parquet(local_tracks / "steps.parquet")
    assert steps.groupby("session", sort=False).size().to_dict() == {
        s: n for s, n in clips["n_steps"].items() if n
    }
    assert {"clip_id", "path", "subject", "session", "foot", "contact_time_s"} <= set(steps.columns)
    metrics = pd.read_parquet(local_tracks / "metrics.parquet")
    assert {"cadence_spm", "contact_time_s"} <= set(metrics["metric"])

    failures = pd.read_csv(local_tracks / "failures.csv").set_index("path")
    assert list(failures.index) == [
        f"broken/{n}" for n in ("empty.mp4", "garbage.track.nc", "text_as.mp4", "truncated.mp4")
    ]
    assert set(failures["error_type"]) <= {"VideoReadError", "InvalidTrackError"}
    assert failures.loc["broken/garbage.track.nc", "error_type"] == "InvalidTrackError"
    for reason in failures["reason"]:
        assert "\n" not in reason and "Traceback" not in reason and reason.endswith(".")

    folder = local_tracks / clips.loc["treadmill", "clip_folder"]
    assert {
        "report.json",
        "report.html",
        "steps.csv",
        "track.nc",
        "steps.parquet",
        "done.json",
    } <= {p.name for p in folder.iterdir()}
    assert not (folder / "overlay.mp4").exists()  # --no-video
    report = json.loads((folder / "report.json").read_text())
    assert report["metrics"]["cadence_spm"]["value"] == clips.loc["treadmill", "cadence_spm"]
    record = json.loads((local_tracks / "batch.json").read_text())
    assert record["config"]["pose"]["workers"] == 1 and record["versions"]["gait"]


@pytest.mark.ray
def test_tracks_on_ray_give_identical_tables(
    ray_runtime, track_manifest: Path, local_tracks: Path, tmp_path: Path
) -> None:
    summary = run_batch(
        track_manifest, tmp_path / "ray", job=PipelineJob(video=False), engine="ray"
    )
    assert (summary.done, summary.failed) == (3, 4)
    assert_same_tables(local_tracks, tmp_path / "ray")


def test_interrupted_real_batch_resumes_to_the_same_tables(
    track_manifest: Path, local_tracks: Path, tmp_path: Path
) -> None:
    seen: list[str] = []

    def stop_after_two(event: BatchEvent) -> None:
        if event.kind == "clip":
            seen.append(event.path)
            if len(seen) == 2:
                raise KeyboardInterrupt

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            track_manifest, out, job=PipelineJob(video=False), workers=2, progress=stop_after_two
        )
    assert json.loads((out / "batch.json").read_text())["status"] == "interrupted"
    rerun: list[str] = []
    summary = run_batch(
        track_manifest,
        out,
        job=PipelineJob(video=False),
        workers=2,
        progress=lambda e: rerun.append(e.path) if e.kind == "clip" else None,
    )
    assert not set(rerun) & set(seen) and len(rerun) == 7 - 2  # only the missing clips ran
    assert summary.done + summary.skipped + summary.failed == 7
    assert_same_tables(local_tracks, out)


@pytest.mark.model
@pytest.mark.ray
def test_videos_end_to_end_on_both_engines(ray_runtime, tmp_path: Path) -> None:
    """The sample clip, the shared clips that are present, and broken files.

    About 30 s on 2 cores each (no overlay videos).
    """
    root = tmp_path / "clips"
    root.mkdir()
    shutil.copy(SAMPLE_CLIP, root / SAMPLE_CLIP.name)
    present = [n for n in SHARED if (SHARED_CLIPS / n).exists()]
    for name in present:
        shutil.copy(SHARED_CLIPS / name, root / name)
    _broken_files(root / "broken")
    (root / "broken/garbage.track.nc").unlink()  # a folder scan takes videos only

    local = run_batch(root, tmp_path / "local", workers=2, job=PipelineJob(video=False))
    on_ray = run_batch(root, tmp_path / "ray", engine="ray", job=PipelineJob(video=False))
    assert_same_tables(tmp_path / "local", tmp_path / "ray")

    assert local.total == 1 + len(present) + 3 and local.failed >= 3
    clips = pd.read_parquet(tmp_path / "local/clips.parquet").set_index("path")
    sample = clips.loc[SAMPLE_CLIP.name]
    assert sample["cadence_spm"] == pytest.approx(SAMPLE_CADENCE_SPM, abs=3.0)
    failures = pd.read_csv(tmp_path / "local/failures.csv").set_index("path")
    assert set(
        failures.loc[
            ["broken/empty.mp4", "broken/text_as.mp4", "broken/truncated.mp4"], "error_type"
        ]
    ) == {"VideoReadError"}
    if "iphone4s_portrait_rot90_wall_noperson.mov" in present:
        assert failures.loc["iphone4s_portrait_rot90_wall_noperson.mov", "error_type"] in {
            "NoPersonError",
            "ClipTooShortError",
        }
    if "treadmill_side_male_30fps_rot90meta.mp4" in present:  # rotation metadata honoured
        rot = clips.loc["treadmill_side_male_30fps_rot90meta.mp4"]
        assert rot["cadence_spm"] == pytest.approx(SAMPLE_CADENCE_SPM, abs=3.0)
    assert on_ray.done == local.done


def test_exports_are_written_per_clip_and_asked_again_on_resume(
    track_manifest: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = run_batch(track_manifest, out, job=PipelineJob(video=False), workers=1)
    assert first.done == 3
    # the same batch asked for exports: each done clip is redone for the outputs it lacks
    again = run_batch(
        track_manifest, out, job=PipelineJob(video=False, exports=("cycles", "trc")), workers=1
    )
    assert again.done == 3
    clips = pd.read_parquet(out / "clips.parquet").set_index("session")
    for session in ("treadmill", "rot90"):
        folder = out / clips.loc[session, "clip_folder"]
        cycles = pd.read_parquet(folder / "cycles.parquet")
        assert set(cycles["percent"]) == set(range(101)) and len(cycles["step"].unique()) > 20
        assert (folder / "markers.trc").read_text().startswith("PathFileType")
