"""``lakeworks quality ...`` and ``lakeworks lineage``."""

from __future__ import annotations

from tests.cli.conftest import Cli


def test_quality_add_list_run_results_reload_and_lineage(cli: Cli) -> None:
    assert (
        cli("sql", "create table t as select range as id, range % 5 as g from range(20)").exit_code
        == 0
    )
    added = cli("quality", "add", "t", "between", "g", "-p", "min=0", "-p", "max=3")
    assert added.exit_code == 0 and "added between(g) to t" in added.output
    assert cli("quality", "add", "t", "unique", "id").exit_code == 0
    assert "between(g)" in cli("quality", "list", "t").output
    run = cli("quality", "run", "t")
    assert run.exit_code == 1 and "FAILED  between(g): 4 of 20 rows violate" in run.output
    assert "between(g)" in cli("quality", "results", "t").output
    assert cli("sql", "insert into t select 100 as id, 9 as g").exit_code == 0  # held
    assert cli("quality", "remove", "t", "between(g)").exit_code == 0
    reload = cli("quality", "reload", "t")
    assert "reloaded 1 rows into t: 1 landed, 0 still quarantined" in reload.output
    assert "g" in cli("quality", "profile", "t").output
    cli("sql", "create table u as select g, count(*) as n from t group by g")
    tree = cli("lineage", "u", "--columns").output
    assert "t@v" in tree and "g <- g" in tree and "default.sql.u" in tree


def test_bad_check_is_one_line_error(cli: Cli) -> None:
    cli("sql", "create table t as select 1 as id")
    bad = cli("quality", "add", "t", "matches", "id", "-p", "pattern=(x")
    assert bad.exit_code == 1 and "error:" in bad.output


def test_quality_run_several_tables_or_all(cli: Cli) -> None:
    cli("sql", "create table a as select range as id from range(5)")
    cli("sql", "create table b as select range % 2 as id from range(5)")
    for table in ("a", "b"):
        assert cli("quality", "add", table, "unique", "id").exit_code == 0
    both = cli("quality", "run", "a", "b")
    assert both.exit_code == 1
    assert "a (version 0): 1 checks, 0 failed" in both.output
    assert "b (version 0): 1 checks, 1 failed" in both.output
    assert "FAILED  unique(id): 3 of 5 rows repeat a key" in both.output
    only_a = cli("quality", "run", "a")
    assert only_a.exit_code == 0
    assert cli("quality", "run").exit_code == 1  # every table with checks: b fails
    assert cli("quality", "run", "a", "b", "--version", "0").exit_code != 0
