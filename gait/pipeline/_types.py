"""What an analysis produces: :class:`Analysis` (one clip) and :class:`Session` (one or more views)."""

from __future__ import annotations

from dataclasses import dataclass

from gait.events import GaitEvents
from gait.flags import FatigueResult, FlagResult
from gait.metrics import GaitMetrics
from gait.report import GaitReport
from gait.track import PoseTrack, TrackView


@dataclass(frozen=True)
class Analysis:
    """Everything one clip's analysis produced; ``report.to_dict()`` is its ``report.json``.

    Attributes
    ----------
    track
        The raw pose track (as the pose stage or the track file gave it).
    cleaned
        The cleaned track the events and metrics were computed on.
    events, metrics, flags, fatigue
        The stages' results.
    report
        The typed report (:class:`gait.report.GaitReport`), built once from the above; no stage
        reads it back.
    view
        The clip's view as read right after pose (:func:`gait.track.clip_view`); ``events.view``
        is the same name.
    """

    track: PoseTrack
    cleaned: PoseTrack
    events: GaitEvents
    metrics: GaitMetrics
    flags: FlagResult
    fatigue: FatigueResult
    report: GaitReport
    view: TrackView | None = None

    @property
    def slowmo_factor(self) -> float:
        """Capture rate / playback rate of the clip (1 for ordinary video), from the raw track."""
        return float(self.track.attrs.get("slowmo_factor", 1.0))


@dataclass(frozen=True)
class Session:
    """The analysis of one run filmed from one or more views; ``report.to_dict()`` is ``report.json``.

    Attributes
    ----------
    analyses
        One :class:`Analysis` per clip, in role order (the side clip first).
    roles
        Each analysis's role: ``"side"``, ``"rear"`` or ``"front"`` (as given, else from the
        detected views; a side clip given in a frontal role is swapped, with a note).
    metrics
        The merged metrics (each view's own for one clip): side-view metrics from the side clip,
        frontal-plane metrics from the rear clip (the front clip for what only it gives), the first
        clip's foot strike, every view's steps
        (``view`` column first in a multi-view session) and all quality notes.
    source_views
        Metric name -> the view it was measured in.
    flags, fatigue
        Flags on the merged metrics; fatigue comparison on the first clip's steps.
    report
        The session's :class:`gait.report.GaitReport`; for one clip, that clip's report.
    """

    analyses: tuple[Analysis, ...]
    roles: tuple[str, ...]
    metrics: GaitMetrics
    source_views: dict[str, str]
    flags: FlagResult
    fatigue: FatigueResult
    report: GaitReport

    def role(self, name: str) -> Analysis | None:
        """The analysis in role ``name`` (``"side"``, ``"rear"``), or None."""
        return next((a for r, a in zip(self.roles, self.analyses, strict=True) if r == name), None)

    @property
    def primary(self) -> Analysis:
        """The first clip's analysis: its clip, direction and foot strike head the report."""
        return self.analyses[0]

    @property
    def side(self) -> Analysis | None:
        """The side clip's analysis, when the session has one."""
        return self.role("side")

    @property
    def rear(self) -> Analysis | None:
        """The rear clip's analysis, when the session has one."""
        return self.role("rear")

    @property
    def multi_view(self) -> bool:
        """Whether the session merges more than one clip."""
        return len(self.analyses) > 1


__all__ = ["Analysis", "Session"]
