"""What-if for the HTTP feature server: where ``lakeworks server`` spends a request.

An experiment, not a benchmark of shipped code: it starts the lakeworks app (the same
``create_app``) with one change at a time, each applied from outside ``src/`` at start-up,
and drives each with ``wrk`` like ``features_http.py``, next to ``feast serve`` (tuned:
``--no-access-log --max-requests 0``):

- ``shipped``: ``lakeworks server --no-scheduler`` as is;
- ``no_access_log``: uvicorn's access log off;
- ``httptools_uvloop``: also ``http="httptools", loop="uvloop"`` (what ``feast serve``'s
  gunicorn ``UvicornWorker`` uses); the lakeworks venv has neither, so this variant puts
  the ones of Feast's venv (same CPython 3.11) on ``PYTHONPATH``;
- ``cached_workspace``: also the ``get_context`` dependency overridden to check that the
  workspace exists once per workspace (the shipped one runs a catalog SQL query per request);
- ``async_route``: also ``POST .../features/online`` served by an ``async def`` route
  (same body: ``platform.features.online``), so it runs on the event loop instead of
  being handed to AnyIO's thread pool and back;
- ``raw_asgi``: also that one path answered by a plain ASGI function in front of FastAPI
  (``json.loads`` of the body, ``platform.features.online``, ``json.dumps``): no FastAPI
  routing, dependency solving, pydantic validation or middleware stack (and, in this
  sketch, no metrics and no error mapping), an estimate of what a lean route can reach.

    python benchmarks/features_http_whatif.py --home .bench/features-10000x100-100000 \
        --feast-repo .bench/features-10000x100-100000/feast-repo
"""

# no `from __future__ import annotations`: FastAPI reads the annotations of the local
# functions in serve() at run time
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, log
from features_http import FEAST_PYTHON, FEATURES, Server, free_port, wrk

VARIANTS = [
    "shipped",
    "no_access_log",
    "httptools_uvloop",
    "cached_workspace",
    "async_route",
    "raw_asgi",
]


def serve(home: Path, port: int, variant: str) -> None:
    """Run in a child: the lakeworks app with the changes up to ``variant``."""
    from typing import Annotated

    import uvicorn
    from fastapi import Header
    from fastapi import Path as PathParam

    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.server import dependencies as deps
    from lakeworks.server.api.features import OnlineOut, OnlineRequest
    from lakeworks.server.app import create_app
    from lakeworks.server.encoding import jsonable

    level = VARIANTS.index(variant)
    settings = Settings.load(home=home, progress=False, scheduler=False)
    app = create_app(settings)
    platform = app.state.platform
    if level >= VARIANTS.index("cached_workspace"):
        known: set[str] = set()

        def cached_context(
            ws: Annotated[str, PathParam()],
            user: Annotated[str, Header(alias=deps.USER_HEADER)] = "anonymous",
        ) -> Context:
            if ws not in known:
                platform.catalog.workspace(ws)
                known.add(ws)
            return Context(workspace=ws, user=user)

        app.dependency_overrides[deps.get_context] = cached_context
    if level >= VARIANTS.index("async_route"):

        async def online_async(body: OnlineRequest, ctx: deps.ContextDep) -> OnlineOut:
            features: Any = body.service if body.service else (body.features or [])
            result = platform.features.online(
                ctx, features, body.entity_rows, full_names=body.full_names
            )
            out = result.to_dict()
            for item in out["results"]:
                item["values"] = {k: jsonable(v) for k, v in item["values"].items()}
            return OnlineOut(**out)

        app.post("/api/v1/workspaces/{ws}/features/online")(online_async)
        app.router.routes.insert(0, app.router.routes.pop())  # matched before the shipped one
    target: Any = app
    if level >= VARIANTS.index("raw_asgi"):
        prefix, suffix = "/api/v1/workspaces/", "/features/online"

        async def raw(scope: Any, receive: Any, send: Any) -> None:
            path = scope.get("path", "")
            if not (
                scope["type"] == "http"
                and scope["method"] == "POST"
                and path.startswith(prefix)
                and path.endswith(suffix)
            ):
                await app(scope, receive, send)
                return
            body, more = b"", True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            req = json.loads(body)
            ctx = cached_context(path[len(prefix) : -len(suffix)])
            features = req.get("service") or req.get("features") or []
            result = platform.features.online(
                ctx, features, req["entity_rows"], full_names=req.get("full_names", False)
            )
            out = result.to_dict()
            for item in out["results"]:
                item["values"] = {k: jsonable(v) for k, v in item["values"].items()}
            data = json.dumps(out).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(data)),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": data})

        target = raw
    kwargs: dict[str, Any] = {"access_log": level < VARIANTS.index("no_access_log")}
    if level >= VARIANTS.index("httptools_uvloop"):
        kwargs |= {"http": "httptools", "loop": "uvloop"}
    uvicorn.run(target, host="127.0.0.1", port=port, log_level="info", **kwargs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--feast-repo", type=Path)
    p.add_argument("--online-db", type=Path, help="materialized SQLite store [HOME/online-http.db]")
    p.add_argument("--top", type=int, default=9_999)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    p.add_argument("--serve", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.home, args.port, args.serve)
        return
    online = args.online_db or args.home / "online-http.db"
    tmp = Path(tempfile.mkdtemp(prefix="lw-whatif-", dir=BENCH_DIR))
    refs = [f"rides:{f}" for f in FEATURES]
    lw_tpl = json.dumps({"features": refs, "entity_rows": [{"entity_id": 0}]}).replace(
        '"entity_id": 0', '"entity_id": KEY'
    )
    fe_tpl = json.dumps({"features": refs, "entities": {"entity_id": [0]}}).replace(
        '"entity_id": [0]', '"entity_id": [KEY]'
    )
    path = "/api/v1/workspaces/bench/features/online"
    site = FEAST_PYTHON.parents[1] / "lib" / "python3.11" / "site-packages"
    extra = tmp / "extra"  # only httptools and uvloop of Feast's venv
    extra.mkdir()
    for name in ("httptools", "uvloop"):
        (extra / name).symlink_to(site / name)
    servers: list[Server] = []
    out: dict[str, Any] = {"seconds_per_run": args.seconds, "runs": args.runs}
    try:
        for variant in args.variants.split(","):
            env = dict(os.environ, LAKEWORKS_ONLINE_URL=f"sqlite:///{online}")
            if VARIANTS.index(variant) >= VARIANTS.index("httptools_uvloop"):
                env["PYTHONPATH"] = str(extra)
            port = free_port()
            cmd = [sys.executable, __file__, "--home", str(args.home), "--serve", variant,
                   "--port", str(port)]  # fmt: skip
            if variant == "shipped":
                lakeworks = str(Path(sys.executable).parent / "lakeworks")
                cmd = [lakeworks, "--home", str(args.home), "-w", "bench", "server", "--port",
                       str(port), "--no-scheduler"]  # fmt: skip
            probe = json.loads(lw_tpl.replace("KEY", "7"))
            servers.append(Server(variant, cmd, env, args.home, path, lw_tpl, probe, port, tmp))
        if args.feast_repo:
            port = free_port()
            feast = str(FEAST_PYTHON.parent / "feast")
            cmd = [feast, "-c", str(args.feast_repo), "serve", "-h", "127.0.0.1", "-p",
                   str(port), "--no-access-log", "--max-requests", "0"]  # fmt: skip
            probe = json.loads(fe_tpl.replace("KEY", "7"))
            servers.append(Server("feast_tuned", cmd, dict(os.environ), args.feast_repo,
                                  "/get-online-features", fe_tpl, probe, port, tmp))  # fmt: skip
        same = {json.dumps(s.probe, sort_keys=True) for s in servers if s.name in VARIANTS}
        out["same_answer_all_variants"] = len(same) == 1
        for s in servers:
            wrk(s, 16, 2, args.top, 0, tmp)
        raw: dict[str, dict[int, list[dict[str, Any]]]] = {s.name: {1: [], 16: []} for s in servers}
        for i in range(args.runs):
            for conc in (1, 16):
                for s in servers:
                    r = wrk(s, conc, args.seconds, args.top, i + 1, tmp)
                    log(f"  {s.name} c={conc} run {i + 1}: {r}")
                    raw[s.name][conc].append(r)
        for name, by_conc in raw.items():
            out[name] = {
                f"c{conc}": {
                    k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")
                }
                | {"errors": sum(r["errors"] for r in rs)}
                for conc, rs in by_conc.items()
            }
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
