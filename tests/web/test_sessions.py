"""Sessions in the web app: a side clip with a rear and a front clip, stored as a list of clips."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gait.web.db import Clip, Store, now
from gait.web.schemas import FILE_NAMES
from gait.web.uploads import OUTPUT_FILES
from tests.web.conftest import make_client

FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 2000
FAKE_MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00garbage" * 2000

#: The ``analyses`` table of schema version 3 (before the ``clips`` list), as an old server made it.
V3_SCHEMA = """
CREATE TABLE analyses (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    stage TEXT, progress REAL NOT NULL DEFAULT 0, error TEXT, label TEXT, height_cm REAL,
    treadmill_speed_mps REAL, slowmo_factor REAL, side_name TEXT NOT NULL, side_file TEXT NOT NULL,
    rear_name TEXT, rear_file TEXT, attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, finished_at TEXT,
    summary TEXT, run_number INTEGER NOT NULL DEFAULT 0, output_dir TEXT, runner_id TEXT
);
CREATE TABLE runners (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, name TEXT NOT NULL, height_cm REAL, notes TEXT,
    target_cadence_spm REAL
);
PRAGMA user_version = 3;
"""


def test_old_database_keeps_its_rear_clips(tmp_path: Path) -> None:
    db = tmp_path / "data" / "gait.sqlite3"
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    conn.executescript(V3_SCHEMA)
    rows = [
        ("a" * 32, "side.mp4", "analyses/a/input/side.mp4", "back.mov", "analyses/a/input/rear.mov"),
        ("b" * 32, "alone.mp4", "analyses/b/input/side.mp4", None, None),
    ]
    for aid, side_name, side_file, rear_name, rear_file in rows:
        conn.execute(
            "INSERT INTO analyses (id, created_at, status, side_name, side_file, rear_name, rear_file) "
            "VALUES (?, ?, 'failed', ?, ?, ?, ?)",
            (aid, now(), side_name, side_file, rear_name, rear_file),
        )
    conn.commit()
    conn.close()
    store = Store(db)
    store.init()
    two = store.get("a" * 32)
    assert two is not None and two.clips is not None  # the list was written into the database
    assert two.clip_list == [
        Clip("side", "side.mp4", "analyses/a/input/side.mp4"),
        Clip("rear", "back.mov", "analyses/a/input/rear.mov"),
    ]
    one = store.get("b" * 32)
    assert one is not None and one.clip_list == [Clip("side", "alone.mp4", "analyses/b/input/side.mp4")]
    assert one.extra_clips == []
    store.init()  # idempotent
    assert store.get("a" * 32) == two
    with make_client(tmp_path / "data", workers=0) as client:
        body = client.get(f"/api/analyses/{'a' * 32}").json()
        assert body["rear_clip"] == {"name": "back.mov", "container": "mov"}
        assert [c["role"] for c in body["clips"]] == ["side", "rear"] and body["front_clip"] is None
        page = client.get(f"/analyses/{'a' * 32}").text
        assert "back.mov" in page and "not available yet" not in page


def test_upload_with_rear_and_front_clips(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with make_client(data, workers=0) as client:
        r = client.post(
            "/api/analyses",
            files={
                "file": ("s.mp4", FAKE_MP4, "video/mp4"),
                "rear_file": ("back.mp4", FAKE_MP4, "video/mp4"),
                "front_file": ("face.mov", FAKE_MOV, "video/quicktime"),
            },
        )
        assert r.status_code == 202, r.text
        body = client.get(f"/api/analyses/{r.json()['id']}").json()
        assert [(c["role"], c["name"]) for c in body["clips"]] == [
            ("side", "s.mp4"), ("rear", "back.mp4"), ("front", "face.mov")
        ]
        assert body["front_clip"]["container"] == "mov" and body["rear_clip"]["name"] == "back.mp4"
        record = Store(data / "gait.sqlite3").get(r.json()["id"])
        assert record is not None and record.rear_file is not None  # old readers still find the rear clip
        for clip in record.clip_list:
            assert (data / clip.file).is_file() and Path(clip.file).stem == clip.role
        # the HTML form takes a front clip without a rear clip
        r = client.post(
            "/analyses",
            files={"file": ("s.mp4", FAKE_MP4, "video/mp4"), "front_file": ("f.mp4", FAKE_MP4, "video/mp4")},
            follow_redirects=False,
        )
        assert r.status_code == 303
        body = client.get("/api/analyses/" + r.headers["location"].rsplit("/", 1)[-1]).json()
        assert [c["role"] for c in body["clips"]] == ["side", "front"] and body["rear_clip"] is None
        # a front clip that is not a video is refused, naming the field
        r = client.post(
            "/api/analyses",
            files={"file": ("s.mp4", FAKE_MP4, "video/mp4"), "front_file": ("f.mp4", b"hello" * 100, "video/mp4")},
        )
        assert r.status_code == 415 and "front-view clip" in r.json()["detail"]
        spec = client.get("/openapi.json").json()
        text = str(spec)
        assert "front_file" in text and "analysed once two-view analysis lands" not in text


def test_every_extra_view_has_its_overlay() -> None:
    assert {"overlay_rear.mp4", "overlay_front.mp4"} <= set(OUTPUT_FILES) and tuple(OUTPUT_FILES) == FILE_NAMES
