"""The web UI's sign-in cookie as a credential: the same checks as a bearer token (a
role per workspace, 401 for a wrong or revoked token), the header winning over it, and
the sign-in page setting it HttpOnly and SameSite=Strict."""

from __future__ import annotations

import pytest

from lakeworks.server.callers import TOKEN_COOKIE, credential
from tests.security.conftest import bearer

HTML = {"accept": "text/html"}


def test_credential_prefers_the_header() -> None:
    assert credential("Bearer a", "b") == "Bearer a"
    assert credential(None, "b") == "Bearer b"
    assert credential(None, None) is None and credential(None, "") is None


def test_the_cookie_is_checked_like_a_bearer_token(secured) -> None:
    client, secrets = secured
    client.cookies.set(TOKEN_COOKIE, secrets["viewer"])
    assert client.get("/api/v1/workspaces/sales/tables").status_code == 200
    assert client.get("/api/v1/workspaces/hr/tables").status_code == 403
    assert client.get("/api/v1/workspaces/sales/tokens").status_code == 403  # owners only
    client.cookies.set(TOKEN_COOKIE, "lw_wrong")
    assert client.get("/api/v1/workspaces/sales/tables").status_code == 401
    answer = client.get("/api/v1/workspaces/sales/tables", headers=bearer(secrets["viewer"]))
    assert answer.status_code == 200  # the header wins over a bad cookie


def test_a_denial_through_the_cookie_is_audited(secured) -> None:
    client, secrets = secured
    client.cookies.set(TOKEN_COOKIE, secrets["viewer"])
    client.get("/api/v1/workspaces/sales/tokens")
    audit = client.get("/api/v1/workspaces/sales/audit", headers=bearer(secrets["owner"]))
    denied = [r for r in audit.json() if r["outcome"] == "denied" and r["user"] == "u_viewer"]
    assert [r["action"] for r in denied] == ["tokens.list"]


def test_sign_in_sets_a_strict_http_only_cookie(secured) -> None:
    client, secrets = secured
    answer = client.post(
        "/signin", data={"token": secrets["owner"], "next": "/w/sales/admin"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/w/sales/admin"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert client.get("/w/sales/admin", headers=HTML).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
def test_sign_in_goes_back_only_to_this_server(secured, target: str) -> None:
    client, secrets = secured
    form = {"token": secrets["owner"], "next": target}
    answer = client.post("/signin", data=form, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_a_wrong_token_stays_on_the_sign_in_page(secured) -> None:
    client, _ = secured
    answer = client.post("/signin", data={"token": "lw_wrong"}, follow_redirects=False)
    assert answer.status_code == 401 and "signin-error" in answer.text
    assert TOKEN_COOKIE not in answer.headers.get("set-cookie", "")


def test_pages_need_a_credential_and_a_role(secured) -> None:
    client, secrets = secured
    answer = client.get("/w/sales/admin", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/w/sales/admin"
    client.cookies.set(TOKEN_COOKIE, secrets["outsider"])
    forbidden = client.get("/w/sales/admin", headers=HTML)
    assert forbidden.status_code == 403 and "Back to the start page" in forbidden.text


def test_sign_out_deletes_the_cookie(secured) -> None:
    client, secrets = secured
    client.cookies.set(TOKEN_COOKIE, secrets["owner"])
    answer = client.post("/signout", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    assert f'{TOKEN_COOKIE}=""' in answer.headers["set-cookie"]


def test_a_viewer_sees_the_admin_page_without_owner_sections(secured) -> None:
    client, secrets = secured
    client.cookies.set(TOKEN_COOKIE, secrets["viewer"])
    text = client.get("/w/sales/admin", headers=HTML).text
    assert "Listing tokens is for the workspace's owners" in text
    assert "Reading the audit log is for the workspace's owners" in text
    assert 'id="quotas"' in text and "Seeing quotas needs" not in text


def test_the_start_page_goes_to_a_workspace_the_caller_may_see(secured) -> None:
    client, secrets = secured
    answer = client.get("/", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=/"
    client.cookies.set(TOKEN_COOKIE, secrets["outsider"])
    answer = client.get("/", headers=HTML, follow_redirects=False)
    assert answer.headers["location"] == "/w/hr"
