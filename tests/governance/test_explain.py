"""explain(): the model's own importance, permutation importance, TreeSHAP from XGBoost and
LightGBM (contributions add up to the raw prediction), shap for scikit-learn trees when it
is installed, and the bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from lakeworks.errors import InvalidInputError, UserCodeError
from lakeworks.governance import explain


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """'signal' decides the label, 'weak' nudges it, 'noise' does nothing."""
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {"signal": rng.normal(size=n), "weak": rng.normal(size=n), "noise": rng.normal(size=n)}
    )
    frame["y"] = (frame["signal"] + 0.3 * frame["weak"] > 0).astype(int)
    return frame


FEATURES = ["signal", "weak", "noise"]


def test_random_forest_uses_its_own_importances(data: pd.DataFrame) -> None:
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(data[FEATURES], data["y"])
    explanation = explain(model, data, target="y", sample=100)
    assert explanation.method == "feature_importances_"
    assert list(explanation.importance)[0] == "signal"
    assert sum(explanation.importance.values()) == pytest.approx(1.0)
    assert explanation.sample_rows == 100
    assert explanation.model == "RandomForestClassifier"


def test_logistic_regression_uses_coefficients(data: pd.DataFrame) -> None:
    model = LogisticRegression().fit(data[FEATURES], data["y"])
    explanation = explain(model, data)
    assert explanation.method == "coef_"
    assert [name for name, _ in explanation.top(2)] == ["signal", "weak"]
    assert explanation.importance["signal"] == pytest.approx(abs(model.coef_[0][0]))
    assert explanation.shap is None
    assert any("tree models only" in note for note in explanation.notes)
    assert any("one scale" in note for note in explanation.notes)


def test_permutation_importance_when_the_model_has_none(data: pd.DataFrame) -> None:
    model = KNeighborsClassifier().fit(data[FEATURES], data["y"])
    explanation = explain(model, data, target="y", sample=150)
    assert explanation.method == "permutation"
    assert list(explanation.importance)[0] == "signal"
    assert explanation.importance["signal"] > 0.2 > abs(explanation.importance["noise"])
    assert set(explanation.importance_std) == set(FEATURES)
    # no target: nothing to permute against, said in a note
    bare = explain(model, data.drop(columns="y"))
    assert bare.method == "none" and bare.importance == {}
    assert any("pass target=" in note for note in bare.notes)


def test_the_sample_is_fixed_and_bounded(data: pd.DataFrame) -> None:
    model = KNeighborsClassifier().fit(data[FEATURES], data["y"])
    first = explain(model, data, target="y", sample=50)
    assert first.sample_rows == 50
    assert first.importance == explain(model, data, target="y", sample=50).importance
    assert explain(model, data.head(10), target="y", sample=50).sample_rows == 10


def test_xgboost_shap_sums_to_prediction_minus_base_value(data: pd.DataFrame) -> None:
    xgboost = pytest.importorskip("xgboost")
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=3).fit(data[FEATURES], data["y"])
    explanation = explain(model, data, target="y", sample=60)
    shap = explanation.shap
    assert shap.method == "xgboost pred_contribs"
    assert shap.outputs == ("value",) and shap.features == tuple(FEATURES)
    values = np.array(shap.values[0])  # (rows, features)
    assert values.shape == (60, 3)
    rows = np.sort(np.random.default_rng(0).permutation(len(data))[:60])
    margin = model.predict(data[FEATURES].iloc[rows], output_margin=True)
    np.testing.assert_allclose(values.sum(axis=1), margin - shap.base_values[0], atol=1e-4)
    assert list(shap.mean_abs)[0] == "signal"
    json.dumps(explanation.to_dict(), allow_nan=False)


def test_xgboost_multiclass_has_values_per_class(data: pd.DataFrame) -> None:
    xgboost = pytest.importorskip("xgboost")
    labels = np.digitize(data["signal"], [-0.5, 0.5])  # 0, 1, 2
    model = xgboost.XGBClassifier(n_estimators=10, max_depth=2).fit(data[FEATURES], labels)
    shap = explain(model, data.drop(columns="y"), sample=30).shap
    assert shap.outputs == ("0", "1", "2")
    assert np.array(shap.values).shape == (3, 30, 3)
    assert len(shap.base_values) == 3


def test_lightgbm_shap_sums_to_raw_score(data: pd.DataFrame) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(data[FEATURES], data["y"])
    shap = explain(model, data, target="y", sample=40).shap
    assert shap.method == "lightgbm pred_contrib"
    rows = np.sort(np.random.default_rng(0).permutation(len(data))[:40])
    raw = model.predict(data[FEATURES].iloc[rows], raw_score=True)
    values = np.array(shap.values[0])
    np.testing.assert_allclose(values.sum(axis=1) + shap.base_values[0], raw, atol=1e-6)
    assert list(shap.mean_abs)[0] == "signal"


def test_lightgbm_regression_shap(data: pd.DataFrame) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    target = data["signal"] * 3 + data["weak"]
    model = lightgbm.LGBMRegressor(n_estimators=30, verbose=-1).fit(data[FEATURES], target)
    explanation = explain(model, data.drop(columns="y"), sample=50)
    assert explanation.shap.outputs == ("value",)
    assert list(explanation.shap.mean_abs) == ["signal", "weak", "noise"]


def test_sklearn_trees_without_shap_say_which_extra_to_install(
    data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "shap" else real(name, *a)
    )
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(data[FEATURES], data["y"])
    explanation = explain(model, data, target="y", sample=20)
    assert explanation.shap is None
    assert any("lakeworks[shap]" in note for note in explanation.notes)


def test_sklearn_trees_with_shap(data: pd.DataFrame) -> None:
    pytest.importorskip("shap", reason="the optional extra lakeworks[shap] is not installed")
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(data[FEATURES], data["y"])
    shap = explain(model, data, target="y", sample=30).shap
    assert shap.method == "shap TreeExplainer"
    assert shap.outputs == ("0", "1")
    rows = np.sort(np.random.default_rng(0).permutation(len(data))[:30])
    proba = model.predict_proba(data[FEATURES].iloc[rows])[:, 1]
    values = np.array(shap.values[1])
    np.testing.assert_allclose(values.sum(axis=1) + shap.base_values[1], proba, atol=1e-6)


# bad input ---------------------------------------------------------------------------------
def test_bad_inputs(data: pd.DataFrame) -> None:
    model = LogisticRegression().fit(data[FEATURES], data["y"])
    with pytest.raises(InvalidInputError, match=r"target column 'label' is not in the data"):
        explain(model, data, target="label")
    with pytest.raises(InvalidInputError, match="sample must be at least 1"):
        explain(model, data, sample=0)
    with pytest.raises(InvalidInputError, match=r"feature columns \['age'\]"):
        explain(model, data, features=["signal", "age"])
    with pytest.raises(InvalidInputError, match="no feature columns"):
        explain(model, data, features=[])


def test_own_importances_of_another_width_are_not_used(data: pd.DataFrame) -> None:
    model = LogisticRegression().fit(data[FEATURES], data["y"])
    # the data lacks a column the model was fitted on: its 3 coefficients do not line up
    explanation = explain(model, data[["signal", "weak"]])
    assert explanation.method == "none"
    assert any("coef_ has 3 values for 2 features" in note for note in explanation.notes)


def test_an_engine_error_is_a_user_code_error(data: pd.DataFrame) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(data[FEATURES], data["y"])
    with pytest.raises(UserCodeError, match=r"LGBMClassifier.SHAP values \(lightgbm\) raised"):
        explain(model, data.assign(extra=1.0), features=[*FEATURES, "extra"])


def test_models_fitted_on_arrays_are_explained_by_column_position(data: pd.DataFrame) -> None:
    x = data[FEATURES].to_numpy()
    models = [KNeighborsClassifier().fit(x, data["y"])]
    for name, kind in (("xgboost", "XGBClassifier"), ("lightgbm", "LGBMClassifier")):
        module = pytest.importorskip(name)
        models.append(getattr(module, kind)(n_estimators=5).fit(x, data["y"]))
    for model in models:
        explanation = explain(model, data, target="y", sample=80)
        assert list(explanation.importance)[0] == "signal", type(model).__name__
