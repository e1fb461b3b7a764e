"""When the server requires authentication, and what its startup line says."""

from __future__ import annotations

import pytest

from lakeworks.cli.server import auth_mode
from lakeworks.config import Settings


@pytest.mark.parametrize(
    ("host", "auth", "required"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", None, True),
        ("10.1.2.3", None, True),
        ("127.0.0.1", True, True),
        ("0.0.0.0", False, False),
    ],
)
def test_auth_is_required_off_loopback_or_when_set(
    host: str, auth: bool | None, required: bool
) -> None:
    settings = Settings.load(host=host, auth=auth)
    assert settings.auth_required is required
    said = auth_mode(settings)
    assert said.startswith("required") is required
    if host == "0.0.0.0" and auth is False:
        assert "anyone who reaches this server acts as any user" in said


def test_the_environment_turns_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEWORKS_AUTH", "true")
    assert Settings.load().auth_required
