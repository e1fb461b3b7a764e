"""Create the SQLAlchemy engine for a metadata URL and bring its schema to the latest revision."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError

from lakeworks.errors import UnavailableError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The head revisions of MIGRATIONS (a test pins them to Alembic's): a database at these
# is current, which is found without importing Alembic (0.3 s and some 40,000 objects).
HEADS = frozenset({"0003", "0004"})


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so several processes share it."""
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


def upgrade(engine: Engine) -> None:
    """Apply pending migrations; a no-op (one cheap query) when the schema is current."""
    try:
        with engine.connect() as conn:
            current = _current_heads(conn)
    except OperationalError as exc:
        raise UnavailableError(
            f"cannot reach the metadata database {engine.url.render_as_string()}: {exc.orig}",
            hint="check LAKEWORKS_METADATA_URL and that the database server is running",
        ) from exc
    if current != HEADS:  # domains may add migrations on parallel branches: apply all heads
        from alembic import command

        command.upgrade(alembic_config(engine), "heads")


def _current_heads(conn: Connection) -> frozenset[str]:
    """The revisions recorded in ``alembic_version`` (none on a new database)."""
    if not inspect(conn).has_table("alembic_version"):
        return frozenset()
    return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
