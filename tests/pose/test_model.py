"""The real MediaPipe model on real clips (marked ``model``: a few seconds each)."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import numpy as np
import pytest

from gait.errors import ModelFileError, NoPersonError
from gait.pose import PoseParams, estimate_pose, resolve_model
from gait.track import load_track
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK, SHARED, TEST_DATA, shared_clip
from tests.video.conftest import write_clip

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def sample_two_workers():
    return estimate_pose(SAMPLE_CLIP, PoseParams(workers=2))


def _lower_body_distance_px(a, b) -> np.ndarray:
    keys = [k for k in a["keypoint"].values if k.endswith(("hip", "knee", "ankle", "heel", "foot_index"))]
    pa = a["position"].sel(keypoint=keys).values
    pb = b["position"].sel(keypoint=keys).values
    return np.linalg.norm(pa - pb, axis=-1)


def test_runner_found_in_every_frame_and_matches_the_cached_track(sample_two_workers) -> None:
    """Two processes (the default on long clips) give the committed one-process track's landmarks."""
    track = sample_two_workers
    assert track.sizes["time"] == 360
    assert int(track["detected"].sum()) == 360
    assert track.attrs["model_name"] == "full"
    assert track.attrs["image_width_px"] == 720 and track.attrs["image_height_px"] == 1280
    np.testing.assert_allclose(track["time"].values, np.arange(360) / 30, atol=1e-6)
    cached = load_track(SAMPLE_TRACK)
    d = _lower_body_distance_px(track, cached)
    assert np.nanmedian(d) < 1.0  # the fixture is what the model gives today
    assert np.nanmedian(d[:180]) < 0.01  # first half: same process layout, deterministic


def test_rotated_twin_gives_the_same_landmarks() -> None:
    """The committed tracks of the upright clip and of its rotation-metadata twin agree."""
    upright = load_track(SAMPLE_TRACK)
    rotated = load_track(TEST_DATA / "treadmill_side_male_30fps_rot90meta.track.nc")
    assert rotated.attrs["rotation_deg"] == 90
    d = np.linalg.norm(upright["position"].values - rotated["position"].values, axis=-1)
    assert np.nanmedian(d) < 5.0
    assert np.nanmedian(_lower_body_distance_px(upright, rotated)) < 6.0


def test_rotated_twin_inference(tmp_path: Path) -> None:
    """Real inference on the rotated file: upright landmarks (feet below hips) in every frame."""
    track = estimate_pose(shared_clip("treadmill_side_male_30fps_rot90meta.mp4"), PoseParams(workers=1))
    assert int(track["detected"].sum()) == 360
    heel_y = track["position"].sel(keypoint="left_heel", space="y")
    hip_y = track["position"].sel(keypoint="left_hip", space="y")
    assert bool((heel_y > hip_y).all())  # y down: feet below hips, so the frames were turned upright
    cached = load_track(TEST_DATA / "treadmill_side_male_30fps_rot90meta.track.nc")
    assert np.nanmedian(_lower_body_distance_px(track, cached)) < 0.01


def test_no_person_clip_raises_a_clear_error() -> None:
    with pytest.raises(NoPersonError, match=r"No person was found .* \(0 of 66 frames\)"):
        estimate_pose(shared_clip("iphone4s_portrait_rot90_wall_noperson.mov"))


def test_missing_and_corrupt_model_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAIT_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelFileError, match="missing"):
        resolve_model("full")
    good = resolve_model.__globals__["MODELS"]["full"]
    data = bytearray((Path(__file__).resolve().parents[2] / "models" / good.filename).read_bytes())
    data[1000] ^= 0xFF
    (tmp_path / good.filename).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupt or of another version"):
        resolve_model("full")
    with pytest.raises(ModelFileError, match="Unknown pose model"):
        resolve_model("medium")


def test_heavy_model_runs_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    heavy = SHARED / "models" / "pose_landmarker_heavy.task"
    if not heavy.exists():
        pytest.skip("heavy model not available")
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(heavy, models / heavy.name)
    monkeypatch.setenv("GAIT_MODELS_DIR", str(models))
    import av

    with av.open(str(SAMPLE_CLIP)) as src:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(range(30), src.decode(video=0), strict=False)]
    clip = write_clip(tmp_path / "short.mp4", frames)
    track = estimate_pose(clip, PoseParams(model="heavy", workers=1))
    assert track.attrs["model_name"] == "heavy"
    assert int(track["detected"].sum()) >= 28
    cached = load_track(SAMPLE_TRACK).isel(time=slice(0, 30))
    # a different network, the same runner: lower-body landmarks within a few percent of body height
    assert np.nanmedian(_lower_body_distance_px(track, cached)) < 20


def test_one_worker_with_progress_runs_in_this_process_and_counts_every_frame() -> None:
    clip = shared_clip("side_overground_passby_30fps_openpose_overlay.mp4")
    calls: list[tuple[int, int]] = []
    children: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        children.append(len(multiprocessing.active_children()))

    track = estimate_pose(clip, PoseParams(workers=1), progress=progress)
    assert calls and max(children) == 0  # no worker process was started
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == calls[-1][1] == track.sizes["time"]
    assert bool(track["detected"].values.any())


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import av

    with av.open(str(SAMPLE_CLIP)) as src:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(range(60), src.decode(video=0), strict=False)]
    return write_clip(tmp_path_factory.mktemp("clip") / "short60.mp4", frames)


def test_meanwhile_runs_once_in_the_calling_thread_while_the_model_runs(short_clip: Path) -> None:
    """The caller's start-up work overlaps inference: after the model loaded, before the frames are done."""
    import sys
    import threading

    calls: list[tuple[int, bool, bool]] = []

    def meanwhile() -> None:
        pose_threads = [t for t in threading.enumerate() if t.name.startswith("gait-pose-")]
        running = bool(pose_threads) and all(t.is_alive() for t in pose_threads)
        calls.append((threading.get_ident(), "gait.pose._mediapipe" in sys.modules, running))

    track = estimate_pose(short_clip, PoseParams(workers=1), meanwhile=meanwhile)
    assert calls == [(threading.get_ident(), True, True)]
    assert "gait.track" in sys.modules  # the pose stage's own wait imports it
    assert int(track["detected"].sum()) >= 58


def test_an_error_in_meanwhile_is_raised_once_the_chunks_have_ended(short_clip: Path) -> None:
    import threading

    def meanwhile() -> None:
        raise KeyError("broken start-up")

    with pytest.raises(KeyError, match="broken start-up"):
        estimate_pose(short_clip, PoseParams(workers=2), meanwhile=meanwhile)
    assert not [t for t in threading.enumerate() if t.name.startswith("gait-pose-")]


def test_the_pose_stage_keeps_grey_frames_unless_told_and_pictures_only_when_asked(short_clip: Path) -> None:
    import gait.video._kept as kept
    from gait.video import kept_grey, kept_pictures, probe_video

    meta = probe_video(short_clip)
    kept._PICTURES.clear()
    kept._KEPT.clear()
    estimate_pose(short_clip, PoseParams(workers=1), keep_grey=False)  # what `gait pose` asks
    assert kept_grey(meta, 0, meta.n_frames) is None
    estimate_pose(short_clip, PoseParams(workers=1))
    assert kept_pictures(meta, 960) is None and kept_grey(meta, 0, meta.n_frames) is not None
    estimate_pose(short_clip, PoseParams(workers=1), keep_pictures_px=960)
    pictures = kept_pictures(meta, 960)
    assert pictures is not None and len(list(pictures)) == meta.n_frames
