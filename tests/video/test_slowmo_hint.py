"""An implausibly low cadence without a slow-motion factor names the standard factors that fit."""

from __future__ import annotations

import pytest

from gait.events import EventParams
from gait.events._slowmo_hint import slowmo_suggestion


@pytest.mark.parametrize(("cadence", "factor"), [(84.0, 2), (42.0, 4), (21.0, 8), (120.0, 2), (28.0, 8)])
def test_the_factor_that_makes_it_a_running_cadence_is_named(cadence: float, factor: int) -> None:
    note = slowmo_suggestion(cadence, False)
    assert note is not None and note.code == "cadence_suggests_slowmo"
    assert f"{cadence:.0f} steps/min" in note.message
    assert f"at {factor}x slow motion it would be {cadence * factor:.0f}" in note.message
    assert note.message.endswith(f"give --slowmo-factor {factor}.")
    assert note.message.count("--slowmo-factor") == 1


def test_the_message_reads_as_the_issue_asks() -> None:
    note = slowmo_suggestion(84.0, False)
    assert note is not None
    assert note.message == (
        "The apparent cadence is 84 steps/min, below the running range (130-240); at 2x slow motion "
        "it would be 168: if this clip is slow motion, give --slowmo-factor 2."
    )


@pytest.mark.parametrize("cadence", [130.0, 168.0, 260.0, float("nan"), 0.0, -5.0])
def test_no_suggestion_for_running_or_meaningless_cadences(cadence: float) -> None:
    assert slowmo_suggestion(cadence, False) is None


def test_no_suggestion_when_a_factor_was_given() -> None:
    assert slowmo_suggestion(42.0, True) is None


def test_too_low_for_any_standard_factor() -> None:
    note = slowmo_suggestion(10.0, False)
    assert note is not None and note.code == "cadence_too_low_for_slowmo"
    assert "even at 2x, 4x, 8x slow motion" in note.message and "--slowmo-factor" in note.message


def test_the_running_range_comes_from_the_event_parameters() -> None:
    params = EventParams(min_cadence_spm=100.0, max_cadence_spm=200.0)
    assert slowmo_suggestion(110.0, False, params=params) is None
    note = slowmo_suggestion(60.0, False, params=params)
    assert note is not None and "(100-200)" in note.message and "--slowmo-factor 2" in note.message
    assert "--slowmo-factor 4" not in note.message  # 240 is above this range
