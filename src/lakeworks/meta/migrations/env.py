"""Alembic environment: runs migrations on the engine lakeworks hands in.

The whole upgrade is one transaction, DDL included (transactional DDL on both SQLite and
PostgreSQL): a process killed half-way leaves the catalog at the revision it started from,
and the next upgrade runs again from there. ``meta.engine.upgrade`` holds the migration lock
around it, so concurrent upgrades run one after another.
"""

from alembic import context

from lakeworks.meta.models import Base

engine = context.config.attributes["engine"]


def run(connection) -> None:  # noqa: ANN001 - a SQLAlchemy Connection
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


with engine.connect() as connection:
    if engine.dialect.name != "sqlite":
        with connection.begin():
            run(connection)
    else:
        # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE: CREATE TABLE
        # would commit on its own (a killed first migration then left "table workspaces
        # already exists" behind). The driver is put in autocommit mode for this connection
        # (SQLAlchemy restores it when the connection goes back to the pool) and the
        # transaction is begun explicitly; IMMEDIATE takes the write lock at once.
        raw = connection.execution_options(isolation_level="AUTOCOMMIT")
        raw.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            run(raw)
        except BaseException:
            raw.exec_driver_sql("ROLLBACK")
            raise
        raw.exec_driver_sql("COMMIT")
