"""DuckDB connections: a memory limit on each by default, and sorts that spill past it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError
from lakeworks.lake import duck

# ~1.5M rows of 32-character strings: well over the 64 MB limit once sorted
BIG_SORT = "select md5(x::varchar) h from range(1500000) a(x) order by h"


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.sql("select current_setting('memory_limit')").fetchall()[0][0]


def _as_duckdb_shows(limit: str) -> str:
    return _limit(duckdb.connect(config={"memory_limit": limit}))


def test_default_memory_limit_is_half_the_ram(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path)
    assert settings.duckdb_memory_limit == "50%"
    con = duck.connect(settings)
    assert _limit(con) == _as_duckdb_shows("50%")
    assert _limit(con) != _limit(duckdb.connect())  # not DuckDB's own 80%


def test_every_connection_of_the_platform_has_the_limit(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", duckdb_memory_limit="300MB", progress=False)
    ws = lw.connect(settings=settings)
    try:
        shown = ws.sql("select current_setting('memory_limit') as m").fetchall()
        assert shown == [(_as_duckdb_shows("300MB"),)]
        assert _limit(duck.connect(settings, tmp_path / "spill")) == shown[0][0]
    finally:
        ws.platform.close()


def test_a_sort_larger_than_the_limit_spills_instead_of_failing(tmp_path: Path) -> None:
    settings = Settings.load(
        home=tmp_path / "lw", duckdb_memory_limit="64MB", duckdb_threads=1, progress=False
    )
    without_spilling = duck.connect(settings)
    without_spilling.execute("SET temp_directory=''")
    with pytest.raises(duckdb.OutOfMemoryException):  # the sort does not fit in the limit
        without_spilling.sql(BIG_SORT).fetchall()
    ws = lw.connect(settings=settings)
    try:
        rows, previous = 0, ""
        for batch in ws.sql(BIG_SORT).batches(rows_per_batch=100_000):
            values = batch.column(0).to_pylist()
            assert values == sorted(values) and values[0] >= previous
            previous, rows = values[-1], rows + len(values)
        assert rows == 1_500_000
    finally:
        ws.platform.close()


@pytest.mark.parametrize("bad", ["lots", "50", "150%"])
def test_a_bad_memory_limit_names_the_setting(tmp_path: Path, bad: str) -> None:
    settings = Settings.load(home=tmp_path, duckdb_memory_limit=bad)
    with pytest.raises(InvalidInputError, match="duckdb_memory_limit") as info:
        duck.connect(settings)
    assert info.value.fields == {"setting": "duckdb_memory_limit", "found": bad}
    assert "LAKEWORKS_DUCKDB_MEMORY_LIMIT" in (info.value.hint or "")


def test_an_empty_memory_limit_is_duckdb_default(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path, duckdb_memory_limit="")
    assert _limit(duck.connect(settings)) == _limit(duckdb.connect())
