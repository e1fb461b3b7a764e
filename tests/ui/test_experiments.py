"""The experiments pages in Chromium: the run table (filter, column choice, keyset pages),
a run (metric charts, artifact previews, live without reload) and the comparison of runs
(metric charts over steps, parallel coordinates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeworks.tracking.records import Metric
from tests.ui import ml_seeds, seeds
from tests.ui.browser import LAPTOP, MONITOR, Browser

SIDEWAYS = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"

SEEDED: dict = {}


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        exp, ids, running = ml_seeds.experiment(ws, home.parent / "artifacts-in")
        SEEDED.update(exp=exp, ids=ids, running=running)
    finally:
        ws.platform.close()


def runs_page(exp: int) -> str:
    return f"/w/default/experiments/{exp}"


def test_the_list_links_each_experiment(browser: Browser) -> None:
    browser.visit("/w/default/experiments", "experiments")
    link = browser.find("#experiment-list a")
    assert link.text == "churn" and link.get_attribute("href").endswith(runs_page(SEEDED["exp"]))


def test_the_run_table_filters_and_chooses_columns(browser: Browser) -> None:
    browser.visit(runs_page(SEEDED["exp"]), "experiment-runs")
    assert len(browser.find_all("#run-table tbody tr")) == ml_seeds.RUNS + 1
    browser.find("#run-filter").send_keys("metrics.acc > 0.6 and params.model = 'tree'")
    browser.find("#column-choice summary").click()
    for box in browser.find_all("#column-choice input[type=checkbox]"):
        if box.get_attribute("value") not in ("metrics.acc", "params.lr") and box.is_selected():
            box.click()
    browser.find("#run-search-go").click()
    browser.wait_until(lambda d: "filter=" in d.current_url)
    browser.wait_for("[data-main]")
    heads = [th.text for th in browser.find_all("#run-table thead th")]
    assert heads[-2:] == ["metrics.acc", "params.lr"]
    accs = [float(td.text) for td in browser.find_all("#run-table tbody td:nth-child(6)")]
    assert accs and all(a > 0.6 for a in accs) and len(accs) == 7  # trials 11..23, odd ones
    browser.check("experiment-runs-filtered")


def test_a_bad_filter_says_where(browser: Browser) -> None:
    browser.visit(
        runs_page(SEEDED["exp"]) + "?filter=metrics.acc+%3E%3E+1", "experiment-bad-filter"
    )
    assert "invalid filter" in browser.find("#run-search-error").text


def test_keyset_pages(browser: Browser) -> None:
    browser.visit(runs_page(SEEDED["exp"]) + "?order_by=metrics.acc+DESC&size=10", "runs-page-1")
    seen: list[str] = []
    for number in range(1, 4):
        names = [a.text for a in browser.find_all("#run-table tbody td:nth-child(2) a")]
        assert len(names) == (10 if number < 3 else 5)
        seen += names
        if number < 3:
            browser.find("#next-page").click()
            browser.wait_until(lambda d, n=names: browser.find("#run-table tbody a").text != n[0])
    assert browser.find_all("#next-page") == []
    assert len(set(seen)) == ml_seeds.RUNS + 1 and seen[0] == "trial-23"
    browser.find("#first-page").click()
    browser.wait_until(lambda d: browser.find("#run-table tbody a").text == "trial-23")
    browser.check("runs-first-page-again")


def test_a_run_shows_charts_and_previews_its_artifacts(browser: Browser) -> None:
    browser.visit(f"/w/default/runs/{SEEDED['ids'][0]}", "run")
    browser.wait_for("#metric-charts figure canvas")
    assert "lr" in browser.find("#param-list").text
    items = {d.find_element("css selector", "summary").text.split()[0]: d
             for d in browser.find_all("#artifact-list details")}  # fmt: skip
    assert set(items) == {"notes.txt", "plots/curve.png", "scores.csv"}
    for name, css in (("plots/curve.png", "img.artifact-image"), ("notes.txt", "pre.artifact-text"),
                      ("scores.csv", "table.artifact-table")):  # fmt: skip
        items[name].find_element("css selector", "summary").click()
        shown = browser.wait_until(
            lambda d, n=name, c=css: items[n].find_elements("css selector", c)
        )
        assert shown[0].is_displayed()
    width = browser.driver.execute_script(
        "return document.querySelector('img.artifact-image').naturalWidth"
    )
    assert width == 4
    assert "0.75" in browser.find("table.artifact-table").text
    browser.check("run-artifacts")


def test_a_live_run_updates_without_reload(browser: Browser, home: Path) -> None:
    browser.visit(f"/w/default/runs/{SEEDED['running']}", "run-live")
    browser.driver.execute_script("window.notReloaded = true")
    ws = seeds.workspace(home)
    try:
        ws.platform.tracking.log_batch(ws.ctx, SEEDED["running"], metrics=[Metric("loss", 0.5, 2)])
        ws.platform.tracking.update_run(ws.ctx, SEEDED["running"], status="FINISHED")
    finally:
        ws.platform.close()
    browser.wait_until(lambda d: browser.find("#run-status").text == "finished")
    assert "0.5" in browser.find("#metric-list").text
    assert browser.driver.execute_script("return window.notReloaded") is True
    browser.check("run-live-finished")


def test_compare_draws_metrics_and_parallel_coordinates(browser: Browser) -> None:
    browser.visit(runs_page(SEEDED["exp"]), "compare-pick")
    for box in browser.find_all("#run-table tbody input[name=runs]")[:5]:
        box.click()
    browser.find("#compare").click()
    browser.wait_until(lambda d: "/compare" in d.current_url)
    browser.wait_for("[data-main]")
    browser.wait_until(lambda d: d.execute_script("return document.body.dataset.charts") == "2")
    assert len(browser.find_all("#compare-charts figure canvas")) >= 2
    assert len(browser.find_all("#coords svg polyline")) == 5
    browser.driver.execute_script(
        "const s = document.getElementById('coords-metric'); s.value = 'loss';"
        "s.dispatchEvent(new Event('change'))"
    )
    assert len(browser.find_all("#coords svg polyline")) == 5
    browser.check("compare")


def test_compare_needs_two_runs_and_unknown_run_is_404(browser: Browser) -> None:
    browser.open(runs_page(SEEDED["exp"]) + f"/compare?runs={SEEDED['ids'][0]}")
    assert "422" in browser.find("h1").text
    browser.open("/w/default/runs/0123456789abcdef0123456789abcdef")
    assert "404" in browser.find("h1").text
    browser.console_errors()


def test_pages_fit_laptop_and_monitor_widths(browser: Browser) -> None:
    ids = SEEDED["ids"]
    paths = (runs_page(SEEDED["exp"]), f"/w/default/runs/{ids[0]}",
             runs_page(SEEDED["exp"]) + f"/compare?runs={ids[0]}&runs={ids[1]}")  # fmt: skip
    for width, height in (LAPTOP, MONITOR):
        browser.driver.set_window_size(width, height)
        for n, path in enumerate(paths):
            browser.open(path)
            overflow = browser.driver.execute_script(SIDEWAYS)
            assert overflow <= 0, f"{path} scrolls sideways at {width} px"
            browser.screenshot(f"experiments-{n}-{width}")
    browser.driver.set_window_size(*LAPTOP)
