"""Backfill benchmark (issue 14): history written today, training sets over past rows.

A feature table of --rows rows (event times spread over 100 hours of 2025, written in one
commit today, as a first load of history is) and --rows entity rows over the same hours.
For the view as is and for the same view with ``available_after="1h"``, in both modes:
how many rows got a value, the coverage report, whether it warned, and the time (median
of --repeat runs). Prints one JSON document.

    python benchmarks/features_backfill.py
    python benchmarks/features_backfill.py --rows 20000 --repeat 3   # quick check
"""

from __future__ import annotations

import argparse
import json
import shutil
import warnings
from dataclasses import asdict

import numpy as np
import pyarrow as pa
from _common import BENCH_DIR, machine, summary, timed

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.features import AsKnownAtWarning, Entity, FeatureView

HOUR_US = 3_600_000_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home = BENCH_DIR / "backfill"
    shutil.rmtree(home, ignore_errors=True)
    ws = lw.connect("bench", settings=Settings.load(home=home, progress=False))
    rng = np.random.default_rng(0)
    t0 = np.datetime64("2025-01-01T00:00:00", "us").astype(np.int64)

    def times() -> pa.Array:
        return pa.array(t0 + rng.integers(0, 100 * HOUR_US, args.rows), pa.timestamp("us", "UTC"))

    keys = 10_000
    ws.write(
        "rides",
        pa.table(
            {
                "entity_id": rng.integers(0, keys, args.rows),
                "event_ts": times(),
                "f0": rng.random(args.rows),
            }
        ),
    )
    entities = pa.table({"entity_id": rng.integers(0, keys, args.rows), "ts": times()})
    out = {"machine": machine(), "rows": args.rows, "runs": {}}
    for name, declared in (("as_is", {}), ("available_after_1h", {"available_after": "1h"})):
        view = FeatureView(
            name, entity="driver", timestamp="event_ts", features=["f0"], source="rides", **declared
        )
        ws.features.apply([Entity("driver", "entity_id"), view])
        for mode in ("known", "event"):
            runs = []
            for _ in range(args.repeat):
                with warnings.catch_warnings(record=True) as warned:
                    warnings.simplefilter("always", AsKnownAtWarning)
                    seconds, result = timed(
                        lambda n=name, m=mode: ws.features.training_set(
                            entities, [f"{n}:f0"], point_in_time=m
                        )
                    )
                runs.append(seconds)
            out["runs"][f"{name}/{mode}"] = {
                "with_value": result.table.num_rows - result.table.column("f0").null_count,
                "coverage": asdict(result.coverage[0]),
                "warned": bool(warned),
                **summary(runs),
            }
    ws.platform.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
