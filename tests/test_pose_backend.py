"""The litert pose backend sees the same runner as MediaPipe on the sample clip (real models)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

import cv2  # noqa: E402

from gait.errors import ConfigError  # noqa: E402
from gait.pose import PoseParams, resolve_model  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "treadmill_side_male_30fps_portrait.mp4"
N_FRAMES = 30


def _frames(n: int) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(SAMPLE))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while len(frames) < n:
        ok, bgr = cap.read()
        assert ok, "sample clip too short"
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames, fps


def _run(landmarker, frames: list[np.ndarray], fps: float) -> np.ndarray:
    return np.array([landmarker.detect(f, round(i * 1000.0 / fps))[0][0] for i, f in enumerate(frames)])


@pytest.fixture(scope="module")
def both() -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    from gait.pose._litert import LiteRTLandmarker
    from gait.pose._mediapipe import Landmarker, native_logs_silenced

    frames, fps = _frames(N_FRAMES)
    path = resolve_model("full").path
    with native_logs_silenced(), Landmarker(path) as mp_lm:
        ref = _run(mp_lm, frames, fps)
    lt = LiteRTLandmarker(path, num_threads=1)
    new = _run(lt, frames, fps)
    raw = _run(LiteRTLandmarker(path, num_threads=1, smooth=False), frames, fps)
    h, w = frames[0].shape[:2]
    return ref, new, raw, (w, h)


def _px(a: np.ndarray, b: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.hypot((a[..., 0] - b[..., 0]) * size[0], (a[..., 1] - b[..., 1]) * size[1])


@pytest.mark.model
def test_litert_landmarks_match_mediapipe(both) -> None:
    ref, new, _, size = both
    assert np.isfinite(ref[:, :, 0]).all() and np.isfinite(new[:, :, 0]).all(), "both find the runner in every frame"
    d = _px(ref, new, size)
    # first frame: detector + ROI + landmark model + heatmap refinement, before tracking or smoothing
    assert np.median(d[0]) < 1.5
    # whole run, tracked and smoothed: within MediaPipe's own jitter (a body is ~900 px tall here);
    # a wrong anchor, ROI rotation, projection or filter gives tens of px
    assert np.median(d) < 4.0
    assert np.percentile(d, 90) < 15.0
    assert np.median(np.abs(ref[..., 2] - new[..., 2])) < 0.02  # visibility


@pytest.mark.model
def test_litert_matches_mediapipe_frame_by_frame_without_tracking() -> None:
    """Detector, ROI, warp, landmark model, heatmap refinement and projection on every frame alone.

    MediaPipe in IMAGE mode runs the detector on each frame and neither tracks nor smooths, so
    this isolates the per-frame computation from the tracking loop (which amplifies any small
    difference: see tests/benchmarks/speed.py --jitter). Measured on the sample: 0.45 px median.
    """
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from gait.pose._litert import LiteRTLandmarker
    from gait.pose._mediapipe import native_logs_silenced

    frames, _ = _frames(10)
    path = resolve_model("full").path
    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)), running_mode=vision.RunningMode.IMAGE, num_poses=1
    )
    ref = np.full((len(frames), 33, 2), np.nan)
    with native_logs_silenced(), vision.PoseLandmarker.create_from_options(opts) as landmarker:
        for i, f in enumerate(frames):
            result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(f)))
            ref[i] = [(p.x, p.y) for p in result.pose_landmarks[0]]
    lt = LiteRTLandmarker(path, num_threads=1, smooth=False)
    new = []
    for i, f in enumerate(frames):
        lt._roi = None  # no tracking: the detector on every frame, as IMAGE mode
        new.append(lt.detect(f, i * 33)[0][0, :, :2])
    h, w = frames[0].shape[:2]
    d = _px(ref, np.array(new), (w, h))
    assert np.median(d) < 1.0
    assert np.median(d[:, :11]) < 0.5  # the face: refined from the heatmap, sharply located


def test_heatmap_refinement_truncates_like_mediapipe() -> None:
    """A landmark just left of the crop (x = -0.005) is refined, as MediaPipe's C++ int cast does."""
    from gait.pose._litert import LiteRTLandmarker

    heat = np.full((64, 64, 2), -10.0, dtype=np.float32)
    heat[10, 2, 0] = heat[20, 30, 1] = 10.0  # one confident cell per landmark
    lm = np.array([[-0.005, 10.5 / 64, 0, 0, 0], [-0.02, 20.5 / 64, 0, 0, 0]], dtype=np.float64)
    LiteRTLandmarker._refine(lm, heat)
    assert lm[0, 0] == pytest.approx(2 / 64, abs=1e-3)  # column 0 after truncation: the kernel reaches column 2
    assert lm[1, 0] == -0.02  # outside (column -1 after truncation): left as is


@pytest.mark.model
def test_litert_smoothing_brings_it_closer_to_mediapipe(both) -> None:
    ref, new, raw, size = both
    assert np.median(_px(ref, new, size)) < np.median(_px(ref, raw, size))


def test_litert_backend_is_one_person_only() -> None:
    with pytest.raises(ConfigError, match="one person"):
        PoseParams(backend="litert", num_poses=2)
    with pytest.raises(ConfigError, match="Unknown pose backend"):
        PoseParams(backend="onnx")
