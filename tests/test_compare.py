"""Retest comparison (gait.compare): the detectable change, and the checks of issue 17."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gait.compare import change_sentence, compare_reports, detectable_change, session_uncertainty
from gait.pipeline import analyze_track
from gait.track import load_track

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "treadmill_side_male_30fps_portrait.track.nc"


@pytest.fixture(scope="module")
def sample_report() -> dict:
    return analyze_track(load_track(SAMPLE)).report.to_dict()


def test_formula() -> None:
    a = {"value": 170.0, "n": 25, "sd": 5.0, "uncertainty": 0.3}
    b = {"value": 180.0, "n": 16, "sd": 4.0, "uncertainty": 0.4}
    u_a, u_b = math.sqrt(0.3**2 + 1.0**2), math.sqrt(0.4**2 + 1.0**2)
    assert session_uncertainty(a) == pytest.approx(u_a)
    assert detectable_change(a, b) == pytest.approx(1.96 * math.sqrt(u_a**2 + u_b**2))
    same = detectable_change(a, a)
    assert same == pytest.approx(1.96 * math.sqrt(2) * u_a)  # the textbook 1.96 * sqrt(2) * SEM
    assert session_uncertainty({"value": None, "n": 0, "sd": None, "uncertainty": None}) is None
    assert detectable_change(a, {"value": 1.0, "n": 1, "sd": None, "uncertainty": None}) is None


def test_sentences() -> None:
    assert change_sentence("cadence_spm", "spm", 9.2, 3.1) == (
        "step rate rose 9 spm; changes above 3 spm are real at this frame rate and number of steps."
    )
    assert "within the 3 spm" in change_sentence("cadence_spm", "spm", -1.0, 3.0)
    assert change_sentence("contact_time_s", "s", -0.02, 0.01).startswith("ground contact time fell 20 ms")
    assert "not measured" in change_sentence("cadence_spm", "spm", None, None)


def test_same_clip_twice_changes_nothing(sample_report: dict) -> None:
    again = analyze_track(load_track(SAMPLE)).report.to_dict()
    result = compare_reports(sample_report, again)
    assert result["metrics"], "no metric compared"
    for name, m in result["metrics"].items():
        if m["a"] is not None:
            assert m["difference"] == 0.0, name
        assert not m["exceeds"], name
    assert result["flags"]["appeared"] == [] and result["flags"]["went_away"] == []
    assert "did not change" in result["metrics"]["cadence_spm"]["sentence"]


def test_eight_percent_faster_is_a_real_step_rate_change(sample_report: dict) -> None:
    track = load_track(SAMPLE)
    faster = track.assign_coords(time=track["time"] / 1.08)
    faster.attrs["fps"] = float(track.attrs["fps"]) * 1.08
    result = compare_reports(sample_report, analyze_track(faster).report.to_dict(), target_cadence_spm=180.0)
    cadence = result["metrics"]["cadence_spm"]
    assert cadence["difference"] == pytest.approx(0.08 * cadence["a"], abs=1.0)  # about 13 spm
    assert 12.0 < cadence["difference"] < 15.0
    assert cadence["exceeds"] and cadence["detectable_change"] < 5.0
    assert cadence["sentence"].startswith(f"step rate rose {cadence['difference']:.0f} spm; changes above")
    assert result["target"]["gap_b"] < result["target"]["gap_a"]


def test_flags_that_appeared_or_went_away() -> None:
    a = {"metrics": {}, "flags": [{"code": "overstride"}, {"code": "low_cadence"}]}
    b = {"metrics": {}, "flags": [{"code": "low_cadence"}, {"code": "extended_knee_ic"}]}
    assert compare_reports(a, b)["flags"] == {
        "appeared": ["extended_knee_ic"], "went_away": ["overstride"], "stayed": ["low_cadence"]
    }
