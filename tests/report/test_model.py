"""The typed report (gait.report.GaitReport): frozen, and its to_dict() is a report.json of the schema.

One report per kind: the side-view sample, a rear clip and a two-view session (virtual cameras on a
mocap trial, cached as track files; no pose model runs).
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import jsonschema
import pytest

from gait.pipeline import analyze, analyze_track
from gait.report import SCHEMA_FILE, GaitReport
from gait.track import load_track, save_track
from gait.validate import load_trial
from tests.conftest import SAMPLE_TRACK, SHARED

SCHEMA = json.loads(SCHEMA_FILE.read_text())
MOCAP = SHARED / "data" / "mocap"


@pytest.fixture(scope="module")
def side() -> GaitReport:
    return analyze_track(load_track(SAMPLE_TRACK)).report


@pytest.fixture(scope="module")
def mocap_tracks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A side and a rear track of one mocap trial, 10 s at 60 fps, saved as track files."""
    if not (MOCAP / "events").is_dir():
        pytest.skip(f"mocap data not found at {MOCAP}")
    trial = load_trial(MOCAP, "RBDS001_runT25")
    folder = tmp_path_factory.mktemp("model_tracks")
    paths = {}
    for seed, view in enumerate(("side_left", "rear")):
        track, _ = trial.to_track(view=view, fps=60, seed=seed, duration_s=10)
        paths[view] = folder / f"{view}.nc"
        save_track(track, paths[view])
    return paths


@pytest.fixture(scope="module")
def rear(mocap_tracks) -> GaitReport:
    return analyze(mocap_tracks["rear"]).report


@pytest.fixture(scope="module")
def session(mocap_tracks) -> GaitReport:
    return analyze([mocap_tracks["side_left"], mocap_tracks["rear"]]).report


@pytest.fixture(params=["side", "rear", "session"])
def report(request: pytest.FixtureRequest) -> GaitReport:
    return request.getfixturevalue(request.param)


def test_to_dict_follows_the_schema_and_is_plain_json(report: GaitReport) -> None:
    doc = report.to_dict()
    jsonschema.validate(doc, SCHEMA)
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc  # only dicts, lists, str, numbers, None
    assert list(doc)[:3] == ["schema_version", "clip", "view"] and list(doc)[-2:] == ["provenance", "advice"]


def test_the_report_is_frozen_all_the_way_down(report: GaitReport) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.view = "rear"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.clip.fps = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.metrics["cadence_spm"].value = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        report.metrics["cadence_spm"] = report.metrics["cadence_spm"]  # type: ignore[index]
    with pytest.raises(TypeError):
        report.provenance.config["rules_path"] = "x.toml"  # type: ignore[index]
    with pytest.raises(AttributeError):
        report.events.append(report.events[0])  # type: ignore[attr-defined]


def test_to_dict_is_a_fresh_copy(report: GaitReport) -> None:
    doc = report.to_dict()
    doc["metrics"]["cadence_spm"]["value"] = -1.0
    doc["events"].clear()
    doc["provenance"]["config"]["rules_path"] = "changed"
    again = report.to_dict()
    assert again["metrics"]["cadence_spm"]["value"] != -1.0
    assert len(again["events"]) == len(report.events) > 0
    assert again["provenance"]["config"]["rules_path"] != "changed"


def test_attributes_read_what_the_json_says(report: GaitReport) -> None:
    doc = report.to_dict()
    assert report.view == doc["view"] and report.clip.fps == doc["clip"]["fps"]
    assert report.metric_value("cadence_spm") == doc["metrics"]["cadence_spm"]["value"]
    assert report.metric_value("no_such_metric_spm") is None
    assert [e.frame for e in report.events] == [e["frame"] for e in doc["events"]]
    assert [q.code for q in report.quality] == [q["code"] for q in doc["quality"]]
    assert [f.code for f in report.flags] == [f["code"] for f in doc["flags"]]
    assert report.provenance.config["pose"] == doc["provenance"]["config"]["pose"]


def test_survives_pickling(report: GaitReport) -> None:
    """Worker processes hand results back pickled."""
    again = pickle.loads(pickle.dumps(report))
    assert again == report and again.to_dict() == report.to_dict()


def test_views_and_session_only_in_a_multi_view_report(side, rear, session) -> None:
    assert not side.multi_view and not rear.multi_view and session.multi_view
    assert rear.view == "rear" and side.view.startswith("side_")
    assert not {"views", "session"} & set(rear.to_dict())
    doc = session.to_dict()
    assert [v.role for v in session.views] == ["side", "rear"] and session.view == "side_left+rear"
    assert session.views[0].clip == session.clip
    assert {e.view for e in session.events} == {"side_left", "rear"}
    assert session.metrics["pelvic_drop_deg"].source_view == "rear"
    assert doc["session"]["matched_by"] == "cadence"
    assert set(doc["provenance"]) >= {"rear", "config"}
    assert doc["provenance"]["rear"]["event_detector"] == session.provenance.other_views["rear"].event_detector
