"""The lineage page in Chromium: the graph, zoom and pan, expanding, column level, and a
1,000-node graph that draws and answers to the wheel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

from tests.ui import seeds
from tests.ui.browser import Browser

NODES = "return lwLineage.nodes().map(n => n.id()).sort()"


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        seeds.chain(ws, home.parent)
        seeds.wide_lineage(ws, "hub")
    finally:
        ws.platform.close()


def test_the_index_lists_tables(browser: Browser) -> None:
    browser.visit("/w/default/lineage", "lineage-index")
    assert "clean" in browser.find("#lineage-tables").text


def test_a_graph_zooms_pans_and_expands(browser: Browser) -> None:
    browser.visit("/w/default/lineage/clean?depth=1", "lineage-clean")
    browser.wait_until(lambda d: d.execute_script("return document.body.dataset.graphReady"))
    assert browser.driver.execute_script(NODES) == ["table:clean", "table:raw", "table:report"]
    canvas = browser.find("#lineage-graph")
    zoom = browser.driver.execute_script("return lwLineage.zoom()")
    ActionChains(browser.driver).scroll_from_origin(
        ScrollOrigin.from_element(canvas), 0, -300
    ).perform()
    browser.wait_until(lambda d: d.execute_script("return lwLineage.zoom()") != zoom)
    pan = browser.driver.execute_script("return lwLineage.pan()")
    drag = ActionChains(browser.driver).move_to_element_with_offset(canvas, -300, -150)
    drag = drag.click_and_hold().pause(0.1)
    for _ in range(6):
        drag = drag.move_by_offset(20, 10).pause(0.05)
    drag.release().perform()
    assert browser.driver.execute_script("return lwLineage.pan()") != pan
    browser.driver.execute_script("lwLineage.$id('table:raw').select()")
    browser.find("#expand-up").click()
    browser.wait_until(lambda d: len(d.execute_script(NODES)) == 4)
    assert any(n.startswith("file:") for n in browser.driver.execute_script(NODES))
    browser.check("lineage-expanded")


def test_column_level_on_demand(browser: Browser) -> None:
    browser.visit("/w/default/lineage/clean?depth=1", "lineage-columns")
    browser.wait_until(lambda d: d.execute_script("return document.body.dataset.graphReady"))
    browser.find("#show-columns").click()
    labelled = "return lwLineage.edges('.columns').map(e => e.data('columns'))"
    assert "doubled ← amount\nid ← id" in browser.driver.execute_script(labelled)
    browser.driver.execute_script("lwLineage.$id('table:raw|table:clean').select()")
    assert "doubled ← amount" in browser.find("#lineage-detail").text
    browser.check("lineage-edge")


def test_a_thousand_node_graph_is_interactive(browser: Browser) -> None:
    started = time.monotonic()
    browser.visit("/w/default/lineage/hub", "lineage-1000")
    browser.wait_until(lambda d: d.execute_script("return document.body.dataset.graphReady"))
    assert browser.driver.execute_script("return lwLineage.nodes().length") >= 1011
    zoom = browser.driver.execute_script("return lwLineage.zoom()")
    canvas = browser.find("#lineage-graph")
    ActionChains(browser.driver).scroll_from_origin(
        ScrollOrigin.from_element(canvas), 0, 300
    ).perform()
    browser.wait_until(lambda d: d.execute_script("return lwLineage.zoom()") != zoom)
    assert time.monotonic() - started < 10  # the 1 s goal is measured by benchmarks/ui.py


def test_unknown_table_is_a_404_page(browser: Browser) -> None:
    browser.open("/w/default/lineage/nope")
    assert "404" in browser.find("h1").text
    browser.console_errors()
