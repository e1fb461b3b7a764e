"""The pipelines pages in Chromium: list, DAG, runs, a run's Gantt chart, logs, tracebacks;
trigger, backfill, pause, cancel and resume, with the run page updating live."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.ui import seeds
from tests.ui.browser import Browser
from tests.ui.conftest import Server

STATE = "return document.getElementById('run-state').textContent"


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    ws = seeds.workspace(home)
    try:
        seeds.pipelines(ws)
    finally:
        ws.platform.close()


def api(server: Server, path: str) -> str:
    return f"{server.url}/api/v1/workspaces/default{path}"


def runs_of(server: Server, name: str) -> list[dict]:
    return httpx.get(api(server, f"/pipelines/{name}/runs")).json()


def test_the_list_shows_pipelines_and_their_last_runs(browser: Browser) -> None:
    browser.visit("/w/default/pipelines", "pipelines")
    text = browser.find("#pipeline-list").text
    assert "totals" in text and "slow" in text and "gated" in text and "failed" in text


def test_a_pipeline_shows_its_dag_and_runs(browser: Browser) -> None:
    browser.visit("/w/default/pipelines/totals", "pipeline-totals")
    browser.wait_for("#dag canvas")
    nodes = browser.driver.execute_script("return document.querySelectorAll('#dag canvas').length")
    assert nodes >= 1
    states = [r.text for r in browser.find_all("#run-list tbody tr td:nth-child(2)")]
    assert states == ["failed", "succeeded"]


def test_a_failed_run_shows_its_gantt_error_traceback_and_log(
    browser: Browser, server: Server
) -> None:
    failed = runs_of(server, "totals")[0]["id"]
    browser.visit(f"/w/default/pipeline-runs/{failed}", "run-failed")
    assert browser.driver.execute_script(STATE) == "failed"
    assert len(browser.find_all(".gantt .bar")) == 2
    tasks = browser.find("#task-list").text
    assert "too many" in tasks
    browser.find("#task-list details.traceback summary").click()
    assert "ValueError" in browser.find("#task-list details.traceback pre").text
    log = browser.find_all("#task-list details.task-log")[0]
    log.find_element(By.TAG_NAME, "summary").click()
    browser.wait_until(lambda d: "making 9" in log.text)
    browser.check("run-failed-log")


def test_trigger_opens_the_run_which_updates_live(browser: Browser) -> None:
    browser.visit("/w/default/pipelines/slow", "pipeline-slow")
    browser.find("#trigger").click()
    browser.wait_until(lambda d: "/pipeline-runs/" in d.current_url)
    browser.wait_for("[data-main]")
    browser.wait_until(lambda d: d.execute_script(STATE) == "running")  # no reload: htmx
    browser.find("#cancel-run").click()
    browser.wait_for("[data-main]")
    browser.wait_until(lambda d: d.execute_script(STATE) == "cancelled")
    browser.check("run-cancelled")


def test_a_bad_parameter_says_why_and_starts_nothing(browser: Browser, server: Server) -> None:
    before = len(runs_of(server, "totals"))
    browser.visit("/w/default/pipelines/totals", "pipeline-bad-param")
    browser.find("#param-n").send_keys("lots")
    browser.find("#trigger").click()
    notice = browser.wait_for("#notice.error")
    assert "n" in notice.text and len(runs_of(server, "totals")) == before
    browser.console_errors()  # Chromium logs the 422 response; drained


def test_resume_a_failed_run_after_fixing_its_cause(browser: Browser, server: Server) -> None:
    failed = runs_of(server, "gated")[0]
    assert failed["state"] == "failed"
    browser.visit(f"/w/default/pipeline-runs/{failed['id']}", "run-gated-failed")
    rows = [{"ok": True}]
    httpx.post(api(server, "/tables/ready/rows"), json={"rows": rows}).raise_for_status()
    browser.find("#resume-run").click()
    browser.wait_until(lambda d: d.execute_script(STATE) == "succeeded", timeout=30)
    browser.check("run-gated-resumed")


def test_pause_and_backfill(browser: Browser, server: Server) -> None:
    browser.visit("/w/default/pipelines/totals", "pipeline-pause")
    browser.find("#pause").click()
    browser.wait_for("#unpause")
    assert httpx.get(api(server, "/pipelines/totals")).json()["paused"] is True
    browser.driver.execute_script(
        "document.getElementById('backfill-start').value = '2026-01-01';"
        "document.getElementById('backfill-end').value = '2026-01-04';"
    )
    browser.find("#backfill").click()
    notice = browser.wait_for("#notice")
    assert "3 new runs" in notice.text
    queued = [r for r in runs_of(server, "totals") if r["trigger"] == "backfill"]
    assert len(queued) == 3
    browser.check("pipeline-backfilled")


def test_unknown_run_is_a_404_page(browser: Browser) -> None:
    browser.open("/w/default/pipeline-runs/999999")
    assert "404" in browser.find("h1").text
    assert browser.find("main a").get_attribute("href").endswith("/w/default")
    browser.console_errors()
