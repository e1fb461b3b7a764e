"""The admin page in Chromium with authentication off: every section shows (anyone who
can reach the server may see it) and the page says authentication is off."""

from __future__ import annotations

from tests.ui.browser import Browser


def test_admin_without_authentication_shows_every_section(browser: Browser) -> None:
    browser.visit("/w/default/admin", "admin-open")
    assert "does not require authentication" in browser.find("#auth-off").text
    for section in ("members", "tokens", "quotas", "costs", "audit"):
        assert browser.find(f"#{section} h2").is_displayed(), section
    assert browser.find("nav a[aria-current=page]").text == "Admin"
    assert browser.find_all("#signout") == []
