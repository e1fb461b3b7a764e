"""Each format saves and loads a model that predicts exactly as before; whatever would run
code from a file is refused unless trusted, with the reason and the way to opt in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lakeworks.errors import InvalidInputError, MissingDependencyError, PermissionDeniedError
from lakeworks.registry import formats
from lakeworks.registry.formats.base import require
from tests.registry.conftest import need


def _round_trip(model, fmt_name: str, tmp_path: Path, trusted=False):  # noqa: ANN001, ANN202
    fmt = formats.by_name(fmt_name)
    info = fmt.save(model, tmp_path)
    return fmt.load(tmp_path, info, trusted), info


def test_sklearn_round_trip_predicts_the_same(classifier, data, tmp_path: Path) -> None:  # noqa: ANN001
    frame, _ = data
    assert formats.for_model(classifier).name == "sklearn"
    loaded, info = _round_trip(classifier, "sklearn", tmp_path)
    assert info.file == "model.skops" and not (tmp_path / "model.pkl").exists()
    np.testing.assert_array_equal(loaded.predict(frame), classifier.predict(frame))
    np.testing.assert_allclose(loaded.predict_proba(frame), classifier.predict_proba(frame))


def _square(x):  # noqa: ANN001, ANN202 - a function skops does not trust by default
    return x * x


def test_skops_file_with_an_untrusted_type_is_refused(data, tmp_path: Path) -> None:  # noqa: ANN001
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame, target = data
    model = make_pipeline(FunctionTransformer(_square), LinearRegression()).fit(frame, target)
    fmt = formats.by_name("sklearn")
    info = fmt.save(model, tmp_path)
    with pytest.raises(PermissionDeniedError) as caught:
        fmt.load(tmp_path, info)
    assert "_square" in str(caught.value) and "not trusted by default" in str(caught.value)
    assert "trusted=" in str(caught.value)
    named = f"{__name__}._square"
    loaded = fmt.load(tmp_path, info, trusted=[named])
    np.testing.assert_allclose(loaded.predict(frame), model.predict(frame))
    assert fmt.load(tmp_path, info, trusted=True).predict(frame).shape == (len(frame),)


def test_xgboost_native_json_round_trip(data, tmp_path: Path) -> None:  # noqa: ANN001
    need("xgboost")
    import xgboost

    frame, target = data
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(frame, target)
    assert formats.for_model(model).name == "xgboost"
    loaded, info = _round_trip(model, "xgboost", tmp_path)
    assert info.file == "model.json" and type(loaded) is xgboost.XGBClassifier
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame))


def test_lightgbm_native_text_round_trip_keeps_the_wrapper(data, tmp_path: Path) -> None:  # noqa: ANN001
    need("lightgbm")
    import lightgbm

    frame, target = data
    labels = np.where(target == 1, "churn", "stay")  # labels survive, not just 0/1
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(frame, labels)
    assert formats.for_model(model).name == "lightgbm"
    loaded, info = _round_trip(model, "lightgbm", tmp_path)
    assert info.file == "model.txt" and type(loaded) is lightgbm.LGBMClassifier
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame))


def test_lightgbm_regressor_round_trip(data, tmp_path: Path) -> None:  # noqa: ANN001
    need("lightgbm")
    import lightgbm

    frame, target = data
    model = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1).fit(frame, frame.income)
    loaded, _ = _round_trip(model, "lightgbm", tmp_path)
    np.testing.assert_allclose(loaded.predict(frame), model.predict(frame))


def test_onnx_round_trip_predicts_with_onnxruntime(classifier, data, tmp_path: Path) -> None:  # noqa: ANN001
    need("onnxruntime")
    need("skl2onnx")
    from lakeworks.registry.formats.onnx import convert

    frame, _ = data
    proto = convert(classifier, list(frame.columns))
    assert formats.for_model(proto).name == "onnx"
    loaded, info = _round_trip(proto, "onnx", tmp_path)
    assert (tmp_path / "model.onnx").is_file() and info.file == "model.onnx"
    np.testing.assert_array_equal(loaded.predict(frame), classifier.predict(frame))
    np.testing.assert_allclose(
        loaded.predict_proba(frame), classifier.predict_proba(frame), atol=1e-5
    )


class Doubler:
    """A custom model: no safe format knows it."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["age"].to_numpy() * 2


def test_python_model_needs_trusted_at_save_and_at_load(data, tmp_path: Path) -> None:  # noqa: ANN001
    frame, _ = data
    with pytest.raises(PermissionDeniedError) as caught:
        formats.for_model(Doubler())
    message = str(caught.value)
    assert "pickle" in message and "runs code" in message and "trusted=True" in message
    fmt = formats.for_model(Doubler(), trusted=True)
    assert fmt.name == "python" and fmt.capabilities.runs_code
    info = fmt.save(Doubler(), tmp_path)
    with pytest.raises(PermissionDeniedError, match="trusted=True to load"):
        fmt.load(tmp_path, info)
    with pytest.raises(PermissionDeniedError):
        fmt.load(tmp_path, info, trusted=["tests.registry.test_formats.Doubler"])
    loaded = fmt.load(tmp_path, info, trusted=True)
    np.testing.assert_array_equal(loaded.predict(frame), frame["age"].to_numpy() * 2)


def test_an_object_without_predict_is_refused_naming_its_type() -> None:
    with pytest.raises(InvalidInputError, match="cannot register a dict"):
        formats.for_model({"weights": [1, 2]}, trusted=True)


def test_an_unknown_format_name_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInputError) as caught:
        formats.by_name("pickle")
    assert "unknown model format 'pickle'" in str(caught.value)
    assert "sklearn" in caught.value.fields["expected"]


def test_a_missing_optional_library_names_the_extra() -> None:
    with pytest.raises(MissingDependencyError) as caught:
        require("lakeworks_no_such_module", "xgboost-cpu", "xgboost")
    assert caught.value.hint == "pip install 'lakeworks[xgboost]'"
    assert "xgboost-cpu" in str(caught.value)


def mlflow_folder(folder: Path, model, serialization: str) -> Path:  # noqa: ANN001
    """A model folder as ``mlflow.sklearn.save_model`` writes it (MLmodel as MLflow 3.18
    writes it; written here because MLflow takes some 30 s to infer requirements)."""
    import cloudpickle
    import skops.io

    folder.mkdir()
    file = "model.skops" if serialization == "skops" else "model.pkl"
    if serialization == "skops":
        skops.io.dump(model, folder / file)
    else:
        (folder / file).write_bytes(cloudpickle.dumps(model))
    (folder / "MLmodel").write_text(
        "flavors:\n"
        "  python_function:\n"
        "    loader_module: mlflow.sklearn\n"
        f"    model_path: {file}\n"
        "    predict_fn: predict\n"
        "  sklearn:\n"
        f"    pickled_model: {file}\n"
        f"    serialization_format: {serialization}\n"
        "    sklearn_version: 1.9.1\n"
        "mlflow_version: 3.18.0\n"
    )
    return folder


def test_mlflow_pickled_model_folder_is_refused(classifier, data, tmp_path: Path) -> None:  # noqa: ANN001
    frame, _ = data
    folder = mlflow_folder(tmp_path / "mlflow_model", classifier, "cloudpickle")
    fmt = formats.for_model(str(folder))
    assert fmt.name == "mlflow"
    info = fmt.save(str(folder), tmp_path / "copy")
    with pytest.raises(PermissionDeniedError) as caught:
        fmt.load(tmp_path / "copy", info)
    message = str(caught.value)
    assert "MLflow model (pickle flavor)" in message and "runs code" in message
    assert "trusted=True" in message
    loaded = fmt.load(tmp_path / "copy", info, trusted=True)
    np.testing.assert_array_equal(loaded.predict(frame), classifier.predict(frame))


def test_mlflow_skops_model_folder_loads_without_trust(classifier, data, tmp_path: Path) -> None:  # noqa: ANN001
    frame, _ = data
    folder = mlflow_folder(tmp_path / "mlflow_model", classifier, "skops")
    fmt = formats.by_name("mlflow")
    info = fmt.save(str(folder), tmp_path / "copy")
    loaded = fmt.load(tmp_path / "copy", info)
    np.testing.assert_array_equal(loaded.predict(frame), classifier.predict(frame))


def test_an_unreadable_mlmodel_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors: [unclosed")
    with pytest.raises(InvalidInputError, match="MLmodel file .* cannot be read"):
        formats.by_name("mlflow").load(tmp_path, formats.FormatInfo("mlflow", "MLmodel"))


def test_tree_models_load_without_trust_other_types_still_refused(data, tmp_path: Path) -> None:  # noqa: ANN001
    """skops lists sklearn.tree._tree.Tree as untrusted; lakeworks trusts scikit-learn's own
    types, so forests load, while a function from elsewhere still needs trust."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame, target = data
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(frame, target)
    (tmp_path / "forest").mkdir()
    loaded, _ = _round_trip(forest, "sklearn", tmp_path / "forest")
    np.testing.assert_array_equal(loaded.predict(frame), forest.predict(frame))
    risky = make_pipeline(FunctionTransformer(_square), forest).fit(frame, target)
    fmt = formats.by_name("sklearn")
    info = fmt.save(risky, tmp_path)
    with pytest.raises(PermissionDeniedError) as caught:
        fmt.load(tmp_path, info)
    assert caught.value.fields["untrusted"] == f"{__name__}._square"  # the tree is not listed
