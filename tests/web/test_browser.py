"""End to end in a real browser: `gait serve` in a subprocess, Debian's chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BROWSER_ARGS, SAMPLE_CLIP

CHROMIUM = Path("/usr/bin/chromium")
SERVE = "import typer; from gait.web.cli import serve_command; typer.run(serve_command)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("uvicorn", reason="the web app needs uvicorn")
    port = _free_port()
    data = tmp_path_factory.mktemp("served")
    log = (data / "server.log").open("w")
    env = {**os.environ, "GAIT_DATA_DIR": str(data / "data")}
    env.pop("GAIT_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {(data / 'server.log').read_text()}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


def _until(condition, message: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def test_upload_in_the_browser_and_read_the_report(server: str, browser) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.set_input_files("#file", str(SAMPLE_CLIP))
    page.fill("input[name=label]", "Browser runner")
    page.fill("input[name=height_cm]", "178")
    page.click("#submit")
    page.wait_for_url(f"{server}/analyses/*", timeout=30_000)
    assert page.locator("#progress").count() == 1 or page.locator("#report").count() == 1

    page.wait_for_selector("iframe#report", timeout=150_000)  # the page reloads itself when done
    report = page.frame_locator("iframe#report")
    report.locator("#flags").wait_for(timeout=20_000)
    assert report.locator("[data-flag]").count() >= 1
    assert report.locator("[data-flag=extended_knee_ic]").count() == 1  # the sample's flag

    video = page.locator("#video")  # (the page's CSP forbids eval, so no page.wait_for_function here)
    _until(lambda: video.evaluate("v => v.readyState") >= 2, "the video never loaded")
    assert video.evaluate("v => v.videoWidth") > 0 and video.evaluate("v => v.duration") > 10
    frame = page.locator("#frame")
    page.click("#next-frame")
    expect(frame).to_have_text("1")
    page.click("#next-frame")
    expect(frame).to_have_text("2")
    page.click("#prev-frame")
    expect(frame).to_have_text("1")
    page.click("#play-pause")
    _until(lambda: not video.evaluate("v => v.paused"), "the video did not play")
    page.click("#play-pause")
    _until(lambda: video.evaluate("v => v.paused"), "the video did not pause")

    page.goto(server + "/")
    assert page.locator("tr[data-status=done]").count() == 1
    assert "Browser runner" in page.locator("#history").inner_text()
    assert not errors, errors
    assert all(u.startswith(server) for u in requests), [u for u in requests if not u.startswith(server)]
