"""One clip from behind or in front: its report draws frontal-plane curves, seen from the right side.

Virtual rear and front cameras on one mocap trial see the same pelvis and hips: the curves of the
two views agree when each is read from its own view, and not when the front clip is read as a rear one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.events import EVENT_COLUMNS
from gait.pipeline import analyze_track
from gait.report import render_html
from gait.report._curves import cycle_summary
from gait.validate import load_trial

MOCAP = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mocap").resolve()


@pytest.fixture(scope="module")
def views():
    if not (MOCAP / "events").is_dir():
        pytest.skip(f"mocap data not found at {MOCAP}")
    trial = load_trial(MOCAP, "RBDS0041_runT25")
    out = {}
    for view in ("rear", "front"):
        track, _ = trial.to_track(view=view, fps=60.0, seed=0, duration_s=10.0)
        out[view] = analyze_track(track)
    return out


def _curves(analysis, view: str) -> dict[str, np.ndarray]:
    events = pd.DataFrame([e.to_dict() for e in analysis.report.events], columns=list(EVENT_COLUMNS))
    summary = cycle_summary(analysis.cleaned, events, "", rear=True, view=view)
    return {k: v["mean"] for k, v in summary.items()}


def test_each_frontal_view_reports_pelvis_and_hip_curves(views) -> None:
    for view, analysis in views.items():
        assert analysis.report.view == view
        html = render_html(analysis.report, track=analysis.cleaned, steps=analysis.metrics.steps)
        assert f"{view.capitalize()} view: pelvic drop and hip adduction over the gait cycle" in html
        assert "Knee and foot angles over the gait cycle" not in html


def test_front_curves_agree_with_rear_curves_only_when_read_as_front(views) -> None:
    rear = _curves(views["rear"], "rear")
    front = _curves(views["front"], "front")
    misread = _curves(views["front"], "rear")
    for name in ("pelvic_drop_L", "pelvic_drop_R", "hip_adduction_L", "hip_adduction_R"):
        # the same motion through two noisy cameras: within a few degrees over a 10-16 deg range
        assert np.nanmax(np.abs(front[name] - rear[name])) < 5.0, name
        assert np.corrcoef(front[name], rear[name])[0, 1] > 0.85, name
        assert np.nanmax(np.abs(misread[name] - rear[name])) > 20.0, name
