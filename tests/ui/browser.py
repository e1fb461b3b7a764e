"""A headless Chromium driven by Selenium, with the checks every page gets.

``Browser.visit(path)`` opens a page, waits for its main content (``[data-main]``), and
returns it after checking: no errors in the browser console, a screenshot saved, and the
basic accessibility rules (labelled inputs, images with alt text, a visible keyboard
focus). ``contrast_problems`` computes the WCAG contrast of the UI's main colours.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
WAIT_S = 20
LAPTOP = (1366, 900)
MONITOR = (2560, 1440)

# the (foreground, background) pairs of app.css that carry text, by CSS variable
CONTRAST_PAIRS = (
    ("--fg", "--bg"), ("--muted", "--bg"), ("--accent", "--bg"), ("--header-fg", "--header"),
    ("--ok", "--bg"), ("--bad", "--bg"), ("--warn", "--bg"), ("--run", "--bg"),
    ("--fg", "--panel"), ("--muted", "--panel"), ("--bg", "--accent"),
)  # fmt: skip
AA = 4.5

UNLABELLED = """
return Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
          && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 120));
"""
NO_ALT = """
return Array.from(document.querySelectorAll('img:not([alt]), [role=img]:not([aria-label])'))
  .map(e => e.outerHTML.slice(0, 120));
"""
FOCUS_STYLE = """
const e = document.activeElement, s = getComputedStyle(e);
return [e.tagName, s.outlineStyle, s.outlineWidth, s.boxShadow];
"""
COLOURS = """
const s = getComputedStyle(document.documentElement);
return arguments[0].map(v => s.getPropertyValue(v).trim());
"""


def chromium() -> tuple[str, str] | None:
    """The paths of a Chromium and its chromedriver, or None when either is missing."""
    binary = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


def start(binary: str, driver: str, downloads: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    prefs = {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    options.add_experimental_option("prefs", prefs)
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


class Browser:
    def __init__(self, driver: webdriver.Chrome, base_url: str, artifacts: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.artifacts = artifacts
        self.downloads = artifacts / "downloads"

    def open(self, path: str) -> WebElement:
        """Navigate and wait until the page's main content is visible."""
        self.driver.get(self.base_url + path)
        return self.wait_for("[data-main]")

    def open_plain(self, path: str) -> None:
        """Navigate to a page that is not one of the UI's (``/docs``)."""
        self.driver.get(self.base_url + path)

    def wait_for(self, css: str, timeout: float = WAIT_S) -> WebElement:
        return self.wait_until(ready.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout)

    def wait_until(self, condition: Any, timeout: float = WAIT_S) -> Any:
        """Wait until ``condition(driver)`` is truthy. A page being swapped or loaded while
        the condition reads it (an element gone stale, or detached mid-read: Chromium's
        "Node ... does not belong to the document") means "not yet": read it again."""

        def settled(driver: webdriver.Chrome) -> Any:
            try:
                return condition(driver)
            except (StaleElementReferenceException, NoSuchElementException):
                return False
            except WebDriverException as exc:
                if detached(exc):
                    return False
                raise

        return WebDriverWait(self.driver, timeout).until(settled)

    def wait_text(self, css: str, text: str, timeout: float = WAIT_S) -> WebElement:
        """The element at ``css`` once its text contains ``text``: after a click that swaps
        or loads a page, the old page's element may still be there (or be detached while
        it is read); both are read again until the new content shows."""

        def shows(driver: webdriver.Chrome) -> WebElement | bool:
            found = driver.find_element(By.CSS_SELECTOR, css)
            return found if text in found.text else False

        return self.wait_until(shows, timeout)

    def wait_url(self, ending: str, timeout: float = WAIT_S) -> None:
        """Wait until the address ends with ``ending`` and its main content shows."""
        self.wait_until(lambda d: d.current_url.split("?")[0].endswith(ending), timeout)
        self.wait_for("[data-main]", timeout)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def console_errors(self) -> list[str]:
        """Errors logged by the page since the last call (the log is drained by reading)."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def screenshot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def accessibility_problems(self) -> list[str]:
        problems = [f"unlabelled input: {e}" for e in self.driver.execute_script(UNLABELLED)]
        problems += [f"image without alt text: {e}" for e in self.driver.execute_script(NO_ALT)]
        self.find("body").send_keys(Keys.TAB)
        tag, style, width, shadow = self.driver.execute_script(FOCUS_STYLE)
        if tag == "BODY" or ((style == "none" or width == "0px") and shadow == "none"):
            problems.append(f"keyboard focus is not visible (on {tag}: outline {style} {width})")
        return problems

    def contrast_problems(self) -> list[str]:
        names = sorted({v for pair in CONTRAST_PAIRS for v in pair})
        colour = dict(zip(names, self.driver.execute_script(COLOURS, names), strict=True))
        problems = []
        for fg, bg in CONTRAST_PAIRS:
            ratio = contrast(colour[fg], colour[bg])
            if ratio < AA:
                problems.append(f"{fg} on {bg}: {colour[fg]} on {colour[bg]} is {ratio:.2f}:1")
        return problems

    def visit(self, path: str, name: str) -> WebElement:
        """Open ``path`` and check it: console clean, screenshot saved, accessible."""
        main = self.open(path)
        self.wait_until(lambda d: d.execute_script("return document.readyState") == "complete")
        self.check(name)
        return main

    def check(self, name: str) -> None:
        """The checks of ``visit`` on the page as it is now (after an action, say)."""
        errors = self.console_errors()
        assert errors == [], f"{name}: the browser console has errors: {errors}"
        assert self.screenshot(name).stat().st_size > 0
        assert self.accessibility_problems() == [], name


def detached(exc: WebDriverException) -> bool:
    """Whether ``exc`` says the element read was swapped out of the page meanwhile."""
    message = str(exc)
    return "belong to the document" in message or "stale element" in message.lower()


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
