"""Layering: the import-linter contracts in pyproject.toml (doors -> composition root ->
services -> lake -> stores -> config/errors/context), run as CI runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command;"
            " sys.exit(lint_imports_command())",
            "--config",
            str(config),
            "--no-cache",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept() -> None:
    done = lint_imports(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_broken_contract_fails_and_names_the_import(tmp_path: Path) -> None:
    # the lake does use the table-reading code of lake.versions: forbidding it must fail
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "lakeworks"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "tables without versions"\ntype = "forbidden"\n'
        'source_modules = ["lakeworks.lake.tables"]\n'
        'forbidden_modules = ["lakeworks.lake.versions"]\n'
    )
    done = lint_imports(config)
    assert done.returncode == 1
    assert "lakeworks.lake.tables -> lakeworks.lake.versions" in done.stdout
