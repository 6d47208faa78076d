"""Attacks the web app already withstands, replayed so that every change must keep withstanding them.

Covered elsewhere and not repeated here: non-video, empty and PNG uploads, the user's file name kept
out of storage, unknown ids and path traversal in download names (test_api.py); uploads above
GAIT_MAX_UPLOAD_MB with and without Content-Length; cross-site Origin and Sec-Fetch-Site; open
redirects after login; restarts with interrupted analyses and a killed analysis process (test_api.py);
DNS rebinding, the token in URLs and logs, storage and rate limits, kill -9 of the server
(test_hardening.py, test_serve.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gait.web.db import Record, Store, now
from tests.web.conftest import make_client

FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 2000
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("attacks") / "data"


@pytest.fixture(scope="module")
def c(data: Path) -> Iterator[Any]:
    # (no rate limit: many uploads here)
    with make_client(data, workers=0, max_upload_mb=2, uploads_per_minute=0) as client:
        yield client


@pytest.fixture(scope="module")
def done(c: Any, data: Path) -> str:
    """A finished analysis, its record and files written directly (no pipeline run).

    The folder layout is that of records from before run folders, which the app still reads.
    """
    aid = uuid.uuid4().hex
    out = data / "analyses" / aid / "out"
    out.mkdir(parents=True)
    (data / "analyses" / aid / "input").mkdir()
    (data / "analyses" / aid / "input" / "side.mp4").write_bytes(FAKE_MP4)
    (out / "report.json").write_text(json.dumps({"metrics": {}, "flags": [], "clip": {"fps": 30}}))
    (out / "report.html").write_text("<!doctype html><p id=flags>report</p>")
    (out / "overlay.mp4").write_bytes(FAKE_MP4)
    Store(data / "gait.sqlite3").add(Record(
        id=aid, created_at=now(), status="done", side_name=XSS + ".mp4", side_file=f"analyses/{aid}/input/side.mp4",
        label=XSS, attempts=1, summary="{}",
    ))
    return aid


def _count(c: Any) -> int:
    return len(c.get("/api/analyses").json()["analyses"])


@pytest.mark.parametrize(
    ("content", "ctype", "status"),
    [
        (b'{"file": "AAAAIGZ0eXBpc29t"}', "application/json", 422),
        (b"file=AAAAIGZ0eXBpc29t", "application/x-www-form-urlencoded", 422),
        (b"\x00\x00\x00\x18ftypmp42" * 100, "video/mp4", 422),  # a raw body, not a form
        (
            b"--x\r\nContent-Disposition: form-data; name=file; filename=a.mp4\r\n\r\nabc",
            "multipart/form-data; boundary=y",
            400,
        ),
        (b"garbage", "multipart/form-data", 400),  # no boundary
        (
            b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n\x00\x00\x00\x18ftypmp42\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
            422,
        ),  # a text field, no file
    ],
)
def test_wrong_content_types_are_refused_without_storing_anything(
    c: Any, data: Path, content: bytes, ctype: str, status: int
) -> None:
    before, folders = _count(c), sorted((data / "analyses").iterdir())
    r = c.post("/api/analyses", content=content, headers={"Content-Type": ctype})
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text
    assert _count(c) == before and sorted((data / "analyses").iterdir()) == folders


def test_too_many_form_parts_are_refused(c: Any) -> None:
    r = c.post(
        "/api/analyses", data={f"f{i}": "x" for i in range(1100)}, files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}
    )
    assert r.status_code == 400


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "0x10", "178cm"])
def test_options_that_are_not_numbers_are_refused(c: Any, value: str) -> None:
    r = c.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}, data={"height_cm": value})
    assert r.status_code == 422


def test_label_too_long_is_refused(c: Any) -> None:
    r = c.post("/api/analyses", files={"file": ("a.mp4", FAKE_MP4, "video/mp4")}, data={"label": "x" * 201})
    assert r.status_code == 422


def test_names_and_labels_are_shown_as_text_never_as_markup(c: Any, done: str) -> None:
    for url in ("/", f"/analyses/{done}"):
        html = c.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert" in html
    r = c.post("/analyses", files={"file": (XSS + ".mp4", b"not a video at all", "video/mp4")})
    assert r.status_code == 415 and "<script>alert" not in r.text and "&lt;script&gt;" in r.text


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd.mp4",
        "..\\..\\gait.sqlite3",
        "C:\\Users\\x\\clip.mp4",
        "a\x00b.mp4",
        "line\r\nbreak.mp4",
        "/abs/clip.mp4",
    ],
)
def test_file_names_never_choose_where_files_go(c: Any, data: Path, filename: str) -> None:
    r = c.post("/api/analyses", files={"file": (filename, FAKE_MP4, "video/mp4")})
    assert r.status_code == 202
    body = c.get(f"/api/analyses/{r.json()['id']}").json()
    assert "/" not in body["side_clip"]["name"] and "\\" not in body["side_clip"]["name"]
    assert all(ch.isprintable() for ch in body["side_clip"]["name"])
    assert sorted(p.name for p in (data / "analyses" / body["id"] / "input").iterdir()) == ["side.mp4"]
    assert not (data.parent / "etc").exists() and not list(data.parent.rglob("passwd*"))
    assert c.delete(f"/api/analyses/{body['id']}").status_code == 204


@pytest.mark.parametrize(
    "url",
    [
        "/analyses/..%2F..%2Fgait.sqlite3",
        "/analyses/%2e%2e",
        "/analyses/{ID}%00",
        "/analyses/{UPPER}",
        "/api/analyses/{UPPER}",
        "/api/analyses/{ID}/files/..%2Finput%2Fside.mp4",
        "/api/analyses/{ID}/files/%2e%2e",
        "/api/analyses/{ID}/files/input",
        "/api/analyses/{ID}/files/out",
        "/api/analyses/%2e%2e%2f%2e%2e/files/report.json",
        "/static/..%2Fdb.py",
        "/static/%2e%2e/%2e%2e/gait.sqlite3",
        "/static/../../gait.sqlite3",
    ],
)
def test_no_path_reaches_other_files(c: Any, done: str, url: str) -> None:
    r = c.get(url.replace("{ID}", done).replace("{UPPER}", done.upper()))
    assert r.status_code in (404, 405), r.status_code
    assert b"SQLite" not in r.content and b"ftypmp42" not in r.content and b"import " not in r.content


def test_deletes_with_odd_ids_touch_nothing(c: Any, data: Path, done: str) -> None:
    for aid in (done.upper(), "..", "%2e%2e", done + "0", "*"):
        assert c.delete(f"/api/analyses/{aid}").status_code in (404, 405)
        assert c.post(f"/analyses/{aid}/delete").status_code in (404, 405)
    assert (data / "analyses" / done).is_dir() and c.get(f"/api/analyses/{done}").status_code == 200


def test_range_requests_out_of_bounds(c: Any, done: str) -> None:
    base = f"/api/analyses/{done}/files/overlay.mp4"
    assert c.get(base, headers={"Range": "bytes=999999999-"}).status_code == 416
    assert c.get(base, headers={"Range": "bytes=5-2"}).status_code in (200, 400, 416)
    assert c.get(base, headers={"Range": "bytes=" + ",".join(["0-1"] * 200)}).status_code in (200, 206, 416)
    r = c.get(f"/api/analyses/{done}/files/report.html")
    # the report runs nothing
    assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]


def test_login_from_another_site_is_refused(tmp_path: Path) -> None:
    with make_client(tmp_path / "data", workers=0, token="s3cret") as t:
        r = t.post(
            "/login", data={"token": "s3cret"}, headers={"Origin": "https://evil.example"}, follow_redirects=False
        )
        assert r.status_code == 403 and "set-cookie" not in r.headers
        r = t.post("/login", data={"token": "s3cret"}, follow_redirects=False)
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        t.cookies.clear()
        t.cookies.set("gait_token", "wrong")
        for url in ("/api/analyses", "/openapi.json"):
            assert t.get(url).status_code == 401
