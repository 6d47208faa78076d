"""Fixtures for the event tests: the sample clip's cleaned track and its hand annotation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.track import PoseTrack, clean_track, load_track

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "treadmill_side_male_30fps_portrait"
NON_RUNNING = REPO / "tests" / "data" / "sports2d_demo_two_people_vp9.track.nc"
ROT90 = REPO / "tests" / "data" / "treadmill_side_male_30fps_rot90meta.track.nc"


@pytest.fixture(scope="session")
def sample_raw() -> PoseTrack:
    """The raw MediaPipe track of the sample clip (360 frames, 30 fps, runner faces image-left)."""
    return load_track(SAMPLE.with_suffix(".track.nc"))


@pytest.fixture(scope="session")
def sample_track(sample_raw: PoseTrack) -> PoseTrack:
    """The sample track, cleaned with the default parameters."""
    return clean_track(sample_raw)


@pytest.fixture(scope="session")
def annotation() -> pd.DataFrame:
    """The hand annotation: 34 ICs (frame = 0-based decode index), 168.75 spm, heel strike."""
    return pd.read_csv(SAMPLE.with_suffix(".events.csv"))


def mirrored(track: PoseTrack) -> PoseTrack:
    """The track flipped left-right in the image (x -> width - x), labels unchanged."""
    width = float(track.attrs["image_width_px"])
    x = track["position"].sel(space="x")
    pos = track["position"].copy(
        data=np.stack([width - x.values, track["position"].sel(space="y").values], axis=-1)
    )
    return track.assign(position=pos)
