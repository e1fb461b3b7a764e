"""The registry service on SQLite and PostgreSQL: versions, aliases and their audit,
the report gate, approvals, tags, search, deletion, loading; bad input named."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from lakeworks.context import Context
from lakeworks.errors import (
    AlreadyExistsError,
    DataQualityError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    SchemaMismatchError,
)
from lakeworks.registry.records import READY
from lakeworks.registry.service import Registry
from tests.registry.conftest import need

FAILING_FAIRNESS = {"fairness": {"passed": False, "demographic_parity_difference": 0.4}}


def _register(registry: Registry, ctx: Context, model, data, **kw):  # noqa: ANN001, ANN003, ANN202
    frame, _ = data
    return registry.register(ctx, "churn", model=model, training_data=frame, **kw)


def test_versions_count_from_one_and_are_mlflow_shaped(registry, rctx, classifier, data) -> None:  # noqa: ANN001
    first = _register(registry, rctx, classifier, data, description="baseline", tags={"t": "1"})
    second = _register(registry, rctx, classifier, data)
    assert (first.version, second.version) == (1, 2)
    assert first.status == READY and first.format == "sklearn"
    assert first.description == "baseline" and first.tags == {"t": "1"}
    assert first.created_ms > 1_600_000_000_000  # epoch milliseconds
    assert first.created_by == "tester"
    assert [v.version for v in registry.list_versions(rctx, "churn")] == [2, 1]
    model = registry.get_model(rctx, "churn")
    assert model.latest_version == 2 and model.updated_ms >= second.created_ms


def test_load_by_alias_version_and_tuple_predicts_in_the_input_kind(
    registry,
    rctx,
    classifier,
    data,  # noqa: ANN001
) -> None:
    frame, _ = data
    _register(registry, rctx, classifier, data)
    registry.set_alias(rctx, "churn", "champion", 1)
    expected = classifier.predict(frame)
    for ref in ("churn@champion", "churn/1", ("churn", 1), "churn", "models:/churn/1"):
        predictor = registry.load(rctx, ref)
        assert predictor.version.version == 1
    out = predictor.predict(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["prediction"]
    np.testing.assert_array_equal(out["prediction"].to_numpy(), expected)
    polars_out = predictor.predict(pl.from_pandas(frame))
    assert isinstance(polars_out, pl.DataFrame)
    columns = predictor.predict({c: frame[c].tolist() for c in frame.columns})
    assert columns.column("prediction").to_pylist() == expected.tolist()
    arrow_out = predictor.predict_proba(pa.Table.from_pandas(frame))
    assert isinstance(arrow_out, pa.Table) and arrow_out.column_names == ["0", "1"]
    assert predictor.signature.columns == ["age", "income", "group"]


def test_predict_with_mismatched_input_names_the_columns(registry, rctx, classifier, data) -> None:  # noqa: ANN001
    frame, _ = data
    _register(registry, rctx, classifier, data)
    predictor = registry.load(rctx, "churn/1")
    bad = frame.drop(columns=["group"]).assign(region="north")
    with pytest.raises(SchemaMismatchError) as caught:
        predictor.predict(bad)
    message = str(caught.value)
    assert "churn/1" in message and "missing column(s) group" in message
    assert "unexpected column(s) region" in message
    wrong_type = "column age expected int64, found (large_)?string"
    with pytest.raises(SchemaMismatchError, match=wrong_type):
        predictor.predict(frame.astype({"age": str}))


def test_alias_to_a_missing_version_is_refused_and_changes_nothing(
    registry,
    rctx,
    classifier,
    data,  # noqa: ANN001
) -> None:
    _register(registry, rctx, classifier, data)
    registry.set_alias(rctx, "churn", "champion", 1)
    with pytest.raises(NotFoundError) as caught:
        registry.set_alias(rctx, "churn", "champion", 7)
    assert "model 'churn' has no version 7" in str(caught.value)
    assert "its versions are 1" in str(caught.value)
    assert registry.get_model(rctx, "churn").aliases == {"champion": 1}
    assert len(registry.alias_events(rctx, "churn")) == 1
    with pytest.raises(NotFoundError, match="registered model 'nope' does not exist"):
        registry.set_alias(rctx, "nope", "champion", 1)
    with pytest.raises(NotFoundError, match="has no alias 'gold'"):
        registry.load(rctx, "churn@gold")


def test_failing_fairness_blocks_an_alias_unless_forced_and_the_force_is_recorded(
    registry,
    rctx,
    classifier,
    data,  # noqa: ANN001
) -> None:
    _register(registry, rctx, classifier, data)
    _register(registry, rctx, classifier, data, reports=FAILING_FAIRNESS)
    registry.set_alias(rctx, "churn", "champion", 1)
    with pytest.raises(DataQualityError) as caught:
        registry.set_alias(rctx, "churn", "champion", 2)
    assert "fairness" in str(caught.value) and "force=True" in str(caught.value)
    assert registry.get_model(rctx, "churn").aliases == {"champion": 1}
    forced_by = Context("default", "lead")
    event = registry.set_alias(forced_by, "churn", "champion", 2, force=True)
    assert event.forced and event.from_version == 1 and event.to_version == 2
    assert "fairness" in event.reason
    events = registry.alias_events(rctx, "churn", "champion")
    assert [(e.from_version, e.to_version, e.forced, e.moved_by) for e in events] == [
        (None, 1, False, "tester"),
        (1, 2, True, "lead"),
    ]
    assert registry.load(rctx, "churn@champion").version.version == 2


def test_approvals_are_recorded_with_who_and_when(registry, rctx, classifier, data) -> None:  # noqa: ANN001
    _register(registry, rctx, classifier, data)
    registry.approve(rctx, "churn", 1, "reviewed", comment="metrics ok")
    approval = registry.approve(Context("default", "risk"), "churn", 1)
    assert approval.stage == "approved" and approval.approved_by == "risk"
    history = registry.approvals(rctx, "churn", 1)
    assert [(a.stage, a.approved_by, a.comment) for a in history] == [
        ("reviewed", "tester", "metrics ok"),
        ("approved", "risk", None),
    ]
    assert history[0].at_ms <= history[1].at_ms
    assert registry.get_version(rctx, "churn", 1).stage == "approved"
    with pytest.raises(NotFoundError):
        registry.approve(rctx, "churn", 5)
    with pytest.raises(InvalidInputError, match="approval stage"):
        registry.approve(rctx, "churn", 1, stage="")


def test_concurrent_registrations_get_distinct_numbers(registry, rctx, classifier) -> None:  # noqa: ANN001
    registry.create_model(rctx, "racy")
    numbers: list[int] = []
    errors: list[BaseException] = []

    def register() -> None:
        try:
            for _ in range(3):
                numbers.append(registry.register(rctx, "racy", model=classifier).version)
                registry.set_alias(rctx, "racy", "newest", numbers[-1])  # racing moves too
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(numbers) == list(range(1, 10))


def test_tags_descriptions_and_their_errors(registry, rctx, classifier) -> None:  # noqa: ANN001
    registry.register(rctx, "churn", model=classifier)
    registry.set_tag(rctx, "churn", "team", "risk")
    registry.set_tag(rctx, "churn", "team", "growth")  # replaces
    registry.set_tag(rctx, "churn", "data", "v3", version=1)
    assert registry.get_model(rctx, "churn").tags == {"team": "growth"}
    assert registry.get_version(rctx, "churn", 1).tags == {"data": "v3"}
    registry.delete_tag(rctx, "churn", "data", version=1)
    assert registry.get_version(rctx, "churn", 1).tags == {}
    with pytest.raises(NotFoundError, match="has no tag 'data'"):
        registry.delete_tag(rctx, "churn", "data", version=1)
    assert registry.update_model(rctx, "churn", "predicts churn").description == "predicts churn"
    assert registry.update_version(rctx, "churn", 1, "first").description == "first"
    with pytest.raises(AlreadyExistsError):
        registry.create_model(rctx, "churn")
    with pytest.raises(InvalidInputError, match="invalid tag key .* 1 to 250 characters"):
        registry.set_tag(rctx, "churn", "k" * 251, "v")
    with pytest.raises(InvalidInputError, match="invalid tag key ''"):
        registry.register(rctx, "churn", model=classifier, tags={"": "x"})
    assert [v.version for v in registry.list_versions(rctx, "churn")] == [1]


def test_search_versions_and_models_with_the_mlflow_grammar(registry, rctx, classifier) -> None:  # noqa: ANN001
    registry.register(rctx, "churn", model=classifier, tags={"team": "risk"})
    registry.register(rctx, "Churn_B", model=classifier)
    registry.register(rctx, "fraud", source="s3://bucket/m", run_id="abc123")
    names = lambda page: [(v.name, v.version) for v in page.items]  # noqa: E731
    assert names(registry.search_versions(rctx, "name = 'churn'")) == [("churn", 1)]
    like = registry.search_versions(rctx, "name LIKE '%hurn%'")
    assert names(like) == [("Churn_B", 1), ("churn", 1)]
    assert names(registry.search_versions(rctx, "name LIKE 'c%'")) == [("churn", 1)]  # case
    ilike = registry.search_versions(rctx, "name ILIKE 'c%'")
    assert names(ilike) == [("Churn_B", 1), ("churn", 1)]
    assert names(registry.search_versions(rctx, "run_id = 'abc123'")) == [("fraud", 1)]
    assert names(registry.search_versions(rctx, "tags.team = 'risk'")) == [("churn", 1)]
    models = registry.search_models(rctx, "name LIKE '%r%'", order_by=["name DESC"])
    assert [m.name for m in models.items] == ["fraud", "churn", "Churn_B"]
    first = registry.search_versions(rctx, max_results=2)
    assert len(first.items) == 2 and first.next_page_token
    rest = registry.search_versions(rctx, max_results=2, page_token=first.next_page_token)
    assert len(rest.items) == 1 and rest.next_page_token is None
    with pytest.raises(InvalidInputError, match="column 6"):
        registry.search_versions(rctx, "name == 'x'")
    with pytest.raises(InvalidInputError, match="unknown attribute 'metric_x'"):
        registry.search_versions(rctx, "metric_x = 'x'")
    with pytest.raises(InvalidInputError, match="page_token"):
        registry.search_versions(rctx, page_token="garbage")


def test_a_source_only_version_is_recorded_but_cannot_be_loaded(registry, rctx) -> None:  # noqa: ANN001
    version = registry.register(rctx, "ext", source="mlflow-artifacts:/1/abc/artifacts/model")
    assert version.status == READY and version.format is None
    with pytest.raises(NotFoundError, match="registered by source only"):
        registry.load(rctx, "ext/1")


def test_delete_version_drops_its_aliases_with_an_event(registry, rctx, classifier) -> None:  # noqa: ANN001
    registry.register(rctx, "churn", model=classifier)
    registry.register(rctx, "churn", model=classifier)
    registry.set_alias(rctx, "churn", "champion", 2)
    registry.delete_version(rctx, "churn", 2)
    assert registry.get_model(rctx, "churn").aliases == {}
    last = registry.alias_events(rctx, "churn")[-1]
    assert (last.from_version, last.to_version, last.reason) == (2, None, "version 2 deleted")
    with pytest.raises(NotFoundError):
        registry.load(rctx, "churn/2")
    assert registry.register(rctx, "churn", model=classifier).version == 2  # MLflow reuses it


def test_a_pickled_model_is_refused_at_registration_and_nothing_is_left(registry, rctx) -> None:  # noqa: ANN001
    class Custom:
        def predict(self, frame):  # noqa: ANN001, ANN202
            return np.zeros(len(frame))

    with pytest.raises(PermissionDeniedError) as caught:
        registry.register(rctx, "custom", model=Custom())
    assert "loading a pickle runs code" in str(caught.value) and "trusted=True" in str(caught.value)
    assert registry.list_versions(rctx, "custom") == []
    registry.register(rctx, "custom", model=Custom(), trusted=True)
    with pytest.raises(PermissionDeniedError, match="trusted=True to load"):
        registry.load(rctx, "custom/1")
    out = registry.load(rctx, "custom/1", trusted=True).predict(pa.table({"x": [1, 2]}))
    assert out.column("prediction").to_pylist() == [0.0, 0.0]


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # input checks


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("churn/zero", "invalid model version 'zero'"),
        ("churn/0", "versions are integers from 1"),
        (("churn", True), "invalid model version True"),
        (42, "cannot read a model reference"),
        ("", "invalid model name"),
        ("a@", "invalid alias name"),
    ],
)
def test_bad_references_are_named(registry, rctx, ref, message: str) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInputError, match=message):
        registry.load(rctx, ref)


@SQLITE_ONLY
def test_bad_registrations_are_named(registry, rctx, classifier) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInputError, match="nothing to register"):
        registry.register(rctx, "churn")
    with pytest.raises(InvalidInputError, match="invalid model name 'a/b'"):
        registry.register(rctx, "a/b", model=classifier)
    with pytest.raises(InvalidInputError, match="unknown report kind 'vibes'"):
        registry.register(rctx, "churn", model=classifier, reports={"vibes": {}})
    with pytest.raises(InvalidInputError, match="artifact_path= needs the run_id="):
        registry.register(rctx, "churn", artifact_path="model")
    assert registry.list_models(rctx) == [] or registry.list_versions(rctx, "churn") == []


def _labelled(data) -> pd.DataFrame:  # noqa: ANN001
    frame, target = data
    return frame.assign(label=target)


@SQLITE_ONLY
def test_registration_computes_card_evaluation_fairness_and_explanation(
    registry,
    rctx,
    classifier,
    data,  # noqa: ANN001
) -> None:
    frame, _ = data
    version = registry.register(
        rctx,
        "churn",
        model=classifier,
        training_data=frame,
        description="flags customers likely to leave",
        evaluation_data=_labelled(data),
        target="label",
        sensitive_column="group",
        fairness_threshold=1.0,  # every gap passes
    )
    reports = {r.kind: r for r in registry.reports(rctx, "churn", version.version)}
    assert sorted(reports) == ["card", "evaluation", "explanation", "fairness"]
    assert reports["fairness"].passed is True
    assert {g["group"] for g in reports["fairness"].body["groups"]} == {"0", "1"}
    assert reports["evaluation"].passed is None  # no min_metrics: informative only
    assert 0 <= reports["evaluation"].body["metrics"]["accuracy"] <= 1
    assert set(reports["explanation"].body["importance"]) == {"age", "income", "group"}
    card = reports["card"].body
    assert card["intended_use"] == "flags customers likely to leave"
    assert card["owner"] == "tester" and card["fairness"]["passed"] is True
    assert card["signature"]["inputs"][0]["name"] == "age"


@SQLITE_ONLY
def test_a_fairness_threshold_crossed_fails_the_report_and_gates_the_alias(
    registry,
    rctx,
    classifier,
    data,  # noqa: ANN001
) -> None:
    labelled = _labelled(data)
    labelled["group"] = (labelled["income"] > 50).astype("int64")  # a proxy of the target
    version = registry.register(
        rctx,
        "churn",
        model=classifier,
        evaluation_data=labelled,
        target="label",
        sensitive_column="group",
        fairness_threshold=0.05,
        min_metrics={"accuracy": 0.0},
    )
    reports = {r.kind: r for r in registry.reports(rctx, "churn", version.version)}
    assert reports["fairness"].passed is False and reports["fairness"].body["failures"]
    assert reports["evaluation"].passed is True
    with pytest.raises(DataQualityError, match="fairness"):
        registry.set_alias(rctx, "churn", "champion", version.version)


@SQLITE_ONLY
def test_failing_min_metrics_marks_the_evaluation_failing(registry, rctx, classifier, data) -> None:  # noqa: ANN001
    version = registry.register(
        rctx,
        "churn",
        model=classifier,
        evaluation_data=_labelled(data),
        target="label",
        min_metrics={"accuracy": 1.01},
    )
    evaluation = {r.kind: r for r in registry.reports(rctx, "churn", 1)}["evaluation"]
    assert evaluation.passed is False and "accuracy" in evaluation.body["below"]
    with pytest.raises(DataQualityError, match="evaluation"):
        registry.set_alias(rctx, "churn", "champion", version.version)
    with pytest.raises(InvalidInputError, match="does not compute: \\['auc_typo'\\]"):
        registry.register(
            rctx,
            "churn",
            model=classifier,
            evaluation_data=_labelled(data),
            target="label",
            min_metrics={"auc_typo": 0.5},
        )
    assert [v.version for v in registry.list_versions(rctx, "churn")] == [1]  # nothing left


@SQLITE_ONLY
def test_fairness_without_labelled_data_is_refused_before_anything_is_stored(
    registry,
    rctx,
    classifier,  # noqa: ANN001
) -> None:
    with pytest.raises(InvalidInputError, match="needs evaluation_data= and target="):
        registry.register(rctx, "churn", model=classifier, sensitive_column="group")
    with pytest.raises(NotFoundError):
        registry.get_model(rctx, "churn")


def _fitted(kind: str, data):  # noqa: ANN001, ANN202
    frame, target = data
    if kind == "xgboost":
        need("xgboost")
        import xgboost

        return xgboost.XGBClassifier(n_estimators=4, max_depth=2).fit(frame, target)
    if kind == "lightgbm":
        need("lightgbm")
        import lightgbm

        return lightgbm.LGBMClassifier(n_estimators=4, verbose=-1).fit(frame, target)
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(frame, target)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("kind", "format"),
    [("sklearn", None), ("xgboost", None), ("lightgbm", None), ("sklearn", "onnx")],
)
def test_each_format_through_the_registry_predicts_the_same(
    registry,
    rctx,
    data,
    kind: str,
    format: str | None,  # noqa: ANN001
) -> None:
    if format == "onnx":
        need("onnxruntime")
        need("skl2onnx")
    frame, _ = data
    model = _fitted(kind, data)
    version = registry.register(rctx, "m", model=model, training_data=frame, format=format)
    assert version.format == (format or kind)
    predictor = registry.load(rctx, "m/1")
    got = predictor.predict(pa.Table.from_pandas(frame)).column("prediction").to_numpy()
    np.testing.assert_array_equal(got, model.predict(frame))
    proba = predictor.predict_proba(frame).to_numpy()
    np.testing.assert_allclose(proba, model.predict_proba(frame), atol=1e-5)


def _cube(x):  # noqa: ANN001, ANN202 - a function skops does not trust by default
    return x**3


@SQLITE_ONLY
def test_a_registered_skops_model_with_an_untrusted_type_loads_only_when_named(
    registry,
    rctx,
    data,  # noqa: ANN001
) -> None:
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame, target = data
    model = make_pipeline(FunctionTransformer(_cube), LinearRegression()).fit(frame, target)
    registry.register(rctx, "cubic", model=model, training_data=frame)
    with pytest.raises(PermissionDeniedError, match="_cube"):
        registry.load(rctx, "cubic/1")
    loaded = registry.load(rctx, "cubic/1", trusted=[f"{__name__}._cube"])
    np.testing.assert_allclose(loaded.predict(frame)["prediction"], model.predict(frame))
