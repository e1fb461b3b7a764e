"""The unmodified MLflow client against a real ``lakeworks server``: experiments, runs,
params, metrics, tags, search, artifacts, workspaces, and the bad paths."""

from __future__ import annotations

import math
import threading
import time

import httpx
import numpy as np
import pytest

from tests.server.mlflow.conftest import at_once

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)


def test_a_run_logged_by_the_client_reads_back(mlflow) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    experiment_id = mlflow.set_experiment("churn").experiment_id
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("depth", 6)
        mlflow.log_params({"lr": 0.1, "loss": "log"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"auc": 0.91, "broken": math.nan})
        mlflow.set_tag("team", "risk")
        mlflow.log_input(
            mlflow.data.from_numpy(np.arange(6.0).reshape(3, 2), name="train"), context="training"
        )
        MlflowClient().log_batch(
            run.info.run_id,
            metrics=[Metric("batch", float(i), 1_700_000_000_000 + i, i) for i in range(3)],
            params=[Param("batch_size", "32")],
            tags=[RunTag("stage", "dev")],
        )
    got = MlflowClient().get_run(run.info.run_id)
    assert got.info.experiment_id == experiment_id and got.info.run_name == "first"
    assert got.info.status == "FINISHED" and got.info.end_time >= got.info.start_time
    assert got.data.params == {"depth": "6", "lr": "0.1", "loss": "log", "batch_size": "32"}
    assert got.data.metrics["loss"] == pytest.approx(0.2) and got.data.metrics["batch"] == 2.0
    assert math.isnan(got.data.metrics["broken"])  # stored faithfully, as MLflow does
    assert got.data.tags["team"] == "risk" and got.data.tags["stage"] == "dev"
    (dataset,) = got.inputs.dataset_inputs
    assert dataset.dataset.name == "train" and dataset.dataset.source_type == "code"
    assert {t.key: t.value for t in dataset.tags} == {"mlflow.data.context": "training"}
    history = MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
    assert mlflow.get_experiment_by_name("churn").experiment_id == experiment_id
    assert mlflow.get_experiment_by_name("no such experiment") is None


def test_the_default_experiment_is_created_on_first_use(mlflow) -> None:
    with mlflow.start_run(experiment_id="0") as run:
        mlflow.log_metric("x", 1.0)
    default = mlflow.get_experiment("0")
    assert default.name == "Default"
    assert mlflow.get_run(run.info.run_id).info.experiment_id == default.experiment_id


def test_search_runs_filters_orders_and_pages(mlflow) -> None:
    experiment_id = mlflow.create_experiment("search")
    for depth, auc in [(6, 0.95), (6, 0.7), (3, 0.99), (6, 0.85)]:
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.log_param("depth", depth)
            mlflow.log_metric("auc", auc)
    found = mlflow.search_runs(
        [experiment_id],
        filter_string="metrics.auc > 0.8 and params.depth = '6'",
        order_by=["metrics.auc DESC"],
        output_format="list",
    )
    assert [r.data.metrics["auc"] for r in found] == [0.95, 0.85]
    from mlflow import MlflowClient

    first = MlflowClient().search_runs([experiment_id], max_results=3, order_by=["metrics.auc"])
    rest = MlflowClient().search_runs(
        [experiment_id], max_results=3, order_by=["metrics.auc"], page_token=first.token
    )
    assert [r.data.metrics["auc"] for r in [*first, *rest]] == [0.7, 0.85, 0.95, 0.99]
    assert rest.token is None
    with pytest.raises(Exception, match="INVALID_PARAMETER_VALUE"):
        mlflow.search_runs([experiment_id], filter_string="metrics.auc >>> 1")


def test_artifacts_go_up_and_come_back(mlflow, tmp_path) -> None:
    (tmp_path / "report.txt").write_text("accuracy 0.9")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.csv").write_text("x,y\n1,2\n")
    big = bytes(range(256)) * (24 * 1024)  # 6 MiB, several chunks each way
    (folder / "sub" / "big.bin").write_bytes(big)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "report.txt"))
        mlflow.log_artifacts(str(folder), artifact_path="plots")
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    from mlflow import MlflowClient

    listed = MlflowClient().list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in listed] == [("plots", True), ("report.txt", False)]
    inner = MlflowClient().list_artifacts(run.info.run_id, "plots")
    assert [f.path for f in inner] == ["plots/a.csv", "plots/sub"]
    listing = httpx.get(
        f"{mlflow.get_tracking_uri()}/api/2.0/mlflow/artifacts/list",
        params={"run_id": run.info.run_id, "path": "plots/sub"},
    ).json()
    assert listing["root_uri"] == run.info.artifact_uri
    assert listing["files"] == [
        {"path": "plots/sub/big.bin", "is_dir": False, "file_size": len(big)}
    ]
    out = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "o"))
    assert (tmp_path / "o" / "report.txt").read_text() == "accuracy 0.9"
    assert (tmp_path / "o" / "plots" / "sub" / "big.bin").read_bytes() == big
    assert out.endswith("o")


def test_a_workspace_in_the_tracking_uri_path_or_header(mlflow, server, monkeypatch) -> None:
    mlflow.set_tracking_uri(f"{server.url}/workspaces/sales")
    with mlflow.start_run(experiment_id=mlflow.create_experiment("in-sales")) as run:
        mlflow.log_metric("m", 1.0)
    assert mlflow.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    monkeypatch.setenv("MLFLOW_WORKSPACE", "sales")  # the client's header
    mlflow.set_tracking_uri(server.url)
    assert mlflow.get_experiment_by_name("in-sales") is not None
    monkeypatch.delenv("MLFLOW_WORKSPACE")
    assert mlflow.get_experiment_by_name("in-sales") is None  # not in the default workspace
    with pytest.raises(Exception, match="RESOURCE_DOES_NOT_EXIST"):
        mlflow.get_run(run.info.run_id)
    mlflow.set_tracking_uri(f"{server.url}/workspaces/nowhere")
    with pytest.raises(Exception, match="workspace 'nowhere'"):
        mlflow.set_experiment("x")  # never created somewhere else


def test_two_clients_logging_to_one_run(mlflow) -> None:
    from mlflow import MlflowClient

    run = MlflowClient().create_run(mlflow.create_experiment("shared"))

    def log(worker: int) -> None:
        client = MlflowClient()
        for step in range(40):
            client.log_metric(run.info.run_id, "shared", float(step), step=step)
            client.log_metric(run.info.run_id, f"own_{worker}", float(step), step=step)
            client.log_param(run.info.run_id, "same", "value")  # same value: fine

    assert at_once(log) == []
    client = MlflowClient()
    for key in ("own_0", "own_1"):
        assert [m.step for m in client.get_metric_history(run.info.run_id, key)] == list(range(40))
    assert len(client.get_metric_history(run.info.run_id, "shared")) >= 40


def test_the_client_retries_through_a_server_restart(mlflow, server) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run(mlflow.create_experiment("restart"))
    steps, logged = 60, []

    def log() -> None:
        for step in range(steps):
            client.log_metric(
                run.info.run_id,
                "loss",
                1.0 / (step + 1),
                step=step,
                timestamp=1_700_000_000_000 + step,
            )
            logged.append(step)

    logger = threading.Thread(target=log)
    logger.start()
    while len(logged) < 20 and logger.is_alive():
        time.sleep(0.01)
    server.restart()  # kill -9 and start again: the client's retries reach the new one
    logger.join(60)
    assert logged == list(range(steps))
    # a retry whose first answer was lost arrives twice: stored once
    point = {
        "run_id": run.info.run_id,
        "key": "loss",
        "value": 0.5,
        "step": 1,
        "timestamp": 1_700_000_000_001,
    }
    for _ in range(2):
        httpx.post(f"{server.url}/api/2.0/mlflow/runs/log-metric", json=point).raise_for_status()
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(steps))  # no duplicate points


# bad input: MLflow's error shape, never a 500 --------------------------------------------
def test_unsupported_endpoints_answer_endpoint_not_found(server) -> None:
    for method, path in [
        ("GET", "/api/2.0/mlflow/no/such/thing"),
        ("POST", "/api/2.0/mlflow/traces/search"),
        ("GET", "/workspaces/sales/api/2.0/mlflow/nope"),
        ("DELETE", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x"),
    ]:
        answer = httpx.request(method, f"{server.url}{path}")
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["error_code"] == "ENDPOINT_NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "says"),
    [
        ("POST", "runs/log-batch", "{not json", 400, "INVALID_PARAMETER_VALUE", "not JSON"),
        (
            "POST",
            "runs/log-metric",
            {"run_id": "x", "key": "k"},
            400,
            "INVALID_PARAMETER_VALUE",
            "value",
        ),
        (
            "POST",
            "runs/log-metric",
            {"run_id": "x", "key": "k", "value": "high"},
            400,
            "INVALID_PARAMETER_VALUE",
            "'high'",
        ),
        (
            "GET",
            "runs/get?run_id=0123456789abcdef0123456789abcdef",
            None,
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "0123456789abcdef",
        ),
        ("GET", "experiments/get?experiment_id=abc", None, 400, "INVALID_PARAMETER_VALUE", "abc"),
        (
            "GET",
            "experiments/get?experiment_id=987654",
            None,
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "987654",
        ),
        (
            "POST",
            "experiments/create",
            {"name": "s3-place", "artifact_location": "s3://b/x"},
            400,
            "INVALID_PARAMETER_VALUE",
            "s3://b/x",
        ),
        (
            "POST",
            "experiments/search",
            {"filter": "name = 'x'"},
            400,
            "INVALID_PARAMETER_VALUE",
            "not supported",
        ),
        (
            "POST",
            "experiments/search",
            {"page_token": "abc"},
            400,
            "INVALID_PARAMETER_VALUE",
            "page_token",
        ),
        (
            "POST",
            "experiments/search",
            {"view_type": "SOME"},
            400,
            "INVALID_PARAMETER_VALUE",
            "SOME",
        ),
        (
            "POST",
            "runs/search",
            {"experiment_ids": ["0"], "max_results": 0},
            400,
            "INVALID_PARAMETER_VALUE",
            "max_results",
        ),
        ("PATCH", "logged-models/m-x", {"status": "DONE"}, 400, "INVALID_PARAMETER_VALUE", "DONE"),
        (
            "GET",
            "metrics/get-history?metric_key=loss",
            None,
            400,
            "INVALID_PARAMETER_VALUE",
            "needs run_id",
        ),
        ("GET", "artifacts/list", None, 400, "INVALID_PARAMETER_VALUE", "needs run_id"),
        (
            "GET",
            "artifacts/list?run_id=" + "0" * 32,
            None,
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "0" * 32,
        ),
    ],
)
def test_bad_requests_answer_in_mlflows_shape(server, method, path, body, status, code, says):
    url = f"{server.url}/api/2.0/mlflow/{path}"
    ajax = f"{server.url}/ajax-api/2.0/mlflow/{path}"  # the UI's spelling answers the same
    content = body if isinstance(body, str) else None
    for where in (url, ajax):
        answer = httpx.request(method, where, content=content, json=None if content else body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error_code"] == code
        assert says in answer.json()["message"]


def test_conflicts_and_bad_keys_lose_nothing(mlflow) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    experiment_id = client.create_experiment("taken")
    with pytest.raises(MlflowException, match="RESOURCE_ALREADY_EXISTS"):
        client.create_experiment("taken")
    run = client.create_run(experiment_id)
    client.log_param(run.info.run_id, "depth", "6")
    with pytest.raises(MlflowException, match="depth") as changed:
        client.log_param(run.info.run_id, "depth", "7")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE"):
        client.log_metric(run.info.run_id, "bad key!", 1.0)
    assert client.get_run(run.info.run_id).data.params == {"depth": "6"}


def test_artifact_routes_refuse_bad_paths_and_keep_no_partial_file(mlflow, server) -> None:
    from mlflow import MlflowClient

    run = MlflowClient().create_run(mlflow.create_experiment("artifact-paths"))
    root = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{run.info.experiment_id}"
    cases = [
        ("PUT", f"{root}/{run.info.run_id}/nope.txt", 400, "INVALID_PARAMETER_VALUE"),
        ("PUT", f"{root}/{'0' * 32}/artifacts/x.txt", 404, "RESOURCE_DOES_NOT_EXIST"),
        (
            "PUT",
            f"{root}/{run.info.run_id}/artifacts/a/%2E%2E/x.txt",
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        ("GET", f"{root}/{run.info.run_id}/artifacts/missing.txt", 404, "RESOURCE_DOES_NOT_EXIST"),
    ]
    for method, url, status, code in cases:
        answer = httpx.request(method, url, content=b"data")
        assert (answer.status_code, answer.json()["error_code"]) == (status, code), url

    def broken_body():
        yield b"x" * (1 << 20)
        raise RuntimeError("the client died mid-upload")

    with pytest.raises(RuntimeError):
        httpx.put(f"{root}/{run.info.run_id}/artifacts/half.bin", content=broken_body())
    assert MlflowClient().list_artifacts(run.info.run_id) == []  # no partial file appears
