"""Hardening of the web app: fenced analysis runs, storage and upload limits, where the token is accepted."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from gait.web.db import Record, Store, now
from gait.web.worker import run_job
from tests.conftest import SAMPLE_CLIP
from tests.web.conftest import make_client

FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 2000
MB = 1024 * 1024


def _queued(store: Store, data: Path, source: Path) -> str:
    aid = uuid.uuid4().hex
    folder = data / "analyses" / aid / "input"
    folder.mkdir(parents=True)
    shutil.copy(source, folder / f"side{source.suffix}")
    store.add(Record(id=aid, created_at=now(), status="queued", side_name=source.name,
                     side_file=f"analyses/{aid}/input/side{source.suffix}"))
    return aid


# --- item 1: a re-queued analysis fences off the old run -------------------------------------------


def test_only_the_run_that_owns_an_analysis_may_write_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "gait.sqlite3")
    store.init()
    aid = _queued(store, tmp_path, SAMPLE_CLIP)
    first = store.claim(aid)
    assert first == 1 and store.claim(aid) is None  # claimed once only
    assert store.set_progress(aid, first, "pose", 0.3)
    requeued, failed = store.recover(max_attempts=3)  # the server restarted
    assert requeued == [aid] and failed == []
    assert not store.set_progress(aid, first, "pose", 0.5)  # queued: the old run owns nothing
    second = store.claim(aid)
    assert second == 2
    # the old run can no longer touch the record
    assert not store.set_progress(aid, first, "video", 0.9)
    assert not store.finish(aid, first, summary={"cadence_spm": 1.0}, output_dir=f"analyses/{aid}/run-1")
    assert not store.fail(aid, "old run", run=first)
    record = store.get(aid)
    assert record is not None and (record.status, record.stage, record.progress) == ("running", "starting", 0.0)
    assert store.owns(aid, second) and not store.owns(aid, first)
    assert store.finish(aid, second, summary={"cadence_spm": 168.0}, output_dir=f"analyses/{aid}/run-2")
    record = store.get(aid)
    assert record is not None and record.status == "done" and record.output_dir == f"analyses/{aid}/run-2"
    assert not store.fail(aid, "late", run=second)  # a finished analysis stays done


def test_a_run_that_lost_its_analysis_stops_and_writes_nothing(tmp_path: Path) -> None:
    """A worker (a real process) whose analysis a restarted server re-queued and started again."""
    data = tmp_path / "data"
    store = Store(data / "gait.sqlite3")
    store.init()
    aid = _queued(store, data, SAMPLE_CLIP)
    run = store.claim(aid)
    assert run == 1
    proc = multiprocessing.get_context("spawn").Process(
        target=run_job, args=(str(store.path), str(data), aid, False, run, os.getpid())
    )
    proc.start()
    try:
        deadline = time.monotonic() + 60
        while (r := store.get(aid)) is not None and not (r.stage == "pose" and r.progress > 0.02):
            assert proc.is_alive() and time.monotonic() < deadline, r
            time.sleep(0.05)
        store.recover(max_attempts=3)
        assert store.claim(aid) == 2  # what a restarted server does
        proc.join(5)
        assert not proc.is_alive(), "the old run kept going"
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join()
    record = store.get(aid)
    assert record is not None
    assert (record.status, record.run_number, record.stage, record.progress) == ("running", 2, "starting", 0.0)
    assert not (data / "analyses" / aid / "run-1").exists()  # its partial output is removed
    assert not (data / "analyses" / aid / "run-2").exists()  # and the new run's folder was never touched


def test_a_database_of_the_previous_version_is_upgraded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    aid = uuid.uuid4().hex
    out = data / "analyses" / aid / "out"
    out.mkdir(parents=True)
    (out / "report.json").write_text('{"metrics": {}}')
    db = data / "gait.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(V1_SCHEMA)
    conn.execute(
        "INSERT INTO analyses (id, created_at, status, side_name, side_file, attempts, summary) "
        "VALUES (?, ?, 'done', 'a.mp4', ?, 1, '{}')",
        (aid, now(), f"analyses/{aid}/input/side.mp4"),
    )
    conn.commit()
    conn.close()
    with make_client(data, workers=0) as c:
        body = c.get(f"/api/analyses/{aid}").json()
        assert body["status"] == "done" and body["report"] == {"metrics": {}}
        assert c.get(f"/api/analyses/{aid}/files/report.json").json() == {"metrics": {}}
    record = Store(db).get(aid)
    assert record is not None and record.run_number == 0 and record.output_dir is None


V1_SCHEMA = """
CREATE TABLE analyses (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    stage TEXT, progress REAL NOT NULL DEFAULT 0, error TEXT, label TEXT, height_cm REAL, treadmill_speed_mps REAL,
    slowmo_factor REAL, side_name TEXT NOT NULL, side_file TEXT NOT NULL, rear_name TEXT, rear_file TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, finished_at TEXT, summary TEXT
);
PRAGMA user_version = 1;
"""


# --- item 2: the Host header ------------------------------------------------------------------------


def test_requests_for_another_host_name_are_refused(tmp_path: Path) -> None:
    with make_client(
        tmp_path / "data", workers=0, allowed_origins="http://gait.lan:8080, https://gait.clinic.example"
    ) as c:
        for host in (
            "evil.example",
            "evil.example:8000",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "gait.lan:9999",
            "",
        ):
            r = c.get("/api/analyses", headers={"Host": host})
            assert r.status_code == 421, host
        r = c.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")},
                   headers={"Host": "evil.example:8000", "Origin": "http://evil.example:8000"})
        assert r.status_code == 421 and r.json()["detail"].startswith("This server does not answer to 'evil.example")
        page = c.get("/", headers={"Host": "evil.example"})
        assert page.status_code == 421 and "text/html" in page.headers["content-type"]
        for host in (
            "localhost:8000",
            "127.0.0.1",
            "127.0.0.2:1",
            "[::1]:8000",
            "gait.lan:8080",
            "GAIT.CLINIC.EXAMPLE",
            "gait.clinic.example:443",
        ):
            assert c.get("/api/analyses", headers={"Host": host}).status_code == 200, host
        assert c.get("/api/analyses").json()["analyses"] == []


# --- item 3: storage, disk and rate limits ------------------------------------------------------------


def _post(c: TestClient, size: int, path: str = "/api/analyses", **kwargs: object):
    payload = FAKE_MP4 + b"\x00" * max(0, size - len(FAKE_MP4))
    return c.post(path, files={"file": ("clip.mp4", payload, "video/mp4")}, **kwargs)  # type: ignore[arg-type]


def _chunked(c: TestClient, size: int):
    body = (b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="c.mp4"\r\n\r\n'
            + FAKE_MP4 + b"\x00" * size + b"\r\n--bnd--\r\n")

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    return c.post("/api/analyses", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=bnd"})


def test_total_storage_limit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with make_client(data, workers=0, max_storage_mb=1) as c:
        first = _post(c, int(0.6 * MB))
        assert first.status_code == 202
        r = _post(c, int(0.6 * MB))
        assert r.status_code == 507
        assert (
            r.json()["detail"].startswith("The server's storage limit of 1 MB is reached")
            and "GAIT_MAX_STORAGE_MB" in r.json()["detail"]
        )
        assert _chunked(c, int(0.6 * MB)).status_code == 507  # counted while it streams in
        r = _post(c, int(0.6 * MB), path="/analyses")
        assert r.status_code == 507 and "text/html" in r.headers["content-type"] and "storage limit" in r.text
        assert len(c.get("/api/analyses").json()["analyses"]) == 1
        assert len(list((data / "analyses").iterdir())) == 1
        usage = c.get("/api/storage").json()
        assert (
            usage["limit_bytes"] == MB and 0.59 * MB <= usage["used_bytes"] < 0.7 * MB and usage["free_disk_bytes"] > 0
        )
        home = c.get("/").text
        assert 'id="storage"' in home and "0.6 MB of 1 MB" in home
        assert "0.6 MB of 1 MB" in c.get(f"/analyses/{first.json()['id']}").text
        assert c.delete(f"/api/analyses/{first.json()['id']}").status_code == 204
        assert _post(c, int(0.6 * MB)).status_code == 202  # room again


def test_free_disk_check(tmp_path: Path) -> None:
    with make_client(tmp_path / "data", workers=0, min_free_disk_mb=1e9) as c:
        r = _post(c, 1000)
        assert r.status_code == 507
        detail = r.json()["detail"]
        assert detail.startswith("The server's disk is almost full") and "free disk space" in detail
        assert _chunked(c, 1000).status_code == 507
        assert c.get("/api/analyses").json()["analyses"] == []


def test_uploads_are_rate_limited_per_client(tmp_path: Path) -> None:
    with make_client(tmp_path / "data", workers=0, uploads_per_minute=3) as c:
        assert [_post(c, 1000).status_code for _ in range(3)] == [202, 202, 202]
        t0 = time.monotonic()
        r = _post(c, 1000)
        assert r.status_code == 429 and time.monotonic() - t0 < 1
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.json()["detail"].startswith("Too many uploads from this computer") and "wait" in r.json()["detail"]
        r = _post(c, 1000, path="/analyses")  # the form counts too, and gets a page
        assert r.status_code == 429 and "text/html" in r.headers["content-type"] and "Too many uploads" in r.text
        assert len(c.get("/api/analyses").json()["analyses"]) == 3  # reading is not limited
        other = TestClient(c.app, base_url="http://localhost", client=("192.0.2.7", 50000))
        assert _post(other, 1000).status_code == 202  # another computer has its own allowance


# --- item 9: the token in URLs --------------------------------------------------------------------


def test_the_token_in_a_url_only_opens_pages(tmp_path: Path) -> None:
    with make_client(tmp_path / "data", workers=0, token="s3cret") as c:
        assert c.get("/api/analyses?token=s3cret").status_code == 401
        assert c.get("/openapi.json?token=s3cret").status_code == 401
        r = c.post("/api/analyses?token=s3cret", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")})
        assert r.status_code == 401
        r = c.get("/?token=s3cret", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/" and "gait_token=s3cret" in r.headers["set-cookie"]
        assert c.get("/api/analyses").status_code == 200  # with the cookie
        assert c.get("/api/storage").status_code == 200
        c.cookies.clear()
        assert c.get("/api/storage").status_code == 401


def test_the_log_filter_masks_tokens() -> None:
    import logging

    from gait.web.logmask import mask_tokens

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/x?a=1&token=abc%20d&TOKEN=zz", "1.1", 303), None)
    assert mask_tokens(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /x?a=1&token=***&TOKEN=*** HTTP/1.1" 303'
