"""Runners in the pages.

History grouped by runner, the runner page, the printable comparison and events corrected by hand, with the
TestClient and end to end in Debian's chromium (Playwright).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from gait.pipeline import analyze_track, write_outputs
from gait.track import load_track
from gait.web.db import Record, Store, now
from tests.conftest import BROWSER_ARGS, SAMPLE_CLIP, SAMPLE_TRACK
from tests.web.conftest import make_client, serve

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def sample_analysis():
    return analyze_track(load_track(SAMPLE_TRACK))


def add_done(data_dir: Path, analysis, runner_id: str | None, label: str) -> str:
    """A finished analysis written as the worker would (report, steps, HTML, track.nc), in ``data_dir``."""
    aid = uuid.uuid4().hex
    folder = f"analyses/{aid}/run-1"
    write_outputs(analysis, data_dir / folder, video=False)
    Store(data_dir / "gait.sqlite3").add(Record(
        id=aid, created_at=now(), status="done", side_name="clip.mp4", side_file=f"analyses/{aid}/input/side.mp4",
        run_number=1, output_dir=folder, label=label, runner_id=runner_id,
        summary=json.dumps({"cadence_spm": analysis.report.metric_value("cadence_spm"), "n_flags": 1}),
    ))
    return aid


@pytest.fixture
def client(tmp_path: Path):
    with make_client(tmp_path / "data", workers=0) as c:
        yield c


def test_pages_group_by_runner_and_compare(client, sample_analysis) -> None:
    r = client.post("/runners", data={"name": "  ", "height_cm": "", "target_cadence_spm": ""}, follow_redirects=False)
    assert r.status_code == 422 and 'id="runner-error"' in r.text
    r = client.post(
        "/runners", data={"name": "Runner P", "height_cm": "172", "target_cadence_spm": "175"}, follow_redirects=False
    )
    assert r.status_code == 303
    rid = r.headers["location"].rsplit("/", 1)[1]
    assert client.get(f"/api/runners/{rid}").json()["target_cadence_spm"] == 175
    assert client.post("/runners", data={"name": "x", "target_cadence_spm": "20"}).status_code == 422

    data_dir = client.app.state.services.data_dir
    a = add_done(data_dir, sample_analysis, rid, "first visit")
    b = add_done(data_dir, sample_analysis, rid, "retest")
    loose = add_done(data_dir, sample_analysis, None, "no runner")
    home = client.get("/").text
    runners = home.split('id="runners"')[1].split('id="history"')[0]
    assert "Runner P" in runners and 'class="n-analyses">2<' in runners
    history = home.split('id="history"')[1]
    assert loose in history and a not in history
    assert f'<option value="{rid}"' in home  # the upload form's runner select

    page = client.get(f"/runners/{rid}").text
    assert page.index(a) < page.index(b) and 'id="compare-form"' in page

    cmp = client.get(f"/runners/{rid}/compare", params={"a": a, "b": b})
    assert cmp.status_code == 200
    assert "step rate did not change, within the" in cmp.text.lower()
    assert cmp.text.count('data-exceeds="true"') == 0
    assert 'id="knee-plot"' in cmp.text and 'class="session-a"' in cmp.text and 'class="session-b"' in cmp.text
    assert 'id="target"' in cmp.text and "/static/print.css" in cmp.text
    assert client.get(f"/runners/{rid}/compare", params={"a": a, "b": loose}).status_code == 404
    assert client.get(f"/runners/{rid}/compare").status_code == 422

    # an upload through the plain form keeps the chosen runner
    fake = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00garbage" * 200
    up = client.post(
        "/analyses", files={"file": ("c.mp4", fake, "video/mp4")}, data={"runner_id": rid}, follow_redirects=False
    )
    assert up.status_code == 303
    assert len(client.get(f"/api/runners/{rid}").json()["analyses"]) == 3

    # the analysis page lists its events for correction
    assert 'id="events"' in client.get(f"/analyses/{a}").text
    assert client.post(f"/runners/{rid}/delete", follow_redirects=False).status_code == 303
    assert client.get(f"/api/runners/{rid}").status_code == 404


# --- in a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


def _pdf_text(pdf: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_runner_compare_print_and_correct_in_the_browser(tmp_path: Path, browser, sample_analysis) -> None:
    pytest.importorskip("uvicorn", reason="the web app needs uvicorn")
    from playwright.sync_api import expect

    data_dir = tmp_path / "data"
    # no worker: the browser upload stays queued (no pose model needed); the finished sessions are written
    # from the sample's stored pose track, as the worker writes them
    with serve(data_dir, {"GAIT_WORKERS": "0"}) as server:
        url = server.url
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())

        page.goto(url + "/")
        page.fill("#runner-name", "Browser Runner")
        page.fill("#runner-form input[name=height_cm]", "178")
        page.fill("#runner-form input[name=target_cadence_spm]", "175")
        page.click("#create-runner")
        page.wait_for_url(re.compile(r".*/runners/[0-9a-f]{32}$"))
        rid = page.url.rsplit("/", 1)[1]
        expect(page.locator("h1")).to_have_text("Browser Runner")

        # upload for this runner from the form's runner select
        page.goto(url + "/")
        page.select_option("#runner_id", rid)
        page.set_input_files("#file", str(SAMPLE_CLIP))
        page.click("#submit")
        page.wait_for_url(f"{url}/analyses/*", timeout=30_000)
        expect(page.locator("#runner-link")).to_have_text("Browser Runner")

        a = add_done(data_dir, sample_analysis, rid, "first visit")
        b = add_done(data_dir, sample_analysis, rid, "retest")
        page.goto(url + "/")
        expect(page.locator(f"tr[data-runner='{rid}'] .n-analyses")).to_have_text("3")

        page.goto(f"{url}/runners/{rid}")
        assert page.locator("#sessions tbody tr").count() == 3
        page.select_option("#compare-a", a)
        page.select_option("#compare-b", b)
        page.click("#compare-submit")
        page.wait_for_url(f"{url}/runners/{rid}/compare?*")
        headline = page.locator("#headline").inner_text().lower()
        assert "step rate did not change" in headline and "cannot tell from noise" in headline
        assert page.locator("tr[data-exceeds=true]").count() == 0
        assert page.locator("tr[data-metric=cadence_spm] .sentence").inner_text().lower().startswith(
            "step rate did not change"
        )
        assert page.locator("#knee-plot path.session-b").count() == 1
        assert "175" in page.locator("#target").inner_text()

        pdf = tmp_path / "comparison.pdf"
        page.emulate_media(media="print")
        assert not page.locator(".top").is_visible()  # the print stylesheet hides the navigation
        page.pdf(path=str(pdf), format="A4")
        assert pdf.stat().st_size > 5_000
        text = _pdf_text(pdf)
        if text is not None:
            assert "step rate" in text.lower() or "cadence" in text.lower()
        page.emulate_media(media="screen")

        # correct one contact by hand: one frame later, then undo
        page.goto(f"{url}/analyses/{a}")
        first_ic = page.locator("#events tbody tr[data-type=IC]").first
        frame = int(first_ic.get_attribute("data-frame"))
        index = first_ic.get_attribute("data-index")
        first_ic.locator(".ev-later").click()
        expect(page.locator("#events")).to_have_attribute("data-corrected", "true", timeout=60_000)
        assert page.locator(f"#events tbody tr[data-index='{index}']").get_attribute("data-frame") == str(frame + 1)
        report = page.frame_locator("iframe#report")
        expect(report.locator("body")).to_contain_text("corrected by hand", timeout=20_000)
        detail = json.loads(server.request("GET", f"/api/analyses/{a}")[2])
        assert detail["report"]["provenance"]["event_corrections"]
        page.click("#undo-events")
        expect(page.locator("#events")).to_have_attribute("data-corrected", "false", timeout=60_000)
        assert page.locator(f"#events tbody tr[data-index='{index}']").get_attribute("data-frame") == str(frame)

        # add a toe-off by hand at a frame
        n_before = page.locator("#events tbody tr").count()
        at = frame + 3
        page.fill("#add-frame", str(at))
        page.select_option("#add-foot", "R")
        page.select_option("#add-type", "TO")
        page.click("#add-event-button")
        expect(page.locator("#events")).to_have_attribute("data-corrected", "true", timeout=60_000)
        assert page.locator("#events tbody tr").count() == n_before + 1
        assert page.locator(f"#events tbody tr[data-foot=R][data-type=TO][data-frame='{at}']").count() == 1
        detail = json.loads(server.request("GET", f"/api/analyses/{a}")[2])
        added = detail["report"]["provenance"]["event_corrections"]["by_hand"]
        assert {"foot": "R", "type": "TO", "frame": at} in [{k: e[k] for k in ("foot", "type", "frame")} for e in added]

        assert not errors, errors
        assert all(u.startswith(url) for u in requests), [u for u in requests if not u.startswith(url)]
        page.close()


@pytest.mark.model
def test_two_uploads_through_the_model_compared_and_printed(tmp_path: Path, browser) -> None:
    """The whole clinician's path with the real pose model: a runner, two uploads, compare, print."""
    pytest.importorskip("uvicorn", reason="the web app needs uvicorn")

    with serve(tmp_path / "data", {"GAIT_WORKERS": "1"}) as server:
        url = server.url
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/")
        page.fill("#runner-name", "Two Uploads")
        page.click("#create-runner")
        page.wait_for_url(re.compile(r".*/runners/[0-9a-f]{32}$"))
        rid = page.url.rsplit("/", 1)[1]

        ids = []
        for _ in range(2):
            page.goto(url + "/")
            page.select_option("#runner_id", rid)
            page.set_input_files("#file", str(SAMPLE_CLIP))
            page.click("#submit")
            page.wait_for_url(f"{url}/analyses/*", timeout=30_000)
            ids.append(page.url.rsplit("/", 1)[1])
            page.wait_for_selector("iframe#report", timeout=300_000)  # the page reloads itself when done

        page.goto(f"{url}/runners/{rid}")
        page.select_option("#compare-a", ids[0])
        page.select_option("#compare-b", ids[1])
        page.click("#compare-submit")
        page.wait_for_url(f"{url}/runners/{rid}/compare?*")
        headline = page.locator("#headline").inner_text().lower()
        assert "step rate did not change" in headline
        assert page.locator("tr[data-exceeds=true]").count() == 0
        assert page.locator("#knee-plot path.session-b").count() == 1
        assert page.locator("#rate-plot path.session-a").count() == 1
        page.emulate_media(media="print")
        pdf = tmp_path / "comparison.pdf"
        page.pdf(path=str(pdf), format="A4")
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
        detail = json.loads(server.request("GET", f"/api/runners/{rid}")[2])
        assert [a["id"] for a in detail["analyses"]] == ids

        # correct one contact of the second session: one frame earlier
        from playwright.sync_api import expect

        page.emulate_media(media="screen")
        page.goto(f"{url}/analyses/{ids[1]}")
        first_ic = page.locator("#events tbody tr[data-type=IC]").first
        frame, foot = int(first_ic.get_attribute("data-frame")), first_ic.get_attribute("data-foot")
        first_ic.locator(".ev-earlier").click()
        expect(page.locator("#events")).to_have_attribute("data-corrected", "true", timeout=60_000)
        fixed = json.loads(server.request("GET", f"/api/analyses/{ids[1]}")[2])["report"]
        assert {"foot": foot, "type": "IC", "frame": frame - 1} in [
            {k: e[k] for k in ("foot", "type", "frame")} for e in fixed["provenance"]["event_corrections"]["by_hand"]
        ]
        assert not errors, errors
        page.close()
