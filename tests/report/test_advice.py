"""Capture advice: what the report tells the user to change when filming again."""

from __future__ import annotations

import pytest

from gait.pipeline import analyze_track
from gait.report._advice import capture_advice
from gait.track import load_track
from tests.conftest import SAMPLE_TRACK


@pytest.fixture(scope="module")
def sample_analysis():
    return analyze_track(load_track(SAMPLE_TRACK))


def _notes(*codes: str) -> list[dict[str, str]]:
    return [{"code": c, "message": c} for c in codes]


def test_a_good_clip_gets_no_advice() -> None:
    assert capture_advice({"fps": 240.0}, _notes("far_foot"), 40) == []


def test_a_short_low_frame_rate_pass_by_is_told_what_to_change() -> None:
    advice = capture_advice({"fps": 30.0}, _notes("overground_passby", "camera_moved"), 4)
    assert advice[0].startswith("Hold the camera still")
    assert any("run past the camera several times" in a for a in advice)
    assert any("120 frames/s" in a and "30 frames/s" in a for a in advice)
    assert advice[-1].startswith("Film at least 10 s") and "gave 4 steps" in advice[-1]
    assert len(advice) == len(set(advice)) == 4


def test_notes_of_one_kind_give_one_line() -> None:
    advice = capture_advice({"fps": 120.0}, _notes("cadence_too_low", "cadence_suggests_slowmo"), None)
    assert advice == ["If the clip is slow motion, give its factor (capture fps / playback fps) with --slowmo-factor."]


def test_the_sample_report_carries_its_advice(sample_analysis) -> None:
    report = sample_analysis.report.to_dict()
    assert report["advice"] == capture_advice(report["clip"], report["quality"], report["metrics"]["cadence_spm"]["n"])
    assert any("120 frames/s" in a for a in report["advice"])  # filmed at 30 fps
