"""Frame-rate-converted exports (repeated or blended pictures) and playback speed that changes.

Test clips are made from the bundled treadmill sample (first 3.5 s, downscaled to 320 px, x264):
every picture shown 4 times, cross-faded 2x and 4x, and normal speed followed by 4x repeats. The
thresholds were set on these; the pass-by clip of ../shared (read there, blended into a temporary
file) is the held-out check.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from gait.video import (
    classify_frames,
    frame_changes,
    iter_frames,
    mark_new_frames,
    probe_video,
    speed_change_message,
    speed_segments,
)
from tests.conftest import shared_clip
from tests.video.conftest import blend_frames, repeat_frames, sample_frames, write_clip


def _one_sentence(msg: str) -> bool:
    return msg.endswith(".") and ". " not in msg and "\n" not in msg


def test_every_picture_repeated_4_times_keeps_one_frame_in_4_at_the_true_times(tmp_path: Path, sample_pictures) -> None:
    """A 30 fps recording exported at 4x slow motion by repeating images, factor given.

    The new pictures are the original frames, at the original 30 fps times (the issue had half the cadence).
    """
    pictures = sample_pictures[:40]
    path = write_clip(tmp_path / "rep4.mp4", repeat_frames(pictures, 4))
    meta = mark_new_frames(probe_video(path, slowmo_factor=4))
    assert meta.frame_conversion == "repeated" and meta.new_frames is not None
    assert np.array_equal(np.flatnonzero(meta.new_frames), np.arange(0, 160, 4))
    assert meta.n_new_frames == 40 and meta.fps == pytest.approx(30, rel=1e-3)
    frames = list(iter_frames(meta))
    assert [f.index for f in frames] == list(range(0, 160, 4))
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(40) / 30, atol=1e-4)
    assert not any(f.duplicate for f in frames)
    for f, original in zip(frames[::10], pictures[::10], strict=False):
        assert np.abs(f.rgb.astype(int) - original).mean() < 4  # the picture itself, re-encoded
    # the frames between are still there for whoever asks
    assert len(list(iter_frames(meta, new_frames_only=False))) == 160


@pytest.mark.parametrize("k", [2, 4])
def test_cross_faded_pictures_keep_the_originals(tmp_path: Path, sample_pictures, k: int) -> None:
    pictures = sample_pictures[:30]
    path = write_clip(tmp_path / f"blend{k}.mp4", blend_frames(pictures, k))
    meta = mark_new_frames(probe_video(path, slowmo_factor=k))
    assert meta.frame_conversion == "blended" and meta.new_frames is not None
    assert np.array_equal(np.flatnonzero(meta.new_frames), np.arange(0, 29 * k + 1, k))
    assert meta.fps == pytest.approx(30, rel=1e-3)
    frames = list(iter_frames(meta, start=k * 10, stop=k * 20))
    assert [f.index for f in frames] == list(range(k * 10, k * 20, k))
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(10, 20) / 30, atol=1e-4)


def test_an_ordinary_clip_is_left_alone(tmp_path: Path, sample_pictures) -> None:
    path = write_clip(tmp_path / "plain.mp4", sample_pictures[:60])
    meta = probe_video(path)
    changes = frame_changes(meta)
    found = classify_frames(changes)
    assert found.conversion is None and found.new.all() and found.frames_per_new == 1
    marked = mark_new_frames(meta, changes)
    assert marked is meta and marked.new_frames is None
    assert len(list(iter_frames(marked))) == 60


def test_smooth_high_frame_rate_motion_is_not_taken_for_cross_fades(tmp_path: Path) -> None:
    """Sub-pixel motion between frames (true 240 fps footage): every frame stays new.

    It makes every frame look like a blend of its neighbours, but on no grid.
    """
    yy, xx = np.mgrid[0:96, 0:160].astype(np.float32)
    frames = []
    for i in range(80):
        cx, cy = 30 + 1.2 * i, 48 + 6 * np.sin(i / 9)
        blob = 200 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 8.0**2))
        frames.append(np.repeat(np.clip(30 + blob, 0, 255).astype(np.uint8)[..., None], 3, axis=2))
    changes = frame_changes(probe_video(write_clip(tmp_path / "hfps.mp4", frames)))
    assert np.nanmedian(changes.blend_residual) < 0.45  # each frame looks like a blend ...
    found = classify_frames(changes)
    assert found.conversion is None and found.new.all()  # ... but not in a converter's pattern


def test_held_out_blends_of_the_overground_pass_by(tmp_path: Path) -> None:
    """Another clip (side view overground, 1080p, runner crossing the frame), blended 4x.

    The originals are found wherever the picture changed (the clip is read from ../shared; the blended copy
    lives in a temporary folder).
    """
    pictures = sample_frames(40, start=10, clip=shared_clip("side_overground_passby_30fps_openpose_overlay.mp4"))
    meta = mark_new_frames(probe_video(write_clip(tmp_path / "passby_blend4.mp4", blend_frames(pictures, 4))))
    assert meta.frame_conversion == "blended" and meta.new_frames is not None
    # the clip itself shows one picture twice (source frames 15 and 16): that repeat is no new picture
    changed = [True] + [np.abs(b.astype(int) - a).mean() > 0.5 for a, b in itertools.pairwise(pictures)]
    assert sum(changed) == 39
    assert np.array_equal(np.flatnonzero(meta.new_frames), 4 * np.flatnonzero(changed))


def test_a_speed_change_part_way_splits_the_clip(tmp_path: Path, sample_pictures) -> None:
    """2 s at normal speed, then 1.5 s of footage with every picture shown 4 times.

    A phone edit ramping to 1/4 speed: two stretches, the change at 2.0 s, the second at ~1/4 the speed.
    """
    frames = sample_pictures[:60] + repeat_frames(sample_pictures[60:105], 4)
    path = write_clip(tmp_path / "ramp.mp4", frames)
    meta = probe_video(path)
    changes = frame_changes(meta)
    segments = speed_segments(changes.media_time_s, changes.change)
    assert len(segments) == 2
    assert abs(segments[1].start_frame - 60) <= 2 and segments[1].start_s == pytest.approx(2.0, abs=0.07)
    assert segments[0].relative_speed == 1 and 0.18 <= segments[1].relative_speed <= 0.32
    assert (segments[0].start_frame, segments[-1].stop_frame) == (0, len(frames))
    msg = speed_change_message(segments, str(path))
    assert msg is not None and _one_sentence(msg)
    assert "'ramp.mp4' slows down about 4x at 2.0 s" in msg and "trim the clip at that point" in msg
    # each stretch is classified on its own: the normal part keeps every frame
    marked = mark_new_frames(meta, changes, segments)
    assert marked.new_frames is not None
    new = np.flatnonzero(marked.new_frames)
    assert np.array_equal(new[:60], np.arange(60)) and np.all(np.diff(new[new > 64]) == 4)


def test_one_speed_gives_one_segment_and_no_message(tmp_path: Path, sample_pictures) -> None:
    changes = frame_changes(probe_video(write_clip(tmp_path / "one.mp4", sample_pictures)))
    segments = speed_segments(changes.media_time_s, changes.change)
    assert len(segments) == 1 and segments[0].relative_speed == 1
    assert speed_change_message(segments, "one.mp4") is None


def test_speed_segments_on_a_signal() -> None:
    t = np.arange(240) / 30
    change = np.r_[np.full(90, 8.0), np.full(60, 2.0), np.full(90, 8.0)] + np.random.default_rng(0).normal(0, 0.3, 240)
    segments = speed_segments(t, change)
    assert [s.start_frame for s in segments] == [0, 90, 150]
    assert [round(s.relative_speed, 1) for s in segments] == [1.0, 0.2, 1.0]
    msg = speed_change_message(segments, "x.mp4")
    assert msg is not None and "at 3.0 s (and 1 more time)" in msg
    # frames not to be trusted (the runner out of view) do not make a change
    valid = np.r_[np.ones(90, bool), np.zeros(60, bool), np.ones(90, bool)]
    assert len(speed_segments(t, change, valid=valid)) == 1
    # a 1.5x drift is not a speed change
    assert len(speed_segments(t, np.r_[np.full(120, 6.0), np.full(120, 4.0)])) == 1
    with pytest.raises(ValueError, match="same 1-D shape"):
        speed_segments(t, change[:-1])
    assert speed_segments(np.zeros(0), np.zeros(0)) == []
