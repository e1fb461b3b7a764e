"""The quickstart, run as a newcomer runs it (without serving)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lakeworks as lw
from lakeworks.config import Settings


def run_quickstart(home: Path) -> str:
    exe = Path(sys.executable).parent / "lakeworks"
    done = subprocess.run(
        [str(exe), "--home", str(home), "quickstart", "--no-serve"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quickstart_shows_the_platform_end_to_end(tmp_path: Path) -> None:
    out = run_quickstart(tmp_path / "lw")
    assert "penguins.csv: succeeded: read 344, written 344, quarantined 0" in out
    assert "penguins_2010.csv: succeeded: read 6, written 4, quarantined 2" in out
    assert "heavy" in out  # the quarantined raw record is shown
    assert "penguins@v0 has 344 rows; the latest version has 348" in out
    assert "online Biscoe: {'avg_mass_g': " in out  # the feature store step
    flat = " ".join(out.split())  # rich wraps long lines
    assert "(the default): 0 of 4 rows have a value, 4 not yet known" in flat
    assert "warning: feature view 'island_stats': 4 of 4 rows" in flat  # with the fix:
    assert "available_after='1h'" in flat
    assert "(published a month after the year): 4 of 4 rows have a value" in flat
    assert "registered pipeline penguins_daily (@daily): ingest -> species_stats" in out
    assert "pipeline run 1 succeeded" in out
    ws = lw.connect("quickstart", settings=Settings.load(home=tmp_path / "lw"), create=False)
    assert {t.name for t in ws.tables()} >= {"penguins", "penguins__quarantine", "island_counts"}
    masses = ws.sql("select count(*) from penguins where body_mass_g is null").fetchall()
    assert masses == [(2,)]  # the "NA" values of the original data are nulls, not text
    run = ws.pipelines.run_info(1)
    assert [(t.task, t.state) for t in run.tasks] == [
        ("ingest", "succeeded"),
        ("species_stats", "succeeded"),
    ]
    assert ws.pipelines.get("penguins_daily").schedule == "@daily"
    assert ws.sql("select count(*) from species_stats").fetchall() == [(3,)]
    ws.platform.close()
    _assert_ml_steps(flat, tmp_path / "lw")
    assert "stream clicks -> table clicks: 6 events, written 5, quarantined 1" in flat
    assert "online page_views_10m, visitor 7, before: 4 views of 3 pages" in flat
    assert "online page_views_10m, visitor 7, after 3 more clicks: 7 views of 5 pages" in flat
    _assert_serving_step(flat, tmp_path / "lw")
    _assert_trace_step(flat)


def _assert_serving_step(flat: str, home: Path) -> None:
    """The endpoint step: the canary climbs while healthy, then drift rolls it back on its own."""
    assert "endpoint penguins v1 serves penguins_species/1" in flat
    assert "challenger penguins_species/2 registered" in flat
    assert "canary penguins_species/2 takes 10%" in flat
    assert "why: penguins_species/2: drift" in flat and "breached the threshold 0.5" in flat
    assert "endpoint penguins v4 (auto-rollback) serves penguins_species/1" in flat
    ws = lw.connect("quickstart", settings=Settings.load(home=home), create=False)
    try:
        history = ws.endpoints.history("penguins")
        assert [(c.action, c.share) for c in history] == [
            ("deploy", 0),
            ("deploy", 10),
            ("auto-promote", 50),
            ("auto-rollback", 0),
        ]
        assert history[-1].reason["policy"] == "drift" and history[-1].candidate is None
    finally:
        ws.platform.close()


def _assert_ml_steps(flat: str, home: Path) -> None:
    """Steps 7-11: what the output says, then the state the SDK finds afterwards."""
    assert "runs compared (ws.runs.to_frame)" in flat
    assert "eval acc" in flat and "logistic" in flat and "forest" in flat
    assert "study penguins_species-forest: 10 trials so far, 10 this time" in flat
    assert "best valid_accuracy 0.9" in flat and "forest-tuned: eval_accuracy 0.9" in flat
    assert "registered penguins_species/1 from run" in flat
    assert "card: owner " in flat and "training data: penguins@" in flat
    assert "evaluation (informative): accuracy=" in flat
    assert "explanation (permutation): bill_length_mm=" in flat
    assert "fairness over island (FAILED): demographic parity difference 0.7" in flat
    assert "refused: cannot move alias 'champion' to penguins_species/1: its fairness" in flat
    assert "penguins_species@champion -> 1 by " in flat
    assert "(forced: forced past failing fairness)" in flat
    assert "penguins_species/1 predicts" in flat
    assert "missing column(s) body_mass_g; unexpected column(s) beak_colour" in flat
    assert "-> training set island_stats@v1 -> run " in flat and "-> penguins_species/1" in flat
    assert "ws.lineage('penguins'): penguins@v" in flat
    ws = lw.connect("quickstart", settings=Settings.load(home=home), create=False)
    try:
        champion = ws.models.version("penguins_species@champion")
        assert champion.version == 1 and champion.run_id
        kinds = {r.kind: r.passed for r in ws.models.reports("penguins_species", 1)}
        assert kinds == {"card": None, "evaluation": None, "explanation": None, "fairness": False}
        [event] = ws.models.alias_events("penguins_species", "champion")
        assert event.forced and event.to_version == 1
        runs = ws.runs.search("penguins_species", filter="tags.quickstart = 'candidate'")
        assert sorted(r.info.name for r in runs) == ["forest", "forest-tuned", "logistic"]
        for run in runs:
            assert run.info.status == "FINISHED"
            assert 0.9 <= run.metric_values["eval_accuracy"] <= 1
            assert {"train_accuracy", "eval_f1_macro", "eval_log_loss"} <= set(run.metric_values)
            inputs = {(i.kind, i.name) for i in ws.platform.tracking.list_inputs(ws.ctx, run.id)}
            assert {("table", "penguins"), ("training_set", "island_stats@v1")} <= inputs
        [study] = ws.runs.search(
            "penguins_species", filter="tags.`lakeworks.optuna.role` = 'study'"
        )
        trials = ws.runs.search(
            "penguins_species", filter=f"tags.mlflow.parentRunId = '{study.id}'"
        )
        assert len(trials) == 10 and all("valid_accuracy" in t.metric_values for t in trials)
        lineage = ws.models.lineage("penguins_species", 1)
        assert lineage["run_id"] == champion.run_id
        assert any(i["kind"] == "table" and i["name"] == "penguins" for i in lineage["inputs"])
    finally:
        ws.platform.close()


def test_quickstart_twice_does_not_duplicate(tmp_path: Path) -> None:
    run_quickstart(tmp_path / "lw")
    out = run_quickstart(tmp_path / "lw")
    assert "penguins.csv: skipped" in out
    assert "the latest version has 348" in out
    assert "pipeline run 2 succeeded" in out  # registered again, run again
    flat = " ".join(out.split())
    assert "20 trials so far, 10 this time" in flat  # the study goes on
    assert (
        "registered penguins_species/3 from run" in flat
    )  # a new version (2: the endpoints step, 13)
    assert "penguins_species@champion from 1 -> 3 by " in flat
    assert "penguins_species/3 predicts" in flat
    assert "endpoint penguins v5 serves penguins_species/3" in flat  # switched blue-green
    assert "(auto-rollback) serves penguins_species/3" in flat


def _assert_trace_step(flat: str) -> None:
    """Step 14: a prediction traced to the champion, the run that trained it (step 11's),
    its training set and the table version the run read."""
    import re

    assert "14. trace one prediction back to its training data" in flat
    trained = re.search(r"training set island_stats@v\d+ -> run (\w+) -> penguins_species/1", flat)
    traced = re.search(
        r"request \w+: \{'prediction': '\w+'\} from penguins_species/1 \(endpoint penguins "
        r"v4, slot live\) <- run (\w+) <- training set island_stats@v\d+ <- tables penguins@v\d+",
        flat,
    )
    assert trained and traced, flat[-1500:]
    assert traced.group(1) == trained.group(1)
