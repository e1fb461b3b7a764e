"""MLflow side of ``benchmarks/ui_mlflow.py``: runs with the Python of MLflow's own venv.

Seeds an MLflow SQLite store from the JSON file ``ui_mlflow.py`` writes, unless the store
already holds the experiment: the first runs (those compared, with their metric's 1,000
points) through ``MlflowClient`` (``create_run``, ``log_batch``, ``set_terminated``), the
rest as rows of MLflow's own tables copied from the shape of the last client-made run
(runs, tags, params, metrics, latest_metrics) in bulk, since the client takes ~0.2 s a run.
Prints ``{"experiment_id": ..., "run_ids": {name: id}}``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import uuid
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    data = json.loads(args.data.read_text())
    client = MlflowClient(tracking_uri=args.store)
    found = client.get_experiment_by_name("ui-bench")
    if found is not None:
        runs = client.search_runs([found.experiment_id], max_results=50_000)
        ids = {r.info.run_name: r.info.run_id for r in runs}
        print(json.dumps({"experiment_id": found.experiment_id, "run_ids": ids}))
        return
    experiment_id = client.create_experiment("ui-bench")
    ids: dict[str, str] = {}
    first = data["through_client"]
    for run in data["runs"][:first]:
        created = client.create_run(experiment_id, start_time=run["start"], run_name=run["name"])
        run_id = created.info.run_id
        points = [Metric(k, v, run["start"], 0) for k, v in run["metrics"].items()]
        for key, values in run.get("history", {}).items():
            points += [Metric(key, v, run["start"] + s, s) for s, v in enumerate(values)]
        client.log_batch(
            run_id, metrics=points, params=[Param(k, v) for k, v in run["params"].items()]
        )
        client.set_terminated(run_id, end_time=run["start"] + 60_000)
        ids[run["name"]] = run_id
    bulk(args.store.removeprefix("sqlite:///"), data["runs"][first:], ids[run["name"]], ids)
    print(json.dumps({"experiment_id": experiment_id, "run_ids": ids}))


def bulk(path: str, runs: list[dict], template: str, ids: dict[str, str]) -> None:
    """Insert ``runs`` as rows shaped like those of run ``template``."""
    db = sqlite3.connect(path)
    columns = [c[1] for c in db.execute("pragma table_info(runs)")]
    row = dict(
        zip(
            columns,
            db.execute("select * from runs where run_uuid = ?", (template,)).fetchone(),
            strict=True,
        )
    )
    tags = db.execute("select key, value from tags where run_uuid = ?", (template,)).fetchall()
    for run in runs:
        run_id = uuid.uuid4().hex
        ids[run["name"]] = run_id
        values = {
            **row,
            "run_uuid": run_id,
            "name": run["name"],
            "start_time": run["start"],
            "end_time": run["start"] + 60_000,
            "artifact_uri": row["artifact_uri"].replace(template, run_id),
        }
        db.execute(
            f"insert into runs ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
            [values[c] for c in columns],
        )
        named = [(k, run["name"] if k == "mlflow.runName" else v, run_id) for k, v in tags]
        db.executemany("insert into tags (key, value, run_uuid) values (?, ?, ?)", named)
        db.executemany(
            "insert into params (key, value, run_uuid) values (?, ?, ?)",
            [(k, v, run_id) for k, v in run["params"].items()],
        )
        points = [(k, v, run["start"], run_id, 0, 0) for k, v in run["metrics"].items()]
        db.executemany(
            "insert into metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "values (?, ?, ?, ?, ?, ?)",
            points,
        )
        db.executemany(
            "insert into latest_metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "values (?, ?, ?, ?, ?, ?)",
            points,
        )
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
