"""Whom a pipeline and its runs act as, over REST: the principal's name and kind only,
never its roles, groups, admin flag or token id; null where no one is authenticated."""

from __future__ import annotations

from pathlib import Path

from lakeworks.config import Settings
from tests.security.conftest import bearer, opened

REST = "/api/v1/workspaces/sales"
TOTALS = """
from lakeworks.pipelines import Pipeline

totals = Pipeline("totals")


@totals.task
def count():
    return 3
"""


def test_rest_shows_whom_a_pipeline_and_its_runs_act_as_by_name_and_kind(secured) -> None:  # noqa: ANN001

    client, secrets = secured
    maintainer, editor = bearer(secrets["maintainer"]), bearer(secrets["editor"])
    body = {"source": "totals.py", "code": TOTALS}
    made = client.post(f"{REST}/pipelines", json=body, headers=maintainer)
    assert made.status_code == 201, made.text
    assert made.json()[0]["principal"] == {"name": "u_maintainer", "kind": "user"}
    shown = client.get(f"{REST}/pipelines/totals", headers=editor).json()
    assert shown["principal"] == {"name": "u_maintainer", "kind": "user"}

    run = client.post(f"{REST}/pipelines/totals/runs", json={}, headers=editor)
    assert run.status_code == 201, run.text
    assert run.json()["state"] == "succeeded"
    assert run.json()["principal"] == {"name": "u_editor", "kind": "user"}  # who triggered it
    rid = run.json()["id"]
    for path in (f"{REST}/pipeline-runs/{rid}", f"{REST}/pipelines/totals/runs"):
        answer = client.get(path, headers=bearer(secrets["viewer"]))
        assert answer.status_code == 200, answer.text
        found = answer.json() if isinstance(answer.json(), dict) else answer.json()[0]
        assert found["principal"] == {"name": "u_editor", "kind": "user"}
        # the stored principal's roles, groups, admin flag and token id stay on the server
        for secret in ('"roles"', '"groups"', '"token"', '"admin"', '"via"'):
            assert secret not in answer.text, (path, secret)
    listed = client.get(f"{REST}/pipelines", headers=editor)
    assert '"roles"' not in listed.text and '"token"' not in listed.text


def test_rest_runs_without_authentication_act_as_no_one(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from lakeworks.server.app import create_app

    settings = Settings.load(home=tmp_path / "lw", progress=False, scheduler=False)
    with opened(settings, migrate=True) as platform:
        platform.catalog.create_workspace("sales", "root")
    with TestClient(create_app(settings)) as client:
        body = {"source": "totals.py", "code": TOTALS}
        assert client.post(f"{REST}/pipelines", json=body).json()[0]["principal"] is None
        run = client.post(f"{REST}/pipelines/totals/runs", json={}).json()
        assert run["state"] == "succeeded" and run["principal"] is None
