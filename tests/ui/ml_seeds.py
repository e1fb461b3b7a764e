"""Data the ML pages' tests make through the services before their server starts: an
experiment of runs with metrics over steps and artifacts, a model with two versions and
its governance reports, and an endpoint in the middle of a canary roll-out."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import lakeworks as lw
from lakeworks.tracking.records import Metric

RUNS = 24
STEPS = 60


def png(width: int = 4, height: int = 3) -> bytes:
    """A tiny valid PNG (solid blue), so the preview shows a real image."""
    raw = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def experiment(ws: lw.Workspace, folder: Path) -> tuple[int, list[str], str]:
    """``churn``: RUNS finished runs (params lr, model; loss and acc over steps), the first
    with artifacts; and one run left RUNNING. Returns (experiment id, run ids, running id)."""
    tracking, ctx = ws.platform.tracking, ws.ctx
    exp = tracking.create_experiment(ctx, "churn")
    ids = []
    for i in range(RUNS):
        run = tracking.create_run(ctx, exp.id, name=f"trial-{i:02d}")
        lr = round(0.01 * (i + 1), 3)
        points = [Metric("loss", 1.0 / (1 + lr * s), s, 1_000 + s) for s in range(STEPS)]
        points += [Metric("acc", 0.5 + i / 100, STEPS - 1, 2_000)]
        params = [("lr", str(lr)), ("model", "tree" if i % 2 else "linear")]
        tracking.log_batch(ctx, run.id, metrics=points, params=params)
        ids.append(run.id)
    (folder / "plots").mkdir(parents=True, exist_ok=True)
    (folder / "plots" / "curve.png").write_bytes(png())
    (folder / "notes.txt").write_text("the first trial\nwith a note")
    (folder / "scores.csv").write_text("id,score\n1,0.5\n2,0.75\n")
    tracking.log_artifacts(ctx, ids[0], folder)
    for i in range(RUNS):
        tracking.update_run(ctx, ids[i], status="FINISHED")
    running = tracking.create_run(ctx, exp.id, name="live-one")
    tracking.log_batch(ctx, running.id, metrics=[Metric("loss", 1.0, 0), Metric("loss", 0.9, 1)])
    return exp.id, ids, running.id


def model_and_endpoint(ws: lw.Workspace) -> None:
    """``churn`` v1 and v2 (fairness over ``region``: v1 passes, v2 fails its zero
    threshold; an explanation), alias ``champion`` at v1, endpoint ``churn_api`` serving v1
    with v2 as a canary at its first step."""
    registry, ctx = ws.platform.registry, ws.ctx
    rng = np.random.default_rng(7)
    data = pd.DataFrame({"tenure": rng.normal(size=200), "spend": rng.normal(size=200)})
    data["region"] = np.where(rng.random(200) > 0.5, "north", "south")
    data["churned"] = (data["tenure"] + 0.3 * rng.normal(size=200) > 0).astype(int)
    for c, threshold in ((1.0, 1.0), (0.1, 0.0)):
        model = LogisticRegression(C=c).fit(data[["tenure", "spend"]], data["churned"])
        registry.register(
            ctx, "churn", model=model, evaluation_data=data, target="churned",
            sensitive_column="region", fairness_threshold=threshold,
        )  # fmt: skip
    registry.set_alias(ctx, "churn", "champion", 1)
    ws.platform.serving.deploy(ctx, "churn_api", "churn/1")
    ws.platform.serving.deploy(ctx, "churn_api", "churn/2", strategy="canary")


def served_endpoint(ws: lw.Workspace) -> dict[str, int]:
    """``fraud`` v1 and v2 fitted on ``fraud_train`` (amount and age, both N(0, 1)), v1's
    drift reference; endpoint ``fraud_api`` serving v1 to 30 requests whose ``amount`` is
    shifted by 3 (it drifts; age does not), then v2 as a canary whose p99 threshold any
    request breaches, rolled back by a health round after 30 more requests. Returns the
    requests each ``"<slot> <model>"`` answered."""
    serving, ctx = ws.platform.serving, ws.ctx
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"amount": rng.normal(size=300), "age": rng.normal(size=300)})
    ws.write("fraud_train", train)
    target = (train["amount"] > 0).astype(int)
    for c in (1.0, 0.1):
        model = LogisticRegression(C=c).fit(train, target)
        ws.platform.registry.register(ctx, "fraud", model=model, training_data=train)
    serving.deploy(ctx, "fraud_api", "fraud/1")
    serving.set_reference(ctx, "fraud_api", "fraud_train")
    answered: dict[str, int] = {}
    for i in range(60):
        if i == 30:
            health = {"p99_ms": 0.001, "min_requests": 3}
            serving.deploy(ctx, "fraud_api", "fraud/2", "canary", steps=(50, 100), health=health)
        row = {"amount": float(rng.normal(3, 1)), "age": float(rng.normal())}
        found = serving.predict(ctx, "fraud_api", [row], key=f"k{i}")
        slot = f"{found.slot} {found.model}"
        answered[slot] = answered.get(slot, 0) + 1
    [rolled] = serving.evaluator.run_once()
    assert rolled.action == "auto-rollback", rolled
    serving.deploy(ctx, "quiet_api", "fraud/1")  # no traffic at all
    return answered
