"""One store, two doors: runs the MLflow client logs are the SDK's runs, and back."""

from __future__ import annotations

import pytest

import lakeworks as lw
from lakeworks.config import Settings

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)


def test_runs_cross_between_the_mlflow_client_and_the_sdk(mlflow, server) -> None:
    mlflow.set_experiment("both-doors")
    with mlflow.start_run(run_name="from-mlflow") as logged:
        mlflow.log_param("depth", 6)
        mlflow.log_metric("auc", 0.8, step=1)
    ws = lw.connect(settings=Settings.load(home=server.home, progress=False), user="sdk")
    try:
        (seen,) = ws.runs.search("both-doors")
        assert seen.id == logged.info.run_id and seen.info.name == "from-mlflow"
        assert seen.params == {"depth": "6"} and seen.metric_values == {"auc": 0.8}
        with ws.start_run("both-doors", name="from-sdk") as run:
            run.log_param("depth", 8)
            for step in range(3):
                run.log_metric("auc", 0.85 + step / 100, step=step)
        sdk_run_id = run.id
    finally:
        ws.platform.close()
    found = {
        r.info.run_name: r
        for r in mlflow.search_runs(experiment_names=["both-doors"], output_format="list")
    }
    assert set(found) == {"from-mlflow", "from-sdk"}
    from_sdk = found["from-sdk"]
    assert from_sdk.info.run_id == sdk_run_id and from_sdk.info.status == "FINISHED"
    assert from_sdk.data.params == {"depth": "8"} and from_sdk.data.metrics == {"auc": 0.87}
    history = mlflow.MlflowClient().get_metric_history(sdk_run_id, "auc")
    assert [m.step for m in history] == [0, 1, 2]
