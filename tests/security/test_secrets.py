"""Secrets: encrypted at rest, rotated, never shown; a wrong key or a missing secret is a
clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lakeworks.cli.app import app as cli_app
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.platform import Platform
from lakeworks.server.app import create_app
from tests.security.conftest import opened

VALUE = "hunter2-Zq9wV7xK"


def test_a_secret_is_stored_encrypted_and_read_back(platform: Platform, ctx: Context) -> None:
    info = platform.secrets.set(ctx, "pg_password", VALUE)
    assert info.name == "pg_password" and info.created_by == "tester"
    assert platform.secrets.value(ctx, "pg_password") == VALUE
    assert [s.name for s in platform.secrets.list(ctx)] == ["pg_password"]
    platform.engine.dispose()
    catalog = Path(platform.settings.home / "metadata.db").read_bytes()
    assert VALUE.encode() not in catalog  # only the Fernet token is at rest


def test_a_replaced_secret_keeps_its_creator(platform: Platform, ctx: Context) -> None:
    platform.secrets.set(ctx, "token", "one")
    other = Context("default", "someone_else")
    info = platform.secrets.set(other, "token", "two")
    assert (info.created_by, info.updated_by) == ("tester", "someone_else")
    assert platform.secrets.value(ctx, "token") == "two"


def test_the_embedded_key_file_is_private(platform: Platform, ctx: Context) -> None:
    platform.secrets.set(ctx, "token", "x")
    key = platform.settings.home.resolve() / "secrets.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_a_missing_secret_is_not_found_naming_it(platform: Platform, ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="secret 'nope' does not exist in workspace"):
        platform.secrets.value(ctx, "nope")
    with pytest.raises(NotFoundError, match="nope"):
        platform.secrets.delete(ctx, "nope")


@pytest.mark.parametrize("value", ["", 7, "x" * (64 * 1024 + 1)])
def test_bad_values_are_refused(platform: Platform, ctx: Context, value: object) -> None:
    with pytest.raises(InvalidInputError, match="secret 'token'"):
        platform.secrets.set(ctx, "token", value)  # type: ignore[arg-type]
    assert platform.secrets.list(ctx) == []


def test_a_wrong_key_is_a_clear_error_never_garbage(tmp_path: Path) -> None:
    first = Settings.load(home=tmp_path / "lw", secrets_key=Fernet.generate_key().decode())
    with opened(first) as p:
        p.catalog.create_workspace("default", "me")
        p.secrets.set(Context("default", "me"), "token", VALUE)
    wrong = Settings.load(home=tmp_path / "lw", secrets_key=Fernet.generate_key().decode())
    with opened(wrong) as p, pytest.raises(InvalidInputError) as caught:
        p.secrets.value(Context("default", "me"), "token")
    assert "secret 'token' of workspace 'default' cannot be decrypted" in str(caught.value)
    assert VALUE not in str(caught.value)


def test_rotation_re_encrypts_with_the_new_key(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with opened(Settings.load(home=tmp_path / "lw", secrets_key=old)) as p:
        p.catalog.create_workspace("default", "me")
        p.catalog.create_workspace("other", "me")
        p.secrets.set(Context("default", "me"), "a", "value-a")
        p.secrets.set(Context("other", "me"), "b", "value-b")
    with opened(Settings.load(home=tmp_path / "lw", secrets_key=f"{new},{old}")) as p:
        done = p.secrets.rotate_key(Context("default", "me"))
    assert (done.rotated, done.workspaces) == (2, 2)
    with opened(Settings.load(home=tmp_path / "lw", secrets_key=new)) as p:
        assert p.secrets.value(Context("default", "me"), "a") == "value-a"
        assert p.secrets.value(Context("other", "me"), "b") == "value-b"


def test_rotation_without_the_old_key_changes_nothing(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with opened(Settings.load(home=tmp_path / "lw", secrets_key=old)) as p:
        p.catalog.create_workspace("default", "me")
        p.secrets.set(Context("default", "me"), "a", "value-a")
    wrong = Settings.load(home=tmp_path / "lw", secrets_key=new)
    with opened(wrong) as p, pytest.raises(InvalidInputError, match="secret 'a'"):
        p.secrets.rotate_key(Context("default", "me"))
    with opened(Settings.load(home=tmp_path / "lw", secrets_key=old)) as p:
        assert p.secrets.value(Context("default", "me"), "a") == "value-a"


@pytest.mark.parametrize("key", ["not-a-key", " , "])
def test_a_malformed_key_setting_names_the_setting(tmp_path: Path, key: str) -> None:
    with opened(Settings.load(home=tmp_path / "lw", secrets_key=key)) as p:
        p.catalog.create_workspace("default", "me")
        with pytest.raises(InvalidInputError, match="LAKEWORKS_SECRETS_KEY"):
            p.secrets.set(Context("default", "me"), "a", "v")


def test_a_shared_catalog_needs_a_configured_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with opened(Settings.load(home=tmp_path / "lw", metadata_url=url), migrate=True) as p:
        p.catalog.create_workspace("default", "me")
        with pytest.raises(InvalidInputError, match="no secrets key: set LAKEWORKS_SECRETS_KEY"):
            p.secrets.set(Context("default", "me"), "a", "v")
    assert not (tmp_path / "lw" / "secrets.key").exists()


def test_the_cli_reads_the_value_from_stdin_and_never_prints_it(tmp_path: Path) -> None:
    runner, home = CliRunner(), ["--home", str(tmp_path / "lw")]
    done = runner.invoke(cli_app, [*home, "secrets", "set", "api_token"], input=VALUE + "\n")
    assert done.exit_code == 0, done.output
    listed = runner.invoke(cli_app, [*home, "secrets", "list"])
    assert "api_token" in listed.output and VALUE not in listed.output + done.output
    rotated = runner.invoke(cli_app, [*home, "secrets", "rotate-key"])
    assert "re-encrypted 1 secrets in 1 workspaces" in rotated.output
    gone = runner.invoke(cli_app, [*home, "secrets", "delete", "api_token"])
    assert gone.exit_code == 0
    again = runner.invoke(cli_app, [*home, "secrets", "delete", "api_token"])
    assert again.exit_code == 1 and "secret 'api_token' does not exist" in again.output


def test_rest_writes_and_lists_secrets_but_never_returns_a_value(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"scheduler": False}))
    with TestClient(app) as client:
        client.post("/api/v1/workspaces", json={"name": "default"})
        base = "/api/v1/workspaces/default/secrets"
        answers = [
            client.put(f"{base}/api_token", json={"value": VALUE}),
            client.get(base),
            client.put(f"{base}/api_token", json={"value": ""}),
            client.delete(f"{base}/api_token"),
            client.delete(f"{base}/api_token"),
        ]
        assert [a.status_code for a in answers] == [200, 200, 422, 204, 404]
        assert [s["name"] for s in answers[1].json()] == ["api_token"]
        assert all(VALUE not in a.text for a in answers)
        assert "hunter2" not in client.get("/openapi.json").text
