"""Slow motion from phone metadata: the capture rate where phones store it, and who set the factor."""

from __future__ import annotations

import pytest

from gait.video import capture_fps_from_tags, probe_video, slowmo_from_capture, slowmo_note

# FFmpeg writes QuickTime 'mdta' keys only with movflags=use_metadata_tags, and only at container
# level: tags set on the video stream are not written to the MP4/MOV track (checked with PyAV 18 /
# FFmpeg 8), so track-level keys are tested on tag dictionaries below.
MDTA = {"movflags": "use_metadata_tags"}


def test_android_capture_rate_in_an_mp4_gives_the_factor(clip_factory) -> None:
    path = clip_factory("android.mp4", n=10, container_metadata={"com.android.capture.fps": "240.000000"}, options=MDTA)
    meta = probe_video(path)
    assert (meta.capture_fps, meta.slowmo_factor, meta.slowmo_source) == (240, 8, "metadata")
    assert meta.fps == pytest.approx(240, rel=1e-3)
    note = slowmo_note(meta)
    assert note is not None and note.code == "slowmo_from_metadata"
    assert "captured at 240 fps and played at 30 fps" in note.message and "--slowmo-factor 1" in note.message


def test_apple_capture_rate_in_a_mov_gives_the_factor(clip_factory) -> None:
    path = clip_factory("iphone.mov", n=10, container_metadata={"com.apple.quicktime.capture-fps": "120"}, options=MDTA)
    meta = probe_video(path)
    assert meta.container.startswith("mov") and meta.capture_fps == 120
    assert meta.slowmo_factor == pytest.approx(4) and meta.slowmo_source == "metadata"
    assert meta.frame_times_s[-1] == pytest.approx(9 / 120, abs=1e-4)


def test_an_explicit_factor_wins_and_a_disagreement_is_noted(clip_factory) -> None:
    path = clip_factory("android2.mp4", n=10, container_metadata={"com.android.capture.fps": "240"}, options=MDTA)
    meta = probe_video(path, slowmo_factor=2)
    assert (meta.slowmo_factor, meta.slowmo_source, meta.capture_fps) == (2, "given", 240)
    assert meta.fps == pytest.approx(60, rel=1e-3)
    note = slowmo_note(meta)
    assert note is not None and note.code == "slowmo_differs_from_metadata" and "(8:" in note.message
    assert slowmo_note(probe_video(path, slowmo_factor=8)) is None  # agrees: nothing to say


def test_a_capture_rate_equal_to_the_playback_rate_is_real_time(clip_factory) -> None:
    """A 240 fps phone original stored at 240 fps (or a normal clip tagged 30) plays in real time."""
    path = clip_factory("realtime.mp4", n=10, container_metadata={"com.android.capture.fps": "30.000000"}, options=MDTA)
    meta = probe_video(path)
    assert (meta.capture_fps, meta.slowmo_factor, meta.slowmo_source) == (30, 1, "none")
    assert slowmo_note(meta) is None
    plain = probe_video(clip_factory("plain.mp4", n=10))
    assert (plain.capture_fps, plain.slowmo_source) == (None, "none")


def test_capture_rate_tags_are_read_from_stream_then_container() -> None:
    stream = {"handler_name": "VideoHandler", "com.apple.quicktime.capture-fps": "240"}
    container = {"com.android.capture.fps": "120.000000"}
    assert capture_fps_from_tags(stream, container) == 120  # Android's key is preferred over Apple's
    assert capture_fps_from_tags(stream, {}) == 240  # a track-level Apple key
    assert capture_fps_from_tags({"COM.ANDROID.CAPTURE.FPS": "240"}) == 240  # any case
    assert capture_fps_from_tags({"com.apple.quicktime.capture-fps-eng": "120"}) == 120  # language suffix
    assert capture_fps_from_tags({"capture_fps": "240000/1001"}) == pytest.approx(239.76, abs=0.01)
    assert capture_fps_from_tags({"com.android.capture.fps": "30.0 fps"}) == 30


@pytest.mark.parametrize("value", ["", "abc", "0", "-240", "inf", "nan", "1/0", "1e9"])
def test_capture_rate_tags_that_are_not_a_rate_are_skipped(value: str) -> None:
    assert capture_fps_from_tags({"com.android.capture.fps": value}) is None
    assert capture_fps_from_tags({"com.android.capture.fps": value}, {"capture_fps": "120"}) == 120


def test_slowmo_from_capture() -> None:
    assert slowmo_from_capture(240, 30) == 8
    assert slowmo_from_capture(239.76, 29.97) == pytest.approx(8.0, abs=1e-3)
    assert slowmo_from_capture(240, 240) is None
    assert slowmo_from_capture(40, 30) is None  # 1.33: below the 1.5 needed to call it slow motion
    assert slowmo_from_capture(None, 30) is None
