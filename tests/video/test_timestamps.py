"""Timestamps that give no trustworthy frame times are refused with what is wrong.

Not "truncated", not half the clip; codec reordering, edit lists that trim a clip and small repeats are not
refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gait.errors import VideoReadError
from gait.video import iter_frames, probe_video
from tests.video.conftest import joined_segments, moving_frames, mux_packets, write_clip

FRAME = 2000  # one frame at 30 fps, in the 1/60000 s units of mux_packets


def _one_sentence(msg: str) -> bool:
    return msg.endswith(".") and ". " not in msg and "\n" not in msg


def test_two_joined_recordings_are_refused_not_read_as_one_half(tmp_path: Path) -> None:
    """Two MPEG-TS segments concatenated (184 frames were read as 92 frames, 3.1 s, no note)."""
    path = joined_segments(tmp_path / "joined.mp4", n_per_segment=46)
    with pytest.raises(VideoReadError, match=r"jump back by 1\.5\d s after frame 46 of 92 \(two recordings") as err:
        probe_video(path)
    assert "truncated" not in str(err.value) and _one_sentence(str(err.value))


def test_an_mp4_whose_timestamps_restart_is_not_called_truncated(tmp_path: Path) -> None:
    frames = moving_frames(30, 64, 64) + moving_frames(30, 64, 64, seed=1)
    pts = [(i % 30) * FRAME for i in range(60)]
    path = mux_packets(tmp_path / "restart.mp4", frames, pts, dts=[i - 100 for i in range(60)])
    with pytest.raises(VideoReadError, match=r"jump back by 0\.97 s after frame 30 of 60") as err:
        probe_video(path)
    assert "truncated" not in str(err.value)


def test_many_repeated_timestamps_are_refused(tmp_path: Path) -> None:
    """120 frames, 49 of them sharing a timestamp (was: 'index lists 120 frames but only 71')."""
    pts = [(i * 71 // 120) * FRAME + 1000 for i in range(120)]
    path = mux_packets(tmp_path / "repeats.mp4", moving_frames(120, 64, 64), pts, dts=list(range(120)))
    with pytest.raises(VideoReadError, match="gives 49 of its 120 frames the same timestamp") as err:
        probe_video(path)
    assert "truncated" not in str(err.value) and _one_sentence(str(err.value))


def test_one_repeated_timestamp_is_dropped_as_before(tmp_path: Path) -> None:
    pts = [i * FRAME for i in range(40)]
    pts[20] = pts[19]  # one frame repeats the previous frame's time
    path = mux_packets(tmp_path / "one_repeat.mkv", moving_frames(40, 64, 64), pts)
    assert probe_video(path).n_frames == 39


def test_a_long_gap_in_the_timestamps_is_refused(tmp_path: Path) -> None:
    times = [i / 30 for i in range(30)] + [60 + i / 30 for i in range(30)]
    path = write_clip(tmp_path / "gap.mkv", moving_frames(60, 64, 64), times_s=times)
    with pytest.raises(VideoReadError, match=r"has a 59\.0 s gap in its timestamps after frame 30 of 60") as err:
        probe_video(path)
    assert _one_sentence(str(err.value))


def test_dropped_frames_are_not_a_gap(tmp_path: Path) -> None:
    times = [i / 30 for i in range(30)] + [1.5 + i / 30 for i in range(30)]  # 0.5 s without frames
    meta = probe_video(write_clip(tmp_path / "drop.mp4", moving_frames(60, 64, 64), times_s=times))
    assert meta.n_frames == 60 and meta.variable_frame_rate


@pytest.mark.parametrize(
    ("name", "codec"),
    [("bframes.ts", "libx264"), ("bframes.mp4", "libx264"), ("bframes.mkv", "libx264"), ("bframes.avi", "mpeg4")],
)
def test_b_frame_reordering_is_not_a_jump_back(tmp_path: Path, name: str, codec: str) -> None:
    import av

    path = tmp_path / name
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.codec_context.options = {"bf": "3"} if codec == "libx264" else {"bf": "2"}
        for i, img in enumerate(moving_frames(45, 64, 64)):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    meta = probe_video(path)
    assert meta.n_frames == 45 and sum(1 for _ in iter_frames(meta)) == 45
    np.testing.assert_allclose(np.diff(meta.frame_times_s), 1 / 30, atol=1e-3)


def test_frames_an_edit_list_hides_are_not_truncation(tmp_path: Path) -> None:
    """A trimmed clip: its first 10 frames precede time 0 and are hidden by the MP4 edit list."""
    pts = [(i - 10) * FRAME for i in range(40)]
    path = mux_packets(tmp_path / "trimmed.mp4", moving_frames(40, 64, 64), pts)
    meta = probe_video(path)
    assert meta.n_frames == 30 and meta.frame_times_s[0] == 0.0
    assert [f.index for f in iter_frames(meta)] == list(range(30))
