"""Insert-or-ignore and insert-or-update for SQLite and PostgreSQL, many rows at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _insert(session: Session, model: Any) -> Any:
    """A Core insert of the model's table (the ORM's bulk path costs 3x more per row)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"tracking supports SQLite and PostgreSQL, not {dialect}")
    return _INSERTS[dialect](model.__table__)


def insert_ignore(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``; a row whose primary key exists is skipped (a client's retry)."""
    if rows:
        session.connection().execute(_insert(session, model).on_conflict_do_nothing(), rows)


def upsert(
    session: Session,
    model: Any,
    rows: list[dict[str, Any]],
    keys: list[str],
    where: Any = None,
) -> None:
    """Insert ``rows``, updating the other columns of a row whose ``keys`` exist.

    ``where(table, excluded)`` may return a condition: the update happens only when it holds.
    """
    if not rows:
        return
    stmt = _insert(session, model)
    columns = [c for c in rows[0] if c not in keys]
    condition: ColumnElement[bool] | None = None
    if where is not None:
        condition = where(model.__table__.c, stmt.excluded)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c: stmt.excluded[c] for c in columns}, where=condition
    )
    session.connection().execute(stmt, rows)
