"""report.html in a real browser (Debian's chromium through Playwright), and overlay.mp4."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import av
import numpy as np
import pytest

from gait.config import AnalysisConfig
from gait.pipeline import analyze_track, write_outputs
from gait.track import load_track
from tests.conftest import BROWSER_ARGS, SAMPLE_CLIP, SAMPLE_TRACK

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    track = load_track(SAMPLE_TRACK)
    track.attrs["source_path"] = str(SAMPLE_CLIP)  # the committed track points at the sample clip
    out = tmp_path_factory.mktemp("report")
    return write_outputs(analyze_track(track, AnalysisConfig()), out, video=True)


@pytest.fixture(scope="module")
def page(written):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        pg = browser.new_page(viewport={"width": 900, "height": 1300})
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(written["html"].as_uri())
        pg.requests_seen = requests  # type: ignore[attr-defined]
        yield pg
        browser.close()


def test_html_is_self_contained(written, page) -> None:
    html = written["html"].read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # nothing loaded from a network
    assert "@import" not in html
    assert all(u.startswith(("file:", "data:")) for u in page.requests_seen)


def test_flags_come_first_then_quality_plots_steps(page) -> None:
    sections = ("flags", "quality", "metrics", "plots", "steps", "methods")
    order = [page.locator(f"#{name}").bounding_box()["y"] for name in sections]
    assert order == sorted(order)
    assert page.locator("[data-flag]").count() >= 1


def test_plots_and_stills_render(page) -> None:
    assert page.locator("[data-plot] svg").count() == 3
    for i in range(3):
        box = page.locator("[data-plot] svg").nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 80
    stills = page.locator(".stills img")
    assert stills.count() == 2
    assert all(stills.nth(i).evaluate("img => img.naturalWidth") > 100 for i in range(2))


def test_screenshot_is_not_blank(page, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    import cv2

    img = cv2.imread(str(shot))
    assert img.shape[0] > 2000  # a full report, not an error page
    assert img.std() > 20  # text, plots and pictures, not an empty page
    assert (img < 100).mean() > 0.01  # dark ink somewhere


def test_prints_on_a4(page) -> None:
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert 2 <= pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") <= 12


def test_overlay_decodes_with_the_clip_frame_count(written) -> None:
    with av.open(str(written["overlay"])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == 360
    # the skeleton is drawn: the left-side colour (blue) appears on the frames
    blue = [(np.abs(f.astype(int) - (66, 135, 245)).sum(axis=2) < 40).mean() for f in frames[::60]]
    assert min(blue) > 1e-4
