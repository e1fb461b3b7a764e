"""Layering: doors (cli, server, sdk) -> services -> stores/engines -> config and errors.

Checked by reading each module's imports, so a violation fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "lakeworks"
DOORS = {"cli", "server", "sdk", "quickstart"}
FOUNDATION = {"config", "errors", "context"}


def imported_lakeworks_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n.split(".")[1] for n in names if n.startswith("lakeworks.") and n.count(".") >= 1}


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_service_imports_a_door(path: Path) -> None:
    top = path.relative_to(SRC).parts[0].removesuffix(".py")
    if top in DOORS or top == "__init__":
        return
    assert not imported_lakeworks_modules(path) & DOORS, f"{path} imports a door"


@pytest.mark.parametrize("name", sorted(FOUNDATION))
def test_foundation_imports_nothing_above_it(name: str) -> None:
    assert imported_lakeworks_modules(SRC / f"{name}.py") <= FOUNDATION


def test_errors_do_not_import_a_web_framework() -> None:
    source = (SRC / "errors.py").read_text()
    assert "fastapi" not in source and "starlette" not in source
