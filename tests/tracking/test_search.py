"""Run search on SQLite and PostgreSQL: filters, order (missing last), pages that cover
every run once, run views, bad tokens, and random searches checked against MLflow's own
in-memory filter and sort."""

from __future__ import annotations

import base64
import json
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeworks.errors import InvalidInputError
from lakeworks.meta import engine as meta_engine
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import (
    ExperimentRow,
    LatestMetricRow,
    ParamRow,
    RunRow,
    RunTagRow,
    WorkspaceRow,
)
from lakeworks.tracking.search import MAX_RESULTS, RunSearch, search_rows

NAN = float("nan")


@dataclass(frozen=True)
class FakeRun:
    """What a test run holds; ``seed`` writes it to the catalog as the service would."""

    id: str
    start_time: int = 0
    end_time: int | None = None
    status: str = "FINISHED"
    name: str = "run"
    user_id: str = "ann"
    stage: str = "active"
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def catalog(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalog]:
    """A migrated catalog shared by a module's tests; each test seeds its own experiment."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search')}/catalog.db"
    else:
        url = request.getfixturevalue("postgres_module_catalog")
    engine = meta_engine.make_engine(url)
    meta_engine.upgrade(engine)
    with Catalog(engine).session() as s:
        s.add(WorkspaceRow(name="w", created_at=datetime.now(UTC), created_by="t"))
    yield Catalog(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def postgres_module_catalog(postgres_server: str) -> Iterator[str]:
    """An empty schema for this module on the test PostgreSQL, dropped afterwards."""
    import sqlalchemy

    schema = f"lw_search_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(postgres_server)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def seed(catalog: Catalog, runs: Sequence[FakeRun]) -> int:
    """A new experiment holding ``runs``; returns its id."""
    with catalog.session() as s:
        workspace = s.query(WorkspaceRow).filter_by(name="w").one()
        experiment = ExperimentRow(
            workspace_id=workspace.id,
            name=uuid.uuid4().hex,
            lifecycle_stage="active",
            created_at=0,
            updated_at=0,
            created_by="t",
        )
        s.add(experiment)
        s.flush()
        for run in runs:
            s.add(_run_row(run, experiment.id, workspace.id))
        s.flush()
        for run in runs:
            s.add_all(ParamRow(run_id=run.id, key=k, value=v) for k, v in run.params.items())
            s.add_all(RunTagRow(run_id=run.id, key=k, value=v) for k, v in run.tags.items())
            s.add_all(_latest(run.id, k, v) for k, v in run.metrics.items())
        return experiment.id


def _run_row(run: FakeRun, experiment_id: int, workspace_id: int) -> RunRow:
    return RunRow(
        id=run.id,
        experiment_id=experiment_id,
        workspace_id=workspace_id,
        name=run.name,
        status=run.status,
        start_time=run.start_time,
        end_time=run.end_time,
        lifecycle_stage=run.stage,
        user_id=run.user_id,
    )


def _latest(run_id: str, key: str, value: float) -> LatestMetricRow:
    nan = math.isnan(value)
    return LatestMetricRow(
        run_id=run_id, key=key, value=0.0 if nan else value, step=0, timestamp=0, is_nan=nan
    )


def ids(
    catalog: Catalog,
    experiment: int,
    filter: str | None = None,
    order_by: Sequence[str] = (),
    run_view: str = "active",
    page: int = 1000,
) -> list[str]:
    """Every matching run id, following the page tokens to the end."""
    search = RunSearch.parse([experiment], filter, order_by, run_view)
    found: list[str] = []
    token = None
    with catalog.session() as s:
        while True:
            rows, token = search_rows(s, search, page, token)
            found += [row.id for row in rows]
            if token is None:
                return found
            assert len(rows) == page


# filters ------------------------------------------------------------------------------------
RUNS = [
    FakeRun(
        "a",
        1,
        10,
        "FINISHED",
        "base-1",
        "ann",
        params={"depth": "6", "lr": "0.1"},
        tags={"team": "risk"},
        metrics={"auc": 0.91, "loss": 0.3},
    ),  # fmt: skip
    FakeRun(
        "b",
        2,
        None,
        "RUNNING",
        "base-2",
        "bob",
        params={"depth": "8"},
        tags={"team": "Risk"},
        metrics={"auc": 0.7, "loss": NAN},
    ),  # fmt: skip
    FakeRun(
        "c",
        3,
        30,
        "FAILED",
        "Tuned",
        "ann",
        params={"depth": "6"},
        tags={"team": "growth", "note": "x%y"},
        metrics={"auc": 0.85},
    ),  # fmt: skip
    FakeRun("d", 4, 40, "FINISHED", "other", "cy", metrics={"loss": 0.1}),
    FakeRun(
        "e",
        5,
        50,
        "FINISHED",
        "gone",
        "ann",
        "deleted",
        params={"depth": "6"},
        metrics={"auc": 0.99},
    ),  # fmt: skip
]


@pytest.fixture(scope="module")
def experiment(catalog: Catalog) -> int:
    return seed(catalog, RUNS)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ("metrics.auc > 0.8", "ca"),
        ("metrics.auc > 0.8 and params.depth = '6' and tags.team = 'risk'", "a"),
        ("metrics.auc >= 0.85", "ca"),
        ("metrics.auc < 0.85", "b"),
        ("metrics.auc <= 0.85", "cb"),
        ("metrics.auc = 0.7", "b"),
        ("metrics.auc != 0.7", "ca"),
        ("metrics.loss > 0", "da"),  # NaN satisfies no comparison ...
        ("metrics.loss != 0.3", "db"),  # ... but !=, as in MLflow
        ("metrics.loss < 100", "da"),
        ("params.depth = '6'", "ca"),
        ("params.depth != '6'", "b"),  # a run without the param never matches
        ("params.depth LIKE '%8'", "b"),
        ("params.lr IS NULL", "dcb"),
        ("params.lr IS NOT NULL", "a"),
        ("tags.team = 'risk'", "a"),
        ("tags.team LIKE 'r%'", "a"),  # LIKE is case-sensitive on every backend
        ("tags.team ILIKE 'r%'", "ba"),
        ("tags.team LIKE '_isk'", "ba"),
        ("tags.note LIKE 'x%'", "c"),
        ("tags.note IS NULL", "dba"),
        ("status = 'FINISHED'", "da"),
        ("attributes.status != 'FINISHED'", "cb"),
        ("run_name LIKE 'base%'", "ba"),
        ("`Run name` ILIKE 'TUNED'", "c"),
        ("user_id = 'ann'", "ca"),
        ("run_id IN ('a', 'd', 'zz')", "da"),
        ("attributes.run_id NOT IN ('a', 'd')", "cb"),
        ("start_time >= 2 and start_time < 4", "cb"),
        ("created > 3", "d"),
        ("end_time > 20", "dc"),
        ("end_time != 10", "dc"),  # a running run has no end time: it never matches
        ("metrics.auc > 0.5 and metrics.auc < 0.9", "cb"),  # two conditions, one key
        ("metrics.missing > 0", ""),
        ("", "dcba"),
    ],
)
def test_filters(catalog: Catalog, experiment: int, filter: str, expected: str) -> None:
    assert "".join(ids(catalog, experiment, filter)) == expected


@pytest.mark.parametrize(
    ("view", "expected"), [("active", "dcba"), ("deleted", "e"), ("all", "edcba")]
)
def test_run_views(catalog: Catalog, experiment: int, view: str, expected: str) -> None:
    assert "".join(ids(catalog, experiment, run_view=view)) == expected
    assert "".join(ids(catalog, experiment, "metrics.auc > 0.9", run_view=view)) == "".join(
        r for r in expected if r in "ae"
    )


def test_other_experiments_are_not_searched(catalog: Catalog, experiment: int) -> None:
    other = seed(catalog, [FakeRun(uuid.uuid4().hex, metrics={"auc": 0.95})])
    assert "".join(ids(catalog, experiment, "metrics.auc > 0.9")) == "a"
    assert len(ids(catalog, other, "metrics.auc > 0.9")) == 1
    search = RunSearch.parse([experiment, other], "metrics.auc > 0.9")
    with catalog.session() as s:
        assert len(search_rows(s, search)[0]) == 2


# order --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ([], "dcba"),  # newest first
        (["metrics.auc DESC"], "acbd"),  # no auc: last
        (["metrics.auc"], "bcad"),  # ... in both directions
        (["metrics.loss"], "dabc"),  # NaN after values, before missing
        (["metrics.loss DESC"], "adbc"),
        (["params.depth"], "cabd"),  # text order; ties newest first
        (["params.depth DESC", "metrics.auc"], "bcad"),
        (["tags.team"], "bcad"),  # 'Risk' < 'growth' < 'risk' (code points)
        (["attributes.start_time ASC"], "abcd"),
        (["end_time"], "acdb"),  # no end time: last
        (["end_time DESC"], "dcab"),
        (["status", "run_id DESC"], "cdab"),
        (["run_name"], "Tuned base-1 base-2 other"),
        (["user_id DESC"], "dbca"),
    ],
)
def test_order(catalog: Catalog, experiment: int, order_by: list[str], expected: str) -> None:
    found = ids(catalog, experiment, order_by=order_by)
    if " " in expected:  # names
        names = {r.id: r.name for r in RUNS}
        assert [names[i] for i in found] == expected.split()
    else:
        assert "".join(found) == expected


def test_filter_and_sort_on_the_same_metric(catalog: Catalog, experiment: int) -> None:
    assert "".join(ids(catalog, experiment, "metrics.loss != 5", ["metrics.loss"])) == "dab"
    assert "".join(ids(catalog, experiment, "metrics.auc > 0", ["metrics.auc DESC"])) == "acb"


# pages --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def many(catalog: Catalog) -> tuple[int, list[FakeRun]]:
    """57 runs with many ties (start times, metric values, params) and some missing keys."""
    runs = [
        FakeRun(
            f"r{i:03d}",
            start_time=i // 5,
            params={"p": str(i % 4)} if i % 7 else {},
            metrics={"m": float(i % 3)} if i % 5 else {"m": NAN} if i % 10 else {},
        )
        for i in range(57)
    ]
    return seed(catalog, runs), runs


@pytest.mark.parametrize("page", [1, 2, 7, 56, 57, 58, 1000])
@pytest.mark.parametrize(
    "order_by", [[], ["metrics.m DESC"], ["params.p", "metrics.m"], ["start_time"]]
)
def test_pages_cover_every_run_exactly_once(
    catalog: Catalog, many: tuple[int, list[FakeRun]], page: int, order_by: list[str]
) -> None:
    experiment, runs = many
    whole = ids(catalog, experiment, order_by=order_by)
    paged = ids(catalog, experiment, order_by=order_by, page=page)
    assert paged == whole
    assert sorted(paged) == sorted(r.id for r in runs)


def test_a_page_is_stable_while_new_runs_are_logged(catalog: Catalog) -> None:
    runs = [FakeRun(f"s{i}", start_time=100 + i) for i in range(6)]
    experiment = seed(catalog, runs)
    search = RunSearch.parse([experiment])
    with catalog.session() as s:
        first, token = search_rows(s, search, 3)
    with catalog.session() as s:  # a newer run arrives between the pages
        workspace_id = s.get(ExperimentRow, experiment).workspace_id
        s.add(_run_row(FakeRun("s9", start_time=999), experiment, workspace_id))
    with catalog.session() as s:
        second, token = search_rows(s, search, 3, token)
    assert [r.id for r in first + second] == ["s5", "s4", "s3", "s2", "s1", "s0"]
    assert token is None


# bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("max_results", [0, -1, MAX_RESULTS + 1, 2.5, "10", True, None])
def test_max_results_out_of_range(catalog: Catalog, experiment: int, max_results: object) -> None:
    with catalog.session() as s, pytest.raises(InvalidInputError, match="max_results") as caught:
        search_rows(s, RunSearch.parse([experiment]), max_results)  # type: ignore[arg-type]
    assert caught.value.fields["expected"] == f"1..{MAX_RESULTS}"


def test_max_results_limit_itself_is_allowed(catalog: Catalog, experiment: int) -> None:
    with catalog.session() as s:
        assert len(search_rows(s, RunSearch.parse([experiment]), MAX_RESULTS)[0]) == 4


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "token",
    ["not base64 !", "bm90IGpzb24=", _token({"offset": 3}), _token([1, 2]), _token({"search": 1})],
)
def test_bad_page_tokens(catalog: Catalog, experiment: int, token: str) -> None:
    with catalog.session() as s, pytest.raises(InvalidInputError, match="invalid page token"):
        search_rows(s, RunSearch.parse([experiment]), 2, token)


def test_a_token_of_another_search_is_refused(catalog: Catalog, experiment: int) -> None:
    with catalog.session() as s:
        _, token = search_rows(s, RunSearch.parse([experiment], "metrics.auc > 0"), 1)
        assert token is not None
        other = RunSearch.parse([experiment], "metrics.auc > 0.5")
        with pytest.raises(InvalidInputError, match="another filter, order or view"):
            search_rows(s, other, 1, token)
        tampered = json.loads(base64.urlsafe_b64decode(token))
        tampered["after"].append(1)
        search = RunSearch.parse([experiment], "metrics.auc > 0")
        with pytest.raises(InvalidInputError, match="not a token this search returned"):
            search_rows(s, search, 1, _token(tampered))


def test_bad_run_view(catalog: Catalog) -> None:
    with pytest.raises(InvalidInputError, match="invalid run_view 'live'") as caught:
        RunSearch.parse([1], run_view="live")
    assert caught.value.fields["expected"] == "active, deleted, all"


def test_a_bad_filter_names_the_column(catalog: Catalog, experiment: int) -> None:
    with pytest.raises(InvalidInputError, match="column 13") as caught:
        RunSearch.parse([experiment], "metrics.auc >> 0.8")
    assert str(caught.value).endswith("metrics.auc >> 0.8\n            ^")


# random runs and searches, checked against MLflow's in-memory search ----------------------
_WORDS = ["a", "b", "A", "ab", "Ab", "b_c", "10", "9", "x%y", "", "b\\xc", "*", "[a]"]
_PATTERNS = ["a", "%b%", "A%", "_", "%_c", "%", "b_c", "1%", "x%y", "b\\_c", "*%", "[a]%"]
_NUMBERS = [-1.0, 0.0, 0.5, 1.0, 2.5, math.inf, -math.inf, NAN, NAN, NAN]

_runs = st.lists(
    st.builds(
        FakeRun,
        id=st.just(""),
        start_time=st.integers(0, 3),
        end_time=st.none() | st.integers(0, 3),
        status=st.sampled_from(["RUNNING", "FINISHED", "FAILED"]),
        name=st.sampled_from(_WORDS),
        user_id=st.sampled_from(["ann", "bob"]),
        stage=st.sampled_from(["active", "active", "deleted"]),
        params=st.dictionaries(st.sampled_from(["p1", "p2"]), st.sampled_from(_WORDS)),
        tags=st.dictionaries(st.sampled_from(["t1", "t 2"]), st.sampled_from(_WORDS)),
        metrics=st.dictionaries(st.sampled_from(["m1", "m2"]), st.sampled_from(_NUMBERS)),
    ),
    min_size=4,
    max_size=14,
)
_metric_filter = st.builds(
    "metrics.{} {} {}".format,
    st.sampled_from(["m1", "m2"]),
    st.sampled_from(["=", "!=", ">", ">=", "<", "<="]),
    st.sampled_from(["-1", "0", "0.5", "1", "2.5", "1e9"]),
)
_text_filter = st.builds(
    "{}.{} {} '{}'".format,
    st.sampled_from(["params", "tags"]),
    st.sampled_from(["p1", "p2", "t1", "`t 2`"]),
    st.sampled_from(["=", "!=", "LIKE", "ILIKE"]),
    st.sampled_from(_WORDS + _PATTERNS),
)
_null_filter = st.builds(
    "{}.{} {}".format,
    st.sampled_from(["params", "tags"]),
    st.sampled_from(["p1", "t1"]),
    st.sampled_from(["IS NULL", "IS NOT NULL"]),
)
_attribute_filter = st.one_of(
    st.builds(
        "status {} '{}'".format,
        st.sampled_from(["=", "!="]),
        st.sampled_from(["FAILED", "RUNNING"]),
    ),
    st.builds(
        "run_name {} '{}'".format,
        st.sampled_from(["=", "LIKE", "ILIKE"]),
        st.sampled_from(_PATTERNS),
    ),
    st.builds(
        "{} {} {}".format,
        st.sampled_from(["start_time", "end_time"]),
        st.sampled_from(["=", "!=", ">", "<="]),
        st.integers(0, 3),
    ),  # fmt: skip
    st.builds(
        "run_id {} ('@{}', '@{}')".format,
        st.sampled_from(["IN", "NOT IN"]),
        st.integers(0, 5),
        st.integers(0, 5),
    ),  # fmt: skip
)
_filters = st.lists(
    st.one_of(_metric_filter, _text_filter, _null_filter, _attribute_filter), max_size=2
).map(" and ".join)
_orders = st.lists(
    st.sampled_from(
        [
            "metrics.m1",
            "metrics.m2",
            "params.p1",
            "tags.`t 2`",
            "start_time",
            "end_time",
            "run_name",
            "status",
            "user_id",
            "run_id",
        ]  # fmt: skip
    ),
    max_size=3,
    unique=True,
).flatmap(lambda keys: st.tuples(*[st.sampled_from([f"{k} ASC", f"{k} DESC"]) for k in keys]))


def mlflow_search(
    runs: Sequence[FakeRun], filter: str, order_by: Sequence[str], view: str
) -> list[str]:
    """MLflow's own in-memory search (what its file store does) over the same runs."""
    from mlflow.entities import Metric, Param, Run, RunData, RunInfo, RunTag
    from mlflow.utils.search_utils import SearchUtils

    stages = {"active": {"active"}, "deleted": {"deleted"}, "all": {"active", "deleted"}}[view]
    entities = [
        Run(
            RunInfo(
                r.id, "1", r.user_id, r.status, r.start_time, r.end_time, r.stage, run_name=r.name
            ),
            RunData(
                metrics=[Metric(k, v, 0, 0) for k, v in r.metrics.items()],
                params=[Param(k, v) for k, v in r.params.items()],
                tags=[RunTag(k, v) for k, v in r.tags.items()],
            ),
        )
        for r in runs
        if r.stage in stages
    ]
    found = SearchUtils.sort(SearchUtils.filter(entities, filter), list(order_by))
    return [run.info.run_id for run in found]


_searches = st.tuples(
    _filters,
    _orders,
    st.sampled_from(["active", "active", "deleted", "all"]),
    st.sampled_from([1, 3, 1000]),  # page size; test_pages_cover_... tries more
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(runs=_runs, searches=st.lists(_searches, min_size=8, max_size=8))
def test_random_searches_match_mlflow(
    catalog: Catalog,
    runs: list[FakeRun],
    searches: list[tuple[str, tuple[str, ...], str, int]],
) -> None:
    prefix = uuid.uuid4().hex[:8]  # run ids are unique across the catalog
    runs = [FakeRun(**{**r.__dict__, "id": f"{prefix}{i}"}) for i, r in enumerate(runs)]
    experiment = seed(catalog, runs)
    for filter, order_by, view, page in searches:
        filter = filter.replace("@", prefix)
        expected = mlflow_search(runs, filter, order_by, view)
        found = ids(catalog, experiment, filter, order_by, view, page)
        assert found == expected, (filter, order_by, view)


def test_long_values_are_stored_indexed_and_found(catalog: Catalog) -> None:
    """Values past what a PostgreSQL btree entry holds (~2.7 kB) stay out of its partial
    (key, value) index and are still found, by = and by LIKE."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    chooser = random.Random(5)  # incompressible: PostgreSQL would compress a repeated one
    long = "".join(chooser.choice(letters) for _ in range(3000)) + "é"
    runs = [
        FakeRun(f"long-{uuid.uuid4().hex[:6]}", params={"blob": long}, tags={"t": long}),
        FakeRun(f"short-{uuid.uuid4().hex[:6]}", params={"blob": "x"}, tags={"t": "x"}),
    ]
    experiment = seed(catalog, runs)
    assert ids(catalog, experiment, f"params.blob = '{long}'") == [runs[0].id]
    assert ids(catalog, experiment, f"tags.t = '{long}'") == [runs[0].id]
    assert ids(catalog, experiment, "params.blob = 'x'") == [runs[1].id]
    assert ids(catalog, experiment, f"params.blob LIKE '{long[:5]}%é'") == [runs[0].id]
    assert ids(catalog, experiment, "tags.t != 'x'") == [runs[0].id]
