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

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gait.config import ROLES, AnalysisConfig
from gait.errors import ConfigError
from gait.flags import RuleSet, evaluate_flags
from gait.metrics import GaitMetrics, ViewPart, merge_metrics, merge_steps
from gait.metrics._session import match_session
from gait.notes import QualityNote
from gait.pipeline._types import Analysis, Session
from gait.pipeline._views import methods_for
from gait.report import build_session_report, quality_notes

SIDE_VIEWS = ("side_left", "side_right")


def role_configs(config: AnalysisConfig, roles: Sequence[str] = ("side", "rear")) -> tuple[AnalysisConfig, ...]:
    """The configurations of the clips in ``roles`` (default: a side and a rear clip).

    ``config.view`` forces the view of the clip whose role it names: a side view
    (``"side_left"``/``"side_right"``) the side clip's, ``"rear"`` or ``"front"`` the clip in that
    role (the rear clip's when there is no front clip, as for a pair); the other clips' views are
    detected. Without ``config.view`` every view is detected.
    """
    if config.view is None:
        return tuple(config for _ in roles)
    want = "side" if config.view in SIDE_VIEWS else config.view
    if want not in roles:
        want = "rear" if "rear" in roles else roles[-1]
    target = roles.index(want)
    return tuple(config if i == target else replace(config, view=None) for i in range(len(roles)))


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
    with a ``view_mismatch`` note. (Two clips of :func:`assign_views` with the roles given.)
    """
    ordered, _, notes = assign_views((first, second), names, ("side", "rear"))
    return ordered[0], ordered[1], notes


#: What each role's clip is for, in the notes of a clip whose view does not fit its role.
_ROLE_HINTS = {
    "side": (
        "side-view metrics (foot strike, overstride, knee and trunk angles)",
        "Film the side clip with the camera perpendicular to the running direction, at hip height.",
    ),
    "rear": (
        "rear-view metrics (pelvic drop, hip adduction, step width)",
        "Film the rear clip from behind the runner, at pelvis height.",
    ),
    "front": (
        "front-view metrics (pelvic drop, step width)",
        "Film the front clip facing the runner, at pelvis height.",
    ),
}
_FROM = {"rear": "from behind", "front": "from the front"}


def _family(analysis: Analysis) -> str:
    return methods_for(analysis.events.view).family


def _expected_roles(analyses: Sequence[Analysis], given: Sequence[str | None] | None) -> list[str]:
    """Each clip's role before the side clip is checked.

    As given; else the first clip is the side clip and every other clip is named by its detected
    frontal view (``rear`` when it has none).
    """
    roles: list[str] = []
    for i, analysis in enumerate(analyses):
        role = given[i] if given is not None and i < len(given) else None
        if role is None:
            family = _family(analysis)
            role = "side" if i == 0 else (family if family in ("rear", "front") else "rear")
        roles.append(role)
    return roles


def assign_views(
    analyses: Sequence[Analysis],
    names: Sequence[str] | None = None,
    roles: Sequence[str | None] | None = None,
) -> tuple[tuple[Analysis, ...], tuple[str, ...], tuple[QualityNote, ...]]:
    """``(analyses, roles, notes)``: one side clip and any frontal clips in their roles, in role order.

    Parameters
    ----------
    analyses
        The clips' analyses as given (the first as the side clip unless ``roles`` says otherwise).
    names
        The clips' names for notes (default: ``the clip 1`` ...).
    roles
        The role the user gave each clip (``None`` for a clip without one): a clip without a role
        is the side clip when first, else a rear or front clip by its detected view.

    A side clip given in a frontal role while the clip given as the side clip was filmed from behind
    or the front is swapped with it, with a ``view_mismatch`` note; a clip whose detected view still
    does not fit its role keeps the role, is analysed by its detected view, and gets a note. The
    result is in the order of :data:`gait.config.ROLES` (side first).

    Raises
    ------
    ConfigError
        Two clips in one role (two rear clips, say).
    """
    names = list(names) if names is not None else [f"the clip {i + 1}" for i in range(len(analyses))]
    current = _expected_roles(analyses, roles)
    notes: list[QualityNote] = []
    side = current.index("side") if "side" in current else None
    if side is not None and _family(analyses[side]) in ("rear", "front"):
        others = [i for i, r in enumerate(current) if r != "side" and _family(analyses[i]) == "side"]
        if len(others) == 1:
            j = others[0]
            v = analyses[j].events.view
            notes.append(
                QualityNote(
                    "view_mismatch",
                    f"The clip given as the side view ({names[side]}) was filmed "
                    f"{_FROM[_family(analyses[side])]} and the clip given as the {current[j]} view "
                    f"({names[j]}) from the side ({_view_words(v)}); they were analysed by the views "
                    "detected, as if given the other way round.",
                )
            )
            current[side], current[j] = current[j], current[side]
            if analyses[side].events.view != current[side]:
                # the swapped clip's detected view names its role (a front clip given as the side clip)
                fam = _family(analyses[side])
                if fam not in current:
                    current[side] = fam
    for role in set(current):
        clash = [names[i] for i, r in enumerate(current) if r == role]
        if len(clash) > 1:
            raise ConfigError(
                f"A session takes one clip per view, but {' and '.join(clash)} are both {role} clips; "
                "give one side clip and at most one rear and one front clip."
            )
    if not notes:
        for i, role in enumerate(current):
            family = _family(analyses[i])
            if family == role:
                continue
            what, advice = _ROLE_HINTS.get(role, _ROLE_HINTS["rear"])
            notes.append(
                QualityNote(
                    "view_mismatch",
                    f"The clip given as the {role} view ({names[i]}) looks like a "
                    f"{_view_words(analyses[i].events.view)}, not a {role} view; it was analysed as such, so "
                    f"the {what} are missing. {advice}",
                )
            )
    order = sorted(range(len(analyses)), key=lambda i: ROLES.index(current[i]) if current[i] in ROLES else len(ROLES))
    return tuple(analyses[i] for i in order), tuple(current[i] for i in order), tuple(notes)


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
    return family if family in ROLES else "side"


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

    The pair of :func:`merge_views` with the roles ``("side", "rear")`` given.
    """
    return merge_views((first, second), config, rules=rules, names=names, roles=("side", "rear"))


_LABELS = {"side": "Side clip", "rear": "Rear clip", "front": "Front clip"}


def merge_views(
    analyses: Sequence[Analysis],
    config: AnalysisConfig,
    *,
    rules: RuleSet | None = None,
    names: Sequence[str] | None = None,
    roles: Sequence[str | None] | None = None,
) -> Session:
    """Merge the analyses of one run's side clip and any rear and front clips into one session.

    Parameters
    ----------
    analyses
        One analysis per clip, each by its own (detected or forced) view, the side clip first
        unless ``roles`` says otherwise.
    config
        The user's configuration (recorded in the report's provenance).
    rules
        Flag rules (``None``: the defaults); the same as the analyses used.
    names
        The files' names as the user gave them, for notes; default: from the clips' paths.
    roles
        The role the user gave each clip (``None`` entries: by position and detected view, see
        :func:`assign_views`).

    Each metric comes from the first clip, in role order, whose view provides it (the registry's
    ``provides``): the frontal-plane metrics from the rear clip, those only the front view gives,
    or all of them when there is no rear clip, from the front clip; ``source_views`` says which.
    """
    names = list(names or [_clip_name(a) for a in analyses])
    ordered, assigned, role_notes = assign_views(analyses, [f"'{n}'" for n in names], roles)
    parts = tuple(_part(role, a) for role, a in zip(assigned, ordered, strict=True))
    metrics, source_views = merge_metrics(parts)
    session, session_notes = match_session(parts)
    side = ordered[0]
    flags = evaluate_flags(metrics, side.metrics.foot_strike, rules=rules)
    clip_notes = [q for role, a in zip(assigned, ordered, strict=True) for q in _prefixed(_LABELS.get(role, role), a)]
    notes = (*role_notes, *session_notes, *clip_notes)
    merged = GaitMetrics(metrics, dict(side.metrics.foot_strike), merge_steps(parts), notes)
    report = build_session_report(
        tuple(zip(assigned, ordered, strict=True)),
        metrics=metrics,
        source_views=source_views,
        session=session,
        notes=notes,
        flags=flags,
        fatigue=side.fatigue,
        config=config,
    )
    return Session(tuple(ordered), tuple(assigned), merged, source_views, flags, side.fatigue, report)


__all__ = ["assign_roles", "assign_views", "merge_session", "merge_views", "role_configs", "single_session"]
