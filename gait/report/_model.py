"""The report as frozen typed data: :class:`GaitReport`, turned into ``report.json`` only at the edges.

The pipeline builds one :class:`GaitReport` per clip or session (:func:`gait.report.build_report`,
:func:`gait.report.build_session_report`); code reads its attributes (``report.clip.fps``,
``report.metrics["cadence_spm"].value``) and :meth:`GaitReport.to_dict` gives the JSON document of
``report.schema.json`` when it is written, served or stored. Every value is JSON-safe (Python
scalars, no NaN: missing is None); sequences are tuples and mappings :class:`FrozenMap`, so that
nothing in a report changes after it is built (corrections make a new one with
:func:`dataclasses.replace`). Deep, rarely read parts (the configuration, the cleaning log, the
matching of a session's views) stay JSON mappings, frozen by :func:`freeze`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from gait.notes import QualityNote

_V = TypeVar("_V")


class FrozenMap(Mapping[str, _V]):
    """A read-only mapping (str keys, insertion order kept); equal to a dict with the same items."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, _V] | None = None) -> None:
        self._items: dict[str, _V] = dict(items or {})

    def __getitem__(self, key: str) -> _V:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __eq__(self, other: object) -> bool:
        """Equal to any mapping with the same JSON content (nested tuples compare as lists)."""
        if not isinstance(other, Mapping):
            return NotImplemented
        return bool(thaw(self) == thaw(other))


def freeze(value: Any) -> Any:
    """A JSON-safe value made immutable: dicts to :class:`FrozenMap`, lists to tuples (recursively)."""
    if isinstance(value, Mapping):
        return FrozenMap({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The JSON form of a frozen value: mappings to dicts, tuples to lists, typed blocks by ``to_dict``."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def _fields_dict(obj: Any, *, omit_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """``{field: JSON value}`` in field order, leaving out the ``omit_none`` fields that are None."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None and f.name in omit_none:
            continue
        out[f.name] = thaw(value)
    return out


@dataclass(frozen=True)
class ClipInfo:
    """The ``clip`` block: what was analysed (from the raw track's attributes).

    ``fps`` is the real-world frame rate (after the slow-motion factor); ``duration_s`` from the
    first to the end of the last frame.
    """

    path: str
    sha256: str | None
    fps: float
    duration_s: float
    n_frames: int
    n_frames_with_runner: int
    rotation_deg: int
    width_px: int
    height_px: int
    slowmo_factor: float
    variable_frame_rate: bool | None
    n_duplicate_frames: int
    codec: str | None

    def to_dict(self) -> dict[str, Any]:
        """The ``clip`` block of ``report.json``."""
        return _fields_dict(self)


@dataclass(frozen=True)
class EventRow:
    """One gait event: ``foot`` L/R, ``type`` IC/TO, the 0-based decode ``frame``, its time and confidence.

    ``view``: in a multi-view session, the clip the event is from (its time base); None otherwise.
    """

    foot: str
    type: str
    frame: int
    time_s: float
    confidence: float
    view: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """One ``events`` row (``view`` only in sessions)."""
        return _fields_dict(self, omit_none=("view",))


@dataclass(frozen=True)
class MetricEntry:
    """One ``metrics`` entry (as :class:`gait.metrics.Metric`, JSON-safe).

    ``source_view``: in a multi-view session, the view the metric was measured in; None otherwise.
    """

    value: float | None
    unit: str
    n: int
    sd: float | None
    uncertainty: float | None
    confidence: str
    note: str | None = None
    per_side: FrozenMap[float | None] | None = None
    source_view: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """One ``metrics`` entry (``note`` and ``per_side`` always, ``source_view`` only in sessions)."""
        return _fields_dict(self, omit_none=("source_view",))


@dataclass(frozen=True)
class FootStrikeEntry:
    """Foot-strike pattern of one foot (``foot_strike`` entry)."""

    pattern: str | None
    angle_deg: float | None
    n: int
    confidence: str

    def to_dict(self) -> dict[str, Any]:
        """One ``foot_strike`` entry."""
        return _fields_dict(self)


@dataclass(frozen=True)
class FlagEntry:
    """One fired flag (``flags`` row): the eight contract keys plus ``confidence`` and ``direction``."""

    code: str
    severity: str
    metric: str
    value: float | str | None
    threshold: float | str | None
    message: str
    evidence: str
    reference: str
    confidence: str | None
    direction: str | None

    def to_dict(self) -> dict[str, Any]:
        """One ``flags`` row."""
        return _fields_dict(self)


@dataclass(frozen=True)
class NotFlaggedEntry:
    """A measured value shown but deliberately not flagged, with the reason (``not_flagged`` row)."""

    code: str
    label: str
    metric: str
    value: float | None
    unit: str
    confidence: str
    reason: str
    evidence: str | None
    reference: str

    def to_dict(self) -> dict[str, Any]:
        """One ``not_flagged`` row."""
        return _fields_dict(self)


@dataclass(frozen=True)
class FatigueReport:
    """The ``fatigue`` block: first third against last third of the clip, and a one-line summary.

    ``comparisons`` are JSON mappings (as :meth:`gait.flags.FatigueComparison.to_dict`).
    """

    assessed: bool
    duration_s: float | None
    degraded: bool
    comparisons: tuple[FrozenMap[Any], ...]
    findings: tuple[QualityNote, ...]
    notes: tuple[QualityNote, ...]
    flags: tuple[FlagEntry, ...]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """The ``fatigue`` block."""
        return _fields_dict(self)


@dataclass(frozen=True)
class HandEvent:
    """An event placed by hand or an automatic event removed (``provenance.event_corrections``)."""

    foot: str
    type: str
    frame: int
    time_s: float

    def to_dict(self) -> dict[str, Any]:
        """One ``by_hand`` or ``removed`` row."""
        return _fields_dict(self)


@dataclass(frozen=True)
class EventCorrections:
    """Events corrected by hand: those placed, the automatic ones removed, and all automatic events."""

    by_hand: tuple[HandEvent, ...]
    removed: tuple[HandEvent, ...]
    original_events: tuple[EventRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """``provenance.event_corrections``."""
        return _fields_dict(self)


@dataclass(frozen=True)
class ViewProvenance:
    """What a further view of a session records of its own provenance (the first view's is the report's)."""

    model_name: str | None
    model_sha256: str | None
    source_format: str | None
    event_detector: str
    person_selection: Any = None
    cleaning: Any = None

    def to_dict(self) -> dict[str, Any]:
        """``provenance.<role>``."""
        return _fields_dict(self)


@dataclass(frozen=True)
class Provenance:
    """The ``provenance`` block: versions, model, input, detector, cleaning and configuration.

    ``person_selection``, ``cleaning`` and ``config`` are frozen JSON (:func:`freeze`).
    ``other_views``: role -> provenance of each further view of a session (written as
    ``provenance.<role>``). ``event_corrections``: events corrected by hand, when they were.
    """

    gait_version: str
    model_name: str | None
    model_sha256: str | None
    source_format: str | None
    event_detector: str
    person_selection: Any
    cleaning: Any
    config: FrozenMap[Any]
    other_views: FrozenMap[ViewProvenance] = field(default_factory=FrozenMap)
    event_corrections: EventCorrections | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``provenance`` block (each further view under its role, then any event corrections)."""
        out = _fields_dict(self, omit_none=("event_corrections",))
        corrections = out.pop("event_corrections", None)
        del out["other_views"]
        out.update({role: v.to_dict() for role, v in self.other_views.items()})
        if corrections is not None:
            out["event_corrections"] = corrections
        return out


@dataclass(frozen=True)
class ViewEntry:
    """One clip of a multi-view session (``views`` row)."""

    role: str
    view: str
    clip: ClipInfo
    detector: str
    cadence_spm: float | None
    running: bool

    def to_dict(self) -> dict[str, Any]:
        """One ``views`` row."""
        return _fields_dict(self)


@dataclass(frozen=True)
class GaitReport:
    """One analysis's report; :meth:`to_dict` is ``report.json`` (``report.schema.json``).

    Attributes
    ----------
    schema_version
        :data:`gait.report.SCHEMA_VERSION`.
    clip
        The (first) clip.
    view
        The camera view; in a multi-view session the views joined by ``+``.
    direction, running
        Running direction in the image and whether the (first) clip shows steady running.
    events
        The gait events (every view's, each with its ``view``, in a session).
    metrics, foot_strike
        Metric name -> entry; foot (``L``/``R``) -> foot strike.
    quality
        Capture-quality notes, each once.
    flags, flags_withheld, not_flagged, flags_not_assessed, fatigue, disclaimer
        What the flag rules found (fired, withheld for low confidence, shown but not flagged,
        not assessed for lack of a measurement), the fatigue comparison and the disclaimer.
    provenance
        How the report was made.
    advice
        What to change when filming again, most important first.
    views, session
        Multi-view sessions only: each clip, and how the unsynchronised clips were matched
        (frozen JSON, as :func:`gait.metrics.match_views` gives it); empty and None otherwise.
    """

    schema_version: str
    clip: ClipInfo
    view: str
    direction: str | None
    running: bool
    events: tuple[EventRow, ...]
    metrics: FrozenMap[MetricEntry]
    foot_strike: FrozenMap[FootStrikeEntry]
    quality: tuple[QualityNote, ...]
    flags: tuple[FlagEntry, ...]
    flags_withheld: tuple[QualityNote, ...]
    not_flagged: tuple[NotFlaggedEntry, ...]
    flags_not_assessed: tuple[str, ...]
    fatigue: FatigueReport
    disclaimer: str
    provenance: Provenance
    advice: tuple[str, ...] = ()
    views: tuple[ViewEntry, ...] = ()
    session: FrozenMap[Any] | None = None

    def metric_value(self, name: str) -> float | None:
        """The value of metric ``name``, or None when it is missing or not measured."""
        entry = self.metrics.get(name)
        return None if entry is None else entry.value

    @property
    def multi_view(self) -> bool:
        """Whether the report merges several clips (it then has ``views`` and ``session``)."""
        return bool(self.views)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``report.json``): plain dicts, lists and scalars, in the contract's key order."""
        out = _fields_dict(self, omit_none=("session",))
        views, session = out.pop("views"), out.pop("session", None)
        head = {k: out.pop(k) for k in ("schema_version", "clip", "view")}
        if views:
            head["views"] = views
        if session is not None:
            head["session"] = session
        return {**head, **out}


__all__ = [
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
    "freeze",
    "thaw",
]
