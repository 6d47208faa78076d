"""Read rules tables (TOML) into a :class:`RuleSet`, validating every field once, at the door."""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, NoReturn

from gait.errors import file_problem
from gait.flags._rules import (
    CHANGE_KINDS,
    DIRECTIONS,
    EVIDENCE_LEVELS,
    FOOT_STRIKE_PATTERNS,
    KNOWN_METRICS,
    KNOWN_STEP_COLUMNS,
    SEVERITIES,
    Condition,
    FatigueCriterion,
    FootStrikeCondition,
    MetricCondition,
    NotFlaggedRule,
    Rule,
    RuleSet,
    RulesFileError,
)

DEFAULT_RULES_SOURCE = "gait.flags/rules.toml"
#: The rules-table format this code reads; a file may omit ``schema_version`` (then it is this one).
SCHEMA_VERSION = 1

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = frozenset({"schema_version", "rule", "fatigue", "thresholds"})
_RULE_KEYS = frozenset(
    {
        "code", "label", "metric", "direction", "threshold", "all", "severity", "evidence",
        "evidence_note", "reference", "threshold_source", "measure_hint", "message", "per_side",
        "supersedes", "flag", "enabled",
    }
)  # fmt: skip
_NOT_FLAGGED_KEYS = frozenset(
    {"code", "label", "metric", "reason", "reference", "evidence", "severity", "flag", "enabled"}
)
_FATIGUE_KEYS = frozenset(
    {
        "code", "label", "column", "change", "metric", "direction", "threshold", "severity",
        "message", "evidence", "reference", "threshold_source", "enabled",
    }
)  # fmt: skip
_RULE_PLACEHOLDERS = {"value": 1.0, "threshold": 1.0, "side_text": ""}
_FATIGUE_PLACEHOLDERS = {"first": 1.0, "last": 1.0, "value": 1.0, "threshold": 1.0, "p_value": 0.5}


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Load the flag rules: the shipped defaults, optionally overridden by a user TOML file.

    Parameters
    ----------
    path
        A user rules file, or ``None`` for the defaults (``gait/flags/rules.toml``). The file may
        hold a ``[thresholds]`` table (``rule_code = number``), and/or ``[[rule]]`` and
        ``[[fatigue]]`` tables of the default file's shape: an entry whose ``code`` exists is merged
        onto that entry field by field, a new code must give every field, and ``enabled = false``
        drops an entry. ``[thresholds]`` is applied last.

    Returns
    -------
    RuleSet
        Validated rules in table order; ``source`` names the file(s) they came from.

    Raises
    ------
    RulesFileError
        When the file is missing, unreadable, not TOML, or breaks the table format (unknown field
        or metric, bad direction, severity or evidence level, bad message placeholder, ...). The
        message is one sentence naming the file and the entry.
    """
    if path is None:
        return default_rules()
    user_path = Path(path)
    user = _read_toml(_read_text(user_path), str(user_path))
    merged = _merge(_default_document(), user, str(user_path))
    source = f"{DEFAULT_RULES_SOURCE} + {user_path}"
    rules = _build(merged, source)
    thresholds = user.get("thresholds", {})
    if not isinstance(thresholds, Mapping):
        raise RulesFileError(f"In {user_path}, [thresholds] must be a table of code = number.")
    try:
        return rules.with_thresholds(thresholds)
    except RulesFileError as exc:
        raise RulesFileError(f"In {user_path}: {exc}") from None


@functools.cache
def default_rules() -> RuleSet:
    """The shipped default rules (read once, on first use; nothing is read at import)."""
    return _build(_default_document(), DEFAULT_RULES_SOURCE)


@functools.cache
def _default_text() -> str:
    try:
        return files("gait.flags").joinpath("rules.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesFileError(
            f"The default rules table {DEFAULT_RULES_SOURCE} is missing or unreadable in this "
            f"installation ({exc}); reinstall gait."
        ) from None


def _default_document() -> dict[str, Any]:
    # Parsed afresh each call so that merging can never touch a cached object.
    return _read_toml(_default_text(), DEFAULT_RULES_SOURCE)


def _read_text(path: Path) -> str:
    problem = file_problem(path)
    if problem is not None:
        raise RulesFileError(f"Rules file {path} {problem.what}; {problem.fix}.")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesFileError(f"Rules file {path} cannot be read as UTF-8 text ({exc}).") from None


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesFileError(f"Rules file {source} is not valid TOML ({exc}).") from None
    version = doc.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise RulesFileError(
            f"Rules file {source} has schema_version = {version!r}, but this version of gait reads "
            f"schema_version = {SCHEMA_VERSION}; follow the shape of {DEFAULT_RULES_SOURCE} of this "
            "version (or remove the schema_version line)."
        )
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise RulesFileError(
            f"Rules file {source} has an unknown top-level key {unknown[0]!r}; "
            f"expected only {', '.join(sorted(_TOP_KEYS))}."
        )
    for key in ("rule", "fatigue"):
        entries = doc.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise RulesFileError(f"In {source}, {key!r} must be an array of tables ([[{key}]]).")
    return doc


def _merge(base: dict[str, Any], user: dict[str, Any], source: str) -> dict[str, Any]:
    """Merge the user's ``[[rule]]`` and ``[[fatigue]]`` entries onto the defaults, by code."""
    merged = {"rule": list(base.get("rule", [])), "fatigue": list(base.get("fatigue", []))}
    for key in ("rule", "fatigue"):
        entries: list[dict[str, Any]] = merged[key]
        index = {e["code"]: i for i, e in enumerate(entries)}
        user_codes: set[str] = set()
        for entry in user.get(key, []):
            code = entry.get("code")
            if not isinstance(code, str):
                raise RulesFileError(f"In {source}, a [[{key}]] entry has no string 'code'.")
            if code in user_codes:
                raise RulesFileError(f"In {source}, the code {code!r} is used twice.")
            user_codes.add(code)
            if code not in index:
                index[code] = len(entries)
                entries.append(dict(entry))
                continue
            old = entries[index[code]]
            if "all" in old and "all" not in entry and {"metric", "direction"} & set(entry):
                raise RulesFileError(
                    f"In {source}, rule {code!r} is a combined rule (all = [...]); give a full "
                    "all = [...] or change its threshold in [thresholds]."
                )
            if "all" in old and "all" not in entry and "threshold" in entry:
                raise RulesFileError(
                    f"In {source}, rule {code!r} is a combined rule; change its threshold in "
                    f"[thresholds] ({code} = {entry['threshold']!r})."
                )
            new = {**old, **entry}
            if "all" in entry:
                for k in ("metric", "direction", "threshold"):
                    new.pop(k, None)
            entries[index[code]] = new
    return merged


def _build(doc: Mapping[str, Any], source: str) -> RuleSet:
    raw_rules = [e for e in doc.get("rule", []) if e.get("enabled", True) is not False]
    raw_fatigue = [e for e in doc.get("fatigue", []) if e.get("enabled", True) is not False]
    all_codes = [e.get("code") for e in [*doc.get("rule", []), *doc.get("fatigue", [])]]
    seen: set[str] = set()
    for code in all_codes:
        if isinstance(code, str) and code in seen:
            raise RulesFileError(f"In {source}, the code {code!r} is used twice.")
        if isinstance(code, str):
            seen.add(code)
    rule_codes = {e.get("code") for e in doc.get("rule", []) if isinstance(e.get("code"), str)}
    rules: list[Rule] = []
    shown: list[NotFlaggedRule] = []
    for entry in raw_rules:
        if entry.get("flag", True) is False:
            shown.append(_not_flagged(entry, source))
        else:
            rules.append(_rule(entry, source, rule_codes))
    fatigue = tuple(_fatigue(e, source) for e in raw_fatigue)
    return RuleSet(rules=tuple(rules), not_flagged=tuple(shown), fatigue=fatigue, source=source)


# -- field checks ------------------------------------------------------------------------------


class _Entry:
    """Typed access to one raw table, with errors that name the file and the entry."""

    def __init__(self, raw: Mapping[str, Any], source: str, kind: str, keys: frozenset[str]):
        self.raw, self.source, self.kind = raw, source, kind
        code = raw.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            raise RulesFileError(
                f"In {source}, a [[{kind}]] entry has code {code!r}; expected a snake_case string."
            )
        self.code = code
        unknown = sorted(set(raw) - keys)
        if unknown:
            self.fail(f"has an unknown field {unknown[0]!r}; allowed: {', '.join(sorted(keys))}")

    def fail(self, what: str) -> NoReturn:
        raise RulesFileError(f"In {self.source}, {self.kind} {self.code!r} {what}.")

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self.raw.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(f"needs a non-empty text field {key!r}, got {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], raw: Any = None) -> Any:
        value = self.raw.get(key) if raw is None else raw
        if value not in allowed:
            self.fail(f"has {key} {value!r}; expected one of {', '.join(map(repr, allowed))}")
        return value

    def number(self, key: str, raw: Any = None) -> float:
        value = self.raw.get(key) if raw is None else raw
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.fail(f"needs a finite number for {key!r}, got {value!r}")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            self.fail(f"needs true or false for {key!r}, got {value!r}")
        return value

    def metric(self, value: Any, known: frozenset[str] = KNOWN_METRICS) -> str:
        if not isinstance(value, str) or value not in known:
            self.fail(f"names unknown metric {value!r}; known: {', '.join(sorted(known))}")
        return value

    def template(self, key: str, placeholders: Mapping[str, Any]) -> str:
        text = self.text(key)
        try:
            text.format(**placeholders)
        except (KeyError, IndexError, ValueError) as exc:
            self.fail(
                f"has a {key} template that cannot be filled ({type(exc).__name__}: {exc}); "
                f"allowed placeholders: {', '.join('{' + p + '}' for p in placeholders)}"
            )
        return text


def _conditions(e: _Entry) -> tuple[Condition, ...]:
    raw = e.raw
    if "all" in raw:
        if {"metric", "direction", "threshold"} & set(raw):
            e.fail("gives both all = [...] and a top-level metric, direction or threshold")
        items = raw["all"]
        if not isinstance(items, list) or not items:
            e.fail("needs a non-empty array of tables for 'all'")
        return tuple(_condition(e, item) for item in items)
    cond = _condition(e, {k: raw[k] for k in ("metric", "direction", "threshold") if k in raw})
    return (cond,)


def _condition(e: _Entry, item: Any) -> Condition:
    if not isinstance(item, dict):
        e.fail(f"has a condition that is not a table: {item!r}")
    if set(item) == {"foot_strike"}:
        return FootStrikeCondition(
            e.choice("foot_strike", FOOT_STRIKE_PATTERNS, item["foot_strike"])
        )
    if set(item) != {"metric", "direction", "threshold"}:
        e.fail(
            "needs each condition to be {metric, direction, threshold} or {foot_strike}, "
            f"got the keys {sorted(item)}"
        )
    return MetricCondition(
        metric=e.metric(item["metric"]),
        direction=e.choice("direction", DIRECTIONS, item["direction"]),
        threshold=e.number("threshold", item["threshold"]),
    )


def _rule(raw: Mapping[str, Any], source: str, codes: set[str]) -> Rule:
    e = _Entry(raw, source, "rule", _RULE_KEYS)
    conditions = _conditions(e)
    if not isinstance(conditions[0], MetricCondition):
        e.fail("must start its conditions with a metric condition (the one the flag reports)")
    supersedes = raw.get("supersedes", [])
    if not isinstance(supersedes, list) or not all(isinstance(c, str) for c in supersedes):
        e.fail(f"needs a list of rule codes for 'supersedes', got {supersedes!r}")
    missing = [c for c in supersedes if c not in codes or c == e.code]
    if missing:
        e.fail(f"supersedes unknown rule {missing[0]!r}")
    return Rule(
        code=e.code,
        label=e.text("label"),
        conditions=conditions,
        severity=e.choice("severity", SEVERITIES),
        message=e.template("message", _RULE_PLACEHOLDERS),
        evidence=e.choice("evidence", EVIDENCE_LEVELS),
        reference=e.text("reference"),
        threshold_source=e.text("threshold_source"),
        measure_hint=e.text("measure_hint"),
        per_side=e.flag("per_side"),
        supersedes=tuple(supersedes),
        evidence_note=e.text("evidence_note", optional=True) or None,
    )


def _not_flagged(raw: Mapping[str, Any], source: str) -> NotFlaggedRule:
    e = _Entry(raw, source, "rule", _NOT_FLAGGED_KEYS)
    if "severity" in raw:
        e.choice("severity", ("info",))
    evidence = raw.get("evidence")
    return NotFlaggedRule(
        code=e.code,
        label=e.text("label"),
        metric=e.metric(raw.get("metric")),
        reason=e.text("reason"),
        reference=e.text("reference"),
        evidence=None if evidence is None else e.choice("evidence", EVIDENCE_LEVELS),
    )


def _fatigue(raw: Mapping[str, Any], source: str) -> FatigueCriterion:
    e = _Entry(raw, source, "fatigue criterion", _FATIGUE_KEYS)
    metric = e.text("metric")
    if not _CODE.match(metric):
        e.fail(f"needs a snake_case metric name with a unit suffix, got {metric!r}")
    return FatigueCriterion(
        code=e.code,
        label=e.text("label"),
        column=e.metric(raw.get("column"), KNOWN_STEP_COLUMNS),
        change=e.choice("change", CHANGE_KINDS),
        metric=metric,
        direction=e.choice("direction", DIRECTIONS),
        threshold=e.number("threshold"),
        severity=e.choice("severity", SEVERITIES),
        message=e.template("message", _FATIGUE_PLACEHOLDERS),
        evidence=e.choice("evidence", EVIDENCE_LEVELS),
        reference=e.text("reference"),
        threshold_source=e.text("threshold_source"),
    )
