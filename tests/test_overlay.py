"""The overlay video: every frame at its own time, upright, small, with the skeleton drawn where the landmarks are."""

from __future__ import annotations

import av
import numpy as np
import pytest

from gait.pipeline import analyze_track
from gait.report.overlay import OVERLAY_LONG_SIDE_PX, write_overlay
from gait.track import load_track
from gait.video import display_size, iter_frames, iter_scaled_frames, probe_video
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK, shared_clip


def test_scaled_frames_are_the_decoded_frames_made_small():
    meta = probe_video(SAMPLE_CLIP)
    width, height = display_size(meta, 480)
    assert max(width, height) <= 480 and width % 2 == 0 and height % 2 == 0
    full = {f.index: f for f in iter_frames(meta, stop=12)}
    small = [s for s in iter_scaled_frames(meta, 480) if s[0] in full]
    assert [s[0] for s in small] == sorted(full)
    for index, time_s, rgb in small:
        assert rgb.shape == (height, width, 3) and rgb.flags.c_contiguous
        assert time_s == pytest.approx(full[index].time_s)
        # the same picture: a coarse grey version of both agrees within a few grey levels
        big = full[index].rgb.astype(float)
        ky, kx = big.shape[0] // 8, big.shape[1] // 8
        coarse_big = big[: ky * 8, : kx * 8].reshape(8, ky, 8, kx, 3).mean(axis=(1, 3))
        sy, sx = rgb.shape[0] // 8, rgb.shape[1] // 8
        coarse_small = rgb[: sy * 8, : sx * 8].astype(float).reshape(8, sy, 8, sx, 3).mean(axis=(1, 3))
        assert np.abs(coarse_big - coarse_small).mean() < 4.0


def test_scaled_frames_are_upright_when_the_file_says_to_rotate():
    rotated = probe_video(shared_clip("treadmill_side_male_30fps_rot90meta.mp4"))
    assert rotated.rotation_deg in (90, 270)
    _, _, first = next(iter_scaled_frames(rotated, 320))
    reference = next(iter_frames(rotated, stop=1)).rgb  # iter_frames turns the picture upright
    assert first.shape[:2] == display_size(rotated, 320)[::-1]
    assert (first.shape[0] > first.shape[1]) == (reference.shape[0] > reference.shape[1])


def test_overlay_has_every_frame_at_its_time_and_the_skeleton_on_the_runner(tmp_path):
    analysis = analyze_track(load_track(SAMPLE_TRACK))
    out = write_overlay(SAMPLE_CLIP, analysis.cleaned, analysis.events.table, tmp_path / "overlay.mp4")
    meta = probe_video(SAMPLE_CLIP)
    width, height = display_size(meta, OVERLAY_LONG_SIDE_PX)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (width, height)
        frames = list(container.decode(stream))
    assert len(frames) == meta.n_frames
    times = np.array([float(f.pts * f.time_base) for f in frames])
    assert np.allclose(times, meta.frame_times_s - meta.frame_times_s[0], atol=1e-3)
    # where a landmark is drawn the overlay differs from the clip; far from the runner it does not
    k = 100
    drawn = frames[k].to_ndarray(format="rgb24").astype(float)
    plain = next(rgb for i, _, rgb in iter_scaled_frames(meta, OVERLAY_LONG_SIDE_PX) if i == k).astype(float)
    at = int(np.flatnonzero(analysis.cleaned["frame"].values == k)[0])
    row = analysis.cleaned.sel(keypoint="left_knee").isel(time=at)
    x, y = (row["position"].values * (width / meta.width_px, height / meta.height_px)).round().astype(int)
    near = np.abs(drawn[y - 4 : y + 5, x - 4 : x + 5] - plain[y - 4 : y + 5, x - 4 : x + 5]).mean()
    band = slice(height // 2 - 10, height // 2 + 10)
    corner = np.abs(drawn[band, :20] - plain[band, :20]).mean()
    assert near > 3 * corner + 10


def _sample_analysis():
    track = load_track(SAMPLE_TRACK)
    track.attrs["source_path"] = str(SAMPLE_CLIP)
    return analyze_track(track)


def test_overlay_encodes_beside_the_report_files_and_reports_its_progress_from_the_callers_thread(tmp_path):
    import threading

    from gait.pipeline import write_outputs

    calls: list[tuple[str, float, str]] = []
    paths = write_outputs(
        _sample_analysis(),
        tmp_path,
        progress=lambda stage, f: calls.append((stage, f, threading.current_thread().name)),
    )
    assert paths["overlay"].is_file() and paths["html"].is_file() and paths["report"].is_file()
    assert not list(tmp_path.glob("*.part.mp4"))
    video = [(f, name) for stage, f, name in calls if stage == "video"]
    assert video and video[-1][0] == pytest.approx(1.0)
    assert {name for _, name in video} == {threading.current_thread().name}  # never the overlay thread
    fractions = [f for f, _ in video]
    assert fractions == sorted(fractions)


def test_a_progress_callback_that_gives_up_stops_the_overlay_thread(tmp_path):
    import threading

    from gait.pipeline import write_outputs

    class GiveUp(BaseException):
        pass

    def progress(stage: str, fraction: float) -> None:
        if stage == "video" and fraction > 0:
            raise GiveUp

    with pytest.raises(GiveUp):
        write_outputs(_sample_analysis(), tmp_path, progress=progress)
    assert not (tmp_path / "overlay.mp4").exists()
    assert not [t for t in threading.enumerate() if t.name == "gait-overlay"]


def test_an_overlay_from_the_pictures_the_pose_stage_kept_matches_one_decoded_again(tmp_path):
    """A short clip's overlay is drawn from kept JPEGs (gait.video.picture_keeper), not a second decode."""
    import gait.video._kept as kept
    from gait.video import kept_pictures, picture_keeper

    kept._PICTURES.clear()
    analysis = analyze_track(load_track(SAMPLE_TRACK))
    meta = probe_video(SAMPLE_CLIP)
    decoded = write_overlay(SAMPLE_CLIP, analysis.cleaned, analysis.events.table, tmp_path / "decoded.mp4")
    keep = picture_keeper(meta, OVERLAY_LONG_SIDE_PX)
    for frame in iter_frames(meta):  # what the pose stage's decoding thread sees
        keep(frame.index, frame.rgb)
    assert kept_pictures(meta, OVERLAY_LONG_SIDE_PX) is not None
    from_kept = write_overlay(SAMPLE_CLIP, analysis.cleaned, analysis.events.table, tmp_path / "kept.mp4")
    with av.open(str(decoded)) as a, av.open(str(from_kept)) as b:
        da, db = list(a.decode(video=0)), list(b.decode(video=0))
    assert len(da) == len(db) == meta.n_frames
    assert [f.pts for f in da] == [f.pts for f in db]
    diff = np.array(
        [
            np.abs(x.to_ndarray(format="rgb24").astype(float) - y.to_ndarray(format="rgb24")).mean()
            for x, y in zip(da, db, strict=True)
        ]
    )
    # grey levels: a JPEG of an area scale against FFmpeg's fast bilinear, both under H.264; but not identical
    assert diff.mean() > 0 and diff.max() < 4.0
    # a picture missing (another clip, a changed file): the overlay decodes the clip again
    kept._PICTURES[next(iter(kept._PICTURES))].pop(5)
    assert kept_pictures(meta, OVERLAY_LONG_SIDE_PX) is None
