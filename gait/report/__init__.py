"""Report stage: report.json (the contract), steps.csv, report.html and overlay.mp4."""

from gait.report._json import (
    SCHEMA_FILE,
    SCHEMA_VERSION,
    build_report,
    build_session_report,
    quality_notes,
    write_steps_csv,
)
from gait.report.html import render_html, write_html

__all__ = [
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "build_report",
    "build_session_report",
    "quality_notes",
    "render_html",
    "write_html",
    "write_steps_csv",
]
