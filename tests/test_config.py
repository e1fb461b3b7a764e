from __future__ import annotations

from pathlib import Path

import pytest

from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError


def test_defaults_live_under_dot_lakeworks() -> None:
    settings = Settings.load()
    assert settings.home == Path(".lakeworks")
    assert settings.resolved_metadata_url.startswith("sqlite:///")
    assert settings.resolved_metadata_url.endswith(".lakeworks/metadata.db")
    assert settings.resolved_storage_url.endswith(".lakeworks/tables")
    assert (settings.host, settings.port) == ("127.0.0.1", 8765)


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "lakeworks.toml"
    config.write_text('[lakeworks]\nport = 9000\nworkspace = "from_file"\n')
    monkeypatch.setenv("LAKEWORKS_CONFIG", str(config))
    monkeypatch.setenv("LAKEWORKS_PORT", "9100")
    settings = Settings.load()
    assert settings.port == 9100
    assert settings.workspace == "from_file"
    assert Settings.load(port=9200).port == 9200


def test_unknown_setting_in_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "lakeworks.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(InvalidInputError, match="prot"):
        Settings.load(config_file=config)


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "lakeworks.toml"
    config.write_text("port = = 1\n")
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        Settings.load(config_file=config)
