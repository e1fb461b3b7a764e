"""docs/configuration.md documents every setting of ``Settings``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lakeworks.config import Settings

PAGE = Path(__file__).parent.parent / "docs" / "configuration.md"
ROW = re.compile(
    r"^\| `(?P<field>\w+)` \| `(?P<env>\w+)` \| (?P<default>[^|]+) \| (?P<what>[^|]+) \|$"
)


def documented() -> dict[str, re.Match[str]]:
    rows = (ROW.match(line) for line in PAGE.read_text().splitlines())
    return {row["field"]: row for row in rows if row}


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_has_a_row_with_its_environment_variable(field: str) -> None:
    rows = documented()
    assert field in rows, (
        f"Settings.{field} is missing from docs/configuration.md: add a row "
        f"| `{field}` | `LAKEWORKS_{field.upper()}` | default | what it does |"
    )
    assert rows[field]["env"] == f"LAKEWORKS_{field.upper()}"
    assert rows[field]["what"].strip()


def test_each_documented_variable_is_the_one_settings_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no lakeworks.toml of the developer's
    monkeypatch.setenv("LAKEWORKS_WORKSPACE", "from_env")
    monkeypatch.setenv("LAKEWORKS_PORT", "9123")
    settings = Settings.load()
    assert (settings.workspace, settings.port) == ("from_env", 9123)
    assert documented()["port"]["default"].strip() == f"`{Settings.model_fields['port'].default}`"


def test_the_page_names_no_setting_twice() -> None:
    fields = [row["field"] for line in PAGE.read_text().splitlines() if (row := ROW.match(line))]
    assert len(fields) == len(set(fields))
