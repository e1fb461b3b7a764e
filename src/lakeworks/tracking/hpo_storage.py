"""Where Optuna keeps its studies: next to the catalog, never among its tables.

Optuna's ``RDBStorage`` creates its own tables (``studies``, ``trials``, ``trial_params``,
``version_info``, ...) and records its schema revision with Alembic in a table named
``alembic_version``: the very table where lakeworks records the catalog's revisions
(``meta/migrations/env.py``). Sharing one namespace would let Optuna stamp its revision
into lakeworks' version table on a new catalog (and fail on an existing one, where
Alembic finds lakeworks' heads), so Optuna gets a namespace of its own:

- **SQLite** (the embedded catalog): a sibling file ``<catalog>.optuna.db`` in the
  catalog's folder, so it is backed up and moved with the catalog. An ``ATTACH`` cannot
  isolate it: Optuna's engine creates unqualified tables, which land in ``main``.
- **PostgreSQL** (team mode): the schema ``<catalog schema>_optuna`` in the catalog's
  database (``public_optuna`` for a catalog in ``public``), chosen through the connection's
  ``search_path`` and created when missing.

Optuna's tables are created, and its own migrations run, only inside that namespace,
under the catalog's migration lock (so processes opening a new catalog at once do not
race to create them). An in-memory catalog has no place beside it and is refused.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from lakeworks.errors import InvalidInputError
from lakeworks.meta import engine as meta_engine

if TYPE_CHECKING:
    from optuna.storages import RDBStorage

OPTUNA_SUFFIX = "_optuna"


def optuna_url(catalog: Engine) -> str:
    """The SQLAlchemy URL of the Optuna namespace of ``catalog`` (see the module doc).

    Example:
        >>> from sqlalchemy import create_engine
        >>> optuna_url(create_engine("sqlite:////data/lw/metadata.db"))
        'sqlite:////data/lw/metadata.optuna.db'
    """
    url = catalog.url
    if catalog.dialect.name == "sqlite":
        database = url.database or ""
        if database in {"", ":memory:"} or database.startswith("file:"):
            raise InvalidInputError(
                "hyper-parameter search needs a catalog in a file or on a server; "
                f"found the in-memory catalog {url.render_as_string()}",
                hint="set LAKEWORKS_METADATA_URL to sqlite:////path/metadata.db or PostgreSQL",
                expected="a SQLite file or PostgreSQL",
                found=database or ":memory:",
            )
        path = Path(database)
        return url.set(database=str(path.with_name(f"{path.stem}.optuna.db"))).render_as_string(
            hide_password=False
        )
    if catalog.dialect.name == "postgresql":
        return _with_search_path(url.render_as_string(hide_password=False), _schema(catalog))
    raise InvalidInputError(
        f"hyper-parameter search supports SQLite and PostgreSQL catalogs, not "
        f"{catalog.dialect.name}",
        expected="sqlite or postgresql",
        found=catalog.dialect.name,
    )


def open_storage(catalog: Engine) -> RDBStorage:
    """Optuna's ``RDBStorage`` in the catalog's Optuna namespace, created when missing."""
    import optuna

    url = optuna_url(catalog)
    with meta_engine.migration_lock(catalog):
        if catalog.dialect.name == "postgresql":
            with catalog.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{_schema(catalog)}"'))
            kwargs: dict = {"pool_pre_ping": True}
        else:
            _use_wal(make_url(url).database or "")
            kwargs = {"connect_args": {"timeout": 30}}
        storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    if catalog.dialect.name == "sqlite":
        event.listen(storage.engine, "connect", _synchronous_normal)
        storage.engine.dispose()  # the connections made so far lack the pragma
    return storage


def _schema(catalog: Engine) -> str:
    with catalog.connect() as conn:
        current = conn.execute(text("SELECT current_schema()")).scalar_one_or_none()
    return f"{current or 'public'}{OPTUNA_SUFFIX}"


def _with_search_path(url: str, schema: str) -> str:
    """``url`` whose libpq ``options`` set ``search_path`` to ``schema`` (others kept)."""
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    options = options if isinstance(options, str) else " ".join(options)
    kept = [o for o in options.split() if not o.startswith("-csearch_path")]
    query = {**parsed.query, "options": " ".join([*kept, f"-csearch_path={schema}"])}
    return parsed.set(query=query).render_as_string(hide_password=False)


def _synchronous_normal(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
    """As the catalog: under WAL, NORMAL syncs at checkpoints, not at each commit (a
    commit can be lost by a power cut, never corrupt the file)."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _use_wal(path: str) -> None:
    """WAL lets trials read while another process writes (the mode stays with the file)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
