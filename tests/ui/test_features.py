"""The feature pages in Chromium: entities, views, versions and their diff, freshness,
an online lookup and a training-set preview."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from tests.ui import seeds
from tests.ui.browser import Browser


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        seeds.features(ws)
    finally:
        ws.platform.close()


def test_the_index_lists_entities_and_fresh_views(browser: Browser) -> None:
    browser.visit("/w/default/features", "features")
    assert "rider_id" in browser.find("#entity-list").text
    views = browser.find("#view-list").text
    assert "rider_stats" in views and "fresh" in views and "trips, km" in views


def test_a_view_shows_versions_and_their_diff(browser: Browser) -> None:
    browser.visit("/w/default/features/view/rider_stats", "feature-view")
    assert len(browser.find_all("#versions tbody tr")) == 2
    added = [s.text for s in browser.find_all("#diff pre.diff .add")]
    assert any('"km"' in line for line in added)
    Select(browser.find("#diff-a")).select_by_value("2")
    browser.find("#diff button").click()
    browser.wait_text("#diff", "No difference")
    assert "fresh" in browser.find("#freshness").text


def test_online_lookup(browser: Browser) -> None:
    browser.visit("/w/default/features/view/rider_stats", "feature-lookup")
    browser.find("#key-rider_id").send_keys("2")
    browser.find("#lookup-run").click()
    table = browser.wait_for("#lookup-result")
    rows = {r.text.split(" ")[0]: r.text for r in table.find_elements("css selector", "tbody tr")}
    assert rows["trips"] == "trips 2 present"  # rider 2's newest row: i = 2 (2 hours ago)
    assert rows["km"] == "km 3 present"  # JSON has no 3.0
    browser.check("feature-lookup-done")


def test_training_set_preview(browser: Browser) -> None:
    browser.visit("/w/default/features/view/rider_stats", "feature-training")
    box = browser.find("#training-rows")
    box.clear()
    at = datetime.now(UTC).isoformat(timespec="seconds")
    box.send_keys(json.dumps([{"rider_id": 1, "at": at}, {"rider_id": 3, "at": at}]))
    browser.find("#training-run").click()
    table = browser.wait_for("#training-result")
    assert len(table.find_elements("css selector", "tbody tr")) == 2
    assert browser.find("#training-status").text.startswith("2 rows")
    browser.check("feature-training-done")


def test_unknown_view_is_a_404_page(browser: Browser) -> None:
    browser.open("/w/default/features/view/nope")
    assert "404" in browser.find("h1").text
    browser.console_errors()
