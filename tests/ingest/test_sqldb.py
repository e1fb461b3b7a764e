"""SQL database sources: PostgreSQL (chunked, incremental), SQLite, unreachable servers."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, UnavailableError
from tests.conftest import free_port


@pytest.fixture
def pg_table(postgres_server: str) -> Iterator[tuple[sa.Engine, str]]:
    name = f"lw_src_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(postgres_server)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {name} (id int PRIMARY KEY, amount numeric(10,2), "
                "updated timestamptz)"
            )
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {name} SELECT i, i * 1.5, timestamptz "
                "'2024-01-01 00:00+00' + i * interval '1 minute' "
                "FROM generate_series(1, 250) i"
            )
        )
    yield engine, name
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {name}"))
    engine.dispose()


@pytest.mark.postgres
def test_postgres_chunked_incremental_read(
    ws: lw.Workspace, postgres_server: str, pg_table: tuple[sa.Engine, str]
) -> None:
    engine, name = pg_table
    source = f"{postgres_server}#{name}"
    first = ws.ingest(source, "orders", incremental_by="updated", chunk_size=40)
    assert (first.rows_read, first.rows_written) == (250, 250)
    assert first.watermark.startswith("2024-01-01T04:10:00")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO {name} VALUES (251, 1, '2024-02-01 00:00+00'), "
                "(0, 1, '2023-01-01 00:00+00')"
            )
        )
    second = ws.ingest(source, "orders", incremental_by="updated", chunk_size=40)
    assert (second.rows_read, second.rows_written) == (1, 1)
    assert "> :wm" in ws.loads("orders")[-1].details["sql"]
    data = ws.read("orders")
    assert data.num_rows == 251 and data.schema.field("id").type == pa.int64()
    assert ws.read("orders", where="id = 4").to_pylist()[0]["amount"] == 6


@pytest.mark.postgres
def test_postgres_query_full_refresh_and_keys(
    ws: lw.Workspace, postgres_server: str, pg_table: tuple[sa.Engine, str]
) -> None:
    _, name = pg_table
    query = f"SELECT id, amount FROM {name} WHERE id <= 10"
    for _ in range(2):
        result = ws.ingest(postgres_server, "small", query=query)
        assert result.rows_written == 10
    assert ws.read("small").num_rows == 10  # overwrite: a re-run is a full refresh
    assert ws.loads("small")[0].mode == "overwrite"
    ws.ingest(postgres_server, "keyed", query=query, keys=["id"])
    ws.ingest(postgres_server, "keyed", query=query, keys=["id"])
    assert ws.read("keyed").num_rows == 10


@pytest.mark.postgres
def test_postgres_missing_table_is_not_found(ws: lw.Workspace, postgres_server: str) -> None:
    with pytest.raises(NotFoundError, match="no_such_table"):
        ws.ingest(f"{postgres_server}#no_such_table", "t")
    assert ws.loads("t")[0].status == "failed"


def test_sqlite_source_quarantines_unconvertible_values(ws: lw.Workspace, tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id INTEGER, price REAL)")
        conn.executemany("INSERT INTO items VALUES (?, ?)", [(1, 1.5), (2, "n/a"), (3, 2)])
    conn.close()
    result = ws.ingest(f"sqlite:///{db}#items", "items", schema={"price": "DOUBLE"})
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (3, 2, 1)
    [bad] = ws.read("items__quarantine").to_pylist()
    assert bad["line"] == 2 and bad["columns"] == "price" and "n/a" in bad["reason"]
    again = ws.ingest(
        f"sqlite:///{db}", "items", query="items", mode="append", schema={"price": "DOUBLE"}
    )
    assert again.rows_written == 2 and ws.read("items").num_rows == 4


def test_unreachable_database_is_unavailable_quickly(ws: lw.Workspace) -> None:
    url = f"postgresql+psycopg://user:s3cret@127.0.0.1:{free_port()}/db"
    started = time.monotonic()
    with pytest.raises(UnavailableError) as info:
        ws.ingest(f"{url}#t", "t")
    assert time.monotonic() - started < 10
    assert "127.0.0.1" in str(info.value) and "s3cret" not in str(info.value)
    assert info.value.hint and info.value.transient
    [record] = ws.loads("t")
    assert record.status == "failed" and "s3cret" not in record.source + record.error


def test_database_source_needs_a_table_or_query(ws: lw.Workspace, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="needs a table or a query"):
        ws.ingest(f"sqlite:///{tmp_path / 'x.db'}", "t")
