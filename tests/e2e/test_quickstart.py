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


def test_quickstart_twice_does_not_duplicate(tmp_path: Path) -> None:
    run_quickstart(tmp_path / "lw")
    out = run_quickstart(tmp_path / "lw")
    assert "penguins.csv: skipped" in out
    assert "the latest version has 348" in out
    assert "pipeline run 2 succeeded" in out  # registered again, run again
