"""Online features over HTTP: ``lakeworks server`` versus ``feast serve``, driven by wrk.

Both servers run on 127.0.0.1 at free ports, as subprocesses, each with its default
settings (one process; lakeworks: uvicorn with its access log; ``feast serve``: gunicorn
with one uvicorn worker, its access log, and a worker restart every ~1,000 requests
(``--max-requests``)), plus ``feast serve --no-access-log --max-requests 0`` as a tuned
Feast. Each request asks for 1 random entity (of the materialized ones) x 10 features:

    lakeworks  POST /api/v1/workspaces/bench/features/online
               {"features": ["rides:f0", ...], "entity_rows": [{"entity_id": 123}]}
    feast      POST /get-online-features
               {"features": ["rides:f0", ...], "entities": {"entity_id": [123]}}

``wrk`` (Debian package ``wrk``) sends them over keep-alive connections at concurrency 1
(1 thread, 1 connection) and 16 (2 threads, 8 connections each) for ``--seconds`` each,
after a warm-up; servers and concurrencies are interleaved and each run ``--runs`` times;
medians of requests/s, p50 and p99 are reported. Not run by hand as a rule:
``benchmarks/features.py --http`` (default on) prepares the lakeworks SQLite online store
and the Feast repo (materialized) and calls ``run_http``. Standalone:

    python benchmarks/features_http.py --home .bench/features-10000x100-100000 \
        --feast-repo .bench/features-10000x100-100000/feast-repo
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, log

FEATURES = [f"f{i}" for i in range(10)]
FEAST_PYTHON = BENCH_DIR / "feast-venv" / "bin" / "python"

LUA = """
math.randomseed(%(seed)d)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local template = '%(template)s'
request = function()
  local body = string.gsub(template, "KEY", tostring(math.random(0, %(top)d)))
  return wrk.format(nil, "%(path)s", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format(
    "JSON {\\"requests\\": %%d, \\"errors\\": %%d, \\"non2xx\\": %%d, \\"seconds\\": %%f, "
    .. "\\"p50_us\\": %%d, \\"p99_us\\": %%d, \\"max_us\\": %%d}\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _wait(url: str, body: dict[str, Any], proc: subprocess.Popen[bytes], logfile: Path) -> Any:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {logfile.read_text()[-3000:]}")
        try:
            return _post(url, body)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer: {logfile.read_text()[-3000:]}")


class Server:
    def __init__(
        self,
        name: str,
        cmd: list[str],
        env: dict[str, str],
        cwd: Path,
        path: str,
        template: str,
        probe: dict[str, Any],
        port: int,
        logdir: Path,
    ) -> None:
        self.name, self.path, self.template, self.port = name, path, template, port
        self.log = logdir / f"{name}.log"
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        self.probe = _wait(f"http://127.0.0.1:{port}{path}", probe, self.proc, self.log)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(server: Server, conc: int, seconds: int, top: int, seed: int, tmp: Path) -> dict:
    script = tmp / f"{server.name}-{conc}-{seed}.lua"
    script.write_text(
        LUA % {"seed": seed, "template": server.template, "top": top, "path": server.path}
    )
    threads = 1 if conc == 1 else 2
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{conc}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{server.port}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{cmd}: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
    r = json.loads(line[5:])
    return {
        "rps": round(r["requests"] / r["seconds"], 1),
        "p50_ms": round(r["p50_us"] / 1000, 3),
        "p99_ms": round(r["p99_us"] / 1000, 3),
        "max_ms": round(r["max_us"] / 1000, 3),
        "requests": r["requests"],
        "errors": r["errors"] + r["non2xx"],
    }


def run_http(
    home: Path,
    feast_repo: Path | None,
    online_db: Path,
    top: int,
    seconds: int,
    runs: int,
    tuned_feast: bool = True,
) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"error": "wrk not found (apt-get install wrk)"}
    tmp = Path(tempfile.mkdtemp(prefix="lw-http-", dir=BENCH_DIR))
    refs = [f"rides:{f}" for f in FEATURES]
    lw_tpl = json.dumps({"features": refs, "entity_rows": [{"entity_id": 0}]})
    fe_tpl = json.dumps({"features": refs, "entities": {"entity_id": [0]}})
    lw_tpl = lw_tpl.replace('"entity_id": 0', '"entity_id": KEY')
    fe_tpl = fe_tpl.replace('"entity_id": [0]', '"entity_id": [KEY]')
    servers: list[Server] = []
    out: dict[str, Any] = {"seconds_per_run": seconds, "runs": runs, "entity_key_range": top}
    try:
        env = dict(os.environ, LAKEWORKS_ONLINE_URL=f"sqlite:///{online_db}")
        port = free_port()
        lakeworks = shutil.which("lakeworks") or str(Path(sys.executable).parent / "lakeworks")
        servers.append(
            Server(
                "lakeworks",
                [
                    lakeworks,
                    "--home",
                    str(home),
                    "-w",
                    "bench",
                    "server",
                    "--port",
                    str(port),
                    "--no-scheduler",
                    "--no-access-log",
                ],
                env,
                home,
                "/api/v1/workspaces/bench/features/online",
                lw_tpl,
                json.loads(lw_tpl.replace("KEY", "7")),
                port,
                tmp,
            )
        )
        if feast_repo is not None:
            feast = str(FEAST_PYTHON.parent / "feast")
            variants = [("feast", [])]
            if tuned_feast:
                variants.append(("feast_tuned", ["--no-access-log", "--max-requests", "0"]))
            for name, extra in variants:
                port = free_port()
                servers.append(
                    Server(
                        name,
                        [
                            feast,
                            "-c",
                            str(feast_repo),
                            "serve",
                            "-h",
                            "127.0.0.1",
                            "-p",
                            str(port),
                            *extra,
                        ],
                        dict(os.environ),
                        feast_repo,
                        "/get-online-features",
                        fe_tpl,
                        json.loads(fe_tpl.replace("KEY", "7")),
                        port,
                        tmp,
                    )
                )
        out["probe"] = {s.name: s.probe for s in servers}
        for s in servers:  # warm up
            wrk(s, 16, 2, top, 0, tmp)
        raw: dict[str, dict[int, list[dict[str, Any]]]] = {s.name: {1: [], 16: []} for s in servers}
        for i in range(runs):
            for conc in (1, 16):
                for s in servers:
                    r = wrk(s, conc, seconds, top, i + 1, tmp)
                    log(f"  {s.name} c={conc} run {i + 1}: {r}")
                    raw[s.name][conc].append(r)
        for name, by_conc in raw.items():
            out[name] = {}
            for conc, rs in by_conc.items():
                out[name][f"c{conc}"] = {
                    k: statistics.median(r[k] for r in rs)
                    for k in ("rps", "p50_ms", "p99_ms", "max_ms")
                } | {"errors": sum(r["errors"] for r in rs), "runs": rs}
        for name in [s.name for s in servers if s.name != "lakeworks"]:
            for conc in ("c1", "c16"):
                a, b = out["lakeworks"][conc], out[name][conc]
                out[f"lakeworks_vs_{name}_{conc}"] = {
                    "rps_ratio": round(a["rps"] / b["rps"], 2),
                    "p99_ratio": round(a["p99_ms"] / b["p99_ms"], 2),
                    "goal_met": a["rps"] >= 3 * b["rps"] and a["p99_ms"] <= b["p99_ms"],
                }
    finally:
        for s in servers:
            s.stop()
        out["server_logs_tail"] = {
            p.stem: p.read_text(errors="replace")[-400:] for p in tmp.glob("*.log")
        }
        # access logs can be large: keep only the tails (above)
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--feast-repo", type=Path)
    p.add_argument("--online-db", type=Path, help="materialized SQLite store [HOME/online-http.db]")
    p.add_argument("--top", type=int, default=9_999, help="largest entity id to ask for")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    online = args.online_db or args.home / "online-http.db"
    print(
        json.dumps(
            run_http(args.home, args.feast_repo, online, args.top, args.seconds, args.runs),
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
