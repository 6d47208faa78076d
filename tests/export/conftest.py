"""Analyses of the committed sample track (no inference), shared by the export tests."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gait.config import AnalysisConfig
from gait.pipeline import Analysis, analyze_track
from gait.track import load_track
from tests.conftest import SAMPLE_TRACK


@pytest.fixture(scope="session")
def analysis() -> Analysis:
    return analyze_track(load_track(SAMPLE_TRACK))


@pytest.fixture(scope="session")
def analysis_180cm() -> Analysis:
    return analyze_track(load_track(SAMPLE_TRACK), AnalysisConfig(height_cm=180.0))


@pytest.fixture(scope="session")
def vfr_analysis(analysis: Analysis) -> Analysis:
    """The sample with every 5th frame dropped from the cleaned track: uneven frame times."""
    cleaned = analysis.cleaned
    keep = np.arange(cleaned.sizes["time"]) % 5 != 2
    return dataclasses.replace(analysis, cleaned=cleaned.isel(time=keep))


@pytest.fixture(scope="session")
def vfr_both_analysis(vfr_analysis: Analysis) -> Analysis:
    """:func:`vfr_analysis` with the raw track thinned the same way (what a VFR clip gives)."""
    raw = vfr_analysis.track
    keep = np.isin(raw["time"].values, vfr_analysis.cleaned["time"].values)
    return dataclasses.replace(vfr_analysis, track=raw.isel(time=keep))
