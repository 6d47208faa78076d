"""Shared helpers of the cleaning steps: parameter checks and the ``attrs["cleaning"]`` log."""

from __future__ import annotations

import json
from typing import Any

from gait.errors import ConfigError, InvalidTrackError
from gait.track._model import PoseTrack

_TIME_TOL_S = 1e-6


def _check_range(
    name: str, value: float, low: float, high: float, *, low_open: bool = False
) -> None:
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        raise ConfigError(
            f"Expected {name} in {'(' if low_open else '['}{low}, {high}], got {value!r}."
        )




def _log(track: PoseTrack, step: str, **params: Any) -> PoseTrack:
    raw = track.attrs.get("cleaning", "[]")
    try:
        log = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidTrackError(
            "Expected attrs['cleaning'] to be a JSON list, got invalid JSON."
        ) from exc
    if not isinstance(log, list):
        raise InvalidTrackError(
            f"Expected attrs['cleaning'] to be a JSON list, got {type(log).__name__}."
        )
    return track.assign_attrs(cleaning=json.dumps([*log, {"step": step, **params}]))
