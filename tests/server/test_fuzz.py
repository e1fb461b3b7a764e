"""The REST API under schemathesis: no request, valid or not, gets a 5xx or a status the
OpenAPI document does not list for its route, and every body matches its documented schema.

Bounded for CI: the in-process ASGI app, a fixed number of examples per operation and
deterministic generation (the same cases every run). Path parameter ``ws`` is the seeded
workspace, so requests reach the services instead of stopping at a 404.
A longer local run: ``LAKEWORKS_FUZZ_EXAMPLES=200 pytest tests/server/test_fuzz.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import checks

from lakeworks.config import Settings
from lakeworks.server.app import create_app

EXAMPLES = int(os.environ.get("LAKEWORKS_FUZZ_EXAMPLES", "12"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


# schemathesis' pytest plugin needs the schema when the module is collected (its lazy
# from_fixture loader fails on pytest 9), so the app is built here, on a temporary home
_HOME = Path(tempfile.mkdtemp(prefix="lakeworks-fuzz-"))
APP = create_app(  # the embedded defaults whatever LAKEWORKS_* says: fixtures run later
    Settings.load(
        config_file=_HOME / "no-config.toml",
        home=_HOME,
        metadata_url=None,
        storage_url=None,
        online_url=None,
        executor="local",
        lineage_transport="none",
        scheduler=False,
        progress=False,
    )
)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    APP,
    config=schemathesis.Config.from_dict(
        {
            "seed": 13,
            "parameters": {"path.ws": "default"},
            "generation": {"max-examples": EXAMPLES, "deterministic": True},
        }
    ),
)


@pytest.fixture(scope="module", autouse=True)
def _seeded() -> Iterator[None]:
    """Workspace ``default`` holding table ``orders`` (the schema's examples)."""
    client = TestClient(APP)
    assert client.post("/api/v1/workspaces", json={"name": "default"}).status_code == 201
    rows = {"rows": [{"order_id": 1, "amount": 9.5}], "mode": "create"}
    url = "/api/v1/workspaces/default/tables/orders/rows"
    assert client.post(url, json=rows).status_code == 201
    yield
    APP.state.platform.close()
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.mark.slow
@schema.parametrize()
def test_api_answers_only_documented_statuses(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
