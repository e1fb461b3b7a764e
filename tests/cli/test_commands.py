from __future__ import annotations

import json
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.ingest.loads import LoadResult
from tests.cli.conftest import Cli


def test_init_creates_home_and_workspace(cli: Cli) -> None:
    result = cli("init", "--workspace", "sales")
    assert result.exit_code == 0, result.output
    assert "workspace  sales" in result.stdout
    assert str(cli.home.resolve()) in result.stdout
    assert (cli.home / "metadata.db").exists()
    assert "sales" in cli("workspaces", "list").stdout


def test_workspaces_create_and_list(cli: Cli) -> None:
    assert cli("workspaces", "create", "research").exit_code == 0
    again = cli("workspaces", "create", "research")
    assert again.exit_code == 1
    assert again.stderr == "error: workspace 'research' already exists\n"
    assert "research" in cli("workspaces", "list").stdout


def test_global_workspace_from_the_environment(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEWORKS_WORKSPACE", "envws")
    assert cli("sql", "create table t as select 1 as x").exit_code == 0
    assert "envws" in cli("workspaces", "list").stdout


def test_sql_formats(cli: Cli) -> None:
    created = cli("-w", "sales", "sql", "create table t as select range as i from range(5)")
    assert created.stdout == "create t: version 0, 5 rows\n"
    query = "select i, i * 1.5 as x, 'n' || i as s from t order by i"
    table = cli("-w", "sales", "sql", query)
    assert table.exit_code == 0 and "┃ i" in table.stdout and "6.0" in table.stdout
    csv = cli("-w", "sales", "sql", query, "--format", "csv", "--limit", "2")
    assert csv.stdout == "i,x,s\n0,0.0,n0\n1,1.5,n1\n"
    as_json = cli("-w", "sales", "sql", "select date '2026-01-02' as d", "--format", "json")
    assert json.loads(as_json.stdout) == [{"d": "2026-01-02"}]


def test_tables_commands(cli: Cli) -> None:
    cli("-w", "sales", "sql", "create table orders as select range as id from range(3)")
    cli("-w", "sales", "sql", "insert into orders select 9")
    assert "orders" in cli("-w", "sales", "tables", "list").stdout
    show = cli("-w", "sales", "tables", "show", "orders")
    assert "version 1" in show.stdout and "rows 4" in show.stdout and "int64" in show.stdout
    history = cli("-w", "sales", "tables", "history", "orders")
    assert "WRITE" in history.stdout and "│ 1 " in history.stdout
    dry = cli("-w", "sales", "tables", "vacuum", "orders", "--retention-hours", "0", "--dry-run")
    assert dry.exit_code == 0 and "would delete 0 file(s) from orders" in dry.stdout


def test_lakeworks_errors_are_one_line_and_exit_1(cli: Cli) -> None:
    cli("init", "-w", "sales")
    bad_sql = cli("-w", "sales", "sql", "selec 1")
    assert bad_sql.exit_code == 1
    assert bad_sql.stderr.startswith("error: the query failed: Parser Error")
    assert bad_sql.stderr.count("\n") == 1 and "Traceback" not in bad_sql.output
    missing = cli("-w", "sales", "tables", "show", "nope")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: table 'nope' does not exist in workspace 'sales'")
    no_ws = cli("-w", "nowhere", "tables", "list")
    assert no_ws.exit_code == 1 and "workspace 'nowhere' does not exist" in no_ws.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("tables", "bogus"),
        ("sql",),
        ("sql", "select 1", "--format", "xml"),
        ("ingest", "file.csv"),
        ("--no-such-option",),
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: tuple[str, ...]) -> None:
    assert cli(*args).exit_code == 2


def test_ingest_passes_options_to_the_sdk(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_ingest(self: lw.Workspace, source: str, table: str, **options: object) -> LoadResult:
        calls.append((self.name, source, table, options))
        return LoadResult(7, table, "succeeded", 3, 2, 1, 4, f"{table}__quarantine", "9", "")

    monkeypatch.setattr(lw.Workspace, "ingest", fake_ingest)
    result = cli(
        "-w", "sales", "ingest", "orders.csv", "--table", "orders", "--keys", "a, b",
        "--incremental-by", "ts", "--format", "csv", "--mode", "merge",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            "sales",
            "orders.csv",
            "orders",
            {"keys": ["a", "b"], "incremental_by": "ts", "format": "csv", "mode": "merge"},
        )
    ]
    assert "load 7 into orders: succeeded: read 3, written 2, quarantined 1, version 4" in (
        result.stdout
    )
    assert "orders__quarantine" in result.stdout


def test_ingest_a_csv_file(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("order_id,amount\n1,2.5\n2,3.5\n")
    result = cli("-w", "sales", "ingest", str(source), "--table", "orders", "--keys", "order_id")
    assert result.exit_code == 0, result.output
    assert "written 2" in result.stdout
    ws = lw.connect("sales", settings=Settings.load(home=cli.home), create=False)
    try:
        assert ws.read("orders").num_rows == 2
    finally:
        ws.platform.close()


def test_missing_ingest_source_is_one_line_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("-w", "sales", "ingest", str(tmp_path / "absent.csv"), "--table", "orders")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_server_command_runs_uvicorn_with_settings(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeworks.server import shutdown

    seen = {}

    def serve(
        app: object, host: str, port: int, access_log: bool, tls: tuple[str, str] | None
    ) -> None:
        seen.update(app=app, host=host, port=port, tls=tls)

    monkeypatch.setattr(shutdown, "serve", serve)
    assert cli("server", "--port", "9999").exit_code == 0
    assert (seen["host"], seen["port"], seen["tls"]) == ("127.0.0.1", 9999, None)
    assert seen["app"].state.settings.home == cli.home
    seen["app"].state.platform.close()


def test_quickstart_is_registered(cli: Cli) -> None:
    result = cli("quickstart", "--help")
    assert result.exit_code == 0 and "--no-serve" in result.stdout
