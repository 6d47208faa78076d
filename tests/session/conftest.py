"""Two-view sessions from the mocap harness: one trial filmed by a virtual side and a virtual rear camera."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gait.track import PoseTrack, save_track
from gait.validate import MocapTrial, load_trial
from gait.validate.mocap import _c3d_available
from tests.conftest import SHARED

MOCAP_DIR = SHARED / "data" / "mocap"
_CACHE: dict[str, MocapTrial] = {}


@pytest.fixture(scope="session")
def get_trial():
    """Load a mocap trial once per session; skip when the shared mocap folder is not there."""
    if not (MOCAP_DIR / "events").is_dir():
        pytest.skip(
            f"mocap data not found at {MOCAP_DIR} (expected shared/data/mocap beside the repo)"
        )

    def get(trial_id: str) -> MocapTrial:
        if trial_id not in _CACHE:
            _CACHE[trial_id] = load_trial(MOCAP_DIR, trial_id)
        return _CACHE[trial_id]

    return get


def time_scaled(track: PoseTrack, factor: float) -> PoseTrack:
    """The same motion played ``factor`` times faster (cadence x factor): times / factor, fps x factor."""
    out = track.assign_coords(time=track["time"].values / factor)
    out.attrs = {**track.attrs, "fps": float(track.attrs["fps"]) * factor}
    return out


@pytest.fixture(scope="session")
def clips(get_trial, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Track files (.nc) of RBDS001 at 2.5 m/s from the side and from behind, and a rear track of a faster run.

    Side and rear at 60 fps, 20 s. The faster run: RBDS001 at 3.5 m/s (C3D, about 171 against 157 steps/min)
    or, without the ``c3d`` package, the 2.5 m/s rear track played 171/157 times faster.
    """
    folder = tmp_path_factory.mktemp("session_tracks")
    t25 = get_trial("RBDS001_runT25")
    side, _ = t25.to_track(view="side_left", fps=60, seed=0, duration_s=20)
    rear, _ = t25.to_track(view="rear", fps=60, seed=1, duration_s=20)
    if _c3d_available():
        faster, _ = get_trial("RBDS001_runT35_c3d").to_track(
            view="rear", fps=60, seed=2, duration_s=20
        )
    else:
        faster = time_scaled(rear, 171.0 / 157.0)
    paths = {
        "side": folder / "side.nc",
        "rear": folder / "rear.nc",
        "rear_faster": folder / "rear_faster.nc",
    }
    for key, track in (("side", side), ("rear", rear), ("rear_faster", faster)):
        assert np.isfinite(track["position"].values).any()
        save_track(track, paths[key])
    return paths
