"""Fixtures for the track-stage tests (the generators live in :mod:`tests.synth_runner`)."""

from __future__ import annotations

import pytest

from gait.track import PoseTrack
from tests.synth_runner import make_swinging_runner


@pytest.fixture
def runner30() -> PoseTrack:
    """4 s of side-view treadmill running at 30 fps with 1 px noise."""
    return make_swinging_runner(fps=30.0, noise_px=1.0)


@pytest.fixture
def runner120() -> PoseTrack:
    """2 s of side-view treadmill running at 120 fps with 1 px noise."""
    return make_swinging_runner(fps=120.0, duration_s=2.0, noise_px=1.0)
