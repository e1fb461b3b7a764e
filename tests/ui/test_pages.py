"""The UI door without a browser (these run where Chromium is absent): routes, error pages
for navigations and JSON for the API, headers, the local API docs, the vendored assets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.server.app import create_app
from lakeworks.ui import mount
from lakeworks.ui.nav import SECTIONS

HTML = {"accept": "text/html,application/xhtml+xml"}
VENDOR = Path(mount.HERE) / "static" / "vendor"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.post("/api/v1/workspaces", json={"name": "default"})
        rows = [{"id": 1, "city": "<script>alert(1)</script>"}]
        client.post("/api/v1/workspaces/default/tables/orders/rows", json={"rows": rows})
        yield client


def test_root_redirects_to_the_default_workspace(client: TestClient) -> None:
    answer = client.get("/", headers=HTML, follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/w/default"


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.key)
def test_every_section_renders_with_headers(client: TestClient, section) -> None:
    answer = client.get(f"/w/default{section.path}", headers=HTML)
    assert answer.status_code == 200 and "data-main" in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert re.fullmatch(r"app;dur=\d+\.\d", answer.headers["server-timing"])
    assert 'aria-current="page"' in answer.text


def test_pages_load_nothing_from_another_host(client: TestClient) -> None:
    for path in ("/w/default", "/w/default/tables/orders", "/w/default/sql", "/docs"):
        text = client.get(path, headers=HTML).text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path


def test_values_are_escaped(client: TestClient) -> None:
    for path in ("/w/default/tables/orders", "/w/default/tables/orders/preview"):
        text = client.get(path, headers=HTML).text
        assert "<script>alert(1)</script>" not in text, path
    assert "&lt;script&gt;" in text  # the preview shows the value, as text


def test_a_navigation_gets_an_html_404_and_the_api_keeps_json(client: TestClient) -> None:
    page = client.get("/w/default/tables/nope", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "nope" in page.text and 'href="/w/default"' in page.text
    api = client.get("/api/v1/workspaces/default/tables/nope", headers=HTML)
    assert api.status_code == 404 and api.json()["error"] == "NotFoundError"
    assert client.get("/w/default/tables/nope").headers["content-type"] == "application/json"


def test_unknown_workspace_and_address_are_404_pages(client: TestClient) -> None:
    assert "workspace" in client.get("/w/nowhere", headers=HTML).text
    missing = client.get("/no/such/page", headers=HTML)
    assert missing.status_code == 404 and "no page at this address" in missing.text
    bad = client.get("/w/Bad-Name/tables", headers=HTML)
    assert bad.status_code == 422 and "invalid workspace name" in bad.text


def test_api_docs_use_the_vendored_swagger_ui(client: TestClient) -> None:
    text = client.get("/docs").text
    assert "/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js" in text
    assert "cdn." not in text
    assert (
        client.get("/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js").status_code == 200
    )
    assert client.get("/openapi.json").status_code == 200


def test_every_vendored_library_carries_its_licence() -> None:
    folders = sorted(p.name for p in VENDOR.iterdir())
    assert folders == ["cytoscape-3.35.0", "htmx-2.0.11", "swagger-ui-dist-5.35.0", "uplot-1.6.32"]
    for folder in VENDOR.iterdir():
        assert (folder / "LICENSE").read_text().strip(), folder.name


def test_every_static_file_the_templates_name_exists(client: TestClient) -> None:
    templates = Path(mount.HERE) / "templates"
    named = set()
    for template in templates.rglob("*.html"):
        named |= set(re.findall(r'(?:src|href)="(/static/[^"]+)"', template.read_text()))
    assert named
    for path in sorted(named):
        assert client.get(path).status_code == 200, path
