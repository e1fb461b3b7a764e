"""Home, the tables list and a table's page, in Chromium over a real server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.ui import seeds
from tests.ui.browser import LAPTOP, MONITOR, Browser
from tests.ui.conftest import Server


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        seeds.orders(ws, home.parent)
        for i in range(30):
            ws.write(f"extra_{i:02d}", [{"n": i}])
    finally:
        ws.platform.close()


def test_root_leads_to_the_default_workspace(browser: Browser) -> None:
    browser.visit("/", "home")
    assert browser.driver.current_url.endswith("/w/default")
    titles = " | ".join(h.text for h in browser.find_all(".card h2"))
    for section in ("Tables", "Recent loads", "Failing checks", "Pipeline runs", "Costs"):
        assert section in titles
    page = browser.find("main").text
    assert "orders" in page and "accepted_values(status)" in page  # the failing check
    assert "Not available yet" in page  # a part that does not exist says so


def test_the_workspace_switcher_keeps_the_section(browser: Browser, server: Server) -> None:
    httpx.post(f"{server.url}/api/v1/workspaces", json={"name": "other"}).raise_for_status()
    browser.visit("/w/default/tables/orders", "switcher")
    Select(browser.find("#workspace-switcher")).select_by_value("other")
    browser.wait_until(lambda d: d.current_url.endswith("/w/other/tables"))
    browser.wait_text("main", "No tables in this workspace yet.")


def test_the_main_colours_have_aa_contrast(browser: Browser) -> None:
    browser.open("/w/default")
    assert browser.contrast_problems() == []


def test_tables_list_searches(browser: Browser) -> None:
    browser.visit("/w/default/tables", "tables")
    rows = browser.find_all("#table-list tbody tr")
    assert len(rows) == 32  # orders, big_orders and 30 others; quarantine tables are not listed
    box = browser.find("#table-search")
    box.send_keys("orders")
    shown = [r.text.split(" ")[0] for r in rows if r.is_displayed()]
    assert sorted(shown) == ["big_orders", "orders"]
    browser.find("#table-list tbody tr:not([hidden]) a").click()
    browser.wait_until(lambda d: "/w/default/tables/" in d.current_url)
    browser.wait_for("[data-main]")


def test_many_tables_come_in_pages(browser: Browser, server: Server) -> None:
    for i in range(100):
        rows = [{"n": i}]
        url = f"{server.url}/api/v1/workspaces/default/tables/more_{i:03d}/rows"
        httpx.post(url, json={"rows": rows}).raise_for_status()
    browser.visit("/w/default/tables?q=more_", "tables-page-1")
    assert len(browser.find_all("#table-list tbody tr")) == 100
    assert "1–100 of 100" in browser.find(".pager").text
    browser.visit("/w/default/tables", "tables-page-1-all")
    browser.find("#tables-next").click()
    browser.wait_text(".pager", "101–132 of 132")
    assert len(browser.find_all("#table-list tbody tr")) == 32


def test_a_shared_search_url_filters(browser: Browser) -> None:
    browser.visit("/w/default/tables?q=extra_0", "tables-search")
    shown = [r for r in browser.find_all("#table-list tbody tr") if r.is_displayed()]
    assert len(shown) == 10


def test_table_page_shows_schema_history_profile_quality(browser: Browser) -> None:
    browser.visit("/w/default/tables/orders", "table-orders")
    schema = browser.find("#schema").text
    assert "status" in schema and "amount" in schema
    assert len(browser.find_all("#history tbody tr")) == 2
    assert len(browser.find_all("#profile-charts figure")) == 3
    assert browser.find_all("#profile-charts canvas")  # uPlot drew the numeric columns
    assert browser.find_all("#quality-chart canvas")
    quality = browser.find("#quality").text
    assert "between(amount)" in quality and "failed" in quality
    assert "big_orders" in browser.find("#lineage").text


def test_preview_of_an_earlier_version(browser: Browser) -> None:
    browser.visit("/w/default/tables/orders?version=0#preview", "table-orders-v0")
    browser.wait_for("#preview table.rows")
    cells = [c.text for c in browser.find_all("#preview table.rows tbody td")]
    assert cells == ["0", "paid", "1.0"]


def test_reload_lands_fixed_quarantined_rows(browser: Browser, server: Server) -> None:
    api = f"{server.url}/api/v1/workspaces/default"
    before = httpx.get(f"{api}/tables/orders").json()["rows"]
    browser.visit("/w/default/tables/orders#quarantine", "table-quarantine")
    browser.wait_for("#reload-quarantine")
    assert len(browser.find_all("#quarantine table.rows tbody tr")) == 2
    # the owner accepts the 'bogus' status: that row may land now; -5 still fails
    httpx.delete(f"{api}/quality/orders/checks/accepted_values(status)").raise_for_status()
    browser.find("#reload-quarantine").click()
    browser.wait_until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#quarantine table.rows tbody tr")) == 1
    )
    browser.check("table-reloaded")
    assert httpx.get(f"{api}/tables/orders").json()["rows"] == before + 1


def test_unknown_table_is_a_404_page_with_a_way_back(browser: Browser) -> None:
    browser.open("/w/default/tables/no_such_table")
    assert "404" in browser.find("h1").text and "no_such_table" in browser.find("main").text
    browser.screenshot("table-404")
    browser.find("main a").click()
    browser.wait_url("/w/default")
    browser.console_errors()  # the 404 itself is logged by Chromium; drained here


def test_pages_fit_laptop_and_monitor_widths(browser: Browser) -> None:
    for width, height in (LAPTOP, MONITOR):
        browser.driver.set_window_size(width, height)
        browser.open("/w/default/tables/orders")
        overflow = browser.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways at {width} px"
        browser.screenshot(f"table-orders-{width}")
    browser.driver.set_window_size(*LAPTOP)


def test_api_docs_load_offline(browser: Browser) -> None:
    browser.open_plain("/docs")
    browser.wait_for(".swagger-ui .info")
    sources = browser.driver.execute_script(
        "return performance.getEntriesByType('resource').map(r => r.name)"
    )
    assert sources and all(s.startswith(browser.base_url) for s in sources)
    assert browser.console_errors() == []
