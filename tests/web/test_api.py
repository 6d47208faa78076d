"""The JSON API and pages, through FastAPI's TestClient, with the real pipeline on the sample clip."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gait.web.db import Record, Store, now
from tests.conftest import SAMPLE_CLIP, SAMPLE_TRACK, SHARED_CLIPS
from tests.web.conftest import make_client, wait_for

EXPECTED_CADENCE_SPM = 168.75
#: Passes the container sniffing (an MP4 'ftyp' box) but is no video: fails inside the pipeline.
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 2000


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web") / "data"


@pytest.fixture(scope="module")
def client(app_dir: Path) -> Iterator[Any]:
    """One analysis at a time (the default), overlay video on."""
    with make_client(app_dir, workers=1, max_upload_mb=50) as c:
        yield c


@pytest.fixture(scope="module")
def analysed(client) -> dict[str, Any]:
    """The sample clip and, right behind it, a broken 'mp4': both uploaded, both finished."""
    with SAMPLE_CLIP.open("rb") as fh:
        r = client.post(
            "/api/analyses",
            files={"file": ("../../my clip.mp4", fh, "video/mp4")},
            data={"label": "Sample runner", "height_cm": "178", "treadmill_speed_mps": "3.1"},
        )
    assert r.status_code == 202, r.text
    sample_id = r.json()["id"]
    r = client.post("/api/analyses", files={"file": ("fake.mp4", FAKE_MP4, "video/mp4")})
    assert r.status_code == 202, r.text
    fake_id = r.json()["id"]
    seen: list[tuple[str, float, str]] = []  # (sample status, sample progress, fake status)

    def poll(body: dict[str, Any]) -> None:
        fake = client.get(f"/api/analyses/{fake_id}").json()
        seen.append((body["status"], body["progress"], fake["status"]))

    t0 = time.monotonic()
    sample = wait_for(client, sample_id, on_poll=poll)
    fake = wait_for(client, fake_id, timeout_s=60)
    return {"sample": sample, "fake": fake, "seen": seen, "seconds": time.monotonic() - t0}


def test_sample_clip_is_analysed(analysed) -> None:
    sample = analysed["sample"]
    assert sample["status"] == "done", sample.get("error")
    assert sample["progress"] == 1.0 and sample["error"] is None
    report = sample["report"]
    assert report["metrics"]["cadence_spm"]["value"] == pytest.approx(EXPECTED_CADENCE_SPM, abs=1.0)
    assert len(report["flags"]) >= 1
    assert sample["label"] == "Sample runner" and sample["height_cm"] == 178 and sample["treadmill_speed_mps"] == 3.1
    assert report["provenance"]["config"]["height_cm"] == 178  # the option reached the pipeline
    assert sample["side_clip"] == {"name": "my clip.mp4", "container": "mp4"}  # display name only, no path
    assert sample["summary"]["cadence_spm"] == pytest.approx(EXPECTED_CADENCE_SPM, abs=1.0)
    assert set(sample["files"]) == {"report.json", "steps.csv", "report.html", "overlay.mp4"}


def test_progress_is_reported_while_running(analysed) -> None:
    running = [p for status, p, _ in analysed["seen"] if status == "running"]
    assert running, "never saw the analysis running"
    assert any(0 < p < 1 for p in running)
    assert running == sorted(running)


def test_concurrent_uploads_queue_and_a_bad_one_fails_alone(analysed) -> None:
    seen = analysed["seen"]
    assert ("running", "queued") in {(s, f) for s, _, f in seen}  # the second upload waited its turn
    assert ("running", "running") not in {(s, f) for s, _, f in seen}  # one worker: never both at once
    fake = analysed["fake"]
    assert fake["status"] == "failed" and fake["report"] is None and fake["files"] == {}
    assert "fake.mp4" in fake["error"] and "side.mp4" not in fake["error"]  # the user's name, not ours
    assert "Traceback" not in fake["error"] and "Internal error" not in fake["error"]
    assert analysed["sample"]["status"] == "done"


def test_files_are_stored_under_generated_names(analysed, app_dir: Path) -> None:
    folder = app_dir / "analyses" / analysed["sample"]["id"]
    assert sorted(p.name for p in (folder / "input").iterdir()) == ["side.mp4"]
    assert (folder / "input" / "side.mp4").read_bytes() == SAMPLE_CLIP.read_bytes()
    assert not list(app_dir.parent.rglob("my clip.mp4"))


def test_downloads(client, analysed) -> None:
    sid = analysed["sample"]["id"]
    base = f"/api/analyses/{sid}/files"
    r = client.get(f"{base}/report.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json() == analysed["sample"]["report"]
    r = client.get(f"{base}/steps.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert len(r.text.splitlines()) > 10
    r = client.get(f"{base}/report.html")
    assert r.status_code == 200 and 'id="flags"' in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    r = client.get(f"{base}/overlay.mp4")
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4" and r.content[4:8] == b"ftyp"
    r = client.get(f"{base}/overlay.mp4", headers={"Range": "bytes=0-99"})  # seeking in the browser needs ranges
    assert r.status_code == 206 and len(r.content) == 100
    r = client.get(f"{base}/steps.csv?download=1")
    disposition = r.headers["content-disposition"]
    assert (
        disposition.startswith("attachment") and "Sample_runner" in disposition and disposition.endswith('steps.csv"')
    )


@pytest.mark.parametrize("name", ["track.nc", "..%2Fgait.sqlite3", "../../gait.sqlite3", "side.mp4", "report.JSON"])
def test_only_listed_files_can_be_downloaded(client, analysed, name: str) -> None:
    r = client.get(f"/api/analyses/{analysed['sample']['id']}/files/{name}")
    assert r.status_code == 404
    assert b"SQLite" not in r.content


def test_unknown_ids(client) -> None:
    assert client.get("/api/analyses/" + "0" * 32).status_code == 404
    assert client.get("/api/analyses/..%2F..%2Fetc").status_code == 404
    assert client.delete("/api/analyses/" + "0" * 32).status_code == 404
    assert client.get("/analyses/" + "0" * 32).status_code == 404


def test_list_and_pages(client, analysed) -> None:
    listed = client.get("/api/analyses").json()["analyses"]
    ids = [a["id"] for a in listed]
    assert analysed["sample"]["id"] in ids and analysed["fake"]["id"] in ids
    assert ids.index(analysed["fake"]["id"]) < ids.index(analysed["sample"]["id"])  # newest first
    home = client.get("/")
    assert home.status_code == 200 and analysed["sample"]["id"] in home.text and "Sample runner" in home.text
    assert "Content-Security-Policy" in home.headers
    page = client.get(f"/analyses/{analysed['sample']['id']}").text
    assert '<iframe id="report"' in page and '<video id="video"' in page and 'data-fps="30"' in page
    assert "3.1 m/s" in page  # the treadmill speed is kept and shown
    failed = client.get(f"/analyses/{analysed['fake']['id']}").text
    assert 'id="error"' in failed and "fake.mp4" in failed


def test_pages_load_nothing_from_the_network(client, analysed) -> None:
    for url in (
        "/",
        f"/analyses/{analysed['sample']['id']}",
        f"/api/analyses/{analysed['sample']['id']}/files/report.html",
    ):
        html = client.get(url).text
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
        assert "//cdn" not in html


def test_openapi_schema(client) -> None:
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/api/analyses"]["post"]
    assert "202" in post["responses"]
    body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    ref = body["$ref"].split("/")[-1]
    props = schema["components"]["schemas"][ref]["properties"]
    assert {"file", "rear_file", "label", "height_cm", "treadmill_speed_mps", "slowmo_factor"} <= set(props)
    assert set(schema["paths"]) >= {"/api/analyses/{analysis_id}", "/api/analyses/{analysis_id}/files/{name}"}
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN


@pytest.mark.parametrize(
    ("filename", "content", "status", "words"),
    [
        ("notes.mp4", b"These are my notes about the runner.\n" * 50, 415, "not a video"),
        ("empty.mp4", b"", 422, "empty"),
        ("image.mov", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, 415, "not a video"),
    ],
)
def test_bad_uploads_are_refused_at_the_door(
    client, app_dir: Path, filename: str, content: bytes, status: int, words: str
) -> None:
    before = sorted((app_dir / "analyses").iterdir())
    n_records = len(client.get("/api/analyses").json()["analyses"])
    r = client.post("/api/analyses", files={"file": (filename, content, "video/mp4")})
    assert r.status_code == status
    assert words in r.json()["detail"] and filename in r.json()["detail"]
    assert sorted((app_dir / "analyses").iterdir()) == before  # nothing stored
    assert len(client.get("/api/analyses").json()["analyses"]) == n_records


def test_bad_options_and_missing_file(client) -> None:
    with SAMPLE_CLIP.open("rb") as fh:
        r = client.post("/api/analyses", files={"file": ("a.mp4", fh, "video/mp4")}, data={"height_cm": "12"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "height_cm"
    assert client.post("/api/analyses", data={"label": "x"}).status_code == 422


def test_no_person_clip_fails_with_the_pipeline_message(client, analysed) -> None:
    clip = SHARED_CLIPS / "iphone4s_portrait_rot90_wall_noperson.mov"
    if not clip.exists():
        pytest.skip(f"shared clip {clip.name} not available")
    with clip.open("rb") as fh:
        r = client.post("/api/analyses", files={"file": (clip.name, fh, "video/quicktime")})
    assert r.status_code == 202  # a valid QuickTime file: only the pipeline can tell
    body = wait_for(client, r.json()["id"], timeout_s=90)
    assert body["status"] == "failed"
    assert body["error"].startswith(f"No person was found in '{clip.name}'")
    assert body["side_clip"]["container"] == "mov"


def test_delete_removes_record_and_files(client, analysed, app_dir: Path) -> None:
    for key in ("fake", "sample"):
        aid = analysed[key]["id"]
        assert (app_dir / "analyses" / aid).is_dir()
        assert client.delete(f"/api/analyses/{aid}").status_code == 204
        assert client.get(f"/api/analyses/{aid}").status_code == 404
        assert client.get(f"/api/analyses/{aid}/files/report.json").status_code == 404
        assert not (app_dir / "analyses" / aid).exists()
        assert client.delete(f"/api/analyses/{aid}").status_code == 404
    assert all(
        a["id"] not in (analysed["fake"]["id"], analysed["sample"]["id"])
        for a in client.get("/api/analyses").json()["analyses"]
    )


# --- apps with other settings --------------------------------------------------------------------


def _multipart(name: str, filename: str, payload: bytes, boundary: str = "gaitboundary") -> bytes:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    return head.encode() + payload + f"\r\n--{boundary}--\r\n".encode()


def test_upload_limit_413(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with make_client(data, workers=0, max_upload_mb=0.5) as c:
        big = FAKE_MP4 + b"\x00" * (2 * 1024 * 1024)
        r = c.post("/api/analyses", files={"file": ("big.mp4", big, "video/mp4")})  # declared length
        assert r.status_code == 413 and "0.5 MB" in r.json()["detail"]
        body = _multipart("file", "big.mp4", big)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
            for i in range(0, len(body), 64 * 1024):
                yield body[i : i + 64 * 1024]

        r = c.post(
            "/api/analyses", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=gaitboundary"}
        )
        assert r.status_code == 413
        r = c.post("/analyses", files={"file": ("big.mp4", big, "video/mp4")})  # the HTML form gets a page
        assert r.status_code == 413 and "text/html" in r.headers["content-type"]
        assert c.get("/api/analyses").json()["analyses"] == []
        assert list((data / "analyses").iterdir()) == []
        small = c.post("/api/analyses", files={"file": ("ok.mp4", FAKE_MP4, "video/mp4")})  # the next upload is fine
        assert small.status_code == 202


def test_html_form_without_javascript_and_rear_clip(idle_client, tmp_path: Path) -> None:
    c = idle_client
    with SAMPLE_CLIP.open("rb") as side:
        r = c.post(
            "/analyses",
            files={"file": ("side.MP4", side, "video/mp4"), "rear_file": ("", b"", "application/octet-stream")},
            data={"label": "", "height_cm": "", "treadmill_speed_mps": "2.5", "slowmo_factor": ""},
            follow_redirects=False,
        )
    assert r.status_code == 303 and r.headers["location"].startswith("/analyses/")
    aid = r.headers["location"].rsplit("/", 1)[-1]
    body = c.get(f"/api/analyses/{aid}").json()
    assert body["status"] == "queued" and body["rear_clip"] is None and body["height_cm"] is None
    assert body["treadmill_speed_mps"] == 2.5
    page = c.get(f"/analyses/{aid}").text
    assert "waiting for earlier analyses" in page and 'http-equiv="refresh"' in page  # refreshes without JS

    rear = SHARED_CLIPS / "iphone4s_portrait_rot90_wall_noperson.mov"
    rear_bytes = rear.read_bytes() if rear.exists() else FAKE_MP4
    with SAMPLE_CLIP.open("rb") as side:
        r = c.post(
            "/api/analyses",
            files={"file": ("s.mp4", side, "video/mp4"), "rear_file": ("back.mov", rear_bytes, "video/quicktime")},
        )
    assert r.status_code == 202
    body = c.get(f"/api/analyses/{r.json()['id']}").json()
    assert body["rear_clip"]["name"] == "back.mov"

    r = c.post("/analyses", files={"file": ("notes.mp4", b"hello" * 100, "video/mp4")}, data={"label": "Keep me"})
    assert r.status_code == 415 and "not a video" in r.text and 'value="Keep me"' in r.text
    r = c.post("/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}, data={"height_cm": "9999"})
    assert r.status_code == 422 and "Height" in r.text

    r = c.post(f"/analyses/{aid}/delete", follow_redirects=False)
    assert r.status_code == 303 and c.get(f"/api/analyses/{aid}").status_code == 404


def test_access_token(tmp_path: Path) -> None:
    with make_client(tmp_path / "data", workers=0, token="s3cret") as c:
        assert c.get("/api/analyses").status_code == 401
        assert c.get("/api/analyses").headers["www-authenticate"] == "Bearer"
        assert c.get("/openapi.json").status_code == 401
        assert c.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}).status_code == 401
        assert c.get("/api/analyses", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/analyses", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/api/analyses?token=s3cret").status_code == 401  # never in an API URL (it would be logged)
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
        assert c.get("/login").status_code == 200
        assert c.post("/login", data={"token": "nope", "next": "/"}).status_code == 401
        r = c.get("/?token=s3cret", follow_redirects=False)  # a link with the token sets the cookie
        assert r.status_code == 303 and r.headers["location"] == "/" and "gait_token=s3cret" in r.headers["set-cookie"]
        c.cookies.clear()
        r = c.post("/login", data={"token": "s3cret", "next": "//evil.example/"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
        assert "httponly" in r.headers["set-cookie"].lower()
        assert c.get("/").status_code == 200  # the cookie now opens pages and the API
        assert c.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}).status_code == 202


def _stuck(store: Store, data_dir: Path, status: str, attempts: int, source: Path) -> str:
    import uuid

    aid = uuid.uuid4().hex
    folder = data_dir / "analyses" / aid / "input"
    folder.mkdir(parents=True)
    shutil.copy(source, folder / f"side{source.suffix}")
    store.add(Record(id=aid, created_at=now(), status=status, side_name=source.name,
                     side_file=f"analyses/{aid}/input/side{source.suffix}", attempts=attempts,
                     stage="pose" if status == "running" else None, progress=0.4 if status == "running" else 0.0))
    return aid


def test_restart_recovery(tmp_path: Path) -> None:
    """A crash left analyses 'running' and 'queued': the next start re-queues them, up to GAIT_MAX_ATTEMPTS runs."""
    data = tmp_path / "data"
    db = tmp_path / "elsewhere" / "records.sqlite3"  # GAIT_DB: database outside the data folder
    store = Store(db)
    store.init()
    (data / "analyses").mkdir(parents=True)
    # a pose track is analysed in a second or two (no pose model), so the re-run is fast
    interrupted = _stuck(store, data, "running", 1, SAMPLE_TRACK)
    crashed_twice = _stuck(store, data, "running", 2, SAMPLE_TRACK)
    waiting = _stuck(store, data, "queued", 0, SAMPLE_TRACK)
    with make_client(data, db=db, workers=1, max_attempts=2, overlay_video=False) as c:
        failed = c.get(f"/api/analyses/{crashed_twice}").json()
        assert failed["status"] == "failed"
        assert failed["error"].startswith("The server stopped while this analysis was running (2 times)")
        for aid in (interrupted, waiting):
            body = wait_for(c, aid, timeout_s=120)
            assert body["status"] == "done", body["error"]
            assert body["report"]["metrics"]["cadence_spm"]["value"] == pytest.approx(EXPECTED_CADENCE_SPM, abs=1.0)
    record = store.get(interrupted)
    assert record is not None and record.attempts == 2
    assert not (data / "gait.sqlite3").exists()  # GAIT_DB was used


def test_shutdown_puts_a_running_analysis_back_in_the_queue(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with make_client(data, workers=1) as c, SAMPLE_CLIP.open("rb") as fh:
        aid = c.post("/api/analyses", files={"file": ("a.mp4", fh, "video/mp4")}).json()["id"]
        deadline = time.monotonic() + 60
        while c.get(f"/api/analyses/{aid}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    record = Store(data / "gait.sqlite3").get(aid)
    assert record is not None and record.status == "queued" and record.attempts == 0
    with make_client(data, workers=0) as c:  # and a restart finds it queued, not failed
        assert c.get(f"/api/analyses/{aid}").json()["status"] == "queued"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from gait.web.settings import Settings

    monkeypatch.setenv("GAIT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("GAIT_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("GAIT_MAX_UPLOAD_MB", "12.5")
    monkeypatch.setenv("GAIT_TOKEN", "")
    monkeypatch.setenv("GAIT_WORKERS", "2")
    s = Settings()
    assert s.data_dir == tmp_path / "d" and s.db_path == tmp_path / "x.db"
    assert s.max_upload_bytes == int(12.5 * 1024 * 1024) and s.token is None and s.workers == 2
    assert json.loads(s.model_dump_json())["workers"] == 2


def test_changes_from_another_web_site_are_refused(tmp_path: Path) -> None:
    # no token (the default on localhost): a page elsewhere must not upload to or delete from it
    with make_client(tmp_path / "data", workers=0, allowed_origins="https://gait.clinic.example/") as c:
        evil = {"Origin": "https://evil.example"}
        files = {"file": ("a.mp4", FAKE_MP4, "video/mp4")}
        r = c.post("/api/analyses", files=files, headers=evil)
        assert r.status_code == 403 and "another web site" in r.json()["detail"]
        assert c.get("/api/analyses").json()["analyses"] == []  # nothing stored
        r = c.post("/api/analyses", files=files, headers={"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
        r = c.post("/api/analyses", files=files, headers={"Origin": "null"})  # sandboxed frame, file:// page
        assert r.status_code == 403
        # the server's own pages, an allowed proxy origin, and clients that send no Origin (curl, scripts)
        ok = [c.post("/api/analyses", files=files, headers=h) for h in (
            {"Origin": "http://localhost"}, {"Origin": "https://gait.clinic.example"}, {})]
        assert [x.status_code for x in ok] == [202, 202, 202]
        aid = ok[0].json()["id"]
        assert c.delete(f"/api/analyses/{aid}", headers=evil).status_code == 403
        r = c.post(f"/analyses/{aid}/delete", headers={**evil, "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 403
        assert c.get(f"/api/analyses/{aid}").status_code == 200  # still there
        assert c.delete(f"/api/analyses/{aid}", headers={"Origin": "http://localhost"}).status_code == 204


def test_a_killed_analysis_process_fails_only_its_own_record(tmp_path: Path) -> None:
    import multiprocessing
    import os
    import signal

    with make_client(tmp_path / "data", workers=1, overlay_video=False) as c:
        ids = []
        for _ in range(2):
            with SAMPLE_CLIP.open("rb") as fh:
                r = c.post("/api/analyses", files={"file": ("clip.mp4", fh, "video/mp4")})
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        first, second = ids
        deadline = time.monotonic() + 60
        victim = None
        while victim is None and time.monotonic() < deadline:  # the first one's process, once running
            if c.get(f"/api/analyses/{first}").json()["status"] == "running":
                victim = next(
                    (p for p in multiprocessing.active_children() if p.name == f"gait-analysis-{first[:8]}"), None
                )
            time.sleep(0.1)
        assert victim is not None and victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)  # e.g. the kernel's out-of-memory killer
        failed = wait_for(c, first, timeout_s=60)
        assert failed["status"] == "failed"
        assert "stopped unexpectedly" in failed["error"] and "upload the clip again" in failed["error"]
        done = wait_for(c, second)  # the next analysis runs in a fresh process
        assert done["status"] == "done"
        assert abs(done["summary"]["cadence_spm"] - EXPECTED_CADENCE_SPM) < 1.0
