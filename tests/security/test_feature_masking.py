"""Personal data in the feature store: features inherit the PII tags of their sources and
are masked at every read door (training sets, online reads over the SDK and HTTP) for a
caller without ``unmask``; the online store keeps raw values, and serving's own lookup by
entity key reads them raw."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.features import Entity, FeatureView
from lakeworks.features.masks import view_masks
from lakeworks.platform import Platform
from lakeworks.security.masking import _EXPRESSIONS, Masking
from tests.security.conftest import bearer, seed
from tests.security.test_masking import pseudonym

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CUSTOMERS = pa.table(
    {
        "customer_id": [1001, 1002],
        "ts": [T0, T0],
        "email": ["alice@example.com", None],
        "visits": [3, 5],
    }
)
customer = Entity("customer", join_keys=["customer_id"])
PROFILE = FeatureView(
    "profile", entity="customer", timestamp="ts", features=["email", "visits"], source="customers"
)
CONTACT = FeatureView(
    "contact",
    entity="customer",
    timestamp="ts",
    features=["contact", "double_visits"],
    source="SELECT customer_id, ts, upper(email) AS contact, visits * 2 AS double_visits "
    "FROM customers",
)
REFS = ["profile:email", "profile:visits", "contact:contact", "contact:double_visits"]
OWNER, VIEWER = Context("default", "owner"), Context("default", "viewer")


def _define(platform: Platform, ctx: Context) -> None:
    """Customers (email partial, id hashed), the two views materialized, an entity table."""
    platform.tables.create(ctx, "customers", CUSTOMERS)
    platform.pii.tag(ctx, "customers", "email", "email")  # partial by default
    platform.pii.tag(ctx, "customers", "customer_id", "id", policy="hash")
    platform.features.apply(ctx, [customer, PROFILE, CONTACT])
    for view in ("profile", "contact"):
        platform.features.materialize(ctx, view)
    later = T0 + timedelta(days=1)
    platform.tables.create(ctx, "asked", pa.table({"customer_id": [1001], "at": [later]}))
    platform.pii.tag(ctx, "asked", "customer_id", "id", policy="hash")


@pytest.fixture
def customers(platform: Platform) -> Platform:
    platform.catalog.create_workspace("default", "owner")
    _define(platform, OWNER)
    platform.unmask = lambda ctx: ctx.user == "owner"  # as in test_masking
    return platform


VALUES = [
    "alice@example.com",
    "bob",
    "+44 20 7946 0958",
    "x@y",
    "@a@b.c",
    "\nline@x.org",
    "é@ü.de",
    "",
    1001,
    12.5,
    True,
    None,
]


@pytest.mark.parametrize("kind", ["redact", "partial", "partial_email", "hash"])
def test_python_masks_equal_the_sql_expressions(platform: Platform, kind: str) -> None:
    masking = Masking(platform.catalog, platform.settings, lambda ctx: False)
    con = duckdb.connect()
    masking.register(con)
    for value in VALUES:
        sql = _EXPRESSIONS[kind].format(column="v")
        expected = con.execute(f"SELECT {sql} FROM (SELECT ? AS v)", [value]).fetchone()[0]
        assert masking.mask_values(kind, [value]) == [expected], (kind, value)


def test_a_feature_inherits_the_tag_of_its_column() -> None:
    policies = {"customers": {"email": "partial_email", "customer_id": "hash"}}
    assert view_masks(PROFILE, policies, lambda t: {}) == {"email": "partial_email"}
    assert view_masks(CONTACT, policies, lambda t: {}) == {"contact": "partial_email"}
    assert view_masks(CONTACT, {"orders": {"email": "redact"}}, lambda t: {}) == {}


def test_the_strictest_tag_wins_and_an_untraced_feature_is_redacted() -> None:
    both = FeatureView(
        "both",
        entity="customer",
        timestamp="ts",
        features=["label", "n"],
        source="SELECT customer_id, ts, name || email AS label, count(*) OVER () AS n "
        "FROM customers",
    )
    policies = {"customers": {"email": "partial_email", "name": "redact"}}
    assert view_masks(both, policies, lambda t: {}) == {"label": "redact", "n": "redact"}
    garbled = FeatureView(
        "garbled", entity="customer", timestamp="ts", features=["x"], source="SELECT (((  x"
    )
    assert view_masks(garbled, policies, lambda t: {}) == {"x": "redact"}


def test_the_training_set_is_masked_for_a_viewer(customers: Platform) -> None:
    rows = [{"customer_id": 1001, "at": T0 + timedelta(days=1)}]
    masked = customers.features.training_set(
        VIEWER, rows, REFS, point_in_time="event"
    ).table.to_pylist()
    assert masked == [
        {
            "customer_id": 1001,  # the caller's own rows: as given
            "at": T0 + timedelta(days=1),
            "email": "a***@example.com",
            "visits": 3,
            "contact": "A***@EXAMPLE.COM",  # computed from email: masked like it
            "double_visits": 6,
        }
    ]
    raw = customers.features.training_set(
        OWNER, rows, REFS, point_in_time="event"
    ).table.to_pylist()
    assert raw[0]["email"] == "alice@example.com" and raw[0]["contact"] == "ALICE@EXAMPLE.COM"


def test_an_entity_table_joins_raw_and_comes_back_pseudonymised(customers: Platform) -> None:
    got = customers.features.training_set(
        VIEWER, "asked", ["profile:visits"], point_in_time="event"
    ).table
    assert got.column("visits").to_pylist() == [3]  # the hashed keys still joined
    hashed = got.column("customer_id").to_pylist()
    assert hashed == [pseudonym(customers, "1001")]
    # the same pseudonym as the SQL door's: masked results join each other
    sql = customers.sql.query(VIEWER, "SELECT customer_id FROM customers WHERE visits = 3")
    assert sql.fetchall() == [(hashed[0],)]


def test_online_reads_are_masked_and_the_store_keeps_raw_values(customers: Platform) -> None:
    keys = [{"customer_id": 1001}, {"customer_id": 1002}, {"customer_id": 9}]
    masked = customers.features.online(VIEWER, REFS, keys)
    assert [v["email"] for v in masked.values] == ["a***@example.com", None, None]
    assert masked.values[0]["contact"] == "A***@EXAMPLE.COM"
    assert masked.values[0]["visits"] == 3 and masked.status[2]["email"] == "unknown_entity"
    raw = customers.features.online(OWNER, REFS, keys)
    assert raw.values[0]["email"] == "alice@example.com"
    inside = customers.features.online(VIEWER, REFS, keys, unmasked=True)  # serving's lookup
    assert inside.values[0]["email"] == "alice@example.com"


def test_a_new_tag_applies_to_the_next_online_read(customers: Platform) -> None:
    keys = [{"customer_id": 1001}]
    assert customers.features.online(VIEWER, ["profile:visits"], keys).values == [{"visits": 3}]
    customers.pii.tag(OWNER, "customers", "visits", "id", policy="redact")
    assert customers.features.online(VIEWER, ["profile:visits"], keys).values == [{"visits": "***"}]
    customers.pii.untag(OWNER, "customers", "visits")
    assert customers.features.online(VIEWER, ["profile:visits"], keys).values == [{"visits": 3}]


@pytest.fixture
def sales(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    """The seeded catalog (a token per role in ``sales``) with the customers defined."""
    settings = Settings.load(home=tmp_path / "lw", progress=False, scheduler=False)
    secrets = seed(settings)
    platform = Platform.open(settings)
    try:
        _define(platform, Context("sales", "root"))
    finally:
        platform.close()
    return settings, secrets


@pytest.mark.parametrize(
    ("role", "email"),
    [
        ("viewer", "a***@example.com"),
        ("editor", "a***@example.com"),
        ("owner", "alice@example.com"),
    ],
)
def test_the_sdk_with_a_token_reads_what_its_role_may(sales, role: str, email: str) -> None:
    settings, secrets = sales
    mine = Settings.load(home=settings.home, token=secrets[role], progress=False)
    ws = lw.connect("sales", settings=mine, create=False)
    try:
        online = ws.features.online(REFS, [{"customer_id": 1001}])
        assert online.values[0]["email"] == email
        rows = [{"customer_id": 1001, "at": T0 + timedelta(days=1)}]
        assert ws.features.training_set(rows, REFS, point_in_time="event").table.column(
            "email"
        ).to_pylist() == [email]
    finally:
        ws.platform.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A ``lakeworks server`` process with auth on (test_matrix's), the customers defined."""
    from tests.security.test_matrix import _serve

    home = tmp_path_factory.mktemp("served")
    for url, secrets in _serve(home, None):
        platform = Platform.open(Settings.load(home=home / "lw", progress=False))
        try:
            _define(platform, Context("sales", "root"))
        finally:
            platform.close()
        yield url, secrets


@pytest.mark.parametrize(
    ("role", "email"),
    [
        ("viewer", "a***@example.com"),
        ("maintainer", "a***@example.com"),
        ("owner", "alice@example.com"),
    ],
)
def test_http_reads_are_masked_by_role(served, role: str, email: str) -> None:
    import httpx

    url, secrets = served
    base = f"{url}/api/v1/workspaces/sales/features"
    body = {"features": REFS, "entity_rows": [{"customer_id": 1001}]}
    online = httpx.post(f"{base}/online", json=body, headers=bearer(secrets[role]))  # fast path
    assert online.status_code == 200, online.text
    assert online.json()["results"][0]["values"]["email"] == email
    body = {"features": REFS, "table": "asked", "point_in_time": "event"}
    built = httpx.post(f"{base}/training-set", json=body, headers=bearer(secrets[role]))
    assert built.status_code == 200, built.text
    assert built.json()["rows"][0]["email"] == email
