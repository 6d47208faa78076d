"""Fixtures for the mocap validation source: the shared RBDS data folder and cached trials."""

from __future__ import annotations

from pathlib import Path

import pytest

from gait.validate import MocapTrial, load_trial
from gait.validate.mocap import _c3d_available

DATA_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mocap").resolve()
HAS_C3D = _c3d_available()

TRIAL_IDS = [
    t
    for t in ("RBDS001_runT25", "RBDS001_runT35_c3d", "RBDS0041_runT25")
    if HAS_C3D or not t.endswith("_c3d")
]

_CACHE: dict[str, MocapTrial] = {}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Locate the RBDS mocap folder next to the repository; skip when it is not there."""
    if not (DATA_DIR / "events").is_dir():
        pytest.skip(
            f"mocap data not found at {DATA_DIR} (expected shared/data/mocap beside the repo)"
        )
    return DATA_DIR


@pytest.fixture(scope="session")
def get_trial(data_dir: Path):
    """Load a trial once per session."""

    def get(trial_id: str) -> MocapTrial:
        if trial_id not in _CACHE:
            _CACHE[trial_id] = load_trial(data_dir, trial_id)
        return _CACHE[trial_id]

    return get


@pytest.fixture(scope="session", params=TRIAL_IDS)
def trial(request: pytest.FixtureRequest, get_trial) -> MocapTrial:
    """Each available trial (the C3D one only when the ``c3d`` package imports)."""
    return get_trial(request.param)


@pytest.fixture(scope="session")
def t25(get_trial) -> MocapTrial:
    """RBDS001 at 2.5 m/s (text files): the default trial for projection tests."""
    return get_trial("RBDS001_runT25")
