"""View and direction of travel from the landmarks (gait.track.view)."""

from __future__ import annotations

from gait.track import clean_track, detect_view, load_track
from tests.synth_runner import make_treadmill_runner

from .conftest import NON_RUNNING, mirrored


def test_sample_is_seen_from_the_left(sample_raw) -> None:
    view = detect_view(sample_raw)
    assert (view.view, view.direction, view.near_foot) == ("side_left", "image_left", "L")
    assert view.forward_sign == -1.0
    assert view.confidence > 0.9
    assert view.quality == ()


def test_mirrored_sample_is_seen_from_the_right(sample_raw) -> None:
    view = detect_view(mirrored(sample_raw))
    assert (view.view, view.direction) == ("side_right", "image_right")
    assert view.forward_sign == 1.0


def test_synthetic_runner_both_directions() -> None:
    right = detect_view(make_treadmill_runner(fps=30.0, duration_s=3.0))
    left = detect_view(make_treadmill_runner(fps=30.0, duration_s=3.0, facing_left=True))
    assert (right.view, right.direction) == ("side_right", "image_right")
    assert (left.view, left.direction) == ("side_left", "image_left")
    assert left.evidence["width_ratio"] < 0.2


def test_frontal_clip_is_not_a_side_view() -> None:
    view = detect_view(clean_track(load_track(NON_RUNNING)))
    assert view.view in ("front", "rear")
    assert view.direction is None and view.near_foot is None
