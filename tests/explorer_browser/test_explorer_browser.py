"""The explorer in a real browser (the system's Chromium, driven by Playwright): the whole graph
runs once for a demo-style tenant whose day includes an archived stereo recording, then a person
logs in, filters the calls, opens one and plays it from a turn, searches, asks and follows a
citation to the cited turn, reads the dashboard's charts, and is denied another tenant.
Screenshots of every page go to tests/explorer_browser/artifacts/ (gitignored)."""

import os
import re
import shutil
from pathlib import Path

import dagster as dg
import pytest

from callintel_dagster.definitions import build_defs
from callintel_dagster.env import REPO_ROOT, current_env
from callintel_dagster.explorer.serve import serving
from callintel_dagster.explorer.settings import ExplorerSettings
from conftest import DAY, run_job

pytestmark = pytest.mark.integration
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ACME_KEY, ADMIN_KEY = "acme-browser-key", "admin-browser-key"
AUDIO_CALL = f"acme-A-{DAY:%Y%m%d}-00"  # the stereo recording: timed agent and customer turns
TENANTS = """
tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
    calls: {provider: synthetic, calls_per_day: 16, seed: 7, audio_samples: samples}
    crm: {provider: synthetic, leads_per_day: 6}
    stt: {provider: local, agent_channel: 0}
    llm: {provider: offline}
    embeddings: {provider: local}
  - id: globex
    name: Globex Support
    timezone: America/Los_Angeles
    calls: {provider: synthetic, calls_per_day: 8, seed: 11}
"""

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):  # CI installs it (.ci/run): a missing browser there is a failure
        raise RuntimeError(f"{CHROMIUM} is missing; .ci/run installs the chromium package")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    """The base URL of an explorer over one real run of acme's day."""
    tmp = tmp_path_factory.mktemp("explorer")
    (tmp / "tenants.yaml").write_text(TENANTS)
    (tmp / "home" / "samples").mkdir(parents=True)
    shutil.copyfile(
        REPO_ROOT / "tests" / "fixtures" / "audio" / "stereo_8k.wav",
        tmp / "home" / "samples" / "stereo_8k.wav",
    )
    with pytest.MonkeyPatch.context() as mp, dg.instance_for_test() as instance:
        mp.setenv("CALLINTEL_HOME", str(tmp / "home"))
        mp.setenv("CALLINTEL_TENANTS", str(tmp / "tenants.yaml"))
        mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
        mp.setenv("CALLINTEL_KEY_ACME", ACME_KEY)
        mp.setenv("CALLINTEL_ADMIN_KEY", ADMIN_KEY)
        env = current_env()
        run_job(build_defs(env), instance)
        with serving(ExplorerSettings.from_env(env)) as base:
            yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # headless audio: play without a user gesture requirement and without a sound card
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def log_in(page, base: str, key: str = ACME_KEY, path: str = "/t/acme/calls") -> None:
    page.goto(base + path)
    assert "/login" in page.url  # no session yet: the page sends us to the login form
    page.fill("input[name=key]", key)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_log_in_and_filter_the_calls(explorer, page):
    page.goto(explorer + "/t/acme/calls")
    shot(page, "login")
    page.fill("input[name=key]", "not-the-key")
    page.click("form[action='/login'] button[type=submit]")
    assert "not valid" in page.text_content("[role=alert]")
    page.fill("input[name=key]", ACME_KEY)
    page.click("form[action='/login'] button[type=submit]")
    assert page.url.endswith("/t/acme/calls")  # back where the login began
    assert page.text_content("[data-testid=tenant-name]") == "Acme Realty"
    total = int(re.match(r"\d+", page.text_content("[data-testid=total]")).group())
    assert total == 17  # 16 synthetic calls and the recording
    page.select_option("select[name=sentiment]", "negative")
    page.click("[data-testid=filters] button[type=submit]")
    assert "sentiment=negative" in page.url
    assert page.input_value("select[name=sentiment]") == "negative"  # the form keeps its values
    badges = page.locator("[data-testid=calls-table] tbody td:nth-child(6)").all_text_contents()
    assert badges and {b.strip() for b in badges} == {"negative"}
    shot(page, "calls")
    csv = page.request.get(explorer + page.get_attribute("[data-testid=csv]", "href"))
    assert csv.ok and len(csv.text().strip().splitlines()) == len(badges) + 1  # header + rows

    page.fill("input[name=text]", "zzz-nothing-says-this")
    page.click("[data-testid=filters] button[type=submit]")
    assert "No calls match these filters" in page.text_content("[data-testid=empty]")
    page.goto(explorer + "/t/acme/calls?page=999999&quality_min=abc")
    assert "quality_min" in page.text_content("[data-testid=filter-error]")


def test_a_turn_plays_the_recording_from_its_moment(explorer, page):
    log_in(page, explorer, path=f"/t/acme/calls/{AUDIO_CALL}")
    turns = page.locator(".transcript .turn")
    assert turns.count() >= 2
    second = turns.nth(1)
    start = float(second.get_attribute("data-start"))
    assert start > 1  # the customer answers a few seconds in
    second.click()
    page.wait_for_function(
        f"() => {{ const a = document.getElementById('recording');"
        f" return !a.paused && a.currentTime >= {start} }}",
        timeout=10_000,
    )
    assert "current" in second.get_attribute("class")
    shot(page, "call")
    # ?t=SECONDS opens at that turn, highlighted, with the player there
    page.goto(explorer + f"/t/acme/calls/{AUDIO_CALL}?t={start}")
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('recording').currentTime - {start}) < 0.5"
    )
    assert page.get_attribute(".turn.current", "id") == second.get_attribute("id")


def test_search_then_ask_and_follow_a_citation(explorer, page):
    log_in(page, explorer, path="/t/acme/")
    page.fill("form.search input[name=q]", "email")
    page.click("form.search button[type=submit]")
    shot(page, "search")
    hits = page.locator("[data-testid=hits] li").all_text_contents()
    assert hits and all(h.count(" · ") >= 2 for h in hits)  # agent · day · moment
    marks = page.locator("[data-testid=hits] mark").all_text_contents()  # «matches» marked up
    assert marks and all(m.lower().startswith("email") for m in marks)
    assert page.get_attribute("[data-testid=hits] a", "href").startswith("/t/acme/calls/")

    page.fill("form.search input[name=q]", "<script>window.injected = 1</script>")
    page.click("form.search button[type=submit]")
    assert page.evaluate("window.injected") is None  # shown as text, never run
    assert "<script>" in page.input_value("form.search input[name=q]")

    page.goto(explorer + "/t/acme/ask")
    page.fill("textarea[name=question]", "Who wants the details by email?")
    page.click("form.ask-box button[type=submit]")
    shot(page, "ask")
    citation = page.locator("[data-testid=citation]").first
    href = citation.get_attribute("href")
    assert re.fullmatch(r"/t/acme/calls/[^?#]+\?t=[\d.]+#turn-\d+", href)
    citation.click()
    page.wait_for_selector(".turn.current")
    assert page.get_attribute(".turn.current", "id") == href.split("#")[1]
    assert page.evaluate("location.pathname") == href.split("?")[0]


def test_the_dashboard_draws_its_charts(explorer, page):
    log_in(page, explorer, path="/t/acme/")
    for chart in ("calls", "connected_rate", "avg_quality", "sentiment", "funnel"):
        page.wait_for_selector(f"[data-chart={chart}] svg.main-svg")
    bars = page.locator("[data-chart=calls] g.trace.bars path")
    assert bars.count() >= 2  # calls and connected for the day
    assert page.locator("[data-chart=avg_quality] path.point").count() >= 1
    assert "Last successful run" in page.text_content("[data-testid=freshness]")
    shot(page, "dashboard")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    shot(page, "dashboard_phone")


def test_another_tenant_is_denied_and_logout_ends_the_session(explorer, page):
    log_in(page, explorer, path="/t/acme/")
    for path in ("/t/globex/", "/t/globex/calls", f"/t/globex/calls/{AUDIO_CALL}/audio"):
        response = page.goto(explorer + path)
        assert response.status == 404
        assert "no such tenant" in page.text_content("[data-testid=error]")
    shot(page, "denied")
    assert page.goto(explorer + "/t/acme/calls/no-such-call").status == 404
    # a POST without the session's CSRF token (a form on another site) is refused
    forged = page.request.post(explorer + "/t/acme/ask", form={"question": "what did they say"})
    assert forged.status == 403 and "did not come from this site" in forged.text()
    assert page.request.post(explorer + "/logout", form={"csrf": "guess"}).status == 403
    page.goto(explorer + "/t/acme/")
    page.click("form.logout button")
    assert "/login" in page.url
    page.goto(explorer + "/t/acme/")
    assert "/login" in page.url


def test_the_admin_picks_a_tenant(explorer, page):
    log_in(page, explorer, key=ADMIN_KEY, path="/")
    names = page.locator(".tenants li strong").all_text_contents()
    assert names == ["Acme Realty", "Globex Support"]
    shot(page, "tenants")
    page.click("text=Globex Support")
    assert page.url.endswith("/t/globex/")
