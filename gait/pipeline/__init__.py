"""The one pipeline the CLI, the web app and the batch engine call.

``video -> pose -> track (view, clean) -> events -> metrics -> flags -> report``: data flows one
way; each stage is a package with pure functions, and this package only composes them (the view
read right after pose picks each stage's method from :mod:`gait.pipeline._views`), merges views
into a session and writes files.

    session, paths = run_analysis("clip.mp4", "out/")          # one view
    session, paths = run_analysis(["side.mp4", "rear.mp4"], "out/")   # a side and a rear clip
"""

from gait.errors import GaitError
from gait.pipeline._analyze import (
    MIN_ANALYSIS_S,
    Prepared,
    Progress,
    analyze,
    analyze_clip,
    analyze_track,
    as_specs,
    load_source,
    prepare,
)
from gait.pipeline._corrections import HAND_EVENT_COLUMNS, read_events_csv, reanalyze_with_events
from gait.pipeline._session import assign_roles, assign_views, merge_session, merge_views, role_configs
from gait.pipeline._tools import (
    MODEL_NAMES,
    bids_label,
    export_file_names,
    is_track_path,
    knee_flexion_cycle,
    load_stored_track,
    model_status,
    pose_clip,
    warm_up,
    write_bids_motion,
)
from gait.pipeline._types import Analysis, Session
from gait.pipeline._views import REGISTRY, ViewMethods, methods_for
from gait.pipeline._write import run_analysis, write_outputs, write_session_exports


def check_export_formats(formats: "list[str] | tuple[str, ...]") -> tuple[str, ...]:
    """The export formats asked for, checked before any work (:func:`gait.export.check_formats`)."""
    from gait.export import check_formats

    return check_formats(formats)


__all__ = [
    "Analysis",
    "GaitError",
    "HAND_EVENT_COLUMNS",
    "MIN_ANALYSIS_S",
    "MODEL_NAMES",
    "Prepared",
    "Progress",
    "REGISTRY",
    "Session",
    "ViewMethods",
    "analyze",
    "analyze_clip",
    "analyze_track",
    "as_specs",
    "assign_roles",
    "assign_views",
    "bids_label",
    "check_export_formats",
    "export_file_names",
    "is_track_path",
    "knee_flexion_cycle",
    "load_source",
    "load_stored_track",
    "merge_session",
    "merge_views",
    "methods_for",
    "model_status",
    "pose_clip",
    "prepare",
    "read_events_csv",
    "reanalyze_with_events",
    "role_configs",
    "run_analysis",
    "warm_up",
    "write_bids_motion",
    "write_outputs",
    "write_session_exports",
]
