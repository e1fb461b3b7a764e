"""Pipelines on a Dask cluster with tasks that do work: per-task wall time of a chain and a
fan-out/fan-in whose tasks sleep ``--task-ms`` (the A/B of issue 15 section 3: the public
Dask API against the private path it replaced; run it once per checkout).

    python benchmarks/pipelines_dask_api.py --task-ms 50 --tasks 60 --repeat 3

Prints one JSON object. The cluster is ``LocalCluster(n_workers=2, threads_per_worker=4)``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import log, machine, median, summary  # noqa: E402

from pipelines import open_platform, write  # noqa: E402

DAGS = """
import time
from lakeworks.pipelines import Pipeline


def work():
    time.sleep({seconds})
    return None


chain = Pipeline("chain")
chain.add("t0", work)
for i in range(1, {n}):
    chain.add(f"t{{i}}", work, deps=[f"t{{i - 1}}"])

fan = Pipeline("fan")
fan.add("root", work)
for i in range({n} - 2):
    fan.add(f"m{{i}}", work, deps=["root"])
fan.add("sink", work, deps=[f"m{{i}}" for i in range({n} - 2)])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--task-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from distributed import LocalCluster

    result = {"machine": machine(), "args": vars(args)}
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalCluster(
            n_workers=2, threads_per_worker=4, processes=True, dashboard_address=None
        ) as cluster,
    ):
        folder = Path(tmp)
        platform, ctx = open_platform(folder / "lw", executor=cluster.scheduler_address)
        source = write(folder, "work.py", DAGS.format(n=args.tasks, seconds=args.task_ms / 1000))
        service = platform.pipelines
        service.register(ctx, source)
        try:
            service.run(ctx, "fan")  # warm-up
            for shape in ("chain", "fan"):
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    run = service.run(ctx, shape)
                    times.append(time.perf_counter() - t)
                    assert run.state == "succeeded", run.error
                ms = round(median(times) / args.tasks * 1000, 3)
                result[shape] = {"per_task_ms": ms, **summary(times)}
                log(f"  {shape}: {ms} ms/task")
        finally:
            platform.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
