"""Front-view events on mocap filmed by a virtual front camera, and overground frontal clips.

The RBDS treadmill trials (``../shared/data/mocap``) are filmed by :mod:`gait.validate.camera`; the
overground clips add the belt speed to every point (``overground=True``). The real rear overground
clip of ``../shared/data/clips`` (GPL-3.0) is posed from there, never copied.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gait.events import EVENT_COLUMNS, REAR_DETECTOR, detect_events
from gait.events._rear import (
    FRONT_DETECTOR,
    MAX_SCALE_RATIO,
    body_scale_px,
    detect_frontal_events,
)
from gait.events._rear_overground import OVERGROUND_DETECTOR
from gait.track import clean_track, detect_view, track_fps
from gait.track.view import given_view
from gait.validate import load_trial, match_events
from gait.validate.camera import estimate_belt_speed_m_s
from gait.validate.harness import FOOT
from tests.conftest import shared_clip

MOCAP = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mocap").resolve()
_TRIALS: dict = {}


def _trial(trial_id: str):
    if not (MOCAP / "events").is_dir():
        pytest.skip(f"mocap data not found at {MOCAP}")
    if trial_id not in _TRIALS:
        _TRIALS[trial_id] = load_trial(MOCAP, trial_id)
    return _TRIALS[trial_id]


def _front(trial_id="RBDS0041_runT25", fps=60.0, seed=0, duration_s=10.0, **camera):
    track, truth = _trial(trial_id).to_track(
        view="front", fps=fps, seed=seed, duration_s=duration_s
    )
    return clean_track(track), truth


def _errors_ms(events, truth, kind: str) -> np.ndarray:
    out = []
    for side, foot in FOOT.items():
        ev = truth.events
        tt = ev.loc[(ev["side"] == side) & (ev["kind"] == kind.lower()), "time_s"].to_numpy()
        det = events.of(foot, kind)
        pairs = match_events(tt, det, 0.15)
        out += [1000 * (det[j] - t) for t, j in zip(tt, pairs, strict=True) if j >= 0]
    return np.array(out)


@pytest.mark.parametrize("fps", [30.0, 120.0])
def test_front_events_match_force_plates(fps: float) -> None:
    cleaned, truth = _front(fps=fps)
    view = detect_view(cleaned)
    assert view.view == "front"
    ev = detect_frontal_events(cleaned, view, track_fps(cleaned))
    assert (ev.view, ev.running, ev.detector, ev.near_foot) == ("front", True, FRONT_DETECTOR, None)
    assert tuple(ev.table.columns) == EVENT_COLUMNS
    ics = ev.table[ev.table["type"] == "IC"]
    assert (ics["foot"].to_numpy()[1:] != ics["foot"].to_numpy()[:-1]).all()  # alternation
    n_true = int((truth.events["kind"] == "ic").sum())
    ic = _errors_ms(ev, truth, "IC")
    assert len(ic) >= n_true - 2  # the clip's first or last contact may be cut
    assert abs(np.mean(ic)) < 10 and np.std(ic) < 25, (np.mean(ic), np.std(ic))
    to = _errors_ms(ev, truth, "TO")
    assert abs(np.mean(to)) < 15 and np.std(to) < 25, (np.mean(to), np.std(to))
    assert ev.table["confidence"].between(0, 1).all()


def test_front_view_mirrors_the_rear_rule() -> None:
    """The rear rule on a front clip misses the contacts; the front rule finds them."""
    cleaned, truth = _front(fps=60.0)
    front = detect_frontal_events(cleaned, given_view(cleaned, "front"), 60.0)
    as_rear = detect_frontal_events(cleaned, given_view(cleaned, "rear"), 60.0)
    assert as_rear.detector == REAR_DETECTOR
    n_true = int((truth.events["kind"] == "ic").sum())

    def share_within_40ms(ev) -> float:
        return float(np.sum(np.abs(_errors_ms(ev, truth, "IC")) <= 40)) / n_true

    assert share_within_40ms(front) >= 0.9
    assert share_within_40ms(as_rear) <= 0.5


def test_frontal_detector_refuses_side_views() -> None:
    cleaned, _ = _front(duration_s=4.0)
    with pytest.raises(ValueError, match="rear or front view"):
        detect_frontal_events(cleaned, given_view(cleaned, "side_left"), 60.0)


def test_rear_view_still_routed_and_accurate() -> None:
    """The rear path through detect_events is unchanged by the front rule."""
    track, truth = _trial("RBDS0041_runT25").to_track(view="rear", fps=60, seed=1, duration_s=10)
    ev = detect_events(clean_track(track))
    assert (ev.view, ev.running, ev.detector) == ("rear", True, REAR_DETECTOR)
    ic = _errors_ms(ev, truth, "IC")
    assert abs(np.mean(ic)) < 10 and np.std(ic) < 15


def test_belt_speed_estimate() -> None:
    tr = _trial("RBDS001_runT25")  # 2.5 m/s
    assert estimate_belt_speed_m_s(tr.landmarks_m, tr.time_s) == pytest.approx(2.5, abs=0.15)


@pytest.mark.parametrize("view", ["rear", "front"])
def test_overground_camera_stance_foot_rests(view: str) -> None:
    """Overground, the stance heel stays put in the lab and the runner's size changes."""
    tr = _trial("RBDS001_runT25")
    clip = tr.film(
        view=view,
        fps=120,
        overground=True,
        duration_s=3.0,
        distance_m=3.0 if view == "rear" else 12.0,
    )
    truth = tr.ground_truth(clip)
    t = clip.track["time"].to_numpy()
    c = truth.contacts.iloc[1]
    side = c["side"]
    mid = (t > c["ic_time_s"] + 0.05) & (
        t < c["ic_time_s"] + 0.12
    )  # after landing, before heel-off
    heel_x = clip.points_m[f"{side}_heel"][mid, 0]
    assert np.ptp(heel_x) < 0.03  # on the treadmill the belt carries it ~0.17 m in 70 ms
    scale = body_scale_px(clean_track(clip.track))
    hip = (clip.points_m["left_hip"] + clip.points_m["right_hip"]) / 2
    depth = (hip - clip.camera.position_m) @ clip.camera.rotation[2]
    expected = depth[0] / depth  # apparent size relative to the first frame
    np.testing.assert_allclose(scale / scale[0], expected, rtol=0.12)


@pytest.mark.parametrize("view", ["rear", "front"])
def test_overground_frontal_clip_goes_to_the_overground_detector(view: str) -> None:
    tr = _trial("RBDS0041_runT25")
    clip = tr.film(
        view=view,
        fps=30,
        overground=True,
        duration_s=3.5,
        distance_m=3.0 if view == "rear" else 12.0,
    )
    cleaned = clean_track(clip.track)
    ev = detect_frontal_events(cleaned, given_view(cleaned, view), 30.0)
    assert ev.detector == OVERGROUND_DETECTOR and not ev.table.empty
    note = [n for n in ev.quality if n.code in ("frontal_overground", "frontal_overground_timing")]
    assert note and ("away from" if view == "rear" else "towards") in note[0].message


def test_treadmill_scale_is_constant() -> None:
    cleaned, _ = _front(duration_s=6.0)
    scale = body_scale_px(cleaned)
    assert np.nanmax(scale) / np.nanmin(scale) < 1.05 < MAX_SCALE_RATIO


@pytest.mark.model
def test_real_rear_overground_clip_says_what_is_missing(tmp_path: Path) -> None:
    """The real rear clip gets the overground note, not "looks like jumping" (``not_alternating``).

    The runner runs away from a camera on the ground.
    """
    from gait.pose import PoseParams, estimate_pose

    clip = shared_clip("rear_overground_30fps_openpose_overlay.mp4")
    cleaned = clean_track(estimate_pose(clip, PoseParams(workers=1)))
    ev = detect_events(cleaned)
    codes = [n.code for n in ev.quality]
    assert ev.view == "rear" and not ev.running
    assert "frontal_overground" in codes and "not_alternating" not in codes
    assert "running_without_events" in codes  # the pelvis's running rhythm is said, with its cadence
