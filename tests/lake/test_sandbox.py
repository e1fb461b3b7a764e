"""Escape attempts against the SQL sandbox (issue 13), through the SDK, the CLI and REST.

Every statement type DuckDB's parser knows (and the SELECTs that write: data-modifying
CTEs, functions that run SQL text) is tried plain and wrapped in EXPLAIN, EXPLAIN
ANALYZE, a CTE and a subquery. Each is aimed at the workspace's own table folder and
spill folder, which the connection's file lock-down allows, so only the classification
of the statement stands between it and the data. After each, nothing on disk changed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.cli.app import app
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, NotFoundError, QueryError
from lakeworks.server.app import create_app

T = duckdb.StatementType
# one statement per type, as DuckDB's parser classifies it ({file}: a table's data file)
STATEMENTS = {
    "insert": ("insert into orders values (9, 'forged')", T.INSERT),
    "update": ("update orders set status = 'forged'", T.UPDATE),
    "delete": ("delete from orders", T.DELETE),
    "merge": (
        "merge into orders using (select 9 as id) s on s.id = orders.id "
        "when not matched then insert values (9, 'forged')",
        T.MERGE_INTO,
    ),
    "copy": ("copy (select 9 as id, 'forged' as status) to '{file}' (format parquet)", T.COPY),
    "copy_log": ("copy (select 1 as x) to '{log}' (format json)", T.COPY),
    "create": ("create view forged as select 1 as x", T.CREATE),
    "create_macro": ("create macro forged(a) as a + 1", T.CREATE),
    "alter": ("alter table orders add column x integer", T.ALTER),
    "drop": ("drop table orders", T.DROP),
    "prepare": ("prepare p as select 1", T.PREPARE),
    "execute": ("execute p", T.EXECUTE),
    "transaction": ("begin transaction", T.TRANSACTION),
    "set": ("set threads = 1", T.SET),
    "set_variable": ("set variable x = 1", T.SET),
    "reset": ("reset lock_configuration", T.SET),
    "pragma": ("pragma enable_profiling", T.PRAGMA),
    "call": ("call pragma_version()", T.CALL),
    "vacuum": ("vacuum", T.VACUUM),
    "analyze": ("analyze", T.VACUUM),
    "export": ("export database '{folder}forged'", T.EXPORT),
    "attach": ("attach '{folder}forged.db' as forged", T.ATTACH),
    "detach": ("detach forged", T.DETACH),
    "load": ("load httpfs", T.LOAD),
    "install": ("install httpfs", T.LOAD),
    "pivot": ("pivot orders on status using count(*)", T.MULTI),
    "copy_database": ("copy from database memory to forged", T.PRAGMA),
    # SELECTs that write or run SQL text
    "cte_copy": (
        "with x as (copy (select 9 as id, 'forged' as status) to '{file}' (format parquet)) "
        "select * from x",
        T.SELECT,
    ),
    "cte_insert": (
        "with x as (insert into orders values (9, 'forged') returning *) select * from x",
        T.SELECT,
    ),
    "serialized": ("select * from json_execute_serialized_sql('{serialized}')", T.SELECT),
    "query_text": ("select * from query('select 1')", T.SELECT),
}
WRAPPERS = {
    "plain": "{}",
    "explain": "EXPLAIN {}",
    "explain_analyze": "EXPLAIN ANALYZE {}",
    "cte": "WITH x AS ({}) SELECT * FROM x",
    "subquery": "SELECT * FROM ({}) AS x",
}
ROWS = [{"id": 1, "status": "new"}, {"id": 2, "status": "paid"}]


class Lake:
    """A workspace with table ``orders``, and what an attack aims at."""

    def __init__(self, home: Path) -> None:
        self.settings = Settings.load(home=home, progress=False)
        self.ws = lw.connect(settings=self.settings, user="tester")
        self.ws.write("orders", pa.table({"id": [1, 2], "status": ["new", "paid"]}))
        self.ws.sql("select * from orders order by id").fetchall()  # opens the spill folder
        table = self.ws.platform.storage.table_uri("default", "orders")
        self.folder = str(Path(table).parent) + "/"
        self.file = next(Path(table).glob("*.parquet"))
        self.serialized = self._serialized()

    def _serialized(self) -> str:
        write = f"with x as (copy (select 1 as x) to '{self.folder}forged.csv') select * from x"
        text = duckdb.execute("select json_serialize_sql(?)", [write]).fetchall()[0][0]
        return text.replace("'", "''")

    def statement(self, name: str, wrapper: str) -> str:
        text = STATEMENTS[name][0].format(
            file=self.file,
            log=Path(self.folder) / "orders" / "_delta_log" / "00000000000000000009.json",
            folder=self.folder,
            serialized=self.serialized,
        )
        return WRAPPERS[wrapper].format(text)

    def state(self) -> list[tuple[str, int, int]]:
        """Everything an escape could change: the files of the lake and spill folders."""
        return sorted(
            (str(p), p.stat().st_size, p.stat().st_mtime_ns)
            for root in (self.settings.home / "tables", self.settings.scratch_dir)
            for p in root.rglob("*")
            if p.is_file()
        )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    made = Lake(tmp_path_factory.mktemp("sandbox") / "lw")
    yield made
    made.ws.platform.close()


CASES = [(s, w) for s in STATEMENTS for w in WRAPPERS]


def test_the_suite_covers_every_statement_type_the_parser_gives() -> None:
    unreachable = {T.INVALID, T.SELECT, T.EXPLAIN, T.RELATION, T.LOGICAL_PLAN}
    # types this DuckDB's parser reports under another name (ANALYZE is a VACUUM, ...)
    renamed = {T.ANALYZE, T.VARIABLE_SET, T.CREATE_FUNC, T.EXTENSION, T.COPY_DATABASE}
    covered = {kind for _, kind in STATEMENTS.values()}
    assert set(T.__members__.values()) - unreachable - renamed <= covered
    for name, (text, kind) in STATEMENTS.items():
        text = text.format(file="f", log="l", folder="d/", serialized="s")
        assert duckdb.extract_statements(text)[0].type == kind, name


@pytest.mark.parametrize(("statement", "wrapper"), CASES)
def test_sdk_refuses_every_statement_but_a_query(lake: Lake, statement: str, wrapper: str) -> None:
    before = lake.state()
    with pytest.raises(QueryError):
        lake.ws.sql(lake.statement(statement, wrapper)).fetchall()
    assert lake.state() == before


@pytest.mark.parametrize("wrapper", ["explain_analyze", "cte"])
@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_rest_refuses_every_statement_but_a_query(
    lake: Lake, rest: TestClient, statement: str, wrapper: str
) -> None:
    before = lake.state()
    sql = lake.statement(statement, wrapper)
    response = rest.post("/api/v1/workspaces/default/sql", json={"query": sql})
    assert response.status_code == 422, response.text
    assert lake.state() == before


@pytest.mark.parametrize("statement", ["copy", "copy_log", "cte_copy", "serialized", "attach"])
def test_cli_refuses_every_statement_but_a_query(lake: Lake, statement: str) -> None:
    from typer.testing import CliRunner

    before = lake.state()
    home = str(lake.settings.home)
    sql = lake.statement(statement, "explain_analyze")
    result = CliRunner().invoke(app, ["--home", home, "-w", "default", "sql", sql])
    assert result.exit_code == 1 and result.stderr.startswith("error: "), result.output
    assert "Traceback" not in result.output
    assert lake.state() == before


@pytest.fixture(scope="module")
def rest(lake: Lake) -> Iterator[TestClient]:
    with TestClient(create_app(lake.settings), raise_server_exceptions=False) as client:
        yield client


def test_after_every_attempt_the_table_is_as_written(lake: Lake) -> None:
    assert lake.ws.read("orders").sort_by("id").to_pylist() == ROWS
    assert len(lake.ws.history("orders")) == 1
    assert lake.ws.sql("select count(*) from orders").fetchall() == [(2,)]


@pytest.mark.parametrize(
    "sql",
    [
        "explain select * from orders",
        "explain analyze select * from orders",
        "EXPLAIN (FORMAT json) select * from orders",
        "describe orders",
        "summarize orders",
        "from orders",
        "with x as (select * from orders) select count(*) from x",
    ],
)
def test_queries_and_explains_of_queries_run(lake: Lake, sql: str) -> None:
    assert lake.ws.sql(sql).fetchall()


# the probes, one by one ------------------------------------------------------
def test_explain_analyze_copy_cannot_replace_a_tables_data_file(ws: lw.Workspace) -> None:
    ws.write("orders", ROWS)
    table = Path(ws.platform.storage.table_uri("default", "orders"))
    target = next(table.glob("*.parquet"))
    forged = f"copy (select 9 as id, 'forged' as status) to '{target}' (format parquet)"
    with pytest.raises(QueryError, match="COPY statements cannot run here, not even under"):
        ws.sql(f"explain analyze {forged}").fetchall()
    log = table / "_delta_log" / "00000000000000000001.json"
    with pytest.raises(QueryError, match="COPY"):
        ws.sql(f"explain analyze copy (select 1 as x) to '{log}' (format json)").fetchall()
    assert not log.exists()
    assert ws.read("orders").sort_by("id").to_pylist() == ROWS
    assert len(ws.history("orders")) == 1


def test_workspaces_have_their_own_spill_folders(settings: Settings) -> None:
    sales = lw.connect("sales", settings=settings, user="tester")
    other = lw.connect("other", settings=settings, user="tester")
    try:
        spill = sales.sql("select current_setting('temp_directory')").fetchall()[0][0]
        assert Path(spill) == settings.scratch_dir / "spill" / "sales"
        other.sql("select 1").fetchall()
        dropped = settings.scratch_dir / "spill" / "other" / "dropped.csv"
        dropped.write_text("secret\nfrom-other\n")
        with pytest.raises(InvalidInputError, match="outside this workspace"):
            sales.sql(f"select * from read_csv('{dropped}')").fetchall()
    finally:
        sales.platform.close()
        other.platform.close()


def test_extensions_are_never_installed_or_loaded(ws: lw.Workspace) -> None:
    found = ws.sql(
        "select current_setting('autoinstall_known_extensions'), "
        "current_setting('autoload_known_extensions')"
    ).fetchall()
    assert found == [(False, False)]
    with pytest.raises(QueryError, match="delta"):
        ws.sql("select * from delta_scan('/tmp/nothing')").fetchall()


def test_read_where_is_one_expression_over_the_columns(settings: Settings) -> None:
    sales = lw.connect("sales", settings=settings, user="tester")
    other = lw.connect("other", settings=settings, user="tester")
    try:
        sales.write("orders", ROWS)
        other.write("secrets", [{"id": 7, "status": "SECRET"}])
        files = Path(other.platform.storage.table_uri("other", "secrets")) / "*.parquet"
        attacks = {
            f"1=0 UNION ALL SELECT * FROM read_parquet('{files}')": "reads other tables",
            f"1=1) OR ((select min(status) from read_parquet('{files}')) LIKE 'S%'": "parse",
            "id in (select id from orders)": "reads other tables",
            "id > 0; select 1": "reads other tables",
            "o.id > 0": "not a column of table 'orders'",
            "nope > 0": "not a column of table 'orders'",
        }
        for where, message in attacks.items():
            with pytest.raises(InvalidInputError, match=message):
                sales.read("orders", where=where)
        assert sales.read("orders", where="\"status\" = 'paid' and id > 1").num_rows == 1
        assert sales.read("orders", where="upper(status) like 'N%'").to_pylist() == ROWS[:1]
    finally:
        sales.platform.close()
        other.platform.close()


def test_quality_expression_cannot_read_other_workspaces(
    settings: Settings, tmp_path: Path
) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for name in ("sales", "other"):
            assert client.post("/api/v1/workspaces", json={"name": name}).status_code == 201
        url = "/api/v1/workspaces/{}/tables/{}/rows"
        rows = {"rows": ROWS, "mode": "create"}
        assert client.post(url.format("sales", "orders"), json=rows).status_code == 201
        assert client.post(url.format("other", "secrets"), json=rows).status_code == 201
        files = Path(settings.resolved_storage_url) / "other" / "secrets" / "*.parquet"
        attacks = [
            f"1=1) OR ((select min(status) from read_parquet('{files}')) LIKE 'SECRET%'",
            f"1=1) OR (CAST((select min(status) from read_parquet('{files}')) AS INT) > 0",
            f"id > (select count(*) from read_csv('{tmp_path}'))",
            "id > 0) FROM __lw_row --",
        ]
        for sql in attacks:
            check = {"kind": "expression", "params": {"sql": sql}}
            response = client.post(
                "/api/v1/workspaces/sales/quality/orders/checks", json={"checks": [check]}
            )
            assert response.status_code == 422, response.text
            assert "is not valid" in response.text
        fine = {"checks": [{"kind": "expression", "params": {"sql": "id > 0"}}]}
        added = client.post("/api/v1/workspaces/sales/quality/orders/checks", json=fine)
        assert added.status_code == 201, added.text


def test_feature_source_cannot_run_statements_or_read_files(ws: lw.Workspace, tmp_path) -> None:
    from lakeworks.features import Entity, FeatureView

    ws.write("events", [{"rider_id": 1, "ts": "2026-01-01", "n": 1}])
    rider = Entity("rider", join_keys=["rider_id"])
    escaped = tmp_path / "escaped.csv"
    sources = {
        "select rider_id, cast(ts as timestamp) as ts, n from events; "
        f"copy (select 1) to '{escaped}'": "expected one statement",
        "with x as (copy (select 1) to '" + str(escaped) + "') select * from x": "COPY",
        "select 1 as rider_id, now()::timestamp as ts, line as n "
        "from read_csv('/etc/passwd', columns={'line': 'varchar'})": "outside|Permission",
    }
    for source, message in sources.items():
        view = FeatureView("v", entity="rider", timestamp="ts", features=["n"], source=source)
        with pytest.raises(InvalidInputError, match=message):
            ws.features.apply([rider, view])
    assert not escaped.exists()
    good = FeatureView(
        "v",
        entity="rider",
        timestamp="ts",
        features=["n"],
        source='select rider_id, cast(ts as timestamp) as ts, n from "events"',
    )
    assert [c.action for c in ws.features.apply([rider, good]).changes] == ["create", "create"]


# table names come from the parsed query ---------------------------------------------
def test_a_broken_table_named_like_a_column_does_not_break_queries(ws: lw.Workspace) -> None:
    ws.write("ref", ROWS)
    ws.write("status", [{"x": 1}])
    shutil.rmtree(ws.platform.storage.table_uri("default", "status"))
    assert ws.sql("select status, count(*) from ref group by 1 order by 1").fetchall() == [
        ("new", 1),
        ("paid", 1),
    ]
    assert ws.sql("with status as (select 5 as s) select s from status").fetchall() == [(5,)]
    assert ws.sql("select 'status' as word from ref limit 1").fetchall() == [("status",)]


def test_quoted_and_keyword_table_names_are_queried(ws: lw.Workspace) -> None:
    ws.write("orders", ROWS)
    for name in ("order", "table", "select"):
        ws.write(name, [{"id": 1}])
    assert ws.sql('select count(*) from "orders"').fetchall() == [(2,)]
    assert ws.sql('select count(*) from "ORDERS"').fetchall() == [(2,)]
    joined = 'select count(*) from "order" o join "table" t using (id) join "select" s using (id)'
    assert ws.sql(joined).fetchall() == [(1,)]
    assert ws.sql("select count(*) from order@v0").fetchall() == [(1,)]
    shadowed = "with orders as (select 1 as id) select count(*) from orders"
    assert ws.sql(shadowed).fetchall() == [(1,)]


def test_quality_and_feature_connections_are_locked_before_user_sql(ws: lw.Workspace) -> None:
    from lakeworks.features.sources import SourceViews, connect

    ws.write("orders", ROWS)
    outside = "select * from read_csv('/etc/passwd')"
    quality = ws.platform.quality.duck()
    features = connect(ws.platform)
    SourceViews(ws.platform, ws.ctx, features)
    for con in (quality, features):
        settings = con.execute(
            "select current_setting('enable_external_access'), "
            "current_setting('lock_configuration'), "
            "current_setting('autoinstall_known_extensions')"
        ).fetchall()
        assert settings == [(False, True, False)]
        with pytest.raises(duckdb.PermissionException):
            con.execute(outside).fetchall()
    features.close()


def test_a_missing_function_is_not_reported_as_a_missing_table(ws: lw.Workspace) -> None:
    with pytest.raises(QueryError, match="getenv") as err:
        ws.sql("select getenv('HOME')").fetchall()
    assert not isinstance(err.value, NotFoundError)
    with pytest.raises(NotFoundError, match="'nope'"):
        ws.sql("select * from nope").fetchall()
