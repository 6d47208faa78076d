"""Pose stage: MediaPipe BlazePose landmarks of the runner in every frame of a clip."""

from gait.pose._models import MODELS, ModelFile, models_dir, resolve_model
from gait.pose._orient import (
    ROTATIONS_DEG,
    Orientation,
    RotatedClipError,
    check_rotation,
    orientation_from_landmarks,
    rotate_frame,
    rotated_size,
    rotation_advice,
    track_orientation,
)
from gait.pose._run import PoseParams, estimate_pose

__all__ = [
    "MODELS",
    "ROTATIONS_DEG",
    "ModelFile",
    "Orientation",
    "PoseParams",
    "RotatedClipError",
    "check_rotation",
    "estimate_pose",
    "models_dir",
    "orientation_from_landmarks",
    "resolve_model",
    "rotate_frame",
    "rotated_size",
    "rotation_advice",
    "track_orientation",
]
