"""The MLflow client's model workflow against ``lakeworks server``: ``log_model`` with a
registered name, loading it back through the client, versions, aliases, tags, search."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)
PIP = ["scikit-learn"]  # given, so the client does not infer them in a subprocess (seconds)


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=300).fit(X, y), X


def test_log_model_registers_and_loads_back(mlflow, iris, tmp_path) -> None:
    import mlflow.sklearn
    from mlflow import MlflowClient

    model, X = iris
    mlflow.set_experiment("iris")
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model, name="clf", registered_model_name="iris", pip_requirements=PIP
        )
    assert str(info.registered_model_version) == "1"
    assert info.model_uri == f"models:/{info.model_id}"
    loaded = mlflow.sklearn.load_model("models:/iris/1")
    assert np.array_equal(loaded.predict(X), model.predict(X))
    by_id = mlflow.sklearn.load_model(info.model_uri)
    assert np.array_equal(by_id.predict(X[:5]), model.predict(X[:5]))

    client = MlflowClient()
    version = client.get_model_version("iris", "1")
    assert version.run_id == run.info.run_id and version.status == "READY"
    logged = client.get_logged_model(info.model_id)
    assert logged.source_run_id == run.info.run_id and logged.status.to_proto() == 2  # READY
    assert "MLmodel" in {f.path for f in client.list_logged_model_artifacts(info.model_id)}


def test_versions_aliases_tags_and_search(mlflow, iris) -> None:
    import mlflow.sklearn
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    model, X = iris
    client = MlflowClient()
    client.create_registered_model("attrition", tags={"team": "risk"}, description="first")
    with pytest.raises(MlflowException, match="RESOURCE_ALREADY_EXISTS"):
        client.create_registered_model("attrition")
    with mlflow.start_run():
        for _ in range(2):
            mlflow.sklearn.log_model(
                model, name="m", registered_model_name="attrition", pip_requirements=PIP
            )
    client.set_registered_model_alias("attrition", "champion", "1")
    client.set_registered_model_alias("attrition", "champion", "2")  # moved
    client.set_registered_model_alias("attrition", "challenger", "1")
    assert client.get_model_version_by_alias("attrition", "champion").version == "2"
    client.set_model_version_tag("attrition", "2", "validated", "yes")
    client.update_model_version("attrition", "2", description="the better one")
    found = client.get_model_version("attrition", "2")
    assert found.tags == {"validated": "yes"} and found.description == "the better one"
    assert set(found.aliases) == {"champion"}
    registered = client.get_registered_model("attrition")
    assert registered.aliases == {"champion": "2", "challenger": "1"}
    assert registered.tags == {"team": "risk"} and registered.description == "first"
    versions = client.search_model_versions("name = 'attrition'", order_by=["version_number DESC"])
    assert [v.version for v in versions] == ["2", "1"]
    assert [m.name for m in client.search_registered_models("name LIKE 'attr%'")] == ["attrition"]
    assert client.get_latest_versions("attrition")[0].version == "2"
    client.delete_registered_model_alias("attrition", "challenger")
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version_by_alias("attrition", "challenger")
    loaded = mlflow.sklearn.load_model("models:/attrition@champion")
    assert np.array_equal(loaded.predict(X[:3]), model.predict(X[:3]))
    client.delete_model_version("attrition", "1")
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version("attrition", "1")


def test_registry_bad_input_answers_in_mlflows_shape(server) -> None:
    base = f"{server.url}/api/2.0/mlflow"
    cases = [
        ("GET", "registered-models/get?name=nobody", None, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "model-versions/get?name=nobody&version=abc", None, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "registered-models/create", {"name": "a/b"}, 400, "INVALID_PARAMETER_VALUE"),
        (
            "POST",
            "registered-models/alias",
            {"name": "nobody", "alias": "x", "version": "1"},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        ("POST", "model-versions/transition-stage", {}, 404, "ENDPOINT_NOT_FOUND"),
        (
            "PATCH",
            "logged-models/m-nope",
            {"status": "LOGGED_MODEL_READY"},
            404,
            "RESOURCE_DOES_NOT_EXIST",
        ),
        (
            "POST",
            "logged-models/search",
            {"experiment_ids": ["0"], "filter": "metrics.x > 1"},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
    ]
    for method, path, body, status, code in cases:
        answer = httpx.request(method, f"{base}/{path}", json=body)
        assert (answer.status_code, answer.json()["error_code"]) == (status, code), answer.text
