"""Evidence-graded stress-fracture flags: rules as data, evaluated against a clip's metrics.

The rules live in one table, ``gait/flags/rules.toml`` (shipped as package data and read with
:mod:`importlib.resources` on first use). Each rule names a metric, a threshold and direction
(equality fires), a severity, a plain-language message, the evidence level and the reference.
Pronation and asymmetry are shown but never flagged, with the reason. A flag never predicts a
fracture; see :data:`DISCLAIMER`.

>>> from gait.flags import evaluate_flags, load_rules
>>> rules = load_rules()                       # defaults; load_rules("my_rules.toml") overrides
>>> result = evaluate_flags(metrics, foot_strike, rules=rules)   # doctest: +SKIP
"""

from gait.flags._evaluate import evaluate_flags
from gait.flags._fatigue import FatigueComparison, FatigueResult, compare_fatigue
from gait.flags._load import default_rules, load_rules
from gait.flags._result import DISCLAIMER, Flag, FlagResult, NotFlagged
from gait.flags._rules import (
    FatigueCriterion,
    FootStrikeCondition,
    MetricCondition,
    NotFlaggedRule,
    Rule,
    RuleSet,
    RulesFileError,
    crosses,
)

__all__ = [
    "DISCLAIMER",
    "FatigueComparison",
    "FatigueCriterion",
    "FatigueResult",
    "Flag",
    "FlagResult",
    "FootStrikeCondition",
    "MetricCondition",
    "NotFlagged",
    "NotFlaggedRule",
    "Rule",
    "RuleSet",
    "RulesFileError",
    "compare_fatigue",
    "crosses",
    "default_rules",
    "evaluate_flags",
    "load_rules",
]
