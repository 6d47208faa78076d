"""Pose tracks: the one data model between the pose stage and the analysis stages."""

from gait.track._io import is_track_path, load_track, save_track
from gait.track._model import PoseTrack, from_numpy, track_fps, validate_track
from gait.track._rhythm import Rhythm, track_rhythm
from gait.track._tools import from_movement, landmark_for
from gait.track.clean import CleanParams, clean_track, clip_view
from gait.track.view import TrackView, detect_view, given_view

__all__ = [
    "CleanParams",
    "PoseTrack",
    "Rhythm",
    "TrackView",
    "clean_track",
    "clip_view",
    "detect_view",
    "from_movement",
    "from_numpy",
    "given_view",
    "is_track_path",
    "landmark_for",
    "load_track",
    "save_track",
    "track_fps",
    "track_rhythm",
    "validate_track",
]
