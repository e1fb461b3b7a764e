"""The admin page in Chromium: without a security service it says security is not
enabled, rather than breaking."""

from __future__ import annotations

from tests.ui.browser import Browser


def test_admin_says_security_is_not_enabled(browser: Browser) -> None:
    browser.visit("/w/default/admin", "admin")
    assert "Security is not enabled" in browser.find("#security-off h2").text
    assert browser.find("nav a[aria-current=page]").text == "Admin"
