"""MediaPipe PoseLandmarker (BlazePose GHUM) in VIDEO mode: the only module that imports mediapipe."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ INFO logs off the terminal

import mediapipe as mp  # noqa: E402
from mediapipe.tasks.python import BaseOptions, vision  # noqa: E402

from gait.pose._native import native_logs_silenced  # noqa: E402

N_LANDMARKS = 33

__all__ = ["N_LANDMARKS", "Landmarker", "mediapipe_version", "native_logs_silenced"]


class Landmarker:
    """One PoseLandmarker in VIDEO mode (it tracks the person between frames).

    Use as a context manager so the native graph is closed (otherwise its destructor prints a
    traceback at interpreter exit).

    Parameters
    ----------
    model_path
        A verified ``.task`` bundle (see :func:`gait.pose._models.resolve_model`).
    num_poses
        Largest number of people returned per frame; 1 is about twice as fast as 2.
    min_detection_confidence, min_presence_confidence, min_tracking_confidence
        MediaPipe's thresholds in [0, 1]; tracking below ``min_tracking_confidence`` triggers a new
        detection.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=False,
        )
        self.num_poses = num_poses
        with native_logs_silenced():
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._last_ms = -1

    def __enter__(self) -> Landmarker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._landmarker is not None:
            with native_logs_silenced():
                self._landmarker.close()
            self._landmarker = None

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """Landmarks of the people in one upright RGB frame.

        Returns
        -------
        image, world
            ``(num_poses, 33, 3)`` arrays, NaN-padded: ``image`` holds normalised x, y in [0, 1] of
            the frame (+y down) and visibility; ``world`` holds x, y, z in metres (hip-centred).
        """
        ts = max(int(timestamp_ms), self._last_ms + 1)  # VIDEO mode needs strictly increasing times
        self._last_ms = ts
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self._landmarker.detect_for_video(image, ts)
        out = np.full((self.num_poses, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        world = np.full((self.num_poses, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        for p, landmarks in enumerate(result.pose_landmarks[: self.num_poses]):
            out[p] = [(lm.x, lm.y, lm.visibility if lm.visibility is not None else np.nan) for lm in landmarks]
        for p, landmarks in enumerate(result.pose_world_landmarks[: self.num_poses]):
            world[p] = [(lm.x, lm.y, lm.z) for lm in landmarks]
        return out, world


def mediapipe_version() -> str:
    return str(getattr(mp, "__version__", "unknown"))
