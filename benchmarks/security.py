"""What authentication, the policy check and the audit log cost on the online feature server.

Two measurements, printed as one JSON object:

1. In process, per request: ``Callers.context`` (the checks every request passes) with
   authentication on (an API token resolved from the authenticator's cache, the role and
   the route's permission checked) and off (the user header), plus the guard's check of
   the service operation, each timed ``--calls`` times; and one audit record appended
   (``AuditLog.record``), which a read such as an online lookup does not write (reads
   are not audited; denials and changes are).
2. Over HTTP, side by side: two ``lakeworks server`` processes on one home, one with
   ``LAKEWORKS_AUTH=true`` (wrk sends ``Authorization: Bearer``) and one without, driven
   by ``wrk`` at concurrency 1 and 16, interleaved, ``--runs`` times each; medians of
   requests/s and p50, and the ratio auth-on / auth-off.

    python benchmarks/security.py --entities 1000 --seconds 5 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, log
from features_http import free_port

from lakeworks.config import Settings
from lakeworks.context import Context, Principal
from lakeworks.features import Entity, FeatureView
from lakeworks.platform import Platform

FEATURES = [f"f{i}" for i in range(10)]
PATH = "/api/v1/workspaces/bench/features/online"
LUA = """
math.randomseed(%(seed)d)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%(auth)s
request = function()
  local body = string.gsub('%(template)s', "KEY", tostring(math.random(0, %(top)d)))
  return wrk.format(nil, "%(path)s", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %%d, \\"seconds\\": %%f, \\"non2xx\\": %%d, "
    .. "\\"p50_us\\": %%d, \\"p99_us\\": %%d}\\n", summary.requests, summary.duration / 1e6,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
"""


def prepare(home: Path, entities: int) -> str:
    """Workspace ``bench`` with view ``rides`` (10 features) online; a viewer's token."""
    settings = Settings.load(home=home, progress=False)
    platform = Platform.open(settings)
    try:
        platform.catalog.create_workspace("bench", "bench", exist_ok=True)
        root = Context("bench", "root", Principal("root", admin=True, via="local"))
        ctx = Context("bench", "bench")
        view = FeatureView("rides", entity="e", timestamp="ts", features=FEATURES, source="rides")
        platform.features.apply(ctx, [Entity("e", "entity_id"), view])
        now = datetime.now(UTC)
        rows = [
            {"entity_id": i, "ts": now, **{f: float(i) for f in FEATURES}} for i in range(entities)
        ]
        platform.features.push(ctx, "rides", rows)
        return platform.tokens.create(root, "reader", role="viewer").secret
    finally:
        platform.close()


def _p50_us(fn: Any, calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return round(statistics.median(times) / 1000, 2)


def in_process(home: Path, token: str, calls: int) -> dict[str, Any]:
    from lakeworks.security.authn import Authenticator
    from lakeworks.server.callers import Callers

    settings = Settings.load(home=home, progress=False, auth=True)
    platform = Platform.open(settings)
    try:
        secured = Callers(platform, Authenticator(settings, platform.identities, platform.tokens))
        open_ = Callers(platform, None)
        header = f"Bearer {token}"
        on = dict(authorization=header, source="127.0.0.1", operation="features.online")
        ctx = secured.context("bench", **on)
        guard = platform.guard
        log("timing in-process checks")
        result = {
            "calls": calls,
            "context_auth_on_p50_us": _p50_us(lambda: secured.context("bench", **on), calls),
            "context_auth_off_p50_us": _p50_us(
                lambda: open_.context("bench", user="bench", source="127.0.0.1"), calls
            ),
            "guard_check_p50_us": _p50_us(lambda: guard.check(ctx, "features.online"), calls),
            "audit_record_p50_us": _p50_us(
                lambda: platform.audit.record(user="bench", action="b.write", workspace="bench"),
                min(calls, 500),
            ),
        }
        result["auth_cost_p50_us"] = round(
            result["context_auth_on_p50_us"] - result["context_auth_off_p50_us"], 2
        )
        return result
    finally:
        platform.close()


def serve(home: Path, auth: bool, logs: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = dict(os.environ, LAKEWORKS_AUTH="true" if auth else "false")
    # this interpreter and its sys.path (the checkout's sources, not an installed copy)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    cmd = [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "server",
           "--port", str(port), "--no-scheduler", "--no-access-log"]  # fmt: skip
    out = (logs / f"auth-{auth}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            import urllib.request

            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return proc, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start: {(logs / f'auth-{auth}.log').read_text()}")


def wrk(port: int, token: str | None, conc: int, seconds: int, top: int, tmp: Path) -> dict:
    refs = [f"rides:{f}" for f in FEATURES]
    template = json.dumps({"features": refs, "entity_rows": [{"entity_id": 0}]})
    template = template.replace('"entity_id": 0', '"entity_id": KEY')
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    script = tmp / f"{port}-{conc}.lua"
    script.write_text(
        LUA % {"seed": conc, "auth": auth, "template": template, "top": top, "path": PATH}
    )
    threads = 1 if conc == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{conc}", f"-d{seconds}s", "-s", str(script),
           f"http://127.0.0.1:{port}"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    r = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("JSON "))[5:])
    if r["non2xx"]:
        raise RuntimeError(f"{r['non2xx']} non-2xx answers on port {port}")
    return {"rps": r["requests"] / r["seconds"], "p50_ms": r["p50_us"] / 1000}


def over_http(home: Path, token: str, seconds: int, runs: int, top: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"error": "wrk not found (apt-get install wrk)"}
    tmp = Path(tempfile.mkdtemp(prefix="lw-sec-", dir=BENCH_DIR))
    servers = {"off": serve(home, False, tmp), "on": serve(home, True, tmp)}
    out: dict[str, Any] = {"seconds_per_run": seconds, "runs": runs}
    try:
        for mode, (_, port) in servers.items():  # warm-up: caches, connections, JIT-free
            wrk(port, token if mode == "on" else None, 16, 1, top, tmp)
        for conc in (1, 16):
            found: dict[str, list[dict]] = {"off": [], "on": []}
            for run in range(runs):
                for mode in ("off", "on") if run % 2 == 0 else ("on", "off"):
                    port = servers[mode][1]
                    log(f"wrk auth {mode} c={conc} run {run + 1}/{runs}")
                    found[mode].append(
                        wrk(port, token if mode == "on" else None, conc, seconds, top, tmp)
                    )
            row = {
                f"auth_{mode}_{k}": round(statistics.median(r[k] for r in found[mode]), 3)
                for mode in found
                for k in ("rps", "p50_ms")
            }
            row["rps_ratio_on_off"] = round(row["auth_on_rps"] / row["auth_off_rps"], 3)
            out[f"concurrency_{conc}"] = row
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(15)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    BENCH_DIR.mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="lw-security-", dir=BENCH_DIR)) / "lw"
    log(f"preparing {home}")
    token = prepare(home, args.entities)
    result = {
        "workload": "security: auth + policy on the online feature server",
        "entities": args.entities,
        "features_per_request": len(FEATURES),
        "in_process": in_process(home, token, args.calls),
        "http": over_http(home, token, args.seconds, args.runs, args.entities - 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
