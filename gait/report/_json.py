"""``report.json``: the analysis as one JSON document (schema in ``report.schema.json``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gait import __version__
from gait.notes import QualityNote
from gait.report._advice import capture_advice

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


def clip_info(track: Any) -> dict[str, Any]:
    """The ``clip`` block: what was analysed, from the raw track's attributes."""
    times = track["time"].values
    fps = float(track.attrs["fps"])
    video = _json_attr(track, "video") or {}
    return {
        "path": str(track.attrs.get("source_path", "")),
        "sha256": track.attrs.get("source_sha256"),
        "fps": round(fps, 6),
        "duration_s": float(times[-1] - times[0] + 1.0 / fps) if len(times) else 0.0,
        "n_frames": int(track.sizes["time"]),
        "n_frames_with_runner": int(track["detected"].sum()),
        "rotation_deg": int(track.attrs.get("rotation_deg", 0)),
        "width_px": int(track.attrs["image_width_px"]),
        "height_px": int(track.attrs["image_height_px"]),
        "slowmo_factor": float(track.attrs.get("slowmo_factor", 1.0)),
        "variable_frame_rate": video.get("variable_frame_rate"),
        "n_duplicate_frames": int(track["duplicate"].sum()),
        "codec": video.get("codec"),
    }


def events_list(events: Any) -> list[dict[str, Any]]:
    table = events.table
    return [
        {
            "foot": str(row.foot),
            "type": str(row.type),
            "frame": int(row.frame),
            "time_s": round(float(row.time_s), 5),
            "confidence": round(float(row.confidence), 3),
        }
        for row in table.itertuples(index=False)
    ]


def metrics_dict(metrics: Any) -> dict[str, Any]:
    return {name: _clean(m) for name, m in metrics.metrics.items()}


def _fatigue_summary(fatigue: Any) -> str:
    if not fatigue.assessed:
        return " ".join(n.message for n in fatigue.notes) or "Not assessed."
    if fatigue.degraded:
        return " ".join(n.message for n in fatigue.findings)
    return "Form held steady between the first and last third of the clip."


def flag_fields(flags: Any, fatigue: Any) -> dict[str, Any]:
    """The flag part of the report: ``flags`` ... ``disclaimer`` (also used by two-view sessions)."""
    return {
        "flags": [f.to_dict() for f in (*flags.flags, *fatigue.flags)],
        "flags_withheld": [n.to_dict() for n in flags.withheld],
        "not_flagged": [n.to_dict() for n in flags.not_flagged],
        "flags_not_assessed": list(flags.not_assessed),
        "fatigue": {**fatigue.to_dict(), "summary": _fatigue_summary(fatigue)},
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


def provenance(track: Any, cleaned: Any, events: Any, config: Any) -> dict[str, Any]:
    """The ``provenance`` block of one view: versions, model, input, detector, cleaning, config."""
    return {
        "gait_version": __version__,
        "model_name": track.attrs.get("model_name"),
        "model_sha256": track.attrs.get("model_sha256"),
        "source_format": track.attrs.get("source_format"),
        "event_detector": events.detector,
        "person_selection": _json_attr(track, "person_selection"),
        "cleaning": _json_attr(cleaned, "cleaning"),
        "config": _clean(config.to_dict()),
    }


def build_report(
    *, track: Any, cleaned: Any, events: Any, metrics: Any, config: Any, flags: Any, fatigue: Any
) -> dict[str, Any]:
    """Assemble the report document (JSON-safe) from the stages' results.

    ``flags`` is a :class:`gait.flags.FlagResult` and ``fatigue`` a :class:`gait.flags.FatigueResult`.
    """
    report = {
        "schema_version": SCHEMA_VERSION,
        "clip": clip_info(track),
        "view": events.view,
        "direction": events.direction,
        "running": bool(events.running),
        "events": events_list(events),
        "metrics": metrics_dict(metrics),
        "foot_strike": {side: _clean(fs) for side, fs in metrics.foot_strike.items()},
        "quality": [{"code": q.code, "message": q.message} for q in quality_notes(track, cleaned, events, metrics)],
        **flag_fields(flags, fatigue),
        "provenance": provenance(track, cleaned, events, config),
    }
    report["advice"] = _advice(report)
    return _clean(report)


def _advice(report: dict[str, Any]) -> list[str]:
    """The report's capture advice (:func:`gait.report._advice.capture_advice`)."""
    cadence = report["metrics"].get("cadence_spm") or {}
    n = cadence.get("n") if cadence.get("value") is not None else None
    return capture_advice(report["clip"], report["quality"], None if n is None else int(n))


#: Provenance fields each further view of a session records (the first view's are the report's own).
VIEW_PROVENANCE = ("model_name", "model_sha256", "source_format", "event_detector", "person_selection", "cleaning")


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
) -> dict[str, Any]:
    """The report of a session of several views of one run (JSON-safe).

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
    prov = provenance(first.track, first.cleaned, first.events, config)
    for role, analysis in others:
        theirs = provenance(analysis.track, analysis.cleaned, analysis.events, config)
        prov[role] = {k: theirs[k] for k in VIEW_PROVENANCE}
    prov["config"] = _clean(config.to_dict())
    report = {
        "schema_version": SCHEMA_VERSION,
        "clip": clip_info(first.track),
        "view": "+".join(a.events.view for _, a in views),
        "views": [
            {
                "role": role,
                "view": a.events.view,
                "clip": clip_info(a.track),
                "detector": a.events.detector,
                "cadence_spm": a.metrics.value("cadence_spm"),
                "running": bool(a.events.running),
            }
            for role, a in views
        ],
        "session": dict(session),
        "direction": first.events.direction,
        "running": bool(first.events.running),
        "events": [{**e, "view": a.events.view} for _, a in views for e in events_list(a.events)],
        "metrics": {name: {**_clean(m), "source_view": source_views[name]} for name, m in metrics.items()},
        "foot_strike": {side: _clean(fs) for side, fs in first.metrics.foot_strike.items()},
        "quality": [q.to_dict() for q in _unique(list(notes))],
        **flag_fields(flags, fatigue),
        "provenance": prov,
    }
    report["advice"] = _advice(_clean(report))
    return _clean(report)


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
