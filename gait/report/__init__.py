"""Report stage: the typed :class:`GaitReport` (its ``to_dict`` is report.json), steps.csv, report.html, overlay."""

from gait.report._json import (
    SCHEMA_FILE,
    SCHEMA_VERSION,
    build_report,
    build_session_report,
    quality_notes,
    write_steps_csv,
)
from gait.report._model import (
    ClipInfo,
    EventCorrections,
    EventRow,
    FatigueReport,
    FlagEntry,
    FootStrikeEntry,
    FrozenMap,
    GaitReport,
    HandEvent,
    MetricEntry,
    NotFlaggedEntry,
    Provenance,
    ViewEntry,
    ViewProvenance,
)
from gait.report.html import render_html, write_html

__all__ = [
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "ClipInfo",
    "EventCorrections",
    "EventRow",
    "FatigueReport",
    "FlagEntry",
    "FootStrikeEntry",
    "FrozenMap",
    "GaitReport",
    "HandEvent",
    "MetricEntry",
    "NotFlaggedEntry",
    "Provenance",
    "ViewEntry",
    "ViewProvenance",
    "build_report",
    "build_session_report",
    "quality_notes",
    "render_html",
    "write_html",
    "write_steps_csv",
]
