"""DuckDB connections configured from the settings, and the lock-down every query engine uses.

One place for what every part that runs DuckDB over the lake needs: the spill folder (one
per workspace, so spilled data never crosses workspaces), memory and thread limits, no
extension installed or loaded behind the caller's back, and file access limited to named
folders with the configuration frozen. A connection that will run user SQL is locked down
before the first user statement.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError

if TYPE_CHECKING:
    from lakeworks.lake.storage.base import Storage

# Extensions come with the wheel (parquet, json, icu, core_functions); a query that names
# another one (delta_scan, sqlite_scan, ...) fails instead of downloading code.
_NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def spill_folder(settings: Settings, workspace: str) -> Path:
    """The folder a workspace's queries spill to; no other workspace's queries may read it."""
    return settings.scratch_dir / "spill" / workspace


def connect(settings: Settings, temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``temp_directory`` (default: the scratch folder).

    Its memory is capped by ``settings.duckdb_memory_limit`` (default half the RAM, so a
    big sort or join spills to disk instead of growing the process without bound).
    """
    spill = temp_directory or settings.scratch_dir
    spill.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | int | bool] = {"temp_directory": str(spill), **_NO_EXTENSIONS}
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


def private(time_zone: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection for lakeworks' own SQL over registered Arrow data: no
    file access at all, no extensions, settings frozen."""
    con = duckdb.connect(config={**_NO_EXTENSIONS})
    if time_zone:
        con.execute("SET TimeZone = ?", [time_zone])
    lock_down(con, [])
    return con


def table_folders(storage: Storage, workspace: str) -> list[str]:
    """The folders DuckDB reads a workspace's tables from (none where it scans datasets)."""
    if not storage.capabilities.native_scan:
        return []
    return [str(Path(storage.table_uri(workspace, "_")).parent) + "/"]


def sandbox(settings: Settings, workspace: str, folders: list[str]) -> duckdb.DuckDBPyConnection:
    """A connection for one workspace's user SQL, locked down before it is handed out.

    It spills to the workspace's own folder and reads files only under ``folders`` (each
    ending in '/') and that spill folder.
    """
    spill = spill_folder(settings, workspace)
    con = connect(settings, spill)
    lock_down(con, [*folders, str(spill) + "/"])
    return con


def lake_reader(settings: Settings, storage: Storage) -> duckdb.DuckDBPyConnection:
    """A locked-down connection for a service that reads the tables of every workspace
    (quality checks): files only under the lake's table root, its own spill folder, and
    Parquet footers cached (a Delta table's files never change)."""
    folders = []
    if storage.capabilities.native_scan:  # tables are read by path: <root>/<workspace>/<table>
        folders.append(str(Path(storage.table_uri("w", "t")).parents[1]) + "/")
    spill = settings.scratch_dir / "services"
    con = connect(settings, spill)
    con.execute("SET parquet_metadata_cache = true")
    lock_down(con, [*folders, str(spill) + "/"])
    return con


def lock_down(con: duckdb.DuckDBPyConnection, folders: list[str]) -> None:
    """Allow file access only under ``folders`` (each ending in '/'); freeze the settings."""
    listed = ", ".join(_literal(f) for f in dict.fromkeys(folders))
    con.execute(
        f"SET allowed_directories=[{listed}]; SET enable_external_access=false; "
        "SET autoinstall_known_extensions=false; SET autoload_known_extensions=false; "
        "SET lock_configuration=true"
    )


def set_spill(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Make ``con`` spill to ``folder`` (before it is locked and before it spills)."""
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = {_literal(str(folder))}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def locked(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con``'s configuration is already frozen by :func:`lock_down`."""
    return bool(con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0])
