"""``report.html``: one self-contained page (inline CSS, SVG plots, JPEG stills; prints on A4)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from gait.events import EVENT_COLUMNS
from gait.report._curves import cycle_summary
from gait.report._keyframes import ic_stills
from gait.report._model import EventRow, FlagEntry, GaitReport, MetricEntry
from gait.report._plots import REAR_PANELS, cycle_plot, over_clip_plot, timeline_plot
from gait.track import PoseTrack

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.ChainableUndefined,
)

DEFAULT_DISCLAIMER = (
    "This report describes how you ran in this clip. A flag marks a measurement that studies have "
    "associated with running injuries, including bone stress injuries; it is not a diagnosis and does not "
    "predict that you will be injured. Bone stress injury risk depends on much more (training load, energy "
    "availability, bone health, previous injury). Discuss the findings with a physical therapist."
)

VIEW_LABELS = {
    "side_left": "side view (camera on the runner's left)",
    "side_right": "side view (camera on the runner's right)",
    "rear": "rear view",
    "front": "front view",
}

#: Method notes always printed (sources in the reference list).
METHOD_NOTES = (
    "Pose: MediaPipe BlazePose GHUM (33 landmarks) in video mode, one runner tracked; landmarks below 0.5 "
    "visibility are ignored, gaps up to 0.1 s filled, and the track low-pass filtered (zero-phase Butterworth).",
    "Times come from each frame's own timestamp. Timing measures are uncertain by about one frame period; "
    "below 100 frames/s contact and flight times are marked low confidence.",
    "Side view: a foot lands 28 ms after it is furthest ahead of the hips (the delay force plates measure), "
    "and leaves the ground 95 ms before its heel is furthest behind the hips. Which leg is which is decided "
    "by the running rhythm, not by the pose model's left/right labels, which are often wrong in side views. "
    "Checked against force plates (Fukuchi et al. 2017, filmed by a virtual camera at 120 frames/s): "
    "contacts within about 12 ms and toe-offs within about 17 ms (95 % of events).",
    "Angles are measured in the image (2D) and depend on the camera being level and perpendicular to the "
    "direction of running (side view) or directly behind the runner (rear view).",
    "Cadence counts steps of both feet per minute. Foot-strike classes follow Altman and Davis (2012).",
    "A measurement the view cannot support (for example pelvic drop from a side view) is not reported.",
)

BASE_REFERENCES = (
    "Altman AR, Davis IS. A kinematic method for footstrike pattern detection in barefoot and shod runners. "
    "Gait Posture. 2012;35(2):298-300.",
    "Fukuchi RK, Fukuchi CA, Duarte M. A public dataset of running biomechanics and the effects of running "
    "speed on lower extremity kinematics and kinetics. PeerJ. 2017;5:e3298 (validation data).",
)


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if unit == "s" and abs(value) < 10:
        return f"{1000 * value:.0f} ms"
    text = f"{value:.{digits}f}"
    return f"{text} {unit}".strip() if unit and unit not in ("1", "ratio") else text


def _label(key: str) -> str:
    for suffix in (
        "_spm",
        "_s",
        "_ms",
        "_deg",
        "_pct",
        "_leg_lengths",
        "_pelvis_widths",
        "_cm",
        "_px",
    ):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
            break
    return key.replace("_", " ").replace(" ic", " at contact")


def _metric_rows(metrics: Mapping[str, MetricEntry]) -> list[dict[str, str]]:
    rows = []
    for key, m in metrics.items():
        digits = 2 if m.unit in ("leg lengths", "ratio", "1") else 1
        rows.append(
            {
                "label": _label(key),
                "value": _fmt(m.value, m.unit, digits),
                "sd": _fmt(m.sd, m.unit, digits),
                "n": str(m.n),
                "confidence": str(m.confidence),
                "note": m.note or "",
            }
        )
    return rows


def _flag_rows(flags: Sequence[FlagEntry], metrics: Mapping[str, MetricEntry]) -> list[dict[str, Any]]:
    rows = []
    for f in flags:
        metric = metrics.get(f.metric)
        unit = metric.unit if metric is not None else ""
        rows.append(
            {
                **f.to_dict(),
                "title": _label(str(f.metric)).capitalize(),
                "value_text": _fmt(f.value, unit),
                "threshold_text": _fmt(f.threshold, unit),
            }
        )
    return rows


def _visibility_text(track: PoseTrack) -> str:
    parts = []
    for side in ("left", "right"):
        vis = track["confidence"].sel(keypoint=[f"{side}_heel", f"{side}_foot_index"]).values
        if np.isfinite(vis).any():
            parts.append(f"{side} foot {np.nanmean(vis):.2f}")
    return ", ".join(parts) + " (0-1, MediaPipe visibility)" if parts else "-"


#: Columns of steps.csv shown in the printed table (all columns are in steps.csv).
STEP_COLUMNS = {
    "step": "step",
    "foot": "foot",
    "ic_time_s": "contact at (s)",
    "step_time_s": "step (s)",
    "contact_time_s": "contact (s)",
    "flight_time_s": "flight (s)",
    "foot_strike_angle_deg": "foot strike (deg)",
    "strike_pattern": "pattern",
    "overstride_leg_lengths": "overstride (leg lengths)",
    "knee_flexion_ic_deg": "knee at contact (deg)",
    "pelvic_drop_deg": "pelvic drop (deg)",
    "hip_adduction_deg": "hip adduction (deg)",
    "step_width_pelvis_widths": "step width (pelvis widths)",
    "crossover": "crossover",
    "knee_frontal_projection_deg": "knee projection (deg)",
    "rearfoot_eversion_proxy_deg": "rearfoot proxy (deg)",
}


def _step_table(steps: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    if steps.empty:
        return [], []
    cols = [c for c in STEP_COLUMNS if c in steps and steps[c].notna().any()]
    rows = [[_cell(v) for v in row] for row in steps[cols].itertuples(index=False)]
    return [STEP_COLUMNS[c] for c in cols], rows


def _cell(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        x = float(v)
        return "-" if not np.isfinite(x) else f"{x:.3g}" if abs(x) < 1 else f"{x:.1f}"
    return str(v)


def _events_frame(events: Sequence[EventRow]) -> pd.DataFrame:
    """Report event rows as an events table (:data:`gait.events.EVENT_COLUMNS`)."""
    return pd.DataFrame([e.to_dict() for e in events], columns=list(EVENT_COLUMNS))


def _frontal_view(rows: Sequence[EventRow]) -> str:
    """The view of a session's frontal clip from its event rows: ``"front"`` or ``"rear"``."""
    return "front" if rows and rows[0].view == "front" else "rear"


def _rear_cycle_plot(rear: tuple[Any, Sequence[EventRow]] | None) -> str | None:
    """Pelvic drop and hip adduction over the gait cycle of a session's rear (or front) clip."""
    if rear is None:
        return None
    track, rear_events = rear
    events = _events_frame(rear_events)
    if not len(events):
        return None
    return cycle_plot(cycle_summary(track, events, "", rear=True, view=_frontal_view(rear_events)), REAR_PANELS)


def render_html(
    report: GaitReport,
    *,
    track: PoseTrack,
    steps: pd.DataFrame,
    clip: str | Path | None = None,
    rear: tuple[Any, Sequence[EventRow]] | None = None,
) -> str:
    """The HTML report for ``report``, drawn from the cleaned ``track``.

    ``rear``: the cleaned track and the events (the report's rows) of a session's rear clip (or
    its front clip when it has no rear one), for its cycle plot; everything else is drawn from the
    side clip.
    """
    events = _events_frame(report.events)
    direction = report.direction or "image_left"
    frontal_view = report.view if report.view in ("rear", "front") else None
    if frontal_view:  # one clip from behind or in front: its frontal-plane curves, not sagittal angles
        cycle_title = (
            f"{frontal_view.capitalize()} view: pelvic drop and hip adduction over the gait cycle "
            "(mean, shaded: +-1 SD)"
        )
        cycle_svg = cycle_plot(cycle_summary(track, events, "", rear=True, view=frontal_view), REAR_PANELS)
    else:
        cycle_title = "Knee and foot angles over the gait cycle (mean, shaded: +-1 SD)"
        cycle_svg = cycle_plot(cycle_summary(track, events, direction))
    plots = []
    for name, title, svg in (
        ("cycle", cycle_title, cycle_svg if len(events) else None),
        (
            "rear_cycle",
            f"{_frontal_view(rear[1] if rear else ()).capitalize()} view: pelvic drop and hip adduction over the "
            "gait cycle (mean, shaded: +-1 SD)",
            _rear_cycle_plot(rear),
        ),
        ("over_clip", "Step rate and contact time over the clip", over_clip_plot(steps)),
        ("timeline", "Gait events", timeline_plot(events, report.clip.duration_s)),
    ):
        if svg:
            plots.append({"name": name, "title": title, "svg": svg})
    columns, rows = _step_table(steps)
    references = list(
        dict.fromkeys([*(f.reference for f in report.flags if f.reference), *BASE_REFERENCES])
    )
    context = {
        "report": report,
        "clip_name": Path(report.clip.path).name or "pose track",
        "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "view_label": VIEW_LABELS.get(report.view, report.view),
        "disclaimer": report.disclaimer or DEFAULT_DISCLAIMER,
        "flags": _flag_rows(report.flags, report.metrics),
        "withheld": report.flags_withheld,
        "not_flagged": report.not_flagged,
        "fatigue": report.fatigue,
        "visibility_text": _visibility_text(track),
        "metric_rows": _metric_rows(report.metrics),
        "foot_strike_rows": [
            {
                "foot": {"L": "left", "R": "right"}.get(k, k),
                "pattern": v.pattern or "-",
                "angle": _fmt(v.angle_deg, "deg"),
                "n": v.n,
            }
            for k, v in report.foot_strike.items()
        ],
        "stills": ic_stills(clip, track, events, steps, slowmo_factor=report.clip.slowmo_factor),
        "plots": plots,
        "step_columns": columns,
        "step_rows": rows,
        "method_notes": METHOD_NOTES,
        "references": references,
    }
    return _ENV.get_template("report.html.j2").render(**context)


def write_html(report: GaitReport, path: str | Path, **kwargs: Any) -> Path:
    """Render and write ``report.html`` atomically."""
    path = Path(path)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(report, **kwargs), encoding="utf-8")
    tmp.replace(path)
    return path
