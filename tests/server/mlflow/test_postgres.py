"""The MLflow client against ``lakeworks server`` on a PostgreSQL catalog (a team's
deployment): logging, two clients on one run at once, search, artifacts, registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.mlflow.conftest import Server, at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.filterwarnings(
        "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
    ),
]


@pytest.fixture
def pg_server(postgres_catalog: str, tmp_path) -> Iterator[Server]:
    server = Server(tmp_path / "lw", LAKEWORKS_METADATA_URL=postgres_catalog)
    yield server
    server.kill()


def test_the_client_on_a_postgres_catalog(mlflow, pg_server, tmp_path) -> None:
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(pg_server.url)
    client = MlflowClient()
    experiment_id = mlflow.create_experiment("pg")
    run = client.create_run(experiment_id)

    def log(worker: int) -> None:
        for step in range(25):  # the same key from both: rows locked in one order
            client.log_metric(run.info.run_id, "shared", float(worker), step=step)
            client.log_param(run.info.run_id, "same", "value")

    assert at_once(log) == []
    assert len(client.get_metric_history(run.info.run_id, "shared")) == 50
    (tmp_path / "notes.txt").write_text("on postgres")
    client.log_artifact(run.info.run_id, str(tmp_path / "notes.txt"))
    client.set_terminated(run.info.run_id)
    found = mlflow.search_runs(
        [experiment_id], filter_string="params.same = 'value'", output_format="list"
    )
    assert [r.info.run_id for r in found] == [run.info.run_id]
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["notes.txt"]
    version = client.create_model_version(
        "pg-model", source=f"runs:/{run.info.run_id}/m", run_id=run.info.run_id
    )
    client.set_registered_model_alias("pg-model", "champion", version.version)
    assert client.get_model_version_by_alias("pg-model", "champion").run_id == run.info.run_id
