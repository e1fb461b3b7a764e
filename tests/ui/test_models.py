"""The models and endpoints pages in Chromium: versions, aliases, the model card, fairness
and explanation charts, moving an alias (and a refused move changing nothing); an
endpoint's traffic split and canary roll-out, promote and rollback, live without reload."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from selenium.webdriver.support.ui import Select

from tests.ui import ml_seeds, seeds
from tests.ui.browser import LAPTOP, MONITOR, Browser
from tests.ui.conftest import Server

SIDEWAYS = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        ml_seeds.model_and_endpoint(ws)
    finally:
        ws.platform.close()


def api(server: Server, path: str) -> str:
    return f"{server.url}/api/v1/workspaces/default{path}"


def test_the_list_shows_models_and_aliases(browser: Browser) -> None:
    browser.visit("/w/default/models", "models")
    text = browser.find("#model-list").text
    assert "churn" in text and "champion → v1" in text


def test_a_model_shows_versions_card_fairness_and_explanation(browser: Browser) -> None:
    browser.visit("/w/default/models/churn", "model")
    assert len(browser.find_all("#version-list tbody tr")) == 2
    assert "Version 2" in browser.find("#shown-version").text
    assert "region" in browser.find("#fairness").text
    browser.wait_for("#fairness-chart canvas")
    browser.wait_for("#explanation-chart canvas")
    assert browser.find("#model-card").text.startswith("Model card")
    browser.visit("/w/default/models/churn?version=1", "model-v1")
    assert "Version 1" in browser.find("#shown-version").text


def test_a_move_to_an_unfair_version_is_refused_and_changes_nothing(
    browser: Browser, server: Server
) -> None:
    browser.visit("/w/default/models/churn", "model-refused-alias")
    assert "failed" in browser.find("#fairness h2").text  # v2's zero threshold
    Select(browser.find("#alias-version")).select_by_value("2")
    browser.find("#move-alias").click()
    notice = browser.wait_for("#notice.error")
    assert "fairness" in notice.text
    assert httpx.get(api(server, "/models/churn")).json()["aliases"] == {"champion": 1}
    browser.console_errors()  # Chromium logs the 422 response; drained


def test_move_an_alias_past_the_report_with_force(browser: Browser, server: Server) -> None:
    browser.visit("/w/default/models/churn", "model-move-alias")
    name = browser.find("#alias-name")
    name.clear()
    name.send_keys("champion")
    Select(browser.find("#alias-version")).select_by_value("2")
    browser.find("#alias-force").click()
    browser.find("#move-alias").click()
    browser.wait_until(lambda d: "champion now points at v2" in browser.find("#notice").text)
    assert httpx.get(api(server, "/models/churn")).json()["aliases"]["champion"] == 2
    assert "forced" in browser.find("#alias-events tbody tr").text
    browser.check("model-alias-moved")


def test_endpoints_list_and_canary_progress(browser: Browser) -> None:
    browser.visit("/w/default/endpoints", "endpoints")
    assert "churn/1 95%" in browser.find("#endpoint-list").text
    browser.visit("/w/default/endpoints/churn_api", "endpoint")
    assert browser.find("#rollout li[aria-current=step]").text == "5%"
    assert "No requests in the last 1h" in browser.find("#traffic-metrics").text
    assert "has no training reference" in browser.wait_text("#drift-live", "No drift").text


def test_promote_then_roll_back(browser: Browser, server: Server) -> None:
    browser.visit("/w/default/endpoints/churn_api", "endpoint-promote")
    browser.find("#promote").click()
    browser.wait_until(lambda d: browser.find("#rollout li[aria-current=step]").text == "25%")
    assert httpx.get(api(server, "/endpoints/churn_api")).json()["share"] == 25
    browser.find("#rollback").click()
    browser.wait_until(lambda d: browser.find("#rollout li[aria-current=step]").text == "5%")
    assert "rollback" in browser.find("#endpoint-history tbody tr").text
    browser.check("endpoint-rolled-back")


def test_the_endpoint_page_follows_changes_without_reload(browser: Browser, server: Server) -> None:
    browser.visit("/w/default/endpoints/churn_api", "endpoint-live")
    browser.driver.execute_script("window.notReloaded = true")
    httpx.post(api(server, "/endpoints/churn_api/promote")).raise_for_status()
    browser.wait_until(lambda d: browser.find("#rollout li[aria-current=step]").text == "25%")
    assert browser.driver.execute_script("return window.notReloaded") is True
    browser.check("endpoint-live-promoted")


def test_unknown_model_and_endpoint_are_404_pages(browser: Browser) -> None:
    for path in ("/w/default/models/nope", "/w/default/endpoints/nope"):
        browser.open(path)
        assert "404" in browser.find("h1").text
    browser.console_errors()


def test_pages_fit_laptop_and_monitor_widths(browser: Browser) -> None:
    for width, height in (LAPTOP, MONITOR):
        browser.driver.set_window_size(width, height)
        for path in ("/w/default/models/churn", "/w/default/endpoints/churn_api"):
            browser.open(path)
            overflow = browser.driver.execute_script(SIDEWAYS)
            assert overflow <= 0, f"{path} scrolls sideways at {width} px"
            browser.screenshot(f"{path.rsplit('/', 1)[-1]}-{width}")
    browser.driver.set_window_size(*LAPTOP)
