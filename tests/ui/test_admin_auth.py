"""The UI under authentication, in Chromium: a page without a credential goes to the
sign-in page; signing in with an API token keeps it in an HttpOnly cookie; the admin page
shows members, tokens and the audit log, and revokes a token through the REST API; a
workspace the caller has no role in is the 403 page with a way back; signing out ends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lakeworks.context import Context, Principal
from tests.ui.browser import Browser
from tests.ui.conftest import Server, open_platform

TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    """Workspaces ``default`` (olga owns it, victor views it; a token each) and ``hr``
    (harry's: olga has no role there)."""
    platform = open_platform(home)
    try:
        platform.catalog.create_workspace("hr", "root", exist_ok=True)
        root = Context("default", "root", Principal("root", admin=True, via="local"))
        platform.identities.grant(root, "olga", "owner")
        platform.identities.grant(root, "victor", "viewer")
        platform.identities.grant(Context("hr", "root", root.principal), "harry", "owner")
        owner = platform.tokens.create(root, "olga", description="ui test")
        viewer = platform.tokens.create(root, "victor", description="to revoke")
        TOKENS.update(owner=owner.secret, viewer=viewer.secret, viewer_id=str(viewer.token.id))
    finally:
        platform.close()


@pytest.fixture(scope="module")
def server(home: Path, seed: None) -> Iterator[Server]:
    server = Server(home, env={"LAKEWORKS_AUTH": "true"})
    yield server
    server.stop()


def test_a_page_without_a_credential_goes_to_sign_in(browser: Browser) -> None:
    browser.visit("/w/default/admin", "signin")
    assert browser.driver.current_url.endswith("/signin?next=/w/default/admin")
    browser.find("#signin-token").send_keys("lw_not_a_real_token")
    browser.find("#signin-form button[type=submit]").click()
    assert "token" in browser.wait_for("#signin-error").text.lower()
    errors = browser.console_errors()  # the refused sign-in's 401, and nothing else
    assert all("status of 401" in e for e in errors), errors


def test_sign_in_and_see_the_admin_page(browser: Browser) -> None:
    browser.open("/signin?next=/w/default/admin")
    browser.find("#signin-token").send_keys(TOKENS["owner"])
    browser.find("#signin-form button[type=submit]").click()
    browser.wait_for("#members")
    browser.check("admin-signed-in")
    assert browser.driver.current_url.endswith("/w/default/admin")
    cookie = browser.driver.get_cookie("lakeworks_token")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert browser.driver.execute_script("return document.cookie") == ""
    members = browser.find("#members tbody").text
    assert "olga user owner" in members and "victor user viewer" in members
    tokens = browser.find("#tokens tbody").text
    assert "olga" in tokens and "victor" in tokens
    assert "tokens.create" in browser.find("#audit tbody").text
    assert browser.find(".signout .who").text == "olga"


def test_audit_filters(browser: Browser) -> None:
    browser.visit("/w/default/admin?user=nobody&action=&since=", "admin-filtered")
    assert "No records match" in browser.find("#audit").text
    browser.visit("/w/default/admin?action=tokens.&since=2000-01-01T00:00", "admin-action")
    actions = [row.text for row in browser.find_all("#audit tbody td:nth-child(4)")]
    assert actions and all(a.startswith("tokens.") for a in actions)


def test_revoke_a_token(browser: Browser, server: Server) -> None:
    bearer = {"Authorization": f"Bearer {TOKENS['viewer']}"}
    assert httpx.get(f"{server.url}/api/v1/workspaces/default/tables", headers=bearer).is_success
    browser.visit("/w/default/admin", "admin-before-revoke")
    browser.find(f"button[data-revoke='{TOKENS['viewer_id']}']").click()
    browser.wait_for(f"tr[data-token='{TOKENS['viewer_id']}'] .revoked")
    browser.check("admin-revoked")
    answer = httpx.get(f"{server.url}/api/v1/workspaces/default/tables", headers=bearer)
    assert answer.status_code == 401
    assert "tokens.revoke" in browser.find("#audit tbody").text


def test_a_forbidden_workspace_is_the_403_page(browser: Browser) -> None:
    browser.open("/w/hr/admin")
    assert browser.find("[data-main] h1").text.startswith("403")
    errors = browser.console_errors()  # only the page's own status, nothing of its scripts
    assert len(errors) == 1 and "status of 403" in errors[0], errors
    assert browser.screenshot("forbidden").stat().st_size > 0
    assert browser.accessibility_problems() == []
    assert browser.find("#way-back").get_attribute("href").endswith("/")
    options = [o.text for o in browser.find_all("#workspace-switcher option")]
    assert "hr" not in options


def test_sign_out(browser: Browser) -> None:
    browser.visit("/w/default/admin", "admin-before-signout")
    browser.find("#signout").click()
    browser.wait_for("#signin-form")
    assert browser.driver.get_cookie("lakeworks_token") is None
    browser.open("/w/default/admin")
    assert "/signin" in browser.driver.current_url
