"""The one pipeline the CLI, the web app and the batch engine call.

``video -> pose -> track (view, clean) -> events -> metrics -> flags -> report``: data flows one
way; each stage is a package with pure functions, and this package only composes them (the view
read right after pose picks each stage's method from :mod:`gait.pipeline._views`), merges views
into a session and writes files.

    session, paths = run_analysis("clip.mp4", "out/")          # one view
    session, paths = run_analysis(["side.mp4", "rear.mp4"], "out/")   # a side and a rear clip
"""

import importlib
from typing import TYPE_CHECKING, Any

from gait.errors import GaitError

if TYPE_CHECKING:
    from gait.export import bids_label, write_bids_motion
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
        export_file_names,
        is_track_path,
        knee_flexion_cycle,
        load_stored_track,
        model_status,
        pose_clip,
        warm_up,
    )
    from gait.pipeline._types import Analysis, Session
    from gait.pipeline._views import REGISTRY, ViewMethods, methods_for
    from gait.pipeline._write import run_analysis, write_outputs, write_session_exports

#: Where each public name lives; the submodule is imported on first use (PEP 562), so that
#: ``gait pose`` does not import the analysis stages (scipy.signal, matplotlib: about 1 s).
_LAZY: dict[str, str] = {
    "Analysis": "gait.pipeline._types",
    "analyze": "gait.pipeline._analyze",
    "analyze_clip": "gait.pipeline._analyze",
    "analyze_track": "gait.pipeline._analyze",
    "as_specs": "gait.pipeline._analyze",
    "assign_roles": "gait.pipeline._session",
    "assign_views": "gait.pipeline._session",
    "bids_label": "gait.export",
    "export_file_names": "gait.pipeline._tools",
    "HAND_EVENT_COLUMNS": "gait.pipeline._corrections",
    "is_track_path": "gait.pipeline._tools",
    "knee_flexion_cycle": "gait.pipeline._tools",
    "load_source": "gait.pipeline._analyze",
    "load_stored_track": "gait.pipeline._tools",
    "merge_session": "gait.pipeline._session",
    "merge_views": "gait.pipeline._session",
    "methods_for": "gait.pipeline._views",
    "MIN_ANALYSIS_S": "gait.pipeline._analyze",
    "MODEL_NAMES": "gait.pipeline._tools",
    "model_status": "gait.pipeline._tools",
    "pose_clip": "gait.pipeline._tools",
    "prepare": "gait.pipeline._analyze",
    "Prepared": "gait.pipeline._analyze",
    "Progress": "gait.pipeline._analyze",
    "read_events_csv": "gait.pipeline._corrections",
    "reanalyze_with_events": "gait.pipeline._corrections",
    "REGISTRY": "gait.pipeline._views",
    "role_configs": "gait.pipeline._session",
    "run_analysis": "gait.pipeline._write",
    "Session": "gait.pipeline._types",
    "ViewMethods": "gait.pipeline._views",
    "warm_up": "gait.pipeline._tools",
    "write_bids_motion": "gait.export",
    "write_outputs": "gait.pipeline._write",
    "write_session_exports": "gait.pipeline._write",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gait.pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
