"""Step timing from a hand-written event table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gait.events import GaitEvents
from gait.metrics.temporal import contacts_table, symmetry_pct


def _events(rows: list[tuple[str, str, float]]) -> GaitEvents:
    table = pd.DataFrame(rows, columns=["foot", "type", "time_s"])
    table["frame"] = np.rint(table["time_s"] * 100).astype(np.int64)
    table["confidence"] = 0.9
    table = table.sort_values("time_s").reset_index(drop=True)[
        ["foot", "type", "frame", "time_s", "confidence"]
    ]
    return GaitEvents(
        table,
        "side_left",
        "image_left",
        (),
        True,
        "test",
        near_foot="L",
        stride_time_s=0.7,
        fps=100.0,
    )


# Left lands at 0.0, 0.7, 1.4 s, right at 0.35, 1.05, 1.75 s; every contact lasts 0.25 s.
STEADY = [(f, "IC", t0 + k * 0.7) for f, t0 in (("L", 0.0), ("R", 0.35)) for k in range(3)] + [
    (f, "TO", t0 + 0.25 + k * 0.7) for f, t0 in (("L", 0.0), ("R", 0.35)) for k in range(3)
]


def test_steady_running_intervals() -> None:
    c = contacts_table(_events(STEADY))
    assert list(c["foot"]) == ["L", "R", "L", "R", "L", "R"]
    assert c["contact_time_s"].to_numpy() == pytest.approx([0.25] * 6)
    assert np.isnan(c["step_time_s"].iloc[0])  # the first contact has no step before it
    assert c["step_time_s"].iloc[1:].to_numpy() == pytest.approx([0.35] * 5)
    assert c["stride_time_s"].iloc[:4].to_numpy() == pytest.approx([0.7] * 4)
    assert c["flight_time_s"].iloc[:5].to_numpy() == pytest.approx([0.10] * 5)
    assert c["duty_factor"].iloc[:4].to_numpy() == pytest.approx([0.25 / 0.7] * 4)
    assert c["to_frame"].iloc[0] == 25


def test_missing_contact_is_not_bridged() -> None:
    rows = [
        r
        for r in STEADY
        if not (r[0] == "R" and abs(r[2] - 1.05) < 1e-9)
        and not (r[0] == "R" and abs(r[2] - 1.30) < 1e-9)
    ]
    c = contacts_table(_events(rows)).set_index("ic_time_s")
    assert np.isnan(c.loc[1.4, "step_time_s"])  # L after L: no step across the gap
    assert np.isnan(c.loc[0.7, "flight_time_s"])  # next contact is the same foot
    assert np.isnan(c.loc[0.35, "stride_time_s"])  # next right contact 1.4 s later: not a stride


def test_symmetry_index() -> None:
    assert symmetry_pct(0.36, 0.34) == pytest.approx(100 * 0.02 / 0.35)
    assert np.isnan(symmetry_pct(0.36, float("nan")))
