"""Gait events: initial contact (IC) and toe-off (TO) of each foot, from a side- or rear-view pose track.

events = detect_events(clean_track(track))
events.table        # foot, type, frame, time_s, confidence
events.running      # False for walking, jumping, standing, un-corrected slow motion
"""

from gait.events._checks import cadence_spm, fitted_cadence_spm
from gait.events._detect import DETECTOR, detect_events, detect_side_events
from gait.events._rear import FRONT_DETECTOR, REAR_DETECTOR, body_scale_px, detect_frontal_events
from gait.events._slowmo_hint import slowmo_suggestion, with_slowmo_hint
from gait.events._template import Template, build_template, default_bandwidth_s
from gait.events._types import EVENT_COLUMNS, LOW_FPS_HZ, EventParams, GaitEvents, GroundLine

__all__ = [
    "DETECTOR",
    "EVENT_COLUMNS",
    "FRONT_DETECTOR",
    "LOW_FPS_HZ",
    "REAR_DETECTOR",
    "EventParams",
    "GaitEvents",
    "GroundLine",
    "Template",
    "body_scale_px",
    "build_template",
    "cadence_spm",
    "default_bandwidth_s",
    "detect_events",
    "detect_frontal_events",
    "detect_side_events",
    "fitted_cadence_spm",
    "slowmo_suggestion",
    "with_slowmo_hint",
]
