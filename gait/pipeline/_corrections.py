"""Events corrected by hand: a stored track analysed again with a corrected event list."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from gait.config import AnalysisConfig
from gait.errors import ConfigError
from gait.flags import load_rules
from gait.notes import QualityNote
from gait.pipeline._analyze import finish, view_stages
from gait.pipeline._types import Analysis
from gait.report import EventCorrections, EventRow, HandEvent
from gait.track import PoseTrack

#: Columns a hand-corrected event list must have (``time_s`` and ``confidence`` are derived).
HAND_EVENT_COLUMNS = ("foot", "type", "frame")


def _hand_table(
    track: PoseTrack, events: Any, automatic: Any
) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """The corrected events table, the events placed by hand and the automatic events removed.

    An event the same as an automatic one (foot, type and frame) keeps the automatic sub-frame time
    and confidence; every other event is a hand event at its frame's time, confidence 1.
    """
    import numpy as np
    import pandas as pd

    table = pd.DataFrame(events).copy() if not isinstance(events, pd.DataFrame) else events.copy()
    missing = [c for c in HAND_EVENT_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(
            f"The corrected events lack the column(s) {', '.join(missing)}: give foot, type and frame for every event."
        )
    table = table[list(HAND_EVENT_COLUMNS)]
    table["foot"] = table["foot"].astype(str).str.strip().str.upper()
    table["type"] = table["type"].astype(str).str.strip().str.upper()
    bad = table[~table["foot"].isin(["L", "R"]) | ~table["type"].isin(["IC", "TO"])]
    if len(bad):
        row = bad.iloc[0]
        raise ConfigError(
            f"Event {int(bad.index[0]) + 1} has foot {row['foot']!r} and type {row['type']!r}: foot must be L or R "
            "and type IC or TO."
        )
    frames = pd.to_numeric(table["frame"], errors="coerce")
    if frames.isna().any() or (frames != frames.round()).any():
        raise ConfigError(
            f"Event {int(frames[frames.isna() | (frames != frames.round())].index[0]) + 1} has no whole frame number."
        )
    table["frame"] = frames.astype(np.int64)
    track_frames = np.asarray(track["frame"].values, dtype=np.int64)
    times = dict(zip(track_frames.tolist(), np.asarray(track["time"].values, dtype=float).tolist(), strict=True))
    outside = [int(f) for f in table["frame"] if int(f) not in times]
    if outside:
        raise ConfigError(
            f"Frame {outside[0]} is not in the track (frames {track_frames.min()} to {track_frames.max()})."
        )
    if table.duplicated().any():
        row = table[table.duplicated()].iloc[0]
        raise ConfigError(f"The {row['foot']} {row['type']} at frame {int(row['frame'])} is listed twice.")
    auto = {
        (str(r.foot), str(r.type), int(r.frame)): (float(r.time_s), float(r.confidence))
        for r in automatic.itertuples(index=False)
    }
    time_s, confidence, by_hand = [], [], []
    for r in table.itertuples(index=False):
        key = (str(r.foot), str(r.type), int(r.frame))
        if key in auto:
            t, c = auto[key]
        else:
            t, c = times[key[2]], 1.0
            by_hand.append({"foot": key[0], "type": key[1], "frame": key[2], "time_s": round(t, 5)})
        time_s.append(t)
        confidence.append(c)
    table["time_s"] = time_s
    table["confidence"] = confidence
    table = table.sort_values(["time_s", "foot", "type"], kind="stable").reset_index(drop=True)
    given = {(str(r.foot), str(r.type), int(r.frame)) for r in table.itertuples(index=False)}
    removed = [
        {"foot": k[0], "type": k[1], "frame": k[2], "time_s": round(v[0], 5)} for k, v in auto.items() if k not in given
    ]
    return table, by_hand, removed


def reanalyze_with_events(track: PoseTrack, events: Any, config: AnalysisConfig = AnalysisConfig()) -> Analysis:
    """Analyse a stored raw pose track again with a corrected list of gait events.

    The pose model is not run: the track is cleaned and the automatic detection is repeated only for
    what surrounds the events (view, direction, near foot, ground line, rhythm); its events table is
    replaced by ``events``, and metrics, flags and the report are recomputed from it.

    Parameters
    ----------
    track
        The raw pose track the automatic analysis used (``track.nc`` of its outputs).
    events
        The full corrected event list: a DataFrame or a list of dicts with ``foot`` (L/R), ``type``
        (IC/TO) and ``frame`` (the track's 0-based decode index). An event equal to an automatic
        one keeps its sub-frame time and confidence; any other is a hand event, at the time of its
        frame in the track's ``time`` coordinate, with confidence 1.
    config
        The analysis settings (those of the automatic analysis).

    Returns
    -------
    Analysis
        As :func:`analyze_track`; ``report.provenance.event_corrections`` lists the events
        placed by hand, the automatic events removed and all the original automatic events, and a
        quality note says which events were corrected by hand.

    Raises
    ------
    ConfigError
        An event with a bad foot, type or frame, a frame outside the track, or an event listed twice.
    ClipTooShortError
        The track shows the runner for too short a time.
    """
    view, cleaned, automatic = view_stages(track, config)
    table, by_hand, removed = _hand_table(track, events, automatic.table)
    events_obj = replace(automatic, table=table)
    analysis = finish(track, view, cleaned, events_obj, config, load_rules(config.rules_path))
    report = analysis.report
    quality = report.quality
    if by_hand or removed:
        def said(items: list[dict[str, Any]]) -> str:
            return ", ".join(f"{e['foot']} {e['type']} at frame {e['frame']}" for e in items)

        parts = [f"placed by hand: {said(by_hand)}" if by_hand else "", f"removed: {said(removed)}" if removed else ""]
        note = QualityNote(
            "events_corrected_by_hand",
            f"{len(by_hand) + len(removed)} gait event(s) were corrected by hand ("
            + "; ".join(p for p in parts if p) + ").",
        )
        quality = (note, *quality)
    corrections = EventCorrections(
        by_hand=tuple(HandEvent(**e) for e in by_hand),
        removed=tuple(HandEvent(**e) for e in removed),
        original_events=tuple(
            EventRow(str(r.foot), str(r.type), int(r.frame), float(r.time_s), float(r.confidence))
            for r in automatic.table.itertuples(index=False)
        ),
    )
    provenance = replace(
        report.provenance,
        event_detector=f"{automatic.detector} + corrected by hand",
        event_corrections=corrections,
    )
    return replace(analysis, report=replace(report, quality=quality, provenance=provenance))


def read_events_csv(path: str | Path) -> Any:
    """A corrected event list from a CSV file with columns ``foot``, ``type`` and ``frame`` (others ignored).

    A column named ``event`` is read as ``type`` (the sample annotations use it).

    Raises
    ------
    ConfigError
        The file cannot be read or lacks a column.
    """
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"The events file '{Path(path).name}' cannot be read as CSV ({err}).") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "type" not in table.columns and "event" in table.columns:
        table = table.rename(columns={"event": "type"})
    missing = [c for c in HAND_EVENT_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(
            f"The events file '{Path(path).name}' lacks the column(s) {', '.join(missing)}: it needs foot, type and "
            "frame."
        )
    return table[list(HAND_EVENT_COLUMNS)]


__all__ = ["HAND_EVENT_COLUMNS", "read_events_csv", "reanalyze_with_events"]
