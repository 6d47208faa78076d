"""Pose stage: MediaPipe BlazePose landmarks of the runner in every frame of a clip."""

from gait.pose._models import MODELS, ModelFile, models_dir, resolve_model
from gait.pose._run import PoseParams, estimate_pose

__all__ = ["MODELS", "ModelFile", "PoseParams", "estimate_pose", "models_dir", "resolve_model"]
