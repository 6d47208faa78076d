"""Sessions of one side clip and any frontal clips: a rear clip, a front clip, or both."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gait.config import AnalysisConfig, ClipSpec
from gait.errors import ConfigError
from gait.metrics import FRONT_REPORTED, REAR_METRICS
from gait.pipeline import analyze, role_configs, write_outputs
from gait.report import SCHEMA_FILE
from gait.track import save_track


@pytest.fixture(scope="module")
def front(get_trial, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A front-view track of the same trial as the session fixture's side and rear tracks."""
    track, _ = get_trial("RBDS001_runT25").to_track(view="front", fps=60, seed=3, duration_s=20)
    path = tmp_path_factory.mktemp("front") / "front.nc"
    save_track(track, path)
    return path


def _codes(session) -> list[str]:
    return [q.code for q in session.metrics.quality]


def test_side_and_front_take_the_frontal_metrics_from_the_front_clip(clips, front) -> None:
    session = analyze([clips["side"], front])
    assert session.roles == ("side", "front")
    assert "view_mismatch" not in _codes(session)
    frontal = {name for name in session.source_views if name in FRONT_REPORTED}
    assert frontal and all(session.source_views[n] == "front" for n in frontal)
    assert session.source_views["cadence_spm"] == "side_left"
    assert any(q.message.startswith("Front clip: ") for q in session.metrics.quality)
    doc = session.report.to_dict()
    jsonschema.validate(doc, json.loads(SCHEMA_FILE.read_text()))
    assert doc["session"]["cadence_front_spm"] == pytest.approx(doc["session"]["cadence_side_spm"], abs=2)


def test_three_views_in_any_order(clips, front) -> None:
    session = analyze([front, clips["rear"], clips["side"]])
    assert session.roles == ("side", "rear", "front")
    assert [a.events.view for a in session.analyses] == ["side_left", "rear", "front"]
    # the rear clip comes first for what both frontal views give; the front clip for what only it gives
    for name, view in session.source_views.items():
        if name in REAR_METRICS:
            assert view == "rear", name
        elif name in FRONT_REPORTED:
            assert view == "front", name
        else:
            assert view == "side_left", name
    from_front = {n for n, v in session.source_views.items() if v == "front"}
    assert from_front == (FRONT_REPORTED - REAR_METRICS) & set(session.analyses[2].metrics.metrics)
    doc = session.report.to_dict()
    jsonschema.validate(doc, json.loads(SCHEMA_FILE.read_text()))
    assert doc["view"] == "side_left+rear+front" and [v["role"] for v in doc["views"]] == ["side", "rear", "front"]
    block = doc["session"]
    assert block["cadence_side_spm"] == pytest.approx(157, abs=2)
    assert abs(block["cadence_diff_spm"]) < 1.0 and abs(block["cadence_diff_front_spm"]) < 1.0
    assert set(session.metrics.steps["view"]) == {"side_left", "rear", "front"}


def test_roles_given_are_kept_and_a_misfit_is_noted(clips, front) -> None:
    session = analyze(
        [ClipSpec(clips["side"], role="side"), ClipSpec(front, role="rear")]
    )
    assert session.roles == ("side", "rear")
    note = next(q for q in session.metrics.quality if q.code == "view_mismatch")
    assert "given as the rear view" in note.message and "front view" in note.message


def test_two_clips_in_one_role_are_refused(clips) -> None:
    with pytest.raises(ConfigError, match="one clip per view"):
        analyze([clips["side"], clips["rear"], clips["rear"]])
    with pytest.raises(ConfigError, match="one to 3 clips"):
        analyze([clips["side"]] * 4)


def test_view_override_goes_to_the_role_it_names() -> None:
    configs = role_configs(AnalysisConfig(view="front"), ("side", "rear", "front"))
    assert [c.view for c in configs] == [None, None, "front"]
    configs = role_configs(AnalysisConfig(view="front"), ("side", "rear"))
    assert [c.view for c in configs] == [None, "front"]  # a pair: the rear clip's, as before
    configs = role_configs(AnalysisConfig(view="side_left"), ("side", "rear", "front"))
    assert [c.view for c in configs] == ["side_left", None, None]


def test_a_side_and_front_session_draws_the_front_clips_frontal_curves(clips, front, tmp_path) -> None:
    session = analyze([clips["side"], front])
    paths = write_outputs(session, tmp_path, video=False)
    html = paths["html"].read_text()
    assert "Front view: pelvic drop and hip adduction" in html and "Rear view: pelvic drop" not in html
    assert (tmp_path / "track_front.nc").is_file()


def test_the_cli_takes_a_front_clip_beside_the_side_and_rear_clips(clips, front, tmp_path) -> None:
    from tests.test_cli import run_gait

    result = run_gait("analyze", str(clips["side"]), str(clips["rear"]), "--front", str(front), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["view"] == "side_left+rear+front"
    assert (tmp_path / "track_rear.nc").is_file() and (tmp_path / "track_front.nc").is_file()
    refused = run_gait("analyze", str(clips["side"]), "--front", str(front), "--events", str(tmp_path / "x.csv"),
                       "-o", str(tmp_path / "b"))
    assert refused.returncode != 0 and "--events applies to one clip" in refused.stderr
    assert "Traceback" not in refused.stderr
