"""`gait serve` as a real process, over real HTTP: crashes, host names, the token in logs, connections."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gait.web.db import Store
from tests.conftest import SAMPLE_CLIP
from tests.web.conftest import TERMINAL, Server, alive, descendants, multipart, serve

pytest.importorskip("uvicorn", reason="the web app needs uvicorn")

TOKEN = "s3cret-Tok3n"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: Passes the container sniffing (an MP4 'ftyp' box).
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 2000


def _get_json(server: Server, path: str, headers: dict[str, str] | None = None) -> Any:
    status, _, body = server.request("GET", path, headers=headers)
    assert status == 200, body
    return json.loads(body)


def _poll(server: Server, aid: str, until: Callable[[dict[str, Any]], bool], timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        body = _get_json(server, f"/api/analyses/{aid}")
        if until(body):
            return body
        assert time.monotonic() < deadline, f"gave up waiting: {body}\n{server.log_text()[-3000:]}"
        time.sleep(0.1)


def test_a_killed_server_takes_its_analysis_with_it_and_the_restart_runs_it_once(tmp_path: Path) -> None:
    """Kill -9 during the pose stage: no orphan keeps writing; the restarted server's run is the only one."""
    data = tmp_path / "data"
    env = {"GAIT_WORKERS": "1", "GAIT_OVERLAY_VIDEO": "0"}
    with serve(data, env) as server:
        body, ctype = multipart({"file": ("run.mp4", SAMPLE_CLIP.read_bytes())})
        status, _, answer = server.request("POST", "/api/analyses", body, {"Content-Type": ctype})
        assert status == 202, answer
        aid = json.loads(answer)["id"]
        _poll(server, aid, lambda b: b["stage"] == "pose" and b["progress"] > 0.05, 60)
        started = descendants(server.proc.pid)
        assert started, "no analysis process found"
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        deadline = time.monotonic() + 5  # (the rest of the analysis takes longer than this)
        while any(alive(p) for p in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [p for p in started if alive(p)]
        for pid in survivors:  # (the test's own cleanup: never leave them running)
            os.kill(pid, signal.SIGKILL)
        assert not survivors, "processes of the killed server kept running"
    left = Store(data / "gait.sqlite3").get(aid)
    assert left is not None and left.status == "running" and left.run_number == 1  # nobody marked it done

    with serve(data, env) as server:
        done = _poll(server, aid, lambda b: b["status"] in TERMINAL, 120)
        assert done["status"] == "done", done["error"]
        record = Store(data / "gait.sqlite3").get(aid)
        assert record is not None and record.run_number == 2 and record.attempts == 2
        assert record.output_dir == f"analyses/{aid}/run-2"
        # the first run's folder is gone; downloads come from the run that finished
        assert sorted(p.name for p in (data / "analyses" / aid).iterdir()) == ["input", "run-2"]
        status, _, report = server.request("GET", f"/api/analyses/{aid}/files/report.json")
        assert status == 200 and report == (data / record.output_dir / "report.json").read_bytes()
        assert done["report"] == json.loads(report)


# --- one server with a token and a small upload limit, for the tests below ------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("guarded") / "data"
    env = {"GAIT_TOKEN": TOKEN, "GAIT_WORKERS": "0", "GAIT_MAX_UPLOAD_MB": "0.5", "GAIT_ALLOWED_ORIGINS": "https://gait.clinic.example"}
    with serve(data, env) as server:
        yield server


def test_dns_rebinding_host_names_are_refused(guarded: Server) -> None:
    port = guarded.port
    body, ctype = multipart({"file": ("a.mp4", FAKE_MP4)})
    evil = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}", **AUTH}
    status, _, answer = guarded.request("POST", "/api/analyses", body, {**evil, "Content-Type": ctype})
    assert status == 421, answer
    detail = json.loads(answer)["detail"]
    assert "evil.example" in detail and "GAIT_ALLOWED_ORIGINS" in detail
    for path in ("/api/analyses", "/", "/healthz", "/openapi.json"):
        assert guarded.request("GET", path, headers=evil)[0] == 421, path
    assert guarded.request("GET", "/api/analyses", headers={**AUTH, "Host": "127.0.0.1.evil.example"})[0] == 421
    assert _get_json(guarded, "/api/analyses", AUTH)["analyses"] == []  # nothing was stored
    # this computer's names and the public origin of a reverse proxy are answered
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}", "gait.clinic.example"):
        assert guarded.request("GET", "/api/analyses", headers={**AUTH, "Host": host})[0] == 200, host


def test_the_token_is_not_taken_from_api_urls_and_never_logged(guarded: Server) -> None:
    status, _, _ = guarded.request("GET", f"/api/analyses?token={TOKEN}")
    assert status == 401
    status, headers, _ = guarded.request("GET", f"/?token={TOKEN}")  # a link that opens the app in a browser
    assert status == 303 and headers["location"] == "/" and f"gait_token={TOKEN}" in headers["set-cookie"]
    status, _, _ = guarded.request("GET", f"/api/analyses?limit=5&token={TOKEN}")
    assert status == 401
    time.sleep(0.3)
    log = guarded.log_text()
    assert '"GET /?token=' in log  # the access log is on
    assert TOKEN not in log and "token=***" in log


def test_a_chunked_upload_over_the_limit_is_answered_and_the_connection_closed(guarded: Server) -> None:
    sock = socket.create_connection(("127.0.0.1", guarded.port), timeout=5)
    head = (
        "POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: multipart/form-data; boundary=b0undary\r\n\r\n"
    )
    start = b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n' + FAKE_MP4
    stop = threading.Event()

    def send_forever() -> None:  # a client that keeps sending until the server hangs up (at most 10 s)
        chunk = b"\x00" * 65536
        try:
            sock.sendall(head.encode() + b"%x\r\n%s\r\n" % (len(start), start))
            deadline = time.monotonic() + 10
            while not stop.is_set() and time.monotonic() < deadline:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                time.sleep(0.01)
        except OSError:
            pass

    sender = threading.Thread(target=send_forever, daemon=True)
    sender.start()
    received, closed = b"", False
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                closed = True
                break
            if not data:
                closed = True
                break
            received += data
    finally:
        stop.set()
        sender.join(12)
        sock.close()
    assert received.startswith(b"HTTP/1.1 413"), received[:200]
    assert b"GAIT_MAX_UPLOAD_MB" in received
    assert closed, "the server kept the connection open after answering 413"
    assert _get_json(guarded, "/api/analyses", AUTH)["analyses"] == []
