"""The one table of the bounds of the user's options (:data:`BOUNDS`) and its check (:func:`check_option`).

A leaf module (it imports only :mod:`gait.errors`), so that every layer, the video reader and the
track readers included, checks options against the same table without importing the stages'
configuration (:mod:`gait.config` re-exports both).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from gait.errors import ConfigError

#: Allowed range (inclusive) of each numeric option, wherever it is given: ``gait analyze`` and
#: ``gait pose`` options, ``gait batch`` options and manifest columns, the web app's form, and
#: :class:`AnalysisConfig`. Check a value with :func:`check_option`.
BOUNDS: dict[str, tuple[float, float]] = {
    "slowmo_factor": (1.0, 64.0),
    "height_cm": (50.0, 250.0),
    "treadmill_speed_mps": (0.1, 12.0),
    "track_fps": (1.0, 1000.0),
}

#: What each option means, said in the error message.
_MEANING = {
    "slowmo_factor": "capture fps / playback fps, for example 8 for a 240 fps clip played at 30 fps; "
    "1 for ordinary video",
    "height_cm": "the runner's height in centimetres",
    "treadmill_speed_mps": "the belt speed in metres per second",
    "track_fps": "the frame rate the landmarks were computed at, in frames per second",
}

#: How each option is named in messages when the caller does not say (the CLI passes '--slowmo-factor').
_LABEL = {
    "slowmo_factor": "The slow-motion factor",
    "height_cm": "The runner's height",
    "treadmill_speed_mps": "The treadmill speed",
}


def check_option(name: str, value: Any, *, label: str | None = None) -> float | None:
    """``value`` as a float when it lies within ``BOUNDS[name]``; ``None`` stays ``None`` (not given).

    Parameters
    ----------
    name
        A key of :data:`BOUNDS`.
    value
        The value given (a number; booleans, NaN and infinities are refused).
    label
        How the option is named in the message, e.g. ``"--slowmo-factor"`` or
        ``"m.csv line 3: slowmo_factor"``; default: a plain description.

    Raises
    ------
    ConfigError
        One sentence naming the option, the value, the range and what the option means.
    """
    if value is None:
        return None
    low, high = BOUNDS[name]
    label = label or _LABEL.get(name, name)
    span = f"from {low:g} to {high:g} ({_MEANING.get(name, name)})"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{label} must be a number {span}, got {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"{label} {number:g} is not a finite number; give a value {span}.")
    if not low <= number <= high:
        raise ConfigError(
            f"{label} {number:g} is outside the range {span}; give a value in that range."
        )
    return number


__all__ = ["BOUNDS", "check_option"]
