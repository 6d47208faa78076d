"""The view registry: how each camera view is analysed.

The view is read from the raw track right after pose (:func:`gait.track.clip_view`); its entry
here names the methods of every later stage: whether cleaning repairs leg labels, the event
detector, the metrics and which metrics the view is the source of in a multi-view session. A new
view (the front view) is one more entry, not another ``if view == ...`` in the stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gait.events import EventParams, GaitEvents, detect_frontal_events, detect_side_events
from gait.metrics import FRONT_REPORTED, REAR_METRICS, GaitMetrics, MetricParams, compute_metrics
from gait.track import PoseTrack, TrackView, track_fps

Detector = Callable[[PoseTrack, EventParams, TrackView], GaitEvents]
MetricsFn = Callable[[PoseTrack, GaitEvents, MetricParams, "float | None"], GaitMetrics]


@dataclass(frozen=True)
class ViewMethods:
    """The methods one camera view is analysed with.

    Attributes
    ----------
    family
        ``"side"``, ``"rear"``, ``"front"`` or ``"unsupported"``: the role a clip of this view
        plays in a session.
    repair_labels
        Whether cleaning repairs MediaPipe's leg labels (side views: the legs cross in the image;
        frontal views keep labels by image position).
    detect
        ``detect(cleaned, params, view) -> GaitEvents``.
    metrics
        ``metrics(cleaned, events, params, height_cm) -> GaitMetrics``.
    provides
        The metrics a session takes from this view; ``None``: every metric no other view of the
        session provides (the side view: cadence, timing, foot strike, sagittal angles).
    """

    family: str
    repair_labels: bool
    detect: Detector
    metrics: MetricsFn
    provides: frozenset[str] | None


def _side_events(track: PoseTrack, params: EventParams, view: TrackView) -> GaitEvents:
    return detect_side_events(track, params, view=view)


def _frontal_events(track: PoseTrack, params: EventParams, view: TrackView) -> GaitEvents:
    return detect_frontal_events(track, view, track_fps(track), params)


def _metrics(track: PoseTrack, events: GaitEvents, params: MetricParams, height_cm: float | None) -> GaitMetrics:
    return compute_metrics(track, events, params, height_cm=height_cm)


SIDE = ViewMethods("side", True, _side_events, _metrics, None)
REAR = ViewMethods("rear", False, _frontal_events, _metrics, REAR_METRICS)
#: Front view: the frontal-plane detector (heel lowest in the image) and the front metrics the
#: harness supports (:data:`gait.metrics.FRONT_REPORTED`; the others are absent with a note).
FRONT = ViewMethods("front", False, _frontal_events, _metrics, FRONT_REPORTED)
#: Views without a method of their own (unknown): the side detector, which gives no events and
#: says why (``view_not_supported``).
UNSUPPORTED = ViewMethods("unsupported", False, _side_events, _metrics, frozenset())

REGISTRY: dict[str, ViewMethods] = {"side_left": SIDE, "side_right": SIDE, "rear": REAR, "front": FRONT}


def methods_for(view: str) -> ViewMethods:
    """The registry entry of ``view`` (:data:`UNSUPPORTED` for a view without one)."""
    return REGISTRY.get(view, UNSUPPORTED)


__all__ = ["REGISTRY", "ViewMethods", "methods_for"]
