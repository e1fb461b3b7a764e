"""Hyper-parameter search: Optuna studies beside the catalog, each trial a child run."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import sqlalchemy

import lakeworks as lw
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, UnavailableError
from lakeworks.platform import Platform
from lakeworks.tracking.hpo import TuneResult
from lakeworks.tracking.hpo_storage import optuna_url
from lakeworks.tracking.records import Run
from tests.cli.conftest import Cli
from tests.conftest import free_port
from tests.pipelines import dask_cluster

cluster = dask_cluster.cluster  # a scheduler and two workers, started by the Dask test

optuna.logging.set_verbosity(optuna.logging.ERROR)


@pytest.fixture
def hplatform(tplatform: Platform) -> Iterator[Platform]:
    """The tracking platform; on PostgreSQL the Optuna schema is dropped afterwards."""
    yield tplatform
    if tplatform.engine.dialect.name == "postgresql" and "hpo" in tplatform.__dict__:
        url = sqlalchemy.engine.make_url(tplatform.hpo.storage.url)
        schema = url.query["options"].split("search_path=")[1]
        tplatform.hpo.close()
        with tplatform.engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def children(platform: Platform, ctx: Context, result: TuneResult) -> dict[int, Run]:
    """The child runs of the study (found with MLflow's filter grammar), by trial number."""
    kids, _ = platform.tracking.search_runs(
        ctx,
        [result.experiment_id],
        filter=f"tags.mlflow.parentRunId = '{result.parent_run_id}'",
        max_results=1000,
    )
    assert all(r.info.parent_run_id == result.parent_run_id for r in kids)
    return {int(r.tags["lakeworks.optuna.trial"]): r for r in kids}


def curve(trial: optuna.Trial) -> float:
    """Reports three intermediate values; trial 1 raises."""
    x = trial.suggest_float("x", -4, 4)
    depth = trial.suggest_int("depth", 1, 8)
    if trial.number == 1:
        raise ValueError(f"bad trial {trial.number}")
    for step in range(3):
        trial.report(x + step, step)
    return -((x - 1) ** 2) - depth / 100


def test_trials_are_child_runs_and_a_failing_trial_does_not_stop_the_study(
    hplatform: Platform, tctx: Context
) -> None:
    result = hplatform.hpo.tune(tctx, curve, experiment="quad", n_trials=6, metric="score")
    assert result.states == {"COMPLETE": 5, "FAIL": 1}
    kids = children(hplatform, tctx, result)
    assert sorted(kids) == list(range(6))
    failed = kids[1]
    assert failed.info.status == "FAILED"
    assert failed.tags["lakeworks.optuna.error"] == "ValueError: bad trial 1"
    assert failed.tags["lakeworks.optuna.state"] == "FAIL" and "score" not in failed.metrics
    done = kids[0]
    assert (
        done.info.status == "FINISHED" and done.tags["mlflow.parentRunId"] == result.parent_run_id
    )
    trial = result.study.trials[0]
    assert done.params == {"x": str(trial.params["x"]), "depth": str(trial.params["depth"])}
    history = hplatform.tracking.get_metric_history(tctx, done.id, "score")
    steps = [(m.step, m.value) for m in history]
    assert steps == [(0, trial.params["x"]), (1, trial.params["x"] + 1),
                     (2, trial.params["x"] + 2), (3, trial.value)]  # fmt: skip
    assert done.metrics["score"].value == trial.value  # the latest point is the trial's value
    assert done.info.start_time <= done.info.end_time
    best = max((t for t in result.study.trials if t.value is not None), key=lambda t: t.value)
    assert (result.best_trial, result.best_value) == (best.number, best.value)
    assert result.best_run_id == kids[best.number].id
    parent = hplatform.tracking.get_run(tctx, result.parent_run_id)
    assert parent.info.status == "FINISHED" and parent.info.parent_run_id is None
    assert parent.metrics["best_score"].value == best.value
    assert parent.params["optuna.directions"] == "maximize"
    assert parent.tags["lakeworks.optuna.best_trial"] == str(best.number)


def test_a_pruned_trial_is_recorded_killed_with_its_steps(
    hplatform: Platform, tctx: Context
) -> None:
    def objective(trial: optuna.Trial) -> float:
        base = 10.0 if trial.number < 3 else 0.0  # later trials fall below the median
        for step in range(4):
            trial.report(base + step, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return base + 4

    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    result = hplatform.hpo.tune(
        tctx, objective, experiment="prune", n_trials=5, pruner=pruner, metric="acc"
    )
    assert result.states == {"COMPLETE": 3, "PRUNED": 2}
    kids = children(hplatform, tctx, result)
    pruned = kids[3]
    assert pruned.info.status == "KILLED" and pruned.tags["lakeworks.optuna.state"] == "PRUNED"
    assert [(m.step, m.value) for m in hplatform.tracking.get_metric_history(
        tctx, pruned.id, "acc")] == [(0, 0.0)]  # fmt: skip
    assert kids[0].info.status == "FINISHED" and kids[0].metrics["acc"].value == 14.0


def test_the_same_study_name_continues_the_study(hplatform: Platform, tctx: Context) -> None:
    first = hplatform.hpo.tune(tctx, curve, experiment="resume", n_trials=3)
    again = hplatform.hpo.tune(tctx, curve, experiment="resume", n_trials=2)
    assert again.parent_run_id == first.parent_run_id and again.study_name == "resume"
    assert sum(again.states.values()) == 5 and sorted(again.trial_runs) == [3, 4]
    assert sorted(children(hplatform, tctx, again)) == [0, 1, 2, 3, 4]
    parent = hplatform.tracking.get_run(tctx, again.parent_run_id)
    assert parent.info.status == "FINISHED"


def test_threads_run_every_trial_once(hplatform: Platform, tctx: Context) -> None:
    result = hplatform.hpo.tune(
        tctx, curve, experiment="threads", n_trials=8, n_jobs=2, direction="minimize"
    )
    assert sum(result.states.values()) == 8
    assert sorted(children(hplatform, tctx, result)) == list(range(8))


def test_several_objectives_log_one_metric_each(hplatform: Platform, tctx: Context) -> None:
    def objective(trial: optuna.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    result = hplatform.hpo.tune(
        tctx,
        objective,
        experiment="pareto",
        n_trials=3,
        directions=["maximize", "minimize"],
        metric=["gain", "cost"],
    )
    assert result.best_value is None and len(result.best_values) == 2
    run = children(hplatform, tctx, result)[0]
    x = result.study.trials[0].params["x"]
    assert run.metric_values == {"gain": x, "cost": 1 - x}


def test_optuna_keeps_out_of_the_catalog_tables(hplatform: Platform, tctx: Context) -> None:
    hplatform.hpo.tune(tctx, curve, experiment="iso", n_trials=2)
    with hplatform.engine.connect() as conn:
        names = set(sqlalchemy.inspect(conn).get_table_names())
        versions = set(conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")))
    assert not names & {"studies", "trials", "version_info", "trial_params"}
    from lakeworks.meta.engine import HEADS

    assert {v[0] for v in versions} == set(HEADS)  # Optuna never stamped lakeworks' table
    optuna_engine = hplatform.hpo.storage.engine
    with optuna_engine.connect() as conn:
        theirs = set(sqlalchemy.inspect(conn).get_table_names())
        stamped = conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).all()
    assert {"studies", "trials", "alembic_version"} <= theirs and not theirs & {"runs", "tables"}
    assert stamped and stamped[0][0] not in HEADS


def test_the_optuna_namespace_is_next_to_the_catalog() -> None:
    sqlite_catalog = sqlalchemy.create_engine("sqlite:////data/lw/metadata.db")
    assert optuna_url(sqlite_catalog) == "sqlite:////data/lw/metadata.optuna.db"
    with pytest.raises(InvalidInputError, match="in-memory catalog") as info:
        optuna_url(sqlalchemy.create_engine("sqlite://"))
    assert info.value.fields["found"] == ":memory:"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs n_trials or timeout"),
        ({"n_trials": 0}, "n_trials must be a positive number, got 0"),
        ({"n_trials": 2, "n_jobs": -1}, "n_jobs must be a positive number"),
        ({"n_trials": 2, "direction": "up"}, "unknown study direction 'up'"),
        ({"n_trials": 2, "metric": ["a", "b"]}, "1 objective.*need 1 metric name"),
        ({"n_trials": 2, "executor": "gpu"}, "unknown executor 'gpu'"),
        ({"n_trials": 2, "executor": "dask"}, "the executor setting is 'local'"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    platform: Platform, ctx: Context, options: dict, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        platform.hpo.tune(ctx, curve, experiment="bad", **options)
    assert platform.tracking.list_experiments(ctx) == [] or all(
        e.name != "bad" for e in platform.tracking.list_experiments(ctx)
    )
    assert "storage" not in platform.hpo.__dict__  # no study was opened


def test_an_objective_that_is_not_callable_is_refused(platform: Platform, ctx: Context) -> None:
    with pytest.raises(InvalidInputError, match="must be a function of an optuna.Trial, got dict"):
        platform.hpo.tune(ctx, {"x": 1}, experiment="bad", n_trials=1)  # type: ignore[arg-type]


def test_continuing_with_other_directions_or_experiment_is_refused(
    platform: Platform, ctx: Context
) -> None:
    first = platform.hpo.tune(ctx, curve, experiment="e1", study_name="s", n_trials=2)
    with pytest.raises(InvalidInputError, match=r"study 's' exists with directions \['maximize'\]"):
        platform.hpo.tune(ctx, curve, experiment="e1", study_name="s", n_trials=2,
                          direction="minimize")  # fmt: skip
    with pytest.raises(InvalidInputError, match="belongs to another experiment than 'e2'"):
        platform.hpo.tune(ctx, curve, experiment="e2", study_name="s", n_trials=2)
    study = optuna.load_study(study_name="s", storage=platform.hpo.storage)
    assert len(study.trials) == 2  # nothing ran
    parent = platform.tracking.get_run(ctx, first.parent_run_id)
    assert parent.info.status == "FINISHED"


def test_an_uncaught_error_fails_the_study_run_and_is_raised(
    platform: Platform, ctx: Context
) -> None:
    def objective(trial: optuna.Trial) -> float:
        raise KeyError("missing column")

    with pytest.raises(KeyError, match="missing column"):
        platform.hpo.tune(ctx, objective, experiment="stop", n_trials=3, catch=())
    exp = platform.tracking.get_experiment_by_name(ctx, "stop")
    runs, _ = platform.tracking.search_runs(ctx, [exp.id])
    by_role = {r.tags["lakeworks.optuna.role"]: r for r in runs}
    assert by_role["study"].info.status == "FAILED"
    assert by_role["trial"].info.status == "FAILED"
    assert by_role["trial"].tags["lakeworks.optuna.error"] == "KeyError: 'missing column'"


def test_the_sibling_file_uses_wal(platform: Platform, ctx: Context, settings) -> None:  # noqa: ANN001
    platform.hpo.tune(ctx, curve, experiment="wal", n_trials=1)
    path = Path(settings.home / "metadata.optuna.db")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.slow
@pytest.mark.parametrize("where", ["processes", "dask"])
def test_trials_spread_over_processes_and_the_dask_cluster(
    platform: Platform, ctx: Context, where: str, request: pytest.FixtureRequest
) -> None:
    executor = request.getfixturevalue("cluster")[0] if where == "dask" else where
    result = platform.hpo.tune(
        ctx, curve, experiment=where, n_trials=4, executor=executor, n_jobs=2
    )
    assert sum(result.states.values()) == 4 and result.states["FAIL"] == 1
    kids = children(platform, ctx, result)
    assert sorted(kids) == [0, 1, 2, 3] and sorted(result.trial_runs) == [0, 1, 2, 3]
    assert kids[1].tags["lakeworks.optuna.error"] == "ValueError: bad trial 1"
    assert {r.info.status for r in kids.values()} == {"FINISHED", "FAILED"}


def test_an_unreachable_scheduler_is_unavailable(platform: Platform, ctx: Context) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(UnavailableError, match=f"cannot reach the Dask scheduler at {address}"):
        platform.hpo.tune(ctx, curve, experiment="gone", n_trials=2, executor=address)


def test_experiments_best_names_the_best_trial(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = ws.tune(curve, experiment="cli", n_trials=5, metric="score")
    monkeypatch.setenv("COLUMNS", "200")
    best = Cli(ws.platform.settings.home)("experiments", "best", "cli", "--metric", "score")
    assert best.exit_code == 0, best.output
    assert f"best run {result.best_run_id}" in best.output


def test_a_value_that_is_not_a_number_fails_the_trial(platform: Platform, ctx: Context) -> None:
    answers = iter([1.0, float("nan"), "high", 2.0])

    def objective(trial: optuna.Trial) -> object:
        trial.suggest_int("i", 0, 9)
        return next(answers)

    result = platform.hpo.tune(ctx, objective, experiment="nan", n_trials=4)
    assert result.states == {"COMPLETE": 2, "FAIL": 2}  # Optuna agrees with the runs
    kids = children(platform, ctx, result)
    assert [kids[n].info.status for n in range(4)] == ["FINISHED", "FAILED", "FAILED", "FINISHED"]
    assert kids[1].tags["lakeworks.optuna.error"] == "the objective returned nan"
    assert kids[2].tags["lakeworks.optuna.error"] == "the objective returned 'high', not a number"


def test_a_trial_whose_run_cannot_be_written_stops_the_study(
    platform: Platform, ctx: Context
) -> None:
    def objective(trial: optuna.Trial) -> float:
        if trial.number == 1:  # the experiment goes away under the study
            exp = platform.tracking.get_experiment_by_name(ctx, "gone")
            platform.tracking.delete_experiment(ctx, exp.id)
        return trial.suggest_float("x", 0, 1)

    with pytest.raises(InvalidInputError, match="experiment 'gone' is deleted"):
        platform.hpo.tune(ctx, objective, experiment="gone", n_trials=5)
    study = optuna.load_study(study_name="gone", storage=platform.hpo.storage)
    assert len(study.trials) == 2  # stopped after the trial it could not record


def test_a_timeout_alone_bounds_the_study(platform: Platform, ctx: Context) -> None:
    result = platform.hpo.tune(
        ctx, lambda t: t.suggest_float("x", 0, 1), experiment="timed", timeout=0.5
    )
    done = sum(result.states.values())
    assert done >= 1 and result.states == {"COMPLETE": done}
    assert len(children(platform, ctx, result)) == done
