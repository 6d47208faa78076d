"""Validation sources: pose tracks with exact ground truth attached.

:mod:`gait.validate.mocap` turns the RBDS treadmill motion capture (Fukuchi RK, Fukuchi CA,
Duarte M. PeerJ 5:e3298, 2017, doi:10.7717/peerj.3298, CC BY 4.0) into the pose tracks a video of
the same run would give, with the force-plate contacts as ground truth::

    trial = load_trial(data_dir, "RBDS001_runT25")
    track, truth = trial.to_track(view="side_left", fps=60, seed=1)
"""

from gait.validate.camera import VIEWS, CameraClip, VirtualCamera, project_to_camera
from gait.validate.harness import (
    cohen_kappa,
    format_validation_table,
    match_events,
    run_event_validation,
)
from gait.validate.mocap import (
    MarkerData,
    MocapDataError,
    MocapTrial,
    list_trials,
    load_landmarks,
    load_trial,
    read_events,
    read_markers,
)
from gait.validate.rear import format_rear_table, run_rear_validation
from gait.validate.truth import GroundTruth

__all__ = [
    "VIEWS",
    "CameraClip",
    "GroundTruth",
    "MarkerData",
    "MocapDataError",
    "MocapTrial",
    "VirtualCamera",
    "cohen_kappa",
    "format_rear_table",
    "format_validation_table",
    "list_trials",
    "load_landmarks",
    "load_trial",
    "match_events",
    "project_to_camera",
    "read_events",
    "read_markers",
    "run_event_validation",
    "run_rear_validation",
]
