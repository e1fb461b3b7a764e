"""Pipelines: DAGs of Python, SQL and platform steps, run here or on a Dask cluster.

Define a pipeline in a Python file, register it, run it::

    from lakeworks.pipelines import Pipeline, Param, steps

    p = Pipeline("orders_daily", schedule="@daily", params={"limit": Param(int, 100)})
    p.add("load", steps.ingest("orders.csv", "orders", keys=["id"]))
    p.add("totals", steps.sql("select status, count(*) n from orders group by 1",
                              table="order_totals"), deps=["load"])

    ws.pipelines.register("orders.py")
    ws.pipelines.run("orders_daily")

See ``service.Pipelines`` for the service and ``scheduler.Scheduler`` for scheduling.
"""

from lakeworks.pipelines.calls import Skip, TaskContext
from lakeworks.pipelines.definitions import Param, Pipeline, Task
from lakeworks.pipelines.stream_triggers import StreamTrigger

__all__ = ["Param", "Pipeline", "Skip", "StreamTrigger", "Task", "TaskContext"]
