"""How the quickstart prints: one rich console, and Arrow or pandas data as a table."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()


def show(title: str, data: Any) -> None:
    """Print ``data`` (a pyarrow Table or a pandas frame) as a table titled ``title``."""
    rows = data.to_pylist() if hasattr(data, "to_pylist") else data.to_dict("records")
    columns = data.column_names if hasattr(data, "column_names") else list(data.columns)
    table = Table(*map(str, columns), title=title)
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    return str(value)
