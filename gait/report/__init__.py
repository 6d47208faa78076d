"""Report stage: report.json (the contract), steps.csv, report.html and overlay.mp4."""

from gait.report._json import SCHEMA_FILE, SCHEMA_VERSION, build_report, write_steps_csv
from gait.report.html import render_html, write_html

__all__ = [
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "build_report",
    "render_html",
    "write_html",
    "write_steps_csv",
]
