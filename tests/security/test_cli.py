"""The security commands: bootstrap an administrator, tokens shown once and listed
without secrets, grants, and ``audit list|export|verify`` naming a tampered record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from lakeworks.cli.app import app
from lakeworks.config import Settings
from lakeworks.meta.security_models import AuditRow
from lakeworks.platform import Platform


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LAKEWORKS_USER", "ops")
    home = tmp_path / "lw"

    def invoke(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(app, ["--home", str(home), *args])
        assert result.exit_code == code, result.output
        return result.output

    invoke.home = home  # type: ignore[attr-defined]
    return invoke


def test_bootstrap_tokens_grants_and_audit(run) -> None:
    run("workspaces", "create", "sales")
    secret = run("tokens", "create", "--user", "admin", "--admin").strip().splitlines()[-1]
    assert secret.startswith("lw_")
    run("tokens", "create", "--user", "ana", "-w", "sales", "--role", "viewer", "--expires", "30d")
    listed = run("tokens", "list", "--all")
    assert "admin" in listed and "ana" in listed and secret not in listed
    run("-w", "sales", "members", "grant", "analysts", "editor", "--group")
    assert "analysts" in run("-w", "sales", "members", "list")
    run("-w", "sales", "members", "grant", "bob", "chief", code=1)  # not a role
    records = [json.loads(line) for line in run("audit", "export", "--all").splitlines()]
    assert [(r["action"], r["outcome"]) for r in records] == [
        ("identities.create_user", "ok"),
        ("tokens.create", "ok"),
        ("tokens.create", "ok"),
        ("identities.grant", "ok"),
        ("identities.grant", "failed:InvalidInputError"),  # failures are recorded too
    ]
    assert {r["user"] for r in records} == {"ops"} and records[3]["object"] == "analysts"
    assert "identities.grant" in run("-w", "sales", "audit", "list", "--since", "1d")
    assert "tokens.create" not in run("-w", "sales", "audit", "list", "--action", "identities.")
    assert "the audit log is intact" in run("audit", "verify")


def test_verify_names_a_changed_record_and_fails(run) -> None:
    run("workspaces", "create", "sales")
    run("tokens", "create", "--user", "ana", "-w", "sales", "--role", "viewer")
    run("tokens", "create", "--user", "bob", "-w", "sales", "--role", "owner")
    platform = Platform.open(Settings.load(home=run.home))
    with platform.catalog.session() as session:
        session.execute(update(AuditRow).where(AuditRow.seq == 2).values(object="ana"))
    platform.close()
    said = run("audit", "verify", code=1)
    assert "tampered: record 2 was changed" in said


def test_a_bad_since_is_a_clear_error(run) -> None:
    assert "invalid --since 'yesterday'" in run("audit", "list", "--since", "yesterday", code=1)


def test_verify_with_the_audit_key_catches_a_chain_recomputed_without_it(
    run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.security.test_audit_keys import recompute_unkeyed

    monkeypatch.setenv("LAKEWORKS_AUDIT_KEY", "a cli audit key of 32 bytes ....")
    run("workspaces", "create", "sales")
    run("tokens", "create", "--user", "ana", "-w", "sales", "--role", "viewer")
    run("tokens", "create", "--user", "bob", "-w", "sales", "--role", "owner")
    assert "the audit log is intact" in run("audit", "verify")
    platform = Platform.open(Settings.load(home=run.home))
    recompute_unkeyed(platform.catalog, 3, object="mallory")
    platform.close()
    said = run("audit", "verify", code=1)
    assert "tampered: record 3 is hashed without the audit key after record 1" in said
    monkeypatch.delenv("LAKEWORKS_AUDIT_KEY")  # a verifier without the key cannot tell
    assert "which is not configured here" in run("audit", "verify", code=1)
