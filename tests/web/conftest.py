"""Fixtures of the web-app tests: apps on temporary data folders, and real `gait serve` processes."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web app needs the 'web' dependencies (fastapi, uvicorn, python-multipart)")

from fastapi.testclient import TestClient

from gait.web.app import create_app
from gait.web.settings import Settings

TERMINAL = ("done", "failed")


def make_client(data_dir: Path, **settings: Any) -> TestClient:
    """A TestClient on a new app; requests go to http://localhost (the Host check refuses other names)."""
    return TestClient(create_app(Settings(data_dir=data_dir, **settings)), base_url="http://localhost")


def wait_for(client: TestClient, analysis_id: str, timeout_s: float = 180.0, *, headers: dict[str, str] | None = None,
             on_poll: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Poll GET /api/analyses/{id} until done or failed."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get(f"/api/analyses/{analysis_id}", headers=headers).json()
        if on_poll is not None:
            on_poll(body)
        if body["status"] in TERMINAL:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"analysis {analysis_id} still {body['status']} after {timeout_s} s: {body}")
        time.sleep(0.2)


@pytest.fixture
def idle_client(tmp_path: Path) -> Iterator[TestClient]:
    """An app that accepts uploads but runs no analysis (GAIT_WORKERS=0)."""
    with make_client(tmp_path / "data", workers=0) as client:
        yield client


# --- a real `gait serve` process ---------------------------------------------------------------

SERVE = "import typer; from gait.web.cli import serve_command; typer.run(serve_command)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A `gait serve` subprocess: its address, process and log file (stdout and stderr)."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout_s: float = 30.0) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request on a fresh connection (``headers`` may set Host)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()


def _env_without_gait() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GAIT_")}


@contextmanager
def serve(data_dir: Path, env: dict[str, str] | None = None, *, port: int | None = None,
          args: tuple[str, ...] = ()) -> Iterator[Server]:
    """Start `gait serve` on ``data_dir`` (waits for /healthz); stopped (SIGTERM, then SIGKILL) on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = data_dir.parent / f"server-{port}-{uuid.uuid4().hex[:6]}.log"
    full_env = {**_env_without_gait(), "GAIT_DATA_DIR": str(data_dir), **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, "--port", str(port), *args], env=full_env,
                                stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = server.request("GET", "/healthz", timeout_s=1)
                if status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {server.log_text()}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def multipart(files: dict[str, tuple[str, bytes]], fields: dict[str, str] | None = None,
              boundary: str = "gaitboundary7f3a") -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    parts = []
    for name, value in (fields or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, payload) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: video/mp4\r\n\r\n")
        parts.append(head.encode() + payload + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
