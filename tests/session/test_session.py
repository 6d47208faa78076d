"""Two-view sessions: a side and a rear clip merged into one report (run_analysis([side, rear]))."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from gait.config import AnalysisConfig
from gait.metrics import MAX_CADENCE_DIFF_SPM, REAR_METRICS, estimate_phase_offset
from gait.pipeline import Analysis, Session, role_configs, run_analysis
from gait.report import SCHEMA_FILE
from gait.track import load_track

SCHEMA = json.loads(SCHEMA_FILE.read_text())


def _codes(report: dict) -> list[str]:
    return [q["code"] for q in report["quality"]]


@pytest.fixture(scope="module")
def same_run(clips, tmp_path_factory: pytest.TempPathFactory) -> tuple[Session, dict[str, Path]]:
    out = tmp_path_factory.mktemp("same_run")
    return run_analysis([clips["side"], clips["rear"]], out, video=False)


def test_same_run_merges_both_views_and_validates(same_run) -> None:
    session, _ = same_run
    report = session.report.to_dict()
    jsonschema.validate(report, SCHEMA)
    assert report["view"] == "side_left+rear"
    assert [v["view"] for v in report["views"]] == ["side_left", "rear"]
    assert [v["role"] for v in report["views"]] == ["side", "rear"]
    assert report["clip"] == report["views"][0]["clip"]  # report.html reads the side clip's block
    metrics = report["metrics"]
    for name in (
        "cadence_spm",
        "step_time_s",
        "contact_time_s",
        "overstride_leg_lengths",
        "knee_flexion_ic_deg",
    ):
        assert metrics[name]["source_view"] == "side_left", name
        assert metrics[name] == {**session.side.report.metrics[name].to_dict(), "source_view": "side_left"}
    for name in REAR_METRICS:
        assert metrics[name]["source_view"] == "rear", name
        assert metrics[name] == {**session.rear.report.metrics[name].to_dict(), "source_view": "rear"}
    assert (
        metrics["pelvic_drop_deg"]["value"] is not None
        and metrics["hip_adduction_deg"]["value"] is not None
    )
    assert {e["view"] for e in report["events"]} == {"side_left", "rear"}
    assert len(report["events"]) == len(session.side.report.events) + len(session.rear.report.events)


def test_same_run_cadences_agree(same_run) -> None:
    report = same_run[0].report.to_dict()
    s = report["session"]
    assert s["matched_by"] == "cadence"
    assert s["cadence_side_spm"] == report["metrics"]["cadence_spm"]["value"]
    assert s["cadence_side_spm"] == pytest.approx(157, abs=2)
    assert abs(s["cadence_diff_spm"]) < 1.0
    assert s["cadence_rear_spm"] == report["views"][1]["cadence_spm"]
    assert "views_disagree" not in _codes(report)
    # Same trial, both virtual cameras start at t = 0: an offset, if one is estimated, must be ~0.
    assert s["phase_offset_s"] is None or abs(s["phase_offset_s"]) < 0.05


def test_different_speeds_disagree(clips, tmp_path: Path) -> None:
    session, _ = run_analysis([clips["side"], clips["rear_faster"]], tmp_path, video=False)
    report = session.report.to_dict()
    jsonschema.validate(report, SCHEMA)
    s = report["session"]
    assert s["cadence_diff_spm"] > MAX_CADENCE_DIFF_SPM
    assert s["cadence_rear_spm"] == pytest.approx(171, abs=3)
    note = next(q for q in report["quality"] if q["code"] == "views_disagree")
    assert "same run" in note["message"] and "Re-record both at the same speed" in note["message"]


def test_swapped_clips_are_noted_and_analysed_by_detected_view(clips, tmp_path: Path) -> None:
    session, paths = run_analysis([clips["rear"], clips["side"]], tmp_path, video=False)
    report = session.report.to_dict()
    jsonschema.validate(report, SCHEMA)
    note = next(q for q in report["quality"] if q["code"] == "view_mismatch")
    assert "filmed from behind" in note["message"] and "rear.nc" in note["message"]
    assert report["view"] == "side_left+rear"
    assert report["metrics"]["pelvic_drop_deg"]["source_view"] == "rear"
    assert report["metrics"]["cadence_spm"]["source_view"] == "side_left"
    assert (
        load_track(paths["track_rear"]).attrs["image_width_px"]
        == session.rear.track.attrs["image_width_px"]
    )


def test_two_side_clips_give_no_rear_metric_and_say_why(clips, tmp_path: Path) -> None:
    session, _ = run_analysis([clips["side"], clips["side"]], tmp_path, video=False)
    report = session.report.to_dict()
    jsonschema.validate(report, SCHEMA)
    assert report["view"] == "side_left+side_left"
    note = next(q for q in report["quality"] if q["code"] == "view_mismatch")
    assert "given as the rear view" in note["message"] and "side view" in note["message"]
    assert not REAR_METRICS & set(report["metrics"])
    assert "pelvic_drop" in report["flags_not_assessed"]


def test_flags_fire_from_both_views(clips, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[thresholds]\nlow_step_rate = 200\npelvic_drop = 0.5\n")
    config = AnalysisConfig(rules_path=str(rules))
    session, _ = run_analysis([clips["side"], clips["rear"]], tmp_path / "out", config, video=False)
    flags = {f.code: f for f in session.report.flags}
    assert {"low_step_rate", "pelvic_drop"} <= set(flags)
    assert flags["low_step_rate"].metric == "cadence_spm"
    assert flags["pelvic_drop"].metric == "pelvic_drop_deg"
    assert session.report.provenance.config["rules_path"] == str(rules)
    # A rear-view rule never fires on the side clip alone, nor a side-view one on the rear clip.
    assert "pelvic_drop" not in {f.code for f in session.side.flags.flags}


def test_files_written_with_both_views(same_run) -> None:
    session, paths = same_run
    assert {"report", "steps", "html", "track", "track_rear"} <= set(paths)
    assert not {"overlay", "overlay_rear"} & set(paths)  # track input: no clip to draw on
    assert json.loads(paths["report"].read_text()) == session.report.to_dict()
    steps = pd.read_csv(paths["steps"])
    assert steps.columns[0] == "view"
    counts = steps["view"].value_counts()
    assert counts["side_left"] == len(session.side.metrics.steps)
    assert counts["rear"] == len(session.rear.metrics.steps)
    assert steps.loc[steps["view"] == "rear", "pelvic_drop_deg"].notna().any()
    assert steps.loc[steps["view"] == "side_left", "pelvic_drop_deg"].isna().all()
    assert load_track(paths["track_rear"]).sizes == session.rear.track.sizes
    assert load_track(paths["track"]).sizes == session.side.track.sizes
    html = paths["html"].read_text()
    assert "<html" in html[:500].lower()
    assert "Two-view session" in html and "data-views" in html
    assert html.count("steps/min</td>") >= 2  # one cadence per clip in the views table


def test_fatigue_uses_the_side_clip(same_run) -> None:
    session, _ = same_run
    assert session.fatigue is session.side.fatigue
    assert session.report.fatigue == session.side.report.fatigue


def test_single_clip_report_has_no_session_fields(clips, tmp_path: Path) -> None:
    session, paths = run_analysis(clips["side"], tmp_path, video=False)
    assert isinstance(session, Session) and not session.multi_view
    (analysis,) = session.analyses
    assert isinstance(analysis, Analysis) and session.report is analysis.report
    report = analysis.report.to_dict()
    assert not {"views", "session"} & set(report)
    assert "view" not in report["events"][0]
    assert "source_view" not in report["metrics"]["cadence_spm"]
    assert "track_rear" not in paths and "view" not in pd.read_csv(paths["steps"]).columns


def test_progress_stages_never_go_back(clips, tmp_path: Path) -> None:
    seen: list[str] = []
    run_analysis(
        [clips["side"], clips["rear"]],
        tmp_path,
        video=False,
        progress=lambda s, f: seen.append(s),
    )
    assert seen == ["analysis", "writing"]


def test_view_override_goes_to_the_clip_it_names() -> None:
    side, rear = role_configs(AnalysisConfig(view="rear"))
    assert (side.view, rear.view) == (None, "rear")
    side, rear = role_configs(AnalysisConfig(view="side_right"))
    assert (side.view, rear.view) == ("side_right", None)
    assert role_configs(AnalysisConfig()) == (AnalysisConfig(), AnalysisConfig())


def _steps(ic: np.ndarray) -> pd.DataFrame:
    foot = np.where(np.arange(len(ic)) % 2 == 0, "L", "R")
    return pd.DataFrame({"foot": foot, "ic_time_s": ic, "step_time_s": np.r_[np.nan, np.diff(ic)]})


def test_phase_offset_recovered_from_shared_step_fluctuations() -> None:
    rng = np.random.default_rng(0)
    steps = 0.38 + np.where(np.arange(120) % 2 == 0, 0.01, -0.01) + rng.normal(0, 0.008, 120)
    ic = np.cumsum(steps)  # one run; the side camera films steps 10-90, the rear one steps 30-110
    side = _steps(ic[10:90] - ic[10])
    rear = _steps(ic[30:110] - ic[30] + rng.normal(0, 0.001, 80))
    offset, r = estimate_phase_offset(side, rear)
    assert r is not None and r > 0.9
    assert offset == pytest.approx(-(ic[30] - ic[10]), abs=0.005)


def test_phase_offset_is_none_for_unrelated_runs() -> None:
    rng = np.random.default_rng(1)
    side = _steps(np.cumsum(0.38 + rng.normal(0, 0.008, 80)))
    rear = _steps(np.cumsum(0.38 + rng.normal(0, 0.008, 80)))
    offset, _ = estimate_phase_offset(side, rear)
    assert offset is None


def test_time_scaled_rear_clip_disagrees_too(clips, tmp_path: Path) -> None:
    """The fallback of the fixture without the ``c3d`` package: the same run played faster."""
    from gait.track import save_track
    from tests.session.conftest import time_scaled

    faster = tmp_path / "faster.nc"
    save_track(time_scaled(load_track(clips["rear"]), 171.0 / 157.0), faster)
    session, _ = run_analysis([clips["side"], faster], tmp_path / "out", video=False)
    assert session.report.session is not None
    assert session.report.session["cadence_rear_spm"] == pytest.approx(171, abs=2)
    assert "views_disagree" in _codes(session.report.to_dict())


def test_report_html_plots_the_rear_clip(same_run) -> None:
    from gait.report._curves import cycle_summary

    session, paths = same_run
    html = paths["html"].read_text()
    assert html.count('data-plot="rear_cycle"') == 1 and html.count('data-plot="cycle"') == 1
    events = pd.DataFrame([e.to_dict() for e in session.report.events if e.view == "rear"])
    curves = cycle_summary(session.rear.cleaned, events, "", rear=True)
    steps = session.rear.metrics.steps
    for foot in ("L", "R"):
        # the curves use the metric's sign: at midstance (about 15 % of the cycle, contact 0-35 %)
        # the mean curve sits within a few degrees of the per-step midstance pelvic drop
        drop = curves[f"pelvic_drop_{foot}"]["mean"]
        measured = float(steps.loc[steps["foot"] == foot, "pelvic_drop_deg"].median())
        assert abs(float(np.mean(drop[10:21])) - measured) < 3.0, (foot, measured)
        assert int(curves[f"hip_adduction_{foot}"]["n"]) >= 5
