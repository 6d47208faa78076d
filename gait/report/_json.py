"""Building the :class:`~gait.report.GaitReport` of a clip or a session (``report.json`` by its ``to_dict``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gait import __version__
from gait.notes import QualityNote
from gait.report._advice import capture_advice
from gait.report._model import (
    ClipInfo,
    EventRow,
    FatigueReport,
    FlagEntry,
    FootStrikeEntry,
    FrozenMap,
    GaitReport,
    MetricEntry,
    NotFlaggedEntry,
    Provenance,
    ViewEntry,
    ViewProvenance,
    freeze,
)

SCHEMA_VERSION = "1.0"
SCHEMA_FILE = Path(__file__).with_name("report.schema.json")


def _clean(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, dataclasses to dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        return _clean(asdict(value))
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _json_attr(track: Any, name: str) -> Any:
    raw = track.attrs.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def clip_info(track: Any) -> ClipInfo:
    """The ``clip`` block: what was analysed, from the raw track's attributes."""
    times = track["time"].values
    fps = float(track.attrs["fps"])
    video = _json_attr(track, "video") or {}
    return ClipInfo(
        path=str(track.attrs.get("source_path", "")),
        sha256=_clean(track.attrs.get("source_sha256")),
        fps=round(fps, 6),
        duration_s=_clean(float(times[-1] - times[0] + 1.0 / fps) if len(times) else 0.0),
        n_frames=int(track.sizes["time"]),
        n_frames_with_runner=int(track["detected"].sum()),
        rotation_deg=int(track.attrs.get("rotation_deg", 0)),
        width_px=int(track.attrs["image_width_px"]),
        height_px=int(track.attrs["image_height_px"]),
        slowmo_factor=float(track.attrs.get("slowmo_factor", 1.0)),
        variable_frame_rate=_clean(video.get("variable_frame_rate")),
        n_duplicate_frames=int(track["duplicate"].sum()),
        codec=_clean(video.get("codec")),
    )


def events_list(events: Any, view: str | None = None) -> tuple[EventRow, ...]:
    """The ``events`` rows of one clip (times to 10 us, confidences to 0.001); ``view`` in sessions."""
    return tuple(
        EventRow(
            foot=str(row.foot),
            type=str(row.type),
            frame=int(row.frame),
            time_s=_clean(round(float(row.time_s), 5)),
            confidence=_clean(round(float(row.confidence), 3)),
            view=view,
        )
        for row in events.table.itertuples(index=False)
    )


def metric_entry(metric: Any, source_view: str | None = None) -> MetricEntry:
    """One ``metrics`` entry from a :class:`gait.metrics.Metric` (JSON-safe)."""
    values = _clean(metric)
    return MetricEntry(**{**values, "per_side": freeze(values.get("per_side"))}, source_view=source_view)


def metrics_dict(metrics: Any) -> FrozenMap[MetricEntry]:
    """The ``metrics`` block of one clip's :class:`gait.metrics.GaitMetrics`."""
    return FrozenMap({name: metric_entry(m) for name, m in metrics.metrics.items()})


def foot_strike_block(foot_strike: Mapping[str, Any]) -> FrozenMap[FootStrikeEntry]:
    """The ``foot_strike`` block: foot -> :class:`FootStrikeEntry`."""
    return FrozenMap({str(side): FootStrikeEntry(**_clean(fs)) for side, fs in foot_strike.items()})


def _fatigue_summary(fatigue: Any) -> str:
    if not fatigue.assessed:
        return " ".join(n.message for n in fatigue.notes) or "Not assessed."
    if fatigue.degraded:
        return " ".join(n.message for n in fatigue.findings)
    return "Form held steady between the first and last third of the clip."


def _flag(flag: Any) -> FlagEntry:
    return FlagEntry(**_clean(flag.to_dict()))


def _note(note: Any) -> QualityNote:
    return QualityNote(str(note.code), str(note.message))


def flag_fields(flags: Any, fatigue: Any) -> dict[str, Any]:
    """The flag fields of a :class:`GaitReport`: ``flags`` ... ``disclaimer`` (also for sessions)."""
    return {
        "flags": tuple(_flag(f) for f in (*flags.flags, *fatigue.flags)),
        "flags_withheld": tuple(_note(n) for n in flags.withheld),
        "not_flagged": tuple(NotFlaggedEntry(**_clean(n.to_dict())) for n in flags.not_flagged),
        "flags_not_assessed": tuple(str(c) for c in flags.not_assessed),
        "fatigue": FatigueReport(
            assessed=bool(fatigue.assessed),
            duration_s=_clean(fatigue.duration_s),
            degraded=bool(fatigue.degraded),
            comparisons=tuple(freeze(_clean(c.to_dict())) for c in fatigue.comparisons),
            findings=tuple(_note(n) for n in fatigue.findings),
            notes=tuple(_note(n) for n in fatigue.notes),
            flags=tuple(_flag(f) for f in fatigue.flags),
            summary=_fatigue_summary(fatigue),
        ),
        "disclaimer": flags.disclaimer,
    }


def json_safe(value: Any) -> Any:
    """JSON-safe copy of a report fragment: numpy scalars to Python, NaN/inf to None, dataclasses to dicts."""
    return _clean(value)


def input_notes(track: Any) -> list[QualityNote]:
    """Notes on the input: what it left to assumption, how it was turned or slowed, whether the camera moved.

    A landmark file may leave the frame rate or the image size to assumption; a video may have been
    turned upright, slowed down, or filmed by a moving camera (``camera_moved``).
    """
    notes = []
    if int(track.attrs.get("fps_assumed", 0)):
        notes.append(
            QualityNote(
                "fps_assumed",
                f"The landmark files carry no frame rate, so {float(track.attrs['fps']):g} fps was "
                "assumed: every time, the cadence and the contact times scale with it. Give the "
                "rate the video was filmed at with --fps.",
            )
        )
    turned = int(track.attrs.get("rotation_applied_deg", 0) or 0)
    if turned:
        notes.append(
            QualityNote(
                "picture_turned",
                f"The runner lay sideways or upside down in the picture, which carries no rotation "
                f"metadata: it was turned {turned} deg clockwise before analysis. Next time hold "
                "the phone the way the video should be watched, or check its rotation setting.",
            )
        )
    video = _json_attr(track, "video") or {}
    if video.get("slowmo_source") == "metadata":
        notes.append(
            QualityNote(
                "slowmo_from_metadata",
                f"The file says it was filmed at {video.get('capture_fps'):g} fps and plays at "
                f"{video.get('nominal_fps'):g} fps: slow motion by a factor of "
                f"{float(track.attrs.get('slowmo_factor', 1.0)):g}, so every time was divided by it. "
                "Give --slowmo-factor if that is wrong.",
            )
        )
    if video.get("frame_conversion") and video.get("n_new_frames"):
        notes.append(
            QualityNote(
                "frames_converted",
                f"The export {video['frame_conversion']} its pictures to reach its frame rate: only "
                f"the {int(video['n_new_frames'])} new pictures of {int(video.get('n_frames') or 0)} "
                "frames were analysed, at their own times. Export slow motion at its capture rate "
                "(no frame interpolation) for finer timing.",
            )
        )
    if int(track.attrs.get("camera_moved", 0) or 0):
        # attributes of gait.track._ground_frame.to_ground_frame, copied by the pipeline
        bh = float(track.attrs.get("camera_max_shift_body_heights", math.nan))
        px = float(track.attrs.get("camera_max_shift_px", math.nan))
        how_far = f"by up to {bh:.1f} body heights" if math.isfinite(bh) else f"by up to {px:.0f} px"
        failed = int(track.attrs.get("camera_unreliable_frames", 0) or 0)
        gaps = (
            f" In {failed} frame(s) the background could not be followed and the camera's motion was assumed."
            if failed
            else ""
        )
        notes.append(
            QualityNote(
                "camera_moved",
                f"The camera moved {how_far} during the clip; the feet and pelvis were measured relative "
                f"to the background (contacts where the foot stops on the ground), which adds some error.{gaps} "
                "Hold the camera still, or fix it on a tripod level with the hips.",
            )
        )
    if int(track.attrs.get("image_size_inferred", 0)):
        notes.append(
            QualityNote(
                "image_size_inferred",
                "The landmark files do not give the image size, so it was taken from the "
                "landmarks' extent; positions in the report are relative to that.",
            )
        )
    return notes


def quality_notes(track: Any, cleaned: Any, events: Any, metrics: Any) -> list[QualityNote]:
    """One view's quality notes, each once: the input's, the events' and the metrics'."""
    del cleaned  # the cleaning log is in the provenance, not in notes
    return _unique([*input_notes(track), *events.quality, *metrics.quality])


def _view_provenance(track: Any, cleaned: Any, events: Any) -> ViewProvenance:
    return ViewProvenance(
        model_name=_clean(track.attrs.get("model_name")),
        model_sha256=_clean(track.attrs.get("model_sha256")),
        source_format=_clean(track.attrs.get("source_format")),
        event_detector=str(events.detector),
        person_selection=freeze(_clean(_json_attr(track, "person_selection"))),
        cleaning=freeze(_clean(_json_attr(cleaned, "cleaning"))),
    )


def provenance(track: Any, cleaned: Any, events: Any, config: Any) -> Provenance:
    """The ``provenance`` block of one view: versions, model, input, detector, cleaning, config."""
    view = _view_provenance(track, cleaned, events)
    return Provenance(
        gait_version=__version__,
        model_name=view.model_name,
        model_sha256=view.model_sha256,
        source_format=view.source_format,
        event_detector=view.event_detector,
        person_selection=view.person_selection,
        cleaning=view.cleaning,
        config=freeze(_clean(config.to_dict())),
    )


def build_report(
    *, track: Any, cleaned: Any, events: Any, metrics: Any, config: Any, flags: Any, fatigue: Any
) -> GaitReport:
    """Assemble the :class:`GaitReport` of one clip from the stages' results.

    ``flags`` is a :class:`gait.flags.FlagResult` and ``fatigue`` a :class:`gait.flags.FatigueResult`.
    """
    clip = clip_info(track)
    block = metrics_dict(metrics)
    quality = tuple(_note(q) for q in quality_notes(track, cleaned, events, metrics))
    return GaitReport(
        schema_version=SCHEMA_VERSION,
        clip=clip,
        view=str(events.view),
        direction=_clean(events.direction),
        running=bool(events.running),
        events=events_list(events),
        metrics=block,
        foot_strike=foot_strike_block(metrics.foot_strike),
        quality=quality,
        **flag_fields(flags, fatigue),
        provenance=provenance(track, cleaned, events, config),
        advice=_advice(clip, block, quality),
    )


def _advice(clip: ClipInfo, metrics: Mapping[str, MetricEntry], quality: Sequence[QualityNote]) -> tuple[str, ...]:
    """The report's capture advice (:func:`gait.report._advice.capture_advice`)."""
    cadence = metrics.get("cadence_spm")
    n = cadence.n if cadence is not None and cadence.value is not None else None
    return tuple(capture_advice(clip.to_dict(), [q.to_dict() for q in quality], n))


#: Provenance fields each further view of a session records (the first view's are the report's own).
VIEW_PROVENANCE = tuple(f.name for f in fields(ViewProvenance))


def build_session_report(
    views: Sequence[tuple[str, Any]],
    *,
    metrics: Mapping[str, Any],
    source_views: Mapping[str, str],
    session: Mapping[str, Any],
    notes: Sequence[QualityNote],
    flags: Any,
    fatigue: Any,
    config: Any,
) -> GaitReport:
    """The :class:`GaitReport` of a session of several views of one run.

    Parameters
    ----------
    views
        ``(role, analysis)`` in role order; each analysis has ``track``, ``cleaned``, ``events``
        and ``metrics``. The first view gives the clip, direction, running and foot strike.
    metrics, source_views
        The merged metrics and the view each came from (:func:`gait.metrics.merge_metrics`).
    session
        The matching of the views (:func:`gait.metrics.match_views`).
    notes
        Every note of the session, in order (de-duplicated here).
    flags, fatigue
        Flags on the merged metrics, fatigue comparison.
    config
        The user's configuration (recorded in the provenance).
    """
    (_, first), *others = views
    prov = replace(
        provenance(first.track, first.cleaned, first.events, config),
        other_views=FrozenMap(
            {role: _view_provenance(a.track, a.cleaned, a.events) for role, a in others}
        ),
    )
    clip = clip_info(first.track)
    block = FrozenMap({name: metric_entry(m, source_views[name]) for name, m in metrics.items()})
    quality = tuple(_note(q) for q in _unique(list(notes)))
    return GaitReport(
        schema_version=SCHEMA_VERSION,
        clip=clip,
        view="+".join(str(a.events.view) for _, a in views),
        views=tuple(
            ViewEntry(
                role=role,
                view=str(a.events.view),
                clip=clip_info(a.track),
                detector=str(a.events.detector),
                cadence_spm=_clean(a.metrics.value("cadence_spm")),
                running=bool(a.events.running),
            )
            for role, a in views
        ),
        session=freeze(_clean(dict(session))),
        direction=_clean(first.events.direction),
        running=bool(first.events.running),
        events=tuple(e for _, a in views for e in events_list(a.events, str(a.events.view))),
        metrics=block,
        foot_strike=foot_strike_block(first.metrics.foot_strike),
        quality=quality,
        **flag_fields(flags, fatigue),
        provenance=prov,
        advice=_advice(clip, block, quality),
    )


def _unique(notes: list[Any]) -> list[Any]:
    seen: set[tuple[str, str]] = set()
    out = []
    for n in notes:
        if (n.code, n.message) not in seen:
            seen.add((n.code, n.message))
            out.append(n)
    return out


def write_steps_csv(steps: pd.DataFrame, path: Path) -> None:
    """One row per step; written atomically."""
    tmp = path.with_suffix(".csv.tmp")
    steps.to_csv(tmp, index=False, float_format="%.5g")
    tmp.replace(path)
