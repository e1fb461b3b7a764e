"""The SQL page in Chromium: run, page, sort, chart, download, history, errors, cancel."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.ui import seeds
from tests.ui.browser import Browser
from tests.ui.conftest import Server

SUGGESTED = "return [...document.querySelectorAll('#sql-suggest li')].map(li => li.textContent)"
SLOW = "select sum(a.range * b.range) from range(200000) a, range(200000) b"


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        ws.write("sales", [{"day": d, "city": f"c{d % 7}", "amount": d * 1.5} for d in range(120)])
    finally:
        ws.platform.close()


def run(browser: Browser, query: str) -> str:
    editor = browser.find("#sql-editor")
    editor.clear()
    editor.send_keys(query)
    browser.find("#sql-run").click()
    browser.wait_until(lambda d: d.find_element(By.ID, "sql-status").text not in ("", "Running…"))
    return browser.find("#sql-status").text


def test_a_query_shows_a_paged_sortable_grid_and_a_chart(browser: Browser) -> None:
    browser.visit("/w/default/sql", "sql")
    assert run(browser, "select day, amount from sales order by day").startswith("120 rows")
    cells = browser.find_all("#sql-grid tbody tr")
    assert len(cells) == 50 and browser.find("#page-at").text == "page 1 of 3"
    browser.find("#page-next").click()
    assert browser.find("#sql-grid tbody tr td").text == "50"
    browser.find_all("#sql-grid thead button")[1].click()  # amount ascending
    browser.find_all("#sql-grid thead button")[1].click()  # then descending
    assert browser.find("#sql-grid tbody tr td").text == "119"
    assert browser.find_all("#sql-chart canvas")
    browser.check("sql-result")


def test_a_shared_query_url_fills_the_editor(browser: Browser) -> None:
    browser.visit("/w/default/sql?table=sales", "sql-table")
    assert browser.find("#sql-editor").get_attribute("value") == "select * from sales limit 100"


def test_a_query_error_shows_duckdbs_message(browser: Browser) -> None:
    browser.visit("/w/default/sql", "sql-before-error")
    assert run(browser, "select nope from sales") == "Failed"
    message = browser.find("#sql-error").text
    assert "nope" in message and "Binder Error" in message  # DuckDB's own words
    browser.screenshot("sql-error")
    browser.console_errors()  # Chromium logs the 422 itself; drained


def test_suggestions_complete_tables_and_columns(browser: Browser) -> None:
    browser.visit("/w/default/sql", "sql-suggest")
    editor = browser.find("#sql-editor")
    editor.clear()
    editor.send_keys("select * from sa")
    browser.wait_for("#sql-suggest li")
    editor.send_keys(Keys.TAB)
    assert editor.get_attribute("value") == "select * from sales"
    editor.send_keys(" where sales.ci")
    browser.wait_until(lambda d: d.execute_script(SUGGESTED) == ["sales.city"])
    editor.send_keys(Keys.TAB)
    assert editor.get_attribute("value").endswith("where sales.city")


def test_downloads_csv_and_parquet(browser: Browser, server: Server) -> None:
    browser.visit("/w/default/sql", "sql-download")
    editor = browser.find("#sql-editor")
    editor.clear()
    editor.send_keys("select day, city from sales where day < 3 order by day")
    for fmt in ("csv", "parquet"):
        browser.find(f"#sql-{fmt}").click()
        browser.wait_until(
            lambda d, f=fmt: d.find_element(By.ID, "sql-status").text == f"Downloaded result.{f}"
        )
        saved = browser.downloads / f"result.{fmt}"
        browser.wait_until(lambda d, s=saved: s.exists() and s.stat().st_size > 0)
    assert (
        browser.downloads / "result.csv"
    ).read_text() == '"day","city"\n0,"c0"\n1,"c1"\n2,"c2"\n'
    table = pq.read_table(browser.downloads / "result.parquet")
    assert table.to_pydict() == {"day": [0, 1, 2], "city": ["c0", "c1", "c2"]}
    api = f"{server.url}/api/v1/workspaces/default/sql/export"
    refused = httpx.post(api, json={"query": "create table x as select 1", "format": "csv"})
    assert refused.status_code == 422
    answer = httpx.post(api, json={"query": "select 1 as n", "format": "parquet"})
    assert pq.read_table(io.BytesIO(answer.content)).to_pydict() == {"n": [1]}


def test_history_keeps_queries_and_loads_them_back(browser: Browser) -> None:
    browser.visit("/w/default/sql", "sql-history")
    run(browser, "select count(*) as n from sales")
    first = browser.find("#sql-history li button")
    assert first.text == "select count(*) as n from sales"
    browser.find("#sql-editor").clear()
    first.click()
    assert browser.find("#sql-editor").get_attribute("value") == "select count(*) as n from sales"


def test_a_long_query_can_be_cancelled(browser: Browser, server: Server) -> None:
    browser.visit("/w/default/sql", "sql-cancel")
    editor = browser.find("#sql-editor")
    editor.clear()
    editor.send_keys(SLOW)
    browser.find("#sql-run").click()
    browser.wait_until(lambda d: running(server) == 1)
    browser.find("#sql-cancel").click()
    browser.wait_until(lambda d: d.find_element(By.ID, "sql-status").text == "Cancelled")
    deadline = time.monotonic() + 10
    while running(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(server) == 0  # the server stopped the statement, not just the page
    browser.check("sql-cancelled")


def running(server: Server) -> int:
    for line in httpx.get(f"{server.url}/metrics").text.splitlines():
        if line.startswith("lakeworks_sql_statements_running "):
            return int(float(line.split()[1]))
    raise AssertionError("no lakeworks_sql_statements_running in /metrics")
