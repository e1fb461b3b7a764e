"""A data scientist's day, end to end: train, tune and register in the SDK, then look at
it all, judge it and promote it from the CLI and the REST API, as a user would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

import lakeworks as lw
from lakeworks.cli.app import app
from lakeworks.config import Settings
from lakeworks.server.app import create_app
from tests.conftest import fresh_schema

BASE = "/api/v1/workspaces/default"


@dataclass(frozen=True)
class Session:
    """What the SDK session left: its home and catalog, the runs it made and the version
    of the table it read."""

    home: Path
    metadata_url: str | None
    logistic: str
    forest: str
    study: str
    table_version: int

    def options(self) -> dict[str, Any]:
        """``lw.connect`` / ``Settings.load`` keywords that open this session's platform."""
        url = {"metadata_url": self.metadata_url} if self.metadata_url else {}
        return {"home": self.home, "progress": False, "lineage_transport": "none", **url}


def _customers(rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"tenure": rng.integers(1, 60, rows), "calls": rng.poisson(2, rows)})
    frame["region"] = rng.choice(["north", "south"], rows)
    noise = rng.normal(0, 6, rows) + np.where(frame["region"] == "north", 8, 0)
    frame["churned"] = (frame["calls"] * 8 - frame["tenure"] + noise > 0).astype("int64")
    return frame


def _train(ws: lw.Workspace) -> Session:
    import optuna
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    ws.write("customers", _customers())
    ws.set_experiment("churn")
    with ws.start_run(name="logistic", tags={"team": "risk"}) as run:
        data = ws.read("customers").to_pandas()
        train, test = data.iloc[:300], data.iloc[300:]
        model = LogisticRegression().fit(train[["tenure", "calls"]], train["churned"])
        run.log_params({"model": "logistic", "C": 1.0})
        ws.evaluate(model, test, target="churned")
    logistic = run.id
    ws.autolog(eval_data=(test[["tenure", "calls"]], test["churned"]))
    try:
        with ws.start_run(name="forest", tags={"team": "risk"}) as run:
            ws.read("customers")
            RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0).fit(
                train[["tenure", "calls"]], train["churned"]
            )
    finally:
        ws.autolog_disable()
    forest = run.id

    def objective(trial: optuna.Trial) -> float:
        return -((trial.suggest_float("c", 0.01, 10.0) - 1) ** 2)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = ws.tune(objective, experiment="churn", n_trials=3, metric="score")
    ws.models.register(
        "churn", model, run_id=logistic, training_data=train[["tenure", "calls"]],
        evaluation_data=test, target="churned", sensitive_column="region",
        fairness_threshold=1.0, description="ranks customers for a retention call",
    )  # fmt: skip
    ws.models.register(
        "churn", run_id=forest, artifact_path="model", evaluation_data=test,
        target="churned", sensitive_column="region", fairness_threshold=0.01,
    )  # fmt: skip
    version = ws.history("customers")[0].version
    settings = ws.platform.settings
    url = settings.metadata_url if "postgresql" in str(settings.metadata_url) else None
    return Session(settings.home, url, logistic, forest, study.parent_run_id, version)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def session(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    """The SDK session, once per catalog: embedded SQLite, and the real PostgreSQL."""
    from lakeworks.meta import engine as meta_engine

    home = tmp_path_factory.mktemp("ml") / "lw"
    with contextlib.ExitStack() as stack:
        url = {}
        if request.param == "postgres":
            server = request.getfixturevalue("postgres_server")  # skips, or fails under CI
            url["metadata_url"] = stack.enter_context(fresh_schema(server))
            engine = meta_engine.make_engine(url["metadata_url"])
            meta_engine.upgrade(engine)  # as `lakeworks db upgrade` does
            engine.dispose()
        ws = lw.connect(home=home, user="ana", progress=False, lineage_transport="none", **url)
        try:
            yield _train(ws)
        finally:
            ws.platform.close()


@pytest.fixture
def cli(session: Session, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("COLUMNS", "200")  # wide rich tables, no wrapped ids
    monkeypatch.setenv("LAKEWORKS_USER", "lee")
    if session.metadata_url:
        monkeypatch.setenv("LAKEWORKS_METADATA_URL", session.metadata_url)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--home", str(session.home), *args])

    return invoke


@pytest.fixture
def rest(session: Session) -> Iterator[TestClient]:
    settings = Settings.load(**session.options())
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_the_cli_lists_compares_and_ranks_the_runs(session: Session, cli) -> None:  # noqa: ANN001
    listed = cli("experiments", "list")
    assert listed.exit_code == 0 and "churn" in listed.output
    runs = cli("experiments", "runs", "churn", "--filter", "tags.team = 'risk'")
    assert runs.exit_code == 0, runs.output
    assert session.logistic in runs.output and session.forest in runs.output
    assert session.study not in runs.output  # filtered out: the study has no team tag
    compared = cli("experiments", "compare", session.logistic, session.forest)
    assert compared.exit_code == 0 and "metrics.eval_roc_auc" in compared.output
    assert "params.n_estimators" in compared.output  # the forest's autologged params
    best = cli("experiments", "best", "churn", "--metric", "eval_roc_auc")
    assert best.exit_code == 0 and "best run " in best.output
    assert session.logistic in best.output or session.forest in best.output
    tuned = cli("experiments", "best", "churn", "--metric", "score")
    assert tuned.exit_code == 0 and "trial-" in tuned.output  # a trial, a child run
    missing = cli("experiments", "best", "churn", "--metric", "nope")
    assert missing.exit_code == 1 and "'nope'" in missing.output


def test_runs_show_has_params_metrics_and_the_model_artifact(session: Session, cli) -> None:  # noqa: ANN001
    shown = cli("runs", "show", session.forest)
    assert shown.exit_code == 0, shown.output
    assert "'forest'" in shown.output and "FINISHED" in shown.output
    assert "max_depth" in shown.output and "eval_accuracy" in shown.output
    assert "model/" in shown.output  # autolog's model folder
    assert f"customers@v{session.table_version}" in shown.output  # the input it read
    bad = cli("runs", "show", "0" * 32)
    assert bad.exit_code == 1 and "0" * 32 in bad.output


def test_the_cli_judges_and_promotes_a_version(session: Session, cli) -> None:  # noqa: ANN001
    listed = cli("models", "list")
    assert listed.exit_code == 0 and "churn" in listed.output
    versions = cli("models", "show", "churn")
    assert session.logistic in versions.output and session.forest in versions.output
    one = cli("models", "show", "churn", "1")
    assert "fairness over region (PASSED)" in one.output
    assert f"training data: customers@{session.table_version}" in one.output
    two = cli("models", "show", "churn", "2")
    assert "fairness over region (FAILED)" in two.output and "sklearn" in two.output
    refused = cli("models", "alias", "churn", "champion", "2")
    assert refused.exit_code == 1 and "fairness" in refused.output
    assert cli("models", "alias", "churn", "champion", "1").output.strip() == (
        "churn@champion -> 1"
    )
    forced = cli("models", "alias", "churn", "challenger", "2", "--force")
    assert forced.exit_code == 0 and "(forced)" in forced.output
    approved = cli("models", "approve", "churn", "1", "--comment", "reviewed")
    assert approved.exit_code == 0 and "churn/1 approved by lee" in approved.output
    ok = cli("models", "load-check", "churn@champion", "--table", "customers", "--drop",
             "churned", "--drop", "region")  # fmt: skip
    assert ok.exit_code == 0 and "OK churn/1: predicted 100 rows" in ok.output
    bad = cli("models", "load-check", "churn@champion", "--table", "customers", "--drop",
              "churned")  # fmt: skip
    assert bad.exit_code == 1 and "MISMATCH churn/1" in bad.output and "region" in bad.output
    gone = cli("models", "alias", "churn", "champion", "9")
    assert gone.exit_code == 1 and "9" in gone.output


def test_gc_dry_run_counts_a_deleted_run_and_frees_nothing(session: Session, cli) -> None:  # noqa: ANN001
    ws = lw.connect(**session.options())
    try:
        with ws.start_run("scratch", name="throwaway") as run:
            run.log_metric("x", 1.0)
    finally:
        ws.platform.close()
    assert cli("runs", "delete", run.id).exit_code == 0
    dry = cli("gc", "--dry-run")
    assert dry.exit_code == 0 and "would purge 1 deleted runs" in dry.output
    assert "would purge 1 deleted runs" in cli("gc", "--dry-run").output  # nothing changed


def test_rest_shows_experiments_runs_and_models(session: Session, rest: TestClient) -> None:
    experiments = rest.get(f"{BASE}/experiments").json()
    assert "churn" in [e["name"] for e in experiments]
    page = rest.get(f"{BASE}/runs", params={"filter": "tags.team = 'risk'"}).json()
    assert {r["info"]["id"] for r in page["runs"]} == {session.logistic, session.forest}
    run = rest.get(f"{BASE}/runs/{session.logistic}").json()
    assert run["params"]["model"] == "logistic"
    history = rest.get(f"{BASE}/runs/{session.logistic}/metrics/eval_roc_auc").json()
    assert len(history) == 1 and 0.5 < history[0]["value"] <= 1
    models = rest.get(f"{BASE}/models").json()
    assert [m["name"] for m in models] == ["churn"]
    versions = rest.get(f"{BASE}/models/churn/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    reports = rest.get(f"{BASE}/models/churn/versions/2/reports").json()
    assert {r["kind"]: r["passed"] for r in reports}["fairness"] is False
    refused = rest.put(f"{BASE}/models/churn/aliases/rest", json={"version": 2})
    assert refused.status_code == 422 and "fairness" in refused.text
    assert rest.get(f"{BASE}/models/nope").status_code == 404
