"""The quickstart's machine-learning steps: a training set from the feature store, two
models trained and compared, a short Optuna search, the best registered with its reports
and made ``@champion``, loaded back and checked against its signature, and the lineage
from the table version to the run to the model version.

The model predicts a penguin's species from its measurements and its island's stats (the
feature view ``island_stats`` of step 5). Fairness is measured over ``island``: Adelie
penguins live on all three islands and the other species on one each, so the share
predicted Adelie differs by island and the demographic-parity check fails. That is the
data, not a bias of the model, and the quickstart says so: the alias is refused, then
forced, and the force is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeworks.errors import DataQualityError, SchemaMismatchError
from lakeworks.quickstart.show import console, show

if TYPE_CHECKING:
    import pandas as pd

    import lakeworks as lw

EXPERIMENT = "penguins_species"
MODEL = "penguins_species"
TARGET = "species"
MEASURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
FEATURES = MEASURES + ["avg_mass_g", "avg_flipper_mm"]  # the last two: island_stats
SENSITIVE = "island"
POSITIVE = "Adelie"  # the label the fairness report counts as "selected"
_ROWS = (
    "select species, island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, "
    "make_timestamptz(year, 12, 31, 0, 0, 0) as at from penguins "
    "where bill_length_mm is not null and body_mass_g is not null order by all"
)


def main(ws: lw.Workspace) -> None:
    """Steps 7 to 10 of the quickstart, printed as they run."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    models = _train(ws)
    models.update(_tune(ws))
    version = _register(ws, models)
    _load(ws)
    _lineage(ws, version.version)


def _data(ws: lw.Workspace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training set, split 75/25 (stratified, fixed seed). Built inside a run, it is
    recorded as the run's input: ``penguins@version`` and ``island_stats@vN``."""
    from sklearn.model_selection import train_test_split

    rows = ws.sql(_ROWS).arrow()
    features = ["island_stats:avg_mass_g", "island_stats:avg_flipper_mm"]
    built = ws.features.training_set(rows, features, point_in_time="event", timestamp="at")
    frame = built.arrow().to_pandas().drop(columns=["at"])
    train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=frame[TARGET])
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _candidates() -> dict[str, tuple[Any, dict[str, Any]]]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic": (
            make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)),
            {"model": "LogisticRegression", "C": 1.0, "scaled": True},
        ),
        "forest": (
            RandomForestClassifier(n_estimators=30, max_depth=4, random_state=0),
            {"model": "RandomForestClassifier", "n_estimators": 30, "max_depth": 4},
        ),
    }


def _fit_in_run(ws: lw.Workspace, name: str, model: Any, params: dict[str, Any]) -> str:
    """Fit ``model`` in a run of its own: params, training accuracy, ``ws.evaluate`` on the
    held-out rows. Returns the run's id."""
    with ws.start_run(EXPERIMENT, name=name, tags={"quickstart": "candidate"}) as run:
        train, test = _data(ws)
        run.log_params({**params, "train_rows": len(train), "test_rows": len(test)})
        model.fit(train[FEATURES], train[TARGET])
        run.log_metric("train_accuracy", float(model.score(train[FEATURES], train[TARGET])))
        ws.evaluate(model, test, target=TARGET)
    return run.id


def _train(ws: lw.Workspace) -> dict[str, Any]:
    console.rule("7. train and compare")
    models = {}
    for name, (model, params) in _candidates().items():
        models[_fit_in_run(ws, name, model, params)] = model
    frame = _compare(ws, list(models))
    show("runs compared (ws.runs.to_frame)", frame)
    return models


def _compare(ws: lw.Workspace, run_ids: list[str]) -> pd.DataFrame:
    listed = ", ".join(f"'{i}'" for i in run_ids)
    frame = ws.runs.to_frame(
        EXPERIMENT,
        filter=f"attributes.run_id IN ({listed})",
        order_by=["metrics.eval_accuracy DESC"],
    )
    shown = frame[[c for c in _COLUMNS if c in frame.columns]].rename(columns=_COLUMNS)
    return shown.assign(run=shown["run"].str[:8])


_COLUMNS = {  # to_frame's columns, MLflow's names -> what the table shows
    "run_id": "run",
    "tags.mlflow.runName": "name",
    "params.model": "model",
    "metrics.train_accuracy": "train acc",
    "metrics.eval_accuracy": "eval acc",
    "metrics.eval_f1_macro": "eval F1",
    "metrics.eval_log_loss": "eval log loss",
}


def _tune(ws: lw.Workspace) -> dict[str, Any]:
    """Ten Optuna trials over the forest's depth and size, scored on a validation split
    of the training rows (the held-out rows stay unseen); then the best refitted."""
    import optuna
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    console.rule("8. hyper-parameter search (Optuna)")
    train, _ = _data(ws)
    fit, valid = train_test_split(train, test_size=0.3, random_state=1, stratify=train[TARGET])

    def objective(trial: optuna.Trial) -> float:
        forest = RandomForestClassifier(
            n_estimators=trial.suggest_int("n_estimators", 5, 40),
            max_depth=trial.suggest_int("max_depth", 1, 6),
            random_state=0,
        )
        forest.fit(fit[FEATURES], fit[TARGET])
        return float(forest.score(valid[FEATURES], valid[TARGET]))

    result = ws.tune(
        objective,
        experiment=EXPERIMENT,
        study_name=f"{EXPERIMENT}-forest",
        n_trials=10,
        direction="maximize",
        metric="valid_accuracy",
        sampler=optuna.samplers.TPESampler(seed=0),
    )
    trials = sum(result.states.values())
    console.print(
        f"study {result.study_name}: {trials} trials so far, 10 this time (child runs of "
        f"{result.parent_run_id}); "
        f"best valid_accuracy {result.best_value:.4f} with {result.best_params}",
        markup=False,
    )
    best = RandomForestClassifier(**result.best_params, random_state=0)
    params = {"model": "RandomForestClassifier", **result.best_params, "tuned_by": trials}
    run_id = _fit_in_run(ws, "forest-tuned", best, params)
    console.print(
        f"forest-tuned: eval_accuracy {ws.runs.get(run_id).metric_values['eval_accuracy']:.4f}",
        markup=False,
    )
    return {run_id: best}


def _register(ws: lw.Workspace, models: dict[str, Any]) -> Any:
    """Register the run with the best held-out accuracy, with its reports, and move
    ``@champion`` to it (forced, and recorded, when fairness fails)."""
    from lakeworks.cli.models import report_summary

    console.rule("9. model registry")
    [best] = ws.runs.search(
        EXPERIMENT,
        filter="attributes.run_id IN ({})".format(", ".join(f"'{i}'" for i in models)),
        order_by=["metrics.eval_accuracy DESC", "attributes.start_time ASC"],
        max_results=1,
    )
    _, test = _data(ws)
    version = ws.models.register(
        MODEL,
        models[best.id],
        run_id=best.id,
        training_data=test[FEATURES],
        evaluation_data=test,
        target=TARGET,
        sensitive_column=SENSITIVE,
        positive_label=POSITIVE,
        description="predicts a penguin's species from its measurements and island stats",
        reports={"card": {"intended_use": "the lakeworks quickstart", "limitations": _LIMITS}},
    )
    console.print(f"registered {version.ref} from run {best.info.name} ({best.id})")
    for report in ws.models.reports(MODEL, version.version):
        console.print(report_summary(report), markup=False)
    _champion(ws, version.version)
    return version


_LIMITS = [
    "344 penguins of three islands, 2007-2009",
    "fairness over island reflects where each species lives",
]


def _champion(ws: lw.Workspace, version: int) -> None:
    try:
        event = ws.models.set_alias(MODEL, "champion", version)
    except DataQualityError as refused:
        console.print(f"refused: {refused}", markup=False, style="yellow")
        console.print(
            "the fairness gap is where the species live (Torgersen has only Adelie), not the "
            "model: forcing it, and the force is recorded",
            markup=False,
        )
        event = ws.models.set_alias(MODEL, "champion", version, force=True)
    forced = f" (forced: {event.reason})" if event.forced else ""
    moved = f"from {event.from_version} " if event.from_version else ""
    console.print(f"{MODEL}@champion {moved}-> {event.to_version} by {event.moved_by}{forced}")


def _load(ws: lw.Workspace) -> None:
    """Predict one penguin of each island, its island's stats from the online store (as a
    serving app would), then a frame that does not match the signature."""
    import pyarrow as pa

    console.rule("10. load @champion and predict")
    model = ws.models.load(f"{MODEL}@champion")
    rows = ws.sql(
        f"select island, {', '.join(MEASURES)} from penguins where body_mass_g is not null "
        "qualify row_number() over (partition by island order by bill_length_mm desc) = 1 "
        "order by island"
    ).arrow()
    stats = ws.features.online(
        ["island_stats:avg_mass_g", "island_stats:avg_flipper_mm"],
        [{"island": island} for island in rows["island"].to_pylist()],
    )
    for name in ("avg_mass_g", "avg_flipper_mm"):
        rows = rows.append_column(name, pa.array([v[name] for v in stats.values], pa.float64()))
    predicted = model.predict(rows.drop_columns(["island"]))
    show(f"{model.version.ref} predicts", rows.append_column("predicted", predicted.column(0)))
    bad = rows.drop_columns(["island", "body_mass_g"]).append_column("beak_colour", rows["island"])
    try:
        model.predict(bad)
    except SchemaMismatchError as error:
        console.print(f"a frame that does not match the signature: {error}", markup=False)


def _lineage(ws: lw.Workspace, version: int) -> None:
    console.rule("11. lineage: table version -> run -> model version")
    found = ws.models.lineage(MODEL, version)
    tables = [f"{i['name']}@v{i['version']}" for i in found["inputs"] if i["kind"] == "table"]
    sets = [i["name"] for i in found["inputs"] if i["kind"] == "training_set"]
    console.print(
        f"{', '.join(tables)} -> training set {', '.join(sets)} -> run {found['run_id']} "
        f"-> {MODEL}/{version}",
        markup=False,
    )
    edges = ws.lineage("penguins", depth=1).downstream
    [edge] = [e for e in edges if e.target.kind == "run" and e.target.name == found["run_id"]]
    console.print(
        f"ws.lineage('penguins'): {edge.source} -> run {edge.target} ({edge.job})", markup=False
    )
