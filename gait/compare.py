"""Compare two sessions of one runner: which changes exceed the measurement's own noise.

Pure functions on two ``report.json`` documents (no web, no files), so that the web app, the CLI and
tests share one definition.

The smallest real change
------------------------
Each metric of a report carries its value, its step-to-step standard deviation ``sd`` over ``n``
steps, and ``uncertainty``: the standard uncertainty of the value from the method (frame period and
the detector's error measured on the validation tables). The standard uncertainty of one session's
value combines both::

    u = sqrt(uncertainty**2 + (sd / sqrt(n))**2)

and the 95 % minimal detectable change between sessions ``a`` and ``b`` is::

    MDC95 = 1.96 * sqrt(u_a**2 + u_b**2)

which, when both sessions have the same standard error of measurement (SEM), is the textbook
``1.96 * sqrt(2) * SEM``. A change larger than the MDC95 is unlikely (less than 5 %) to come from
measurement noise alone; a smaller change may be real but this measurement cannot tell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: z for a two-sided 95 % interval.
Z95 = 1.96

#: Plain-language names of the metrics, for the sentences.
METRIC_WORDS: dict[str, str] = {
    "cadence_spm": "step rate",
    "step_time_s": "step time",
    "stride_time_s": "stride time",
    "contact_time_s": "ground contact time",
    "flight_time_s": "flight time",
    "duty_factor": "share of the stride on the ground",
    "step_time_asymmetry_pct": "left-right difference in step time",
    "contact_time_asymmetry_pct": "left-right difference in contact time",
    "foot_strike_angle_deg": "foot angle at landing",
    "overstride_leg_lengths": "overstride",
    "shank_angle_ic_deg": "shin angle at landing",
    "knee_flexion_ic_deg": "knee bend at landing",
    "peak_knee_flexion_stance_deg": "greatest knee bend on the ground",
    "peak_thigh_extension_deg": "thigh extension at push-off",
    "trunk_lean_deg": "forward trunk lean",
    "vertical_oscillation_leg_lengths": "bounce",
    "vertical_oscillation_cm": "bounce",
}


def session_uncertainty(metric: Mapping[str, Any]) -> float | None:
    """Standard uncertainty of one session's metric value.

    Parameters
    ----------
    metric
        One entry of a report's ``"metrics"``: ``value``, ``n``, ``sd``, ``uncertainty``.

    Returns
    -------
    float or None
        ``sqrt(uncertainty**2 + (sd / sqrt(n))**2)``, leaving out a term that is missing; None when
        the value is missing or neither term is known.
    """
    if metric.get("value") is None:
        return None
    terms = []
    if metric.get("uncertainty") is not None:
        terms.append(float(metric["uncertainty"]) ** 2)
    sd, n = metric.get("sd"), metric.get("n") or 0
    if sd is not None and n >= 2:
        terms.append(float(sd) ** 2 / n)
    return math.sqrt(sum(terms)) if terms else None


def detectable_change(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    """The 95 % minimal detectable change between two sessions' values of one metric.

    Parameters
    ----------
    a, b
        The metric's entries in the two reports.

    Returns
    -------
    float or None
        ``1.96 * sqrt(u_a**2 + u_b**2)`` with ``u`` from :func:`session_uncertainty`; None when
        either uncertainty is unknown.
    """
    u_a, u_b = session_uncertainty(a), session_uncertainty(b)
    if u_a is None or u_b is None:
        return None
    return Z95 * math.sqrt(u_a**2 + u_b**2)


def _fmt(value: float, unit: str) -> str:
    """A magnitude in words: milliseconds for seconds, whole spm and degrees."""
    value = abs(value)
    if unit == "s":
        return f"{value * 1000:.0f} ms"
    if unit == "spm":
        return f"{value:.0f} spm"
    if unit == "deg":
        return f"{value:.1f} deg"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "cm":
        return f"{value:.1f} cm"
    if unit == "leg_lengths":
        return f"{value:.2f} leg lengths"
    return f"{value:.2f}"


def change_sentence(name: str, unit: str, difference: float | None, mdc: float | None) -> str:
    """One sentence a runner understands, e.g. "step rate rose 9 spm; changes above 3 spm are real".

    Parameters
    ----------
    name
        Metric key (see :data:`METRIC_WORDS`).
    unit
        The metric's unit.
    difference
        ``b - a``, or None when a session lacks the value.
    mdc
        The detectable change, or None when it is unknown.
    """
    words = METRIC_WORDS.get(name, name.replace("_", " "))
    if difference is None:
        return f"{words} was not measured in both sessions, so it cannot be compared."
    tiny = 0.5e-3 if unit == "s" else 1e-9
    if abs(difference) < tiny:
        moved = "did not change"
    else:
        moved = ("rose " if difference > 0 else "fell ") + _fmt(difference, unit)
    if mdc is None:
        return f"{words} {moved}; this measurement's noise is not known, so whether that is real cannot be said."
    if abs(difference) > mdc:
        return f"{words} {moved}; changes above {_fmt(mdc, unit)} are real at this frame rate and number of steps."
    return f"{words} {moved}, within the {_fmt(mdc, unit)} that this measurement cannot tell from noise."


def compare_metric(name: str, a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    """Both values, the difference ``b - a``, the detectable change, whether it is exceeded, and the sentence."""
    a, b = a or {}, b or {}
    va, vb = a.get("value"), b.get("value")
    unit = str(a.get("unit") or b.get("unit") or "")
    diff = None if va is None or vb is None else float(vb) - float(va)
    mdc = None if diff is None else detectable_change(a, b)
    exceeds = bool(diff is not None and mdc is not None and abs(diff) > mdc)
    return {
        "a": va,
        "b": vb,
        "unit": unit,
        "difference": diff,
        "detectable_change": mdc,
        "exceeds": exceeds,
        "sentence": change_sentence(name, unit, diff, mdc),
    }


def _flag_codes(report: Mapping[str, Any]) -> list[str]:
    return [str(f.get("code")) for f in report.get("flags", []) if f.get("code")]


def compare_reports(
    a: Mapping[str, Any], b: Mapping[str, Any], *, target_cadence_spm: float | None = None
) -> dict[str, Any]:
    """Compare two reports (``a`` the earlier session, ``b`` the later one).

    Parameters
    ----------
    a, b
        Contents of two ``report.json`` files.
    target_cadence_spm
        The runner's target step rate, if set: the result then has a ``"target"`` entry.

    Returns
    -------
    dict
        ``{"metrics": {name: {"a", "b", "unit", "difference", "detectable_change", "exceeds",
        "sentence"}}, "flags": {"appeared", "went_away", "stayed"}}`` (metrics in the order of
        ``a``, then those only in ``b``), and ``"target"`` with the gap to the target in each
        session when ``target_cadence_spm`` is given.
    """
    ma, mb = a.get("metrics", {}), b.get("metrics", {})
    names = [*ma, *(n for n in mb if n not in ma)]
    fa, fb = _flag_codes(a), _flag_codes(b)
    out: dict[str, Any] = {
        "metrics": {name: compare_metric(name, ma.get(name), mb.get(name)) for name in names},
        "flags": {
            "appeared": [c for c in fb if c not in fa],
            "went_away": [c for c in fa if c not in fb],
            "stayed": [c for c in fa if c in fb],
        },
    }
    if target_cadence_spm is not None:
        out["target"] = cadence_target(out["metrics"].get("cadence_spm"), target_cadence_spm)
    return out


def cadence_target(cadence: Mapping[str, Any] | None, target: float) -> dict[str, Any]:
    """Progress towards a target step rate: the gap in each session and the share of it closed."""
    cadence = cadence or {}
    va, vb = cadence.get("a"), cadence.get("b")
    gap_a = None if va is None else float(target) - float(va)
    gap_b = None if vb is None else float(target) - float(vb)
    closed = None
    if gap_a is not None and gap_b is not None and abs(gap_a) > 1e-9:
        closed = 1.0 - gap_b / gap_a
    return {"cadence_spm": float(target), "gap_a": gap_a, "gap_b": gap_b, "fraction_closed": closed}


__all__ = [
    "METRIC_WORDS",
    "Z95",
    "cadence_target",
    "change_sentence",
    "compare_metric",
    "compare_reports",
    "detectable_change",
    "session_uncertainty",
]
