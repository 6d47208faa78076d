"""Pose tracks: the one data model between the pose stage and the analysis stages."""

from gait.track._model import PoseTrack, from_numpy, validate_track

__all__ = ["PoseTrack", "from_numpy", "validate_track"]
