"""The registry through its doors: the SDK (``ws.models``), the CLI (``lakeworks models``)
and REST (``/api/v1/workspaces/{ws}/models``); and a model registered from a run's
artifacts, whose files ``lakeworks gc`` frees once its version is deleted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import PermissionDeniedError, SchemaMismatchError
from lakeworks.server.app import create_app
from tests.cli.conftest import Cli


@pytest.fixture
def ws(settings: Settings):  # noqa: ANN201
    workspace = lw.connect(
        settings=settings.model_copy(update={"tracking_gc_grace": 0}), user="tester"
    )
    yield workspace
    workspace.platform.close()


def test_sdk_register_alias_load_predict(ws, classifier, data) -> None:  # noqa: ANN001
    frame, _ = data
    version = ws.models.register("churn", classifier, training_data=frame, tags={"team": "risk"})
    ws.models.set_alias("churn", "champion", version.version)
    model = ws.models.load("churn@champion")
    np.testing.assert_array_equal(
        model.predict(frame)["prediction"].to_numpy(), classifier.predict(frame)
    )
    assert ws.models.get("churn").aliases == {"champion": 1}
    assert [v.name for v in ws.models.search("tags.team = 'risk'").items] == ["churn"]
    with pytest.raises(SchemaMismatchError, match="missing column"):
        model.predict(frame[["age"]])


def _run_with_model(ws, model, files: Path) -> str:  # noqa: ANN001
    """A run that logged ``model`` (as skops, in a folder ``model``) and one other file."""
    import skops.io

    tracking = ws.platform.tracking
    experiment = tracking.create_experiment(ws.ctx, "exp")
    run = tracking.create_run(ws.ctx, getattr(experiment, "id", experiment))
    folder = files / "model"
    folder.mkdir(parents=True)
    skops.io.dump(model, folder / "model.skops")
    tracking.log_artifact(ws.ctx, run.id, folder)
    return run.id


def test_register_from_a_run_artifact_and_gc_frees_it_after_delete(
    ws,
    classifier,
    data,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    frame, _ = data
    from lakeworks.tracking.records import RunInput

    run_id = _run_with_model(ws, classifier, tmp_path / "files")
    ws.platform.tracking.log_input(ws.ctx, run_id, RunInput("table", "customers", version=3))
    version = ws.models.register(
        "churn",
        run_id=run_id,
        artifact_path="model",
        signature={
            "inputs": [
                {"name": c, "type": "int64" if c != "income" else "double"} for c in frame.columns
            ]
        },
    )
    assert version.run_id == run_id and version.source == f"runs:/{run_id}/model"
    assert version.format == "sklearn"
    predicted = ws.models.load("churn/1").predict(pa.Table.from_pandas(frame))
    np.testing.assert_array_equal(
        predicted.column("prediction").to_numpy(), classifier.predict(frame)
    )
    lineage = ws.models.lineage("churn", 1)
    assert lineage["run_id"] == run_id
    assert [(i["kind"], i["name"], i["version"]) for i in lineage["inputs"]] == [
        ("table", "customers", 3)
    ]
    card = {r.kind: r for r in ws.models.reports("churn", 1)}["card"].body
    assert card["training_inputs"] == ["customers@3"]
    tracking = ws.platform.tracking
    assert tracking.gc(ws.ctx, dry_run=True).objects == 0  # the run and the version hold it
    ws.models.delete_version("churn", 1)
    tracking.delete_run(ws.ctx, run_id)
    freed = tracking.gc(ws.ctx)
    assert freed.objects >= 2  # model.skops and lakeworks.json, nothing refers to them


def test_a_pickled_run_artifact_is_refused_without_trust(ws, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.registry.test_formats import Doubler, mlflow_folder

    tracking = ws.platform.tracking
    experiment = tracking.create_experiment(ws.ctx, "exp")
    run = tracking.create_run(ws.ctx, getattr(experiment, "id", experiment))
    tracking.log_artifact(
        ws.ctx, run.id, mlflow_folder(tmp_path / "model", Doubler(), "cloudpickle")
    )
    with pytest.raises(PermissionDeniedError, match="MLflow model .* pickled"):
        ws.models.register("custom", run_id=run.id, artifact_path="model")
    assert ws.models.versions("custom") == []
    ws.models.register("custom", run_id=run.id, artifact_path="model", trusted=True)
    with pytest.raises(PermissionDeniedError, match="trusted=True to load"):
        ws.models.load("custom/1")
    out = ws.models.load("custom/1", trusted=True).predict([{"age": 2}])
    assert out.column("prediction").to_pylist() == [4]


def test_cli_register_alias_approve_show_and_load_check(
    cli: Cli,
    classifier,
    data,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    import skops.io

    frame, target = data
    assert cli("init").exit_code == 0
    skops.io.dump(classifier, tmp_path / "churn.skops")
    csv = tmp_path / "rows.csv"
    frame.assign(label=target).to_csv(csv, index=False)
    done = cli(
        "models",
        "register",
        "churn",
        "--path",
        str(tmp_path / "churn.skops"),
        "--description",
        "flags churn",
        "--tag",
        "team=risk",
        "--training-data",
        str(csv),
        "--drop",
        "label",
    )
    assert done.exit_code == 0, done.output
    assert "registered churn/1 (sklearn)" in done.output
    assert cli("models", "alias", "churn", "champion", "1").exit_code == 0
    approved = cli("models", "approve", "churn", "1", "--comment", "ok")
    assert approved.exit_code == 0 and "churn/1 approved by" in approved.output
    listed = cli("models", "list")
    assert "churn" in listed.output and "champion→1" in listed.output
    shown = cli("models", "show", "churn", "1")
    assert shown.exit_code == 0, shown.output
    assert "approval: approved" in shown.output and "card: owner" in shown.output
    mismatch = cli("models", "load-check", "churn@champion", "--file", str(csv), "--rows", "5")
    assert mismatch.exit_code == 1 and "MISMATCH churn/1" in mismatch.output
    assert "unexpected column(s) label" in mismatch.output
    ok = cli("models", "load-check", "churn", "--file", str(csv), "--rows", "5", "--drop", "label")
    assert ok.exit_code == 0, ok.output
    assert "OK churn/1: predicted 5 rows (age, income, group)" in ok.output


def test_cli_errors_are_one_line(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    missing = cli("models", "alias", "nope", "champion", "1")
    assert missing.exit_code == 1 and "registered model 'nope' does not exist" in missing.output
    both = cli("models", "register", "x")
    assert both.exit_code == 1 and "give either --path or --run" in both.output


def test_rest_versions_aliases_approvals_reports(settings: Settings, classifier, data) -> None:  # noqa: ANN001
    frame, target = data
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        platform = client.app.state.platform
        ws = lw.Workspace(platform, lw.Context("default", "tester"))
        platform.catalog.create_workspace("default", "tester", exist_ok=True)
        ws.models.register("churn", classifier, training_data=frame)
        ws.models.register("churn", classifier, reports={"fairness": {"passed": False}})
        base = "/api/v1/workspaces/default/models"
        assert [m["name"] for m in client.get(base).json()] == ["churn"]
        versions = client.get(f"{base}/churn/versions").json()
        assert [v["version"] for v in versions] == [2, 1]
        age = versions[1]["signature"]["inputs"][0]
        assert (age["name"], age["type"]) == ("age", "int64")
        assert versions[0]["signature"] is None  # registered without training data
        put = client.put(f"{base}/churn/aliases/champion", json={"version": 1})
        assert put.status_code == 200 and put.json()["to_version"] == 1
        blocked = client.put(f"{base}/churn/aliases/champion", json={"version": 2})
        assert blocked.status_code == 422 and "fairness" in blocked.json()["message"]
        forced = client.put(f"{base}/churn/aliases/champion", json={"version": 2, "force": True})
        assert forced.json()["forced"] is True
        missing = client.put(f"{base}/churn/aliases/champion", json={"version": 9})
        assert missing.status_code == 404 and "no version 9" in missing.json()["message"]
        approval = client.post(
            f"{base}/churn/versions/1/approvals",
            json={"comment": "ok"},
            headers={"X-Lakeworks-User": "lead"},
        )
        assert approval.status_code == 201
        assert approval.json()["approved_by"] in {"lead", "anonymous"}
        kinds = {
            r["kind"]: r["passed"] for r in client.get(f"{base}/churn/versions/2/reports").json()
        }
        assert kinds["fairness"] is False and "card" in kinds
        events = client.get(f"{base}/churn/alias-events").json()
        assert [e["forced"] for e in events] == [False, True]
        assert client.delete(f"{base}/churn/aliases/champion").json()["to_version"] is None
        assert client.get(f"{base}/nope").status_code == 404
        assert client.get(f"{base}/churn/versions/0").status_code == 422


def test_cli_show_prints_report_summaries_and_forced_moves(cli: Cli, classifier, data) -> None:  # noqa: ANN001
    frame, target = data
    assert cli("init").exit_code == 0
    ws = lw.connect(home=str(cli.home), user="tester")
    try:
        labelled = frame.assign(label=target)
        ws.models.register("churn", classifier, training_data=frame)
        ws.models.register(
            "churn",
            classifier,
            training_data=frame,
            evaluation_data=labelled,
            target="label",
            sensitive_column="group",
            fairness_threshold=0.0,
        )
    finally:
        ws.platform.close()
    listed = cli("models", "show", "churn")
    assert listed.exit_code == 0 and "sklearn" in listed.output and "tester" in listed.output
    shown = cli("models", "show", "churn", "2")
    assert shown.exit_code == 0, shown.output
    assert "fairness over group (FAILED): demographic parity difference" in shown.output
    assert "evaluation (informative): accuracy=" in shown.output
    assert "explanation (coef_):" in shown.output
    assert "signature: age int64, income double, group int64" in shown.output
    refused = cli("models", "alias", "churn", "champion", "2")
    assert refused.exit_code == 1 and "fairness report(s) failed" in refused.output
    forced = cli("models", "alias", "churn", "champion", "2", "--force")
    assert forced.exit_code == 0 and "churn@champion -> 2 (forced)" in forced.output
    moved = cli("models", "alias", "churn", "champion", "1")
    assert "churn@champion from 2 -> 1" in moved.output
    assert (
        "deleted churn@champion" in cli("models", "alias", "churn", "champion", "--delete").output
    )


BAD_ALIASES = [
    ("bad alias!", "has characters other than letters, digits, _ and -"),
    ("", "is empty"),
    ("LaTeSt", "is reserved: 'latest'"),
    ("v3", "is reserved: v<digits>"),
    ("a" * 256, "is 256 characters long"),
]


@pytest.mark.parametrize(("alias", "problem"), BAD_ALIASES)
def test_sdk_refuses_an_alias_name_mlflow_refuses(ws, classifier, alias, problem) -> None:  # noqa: ANN001
    version = ws.models.register("churn", classifier)
    with pytest.raises(lw.errors.InvalidInputError, match=problem) as caught:
        ws.models.set_alias("churn", alias, version.version)
    assert f"invalid alias name {alias!r}" in str(caught.value)
    assert caught.value.fields["found"] == alias and "underscores" in caught.value.hint
    assert ws.models.get("churn").aliases == {}  # nothing moved, nothing recorded
    ws.models.set_alias("churn", "champion_v2-b", version.version)  # a good one still goes
    assert ws.models.get("churn").aliases == {"champion_v2-b": 1}


def test_rest_and_mlflow_routes_refuse_a_bad_alias_name(settings: Settings, classifier) -> None:  # noqa: ANN001
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        platform = client.app.state.platform
        ws = lw.Workspace(platform, lw.Context("default", "tester"))
        platform.catalog.create_workspace("default", "tester", exist_ok=True)
        ws.models.register("churn", classifier)
        base = "/api/v1/workspaces/default/models/churn/aliases"
        refused = client.put(f"{base}/bad alias!", json={"version": 1})
        assert refused.status_code == 422, refused.text
        assert "invalid alias name 'bad alias!'" in refused.json()["message"]
        assert "underscores (_) or dashes (-)" in refused.text
        assert client.put(f"{base}/v12", json={"version": 1}).status_code == 422
        mlflow = "/api/2.0/mlflow/registered-models/alias"
        for alias in ("bad alias!", "latest", "V7"):
            body = {"name": "churn", "alias": alias, "version": "1"}
            answer = client.post(mlflow, json=body)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
            assert f"invalid alias name {alias!r}" in answer.json()["message"]
        assert ws.models.get("churn").aliases == {}
        ok = client.post(mlflow, json={"name": "churn", "alias": "champion", "version": "1"})
        assert ok.status_code == 200 and ws.models.get("churn").aliases == {"champion": 1}
