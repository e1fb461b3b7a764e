"""The RBAC matrix, generated from the policy, against a real ``lakeworks server``.

Every route of the app (``app.routes``, MLflow's included) must be in ``server/access.py``
or public; for each listed route, each role gets exactly what the policy says: 403 when
its role lacks the permission, anything but 401/403 when it holds it (a 404 or 422 from
the empty request is fine: the check passed). No token is 401; a token of another
workspace is 403. Runs on SQLite and on PostgreSQL (which CI requires).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from lakeworks.config import Settings
from lakeworks.security import policy
from lakeworks.security.roles import ADMIN, PERMISSIONS, holds
from lakeworks.server import access
from lakeworks.server.app import create_app
from tests.conftest import free_port, fresh_schema
from tests.e2e.test_server_process import _wait_healthy
from tests.security.conftest import ROLES, bearer, seed

# a value for each path parameter: names that exist nowhere (the check comes first)
PARAMS = {
    "ws": "sales",
    "workspace": "sales",
    "kind": "user",
    "grantee": "nobody",
    "token_id": "999999",
    "run_id": "999999",
    "experiment_id": "999999",
    "version": "1",
    "key": "k",
    "path": "a.txt",
    "model_id": "m-1",
}
FEATURE_KIND = "view"


def _routes() -> list[tuple[str, str, str]]:
    """(method, path, route name) of every route, one path per endpoint (MLflow's with
    the workspace in it), HEAD left out."""
    home = Path(tempfile.mkdtemp(prefix="lw-matrix-routes-"))
    app = create_app(Settings.load(home=home, scheduler=False, progress=False))
    chosen: dict[tuple[str, str], str] = {}
    for route in iter_route_contexts(app.routes):
        if route.endpoint is None:
            continue  # a mount of static files (the UI's assets): no operation
        name = access.route_name(route.endpoint)
        for method in sorted(route.methods or ()):
            key = (name, method)
            if method != "HEAD" and (key not in chosen or "{ws}" in route.path):
                chosen[key] = route.path
    app.state.platform.close()
    shutil.rmtree(home, ignore_errors=True)
    return [(method, path, name) for (name, method), path in sorted(chosen.items())]


ROUTES = _routes()


def _url(path: str) -> str:
    path = path.replace("/features/{kind}/", f"/features/{FEATURE_KIND}/")
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: PARAMS.get(m.group(1), "x"), path)


def test_every_route_is_in_the_access_table() -> None:
    names = {name for _, _, name in ROUTES}
    missing = names - set(access.ROUTES) - access.PUBLIC
    assert not missing, f"add these routes to lakeworks.server.access.ROUTES: {sorted(missing)}"
    assert not set(access.ROUTES) - names, "access.ROUTES names routes that do not exist"
    unknown = {r: op for r, op in access.ROUTES.items() if op not in policy.OPERATIONS}
    assert not unknown, f"routes run operations missing from the policy: {unknown}"


def _allowed(who: str, permission: str) -> bool:
    if who == "admin":
        return True
    if who == "outsider":
        return False
    return PERMISSIONS[permission] != ADMIN and holds(who, permission)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[tuple[str, dict]]:
    """A ``lakeworks server`` process with auth on, its catalog seeded with a token per role."""
    home = tmp_path_factory.mktemp("matrix")
    if request.param == "postgres":
        server_url = request.getfixturevalue("postgres_server")
        with fresh_schema(server_url) as url:
            yield from _serve(home, url)
    else:
        yield from _serve(home, None)


def _serve(home: Path, metadata_url: str | None) -> Iterator[tuple[str, dict]]:
    settings = Settings.load(home=home / "lw", metadata_url=metadata_url, progress=False)
    secrets = seed(settings)
    env = {**os.environ, "LAKEWORKS_AUTH": "true", "LAKEWORKS_SCHEDULER": "false"}
    if metadata_url:
        env["LAKEWORKS_METADATA_URL"] = metadata_url
    port = free_port()
    log_path = home / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home / "lw"), "server",
             "--port", str(port), "--no-access-log"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc, log_path)
            yield url, secrets
        finally:
            proc.terminate()
            proc.wait(15)
    assert "authentication: required" in log_path.read_text()


@pytest.mark.parametrize("who", [*ROLES, "admin", "outsider"])
def test_each_role_gets_what_the_policy_says(server: tuple[str, dict], who: str) -> None:
    url, secrets = server
    wrong: list[str] = []
    with httpx.Client(base_url=url, timeout=60, headers=bearer(secrets[who])) as http:
        for method, path, name in ROUTES:
            if name in access.PUBLIC:
                continue
            permission = policy.OPERATIONS[access.ROUTES[name]]
            answer = http.request(method, _url(path), json={} if method != "GET" else None)
            allowed = _allowed(who, permission)
            denied = answer.status_code == 403
            if answer.status_code == 401 or denied == allowed:
                wrong.append(f"{method} {path} ({permission}): {answer.status_code}")
    assert not wrong, f"{who}: outcomes other than the policy's:\n" + "\n".join(wrong)


def test_no_token_is_401_everywhere_but_the_public_routes(server: tuple[str, dict]) -> None:
    url, _ = server
    wrong = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for method, path, name in ROUTES:
            if name in access.PUBLIC:
                continue
            answer = http.request(method, _url(path), json={} if method != "GET" else None)
            if answer.status_code != 401:
                wrong.append(f"{method} {path}: {answer.status_code}")
        assert http.get("/health").status_code == 200
        assert http.get("/openapi.json").status_code == 200
    assert not wrong, "answered without a token:\n" + "\n".join(wrong)


def test_the_mlflow_client_sends_its_tracking_token(
    server: tuple[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unmodified MLflow client, with MLFLOW_TRACKING_TOKEN, logs as the token's user;
    a viewer's token is refused."""
    import mlflow
    from mlflow.exceptions import MlflowException

    url, secrets = server
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secrets["editor"])
    mlflow.set_tracking_uri(f"{url}/workspaces/sales")
    try:
        experiment = mlflow.create_experiment("matrix_mlflow")
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.log_metric("loss", 0.5)
        fetched = mlflow.get_run(run.info.run_id)
        assert fetched.data.metrics == {"loss": 0.5}
        assert fetched.info.user_id == "u_editor"
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secrets["viewer"])
        with pytest.raises(MlflowException, match="PERMISSION_DENIED|data.write|runs.log"):
            mlflow.create_experiment("viewer_cannot")
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "lw_wrong")
        with pytest.raises(MlflowException, match="UNAUTHENTICATED|unknown API token"):
            mlflow.get_run(run.info.run_id)
    finally:
        mlflow.set_tracking_uri(None)
