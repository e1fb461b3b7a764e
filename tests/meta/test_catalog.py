from __future__ import annotations

import pytest

from lakeworks.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from lakeworks.platform import Platform


def test_workspace_lifecycle(platform: Platform) -> None:
    catalog = platform.catalog
    created = catalog.create_workspace("sales", "ann", description="the sales team")
    assert created.created_at.tzinfo is not None
    assert catalog.workspace("sales").created_by == "ann"
    with pytest.raises(AlreadyExistsError):
        catalog.create_workspace("sales", "bob")
    assert catalog.create_workspace("sales", "bob", exist_ok=True).id == created.id
    with pytest.raises(NotFoundError, match="'marketing'"):
        catalog.workspace("marketing")


@pytest.mark.parametrize("name", ["", "Sales", "1abc", "a-b", "a b", "x" * 129, "drop;table"])
def test_invalid_names_are_refused(platform: Platform, name: str) -> None:
    with pytest.raises(InvalidInputError):
        platform.catalog.create_workspace(name, "ann")


def test_same_table_name_in_two_workspaces(platform: Platform) -> None:
    catalog = platform.catalog
    for ws in ("a", "b"):
        catalog.create_workspace(ws, "ann")
        catalog.add_table(ws, "orders", f"/lake/{ws}/orders", "ann")
    assert catalog.table("a", "orders").location != catalog.table("b", "orders").location
    with pytest.raises(AlreadyExistsError):
        catalog.add_table("a", "orders", "/elsewhere", "ann")


def test_load_records(platform: Platform) -> None:
    catalog = platform.catalog
    catalog.create_workspace("a", "ann")
    load_id = catalog.start_load(
        "a", "orders", "orders.csv", "file", "append", "ann", fingerprint="f1"
    )
    record = catalog.finish_load(
        load_id, "succeeded", rows_read=10, rows_written=8, rows_quarantined=2, table_version=0
    )
    assert (record.rows_read, record.rows_written, record.rows_quarantined) == (10, 8, 2)
    assert catalog.loads("a", "orders", fingerprint="f1")[0].status == "succeeded"
    assert catalog.loads("a", "other") == []
