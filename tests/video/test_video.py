"""Video in: containers and codecs, true timestamps, slow motion, duplicates, rotation, bad files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import numpy as np
import pytest

from gait.errors import ConfigError, VideoReadError
from gait.video import iter_frames, probe_video
from tests.conftest import SAMPLE_CLIP, shared_clip
from tests.video.conftest import moving_frames, write_clip


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("h264.mp4", "libx264"),
        ("h264.mov", "libx264"),
        ("hevc.mkv", "libx265"),
        ("vp9.webm", "libvpx-vp9"),
        ("mpeg4.avi", "mpeg4"),
        ("h264.mkv", "libx264"),
    ],
)
def test_containers_and_codecs_decode_every_frame(clip_factory, name: str, codec: str) -> None:
    path = clip_factory(name, n=12, codec=codec)
    meta = probe_video(path)
    frames = list(iter_frames(meta))
    assert meta.n_frames == 12
    assert [f.index for f in frames] == list(range(12))
    assert frames[0].rgb.shape == (96, 160, 3)
    assert frames[0].rgb.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(12) / 30, atol=1e-3)
    # the moving square is where it was drawn (the codec kept the picture)
    col = int(np.argmax(frames[5].rgb[40, :, 0]))
    assert 4 + 15 <= col <= 4 + 15 + 19


def test_variable_frame_rate_uses_true_timestamps(clip_factory) -> None:
    times = np.cumsum([0, 0.030, 0.036, 0.033, 0.050, 0.028, 0.033, 0.033, 0.040, 0.030])
    meta = probe_video(clip_factory("vfr.mp4", n=10, times_s=list(times)))
    np.testing.assert_allclose(meta.frame_times_s, times, atol=2e-4)
    assert meta.variable_frame_rate
    got = [f.time_s for f in iter_frames(meta)]
    np.testing.assert_allclose(got, times, atol=2e-4)


def test_slowmo_factor_scales_times_to_real_world_seconds(clip_factory) -> None:
    path = clip_factory("slow.mp4", n=10)
    meta = probe_video(path, slowmo_factor=8)
    assert meta.slowmo_factor == 8
    assert meta.fps == pytest.approx(240, rel=1e-3)
    assert meta.frame_times_s[-1] == pytest.approx(9 / 240, abs=1e-4)


def test_slowmo_capture_rate_from_phone_metadata(clip_factory) -> None:
    path = clip_factory(
        "android_slowmo.mp4",
        n=10,
        container_metadata={"com.android.capture.fps": "240.000000"},
        options={"movflags": "use_metadata_tags"},
    )
    meta = probe_video(path)
    assert meta.capture_fps == pytest.approx(240)
    assert meta.slowmo_factor == pytest.approx(8)
    assert meta.fps == pytest.approx(240, rel=1e-3)
    # an explicit factor wins over metadata
    assert probe_video(path, slowmo_factor=1).fps == pytest.approx(30, rel=1e-3)


def test_duplicated_frames_are_flagged(tmp_path: Path) -> None:
    frames = moving_frames(10)
    frames[6] = frames[5].copy()  # a frame repeated by a frame-rate converter
    frames[7] = frames[5].copy()
    meta = probe_video(write_clip(tmp_path / "dup.mp4", frames, options={}))
    flags = [f.duplicate for f in iter_frames(meta)]
    assert flags == [False] * 6 + [True, True] + [False] * 2


def test_seek_gives_the_same_frames_as_sequential_decoding() -> None:
    meta = probe_video(SAMPLE_CLIP)
    sequential = {f.index: f.rgb for f in iter_frames(meta, stop=215)}
    seeked = list(iter_frames(meta, start=200, stop=215))
    assert [f.index for f in seeked] == list(range(200, 215))
    for f in seeked:
        np.testing.assert_array_equal(f.rgb, sequential[f.index])


def test_rotation_metadata_is_applied() -> None:
    rotated = probe_video(shared_clip("treadmill_side_male_30fps_rot90meta.mp4"))
    upright = probe_video(SAMPLE_CLIP)
    assert rotated.rotation_deg == 90
    assert (rotated.width_px, rotated.height_px) == (720, 1280) == (upright.width_px, upright.height_px)
    a = next(iter_frames(rotated, start=100, stop=101)).rgb.astype(int)
    b = next(iter_frames(upright, start=100, stop=101)).rgb.astype(int)
    assert np.abs(a - b).mean() < 4  # same picture up to re-encoding (a wrong turn gives ~50)


def test_downscaling_keeps_aspect_and_orientation() -> None:
    meta = probe_video(SAMPLE_CLIP)
    frame = next(iter_frames(meta, stop=1, max_long_side_px=640))
    assert frame.rgb.shape == (640, 360, 3)


# --- bad input: one VideoReadError with a one-sentence message ---------------------------------


def _one_sentence(msg: str) -> bool:
    return msg.endswith(".") and msg.count(". ") == 0 and "\n" not in msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoReadError, match="does not exist") as err:
        probe_video(tmp_path / "nope.mp4")
    assert _one_sentence(str(err.value))


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoReadError, match="empty") as err:
        probe_video(tmp_path / "empty.mp4")
    assert _one_sentence(str(err.value))


def test_text_file_is_not_a_video(tmp_path: Path) -> None:
    (tmp_path / "notes.mp4").write_text("these are not the frames you are looking for\n" * 50)
    with pytest.raises(VideoReadError, match="not a readable video"):
        probe_video(tmp_path / "notes.mp4")


def test_random_bytes_are_not_a_video(tmp_path: Path) -> None:
    (tmp_path / "noise.mov").write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    with pytest.raises(VideoReadError):
        probe_video(tmp_path / "noise.mov")


def test_audio_only_file(tmp_path: Path) -> None:
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        for i in range(20):
            samples = (0.1 * np.sin(np.arange(1024) * 0.05 + i)).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 44100
            frame.pts = i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with pytest.raises(VideoReadError, match="no video stream") as err:
        probe_video(path)
    assert "audio" in str(err.value)


def test_truncated_file_without_index(tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(SAMPLE_CLIP.read_bytes()[: SAMPLE_CLIP.stat().st_size // 2])
    with pytest.raises(VideoReadError, match="corrupt, truncated"):
        probe_video(cut)


def test_truncated_file_with_index_at_the_front(tmp_path: Path) -> None:
    """A 'fast start' MP4 keeps its index when cut, so frames are listed but their data is gone."""
    src = write_clip(tmp_path / "long.mp4", moving_frames(90), options={"movflags": "faststart"})
    cut = tmp_path / "cut_faststart.mp4"
    cut.write_bytes(src.read_bytes()[: int(src.stat().st_size * 0.5)])
    with pytest.raises(VideoReadError, match="truncated: its index lists 90 frames"):
        probe_video(cut)


def _fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "pipe.mp4")
    return tmp_path / "pipe.mp4"


def _loop(tmp_path: Path) -> Path:
    (tmp_path / "a.mp4").symlink_to(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").symlink_to(tmp_path / "a.mp4")
    return tmp_path / "a.mp4"


def _dangling(tmp_path: Path) -> Path:
    (tmp_path / "link.mp4").symlink_to(tmp_path / "gone.mp4")
    return tmp_path / "link.mp4"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (_fifo, "is a named pipe (FIFO), not a video file"),
        (lambda _: Path("/dev/zero"), "is a character device (like /dev/zero), not a video file"),
        (lambda _: Path("/proc/self/status"), "is not a regular file (a system file of no fixed size"),
        (_loop, "is a symbolic-link loop"),
        (_dangling, "gone.mp4', which does not exist"),
    ],
    ids=["fifo", "dev-zero", "proc-file", "link-loop", "dangling-link"],
)
def test_paths_that_are_not_regular_files_say_what_they_are(tmp_path: Path, make, match: str) -> None:
    """These were all reported as 'empty (0 bytes)' or 'does not exist'; a FIFO is never opened."""
    path = make(tmp_path)
    if not path.exists() and not path.is_symlink():
        pytest.skip(f"{path} is not on this system")
    with pytest.raises(VideoReadError, match=re.escape(match)) as err:
        probe_video(path)
    assert "empty" not in str(err.value) and _one_sentence(str(err.value))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_says_permission_denied(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "locked.mp4", moving_frames(5))
    path.chmod(0)
    with pytest.raises(VideoReadError, match="cannot be read \\(permission denied\\)"):
        probe_video(path)


def test_directory_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(VideoReadError, match="folder"):
        probe_video(tmp_path)


@pytest.mark.parametrize("factor", [0, -1, 0.5, float("nan"), float("inf"), 1e9])
def test_slowmo_factor_outside_the_bounds_is_refused(factor: float) -> None:
    with pytest.raises(ConfigError, match="slow-motion factor .* (outside the range|not a finite number)") as err:
        probe_video(SAMPLE_CLIP, slowmo_factor=factor)
    assert "from 1 to 64" in str(err.value) and _one_sentence(str(err.value))


def test_real_phone_file_rotation_and_irregular_timestamps() -> None:
    meta = probe_video(shared_clip("iphone4s_portrait_rot90_wall_noperson.mov"))
    assert meta.rotation_deg == 90
    assert (meta.width_px, meta.height_px) == (320, 568)
    assert meta.n_frames == 66
    d = np.diff(meta.frame_times_s)
    assert d.min() == pytest.approx(1 / 30, abs=1e-3) and d.max() == pytest.approx(0.035, abs=1e-3)
