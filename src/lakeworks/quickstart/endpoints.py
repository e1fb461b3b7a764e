"""The quickstart's serving step: the champion behind an endpoint, traffic, a challenger
rolled out as a canary that climbs its steps on schedule while healthy, then a units bug
upstream (every measure ten times too large) that its drift policy catches: the endpoint
rolls back to the champion on its own, and the history says why.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.table import Table

from lakeworks.quickstart.ml import FEATURES, MEASURES, MODEL, TARGET, _data
from lakeworks.quickstart.show import console

if TYPE_CHECKING:
    import lakeworks as lw

ENDPOINT = "penguins"
REFERENCE = "penguins_training"  # the champion's training features: the drift reference
HEALTH = {
    "error_rate": 0.05,
    "drift": 0.5,  # half the input columns drifted from the training data
    "drift_reference": REFERENCE,
    "min_requests": 20,
    "window": "1m",
}
TIMEOUT = 30  # seconds the roll-out may take before the quickstart gives up on it


def main(ws: lw.Workspace) -> None:
    console.rule("13. endpoints: a canary, drift, automatic rollback")
    train, test = _data(ws)
    ws.write(REFERENCE, train[FEATURES], mode="overwrite")
    live = ws.endpoints.deploy(ENDPOINT, model=f"{MODEL}@champion", strategy="blue-green")
    console.print(f"endpoint {ENDPOINT} v{live.version} serves {live.live.ref}", markup=False)
    rows = test[FEATURES].to_dict("records")
    for i, row in enumerate(rows):
        ws.endpoints.predict(ENDPOINT, [row], key=f"penguin-{i}")
    challenger = _challenger(ws, train)
    with ws.endpoints.watch(interval=0.2):
        canary = ws.endpoints.deploy(
            ENDPOINT,
            model=challenger,
            strategy="canary",
            steps=(10, 50, 100),
            every="1s",
            health=HEALTH,
        )
        console.print(
            f"canary {canary.candidate.ref} takes {canary.share}%, a step a second while "
            f"healthy; policy {HEALTH}",
            markup=False,
        )
        _traffic(ws, rows, until=lambda c: c.share >= 50, drifted=False)
        console.print("a units bug upstream: every measure arrives ten times too large")
        _traffic(ws, rows, until=lambda c: c.action == "auto-rollback", drifted=True)
    _report(ws)


def _challenger(ws: lw.Workspace, train: Any) -> str:
    """A logistic regression on the same features, registered as the next version."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train[FEATURES], train[TARGET])
    version = ws.models.register(MODEL, model, training_data=train[FEATURES])
    console.print(f"challenger {version.ref} registered (not @champion)", markup=False)
    return version.ref


def _traffic(ws: lw.Workspace, rows: list[dict], until: Any, drifted: bool) -> None:
    """Send ``rows`` round and round until the endpoint's configuration meets ``until``."""
    deadline = time.monotonic() + TIMEOUT
    i = 0
    while time.monotonic() < deadline:
        row = rows[i % len(rows)]
        ws.endpoints.predict(ENDPOINT, [_drift(row) if drifted else row], key=f"penguin-{i}")
        i += 1
        if i % 10 == 0 and until(ws.endpoints.show(ENDPOINT)):
            return
    console.print(f"the roll-out did not get there within {TIMEOUT} s", style="yellow")


def _drift(row: dict) -> dict:
    return {k: type(v)(v * 10) if k in MEASURES else v for k, v in row.items()}


def _report(ws: lw.Workspace) -> None:
    history = Table("version", "action", "by", "slots", "candidate share", title="history")
    configs = ws.endpoints.history(ENDPOINT)
    for c in configs:
        slots = ", ".join(f"{s.name}={s.ref}" for s in c.slots)
        history.add_row(str(c.version), c.action, c.created_by, slots, f"{c.share}%")
    console.print(history)
    if configs[-1].reason:
        console.print(f"why: {configs[-1].reason['reason']}", markup=False)
    metrics = Table("slot", "model", "requests", "errors", "p50 ms", "p99 ms", title="metrics")
    for s in ws.endpoints.metrics(ENDPOINT, window="5m").slots:
        st = s.stats
        metrics.add_row(
            s.slot,
            st.model,
            str(st.requests),
            str(st.errors),
            f"{st.p50_ms:.2f}",
            f"{st.p99_ms:.2f}",
        )
    console.print(metrics)
    current = ws.endpoints.show(ENDPOINT)
    console.print(
        f"endpoint {ENDPOINT} v{current.version} ({current.action}) serves {current.live.ref}",
        markup=False,
    )
