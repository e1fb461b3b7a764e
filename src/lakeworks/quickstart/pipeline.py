"""The quickstart's pipeline: ingest the penguins CSV, then summarize it with SQL, daily.

Registered by ``lakeworks quickstart`` as the module ``lakeworks.quickstart.pipeline``;
the same file works with ``lakeworks pipelines register path/to/pipeline.py``.
"""

from __future__ import annotations

from pathlib import Path

from lakeworks.pipelines import Pipeline, steps

DATA = Path(__file__).parent / "data"

penguins_daily = Pipeline(
    "penguins_daily",
    schedule="@daily",
    description="load new penguin measurements, then per-species statistics",
)
penguins_daily.add(
    "ingest", steps.ingest(str(DATA / "penguins.csv"), "penguins", progress=False), retries=2
)
penguins_daily.add(
    "species_stats",
    steps.sql(
        "select species, count(*) as penguins, round(avg(body_mass_g)) as avg_mass_g, "
        "round(avg(flipper_length_mm), 1) as avg_flipper_mm from penguins "
        "group by species order by species",
        table="species_stats",
    ),
    deps=["ingest"],
)
