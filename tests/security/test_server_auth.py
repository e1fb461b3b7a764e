"""Authentication at the server's doors: bad credentials are 401 and run nothing; the
identity comes from the credential; other workspaces are 403 and audited."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from lakeworks.meta.security_models import TokenRow
from tests.security.conftest import bearer

ROWS = "/api/v1/workspaces/sales/tables/orders/rows"
BODY = {"rows": [{"id": 1}], "mode": "create"}
ONLINE = "/api/v1/workspaces/sales/features/online"


def _tables(client) -> list[str]:
    with client.app.state.platform.catalog.session():
        return [t.name for t in client.app.state.platform.catalog.tables("sales")]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (None, "requires authentication"),
        ("Bearer", "malformed Authorization header"),
        ("Token abc", "malformed Authorization header"),
        ("Basic !!!", "malformed Authorization header"),
        ("Bearer lw_not-a-token", "unknown API token"),
        ("Bearer a.b.c", "not one this server issued"),
    ],
)
def test_a_missing_or_malformed_token_is_401_and_runs_nothing(secured, header, fragment) -> None:
    client, _ = secured
    headers = {"Authorization": header} if header else {}
    for url, body in ((ROWS, BODY), (ONLINE, {"features": ["v:f"], "entity_rows": [{"k": 1}]})):
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "UnauthenticatedError"
        assert fragment in answer.json()["message"]
    assert _tables(client) == []


def test_an_expired_token_is_401(secured) -> None:
    client, secrets = secured
    with client.app.state.platform.catalog.session() as session:
        past = datetime.now(UTC) - timedelta(minutes=1)
        session.execute(update(TokenRow).where(TokenRow.user == "u_editor").values(expires_at=past))
    answer = client.post(ROWS, json=BODY, headers=bearer(secrets["editor"]))
    assert answer.status_code == 401 and "expired" in answer.json()["message"]
    assert _tables(client) == []


def test_a_revoked_token_is_401_from_the_next_request(secured) -> None:
    client, secrets = secured
    owner, editor = bearer(secrets["owner"]), bearer(secrets["editor"])
    assert client.get("/api/v1/workspaces/sales/tables", headers=editor).status_code == 200
    listed = client.get("/api/v1/workspaces/sales/tokens", headers=owner).json()
    token_id = next(t["id"] for t in listed if t["user"] == "u_editor")
    assert client.delete(f"/api/v1/workspaces/sales/tokens/{token_id}", headers=owner).is_success
    answer = client.post(ROWS, json=BODY, headers=editor)
    assert answer.status_code == 401 and "revoked" in answer.json()["message"]
    assert _tables(client) == []


def test_the_user_comes_from_the_token_not_the_header(secured) -> None:
    client, secrets = secured
    headers = {**bearer(secrets["editor"]), "X-Lakeworks-User": "mallory"}
    assert client.post(ROWS, json=BODY, headers=headers).status_code == 201
    history = client.get(f"{ROWS.removesuffix('/rows')}/history", headers=headers).json()
    assert history[0]["user"] == "u_editor"
    assert client.get("/api/v1/me", headers=headers).json()["user"] == "u_editor"


def test_basic_auth_with_a_token_as_password_is_the_token(secured) -> None:
    client, secrets = secured
    basic = base64.b64encode(f"mallory:{secrets['viewer']}".encode()).decode()
    me = client.get("/api/v1/me", headers={"Authorization": f"Basic {basic}"}).json()
    assert me["user"] == "u_viewer" and me["roles"] == {"sales": "viewer"}


def test_a_token_of_another_workspace_is_403_and_audited(secured) -> None:
    client, secrets = secured
    answer = client.get("/api/v1/workspaces/sales/tables", headers=bearer(secrets["outsider"]))
    assert answer.status_code == 403
    assert answer.json()["details"] == {
        "permission": "data.read",
        "workspace": "sales",
        "operation": "workspaces.access",
        "user": "u_outsider",
    }
    records = client.get("/api/v1/audit", headers=bearer(secrets["admin"])).json()
    denied = [r for r in records if r["outcome"] == "denied"]
    assert denied[-1]["user"] == "u_outsider" and denied[-1]["workspace"] == "sales"
    assert denied[-1]["request_id"] and denied[-1]["source"] == "testclient"


def test_a_made_up_workspace_is_403_not_404(secured) -> None:
    client, secrets = secured
    answer = client.get("/api/v1/workspaces/nope/tables", headers=bearer(secrets["viewer"]))
    assert answer.status_code == 403  # its existence is not revealed
    admin = client.get("/api/v1/workspaces/nope/tables", headers=bearer(secrets["admin"]))
    assert admin.status_code == 404


def test_workspaces_are_listed_to_those_with_a_role(secured) -> None:
    client, secrets = secured

    def names(role: str) -> list[str]:
        listed = client.get("/api/v1/workspaces", headers=bearer(secrets[role])).json()
        return sorted(w["name"] for w in listed)

    assert names("viewer") == ["sales"]
    assert names("outsider") == ["hr"]
    assert names("admin") == ["hr", "sales"]
    answer = client.post("/api/v1/workspaces", json={"name": "x"}, headers=bearer(secrets["owner"]))
    assert (
        answer.status_code == 403 and answer.json()["details"]["permission"] == "workspaces.create"
    )
    created = client.post(
        "/api/v1/workspaces", json={"name": "x"}, headers=bearer(secrets["admin"])
    )
    assert created.status_code == 201


def test_the_feature_fast_path_takes_the_token(secured) -> None:
    client, secrets = secured
    body = {"features": ["v:f"], "entity_rows": [{"k": 1}]}
    outsider = client.post(ONLINE, json=body, headers=bearer(secrets["outsider"]))
    assert outsider.status_code == 403
    viewer = client.post(ONLINE, json=body, headers=bearer(secrets["viewer"]))
    assert viewer.status_code == 404  # allowed: the view does not exist


def test_a_grant_applies_from_the_next_request_and_is_audited(secured) -> None:
    client, secrets = secured
    owner = bearer(secrets["owner"])
    grant = client.put(
        "/api/v1/workspaces/sales/members/user/u_outsider", json={"role": "editor"}, headers=owner
    )
    assert grant.status_code == 200, grant.text
    # the outsider's token is scoped to hr: a grant in sales does not widen it
    assert (
        client.get(
            "/api/v1/workspaces/sales/tables", headers=bearer(secrets["outsider"])
        ).status_code
        == 403
    )
    records = client.get("/api/v1/workspaces/sales/audit", headers=owner).json()
    granted = [r for r in records if r["action"] == "identities.grant"]
    assert granted[-1]["object"] == "u_outsider" and granted[-1]["user"] == "u_owner"
    # an unscoped token carries its user's grants: one granted now works from now on
    platform = client.app.state.platform
    from lakeworks.context import Context, Principal

    root = Context("sales", "root", Principal("root", admin=True, via="local"))
    late = bearer(platform.tokens.create(root, "u_late", scoped=False).secret)
    tables = "/api/v1/workspaces/sales/tables"
    assert client.get(tables, headers=late).status_code == 403
    client.put(
        "/api/v1/workspaces/sales/members/user/u_late", json={"role": "viewer"}, headers=owner
    )
    assert client.get(tables, headers=late).status_code == 200
    client.delete("/api/v1/workspaces/sales/members/user/u_late", headers=owner)
    assert client.get(tables, headers=late).status_code == 403


def test_a_role_change_while_a_request_is_in_flight(secured) -> None:
    """The request in flight finishes with the role it was authorized with; the next one
    sees the change."""
    client, secrets = secured
    platform = client.app.state.platform
    from lakeworks.context import Context, Principal

    root = Context("sales", "root", Principal("root", admin=True, via="local"))
    platform.identities.grant(root, "u_flight", "editor")
    flight = bearer(platform.tokens.create(root, "u_flight").secret)  # the user's own role
    started, release = threading.Event(), threading.Event()
    original = platform.tables.create  # mode "create" writes through it

    def slow_write(*args, **kwargs):
        started.set()
        assert release.wait(10)
        return original(*args, **kwargs)

    platform.tables.create = slow_write
    answers: list[int] = []
    body = {"rows": [{"id": 2}], "mode": "create"}
    worker = threading.Thread(
        target=lambda: answers.append(client.post(ROWS, json=body, headers=flight).status_code)
    )
    worker.start()
    assert started.wait(10)
    platform.identities.grant(root, "u_flight", "viewer")  # demoted mid-request
    release.set()
    worker.join(10)
    platform.tables.create = original
    assert answers == [201]  # authorized at its start, written whole
    again = client.post(ROWS, json={"rows": [{"id": 3}], "mode": "append"}, headers=flight)
    assert again.status_code == 403
    assert _tables(client) == ["orders"]


def test_a_token_records_when_it_was_last_used(secured) -> None:
    client, secrets = secured
    owner = bearer(secrets["owner"])
    client.get("/api/v1/workspaces/sales/tables", headers=bearer(secrets["viewer"]))
    listed = {
        t["user"]: t for t in client.get("/api/v1/workspaces/sales/tokens", headers=owner).json()
    }
    assert listed["u_viewer"]["last_used_at"] is not None
    assert listed["u_editor"]["last_used_at"] is None
    assert all("secret" not in t and "digest" not in t for t in listed.values())
