"""A following (panning) camera through the pipeline: measured on the video, removed, reported.

End to end on synthetic pans of the bundled treadmill sample (:mod:`tests.video.panning`): the
sample's cached landmarks, moved by the same window as the pixels, stand in for the pose stage
(no inference), and the pipeline measures the camera's motion on the encoded clip. On a treadmill
the ground frame is the room's, so the cadence must stay the static clip's and the report must say
the camera moved. The running speed is checked on the mocap harness's following camera, whose
speed is the treadmill's.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from gait.config import AnalysisConfig
from gait.errors import ConfigError, InvalidTrackError
from gait.metrics import SPEED_BODY_HEIGHTS, SPEED_M, speed_metrics
from gait.notes import QualityNote
from gait.pipeline import analyze_track
from gait.pipeline._analyze import camera_motion, source_video
from gait.report import GaitReport
from gait.track import clean_track, clip_view, from_numpy, load_track
from gait.track._ground_frame import body_height_px, from_ground_frame, to_ground_frame
from gait.video._egomotion import estimate_camera_motion
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK, SHARED
from tests.video.panning import OUT_SIZE_PX, pan_geometry, write_panned_clip

SCHEMA = Path(__file__).resolve().parents[1] / "gait" / "report" / "report.schema.json"
MOCAP = SHARED / "data" / "mocap"
N_FRAMES = 150  # 5 s at 30 fps: about 14 steps of the sample


def _shot(tmp: Path, kind: str) -> tuple[Path, object]:
    """A synthetic shot and the sample's landmarks in its pixels, as the pose stage would give them."""
    geometry = pan_geometry(N_FRAMES, kind=kind, period_frames=40.0)
    clip = write_panned_clip(tmp / f"{kind}.mp4", SAMPLE_CLIP, geometry)
    sample = load_track(SAMPLE_TRACK)
    pos = geometry.track_positions(sample["position"].values[:N_FRAMES].astype(np.float64))
    track = from_numpy(
        pos,
        sample["confidence"].values[:N_FRAMES],
        sample["time"].values[:N_FRAMES],
        image_size_px=OUT_SIZE_PX,
    )
    track.attrs.update(source_format="mediapipe", source_path=str(clip))
    return clip, track


@pytest.fixture(scope="module")
def analyses(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("panning_pipeline")
    out = {}
    for kind in ("static", "pan", "handheld"):
        clip, track = _shot(tmp, kind)
        out[kind] = (clip, track, analyze_track(track, AnalysisConfig(height_cm=175.0)))
    return out


def _note(report: GaitReport, code: str) -> QualityNote | None:
    return next((q for q in report.quality if q.code == code), None)


def test_a_static_shot_is_analysed_as_before(analyses: dict) -> None:
    _, track, analysis = analyses["static"]
    assert _note(analysis.report, "camera_moved") is None
    assert SPEED_BODY_HEIGHTS not in analysis.report.metrics
    assert "camera_moved" not in analysis.track.attrs
    assert camera_motion(track) is None  # the quick check found the camera still


@pytest.mark.parametrize("kind", ["pan", "handheld"])
def test_a_panned_treadmill_clip_keeps_its_cadence_and_says_the_camera_moved(analyses: dict, kind: str) -> None:
    _, track, analysis = analyses[kind]
    _, _, still = analyses["static"]
    report = analysis.report
    jsonschema.validate(report.to_dict(), json.loads(SCHEMA.read_text()))
    cadence = report.metric_value("cadence_spm")
    assert cadence == pytest.approx(168.0, abs=4.0)
    assert cadence == pytest.approx(still.report.metric_value("cadence_spm"), abs=1.5)
    note = _note(report, "camera_moved")
    assert note is not None and "body heights" in note.message and "tripod level with the hips" in note.message
    shift_bh = float(analysis.track.attrs["camera_max_shift_body_heights"])
    assert 0.05 < shift_bh < 1.0 and f"{shift_bh:.1f} body heights" in note.message
    # a treadmill: the runner stays in place in the room, so no speed, and a note says why
    speed = report.metrics[SPEED_BODY_HEIGHTS]
    assert speed.value is None and speed.note is not None and "treadmill" in speed.note
    assert report.metric_value(SPEED_M) is None
    # the saved track stays in image pixels; the cleaned one is mapped back into them (the overlay)
    assert "camera_motion" not in analysis.track.attrs
    np.testing.assert_array_equal(analysis.track["position"].values, track["position"].values)
    assert "camera_maps" not in analysis.cleaned.attrs
    raw = track["position"].values
    gap = np.linalg.norm(analysis.cleaned["position"].values - raw, axis=2)
    assert np.nanmedian(gap) < 3.0
    # in the ground frame (the room) the pelvis stands still, in the image it moves with the pan
    ground = to_ground_frame(track, camera_motion(track).arrays())
    hips = ["left_hip", "right_hip"]
    image_x = track["position"].sel(keypoint=hips, space="x").mean("keypoint").values
    ground_x = ground["position"].sel(keypoint=hips, space="x").mean("keypoint").values
    assert np.nanstd(ground_x) < 0.5 * np.nanstd(image_x)


def test_a_track_whose_video_is_gone_is_analysed_in_image_pixels(analyses: dict, tmp_path: Path) -> None:
    _, track, _ = analyses["pan"]
    moved = track.copy(deep=False)
    moved.attrs = {**track.attrs, "source_path": str(tmp_path / "gone.mp4"), "camera_moved": 1}
    assert source_video(moved) is None
    analysis = analyze_track(moved)
    assert _note(analysis.report, "camera_moved") is None  # no compensation, so no claim of one
    assert "camera_moved" not in analysis.track.attrs
    changed = moved.copy(deep=False)
    changed.attrs = {**track.attrs, "source_sha256": "0" * 64}
    assert source_video(changed) is None


@pytest.mark.skipif(not (MOCAP / "events").is_dir(), reason=f"mocap data not found at {MOCAP}")
def test_pelvis_speed_of_a_following_shot_on_the_harness() -> None:
    from gait.events import detect_events
    from gait.validate import list_trials, load_trial
    from gait.validate.passby import film_passby

    trial = load_trial(MOCAP, list_trials(MOCAP)[0])
    follow = film_passby(trial, fps=30.0, seed=2, start_s=1.5, camera="follow")
    view = clip_view(follow.track)
    ground = clean_track(to_ground_frame(follow.track, follow.camera_motion()), view=view)
    events = detect_events(ground, view=view)
    assert events.ground_motion == "overground"
    # the pelvis crosses the ground frame at the treadmill's speed, in the camera's pixels per metre
    true_px_s = follow.speed_m_s * float(follow.track.attrs["image_width_px"]) / follow.field_m
    t = ground["time"].values.astype(float)
    for track, lo, hi in ((ground, 0.97, 1.03), (clean_track(follow.track, view=view), 0.0, 0.3)):
        x = track["position"].sel(keypoint=["left_hip", "right_hip"], space="x").mean("keypoint").values
        ok = np.isfinite(x)
        v = abs(np.polyfit(t[ok], x[ok], 1)[0])
        assert lo * true_px_s <= v <= hi * true_px_s  # uncompensated, the pelvis barely moves
    # the harness's markers stop at the pelvis: no body height, so no speed, and the note says why
    metrics = speed_metrics(ground, events.ground_motion, height_cm=100.0 * trial.stature_m)
    assert metrics[SPEED_M].value is None and "body height is unknown" in metrics[SPEED_M].note


def test_running_speed_metric_of_a_runner_crossing_the_ground_frame() -> None:
    """A runner carried forward at a known speed gives that speed, in body heights/s and in m/s.

    The sample's treadmill runner, moved forward as if overground in the ground frame.
    """
    sample = load_track(SAMPLE_TRACK).isel(time=slice(0, 150))
    bh = body_height_px(sample)
    speed_bh_s = 1.6  # a jog: 2.8 m/s for a 1.75 m runner
    t = sample["time"].values.astype(float)
    moved = sample.copy(deep=True)
    moved["position"].values[..., 0] -= (speed_bh_s * bh * (t - t[0]))[:, None].astype(np.float32)
    metrics = speed_metrics(moved, "overground", height_cm=175.0)
    m = metrics[SPEED_BODY_HEIGHTS]
    assert m.value == pytest.approx(speed_bh_s, rel=0.02) and m.unit == "body_heights/s"
    assert m.confidence == "low" and 0.05 * speed_bh_s <= m.uncertainty < 0.2 * speed_bh_s
    assert metrics[SPEED_M].value == pytest.approx(speed_bh_s * 1.75, rel=0.02)
    assert speed_metrics(moved, "treadmill")[SPEED_BODY_HEIGHTS].value is None
    short = speed_metrics(moved.isel(time=slice(0, 8)), "overground")[SPEED_BODY_HEIGHTS]
    assert short.value is None and "film the runner for longer" in short.note


def test_bad_inputs_get_one_sentence(analyses: dict) -> None:
    clip, track, _ = analyses["pan"]
    with pytest.raises(InvalidTrackError, match="not in the ground frame"):
        from_ground_frame(track)
    with pytest.raises(ConfigError, match="step must be a whole number"):
        estimate_camera_motion(clip, track, step=0)


def test_the_quick_check_sees_the_pan(analyses: dict) -> None:
    clip, track, _ = analyses["pan"]
    quick = estimate_camera_motion(clip, track, step=5, max_side_px=240)
    full = estimate_camera_motion(clip, track)
    assert quick.moved and np.array_equal(quick.frame, np.arange(0, N_FRAMES, 5))
    # the quick fit's frames agree with the full estimate's to within a couple of pixels
    centre = np.array([(OUT_SIZE_PX[0] - 1) / 2, (OUT_SIZE_PX[1] - 1) / 2, 1.0])
    err = np.linalg.norm(quick.to_reference @ centre - full.to_reference[quick.frame] @ centre, axis=1)
    assert np.median(err) < 2.0


def test_outputs_of_a_panned_clip_keep_the_track_in_image_pixels(analyses: dict, tmp_path: Path) -> None:
    from gait.pipeline import write_outputs

    _, track, analysis = analyses["pan"]
    paths = write_outputs(analysis, tmp_path, video=False)
    saved = load_track(paths["track"])
    assert "camera_motion" not in saved.attrs and int(saved.attrs["camera_moved"]) == 1
    np.testing.assert_allclose(saved["position"].values, track["position"].values, atol=1e-3)
    report = json.loads(paths["report"].read_text())
    assert any(q["code"] == "camera_moved" for q in report["quality"])
    # analysed again from the saved track (its video still there), the camera is measured again
    again = analyze_track(saved, AnalysisConfig(height_cm=175.0))
    assert _note(again.report, "camera_moved") is not None
    assert again.report.metric_value("cadence_spm") == pytest.approx(
        report["metrics"]["cadence_spm"]["value"], abs=0.01
    )


def test_the_quick_check_from_the_pose_stage_s_kept_frames_sees_the_same_pan(analyses: dict) -> None:
    """Frames kept while the pose stage decodes (gait.video.grey_keeper) replace a second decode."""
    from gait.video import grey_keeper, iter_frames, kept_grey, probe_video

    clip, track, _ = analyses["pan"]
    meta = probe_video(clip)
    decoded = estimate_camera_motion(clip, track, step=5, max_side_px=240)
    keep = grey_keeper(meta)
    for frame in iter_frames(meta):  # what the pose stage sees
        keep(frame.index, frame.rgb)
    assert kept_grey(meta, 0, meta.n_frames) is not None
    kept = estimate_camera_motion(clip, track, step=5, max_side_px=240)
    assert kept.moved and np.array_equal(kept.frame, decoded.frame)
    centre = np.array([(OUT_SIZE_PX[0] - 1) / 2, (OUT_SIZE_PX[1] - 1) / 2, 1.0])
    err = np.linalg.norm(kept.to_reference @ centre - decoded.to_reference @ centre, axis=1)
    assert np.median(err) < 1.0 and abs(kept.max_shift_px - decoded.max_shift_px) < 0.05 * decoded.max_shift_px
