"""The REST API under schemathesis with authentication on: with an owner's token, with
none, and with a token of another workspace, no request gets a 5xx, a status its route
does not document (401 and 403 included), or a body that breaks its schema.

Bounded for CI like ``tests/server/test_fuzz.py`` (in-process ASGI app, a fixed number
of deterministic examples per operation); more: ``LAKEWORKS_FUZZ_EXAMPLES=200``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from schemathesis import checks

from lakeworks.config import Settings
from lakeworks.context import Context, Principal
from lakeworks.platform import Platform
from lakeworks.server.app import create_app

EXAMPLES = int(os.environ.get("LAKEWORKS_FUZZ_EXAMPLES", "4"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]

_HOME = Path(tempfile.mkdtemp(prefix="lakeworks-fuzz-auth-"))
_SETTINGS = Settings.load(
    config_file=_HOME / "no-config.toml",
    home=_HOME,
    metadata_url=None,
    storage_url=None,
    online_url=None,
    executor="local",
    lineage_transport="none",
    scheduler=False,
    progress=False,
    auth=True,
)


def _seed() -> dict[str, str]:
    platform = Platform.open(_SETTINGS)
    try:
        for ws in ("default", "other"):
            platform.catalog.create_workspace(ws, "root")
        root = Context("default", "root", Principal("root", admin=True, via="local"))
        owner = platform.tokens.create(root, "owner", role="owner").secret
        other = Context("other", "root", root.principal)
        outsider = platform.tokens.create(other, "outsider", role="owner").secret
    finally:
        platform.close()
    return {"owner": owner, "outsider": outsider, "none": ""}


TOKENS = _seed()
APP = create_app(_SETTINGS)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    APP,
    config=schemathesis.Config.from_dict(
        {
            "seed": 17,
            "parameters": {"path.ws": "default"},
            "generation": {"max-examples": EXAMPLES, "deterministic": True},
        }
    ),
)


@pytest.fixture(scope="module", autouse=True)
def _closed() -> Iterator[None]:
    yield
    APP.state.platform.close()
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("who", sorted(TOKENS))
@schema.parametrize()
def test_api_with_auth_answers_only_documented_statuses(case: schemathesis.Case, who: str) -> None:
    headers = {"Authorization": f"Bearer {TOKENS[who]}"} if TOKENS[who] else {}
    response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=120)
    scoped = "{ws}" in case.path or "{workspace}" in case.path
    if who != "owner" and scoped:  # nothing of the workspace answered without a role in it
        assert not 200 <= response.status_code < 300, (case.path, response.status_code)
