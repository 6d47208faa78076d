"""Pose tracks: the one data model between the pose stage and the analysis stages."""

from gait.track._io import load_track, save_track
from gait.track._model import PoseTrack, from_numpy, validate_track
from gait.track.clean import CleanParams, clean_track
from gait.track.view import TrackView, detect_view, given_view

__all__ = [
    "CleanParams",
    "PoseTrack",
    "TrackView",
    "clean_track",
    "detect_view",
    "given_view",
    "from_numpy",
    "load_track",
    "save_track",
    "validate_track",
]
