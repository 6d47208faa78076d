"""Clips that are not running get running=False, no cadence, and a note that says what to do."""

from __future__ import annotations

import numpy as np
import pytest

from gait.events import EventParams, detect_events
from gait.events._checks import running_checks
from gait.track import clean_track, from_numpy, load_track
from tests.synth_runner import make_treadmill_runner

from .conftest import NON_RUNNING


def test_walking_and_jumping_clip_is_not_running() -> None:
    events = detect_events(clean_track(load_track(NON_RUNNING)))
    assert not events.running
    assert events.quality, "a note explains why"


@pytest.mark.parametrize("factor", [4.0, 8.0])
def test_slow_motion_without_factor(sample_raw, factor: float) -> None:
    # a 240 fps capture played at 30 fps: every real second lasts `factor` seconds
    slow = sample_raw.assign_coords(time=sample_raw["time"] * factor)
    slow.attrs["fps"] = sample_raw.attrs["fps"] / factor
    events = detect_events(clean_track(slow))
    assert not events.running
    note = next(n for n in events.quality if n.code == "cadence_too_low")
    assert "--slowmo-factor" in note.message


def test_double_speed_is_too_fast(sample_raw) -> None:
    fast = sample_raw.assign_coords(time=sample_raw["time"] * 0.5)
    fast.attrs["fps"] = sample_raw.attrs["fps"] * 2
    events = detect_events(clean_track(fast))
    assert not events.running
    assert any(n.code == "cadence_too_high" for n in events.quality)


def test_standing_still_has_no_rhythm() -> None:
    runner = make_treadmill_runner(fps=30.0, duration_s=6.0)
    still = np.repeat(runner["position"].values[:1], runner.sizes["time"], axis=0)
    still = still + np.random.default_rng(0).normal(0, 1.0, still.shape)
    track = from_numpy(
        still, runner["confidence"].values, runner["time"].values, image_size_px=(800, 600)
    )
    events = detect_events(clean_track(track))
    assert not events.running
    assert any(n.code == "no_periodicity" for n in events.quality)


def test_in_phase_feet_look_like_jumping() -> None:
    t = np.arange(0.0, 6.0, 0.7)
    ics = {"L": t, "R": t + 0.02}
    tos = {"L": t + 0.25, "R": t + 0.27}
    running, notes = running_checks(ics, tos, 0.7, 0.95, EventParams())
    assert not running and notes[0].code == "not_alternating"


def test_long_contacts_look_like_walking() -> None:
    # cadence 110 spm and feet on the ground 62 % of the stride: walking
    t = np.arange(0.0, 8.0, 1.09)
    ics = {"L": t, "R": t + 0.545}
    tos = {"L": t + 0.68, "R": t + 0.545 + 0.68}
    running, notes = running_checks(ics, tos, 1.09, 0.95, EventParams(min_cadence_spm=100.0))
    assert not running and notes[0].code == "no_flight_phase"


def test_running_rhythm_passes() -> None:
    t = np.arange(0.0, 8.0, 0.7)
    running, notes = running_checks(
        {"L": t, "R": t + 0.35}, {"L": t + 0.25, "R": t + 0.6}, 0.7, 0.95, EventParams()
    )
    assert running and notes == ()
