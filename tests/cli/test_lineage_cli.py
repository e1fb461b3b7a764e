"""``lakeworks lineage TABLE`` (still the default) and ``lakeworks lineage around NODE``."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli


def test_lineage_around_a_table_prints_nodes_and_edges(cli: Cli) -> None:
    assert cli("sql", "create table t as select range as id from range(5)").exit_code == 0
    assert cli("sql", "create table u as select id * 2 as id from t").exit_code == 0
    assert cli("sql", "create table v as select id from u").exit_code == 0
    tree = cli("lineage", "u")  # the table command without its name, as before
    assert tree.exit_code == 0 and "t@v" in tree.output and "v@v" in tree.output
    assert "t@v" in cli("lineage", "table", "u").output
    out = cli("lineage", "around", "table:u")
    assert out.exit_code == 0, out.output
    assert "4 nodes around table:u" in out.output  # t, the query that made t, u and v
    assert "query:select range as id from range(5)" in out.output and "table:v" in out.output
    found = json.loads(cli("lineage", "around", "table:u", "--format", "json").output)
    assert found["root"] == "table:u" and found["nodes"][0] == "table:u"
    assert {(e["source"], e["target"]) for e in found["edges"]} == {
        ("query:select range as id from range(5)", "table:t"),
        ("table:t", "table:u"),
        ("table:u", "table:v"),
    }
    near = json.loads(
        cli("lineage", "around", "table:t", "--depth", "1", "--format", "json").output
    )
    assert "table:u" in near["nodes"] and "table:v" not in near["nodes"]  # two hops away


def test_lineage_around_refuses_a_bad_node(cli: Cli) -> None:
    cli("sql", "create table t as select 1 as id")
    bad = cli("lineage", "around", "orders")
    assert bad.exit_code == 1 and "invalid lineage node 'orders'" in bad.output
    assert "expected <kind>:<name>" in bad.output
    missing = cli("lineage", "around", "table:nope")
    assert missing.exit_code == 1 and "nope" in missing.output, missing.output
    fmt = cli("lineage", "around", "table:t", "--format", "xml")
    assert fmt.exit_code != 0 and "use table or json" in fmt.output
