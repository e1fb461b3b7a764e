"""``lakeworks experiments ...``, ``lakeworks runs ...`` and ``lakeworks gc``."""

from __future__ import annotations

import lakeworks as lw
from lakeworks.cli.app import app
from tests.cli.conftest import Cli


def _runs(cli: Cli) -> list[str]:
    ws = lw.connect(home=cli.home, user="u", progress=False)
    try:
        ids = []
        for depth, auc in ((3, 0.7), (6, 0.9), (9, float("nan"))):
            with ws.start_run("churn", name=f"d{depth}") as run:
                run.log_param("depth", depth)
                run.log_metric("auc", auc)
                run.log_artifact(_file(cli, f"model-{depth}.bin", b"m" * (depth * 10)))
            ids.append(run.id)
        return ids
    finally:
        ws.platform.close()


def _file(cli: Cli, name: str, data: bytes):  # noqa: ANN202
    path = cli.home.parent / name
    path.write_bytes(data)
    return path


def test_experiments_create_list_runs_compare_best(cli: Cli) -> None:
    created = cli("experiments", "create", "other")
    assert created.exit_code == 0 and "created experiment 'other'" in created.output
    ids = _runs(cli)
    listed = cli("experiments", "list")
    assert "churn" in listed.output and "other" in listed.output
    runs = cli("experiments", "runs", "churn")
    assert runs.exit_code == 0 and all(i in runs.output for i in ids) and "d6" in runs.output
    filtered = cli(
        "experiments", "runs", "churn", "--filter", "params.depth != '3'",
        "--order-by", "metrics.auc DESC",
    )  # fmt: skip
    assert filtered.exit_code == 0 and ids[0] not in filtered.output
    assert filtered.output.index(ids[1]) < filtered.output.index(ids[2])  # NaN sorts last
    bad = cli("experiments", "runs", "churn", "--filter", "metrics.auc >> 1")
    assert bad.exit_code == 1 and "error:" in bad.output and "metrics.auc >>" in bad.output
    compared = cli("experiments", "compare", ids[0], ids[1])
    assert compared.exit_code == 0 and "params.depth" in compared.output
    assert "metrics.auc" in compared.output and "0.9" in compared.output
    best = cli("experiments", "best", "churn", "--metric", "auc")
    assert best.exit_code == 0 and f"best run {ids[1]}" in best.output
    worst = cli("experiments", "best", "churn", "--metric", "auc", "--mode", "min")
    assert f"best run {ids[0]}" in worst.output  # NaN is never best


def test_bad_inputs_are_one_line_errors(cli: Cli) -> None:
    _runs(cli)
    missing = cli("experiments", "runs", "nope")
    assert missing.exit_code == 1 and "experiment 'nope' does not exist" in missing.output
    no_metric = cli("experiments", "best", "churn", "--metric", "loss")
    assert no_metric.exit_code == 1 and "no run of experiment 'churn' has the metric" in (
        no_metric.output
    )
    bad_mode = cli("experiments", "best", "churn", "--metric", "auc", "--mode", "median")
    assert bad_mode.exit_code == 1 and "mode must be 'max' or 'min'" in bad_mode.output
    no_run = cli("runs", "show", "f" * 32)
    assert no_run.exit_code == 1 and "does not exist" in no_run.output
    taken = cli("experiments", "create", "churn")
    assert taken.exit_code == 1 and "already exists" in taken.output


def test_runs_show_delete_restore_and_gc(cli: Cli) -> None:
    ids = _runs(cli)
    shown = cli("runs", "show", ids[1])
    assert shown.exit_code == 0 and "depth" in shown.output and "model-6.bin" in shown.output
    assert cli("runs", "delete", ids[1]).exit_code == 0
    assert ids[1] not in cli("experiments", "runs", "churn").output
    assert cli("runs", "restore", ids[1]).exit_code == 0
    assert ids[1] in cli("experiments", "runs", "churn").output
    cli("runs", "delete", ids[2])
    kept = cli("gc", "--dry-run")  # the objects are younger than the grace period
    assert "would purge 1 deleted runs; would free 0 objects, 0 bytes" in kept.output
    env = {"LAKEWORKS_TRACKING_GC_GRACE": "0"}
    preview = cli.runner.invoke(app, ["--home", str(cli.home), "gc", "--dry-run"], env=env)
    assert "would purge 1 deleted runs; would free 1 objects, 90 bytes" in preview.output
    done = cli.runner.invoke(app, ["--home", str(cli.home), "gc"], env=env)
    assert "purged 1 deleted runs; freed 1 objects, 90 bytes" in done.output
    gone = cli("runs", "show", ids[2])
    assert gone.exit_code == 1
