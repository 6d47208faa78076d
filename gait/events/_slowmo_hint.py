"""A cadence too low for running, with no slow-motion factor given: name the factors that would fit."""

from __future__ import annotations

import math
from dataclasses import replace

from gait.events._checks import cadence_spm
from gait.events._types import EventParams, GaitEvents
from gait.notes import QualityNote

#: Slow-motion factors phones and editors use: 60 fps played at 30, 120 at 30, 240 at 30.
STANDARD_SLOWMO_FACTORS: tuple[int, ...] = (2, 4, 8)


def slowmo_suggestion(
    cadence_spm: float, slowmo_factor_given: bool, *, params: EventParams | None = None
) -> QualityNote | None:
    """A note asking the user to confirm a slow-motion factor when the cadence is implausibly low.

    Parameters
    ----------
    cadence_spm
        The apparent cadence (steps/min, both feet) measured with the clip's times as they are.
    slowmo_factor_given
        True when the user gave ``--slowmo-factor`` (or the clip's metadata gave one): then the
        times are already real-world and no factor is suggested.
    params
        Event parameters whose ``min_cadence_spm``/``max_cadence_spm`` are the running range;
        default :class:`gait.events.EventParams` (130-240 steps/min).

    Returns
    -------
    QualityNote or None
        ``None`` when a factor was given, the cadence is not finite or not below the running range.
        Otherwise code ``"cadence_suggests_slowmo"`` naming each of :data:`STANDARD_SLOWMO_FACTORS`
        that puts the cadence in the running range (and asking for ``--slowmo-factor``), or code
        ``"cadence_too_low_for_slowmo"`` when none does (walking, or a clip that is not running).
    """
    params = EventParams() if params is None else params
    lo, hi = params.min_cadence_spm, params.max_cadence_spm
    if (
        slowmo_factor_given
        or not math.isfinite(cadence_spm)
        or cadence_spm <= 0
        or cadence_spm >= lo
    ):
        return None
    fits = [f for f in STANDARD_SLOWMO_FACTORS if lo <= cadence_spm * f <= hi]
    if not fits:
        return QualityNote(
            "cadence_too_low_for_slowmo",
            f"The apparent cadence is {cadence_spm:.0f} steps/min, below the running range "
            f"({lo:.0f}-{hi:.0f}) even at {', '.join(f'{f}x' for f in STANDARD_SLOWMO_FACTORS)} slow "
            "motion: this looks like walking, or the clip is not running; if it is slow motion at "
            "another factor, give --slowmo-factor (capture fps / playback fps).",
        )
    at = " or ".join(f"at {f}x slow motion it would be {cadence_spm * f:.0f}" for f in fits)
    give = " or ".join(f"--slowmo-factor {f}" for f in fits)
    return QualityNote(
        "cadence_suggests_slowmo",
        f"The apparent cadence is {cadence_spm:.0f} steps/min, below the running range "
        f"({lo:.0f}-{hi:.0f}); {at}: if this clip is slow motion, give {give}.",
    )


def with_slowmo_hint(events: GaitEvents, slowmo_factor_given: bool) -> GaitEvents:
    """``events`` with its ``cadence_too_low`` note made specific: which factor would make it running.

    The apparent cadence is the events' own (from the ICs, else two steps per stride of the
    label-free rhythm). Unchanged when a factor was given or no such note is there.
    """
    if slowmo_factor_given or not any(n.code == "cadence_too_low" for n in events.quality):
        return events
    ics = events.table[events.table["type"] == "IC"] if len(events.table) else events.table
    cad = float("nan")
    if len(ics) >= 3:
        cad = cadence_spm(ics["time_s"].to_numpy(float), ics["foot"].to_numpy())
    if not math.isfinite(cad):
        cad = float(events.rhythm_cadence_spm.get("consensus", float("nan")))
    if not math.isfinite(cad) and events.stride_time_s:
        cad = 120.0 / events.stride_time_s
    note = slowmo_suggestion(cad, False, params=events.params)
    if note is None:
        return events
    quality = tuple(note if n.code == "cadence_too_low" else n for n in events.quality)
    return replace(events, quality=quality)
