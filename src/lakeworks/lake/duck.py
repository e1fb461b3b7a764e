"""DuckDB connections configured from the settings, and the lock-down every query engine uses.

One place for what every part that runs DuckDB over the lake needs: the spill folder,
memory and thread limits, and — once the views a query may read are registered — file
access limited to named folders with the configuration frozen.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError


def connect(settings: Settings, temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``temp_directory`` (default: the scratch folder).

    Its memory is capped by ``settings.duckdb_memory_limit`` (default half the RAM, so a
    big sort or join spills to disk instead of growing the process without bound).
    """
    spill = temp_directory or settings.scratch_dir
    spill.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | int] = {"temp_directory": str(spill)}
    if settings.duckdb_memory_limit:
        config["memory_limit"] = settings.duckdb_memory_limit
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    try:
        return duckdb.connect(config=config)
    except (duckdb.ParserException, duckdb.InvalidInputException) as exc:
        raise InvalidInputError(
            f"the duckdb_memory_limit setting {settings.duckdb_memory_limit!r} is not a memory "
            f"size DuckDB accepts: {str(exc).splitlines()[0]}",
            hint="set LAKEWORKS_DUCKDB_MEMORY_LIMIT to a size like '4GB' or a share of RAM "
            "like '50%' (empty: DuckDB's default)",
            setting="duckdb_memory_limit",
            found=settings.duckdb_memory_limit,
        ) from exc


def lock_down(con: duckdb.DuckDBPyConnection, folders: list[str]) -> None:
    """Allow file access only under ``folders`` (each ending in '/'); freeze the settings."""
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in dict.fromkeys(folders))
    con.execute(
        f"SET allowed_directories=[{listed}]; SET enable_external_access=false; "
        "SET lock_configuration=true"
    )
