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
def test_litert_smoothing_brings_it_closer_to_mediapipe(both) -> None:
    ref, new, raw, size = both
    assert np.median(_px(ref, new, size)) < np.median(_px(ref, raw, size))


def test_litert_backend_is_one_person_only() -> None:
    with pytest.raises(ConfigError, match="one person"):
        PoseParams(backend="litert", num_poses=2)
    with pytest.raises(ConfigError, match="Unknown pose backend"):
        PoseParams(backend="onnx")
