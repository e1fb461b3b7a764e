"""Platform steps: tasks that run SQL into a table version, or ingest a source.

Each step is a plain function taking ``context`` (so it runs on any executor) and
records the table versions it read and wrote for lineage. A step stops (``FencedError``)
when its attempt was timed out or cancelled, before it starts and between its query and
its write; the write itself is fenced by the table store.

Example:
    >>> p = Pipeline("daily")                                     # doctest: +SKIP
    >>> p.add("load", ingest("orders.csv", "orders", keys=["id"]))  # doctest: +SKIP
    >>> p.add("totals", sql("select status, count(*) n from orders group by 1",
    ...                     table="totals"), deps=["load"])        # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from lakeworks.pipelines.calls import TaskContext


def sql(query: str, table: str | None = None, mode: str = "overwrite") -> Any:
    """A task running ``query``; with ``table`` its result becomes a new version of it.

    Without ``table`` the statement itself must write (``CREATE TABLE x AS ...``,
    ``INSERT INTO x ...``). The task returns ``{"table": ..., "version": ..., "rows": ...}``.
    """

    def run_sql(context: TaskContext) -> dict[str, Any]:
        platform, ctx = context.platform, context.ctx
        context.check_cancelled()
        if table is None:
            result = platform.sql.execute(ctx, query)
            if not hasattr(result, "version"):
                raise ValueError(
                    "a sql step without table= must be CREATE TABLE .. AS or INSERT INTO"
                )
        else:
            bound = platform.sql.query(ctx, query)
            for read in bound.reads:
                context.record_read(read.table, read.version)
            context.check_cancelled()  # the query may have taken long: stop before writing
            result = bound.save(table, mode=mode)
        context.record_write(result.table, result.version)
        print(f"wrote {result.rows} rows to {result.table} version {result.version}")
        return {"table": result.table, "version": result.version, "rows": result.rows}

    run_sql.__lakeworks_step__ = {"kind": "sql", "query": query, "table": table, "mode": mode}
    return run_sql


def ingest(source: Any, table: str, **options: Any) -> Any:
    """A task loading ``source`` into ``table`` via ``platform.ingest.load``."""

    def run_ingest(context: TaskContext) -> dict[str, Any]:
        context.check_cancelled()
        result = context.platform.ingest.load(context.ctx, source, table, **options)
        if result.version is not None:
            context.record_write(result.table, result.version)
        print(result.message)
        return {
            "table": result.table,
            "version": result.version,
            "status": result.status,
            "rows_written": result.rows_written,
            "rows_quarantined": result.rows_quarantined,
        }

    run_ingest.__lakeworks_step__ = {"kind": "ingest", "source": str(source), "table": table}
    return run_ingest
