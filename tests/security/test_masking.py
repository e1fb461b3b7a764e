"""PII tags, the scan, and masking at read time through every door: SQL (time travel and
file functions included), table reads, the REST preview."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError, QueryError
from lakeworks.platform import Platform
from lakeworks.security.keys import pii_key
from lakeworks.server.app import create_app

PEOPLE = pa.table(
    {
        "customer_id": [1001, 1002, 1003],
        "email": ["alice@example.com", "bob@example.org", None],
        "phone": ["+44 20 7946 0958", "555-123-4567", "+1 (415) 555-0100"],
        "full_name": ["Alice Martin", "Bob Stone", "Carol Diaz"],
        "ssn": ["078-05-1120", "219-09-9999", "457-55-5462"],
        "street": ["12 Baker Street", "5 Main St", "77 Ocean Avenue"],
        "note": ["called twice about the order and asked for a refund"] * 3,
        "amount": [10.5, 20.0, 7.25],
    }
)
OWNER, VIEWER = Context("default", "owner"), Context("default", "viewer")


@pytest.fixture
def people(platform: Platform) -> Platform:
    platform.catalog.create_workspace("default", "owner")
    platform.tables.create(OWNER, "people", PEOPLE)
    platform.pii.tag(OWNER, "people", "email", "email")  # partial by default
    platform.pii.tag(OWNER, "people", "phone", "phone", policy="partial")
    platform.pii.tag(OWNER, "people", "full_name", "name")  # redact by default
    platform.pii.tag(OWNER, "people", "customer_id", "id", policy="hash")
    platform.unmask = lambda ctx: ctx.user == "owner"  # the policy sec-auth provides
    return platform


def pseudonym(platform: Platform, value: str) -> str:
    """An independent HMAC-SHA256 of ``value`` under the platform's PII key."""
    key = pii_key(platform.settings)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def test_scan_suggests_tags_from_values_and_names(platform: Platform, ctx: Context) -> None:
    platform.tables.create(ctx, "people", PEOPLE)
    found = {s.column: s.tag for s in platform.pii.scan(ctx, "people")}
    assert found == {
        "email": "email",
        "phone": "phone",
        "full_name": "name",
        "ssn": "id",
        "street": "address",
        "note": "free_text",
    }


def test_scan_does_not_flag_ordinary_columns(platform: Platform, ctx: Context) -> None:
    data = pa.table({"status": ["paid", "open"], "sku": ["A-1", "B-2"], "n": [1, 2]})
    platform.tables.create(ctx, "orders", data)
    assert platform.pii.scan(ctx, "orders") == []


def test_sql_is_masked_for_a_reader_without_unmask(people: Platform) -> None:
    rows = people.sql.query(VIEWER, "SELECT * FROM people ORDER BY amount").arrow().to_pylist()
    alice = rows[1]
    assert alice["email"] == "a***@example.com"
    assert alice["phone"] == "************0958"
    assert alice["full_name"] == "***"
    assert alice["customer_id"] == pseudonym(people, "1001")
    assert alice["ssn"] == "078-05-1120" and alice["amount"] == 10.5  # untagged: as stored
    assert rows[0]["email"] is None  # NULL stays NULL


def test_the_owner_reads_raw_values(people: Platform) -> None:
    rows = people.sql.query(OWNER, "SELECT email, customer_id FROM people").arrow()
    assert rows.column("email").to_pylist()[0] == "alice@example.com"
    assert rows.column("customer_id").type == pa.int64()


def test_filters_see_only_masked_values(people: Platform) -> None:
    probe = "SELECT count(*) FROM people WHERE email = 'alice@example.com'"
    assert people.sql.query(VIEWER, probe).fetchall() == [(0,)]
    assert people.sql.query(OWNER, probe).fetchall() == [(1,)]
    masked = people.tables.read(VIEWER, "people", where="email = 'alice@example.com'")
    assert masked.num_rows == 0


def test_time_travel_is_masked(people: Platform) -> None:
    old = people.sql.query(VIEWER, "SELECT email FROM people@v0 ORDER BY 1").arrow()
    assert old.column("email").to_pylist()[0] == "a***@example.com"


def test_a_masked_reader_cannot_reach_the_files(people: Platform) -> None:
    folder = people.tables.entry(OWNER, "people").location.removeprefix("file://")
    with pytest.raises(InvalidInputError, match="reads files outside this workspace"):
        people.sql.query(VIEWER, f"SELECT * FROM read_parquet('{folder}/*.parquet')").arrow()
    owner = people.sql.query(OWNER, f"SELECT count(*) FROM read_parquet('{folder}/*.parquet')")
    assert owner.fetchall() == [(3,)]


def test_pseudonyms_join_across_tables(people: Platform) -> None:
    orders = pa.table({"customer_id": [1001, 1001, 1003], "total": [1, 2, 3]})
    people.tables.create(OWNER, "orders", orders)
    people.pii.tag(OWNER, "orders", "customer_id", "id", policy="hash")
    joined = people.sql.query(
        VIEWER,
        "SELECT p.full_name, sum(o.total) AS spent FROM orders o "
        "JOIN people p USING (customer_id) GROUP BY 1",
    ).fetchall()
    assert joined == [("***", 6)]


def test_table_reads_are_masked(people: Platform) -> None:
    data = people.tables.read(VIEWER, "people", columns=["email", "full_name"])
    assert data.column("email").to_pylist()[:2] == ["a***@example.com", "b***@example.org"]
    assert set(data.column("full_name").to_pylist()) == {"***"}
    assert people.tables.read(OWNER, "people").equals(PEOPLE)


def test_the_rest_preview_and_sql_are_masked(people: Platform) -> None:
    app = create_app(people.settings.model_copy(update={"scheduler": False}))
    app.state.platform.unmask = people.unmask
    with TestClient(app) as client:
        headers = {"X-Lakeworks-User": "viewer"}
        base = "/api/v1/workspaces/default"
        preview = client.get(f"{base}/tables/people/preview", headers=headers)
        query = client.post(
            f"{base}/sql", json={"query": "SELECT email FROM people"}, headers=headers
        )
    assert preview.status_code == 200 and query.status_code == 200, query.text
    assert "alice@example.com" not in preview.text + query.text
    assert "a***@example.com" in preview.text and "a***@example.com" in query.text


def test_policy_none_tags_without_masking(people: Platform) -> None:
    people.pii.tag(OWNER, "people", "full_name", "name", policy="none")
    names = people.sql.query(VIEWER, "SELECT full_name FROM people ORDER BY 1").fetchall()
    assert names[0] == ("Alice Martin",)


def test_untag_unmasks(people: Platform) -> None:
    people.pii.untag(OWNER, "people", "email")
    assert people.tables.read(VIEWER, "people").column("email")[0].as_py() == "alice@example.com"
    with pytest.raises(NotFoundError, match="column 'email' of table 'people' has no PII tag"):
        people.pii.untag(OWNER, "people", "email")


@pytest.mark.parametrize(
    ("column", "tag", "policy", "message"),
    [
        ("nope", "email", None, "table 'people' has no column 'nope'"),
        ("email", "passport", None, "unknown PII tag 'passport' for column 'email'"),
        ("email", "email", "shuffle", "unknown masking policy 'shuffle' for column 'email'"),
    ],
)
def test_bad_tags_are_refused_naming_table_and_column(
    people: Platform, column: str, tag: str, policy: str | None, message: str
) -> None:
    before = people.pii.tags(OWNER, "people")
    with pytest.raises(InvalidInputError, match=message):
        people.pii.tag(OWNER, "people", column, tag, policy)
    assert people.pii.tags(OWNER, "people") == before


def test_tagging_a_missing_table_is_not_found(people: Platform) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        people.pii.tag(OWNER, "nope", "email", "email")


def test_the_pii_rest_routes(people: Platform) -> None:
    app = create_app(people.settings.model_copy(update={"scheduler": False}))
    with TestClient(app) as client:
        base = "/api/v1/workspaces/default/pii"
        scan = client.post(f"{base}/people/scan")
        tagged = client.put(f"{base}/people", params={"column": "ssn"}, json={"tag": "id"})
        bad = client.put(f"{base}/people", params={"column": "ssn"}, json={"tag": "dna"})
        listed = client.get(base, params={"table": "people"})
    assert {s["column"] for s in scan.json()} >= {"email", "ssn"}
    assert tagged.json()["policy"] == "hash" and bad.status_code == 422
    assert [t["column"] for t in listed.json()] == [
        "customer_id", "email", "full_name", "phone", "ssn",
    ]  # fmt: skip


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"long" * 40])
def test_fast_pseudonyms_are_hmac_sha256(key: bytes) -> None:
    from lakeworks.security.masking import Pseudonyms, pseudonym

    values = pa.chunked_array([["a", None, "a"], ["b", "é", ""]])
    fast = Pseudonyms(key).array(values).to_pylist()
    assert fast == [None if v is None else pseudonym(key, v) for v in values.to_pylist()]


def test_profiles_hide_the_values_of_masked_columns(people: Platform) -> None:
    owner = people.quality.profile(OWNER, "people")
    assert owner.columns["email"]["max"] == "bob@example.org"
    viewer = people.quality.profile(VIEWER, "people")
    assert viewer.columns["email"] == {
        k: v for k, v in owner.columns["email"].items() if k not in ("min", "max", "top")
    } | {"masked": True}
    assert "bob@example.org" not in repr(viewer) and "Alice" not in repr(viewer)
    assert viewer.columns["amount"] == owner.columns["amount"]


def test_pseudonyms_in_sql_equal_hmac_sha256_for_every_kind_of_value(people: Platform) -> None:
    values = ["1001", "é", "", "a" * 300, None, "1001"]  # repeated, unicode, empty, long
    people.tables.create(OWNER, "ids", pa.table({"v": values, "n": range(len(values))}))
    people.pii.tag(OWNER, "ids", "v", "id", policy="hash")
    found = people.sql.query(VIEWER, "SELECT v FROM ids ORDER BY n").arrow()
    assert found.column("v").to_pylist() == [
        None if v is None else pseudonym(people, v) for v in values
    ]
    read = people.tables.read(VIEWER, "ids").sort_by("n").column("v").to_pylist()
    assert read == found.column("v").to_pylist()


def test_the_key_is_in_no_sql_text_a_masked_reader_can_read(people: Platform) -> None:
    key = pii_key(people.settings)
    shown = [
        people.sql.query(VIEWER, "SELECT sql FROM duckdb_views()").fetchall(),
        people.sql.query(VIEWER, "SELECT * FROM duckdb_functions()").fetchall(),
        people.sql.query(VIEWER, "EXPLAIN SELECT * FROM people").fetchall(),
    ]
    text = repr(shown)
    assert "lw_pseudonym" in text  # the views call it
    assert key.hex() not in text.lower() and repr(key)[2:-1] not in text
    with pytest.raises(QueryError, match="lw_pseudonym") as excinfo:  # a binder error
        people.sql.query(VIEWER, "SELECT lw_pseudonym(customer_id, 1) FROM people").fetchall()
    assert key.hex() not in str(excinfo.value).lower()


def test_a_masked_reader_cannot_redefine_the_pseudonym_function(people: Platform) -> None:
    for sql in (  # DuckDB itself would let a macro replace the Python function
        "CREATE OR REPLACE MACRO lw_pseudonym(v) AS v",
        "CREATE OR REPLACE TEMP MACRO lw_pseudonym(v) AS v",
    ):
        with pytest.raises(QueryError, match="CREATE statements cannot run here"):
            people.sql.query(VIEWER, sql).fetchall()
    rows = people.sql.query(VIEWER, "SELECT customer_id FROM people ORDER BY amount").fetchall()
    assert rows[1][0] == pseudonym(people, "1001")
