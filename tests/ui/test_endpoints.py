"""An endpoint's live data in Chromium: requests per second, error rate and latency per
slot drawn by uPlot (series read back from the charts), the configuration changes marked
(an auto-rollback with its reason), drift per feature (a shifted column shown drifted),
live refresh without reload, and the refused window; an endpoint without traffic says so."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.ui import ml_seeds, seeds
from tests.ui.browser import LAPTOP, Browser
from tests.ui.conftest import Server

PAGE = "/w/default/endpoints/fraud_api"
ANSWERED: dict[str, int] = {}
CHART = """
const c = document.getElementById(arguments[0]).chart;
return c && {labels: c.series.slice(1).map(s => s.label), xs: c.data[0].length,
             sums: c.data.slice(1).map(d => d.reduce((a, b) => a + (b || 0), 0)),
             markers: (c.markers || []).map(m => m.label), data: c.data.slice(1)};
"""
# each line chart's canvas width (CSS pixels), and a container's width
WIDTHS = """
return Object.fromEntries(["chart-rate", "chart-errors", "chart-latency"].map(
  (id) => [id, document.getElementById(id).chart.kept
    ? document.querySelector(`#${id} canvas`).clientWidth : -1]));
"""
STILL = """
document.body.addEventListener("htmx:beforeRequest", (e) => e.preventDefault());
for (const id of ["chart-rate", "chart-errors", "chart-latency"]) {
  document.getElementById(id).chart.kept = true;
}
"""
BOX = "return document.getElementById(arguments[0]).clientWidth"
REQUESTS = "return JSON.parse(document.getElementById('series-data').textContent).slots"


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        ANSWERED.update(ml_seeds.served_endpoint(ws))
    finally:
        ws.platform.close()


def chart(browser: Browser, node: str) -> dict:
    return browser.wait_until(lambda d: d.execute_script(CHART, node))


def requests_per_slot(browser: Browser) -> dict[str, int]:
    slots = browser.driver.execute_script(REQUESTS)
    return {f"{s['slot']} {s['model']}": sum(s["requests"]) for s in slots}


def test_charts_have_each_slots_traffic_and_the_rollback_marked(browser: Browser) -> None:
    browser.visit(PAGE, "endpoint-charts")
    assert set(ANSWERED) == {"live fraud/1", "candidate fraud/2"}
    assert requests_per_slot(browser) == ANSWERED
    rate = chart(browser, "chart-rate")
    assert rate["labels"] == ["candidate fraud/2", "live fraud/1"]
    assert rate["xs"] in (60, 61) and all(total > 0 for total in rate["sums"])
    assert rate["markers"] == ["v1 deploy", "v2 deploy", "v3 auto-rollback"]
    errors = chart(browser, "chart-errors")
    assert len(errors["labels"]) == 2 and errors["sums"] == [0, 0]  # no failed request
    latency = chart(browser, "chart-latency")
    assert latency["labels"][:2] == ["candidate fraud/2 p50", "candidate fraud/2 p99"]
    assert len(latency["labels"]) == 4 and all(total > 0 for total in latency["sums"])
    change = browser.find("#endpoint-changes li.bad").text
    assert "v3 auto-rollback" in change and "by lakeworks" in change
    assert "fraud/2: p99_ms" in change and "breached the threshold 0.001" in change
    browser.driver.execute_script("document.getElementById('endpoint-charts').scrollIntoView()")
    browser.screenshot("endpoint-charts-drawn")
    totals = browser.find("#slot-totals tbody").text
    assert f"live fraud/1 {ANSWERED['live fraud/1']} 0" in totals


def test_charts_redraw_at_the_container_width_when_the_window_shrinks(browser: Browser) -> None:
    browser.visit(PAGE, "endpoint-charts")
    chart(browser, "chart-rate")
    browser.driver.execute_script(STILL)  # no refresh: the drawn charts must resize themselves
    wide = browser.driver.execute_script(WIDTHS)
    assert all(w > 500 for w in wide.values()), wide
    try:
        browser.driver.set_window_size(700, LAPTOP[1])
        narrow = browser.wait_until(lambda d: narrower(d.execute_script(WIDTHS), wide))
        for name, width in narrow.items():  # each chart fills its container, no wider
            assert width <= browser.driver.execute_script(BOX, name), name
    finally:
        browser.driver.set_window_size(*LAPTOP)
    browser.wait_until(lambda d: d.execute_script(WIDTHS)["chart-rate"] >= wide["chart-rate"])


def narrower(found: dict[str, int], before: dict[str, int]) -> dict[str, int] | bool:
    """``found`` once every chart in it is narrower than it was ``before``."""
    return found if all(0 < found[k] < before[k] for k in before) else False


def test_drift_shows_the_shifted_column_drifted(browser: Browser) -> None:
    browser.visit(PAGE, "endpoint-drift-loading")
    report = browser.wait_text("#drift-live", "amount")
    assert "fraud_train" in report.text
    amount = browser.find("#drift-live tr[data-column=amount]").text
    age = browser.find("#drift-live tr[data-column=age]").text
    assert amount.endswith("drifted") and not amount.endswith("no drift"), amount
    assert age.endswith("no drift"), age
    bars = chart(browser, "drift-chart-live")
    rows = browser.find_all("#drift-live tbody tr")
    assert len(bars["labels"]) == 1 and bars["xs"] == len(rows) >= 3
    names = [r.get_attribute("data-column") for r in rows]
    scores = dict(zip(names, bars["data"][0], strict=True))  # over the threshold: drifted
    assert scores["amount"] > 1 > scores["age"] > 0, scores
    browser.driver.execute_script("document.getElementById('feature-drift').scrollIntoView()")
    browser.check("endpoint-drift")


def test_the_charts_follow_new_traffic_without_reload(browser: Browser, server: Server) -> None:
    browser.visit(PAGE, "endpoint-charts-live")
    browser.driver.execute_script("window.notReloaded = true")
    row = {"amount": 0.1, "age": 0.2}
    for _ in range(6):
        answer = httpx.post(f"{server.url}/serve/default/fraud_api/predict", json={"rows": [row]})
        assert answer.status_code == 200, answer.text
    live = ANSWERED["live fraud/1"] + 6
    browser.wait_until(lambda d: requests_per_slot(browser)["live fraud/1"] == live)

    def redrawn(_: object) -> bool:  # the chart draws the rates of the data swapped in
        slots = browser.driver.execute_script(REQUESTS)
        return chart(browser, "chart-rate")["data"] == [s["rate"] for s in slots]

    browser.wait_until(redrawn)
    assert browser.driver.execute_script("return window.notReloaded") is True
    browser.check("endpoint-charts-refreshed")


def test_a_chosen_window_and_a_refused_one(browser: Browser) -> None:
    browser.visit(f"{PAGE}?window=15m", "endpoint-15m")
    assert chart(browser, "chart-rate")["xs"] in (60, 61)  # 15 s steps
    assert browser.find("#window option[selected]").get_attribute("value") == "15m"
    browser.open(f"{PAGE}?window=2h")
    text = browser.find("main").text
    assert "422" in browser.find("h1").text and "'2h'" in text and "15m, 1h, 6h, 24h" in text
    browser.console_errors()  # the 422 response is logged; drained


def test_an_endpoint_without_traffic_says_so(browser: Browser) -> None:
    browser.visit("/w/default/endpoints/quiet_api", "endpoint-quiet")
    assert "No requests in the last 1h" in browser.find("#traffic-metrics").text
    assert not browser.find("#endpoint-charts").is_displayed()
    missing = browser.wait_text("#drift-live", "No drift for this slot")
    assert "logged no prediction by fraud/1" in missing.text
    assert json.loads(browser.find("#series-data").get_attribute("textContent"))["slots"] == []
