"""Runner selection among several people: one identity is kept, and the choice is recorded."""

from __future__ import annotations

import json

import numpy as np

from gait.pose._select import select_runner
from gait.track import load_track
from tests.conftest import TEST_DATA


def _person(centre_x: float, centre_y: float, height: float) -> np.ndarray:
    """A crude 33-landmark stick figure: all points spread vertically around the centre."""
    pts = np.zeros((33, 2), dtype=np.float32)
    pts[:, 0] = centre_x
    pts[:, 1] = np.linspace(centre_y - height / 2, centre_y + height / 2, 33)
    pts[[11, 12, 23, 24], 1] = centre_y  # torso landmarks at the centre
    return pts


def _scene(n: int = 60, people: int = 2) -> np.ndarray:
    pos = np.full((n, people, 33, 2), np.nan, dtype=np.float32)
    for t in range(n):
        pos[t, 0] = _person(300 + 2 * t, 400, 500)  # big runner, present throughout
        if t < 30:
            pos[t, 1] = _person(900, 300, 150)  # small bystander, half the clip
    return pos


def test_largest_longest_person_is_chosen_and_kept() -> None:
    pos = _scene()
    # the model returns people in varying order: swap slots in odd frames
    pos[1::2] = pos[1::2, ::-1]
    chosen, record = select_runner(pos, np.ones(pos.shape[:3]))
    centres = pos[np.arange(len(chosen)), chosen][:, 23, 0]
    np.testing.assert_allclose(centres, 300 + 2 * np.arange(60))
    assert record["max_people_in_a_frame"] == 2
    assert record["frames_with_several_people"] == 30
    assert record["frames_kept"] == 60
    json.dumps(record)  # JSON-safe


def test_switch_to_another_person_is_dropped() -> None:
    """With one pose per frame, the model jumps to a bystander after losing the runner."""
    pos = np.full((80, 1, 33, 2), np.nan, dtype=np.float32)
    for t in range(50):
        pos[t, 0] = _person(300 + 2 * t, 400, 500)
    for t in range(50, 62):
        pos[t, 0] = _person(1200, 300, 160)  # another person, far away
    for t in range(65, 80):
        pos[t, 0] = _person(300 + 2 * t, 400, 500)  # runner found again where expected
    chosen, record = select_runner(pos, np.ones(pos.shape[:3]))
    assert (chosen[:50] == 0).all() and (chosen[65:] == 0).all()
    assert (chosen[50:65] == -1).all()
    assert record["frames_dropped"] == 12
    assert record["n_tracklets"] == 3


def test_nobody_gives_no_choice() -> None:
    pos = np.full((10, 1, 33, 2), np.nan, dtype=np.float32)
    chosen, record = select_runner(pos, np.zeros(pos.shape[:3]))
    assert (chosen == -1).all()
    assert record["frames_kept"] == 0


def test_two_person_demo_keeps_one_identity() -> None:
    """Cached MediaPipe track of the shared two-person clip: the kept poses never jump between people."""
    track = load_track(TEST_DATA / "sports2d_demo_two_people_vp9.track.nc")
    record = json.loads(track.attrs["person_selection"])
    assert record["n_tracklets"] >= 2  # the model did jump between people in this clip
    pos = track["position"].sel(keypoint=["left_hip", "right_hip", "left_shoulder", "right_shoulder"]).values
    kept = np.flatnonzero(track["detected"].values)
    centre = np.full((track.sizes["time"], 2), np.nan)
    centre[kept] = np.nanmean(pos[kept], axis=1)
    steps = np.linalg.norm(np.diff(centre[kept], axis=0), axis=1) / np.diff(kept)
    assert np.nanmax(steps) < 0.35 * record["median_body_height_px"]
    assert record["frames_kept"] + record["frames_dropped"] <= track.sizes["time"]
