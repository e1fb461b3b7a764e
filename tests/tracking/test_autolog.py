"""Autolog: scikit-learn, XGBoost and LightGBM fits logged as runs, and put back."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeRegressor

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, SchemaMismatchError
from lakeworks.registry import formats
from lakeworks.registry.files import read_record
from lakeworks.registry.formats import FormatInfo
from lakeworks.tracking import autolog
from lakeworks.tracking.records import Run
from tests.conftest import IN_CI


def need(package: str) -> ModuleType:
    """The optional library, or a skip (a failure under CI=true: it is in the dev extra)."""
    if IN_CI:
        return importlib.import_module(package)
    return pytest.importorskip(package)


@pytest.fixture(autouse=True)
def _autolog_off() -> Iterator[None]:
    yield
    autolog.disable()


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=160, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=["age", "income", "tenure", "visits"])
    return frame[:120], y[:120], frame[120:], y[120:]


def runs_of(ws: lw.Workspace, experiment: str = "default") -> list[Run]:
    try:
        return ws.runs.search(experiments=experiment)
    except NotFoundError:  # no fit made the experiment
        return []


def loaded(ws: lw.Workspace, run: Run, tmp_path: Path) -> tuple[object, dict]:
    """The run's model read back from its artifacts by the registry's format, and the
    record (format, signature) the registry reads."""
    folder = ws.platform.tracking.download_artifacts(ws.ctx, run.id, "model", tmp_path)
    record = read_record(folder)
    assert record is not None
    model = formats.by_name(record["format"]).load(folder, FormatInfo.from_dict(record))
    return model, record


def test_a_sklearn_fit_logs_params_metrics_model_and_signature(
    ws: lw.Workspace, data: tuple, tmp_path: Path
) -> None:
    X, y, X_val, y_val = data
    ws.autolog(eval_data=(X_val, y_val))
    model = LogisticRegression(C=0.5, max_iter=300).fit(X, y)
    [run] = runs_of(ws)
    assert run.info.name == "LogisticRegression" and run.info.status == "FINISHED"
    assert run.params["C"] == "0.5" and run.params["max_iter"] == "300"
    assert run.tags["lakeworks.autolog.flavor"] == "sklearn"
    assert run.metrics["training_accuracy"].value == model.score(X, y)
    assert run.metrics["eval_accuracy"].value == model.score(X_val, y_val)
    assert {"training_roc_auc", "training_log_loss", "eval_f1"} <= set(run.metrics)
    back, meta = loaded(ws, run, tmp_path)
    assert np.array_equal(back.predict_proba(X_val), model.predict_proba(X_val))
    assert meta["format"] == "sklearn" and meta["file"] == "model.skops"
    inputs = [c["name"] for c in meta["signature"]["inputs"]]
    assert inputs == ["age", "income", "tenure", "visits"]
    assert meta["signature"]["outputs"][0]["type"] == "int64"


def test_a_fit_inside_a_run_logs_into_it(ws: lw.Workspace, data: tuple) -> None:
    X, y, _, _ = data
    ws.autolog()
    with ws.start_run(experiment="mine") as run:
        DecisionTreeRegressor(max_depth=2).fit(X, y)
    [only] = runs_of(ws, "mine")
    assert only.id == run.id and only.params["max_depth"] == "2"
    assert {"training_mae", "training_rmse", "training_r2"} <= set(only.metrics)
    assert runs_of(ws) == []  # no run of its own


def test_a_grid_search_logs_once_not_per_inner_fit(ws: lw.Workspace, data: tuple) -> None:
    X, y, _, _ = data
    ws.autolog()
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    [run] = runs_of(ws)
    assert run.info.name == "GridSearchCV"
    assert run.params["estimator__C"] == "1.0" and "param_grid" in run.params
    assert run.metrics["training_accuracy"].value == search.score(X, y)


def test_a_failing_fit_is_a_failed_run_and_the_error_is_raised(
    ws: lw.Workspace, data: tuple
) -> None:
    X, y, _, _ = data
    ws.autolog()
    bad = X.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(bad, y)
    [run] = runs_of(ws)
    assert run.info.status == "FAILED" and "NaN" in run.tags["lakeworks.autolog.error"]


def test_a_logging_failure_never_loses_the_fitted_model(
    ws: lw.Workspace, data: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y, _, _ = data
    ws.autolog()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(autolog.current(), "save_model", broken)
    with pytest.warns(RuntimeWarning, match="autolog could not log the fit: OSError"):
        model = LogisticRegression().fit(X, y)
    assert model.predict(X).shape == (120,)
    [run] = runs_of(ws)
    assert run.info.status == "FINISHED" and run.params["C"] == "1.0"  # logged before it


def test_disable_puts_every_original_back(ws: lw.Workspace, data: tuple) -> None:
    xgboost = need("xgboost")
    lightgbm = need("lightgbm")
    from sklearn.model_selection._search import BaseSearchCV

    originals = {
        "lr": vars(LogisticRegression)["fit"],
        "search": vars(BaseSearchCV)["fit"],
        "xgb": xgboost.train,
        "xgb_fit": vars(xgboost.XGBClassifier)["fit"],
        "lgb": lightgbm.train,
        "lgb_fit": vars(lightgbm.LGBMClassifier)["fit"],
    }
    ws.autolog()
    ws.autolog()  # again: replaces the session, never wraps a wrapper
    assert vars(LogisticRegression)["fit"] is not originals["lr"]
    assert vars(LogisticRegression)["fit"].__lakeworks_original__ is originals["lr"]
    assert sorted(autolog.current().libraries) == ["lightgbm", "sklearn", "xgboost"]
    ws.autolog_disable()
    now = {
        "lr": vars(LogisticRegression)["fit"],
        "search": vars(BaseSearchCV)["fit"],
        "xgb": xgboost.train,
        "xgb_fit": vars(xgboost.XGBClassifier)["fit"],
        "lgb": lightgbm.train,
        "lgb_fit": vars(lightgbm.LGBMClassifier)["fit"],
    }
    assert all(now[k] is originals[k] for k in originals)
    X, y, _, _ = data
    LogisticRegression().fit(X, y)
    assert runs_of(ws) == [] and autolog.current() is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"libraries": ["torch"]}, "autolog does not know the library 'torch'"),
        ({"eval_data": "validation.csv"}, r"eval_data must be a pair \(X, y\)"),
    ],
)
def test_bad_options_patch_nothing(ws: lw.Workspace, options: dict, message: str) -> None:
    original = vars(LogisticRegression)["fit"]
    with pytest.raises(InvalidInputError, match=message):
        ws.autolog(**options)
    assert vars(LogisticRegression)["fit"] is original and autolog.current() is None


def test_xgboost_logs_each_round_and_a_model_that_loads_back(
    ws: lw.Workspace, data: tuple, tmp_path: Path
) -> None:
    xgboost = need("xgboost")
    X, y, X_val, y_val = data
    ws.autolog(libraries=["xgboost"])
    model = xgboost.XGBClassifier(n_estimators=6, max_depth=2)
    model.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    [run] = runs_of(ws)  # fit calls xgboost.train inside: logged once
    assert run.info.name == "XGBClassifier" and run.params["n_estimators"] == "6"
    history = ws.runs.metric_history(run.id, "validation_0-logloss")
    expected = model.evals_result()["validation_0"]["logloss"]
    assert [m.step for m in history] == list(range(6))
    assert [m.value for m in history] == pytest.approx(expected)
    assert "training_accuracy" in run.metrics
    back, meta = loaded(ws, run, tmp_path)
    assert meta["format"] == "xgboost"
    assert np.array_equal(back.predict(X_val), model.predict(X_val))
    assert len(meta["signature"]["inputs"]) == 4


def test_xgboost_train_is_logged_with_its_evaluations(
    ws: lw.Workspace, data: tuple, tmp_path: Path
) -> None:
    xgboost = need("xgboost")
    X, y, X_val, y_val = data
    ws.autolog(libraries=["xgboost"])
    train, valid = xgboost.DMatrix(X, label=y), xgboost.DMatrix(X_val, label=y_val)
    mine: dict = {}
    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": 2},
        train,
        4,
        evals=[(train, "train"), (valid, "valid")],
        evals_result=mine,
        verbose_eval=False,
    )
    assert len(mine["valid"]["logloss"]) == 4  # the caller's dict is still filled
    [run] = runs_of(ws)
    assert run.info.name == "xgboost.train" and run.params["num_boost_round"] == "4"
    assert {"train-logloss", "valid-logloss"} <= set(run.metrics)
    assert run.metrics["valid-logloss"].step == 3
    back, meta = loaded(ws, run, tmp_path)
    assert np.array_equal(back.predict(valid), booster.predict(valid))
    names = [c["name"] for c in meta["signature"]["inputs"]]
    assert names == ["age", "income", "tenure", "visits"]


def test_lightgbm_logs_each_round_and_a_model_that_loads_back(
    ws: lw.Workspace, data: tuple, tmp_path: Path
) -> None:
    lightgbm = need("lightgbm")
    X, y, X_val, y_val = data
    ws.autolog(libraries=["lightgbm"], eval_data=(X_val, y_val))
    model = lightgbm.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1)
    model.fit(X, y, eval_X=(X_val,), eval_y=(y_val,))
    [run] = runs_of(ws)
    assert run.info.name == "LGBMClassifier" and run.params["num_leaves"] == "4"
    history = ws.runs.metric_history(run.id, "valid_0-binary_logloss")
    assert [m.step for m in history] == list(range(5))
    assert "eval_roc_auc" in run.metrics
    back, meta = loaded(ws, run, tmp_path)
    assert meta["format"] == "lightgbm"
    assert np.allclose(back.predict_proba(X_val), model.predict_proba(X_val))


def test_lightgbm_train_is_logged(ws: lw.Workspace, data: tuple, tmp_path: Path) -> None:
    lightgbm = need("lightgbm")
    X, y, X_val, y_val = data
    ws.autolog(libraries=["lightgbm"])
    train = lightgbm.Dataset(X, label=y)
    booster = lightgbm.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 4},
        train,
        3,
        valid_sets=[lightgbm.Dataset(X_val, label=y_val, reference=train)],
        valid_names=["holdout"],
    )
    [run] = runs_of(ws)
    assert run.info.name == "lightgbm.train" and run.params["num_leaves"] == "4"
    assert [m.step for m in ws.runs.metric_history(run.id, "holdout-binary_logloss")] == [0, 1, 2]
    back, meta = loaded(ws, run, tmp_path)
    assert np.allclose(back.predict(X_val), booster.predict(X_val))
    assert [c["name"] for c in meta["signature"]["inputs"]][0] == "age"


def test_the_logged_model_registers_from_its_run(ws: lw.Workspace, data: tuple) -> None:
    X, y, X_val, _ = data
    ws.autolog()
    model = LogisticRegression(max_iter=300).fit(X, y)
    ws.autolog_disable()
    [run] = runs_of(ws)
    version = ws.models.register("churn", run_id=run.id, artifact_path="model")
    predictor = ws.models.load(f"churn/{version.version}")
    assert predictor.predict(X_val)["prediction"].tolist() == model.predict(X_val).tolist()
    with pytest.raises(SchemaMismatchError, match="visits"):  # the signature is enforced
        predictor.predict(X_val.drop(columns=["visits"]))
