"""Is it running? Plausibility checks on the detected events, each with a note saying what to do."""

from __future__ import annotations

import numpy as np

from gait.events._types import EventParams
from gait.notes import QualityNote


def cadence_spm(
    ic_times_s: np.ndarray,
    feet: np.ndarray | None = None,
    stride_time_s: float | None = None,
) -> float:
    """Steps per minute from the ICs of both feet.

    Without ``feet``: 60 (n - 1) / (last - first), the textbook definition (domain.md 2.1), which
    assumes no contact is missing. With ``feet`` (``"L"``/``"R"`` per IC): 60 x number of steps /
    their total time, counting only steps between ICs of alternating feet no longer than 0.75
    ``stride_time_s`` (default: twice the median interval), so a contact lost in a gap does not
    lower the cadence. Both agree when nothing is missing. NaN with fewer than 2 ICs.
    """
    ic = np.asarray(ic_times_s, dtype=float)
    order = np.argsort(ic)
    ic = ic[order]
    ok = np.isfinite(ic)
    if feet is None:
        ic = ic[ok]
        if len(ic) < 2 or ic[-1] <= ic[0]:
            return float("nan")
        return float(60.0 * (len(ic) - 1) / (ic[-1] - ic[0]))
    f = np.asarray(feet)[order][ok]
    ic = ic[ok]
    if len(ic) < 2:
        return float("nan")
    steps = np.diff(ic)
    stride = stride_time_s or 2.0 * float(np.median(steps))
    valid = (f[1:] != f[:-1]) & (steps > 0) & (steps <= 0.75 * stride)
    return float(60.0 * valid.sum() / steps[valid].sum()) if valid.any() else float("nan")


def _phase_of_left(ic_left: np.ndarray, ic_right: np.ndarray, period_s: float) -> float:
    """Median phase (0..1 of a stride) of left ICs after the preceding right IC."""
    phases = []
    for t in ic_left:
        before = ic_right[ic_right < t]
        if len(before) and t - before[-1] < 1.5 * period_s:
            phases.append((t - before[-1]) / period_s)
    return float(np.median(phases)) if phases else float("nan")


def duty_factor(ic_s: np.ndarray, to_s: np.ndarray) -> float:
    """Median contact / stride time of one foot's contacts (arrays aligned by stride)."""
    contact = to_s[:-1] - ic_s[:-1]
    stride = np.diff(ic_s)
    ok = np.isfinite(contact) & np.isfinite(stride) & (stride > 0)
    return float(np.median(contact[ok] / stride[ok])) if ok.any() else float("nan")


def running_checks(
    ics: dict[str, np.ndarray],
    tos: dict[str, np.ndarray],
    period_s: float,
    periodicity: float,
    params: EventParams,
) -> tuple[bool, tuple[QualityNote, ...]]:
    """Decide whether the events describe running; notes explain a "no".

    Checks, in order: a stable periodicity, L/R alternation (half a stride apart, not in phase as
    in jumping), cadence within the running range (outside: slow motion or a wrong frame rate),
    and a flight phase (duty factor below ``params.max_duty_factor``; walking has double
    support).
    """
    if not np.isfinite(period_s) or periodicity < params.min_periodicity:
        return False, (
            QualityNote(
                "no_periodicity",
                "No steady stride rhythm was found, so this does not look like running (standing, "
                "turning, or too few strides in view). Film at least 6 strides of steady running "
                "from the side.",
            ),
        )
    left, right = (ics[f][np.isfinite(ics[f])] for f in ("L", "R"))
    all_ic = np.concatenate([left, right])
    feet = np.array(["L"] * len(left) + ["R"] * len(right))
    cad = cadence_spm(all_ic, feet, period_s)
    phase = _phase_of_left(left, right, period_s)
    if not np.isfinite(cad) or min(len(left), len(right)) < params.min_strides:
        return False, (
            QualityNote(
                "too_few_strides",
                f"Fewer than {params.min_strides} strides of each foot were found; film longer or "
                "keep both feet in view.",
            ),
        )
    if np.isfinite(phase) and not 0.3 <= phase <= 0.7:
        return False, (
            QualityNote(
                "not_alternating",
                f"The feet move together (left contact at {phase:.2f} of the stride after the "
                "right, running alternates at ~0.5): this looks like jumping or hopping, not "
                "running. No cadence is reported.",
            ),
        )
    return _cadence_and_duty(cad, ics, tos, params)


def cadence_note(cad: float, params: EventParams) -> QualityNote | None:
    """A note when a cadence lies outside the running range (slow motion, wrong frame rate)."""
    if cad < params.min_cadence_spm:
        return QualityNote(
            "cadence_too_low",
            f"The apparent cadence is {cad:.0f} steps/min, below the running range "
            f"({params.min_cadence_spm:.0f}-{params.max_cadence_spm:.0f}). If this is a "
            "slow-motion video, pass --slowmo-factor (capture fps / playback fps, e.g. 8 for "
            "240 fps played at 30); if it is walking, no running metrics apply.",
        )
    if cad > params.max_cadence_spm:
        return QualityNote(
            "cadence_too_high",
            f"The apparent cadence is {cad:.0f} steps/min, above the running range "
            f"({params.min_cadence_spm:.0f}-{params.max_cadence_spm:.0f}). Check the frame "
            "rate: a slow-motion factor may have been given for a normal-speed clip, or the "
            "video's timestamps are wrong.",
        )
    return None


def _cadence_and_duty(
    cad: float, ics: dict[str, np.ndarray], tos: dict[str, np.ndarray], params: EventParams
) -> tuple[bool, tuple[QualityNote, ...]]:
    note = cadence_note(cad, params)
    if note is not None:
        return False, (note,)
    duty = float(np.nanmedian([duty_factor(ics[f], tos[f]) for f in ("L", "R")]))
    note = flight_note(duty, params)
    return (False, (note,)) if note is not None else (True, ())


def flight_note(duty: float, params: EventParams) -> QualityNote | None:
    """A note when the feet are on the ground for too much of the stride to be running (no flight)."""
    if not (np.isfinite(duty) and duty > params.max_duty_factor):
        return None
    return QualityNote(
        "no_flight_phase",
        f"Each foot is on the ground for {100 * duty:.0f}% of the stride (running: below "
        f"{100 * params.max_duty_factor:.0f}%, with a flight phase): this looks like "
        "walking. No running metrics are reported.",
    )


#: Largest relative difference between the events' cadence and the label-free rhythm's for the
#: two to agree: 3 % is ~5 steps/min at 170, far above the spread of either on a steady clip
#: (both within 0.2 spm of the force plates on the mocap runners) and below a missed or doubled
#: step every few strides.
CADENCE_AGREEMENT = 0.03


def events_cadence_spm(ics: dict[str, np.ndarray], period_s: float) -> float:
    """Cadence of the detected contacts of both feet.

    :func:`fitted_cadence_spm`, with the step period half of ``period_s``; :func:`cadence_spm` with feet when
    that gives none.
    """
    left, right = (ics[f][np.isfinite(ics[f])] for f in ("L", "R"))
    fitted, _ = fitted_cadence_spm(np.concatenate([left, right]), period_s / 2)
    if np.isfinite(fitted):
        return fitted
    feet = np.array(["L"] * len(left) + ["R"] * len(right))
    return cadence_spm(np.concatenate([left, right]), feet, period_s)


def rhythm_check(
    running: bool, events_spm: float, rhythm_spm: dict[str, float], params: EventParams
) -> tuple[bool, tuple[QualityNote, ...]]:
    """Compare the events' cadence with the label-free rhythm's; notes when they disagree.

    Returns whether they agree (True when either is missing: nothing to compare) and the notes:
    ``cadence_disagreement`` (running, but the two cadences differ by more than
    :data:`CADENCE_AGREEMENT`) or ``running_without_events`` (the rhythm is a running cadence but
    the events were judged not running: the clip is not silently called "not running").
    """
    rhythm = rhythm_spm.get("consensus", float("nan"))
    if not np.isfinite(rhythm):
        return True, ()
    in_range = params.min_cadence_spm <= rhythm <= params.max_cadence_spm
    if running and np.isfinite(events_spm):
        if abs(events_spm / rhythm - 1) <= CADENCE_AGREEMENT:
            return True, ()
        return False, (
            QualityNote(
                "cadence_disagreement",
                f"The foot contacts give {events_spm:.0f} steps/min but the body's step rhythm "
                f"(pelvis and feet, whichever leg is which) gives {rhythm:.0f}: the cadence and "
                "the step times are uncertain (low confidence). The landmarks of the feet are "
                "unreliable in this clip; film from the side at hip height, with the whole body "
                "and both feet in view, in good light, at 60 fps or more.",
            ),
        )
    if not running and in_range:
        return True, (
            QualityNote(
                "running_without_events",
                f"The body moves with a running rhythm ({rhythm:.0f} steps/min from the pelvis "
                "and feet), but the foot contacts could not be found reliably, so no per-step "
                "figures are reported. Film from the side at hip height with both feet in view "
                "for the whole clip, the camera still, in good light.",
            ),
        )
    return True, ()


def step_indices(ic_s: np.ndarray, step_s: float) -> np.ndarray:
    """Integer step number of each (sorted) IC: a gap of about k steps counts k."""
    if not len(ic_s):
        return np.empty(0, dtype=int)
    inc = np.maximum(1, np.rint(np.diff(ic_s) / step_s)).astype(int)
    return np.r_[0, np.cumsum(inc)]


def fitted_cadence_spm(ic_s: np.ndarray, step_s: float | None) -> tuple[float, int]:
    """Cadence from a robust line through the ICs against their step numbers, and the steps spanned.

    Each IC gets its step number by counting steps of ``step_s`` (the clip's step period from the
    label-free rhythm) from the IC before it, so a missed contact counts as the step it was; the
    cadence is 60 / the Theil-Sen slope (the median of all pairwise slopes). A missed contact
    then costs nothing and a mistimed one little, where the sum of the measured step times would
    drop the steps around a gap and weigh every mistimed IC. With every contact found and steady
    running it equals the textbook 60 (n - 1) / (last - first). NaN with fewer than 3 ICs or no
    step period.
    """
    from scipy.stats import theilslopes

    ic = np.sort(np.asarray(ic_s, dtype=float))
    ic = ic[np.isfinite(ic)]
    if len(ic) < 3 or step_s is None or not np.isfinite(step_s) or step_s <= 0:
        return float("nan"), 0
    k = step_indices(ic, step_s)
    slope = float(theilslopes(ic, k).slope)
    return (60.0 / slope if slope > 0 else float("nan")), int(k[-1])
