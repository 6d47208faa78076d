"""Events corrected by hand (gait.pipeline.reanalyze_with_events and `gait analyze --events`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.errors import ConfigError
from gait.pipeline import analyze_track, reanalyze_with_events
from gait.track import load_track

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "treadmill_side_male_30fps_portrait.track.nc"

#: Step-table columns that depend on a step's own initial contact (its timing and the pose at IC).
IC_COLUMNS = {
    "ic_frame", "ic_time_s", "step_time_s", "stride_time_s", "contact_time_s", "duty_factor",
    "foot_strike_angle_deg", "foot_angle_ic_deg", "midstance_foot_angle_deg", "overstride_leg_lengths",
    "shank_angle_ic_deg", "knee_flexion_ic_deg", "trunk_lean_deg", "vertical_oscillation_leg_lengths", "ic_confidence",
}


@pytest.fixture(scope="module")
def track():
    return load_track(SAMPLE)


@pytest.fixture(scope="module")
def automatic(track):
    return analyze_track(track)


def _moved(automatic, index: int, by: int) -> pd.DataFrame:
    table = automatic.events.table[["foot", "type", "frame"]].copy()
    table.loc[index, "frame"] += by
    return table


def _same(x: pd.Series, y: pd.Series) -> pd.Series:
    if x.dtype.kind in "fc":
        return (x == y) | (x.isna() & y.isna())
    return x == y


def test_the_automatic_events_give_the_automatic_report(track, automatic) -> None:
    again = reanalyze_with_events(track, automatic.events.table[["foot", "type", "frame"]])
    assert again.report.metrics == automatic.report.metrics
    assert again.report.flags == automatic.report.flags
    corrections = again.report.provenance.event_corrections
    assert corrections is not None and corrections.by_hand == ()


def test_moving_one_contact_by_two_frames(track, automatic) -> None:
    table = automatic.events.table
    ic = table.index[table["type"] == "IC"][5]
    frame_s = 1.0 / float(track.attrs["fps"])
    once = reanalyze_with_events(track, _moved(automatic, ic, 1))  # placed by hand one frame later
    twice = reanalyze_with_events(track, _moved(automatic, ic, 3))  # then moved two frames further
    s0, s1, s2 = automatic.metrics.steps, once.metrics.steps, twice.metrics.steps
    assert len(s0) == len(s1) == len(s2)
    step = int(np.flatnonzero(s0["ic_frame"].to_numpy() == table.loc[ic, "frame"])[0])
    contact = s2["contact_time_s"] - s1["contact_time_s"]
    assert contact.iloc[step] == pytest.approx(-2 * frame_s, abs=1e-9)  # two frame periods
    assert _same(s1["contact_time_s"], s2["contact_time_s"]).drop(index=step).all()  # and no other step's
    # against the automatic steps: the toe-offs and every other step's contact time are untouched
    assert _same(s0["contact_time_s"], s2["contact_time_s"]).drop(index=step).all()
    for col in ("to_frame", "to_time_s", "to_confidence", "peak_knee_flexion_stance_deg", "peak_thigh_extension_deg"):
        assert _same(s0[col], s2[col]).all(), col
    # the step's own IC columns change; neighbours change only where their definition uses this IC
    # (step time of the next step, stride time of the previous same-foot step, flight time of the
    # step before), and the foot-strike angles of that foot move with the re-estimated mid-stance
    # reference of the foot
    neighbours = {step - 1: {"flight_time_s"}, step + 1: {"step_time_s", "vertical_oscillation_leg_lengths"},
                  step - 2: {"stride_time_s", "duty_factor"}}
    for col in s0.columns:
        changed = set(np.flatnonzero(~_same(s0[col], s2[col]).to_numpy()).tolist()) - {step}
        if col in ("foot_strike_angle_deg", "foot_angle_ic_deg"):
            same_foot = set(np.flatnonzero((s0["foot"] == s0["foot"].iloc[step]).to_numpy()).tolist())
            assert changed <= same_foot, col
            continue
        assert changed <= {k for k, cols in neighbours.items() if col in cols}, col
    by_hand = twice.report.to_dict()["provenance"]["event_corrections"]
    moved = int(table.loc[ic, "frame"]) + 3
    assert by_hand["by_hand"] == [
        {
            "foot": table.loc[ic, "foot"],
            "type": "IC",
            "frame": moved,
            "time_s": round(float(track["time"].values[moved]), 5),
        }
    ]
    assert by_hand["removed"][0]["frame"] == int(table.loc[ic, "frame"])
    assert len(by_hand["original_events"]) == len(table)
    assert twice.report.quality[0].code == "events_corrected_by_hand"
    assert twice.report.provenance.event_detector.endswith(" + corrected by hand")
    assert automatic.report.provenance.event_corrections is None  # the automatic report is not changed
    corrected = twice.events.table
    assert corrected.loc[corrected["frame"] == table.loc[ic, "frame"] + 3, "confidence"].iloc[0] == 1.0


@pytest.mark.parametrize(
    ("events", "words"),
    [
        ([{"foot": "X", "type": "IC", "frame": 3}], "foot must be L or R"),
        ([{"foot": "L", "type": "IC", "frame": 9999}], "not in the track"),
        ([{"foot": "L", "type": "IC", "frame": 3}, {"foot": "L", "type": "IC", "frame": 3}], "listed twice"),
        ([{"foot": "L", "frame": 3}], "lack the column"),
    ],
)
def test_bad_events_are_refused(track, events, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        reanalyze_with_events(track, events)


def test_cli_analyze_with_events(tmp_path: Path, automatic) -> None:
    from typer.testing import CliRunner

    from gait.cli import app

    table = automatic.events.table[["foot", "type", "frame"]].copy()
    ic = table.index[table["type"] == "IC"][5]
    table.loc[ic, "frame"] += 2
    csv = tmp_path / "events.csv"
    table.to_csv(csv, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["analyze", str(SAMPLE), "-o", str(out), "--events", str(csv), "--no-video"])
    assert result.exit_code == 0, result.output
    assert "1 placed by hand, 1 removed" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["provenance"]["event_corrections"]["by_hand"][0]["frame"] == int(table.loc[ic, "frame"])
    bad = tmp_path / "bad.csv"
    bad.write_text("foot,frame\nL,3\n")
    result = CliRunner().invoke(app, ["analyze", str(SAMPLE), "-o", str(tmp_path / "o2"), "--events", str(bad)])
    assert result.exit_code != 0 and "foot, type and frame" in result.output
