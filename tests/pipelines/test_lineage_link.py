"""A table written by a pipeline task is linked in lineage to that task's run."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

import lakeworks as lw

PIPELINE = """
from lakeworks.pipelines import Pipeline, steps

p = Pipeline("nightly")
p.add("summarise", steps.sql("select kind, count(*) as n from events group by kind",
                             table="summary"))
"""


def test_pipeline_writes_carry_their_run_and_task(ws: lw.Workspace, tmp_path: Path) -> None:
    ws.write("events", pa.table({"kind": ["a", "b", "a"]}))
    source = tmp_path / "nightly.py"
    source.write_text(PIPELINE)
    ws.pipelines.register(str(source))
    run = ws.pipelines.run("nightly")
    assert run.state == "succeeded"
    graph = ws.lineage("summary")
    text = repr(graph)
    assert "events" in text
    assert "nightly" in text and "summarise" in text
    task = run.task("summarise")
    assert any(r["table"] == "events" for r in task.reads)
