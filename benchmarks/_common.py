"""Helpers shared by the benchmark scripts (not a benchmark itself)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# gitignored; LAKEWORKS_BENCH_DIR points a worktree at the main checkout's venvs
BENCH_DIR = Path(os.environ.get("LAKEWORKS_BENCH_DIR") or REPO / ".bench")


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def summary(xs: list[float]) -> dict[str, Any]:
    return {
        "median_s": round(median(xs), 6),
        "min_s": round(min(xs), 6),
        "max_s": round(max(xs), 6),
        "runs_s": [round(x, 6) for x in xs],
    }


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def machine() -> dict[str, Any]:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    import duckdb
    import pyarrow

    versions = {
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
    }
    for mod in ("deltalake", "pandas", "lakeworks"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            versions[mod] = None
    model = sh("lscpu | grep 'Model name'").split(":", 1)[-1].strip()
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "versions": versions,
        "git_commit": sh(f"git -C {REPO} rev-parse --short HEAD"),
        # others edit the tree concurrently: record which source files differed from HEAD
        "git_dirty_src": [
            x.strip() for x in sh(f"git -C {REPO} status --short -- src").splitlines()
        ],
    }
