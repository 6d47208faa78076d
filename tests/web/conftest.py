"""Fixtures of the web-app tests: apps on temporary data folders."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web app needs the 'web' dependencies (fastapi, uvicorn, python-multipart)")

from fastapi.testclient import TestClient

from gait.web.app import create_app
from gait.web.settings import Settings

TERMINAL = ("done", "failed")


def make_client(data_dir: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(data_dir=data_dir, **settings)))


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
