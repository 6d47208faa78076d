"""Runners, retest comparison and events corrected by hand, through the JSON API (real SQLite, TestClient)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from gait.pipeline import analyze_track, write_outputs
from gait.track import load_track
from gait.web.db import SCHEMA_VERSION, Record, Store, now
from tests.web.conftest import make_client

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "treadmill_side_male_30fps_portrait.track.nc"
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 200


@pytest.fixture(scope="module")
def analyses() -> dict[str, Any]:
    """The sample track analysed as recorded and 8 % faster (time axis scaled)."""
    track = load_track(SAMPLE)
    faster = track.assign_coords(time=track["time"] / 1.08)
    faster.attrs["fps"] = float(track.attrs["fps"]) * 1.08
    return {"same": analyze_track(track), "faster": analyze_track(faster)}


@pytest.fixture
def client(tmp_path: Path):
    with make_client(tmp_path / "data", workers=0) as c:
        yield c


def add_done(client, analysis, runner_id: str | None) -> str:
    """A finished analysis of ``analysis`` (written as the worker would), belonging to ``runner_id``."""
    services = client.app.state.services
    aid = uuid.uuid4().hex
    folder = f"analyses/{aid}/run-1"
    write_outputs(analysis, services.data_dir / folder, video=False)
    services.store.add(Record(id=aid, created_at=now(), status="done", side_name="clip.mp4",
                              side_file=f"analyses/{aid}/input/side.mp4", run_number=1, output_dir=folder,
                              summary=json.dumps({"cadence_spm": analysis.report.metric_value("cadence_spm")}),
                              runner_id=runner_id))
    return aid


def new_runner(client, **body: Any) -> str:
    r = client.post("/api/runners", json={"name": "Runner A", **body})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_runner_records(client) -> None:
    rid = new_runner(client, height_cm=172, notes="tibial BSI, retraining", target_cadence_spm=175)
    other = new_runner(client, name="B. pseudonym")
    listed = client.get("/api/runners").json()["runners"]
    assert [r["id"] for r in listed] == [other, rid]  # by name
    one = client.get(f"/api/runners/{rid}").json()
    assert one["name"] == "Runner A" and one["height_cm"] == 172 and one["target_cadence_spm"] == 175
    assert one["analyses"] == []
    for bad in ({"name": ""}, {"name": "x", "height_cm": 20}, {"name": "x", "target_cadence_spm": 20}, {}):
        assert client.post("/api/runners", json=bad).status_code == 422
    assert client.get(f"/api/runners/{uuid.uuid4().hex}").status_code == 404
    assert client.get("/api/runners/not-an-id").json()["detail"].startswith("No runner with this id")


def test_upload_takes_a_runner(client) -> None:
    rid = new_runner(client)
    r = client.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}, data={"runner_id": rid})
    assert r.status_code == 202, r.text
    aid = r.json()["id"]
    assert client.get(f"/api/analyses/{aid}").json()["runner_id"] == rid
    assert [a["id"] for a in client.get(f"/api/runners/{rid}").json()["analyses"]] == [aid]
    unknown = client.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")},
                          data={"runner_id": uuid.uuid4().hex})
    assert unknown.status_code == 404 and "No runner with this id" in unknown.json()["detail"]
    malformed = client.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}, data={"runner_id": "7"})
    assert malformed.status_code == 422
    # no runner: as before
    assert client.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}).status_code == 202


def test_runner_analyses_oldest_first_and_delete_removes_files(client, analyses) -> None:
    rid = new_runner(client)
    first, second = add_done(client, analyses["same"], rid), add_done(client, analyses["faster"], rid)
    keep = add_done(client, analyses["same"], None)
    body = client.get(f"/api/runners/{rid}").json()
    assert [a["id"] for a in body["analyses"]] == [first, second]
    assert "report.json" in body["analyses"][0]["files"]
    data = client.app.state.services.data_dir
    assert (data / "analyses" / first).is_dir()
    assert client.delete(f"/api/runners/{rid}").status_code == 204
    assert client.get(f"/api/runners/{rid}").status_code == 404
    for aid in (first, second):
        assert client.get(f"/api/analyses/{aid}").status_code == 404
        assert not (data / "analyses" / aid).exists()
    assert client.get(f"/api/analyses/{keep}").status_code == 200  # another runner's analyses stay
    assert client.delete(f"/api/runners/{rid}").status_code == 404


def test_compare_same_clip_twice(client, analyses) -> None:
    rid = new_runner(client)
    a, b = add_done(client, analyses["same"], rid), add_done(client, analyses["same"], rid)
    body = client.get(f"/api/runners/{rid}/compare", params={"a": a, "b": b}).json()
    assert body["metrics"]["cadence_spm"]["difference"] == 0
    for name, m in body["metrics"].items():
        assert not m["exceeds"], name
        assert m["difference"] in (0, None), name
    assert body["flags"]["appeared"] == [] and body["flags"]["went_away"] == []


def test_compare_eight_percent_faster(client, analyses) -> None:
    rid = new_runner(client, target_cadence_spm=180)
    a, b = add_done(client, analyses["same"], rid), add_done(client, analyses["faster"], rid)
    body = client.get(f"/api/runners/{rid}/compare", params={"a": a, "b": b}).json()
    cadence = body["metrics"]["cadence_spm"]
    assert 12 < cadence["difference"] < 15 and cadence["exceeds"]
    assert cadence["detectable_change"] < cadence["difference"]
    assert cadence["sentence"].startswith(f"step rate rose {cadence['difference']:.0f} spm; changes above")
    assert body["target"]["cadence_spm"] == 180 and body["target"]["gap_b"] < body["target"]["gap_a"]


def test_compare_refuses_other_runners_and_unfinished_analyses(client, analyses) -> None:
    rid, other = new_runner(client), new_runner(client, name="Other")
    mine, theirs = add_done(client, analyses["same"], rid), add_done(client, analyses["same"], other)
    r = client.get(f"/api/runners/{rid}/compare", params={"a": mine, "b": theirs})
    assert r.status_code == 404 and "does not belong to this runner" in r.json()["detail"]
    queued = client.post(
        "/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}, data={"runner_id": rid}
    ).json()["id"]
    r = client.get(f"/api/runners/{rid}/compare", params={"a": mine, "b": queued})
    assert r.status_code == 409 and "queued" in r.json()["detail"]
    assert client.get(f"/api/runners/{rid}/compare", params={"a": mine}).status_code == 422


def test_correct_events_and_undo(client, analyses) -> None:
    analysis = analyses["same"]
    aid = add_done(client, analysis, None)
    auto_report = client.get(f"/api/analyses/{aid}").json()["report"]
    events = [{"foot": e["foot"], "type": e["type"], "frame": e["frame"]} for e in auto_report["events"]]
    ic = [i for i, e in enumerate(events) if e["type"] == "IC"][5]
    events[ic]["frame"] += 2
    r = client.patch(f"/api/analyses/{aid}/events", json={"events": events})
    assert r.status_code == 200, r.text
    fixed = r.json()
    corrections = fixed["report"]["provenance"]["event_corrections"]
    assert [e["frame"] for e in corrections["by_hand"]] == [events[ic]["frame"]]
    assert corrections["original_events"][ic]["frame"] == events[ic]["frame"] - 2
    assert fixed["report"]["quality"][0]["code"] == "events_corrected_by_hand"
    assert fixed["summary"]["events_corrected"] is True
    # the served files are the corrected ones
    assert client.get(f"/api/analyses/{aid}/files/report.json").json() == fixed["report"]
    steps = client.get(f"/api/analyses/{aid}/files/steps.csv").text
    assert str(events[ic]["frame"]) in steps
    # undo
    r = client.delete(f"/api/analyses/{aid}/events")
    assert r.status_code == 200
    assert r.json()["report"] == auto_report and "events_corrected" not in r.json()["summary"]
    assert client.delete(f"/api/analyses/{aid}/events").status_code == 409


def test_bad_corrections(client, analyses) -> None:
    aid = add_done(client, analyses["same"], None)
    r = client.patch(f"/api/analyses/{aid}/events", json={"events": [{"foot": "L", "type": "IC", "frame": 99999}]})
    assert r.status_code == 422 and "not in the track" in r.json()["detail"]
    assert (
        client.patch(
            f"/api/analyses/{aid}/events", json={"events": [{"foot": "Q", "type": "IC", "frame": 1}]}
        ).status_code
        == 422
    )
    queued = client.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}).json()["id"]
    r = client.patch(f"/api/analyses/{queued}/events", json={"events": []})
    assert r.status_code == 409 and "once it is done" in r.json()["detail"]
    assert client.patch(f"/api/analyses/{uuid.uuid4().hex}/events", json={"events": []}).status_code == 404


V2_SCHEMA = """
CREATE TABLE analyses (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    stage TEXT, progress REAL NOT NULL DEFAULT 0, error TEXT, label TEXT, height_cm REAL,
    treadmill_speed_mps REAL, slowmo_factor REAL, side_name TEXT NOT NULL, side_file TEXT NOT NULL,
    rear_name TEXT, rear_file TEXT, attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, finished_at TEXT,
    summary TEXT, run_number INTEGER NOT NULL DEFAULT 0, output_dir TEXT
);
PRAGMA user_version = 2;
"""


def test_migration_from_schema_2_keeps_the_analyses(tmp_path: Path) -> None:
    db = tmp_path / "data" / "gait.sqlite3"
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    conn.executescript(V2_SCHEMA)
    conn.execute("INSERT INTO analyses (id, created_at, status, side_name, side_file, label, run_number, output_dir) "
                 "VALUES (?, ?, 'failed', 'old.mp4', 'analyses/x/input/side.mp4', 'visit 1', 2, NULL)",
                 ("a" * 32, now()))
    conn.commit()
    conn.close()
    store = Store(db)
    store.init()
    record = store.get("a" * 32)
    assert record is not None and record.label == "visit 1" and record.run_number == 2 and record.runner_id is None
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    store.init()  # idempotent
    with make_client(tmp_path / "data", workers=0) as client:
        assert client.get(f"/api/analyses/{'a' * 32}").json()["label"] == "visit 1"
        rid = new_runner(client)
        assert client.get(f"/api/runners/{rid}").json()["analyses"] == []


def test_compare_page_plots_the_step_rate_over_the_clip(client, analyses) -> None:
    rid = new_runner(client)
    a, b = add_done(client, analyses["same"], rid), add_done(client, analyses["faster"], rid)
    page = client.get(f"/runners/{rid}/compare", params={"a": a, "b": b})
    assert page.status_code == 200
    assert 'id="rate-plot"' in page.text and page.text.count('class="session-') >= 4


def test_step_rate_series_is_one_point_per_step_and_skips_missed_contacts() -> None:
    from gait.web.routes.pages import step_rate_series

    ics = [0.0, 0.35, 0.70, 1.05, 1.75, 2.10]  # the contact at 1.40 s was missed
    report = {"events": [{"type": "IC", "foot": "LR"[i % 2], "time_s": t} for i, t in enumerate(ics)]}
    series = step_rate_series(report)
    assert series is not None and [round(r, 3) for _, r in series] == [round(60 / 0.35, 3)] * 4
    assert [round(x, 3) for x, _ in series] == [0.175, 0.525, 0.875, 1.925]
    assert step_rate_series({"events": report["events"][:2]}) is None
