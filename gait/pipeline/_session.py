"""Sessions: one run filmed from one or more views, merged into one result.

The clips are analysed separately (each by its own view's methods, :mod:`gait.pipeline._views`)
and merged here: metrics by the registry's ``provides`` (:func:`gait.metrics.merge_metrics`), the
views matched by cadence and phase (:func:`gait.metrics.match_views`), flags on the merged
metrics, the report by :func:`gait.report.build_session_report`.

Roles follow the *detected* views: a pair given the wrong way round (the rear clip first) is swapped
with a note, and a clip whose view does not match its role (two side clips, say) is still analysed
by its detected view, with a note.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from gait.config import AnalysisConfig
from gait.flags import RuleSet, evaluate_flags
from gait.metrics import GaitMetrics, ViewPart, match_views, merge_metrics, merge_steps
from gait.notes import QualityNote
from gait.pipeline._types import Analysis, Session
from gait.pipeline._views import methods_for
from gait.report import build_session_report, quality_notes

SIDE_VIEWS = ("side_left", "side_right")


def role_configs(config: AnalysisConfig) -> tuple[AnalysisConfig, AnalysisConfig]:
    """The configurations of the side and the rear clip.

    ``config.view`` forces the view of the clip whose role it names: a side view
    (``"side_left"``/``"side_right"``) the side clip's, ``"rear"`` or ``"front"`` the rear clip's;
    the other clip's view is detected. Without ``config.view`` both are detected.
    """
    if config.view is None:
        return config, config
    if config.view in SIDE_VIEWS:
        return config, replace(config, view=None)
    return replace(config, view=None), config


def _view_words(view: str) -> str:
    return {
        "side_left": "side view (left side)",
        "side_right": "side view (right side)",
        "rear": "rear view",
        "front": "front view",
    }.get(view, "view that could not be recognised")


def assign_roles(
    first: Analysis, second: Analysis, names: tuple[str, str] = ("the side clip", "the rear clip")
) -> tuple[Analysis, Analysis, tuple[QualityNote, ...]]:
    """``(side, rear, notes)``: the analyses in their roles, swapped when given the wrong way round.

    ``first`` was given as the side clip and ``second`` as the rear clip; ``names`` name them in
    notes. A clip whose detected view does not fit its role keeps the role and its detected view,
    with a ``view_mismatch`` note.
    """
    v1, v2 = first.events.view, second.events.view
    if v1 == "rear" and v2 in SIDE_VIEWS:
        note = QualityNote(
            "view_mismatch",
            f"The clip given as the side view ({names[0]}) was filmed from behind and the clip given "
            f"as the rear view ({names[1]}) from the side ({_view_words(v2)}); they were analysed by "
            "the views detected, as if given the other way round.",
        )
        return second, first, (note,)
    notes = []
    if v1 not in SIDE_VIEWS:
        notes.append(
            QualityNote(
                "view_mismatch",
                f"The clip given as the side view ({names[0]}) looks like a {_view_words(v1)}, not a "
                "side view; it was analysed as such, so the side-view metrics (foot strike, "
                "overstride, knee and trunk angles) are missing. Film the side clip with the camera "
                "perpendicular to the running direction, at hip height.",
            )
        )
    if v2 != "rear":
        notes.append(
            QualityNote(
                "view_mismatch",
                f"The clip given as the rear view ({names[1]}) looks like a {_view_words(v2)}, not a "
                "rear view; it was analysed as such, so the rear-view metrics (pelvic drop, hip "
                "adduction, step width) are missing. Film the rear clip from behind the runner, at "
                "pelvis height.",
            )
        )
    return first, second, tuple(notes)


def _part(role: str, analysis: Analysis) -> ViewPart:
    view = analysis.events.view
    provides = methods_for(view).provides
    # a clip in the side role provides what no other view does, whatever its detected view
    return ViewPart(role, view, analysis.metrics, None if role == "side" else provides, bool(analysis.events.running))


def _prefixed(label: str, analysis: Analysis) -> list[QualityNote]:
    notes = quality_notes(analysis.track, analysis.cleaned, analysis.events, analysis.metrics)
    return [QualityNote(q.code, f"{label}: {q.message}") for q in notes]


def _role_of(analysis: Analysis) -> str:
    family = methods_for(analysis.events.view).family
    return family if family in ("side", "rear") else "side"


def single_session(analysis: Analysis) -> Session:
    """A session of one clip: the clip's own analysis and report."""
    sources = dict.fromkeys(analysis.metrics.metrics, analysis.events.view)
    return Session(
        (analysis,), (_role_of(analysis),), analysis.metrics, sources, analysis.flags, analysis.fatigue, analysis.report
    )


def _clip_name(analysis: Analysis) -> str:
    return Path(str(analysis.track.attrs.get("source_path") or "")).name or "pose track"


def merge_session(
    first: Analysis,
    second: Analysis,
    config: AnalysisConfig,
    *,
    rules: RuleSet | None = None,
    names: tuple[str, str] | None = None,
) -> Session:
    """Merge the analyses of the clip given as side view (``first``) and as rear view (``second``).

    Parameters
    ----------
    first, second
        Analyses of the side and rear clip, each by its own (detected or forced) view.
    config
        The user's configuration (recorded in the report's provenance).
    rules
        Flag rules (``None``: the defaults); the same as the analyses used.
    names
        The two files' names as the user gave them, for notes; default: from the clips' paths.
    """
    names = names or (_clip_name(first), _clip_name(second))
    side, rear, role_notes = assign_roles(first, second, (f"'{names[0]}'", f"'{names[1]}'"))
    parts = (_part("side", side), _part("rear", rear))
    metrics, source_views = merge_metrics(parts)
    session, session_notes = match_views(*parts)
    flags = evaluate_flags(metrics, side.metrics.foot_strike, rules=rules)
    notes = (*role_notes, *session_notes, *_prefixed("Side clip", side), *_prefixed("Rear clip", rear))
    merged = GaitMetrics(metrics, dict(side.metrics.foot_strike), merge_steps(parts), notes)
    report = build_session_report(
        (("side", side), ("rear", rear)),
        metrics=metrics,
        source_views=source_views,
        session=session,
        notes=notes,
        flags=flags,
        fatigue=side.fatigue,
        config=config,
    )
    return Session((side, rear), ("side", "rear"), merged, source_views, flags, side.fatigue, report)


__all__ = ["assign_roles", "merge_session", "role_configs", "single_session"]
