"""OpenLineage run events for every write, through the openlineage-python client.

Each write is one OpenLineage run: START before it commits, then COMPLETE or FAIL, with
the input datasets (table versions, files, queries, URLs) and the output table, each with
a schema facet. Table datasets are named ``<workspace>.<table>`` in the namespace
``lakeworks``; a load's file in ``file``. Inside a pipeline task the run carries a parent
run facet for the pipeline run.

Transport (Settings ``lineage_transport``): ``file`` (default; JSON lines in
``<home>/lineage/openlineage.jsonl`` or ``lineage_url``), ``http`` (a Marquez or other
OpenLineage endpoint at ``lineage_url``), ``console`` (the log) or ``none``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeworks.errors import InvalidInputError

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeworks.config import Settings
    from lakeworks.lineage.jobs import JobRun

log = logging.getLogger("lakeworks.lineage")

NAMESPACE = "lakeworks"
PRODUCER = "https://github.com/lakeworks/lakeworks"
TRANSPORTS = ("file", "http", "console", "none")


def default_file(settings: Settings) -> Path:
    return (settings.home / "lineage" / "openlineage.jsonl").resolve()


def make_client(settings: Settings) -> Any:
    """The OpenLineage client for the configured transport, or None for ``none``."""
    kind = getattr(settings, "lineage_transport", "file") or "file"
    url = getattr(settings, "lineage_url", None)
    if kind not in TRANSPORTS:
        raise InvalidInputError(
            f"unknown lineage_transport {kind!r}", hint=f"use one of {list(TRANSPORTS)}"
        )
    if kind == "none":
        return None
    from openlineage.client import OpenLineageClient

    if kind == "http":
        if not url:
            raise InvalidInputError(
                "lineage_transport 'http' needs lineage_url",
                hint="set LAKEWORKS_LINEAGE_URL=http://marquez:5000",
            )
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        return OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=5.0)))
    if kind == "console":
        from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport

        return OpenLineageClient(transport=ConsoleTransport(ConsoleConfig()))
    from openlineage.client.transport.file import FileConfig, FileTransport

    path = Path(url) if url else default_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return OpenLineageClient(
        transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
    )


def dataset(kind: str, name: str, schema: pa.Schema | None, output: bool) -> Any:
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.facet_v2 import schema_dataset

    facets = {}
    if schema is not None:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(name=f.name, type=str(f.type))
                for f in schema
            ]
        )
    namespace = NAMESPACE if kind == "table" else kind
    cls = OutputDataset if output else InputDataset
    return cls(namespace=namespace, name=name, facets=facets)


def event(
    state: str,
    *,
    run_uuid: str,
    job_name: str,
    inputs: list[Any],
    outputs: list[Any],
    job: JobRun | None,
    workspace: str,
    sql: str | None = None,
    error: BaseException | None = None,
) -> Any:
    """One RunEvent (``state``: START, COMPLETE or FAIL)."""
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import error_message_run, parent_run, sql_job

    run_facets: dict[str, Any] = {}
    if job is not None:
        parent = uuid.uuid5(
            uuid.NAMESPACE_URL, f"lakeworks:{workspace}:{job.pipeline}:{job.run_id}"
        )
        run_facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=str(parent)),
            job=parent_run.Job(namespace=NAMESPACE, name=f"{workspace}.{job.pipeline}"),
        )
    if error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=str(error)[:2000], programmingLanguage="python"
        )
    job_facets = {"sql": sql_job.SQLJobFacet(query=sql)} if sql else {}
    return RunEvent(
        eventType=RunState[state],
        eventTime=datetime.now(UTC).isoformat(),
        run=Run(runId=run_uuid, facets=run_facets),
        job=Job(namespace=NAMESPACE, name=job_name, facets=job_facets),
        producer=PRODUCER,
        inputs=inputs,
        outputs=outputs,
    )
