"""Data protection under the policy, over a server with authentication on: who sees
personal data unmasked, who manages secrets, tags and retention, and what the audit log
records (never a secret's value)."""

from __future__ import annotations

import pytest

from lakeworks.context import Context
from lakeworks.platform import Platform
from tests.security.conftest import bearer

VALUE = "pw-Kq81mZt0"
BASE = "/api/v1/workspaces/sales"


@pytest.fixture
def client(secured):  # noqa: ANN001, ANN201
    client, tokens = secured
    rows = {
        "rows": [
            {"id": 1, "email": "ana@example.com", "amount": 5},
            {"id": 2, "email": "bo@example.org", "amount": 7},
        ],
        "mode": "create",
    }
    as_owner = bearer(tokens["owner"])
    assert client.post(f"{BASE}/tables/people/rows", json=rows, headers=as_owner).status_code == 201
    tagged = client.put(
        f"{BASE}/pii/people",
        params={"column": "email"},
        json={"tag": "email"},
        headers=bearer(tokens["maintainer"]),
    )
    assert tagged.status_code == 200, tagged.text
    return client, tokens


@pytest.mark.parametrize(("role", "masked"), [("viewer", True), ("maintainer", True),
                                              ("owner", False), ("admin", False)])  # fmt: skip
def test_only_unmask_holders_read_raw_values(client, role: str, masked: bool) -> None:  # noqa: ANN001
    http, tokens = client
    headers = bearer(tokens[role])
    preview = http.get(f"{BASE}/tables/people/preview", headers=headers)
    query = http.post(f"{BASE}/sql", json={"query": "SELECT email FROM people"}, headers=headers)
    assert preview.status_code == query.status_code == 200, query.text
    seen = preview.text + query.text
    assert ("ana@example.com" in seen) is not masked
    assert ("a***@example.com" in seen) is masked


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "allowed"),
    [
        ("editor", "put", "/secrets/pg", {"value": VALUE}, False),
        ("maintainer", "put", "/secrets/pg", {"value": VALUE}, False),
        ("owner", "put", "/secrets/pg", {"value": VALUE}, True),
        ("viewer", "get", "/secrets", None, False),
        ("editor", "put", "/pii/people?column=id", {"tag": "id"}, False),
        ("maintainer", "delete", "/pii/people?column=email", None, False),
        ("owner", "delete", "/pii/people?column=email", None, True),
        ("viewer", "post", "/pii/people/scan", None, True),
        ("maintainer", "put", "/retention/people", {"versions_days": 7}, False),
        ("owner", "put", "/retention/people", {"versions_days": 7}, True),
        ("viewer", "get", "/retention", None, True),
        ("outsider", "get", "/retention", None, False),
    ],
)
def test_each_role_gets_what_the_policy_says(  # noqa: PLR0913
    client,  # noqa: ANN001
    role: str,
    method: str,
    path: str,
    body: dict | None,
    allowed: bool,
) -> None:
    http, tokens = client
    kwargs = {"json": body} if body is not None else {}
    answer = http.request(method.upper(), BASE + path, headers=bearer(tokens[role]), **kwargs)
    assert (answer.status_code not in (401, 403)) is allowed, answer.text
    assert VALUE not in answer.text


def test_secret_and_retention_actions_are_audited_without_values(
    client,  # noqa: ANN001
    settings,  # noqa: ANN001
) -> None:
    http, tokens = client
    owner = bearer(tokens["owner"])
    assert http.put(f"{BASE}/secrets/pg", json={"value": VALUE}, headers=owner).status_code == 200
    assert (
        http.put(f"{BASE}/secrets/pg", json={"value": VALUE + "2"}, headers=owner).status_code
        == 200
    )
    assert http.delete(f"{BASE}/secrets/pg", headers=owner).status_code == 204
    put = http.put(f"{BASE}/retention/people", json={"versions_days": 7}, headers=owner)
    assert put.status_code == 200
    assert http.post(f"{BASE}/retention/run", headers=owner).status_code == 200
    exported = http.get(f"{BASE}/audit/export", headers=owner)
    assert exported.status_code == 200, exported.text
    assert VALUE not in exported.text
    actions = [line for line in exported.text.splitlines() if '"pg"' in line or "retention" in line]
    text = "\n".join(actions)
    for action in ("secret.created", "secret.replaced", "secret.deleted", "retention.vacuum"):
        assert action in text, action
    assert '"bytes_freed"' in text


def test_the_embedded_owner_is_audited_too(platform: Platform, ctx: Context) -> None:
    platform.secrets.set(ctx, "token", VALUE)
    platform.secrets.rotate_key(ctx)
    records = platform.guard.audit.list(ctx)
    assert [r.action for r in records] == ["secret.created", "secrets.key_rotated"]
    assert all(VALUE not in r.to_json() for r in records)
