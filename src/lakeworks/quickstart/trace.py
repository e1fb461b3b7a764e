"""The quickstart's tracing step: one prediction of the endpoint, traced back through the
prediction log to the model version, the run that trained it, its training set and the
table versions the run read (``ws.lineage.prediction``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeworks.quickstart.endpoints import ENDPOINT
from lakeworks.quickstart.ml import FEATURES, _data
from lakeworks.quickstart.show import console

if TYPE_CHECKING:
    import lakeworks as lw


def main(ws: lw.Workspace) -> None:
    console.rule("14. trace one prediction back to its training data")
    _, test = _data(ws)
    row = test[FEATURES].to_dict("records")[0]
    answer = ws.endpoints.predict(ENDPOINT, [row], key="penguin-traced")
    trace = ws.lineage.prediction(answer.request_id)
    config = trace.configuration or {}
    inputs = trace.training.get("inputs", [])
    tables = [f"{i['name']}@v{i['version']}" for i in inputs if i["kind"] == "table"]
    sets = [i["name"] for i in inputs if i["kind"] == "training_set"]
    console.print(
        f"request {trace.request_id}: {trace.rows[0]['output']} from {trace.model['ref']} "
        f"(endpoint {trace.endpoint} v{config.get('version')}, slot live)",
        markup=False,
    )
    console.print(
        f"  <- run {trace.run_id} <- training set {', '.join(sets) or '-'} "
        f"<- tables {', '.join(tables) or '-'}",
        markup=False,
    )
