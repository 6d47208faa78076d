"""Gait events: initial contact (IC) and toe-off (TO) of each foot, from a side- or rear-view pose track.

events = detect_events(clean_track(track))
events.table        # foot, type, frame, time_s, confidence
events.running      # False for walking, jumping, standing, un-corrected slow motion
"""

from gait.events._checks import cadence_spm, fitted_cadence_spm
from gait.events._detect import DETECTOR, detect_events
from gait.events._rear import REAR_DETECTOR
from gait.events._template import Template, build_template, default_bandwidth_s
from gait.events._types import EVENT_COLUMNS, LOW_FPS_HZ, EventParams, GaitEvents, GroundLine

__all__ = [
    "DETECTOR",
    "EVENT_COLUMNS",
    "LOW_FPS_HZ",
    "REAR_DETECTOR",
    "EventParams",
    "GaitEvents",
    "GroundLine",
    "Template",
    "build_template",
    "cadence_spm",
    "default_bandwidth_s",
    "detect_events",
    "fitted_cadence_spm",
]
