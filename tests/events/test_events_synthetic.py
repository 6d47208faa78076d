"""The detector on a hand-built treadmill runner whose contacts are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from gait.events import EVENT_COLUMNS, EventParams, detect_events
from gait.track import clean_track
from tests.synth_runner import (
    STRIDE_S,
    foot_ahead_before_ic_s,
    heel_back_after_to_s,
    make_treadmill_runner,
    true_events,
)

DURATION_S = 8.0


def _errors_s(events, truth, foot: str, kind: str) -> np.ndarray:
    """Detected minus nearest true time for every detection of one foot and type.

    The reference is where the detector's rule puts the event on this model: for IC the foot's
    furthest point ahead of the hip plus ``EventParams.ic_after_peak_s``, for TO the heel's
    furthest-back point plus ``EventParams.to_offset_s`` (see tests.synth_runner's docstring).
    """
    true = truth[foot][kind]
    if kind == "IC":
        true = true - foot_ahead_before_ic_s() + EventParams().ic_after_peak_s
    if kind == "TO":
        true = true + heel_back_after_to_s() + EventParams().to_offset_s
    det = events.of(foot, kind)
    return np.array([d - true[np.argmin(np.abs(true - d))] for d in det])


@pytest.mark.parametrize("fps", [30.0, 60.0, 120.0, 240.0])
@pytest.mark.parametrize("facing_left", [False, True])
def test_contacts_of_a_hand_built_runner(fps: float, facing_left: bool) -> None:
    # Contacts every 0.72 s per foot, 0.25 s long, feet half a stride apart; 2 px noise.
    track = clean_track(
        make_treadmill_runner(fps=fps, duration_s=DURATION_S, facing_left=facing_left, noise_px=2.0)
    )
    events = detect_events(track)
    truth = true_events(DURATION_S)
    assert events.running
    assert events.view == ("side_left" if facing_left else "side_right")
    assert events.direction == ("image_left" if facing_left else "image_right")
    for foot in ("L", "R"):
        ic, to = _errors_s(events, truth, foot, "IC"), _errors_s(events, truth, foot, "TO")
        n_expected = int(
            np.sum((truth[foot]["IC"] > 0.1) & (truth[foot]["IC"] < DURATION_S - 0.05))
        )
        assert len(ic) >= n_expected - 1
        assert np.all(np.abs(ic) < 0.012), ic  # IC: the foot's furthest-forward point, found
        assert np.all(np.abs(to) < 0.020), to  # TO: the heel's furthest-back point, found


def test_table_contract() -> None:
    track = clean_track(make_treadmill_runner(fps=60.0, duration_s=5.0))
    events = detect_events(track)
    table = events.table
    assert tuple(table.columns) == EVENT_COLUMNS
    assert table["time_s"].is_monotonic_increasing
    assert set(table["foot"]) == {"L", "R"} and set(table["type"]) == {"IC", "TO"}
    assert table["frame"].dtype.kind == "i"
    assert table["confidence"].between(0, 1).all()
    # frame is the decode index nearest the event time
    frames = np.rint(table["time_s"].to_numpy() * 60.0).astype(int)
    assert np.all(np.abs(frames - table["frame"].to_numpy()) <= 1)
    # the runner faces image-right, so the camera sees the right side; the far (left) foot has
    # lower confidence
    conf = table.groupby("foot")["confidence"].median()
    assert conf["L"] < conf["R"]
    assert events.near_foot == "R"
    assert not any(n.code == "leg_labels_mirrored" for n in events.quality)


def test_feet_alternate_and_contacts_precede_toe_offs() -> None:
    events = detect_events(clean_track(make_treadmill_runner(fps=120.0, duration_s=6.0)))
    ics = events.table[events.table["type"] == "IC"]
    assert (ics["foot"].to_numpy()[1:] != ics["foot"].to_numpy()[:-1]).all()
    for foot in ("L", "R"):
        ic, to = events.of(foot, "IC"), events.of(foot, "TO")
        for t in to:
            before = ic[ic < t]
            assert len(before) and 0.15 < t - before[-1] < 0.35
    assert events.stride_time_s == pytest.approx(STRIDE_S, abs=0.005)


def test_input_not_mutated_and_deterministic() -> None:
    track = clean_track(make_treadmill_runner(fps=60.0, duration_s=5.0, noise_px=1.0))
    before = track.copy(deep=True)
    a, b = detect_events(track), detect_events(track)
    assert track.identical(before)
    assert a.table.equals(b.table)


def test_robust_to_gaps() -> None:
    # 0.3 s of missing left-foot landmarks (longer than cleaning bridges): the contact inside the
    # gap is lost, the others stay accurate.
    raw = make_treadmill_runner(fps=60.0, duration_s=8.0, noise_px=1.0)
    names = [f"left_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
    gap = (raw["time"] > 3.5) & (raw["time"] < 3.8)
    pos = raw["position"].where(~(gap & raw["keypoint"].isin(names)))
    events = detect_events(clean_track(raw.assign(position=pos)))
    truth = true_events(8.0)
    assert events.running
    assert np.all(np.abs(_errors_s(events, truth, "L", "IC")) < 0.015)
    assert (
        any(n.code == "missing_contacts" for n in events.quality) or len(events.of("L", "IC")) >= 10
    )


def test_event_params_validation() -> None:
    with pytest.raises(ValueError, match="ic_after_peak_s"):
        EventParams(ic_after_peak_s=0.5)
    with pytest.raises(ValueError, match="min_cadence_spm"):
        EventParams(min_cadence_spm=250.0)
    with pytest.raises(ValueError, match="far_foot_factor"):
        EventParams(far_foot_factor=2.0)


@pytest.mark.parametrize("fps", [30.0, 120.0])
def test_overground_with_a_rolled_camera(fps: float) -> None:
    # fixed camera, runner passing at 700 px/s (the stance foot stands still in the image), camera
    # rolled 4 deg: the footprints spread across the image, so the ground's tilt is measured
    track = clean_track(
        make_treadmill_runner(fps=fps, duration_s=6.0, noise_px=1.0, overground=True, roll_deg=4.0)
    )
    events = detect_events(track)
    truth = true_events(6.0)
    assert events.running
    assert events.ground is not None and not events.ground.assumed_level
    assert events.ground.angle_deg == pytest.approx(4.0, abs=0.5)
    for foot in ("L", "R"):
        assert np.all(np.abs(_errors_s(events, truth, foot, "IC")) < 0.012)
        assert np.all(np.abs(_errors_s(events, truth, foot, "TO")) < 0.020)


def test_treadmill_ground_is_assumed_level_and_said_so() -> None:
    events = detect_events(clean_track(make_treadmill_runner(fps=60.0, duration_s=5.0)))
    assert events.ground is not None and events.ground.assumed_level
    assert events.ground.slope == 0.0
    assert any(n.code == "ground_assumed_level" for n in events.quality)
