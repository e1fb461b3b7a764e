"""Create the SQLAlchemy engine for a metadata URL and bring its schema to the latest revision."""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, OperationalError

from lakeworks.errors import InvalidInputError, UnavailableError, UpgradeRequiredError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The head revisions of MIGRATIONS (a test pins them to Alembic's): a database at these
# is current, which is found without importing Alembic (0.3 s and some 40,000 objects).
HEADS = frozenset({"0008", "0013_task_runs_finished"})


SETTING = "LAKEWORKS_METADATA_URL"
_FIX = (
    f"set {SETTING} to a SQLAlchemy URL such as postgresql+psycopg://user:password@host/db "
    "or sqlite:////path/to/metadata.db, or unset it to use the embedded SQLite file"
)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so several processes share it.

    A URL SQLAlchemy cannot parse, or whose driver is not installed, raises one
    InvalidInputError naming the setting and the fix (the CLI prints it on one line).
    """
    try:
        return _engine(url)
    except ArgumentError as exc:  # unparsable URL or unknown dialect
        raise unusable_url(url, str(exc).splitlines()[0], _FIX) from None
    except ImportError as exc:  # dialect known, driver missing (mysql:// needs MySQLdb)
        fix = f"install the Python driver (module {exc.name}) or {_FIX}"
        raise unusable_url(url, f"its driver is not installed ({exc})", fix) from None
    except OSError as exc:  # the SQLite file's folder cannot be created
        raise unusable_url(url, f"cannot create its folder: {exc}", _FIX) from None


def unusable_url(url: str, reason: str, fix: str) -> InvalidInputError:
    """The one-line error for a metadata URL that cannot be used; passwords are masked."""
    shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    return InvalidInputError(
        f"{SETTING}={shown} is not a usable database URL: {reason}; fix: {fix}",
        setting=SETTING,
        fix=fix,
    )


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> frozenset[str]:
    """Apply pending migrations; a no-op (one cheap query) when the schema is current.

    Safe to run from several processes at once (six ``lakeworks ingest`` on a new home): the
    first takes the migration lock and migrates, the others wait for it, find the schema
    current and do nothing. A process killed while migrating leaves the catalog as it was
    (the upgrade is one transaction); the next upgrade runs it again.

    Returns the revisions the catalog was at before (empty for a new database).
    """
    current = revisions(engine)
    if current == HEADS:
        return current
    with migration_lock(engine):
        current = revisions(engine)  # another process may have migrated while this one waited
        if current != HEADS:  # domains may add migrations on parallel branches: apply all heads
            from alembic import command

            if not current:
                _refuse_leftovers(engine)

            command.upgrade(alembic_config(engine), "heads")
    return current


# Tables the first migration creates. Found with no recorded revision, they are what a first
# migration killed by an older lakeworks left (pysqlite committed its DDL as it ran).
_FIRST_TABLES = frozenset({"workspaces", "tables", "loads"})


def _refuse_leftovers(engine: Engine) -> None:
    with engine.connect() as conn:
        left = sorted(_FIRST_TABLES & set(inspect(conn).get_table_names()))
    if not left:
        return
    url = engine.url.render_as_string(hide_password=True)
    where = f"delete {engine.url.database}" if engine.dialect.name == "sqlite" else "drop them"
    fix = f"if the catalog holds nothing yet (a new home), {where} and open it again"
    raise InvalidInputError(
        f"the catalog {url} has lakeworks tables ({', '.join(left)}) but no recorded "
        f"migration: an earlier first migration was killed half-way; fix: {fix}",
        url=url,
        found=", ".join(left),
        fix=fix,
    )


# The first key of PostgreSQL advisory locks taken by lakeworks (any constant no other
# application uses); the second is the schema, so catalogs in other schemas do not wait.
_LOCK_SPACE = 0x4C57  # "LW"


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the catalog's migration lock: on PostgreSQL an advisory lock, on a SQLite file an
    exclusive ``flock`` of ``<file>.lock`` beside it. Both are released when their holder
    dies, so a killed process never leaves the lock taken."""
    database = engine.url.database or ""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
    elif engine.dialect.name == "sqlite" and database not in {"", ":memory:"}:
        # the lock file stays: deleting it would let a waiter lock a file no longer there
        with open(f"{database}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    key = {"space": _LOCK_SPACE}
    schema = "hashtext(coalesce(current_schema(), ''))"
    with engine.connect() as conn:
        conn.execute(text(f"SELECT pg_advisory_lock(:space, {schema})"), key)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock(:space, {schema})"), key)
            conn.commit()


def require_current(engine: Engine) -> None:
    """Raise UpgradeRequiredError (one line: what and the command) unless the catalog's
    schema is at ``HEADS``. Opening a catalog never migrates it as a side effect."""
    current = revisions(engine)
    if current == HEADS:
        return
    url = engine.url.render_as_string(hide_password=True)
    found = ", ".join(sorted(current)) or "no lakeworks schema"
    raise UpgradeRequiredError(
        f"the catalog {url} needs an upgrade (it is at {found}; this lakeworks needs "
        f"{', '.join(sorted(HEADS))}); run: lakeworks db upgrade",
        url=url,
        expected=", ".join(sorted(HEADS)),
        found=found,
    )


def revisions(engine: Engine) -> frozenset[str]:
    """The migration revisions the catalog is at (empty for a new database)."""
    try:
        with engine.connect() as conn:
            return _current_heads(conn)
    except OperationalError as exc:
        raise UnavailableError(
            f"cannot reach the metadata database {engine.url.render_as_string()}: {exc.orig}",
            hint=f"check {SETTING} and that the database server is running",
        ) from exc


def _current_heads(conn: Connection) -> frozenset[str]:
    """The revisions recorded in ``alembic_version`` (none on a new database)."""
    if not inspect(conn).has_table("alembic_version"):
        return frozenset()
    return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
