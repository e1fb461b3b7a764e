"""Quality checks side by side: lakeworks vs hand-written DuckDB vs pandera vs Great Expectations.

    . .venv/bin/activate
    python benchmarks/quality_peers.py --rows 2000000 --sides lakeworks,duckdb,pandera,ge
    python benchmarks/quality_peers.py --rows 10000000 --sides lakeworks,duckdb,pandera,ge
    python benchmarks/quality_peers.py --small-only --tables 1000

The same generated data and the same 11 checks as ``benchmarks/quality.py`` (10 columns:
not null x3, unique id, accepted values, ranges x3, a nullable range, regex, length). The
data is generated once and written both as a lakeworks table (Delta) and as one Parquet
file. Each side runs in its own child process, so peak RSS (VmHWM = ru_maxrss of the
child) is that side's own:

- lakeworks: ``ws.quality.run("big")`` (catalog lookup, one DuckDB scan, results stored);
- duckdb: the 11 checks as one hand-written query over the table's Parquet files;
- pandera (``.bench/pandera-venv``): ``pd.read_parquet`` + ``DataFrameSchema.validate(df,
  lazy=True)``; timed with and without the load;
- ge (``.bench/ge-venv``, Great Expectations 1.x): ``pd.read_parquet`` + a validation
  definition (pandas data source, whole-dataframe batch, an ExpectationSuite of the same 11
  expectations) ``.run()``; timed with and without the load.

pandera and GE need the whole frame in memory, so their peak RSS includes the loaded frame.
Each child writes one JSON line per finished run; a side that takes longer than
``--side-timeout`` seconds in all is killed and reported with the runs it finished.

Small tables (``--tables``): N tables of 1,000 rows each with the same 11 checks. lakeworks
two ways: ``ws.quality.run(table)`` once per table, and ``ws.quality.run_many(names)`` for
all of them (per table: the call's time / N; the first call of the process, which opens
every Delta log, is reported apart). pandera: ``schema.validate(df, lazy=True)`` per table
on an in-memory frame, and with ``pd.read_parquet`` of a 1,000-row file included.

Only the standard library is imported at the top: the peer children run in other venvs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCH = REPO / ".bench"
PYTHONS = {
    "lakeworks": sys.executable,
    "duckdb": sys.executable,
    "pandera": str(BENCH / "pandera-venv" / "bin" / "python"),
    "ge": str(BENCH / "ge-venv" / "bin" / "python"),
}

sys.path.insert(0, str(HERE))
from quality import GENERATE, HAND_WRITTEN  # noqa: E402  (stdlib-only module top)

CATS = ["a", "b", "c", "d", "e"]
EMAIL = r"^[a-z0-9]+@example\.com$"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(out: Path, record: dict) -> None:
    record["peak_rss_mb"] = round(peak_mb(), 1)
    record["loadavg_1m"] = round(os.getloadavg()[0], 2)  # others' work on a shared machine
    with out.open("a") as f:
        f.write(json.dumps(record) + "\n")


# setup (main venv) -----------------------------------------------------------------------
def child_setup(a: argparse.Namespace) -> None:
    import duckdb

    sys.path.insert(0, str(HERE))
    from quality import checks, connect

    ws = connect(a.home)
    reader = duckdb.sql(GENERATE.format(rows=a.rows)).to_arrow_reader(100_000)
    start = time.perf_counter()
    ws.write("big", reader)
    write_s = time.perf_counter() - start
    ws.quality.add("big", checks())
    start = time.perf_counter()
    duckdb.sql(f"COPY ({GENERATE.format(rows=a.rows)}) TO '{a.parquet}' (FORMAT parquet)")
    ws.platform.quality.close()  # wait for the background profile before the next child
    emit(a.out, {"write_s": write_s, "parquet_s": time.perf_counter() - start})


# lakeworks and hand-written DuckDB (main venv) ---------------------------------------------
def child_lakeworks(a: argparse.Namespace) -> None:
    from quality import connect

    ws = connect(a.home)
    report = ws.quality.run("big")  # warm-up
    assert len(report.results) == 11 and report.passed, report
    for _ in range(a.repeat):
        start = time.perf_counter()
        ws.quality.run("big")
        emit(a.out, {"run_s": time.perf_counter() - start})


def child_duckdb(a: argparse.Namespace) -> None:
    import duckdb

    from quality import connect

    ws = connect(a.home)
    files = ws.platform.tables.open(ws.ctx, "big").file_uris()
    query = HAND_WRITTEN.format(files=json.dumps(files).replace('"', "'"))
    con = duckdb.connect()
    row = con.sql(query).fetchall()[0]  # warm-up
    assert sum(row[1:]) == 0, row
    for _ in range(a.repeat):
        start = time.perf_counter()
        con.sql(query).fetchall()
        emit(a.out, {"run_s": time.perf_counter() - start})


# pandera (pandera-venv) --------------------------------------------------------------------
def pandera_schema():  # noqa: ANN201
    import pandera.pandas as pa

    # dtype None: no type checks (lakeworks runs none); nullable=True where the 11 checks
    # have no not-null check, since pandera's Column is non-nullable by default.
    return pa.DataFrameSchema(
        {
            "id": pa.Column(None, nullable=False, unique=True),
            "cat": pa.Column(None, pa.Check.isin(CATS), nullable=False),
            "amount": pa.Column(None, pa.Check.in_range(0, 1500), nullable=True),
            "qty": pa.Column(None, pa.Check.in_range(0, 99), nullable=True),
            "email": pa.Column(None, pa.Check.str_matches(EMAIL), nullable=False),
            "maybe": pa.Column(None, pa.Check.in_range(0, 49), nullable=True),
            "code": pa.Column(None, pa.Check.str_length(6, 6), nullable=True),
            "score": pa.Column(None, pa.Check.in_range(0, 100), nullable=True),
        }
    )


def child_pandera(a: argparse.Namespace) -> None:
    import pandas as pd

    schema = pandera_schema()
    schema.validate(pd.read_parquet(a.parquet).head(1000), lazy=True)  # warm-up (imports)
    for _ in range(a.repeat):
        start = time.perf_counter()
        df = pd.read_parquet(a.parquet)
        loaded = time.perf_counter()
        schema.validate(df, lazy=True)  # raises SchemaErrors if any check fails
        end = time.perf_counter()
        del df
        emit(a.out, {"run_s": end - start, "load_s": loaded - start, "validate_s": end - loaded})


# Great Expectations 1.x (ge-venv) -----------------------------------------------------------
def ge_setup():  # noqa: ANN201
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("big")
    batch_def = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(gx.ExpectationSuite(name="eleven"))
    for exp in [
        gxe.ExpectColumnValuesToNotBeNull(column="id"),
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        gxe.ExpectColumnValuesToNotBeNull(column="cat"),
        gxe.ExpectColumnValuesToBeInSet(column="cat", value_set=CATS),
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=1500),
        gxe.ExpectColumnValuesToBeBetween(column="qty", min_value=0, max_value=99),
        gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL),
        gxe.ExpectColumnValuesToNotBeNull(column="email"),
        gxe.ExpectColumnValuesToBeBetween(column="maybe", min_value=0, max_value=49),
        gxe.ExpectColumnValueLengthsToBeBetween(column="code", min_value=6, max_value=6),
        gxe.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=100),
    ]:
        suite.add_expectation(exp)
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(name="eleven-on-big", data=batch_def, suite=suite)
    )
    return vd


def child_ge(a: argparse.Namespace) -> None:
    import logging

    import pandas as pd

    logging.disable(logging.WARNING)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    vd = ge_setup()
    warm = vd.run(batch_parameters={"dataframe": pd.read_parquet(a.parquet).head(1000)})
    assert len(warm.results) == 11 and warm.success, warm
    for _ in range(a.repeat):
        start = time.perf_counter()
        df = pd.read_parquet(a.parquet)
        loaded = time.perf_counter()
        result = vd.run(batch_parameters={"dataframe": df})
        end = time.perf_counter()
        assert result.success and len(result.results) == 11
        del df, result
        emit(a.out, {"run_s": end - start, "load_s": loaded - start, "validate_s": end - loaded})


# small tables ------------------------------------------------------------------------------
def child_small_lakeworks(a: argparse.Namespace) -> None:
    import duckdb

    from quality import checks, connect

    ws = connect(a.home)
    small = duckdb.sql(GENERATE.format(rows=1000)).to_arrow_table()
    names = [f"s{i}" for i in range(a.tables)]
    start = time.perf_counter()
    for name in names:
        ws.write(name, small)
        ws.quality.add(name, checks())
    ws.platform.quality.close()  # background profiles done before timing
    emit(a.out, {"setup_s": time.perf_counter() - start})
    duckdb.sql(f"COPY ({GENERATE.format(rows=1000)}) TO '{a.parquet}' (FORMAT parquet)")
    ws.quality.run_many(names[:2])  # warm-up (imports, DuckDB) on two tables only
    # the first call of this process opens every table's Delta log and parses its checks
    start = time.perf_counter()
    reports = ws.quality.run_many(names)
    first = 1000 * (time.perf_counter() - start) / len(names)
    assert len(reports) == len(names) and all(r.passed for r in reports)
    emit(a.out, {"many_first_per_table_ms": first})
    for _ in range(a.repeat):
        start = time.perf_counter()
        ws.quality.run_many(names)
        many = 1000 * (time.perf_counter() - start) / len(names)
        start = time.perf_counter()
        for name in names:
            ws.quality.run(name)
        emit(
            a.out,
            {"per_call_ms": 1000 * (time.perf_counter() - start) / len(names), "many_ms": many},
        )
    if a.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        ws.quality.run_many(names)
        prof.disable()
        prof.dump_stats(str(a.profile))
        pstats.Stats(str(a.profile), stream=sys.stderr).sort_stats("cumulative").print_stats(45)


def child_small_pandera(a: argparse.Namespace) -> None:
    import pandas as pd

    schema = pandera_schema()
    frames = [pd.read_parquet(a.parquet) for _ in range(a.tables)]
    schema.validate(frames[0], lazy=True)  # warm-up
    for _ in range(a.repeat):
        start = time.perf_counter()
        for df in frames:
            schema.validate(df, lazy=True)
        mid = time.perf_counter()
        for _df in frames:
            schema.validate(pd.read_parquet(a.parquet), lazy=True)
        end = time.perf_counter()
        emit(
            a.out,
            {
                "per_call_ms": 1000 * (mid - start) / len(frames),
                "with_load_per_call_ms": 1000 * (end - mid) / len(frames),
            },
        )


CHILDREN = {
    "setup": child_setup,
    "lakeworks": child_lakeworks,
    "duckdb": child_duckdb,
    "pandera": child_pandera,
    "ge": child_ge,
    "small_lakeworks": child_small_lakeworks,
    "small_pandera": child_small_pandera,
}


# parent ------------------------------------------------------------------------------------
def run_child(mode: str, a: argparse.Namespace, out: Path, timeout: float) -> dict:
    python = PYTHONS[mode.removeprefix("small_")] if mode != "setup" else sys.executable
    if not Path(python).exists():
        return {"status": f"not run: {python} missing", "wall_s": 0.0}
    cmd = [python, __file__, "--child", mode, "--out", str(out), "--home", str(a.home)]
    cmd += ["--parquet", str(a.parquet), "--rows", str(a.rows), "--repeat", str(a.repeat)]
    cmd += ["--tables", str(a.tables)]
    if a.profile and mode == "small_lakeworks":
        cmd += ["--profile", str(a.profile)]
    print(f"[{time.strftime('%H:%M:%S')}] {mode} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        status = "ok" if done.returncode == 0 else f"failed rc={done.returncode}"
        err = done.stderr
    except subprocess.TimeoutExpired as exc:
        status, err = f"killed after {timeout:.0f} s", (exc.stderr or b"").decode()
    records = read_runs(out)
    if err and (status != "ok" or mode == "small_lakeworks"):
        print(err[-6000:], file=sys.stderr, flush=True)
    return {"status": status, "wall_s": round(time.perf_counter() - start, 1), "runs": records}


def read_runs(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def summarize(side: dict) -> dict:
    runs = side.get("runs", [])
    timed = [r for r in runs if "run_s" in r or "per_call_ms" in r]
    out = {"status": side["status"], "n": len(timed)}
    keys = ["run_s", "load_s", "validate_s", "per_call_ms", "with_load_per_call_ms"]
    for key in keys + ["many_ms", "many_first_per_table_ms"]:
        xs = [r[key] for r in runs if key in r]
        if xs:
            out[key] = round(statistics.median(xs), 4)
            out[key + "_all"] = [round(x, 4) for x in xs]
    if runs:
        out["peak_rss_mb"] = round(max(r["peak_rss_mb"] for r in runs))
        out["loadavg_1m_all"] = [r.get("loadavg_1m") for r in runs]
    return out


def versions() -> dict:
    got = {}
    for name, module in [("pandera", "pandera"), ("ge", "great_expectations")]:
        py = PYTHONS[name]
        if Path(py).exists():
            code = f"import {module}, pandas; print({module}.__version__, pandas.__version__)"
            res = subprocess.run([py, "-c", code], capture_output=True, text=True)
            got[module] = res.stdout.strip() or res.stderr.strip()[-200:]
    return got


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--repeat", type=int, default=3, help="timed runs per child")
    p.add_argument("--rounds", type=int, default=1, help="children per side, interleaved")
    p.add_argument("--sides", default="lakeworks,duckdb,pandera,ge")
    p.add_argument("--side-timeout", type=float, default=300.0)
    p.add_argument("--tables", type=int, default=1000)
    p.add_argument("--small", action="store_true", help="also run the small-table part")
    p.add_argument("--small-only", action="store_true")
    p.add_argument("--profile", type=Path, help="cProfile a small-table run_many to here")
    p.add_argument("--child")
    p.add_argument("--out", type=Path)
    p.add_argument("--home", type=Path)
    p.add_argument("--parquet", type=Path)
    a = p.parse_args()
    if a.child:
        CHILDREN[a.child](a)
        return

    sys.path.insert(0, str(HERE))
    from _common import machine

    result: dict = {"benchmark": "quality_peers", "machine": machine(), "peers": versions()}
    BENCH.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BENCH) as tmp:
        t = Path(tmp)
        if not a.small_only:
            a.home, a.parquet = t / "big", t / "big.parquet"
            setup = run_child("setup", a, t / "setup.jsonl", 3600)
            if setup["status"] != "ok":
                raise SystemExit(f"setup {setup['status']}")
            result["rows"], result["checks"] = a.rows, 11
            result["setup"] = setup["runs"][0]
            # rounds interleave the sides (each round: one fresh child per side, appending
            # to that side's runs), so load from others' work spreads over all sides alike
            names, dead, walls = a.sides.split(","), {}, {}
            for _ in range(a.rounds):
                for side in names:
                    if side not in dead:
                        got = run_child(side, a, t / f"{side}.jsonl", a.side_timeout)
                        walls[side] = walls.get(side, 0) + got["wall_s"]
                        if got["status"] != "ok":
                            dead[side] = got
            sides = {}
            for side in names:
                jsonl = t / f"{side}.jsonl"
                runs = read_runs(jsonl)
                status = dead[side]["status"] if side in dead else "ok"
                sides[side] = summarize({"status": status, "runs": runs})
                sides[side]["child_wall_s"] = round(walls.get(side, 0), 1)
            result["sides"] = sides
            base = sides.get("lakeworks", {}).get("run_s")
            if base:
                result["ratios_to_lakeworks"] = {
                    k: round(v["run_s"] / base, 2) for k, v in sides.items() if v.get("run_s")
                }
        if a.small or a.small_only:
            a.home, a.parquet = t / "small", t / "small.parquet"
            small = {}
            for side in ("small_lakeworks", "small_pandera"):
                small[side] = summarize(run_child(side, a, t / f"{side}.jsonl", 1800))
            result["small_tables"] = {"tables": a.tables, "rows_each": 1000, **small}
            lw, pa = small["small_lakeworks"], small["small_pandera"]
            if lw.get("per_call_ms") and pa.get("per_call_ms"):
                ratios = {}  # pandera time / lakeworks time: > 1 means lakeworks is faster
                for ours in ("per_call_ms", "many_ms", "many_first_per_table_ms"):
                    for theirs in ("per_call_ms", "with_load_per_call_ms"):
                        ratio = round(pa[theirs] / lw[ours], 2)
                        ratios[f"pandera_{theirs}/lakeworks_{ours}"] = ratio
                result["small_tables"]["ratios"] = ratios
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
