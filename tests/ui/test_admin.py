"""The admin page in Chromium with authentication off: every section shows (anyone who
can reach the server may see it) and the page says authentication is off; the audit log
shows the newest records first however long the log is; quotas and costs load as
fragments once the page shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakeworks import limits
from lakeworks.security.audit import AuditLog
from lakeworks.security.ledger import UsageRecord
from tests.ui.browser import Browser
from tests.ui.conftest import open_platform

RECORDS = 1_005  # past the audit log's default read limit (1,000)


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    platform = open_platform(home)
    try:
        log = AuditLog(platform.catalog)
        for i in range(RECORDS):
            log.record(user="loader", action="tables.write", workspace="default", object=f"t{i}")
        at = datetime.now(UTC) - timedelta(days=2)
        usage = UsageRecord("default", "loader", "nightly", limits.TASK_CPU_SECONDS, None, 7200, at)
        platform._ledger.add_usage([usage])
    finally:
        platform.close()


def test_admin_without_authentication_shows_every_section(browser: Browser) -> None:
    browser.visit("/w/default/admin", "admin-open")
    assert "does not require authentication" in browser.find("#auth-off").text
    for section in ("members", "tokens", "quotas", "costs", "audit"):
        assert browser.find(f"#{section} h2").is_displayed(), section
    assert browser.find("nav a[aria-current=page]").text == "Admin"
    assert browser.find_all("#signout") == []


def test_the_audit_log_shows_the_newest_records_first(browser: Browser) -> None:
    browser.visit("/w/default/admin", "admin-audit-newest")
    rows = browser.find_all("#audit tbody tr")
    assert len(rows) == 200
    first, last = rows[0].text.split(), rows[-1].text.split()
    assert first[0] == str(RECORDS) and f"t{RECORDS - 1}" in first, first
    assert last[0] == str(RECORDS - 199), last


def test_quotas_and_costs_load_after_the_page_shows(browser: Browser) -> None:
    browser.visit("/w/default/admin", "admin-fragments")
    quotas = browser.wait_text("#quotas tbody", "storage_bytes")
    rows = {r.text.split()[0]: r.text for r in quotas.find_elements("css selector", "tr")}
    assert list(rows) == list(limits.QUOTAS)
    assert rows["tables"].endswith("s ago") and rows["concurrent_runs"].endswith("now")
    costs = browser.wait_text("#costs tbody", "loader")
    assert "nightly" in costs.text and "task_cpu_hours 2," in costs.text
    assert browser.find_all(".loading") == []
    assert browser.console_errors() == []
