"""Validation sources: pose tracks with exact ground truth attached.

:mod:`gait.validate.mocap` turns the RBDS treadmill motion capture (Fukuchi RK, Fukuchi CA,
Duarte M. PeerJ 5:e3298, 2017, doi:10.7717/peerj.3298, CC BY 4.0) into the pose tracks a video of
the same run would give, with the force-plate contacts as ground truth::

    trial = load_trial(data_dir, "RBDS001_runT25")
    track, truth = trial.to_track(view="side_left", fps=60, seed=1)

:mod:`gait.validate.errors` gives such tracks MediaPipe's real failure modes (leg-label episodes,
correlated jitter, dropouts) at severities 0-3::

    track, truth, episodes, true_px = film(trial, fps=60, severity=2, seed=1)
"""

from gait.validate.camera import VIEWS, CameraClip, VirtualCamera, project_to_camera
from gait.validate.errors import (
    SEVERITIES,
    PoseErrorModel,
    apply_pose_errors,
    film,
    label_error_fraction,
)
from gait.validate.harness import (
    cohen_kappa,
    format_robust_table,
    format_validation_table,
    match_events,
    run_event_validation,
    run_robust_validation,
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
    "SEVERITIES",
    "VIEWS",
    "CameraClip",
    "GroundTruth",
    "MarkerData",
    "MocapDataError",
    "MocapTrial",
    "PoseErrorModel",
    "VirtualCamera",
    "apply_pose_errors",
    "cohen_kappa",
    "film",
    "format_rear_table",
    "format_robust_table",
    "format_validation_table",
    "label_error_fraction",
    "list_trials",
    "load_landmarks",
    "load_trial",
    "match_events",
    "project_to_camera",
    "read_events",
    "read_markers",
    "run_event_validation",
    "run_rear_validation",
    "run_robust_validation",
]
