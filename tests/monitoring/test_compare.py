"""The drift report through the service: verdicts, nulls, inputs, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from scipy.spatial import distance

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, SchemaMismatchError
from lakeworks.monitoring import DriftReport
from tests.monitoring.conftest import frames

DRIFTED = ["city", "shifted"]


@pytest.mark.parametrize(
    ("rows", "numeric", "categorical"),
    [(500, "ks", "chisquare"), (5000, "wasserstein", "jensenshannon")],
)
def test_drifted_and_steady_columns_get_the_expected_verdicts(
    ws: lw.Workspace, rows: int, numeric: str, categorical: str
) -> None:
    reference, current = frames(rows)
    report = ws.monitor.compare(reference, current)
    assert sorted(report.drifted_columns) == DRIFTED
    assert report["shifted"].method == numeric
    assert report["city"].method == categorical
    assert report["level"].kind == "categorical"  # 4 integer values: categories, as Evidently
    assert report.share == 0.5 and report.drifted
    assert report["steady"].stats["ks"] is not None
    assert report.reference.rows == rows and report.current.source == "current (Arrow table)"


def test_the_same_sample_does_not_drift(ws: lw.Workspace) -> None:
    reference, _ = frames(3000)
    report = ws.monitor.compare(reference, reference)
    assert report.drifted_columns == [] and not report.drifted
    assert "no drift: 0 of 4 columns" in report.summary()


def test_pandas_polars_and_rows_give_the_arrow_verdicts(ws: lw.Workspace) -> None:
    def verdicts(report: DriftReport) -> list[tuple]:  # types differ: Polars' large_string
        return [(c.column, c.method, c.statistic, c.drifted) for c in report.columns]

    reference, current = frames(1500)
    expected = verdicts(ws.monitor.compare(reference, current))
    for ref, cur in (
        (reference.to_pandas(), current.to_pandas()),
        (pl.from_arrow(reference), pl.from_arrow(current)),
        (reference.to_pylist(), current.to_pylist()),
    ):
        assert verdicts(ws.monitor.compare(ref, cur)) == expected


def test_method_and_threshold_apply_to_every_column(ws: lw.Workspace) -> None:
    reference, current = frames(3000)
    report = ws.monitor.compare(reference, current, columns=["steady", "shifted"], method="psi")
    assert [c.method for c in report.columns] == ["psi", "psi"]
    assert report["shifted"].threshold == 0.1
    loose = ws.monitor.compare(
        reference, current, columns=["shifted"], method="wasserstein", threshold=5.0
    )
    assert loose["shifted"].threshold == 5.0 and not loose["shifted"].drifted


def test_nulls_are_left_out_and_their_shares_reported(ws: lw.Workspace) -> None:
    values = np.random.default_rng(1).normal(size=2000)
    reference = pa.table({"x": pa.array(values, mask=np.arange(2000) % 10 == 0)})
    current = pa.table({"x": np.where(np.arange(2000) % 4 == 0, np.nan, values)})
    column = ws.monitor.compare(reference, current)["x"]
    assert column.reference_nulls == pytest.approx(0.1)
    assert column.current_nulls == pytest.approx(0.25)
    assert not column.drifted  # the values left are the same distribution


def test_a_column_null_on_one_side_drifted_and_says_why(ws: lw.Workspace) -> None:
    reference = pa.table({"x": [1.0, 2.0, 3.0], "y": pa.array([None, None, None], pa.float64())})
    current = pa.table({"x": pa.array([None] * 3, pa.float64()), "y": [None, None, None]})
    report = ws.monitor.compare(reference, current.cast(reference.schema))
    assert report["x"].drifted and report["x"].method == "nulls"
    assert report["x"].note == "no non-null values in the current data"
    assert not report["y"].drifted and "reference or current" in report["y"].note


def test_unseen_categories_are_counted(ws: lw.Workspace) -> None:
    reference = pa.table({"c": ["a"] * 900 + ["b"] * 300})
    current = pa.table({"c": ["a"] * 900 + ["new"] * 300})
    column = ws.monitor.compare(reference, current)["c"]
    p, q = [0.75, 0.25, 1e-4], [0.75, 1e-4, 0.25]  # a, b, new: a share each side lacks
    assert column.drifted
    assert column.stats["jensenshannon"] == pytest.approx(float(distance.jensenshannon(p, q)))


def test_report_is_json_safe(ws: lw.Workspace) -> None:
    reference, current = frames(800)
    data = ws.monitor.compare(reference, current).to_dict()
    again = json.loads(json.dumps(data, allow_nan=False))
    assert sorted(again["drifted_columns"]) == DRIFTED
    assert again["columns"][0]["stats"].keys() == {"ks", "ks_pvalue", "wasserstein", "psi"}


def test_table_versions_are_read_and_pinned(orders: lw.Workspace) -> None:
    report = orders.monitor.compare("orders@v0", "orders")
    assert sorted(report.drifted_columns) == DRIFTED
    assert (report.reference.version, report.current.version) == (0, 1)
    assert report.current.source == "orders@v1" and report.reference.rows == 2000
    same = orders.monitor.compare("orders@v1", "orders", columns=["steady"])
    assert same.drifted_columns == []


def test_wide_tables_are_read_a_group_of_columns_at_a_time(
    orders: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeworks.monitoring import service

    monkeypatch.setattr(service, "GROUP_BYTES", 8 * 2000)  # one column per read
    calls = []
    read = orders.platform.tables.read
    monkeypatch.setattr(
        orders.platform.tables,
        "read",
        lambda *a, **kw: calls.append(kw["columns"]) or read(*a, **kw),
    )
    report = orders.monitor.compare("orders@v0", "orders@v1")
    assert sorted(report.drifted_columns) == DRIFTED
    assert all(len(columns) == 1 for columns in calls) and len(calls) == 8


# bad input -------------------------------------------------------------------------------
def test_a_column_missing_on_one_side_is_named(ws: lw.Workspace) -> None:
    reference, current = frames(100)
    with pytest.raises(SchemaMismatchError, match=r"current data .* no column\(s\) \['city'\]"):
        ws.monitor.compare(reference, current.drop_columns(["city"]))
    with pytest.raises(SchemaMismatchError, match=r"reference data .* \['nope'\]"):
        ws.monitor.compare(reference, current, columns=["steady", "nope"])


def test_columns_only_in_current_are_listed_as_skipped(ws: lw.Workspace) -> None:
    reference, current = frames(100)
    report = ws.monitor.compare(reference.drop_columns(["level"]), current)
    assert report.skipped == {"level": "only in the current data"}


def test_a_type_mismatch_names_the_column_and_both_types(ws: lw.Workspace) -> None:
    reference = pa.table({"x": [1.0, 2.0]})
    current = pa.table({"x": ["1", "2"]})
    with pytest.raises(SchemaMismatchError) as caught:
        ws.monitor.compare(reference, current)
    assert "column 'x' is double in the reference but string in the current" in str(caught.value)
    assert caught.value.fields == {"column": "x", "expected": "double", "found": "string"}


def test_an_empty_side_is_refused(ws: lw.Workspace) -> None:
    reference, current = frames(100)
    with pytest.raises(InvalidInputError, match=r"the current data .* has no rows"):
        ws.monitor.compare(reference, current.slice(0, 0))


def test_unsupported_types_are_skipped_or_refused_when_named(ws: lw.Workspace) -> None:
    reference = pa.table({"x": [1.0, 2.0, 3.0], "tags": [[1], [2], [3]]})
    report = ws.monitor.compare(reference, reference)
    assert report.skipped == {"tags": "type list<item: int64> has no distribution to compare"}
    with pytest.raises(InvalidInputError, match="column 'tags' has type list<item: int64>"):
        ws.monitor.compare(reference, reference, columns=["tags"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "kl"}, "unknown drift method 'kl'"),
        ({"threshold": 0.2}, "a drift threshold needs the method"),
        ({"method": "psi", "threshold": -1.0}, "must be a number >= 0"),
        ({"columns": []}, "columns is empty"),
        ({"columns": ["steady", "steady"]}, "names a column twice"),
        ({"drift_share": 0.0}, "drift_share must be in"),
        ({"method": "jensenshannon", "columns": ["steady"]}, "compares categories"),
    ],
)
def test_bad_arguments_are_refused(ws: lw.Workspace, kwargs: dict, message: str) -> None:
    reference, current = frames(200)
    with pytest.raises(InvalidInputError, match=message):
        ws.monitor.compare(reference, current, **kwargs)


def test_data_of_another_kind_is_refused(ws: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="the reference data is a dict"):
        ws.monitor.compare({"x": [1]}, pd.DataFrame({"x": [1]}))


def test_a_missing_table_or_version_is_the_table_stores_error(orders: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        orders.monitor.compare("nope", "orders")
    with pytest.raises(NotFoundError, match="version 7"):
        orders.monitor.compare("orders@v7", "orders")


def test_the_monitor_of_an_unknown_endpoint_is_not_found(ws: lw.Workspace) -> None:
    """Endpoint drift itself is tested in tests/serving/test_drift_lineage.py."""
    with pytest.raises(NotFoundError, match="endpoint 'churn'") as found:
        ws.monitor("churn")
    assert found.value.fields["endpoint"] == "churn"


def test_rows_of_a_version_after_a_delete(orders: lw.Workspace) -> None:
    orders.delete("orders", "steady > 10")
    kept = orders.sql("select count(*) as n from orders").arrow().to_pylist()[0]["n"]
    report = orders.monitor.compare("orders@v1", "orders", columns=["steady"])
    assert (report.reference.rows, report.current.rows) == (2000, kept)
    assert report["steady"].drifted  # the upper half is gone
