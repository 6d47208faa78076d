"""Shared test fixtures: paths of bundled samples and of the read-only shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs property tests with a fixed seed: a red run must come from the code, not from the draw.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
TEST_DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"
SHARED_CLIPS = SHARED / "data" / "clips"

#: Flags for Debian's chromium in tests: no background traffic (the machines reach no other hosts).
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SAMPLE_CLIP = SAMPLES / "treadmill_side_male_30fps_portrait.mp4"
SAMPLE_TRACK = SAMPLES / "treadmill_side_male_30fps_portrait.track.nc"
SAMPLE_EVENTS = SAMPLES / "treadmill_side_male_30fps_portrait.events.csv"


def shared_clip(name: str) -> Path:
    """A clip from ../shared/data/clips, or skip the test when the shared folder is not there."""
    path = SHARED_CLIPS / name
    if not path.exists():
        pytest.skip(f"shared clip {name} not available at {SHARED_CLIPS}")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite golden files (tests/**/golden/*) from the current code; review the diff before committing.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
