"""The web app in a real browser: Debian's Chromium driven through its
chromedriver (Selenium), against ``salesflow serve`` on the demo's store.

CI installs Chromium (.ci/run) and sets SALESFLOW_TEST_BROWSER, so that these
tests fail rather than skip when the browser is missing. Screenshots of each
page at a laptop's and a phone's width go to SALESFLOW_SCREENSHOTS (default
build/screenshots), for a person to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import Served, salesflow, serving

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("SALESFLOW_SCREENSHOTS", ROOT / "build" / "screenshots"))
WIDTHS = {"laptop": (1280, 900), "phone": (390, 844)}
PAGES = {
    "board": "/app/",
    "deal": "/app/deals/NX-2026-031",
    "replay": "/app/deals/NX-2026-031/replay?step=5",
    "losses": "/app/losses",
    "reports": "/app/reports?from=2025-01-01&to=2026-11-30",
}

if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    if os.environ.get("SALESFLOW_TEST_BROWSER"):
        raise RuntimeError("SALESFLOW_TEST_BROWSER is set but Chromium or chromedriver is missing")
    pytest.skip("no Chromium here (.ci/run installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    home = tmp_path_factory.mktemp("browser")
    store = f"sqlite:///{home / 'demo.db'}"
    salesflow(store, "demo")
    token = salesflow(store, "users", "add", "coach.liu", "--role", "coach").splitlines()[-1]
    with serving(store, home) as server:
        yield server, token


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_window_size(*WIDTHS["laptop"])
    yield driver
    driver.quit()


def _sign_in(browser: Any, served: tuple[Served, str]) -> str:
    from selenium.webdriver.common.by import By

    server, token = served
    browser.get(f"{server.url}/app/")
    if "/app/login" in browser.current_url:
        from selenium.webdriver.support.ui import WebDriverWait

        browser.find_element(By.ID, "token").send_keys(token)
        browser.find_element(By.CSS_SELECTOR, "form.login button").click()
        # The click returns before the redirect has loaded the board.
        WebDriverWait(browser, 20).until(lambda b: "/app/login" not in b.current_url)
        WebDriverWait(browser, 20).until(
            lambda b: b.execute_script("return document.readyState") == "complete"
        )
    return server.url


def _errors(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_sign_in_and_the_board_shows_the_demo_deals_in_their_columns(
    browser: Any, served: tuple[Served, str]
) -> None:
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    server = served[0]
    browser.get(f"{server.url}/app/")
    assert "/app/login" in browser.current_url  # signed out: to the sign-in page
    base = _sign_in(browser, served)
    assert browser.current_url == f"{base}/app/"
    where = {
        "NX-2026-031": "development",
        "GS-2026-019": "proposal",
        "SD-2026-022": "development",
    }
    for key, stage in where.items():
        card = browser.find_elements(
            By.CSS_SELECTOR, f'section[data-stage="{stage}"] li[data-key="{key}"]'
        )
        assert card, (key, stage)
    assert not browser.find_elements(By.CSS_SELECTOR, 'li[data-key="HB-2026-007"]')  # lost
    assert _errors(browser) == []


def test_the_article_s_deal_shows_behind_and_its_four_missing_milestones(
    browser: Any, served: tuple[Served, str]
) -> None:
    from selenium.webdriver.common.by import By

    base = _sign_in(browser, served)
    browser.get(f"{base}/app/deals/NX-2026-031")
    assert browser.find_element(By.CSS_SELECTOR, "dd.alignment .align").text == "behind"
    missing = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "code.milestone-missing")]
    assert missing == [
        "opportunity_assessed",
        "customer_graded",
        "insider_found",
        "key_person_engaged",
    ]
    assert browser.find_element(By.ID, "timeline-chart").get_attribute("data-drawn") == "yes"
    assert _errors(browser) == []


def test_the_replay_moves_with_the_arrow_keys_and_the_url_follows(
    browser: Any, served: tuple[Served, str]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    base = _sign_in(browser, served)
    browser.get(f"{base}/app/deals/NX-2026-031/replay?step=2")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("step=3"))
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "position").text == "3")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("step=2"))
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "position").text == "2")


def test_the_reports_page_draws_its_charts_with_no_error(
    browser: Any, served: tuple[Served, str]
) -> None:
    from selenium.webdriver.common.by import By

    base = _sign_in(browser, served)
    browser.get_log("browser")  # what came before
    browser.get(f"{base}{PAGES['reports']}")
    canvases = browser.find_elements(By.CSS_SELECTOR, "canvas[data-chart]")
    assert len(canvases) == 6
    assert all(c.get_attribute("data-drawn") == "yes" for c in canvases)
    assert _errors(browser) == []


def test_screenshots_of_every_page_at_both_widths(browser: Any, served: tuple[Served, str]) -> None:
    base = _sign_in(browser, served)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, size in WIDTHS.items():
        browser.set_window_size(*size)
        for name, path in PAGES.items():
            browser.get(f"{base}{path}")
            shot = SHOTS / f"{name}-{width}.png"
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(size[0], min(max(height, size[1]), 6000))
            assert browser.save_screenshot(str(shot)), shot
            assert shot.stat().st_size > 10_000
            assert _errors(browser) == [], (name, width)
        browser.set_window_size(*size)
    browser.set_window_size(*WIDTHS["laptop"])
    assert shutil.disk_usage(SHOTS).free > 0
