"""Pipeline tasks act as a principal: whoever triggered the run (manual run, backfill,
resume), or for a scheduled run whoever registered or last changed the pipeline. The guard
checks each service a task uses as that principal, in threads and in worker processes,
and audits it; in embedded mode (no principal) tasks run unchecked, as before."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakeworks.config import Settings
from lakeworks.context import Context, Principal
from lakeworks.platform import Platform
from tests.pipelines import dask_cluster

cluster = dask_cluster.cluster  # the module-scoped fixture, started only by the Dask test

SOURCE = """
from dataclasses import replace
from lakeworks.pipelines import Pipeline

copy = Pipeline("copy", schedule="1h", start={start!r})


@copy.task
def duplicate(context):
    data = context.read("orders")
    context.write("orders_copy", data, mode="overwrite")
    return data.num_rows


peek = Pipeline("peek")


@peek.task
def salaries(context):
    other = replace(context.ctx, workspace="hr")  # the run's principal, another workspace
    return context.platform.tables.read(other, "salaries").num_rows


emails = Pipeline("emails")


@emails.task
def first(context):
    return context.read("orders").column("email").to_pylist()[0]


keep = Pipeline("keep")


@keep.task
def store(context):
    context.platform.secrets.set(context.ctx, "api_key", "s3cr3t-value")
    return "kept"
"""

ROOT = Context("sales", "root")  # embedded: the catalog's owner
ADMIN = Context("sales", "root", Principal("root", admin=True, via="local"))
# a maintainer of sales who is also a viewer in hr: a task of sales still may not read hr
MIA = Principal("mia", roles={"sales": "maintainer", "hr": "viewer"})
EVE = Principal("eve", roles={"sales": "editor"})
OLA = Principal("ola", roles={"sales": "owner"})


def as_(principal: Principal) -> Context:
    return Context("sales", principal.name, principal)


def _setup(platform: Platform, folder: Path) -> Path:
    platform.catalog.create_workspace("sales", "root")
    platform.catalog.create_workspace("hr", "root")
    orders = [{"id": 1, "email": "ana@example.com"}, {"id": 2, "email": None}]
    platform.tables.create(ROOT, "orders", orders)
    platform.pii.tag(ROOT, "orders", "email", "email")  # partial
    platform.tables.create(Context("hr", "root"), "salaries", [{"who": "ana", "pay": 1}])
    for principal in (MIA, EVE, OLA):  # the grants the principals were resolved from
        platform.identities.create_user(ADMIN, principal.name)
        for ws, role in principal.roles.items():
            platform.identities.grant(replace(ADMIN, workspace=ws), principal.name, role)
    start = (datetime.now(UTC) - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    path = folder / "pipes.py"
    path.write_text(SOURCE.format(start=start.isoformat()))
    return path


@pytest.fixture(params=["local", "processes"])
def secured(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Platform, Path]]:
    """A platform running tasks in threads, or in worker processes, with the pipelines."""
    settings = Settings.load(home=tmp_path / "lw", progress=False, executor=request.param)
    platform = Platform.open(settings)
    path = _setup(platform, tmp_path)
    try:
        yield platform, path
    finally:
        platform.close()


def _audited(platform: Platform, action: str, workspace: str = "sales") -> list:
    return [
        (r.user, r.workspace, r.outcome)
        for r in platform.audit.list(Context(workspace, "root"), action=action)
    ]


def test_a_run_acts_as_who_triggered_it(secured) -> None:
    platform, path = secured
    platform.pipelines.register(as_(MIA), str(path))
    run = platform.pipelines.run(as_(EVE), "copy")
    assert run.state == "succeeded", run.error
    assert run.principal == {**EVE.data("sales")} and run.principal["name"] == "eve"
    assert platform.tables.read(ROOT, "orders_copy").num_rows == 2
    assert ("eve", "sales", "ok") in _audited(platform, "tables.write")


def test_a_task_cannot_reach_another_workspace(secured) -> None:
    platform, path = secured
    platform.pipelines.register(as_(MIA), str(path))
    run = platform.pipelines.run(as_(MIA), "peek")
    assert run.state == "failed"
    error = run.task("salaries").error
    assert "PermissionDeniedError" in error and "'hr'" in error and "data.read" in error
    assert ("mia", "hr", "denied") in _audited(platform, "tables.read", workspace="hr")


def test_a_task_gets_exactly_the_triggering_role(secured) -> None:
    platform, path = secured
    platform.pipelines.register(as_(MIA), str(path))
    denied = platform.pipelines.run(as_(EVE), "keep")  # an editor may not manage secrets
    assert denied.state == "failed" and "secrets.manage" in denied.task("store").error
    assert "s3cr3t-value" not in (denied.task("store").error or "")
    assert ("eve", "sales", "denied") in _audited(platform, "secrets.set")
    allowed = platform.pipelines.run(as_(OLA), "keep")
    assert allowed.state == "succeeded", allowed.task("store").error
    assert ("ola", "sales", "ok") in _audited(platform, "secrets.set")


def test_a_task_reads_personal_data_as_its_principal_may(secured) -> None:
    platform, path = secured
    platform.pipelines.register(as_(MIA), str(path))
    editor = platform.pipelines.run_info(ROOT, platform.pipelines.run(as_(EVE), "emails").id)
    assert editor.task("first").result["value"] == "a***@example.com"
    owner = platform.pipelines.run_info(ROOT, platform.pipelines.run(as_(OLA), "emails").id)
    assert owner.task("first").result["value"] == "ana@example.com"


def test_a_resumed_run_acts_as_who_resumed_it(secured) -> None:
    platform, path = secured
    platform.pipelines.register(as_(MIA), str(path))
    failed = platform.pipelines.run(as_(EVE), "keep")
    assert failed.state == "failed"
    resumed = platform.pipelines.resume(as_(OLA), failed.id)
    assert resumed.state == "succeeded" and resumed.principal["name"] == "ola"


def test_scheduled_runs_act_as_who_last_registered_the_pipeline(secured) -> None:
    platform, path = secured
    platform.pipelines.register(as_(OLA), str(path))
    platform.pipelines.register(as_(MIA), str(path))  # the last change is mia's
    assert platform.pipelines.get(ROOT, "copy").principal == MIA.data("sales")
    scheduler = platform.pipelines.scheduler()
    try:
        runs = _drain(scheduler, lambda: platform.pipelines.runs(ROOT, "copy", limit=None))
    finally:
        scheduler.stop()
    assert runs and {r.state for r in runs} == {"succeeded"}
    assert {r.principal["name"] for r in runs} == {"mia"}
    assert ("mia", "sales", "ok") in _audited(platform, "tables.write")


def test_a_revoked_grant_applies_to_the_next_scheduled_run(secured) -> None:
    platform, path = secured
    platform.pipelines.register(as_(MIA), str(path))  # mia registers, then loses her role
    platform.identities.revoke(ADMIN, "mia")
    scheduler = platform.pipelines.scheduler()
    try:
        runs = _drain(scheduler, lambda: platform.pipelines.runs(ROOT, "copy", limit=None))
    finally:
        scheduler.stop()
    assert runs and {r.state for r in runs} == {"failed"}
    first = platform.pipelines.run_info(ROOT, runs[0].id)
    assert "PermissionDeniedError" in first.task("duplicate").error
    assert ("mia", "sales", "denied") in _audited(platform, "tables")
    assert not platform.tables.exists(ROOT, "orders_copy")


def test_the_principal_travels_to_dask_workers(tmp_path: Path, cluster) -> None:  # noqa: ANN001
    settings = Settings.load(home=tmp_path / "lw", progress=False, executor=cluster[0])
    platform = Platform.open(settings)
    try:
        platform.pipelines.register(as_(MIA), str(_setup(platform, tmp_path)))
        denied = platform.pipelines.run(as_(MIA), "peek")
        assert denied.state == "failed" and "'hr'" in denied.task("salaries").error
        assert ("mia", "hr", "denied") in _audited(platform, "tables.read", workspace="hr")
        allowed = platform.pipelines.run(as_(EVE), "copy")
        assert allowed.state == "succeeded", allowed.task("duplicate").error
        assert ("eve", "sales", "ok") in _audited(platform, "tables.write")
    finally:
        platform.pipelines.close()
        platform.close()


def test_embedded_runs_are_unchecked_as_before(secured) -> None:
    platform, path = secured
    platform.pipelines.register(ROOT, str(path))
    run = platform.pipelines.run(ROOT, "peek")  # the catalog's owner reads any workspace
    assert run.state == "succeeded" and run.principal is None
    assert run.task("salaries").result == {"value": 1, "stored": True}


def test_a_run_triggered_over_rest_acts_as_its_caller(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from lakeworks.server.app import create_app
    from tests.security.conftest import bearer, seed

    settings = Settings.load(home=tmp_path / "lw", auth=True, progress=False, scheduler=False)
    secrets = seed(settings)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        platform: Platform = client.app.state.platform
        platform.tables.create(ROOT, "orders", [{"id": 1}])
        source = SOURCE.format(start=datetime.now(UTC).isoformat())
        body = {"source": "pipes.py", "code": source}
        base = "/api/v1/workspaces/sales/pipelines"
        made = client.post(base, json=body, headers=bearer(secrets["maintainer"]))
        assert made.status_code == 201, made.text
        editor = bearer(secrets["editor"])
        copied = client.post(f"{base}/copy/runs", json={}, headers=editor)
        assert copied.status_code == 201 and copied.json()["state"] == "succeeded", copied.text
        peeked = client.post(f"{base}/peek/runs", json={}, headers=editor)
        assert peeked.json()["state"] == "failed"
        assert ("u_editor", "sales", "ok") in _audited(platform, "tables.write")
        assert ("u_editor", "hr", "denied") in _audited(platform, "tables.read", "hr")


def test_principal_data_is_narrowed_to_the_workspace_and_round_trips() -> None:
    data = MIA.data("sales")
    assert data["roles"] == {"sales": "maintainer"}
    back = Principal.from_data(data)
    assert (back.name, back.role("sales"), back.role("hr"), back.admin) == (
        "mia",
        "maintainer",
        None,
        False,
    )
    assert Principal("x").data("sales")["roles"] == {}


def _drain(scheduler, runs: Callable[[], list], seconds: float = 60) -> list:  # noqa: ANN001
    import time

    deadline = time.monotonic() + seconds
    while True:
        scheduler.tick()
        found = runs()
        settled = all(r.state not in ("queued", "running") for r in found)
        if found and settled and not scheduler.in_flight:
            return found
        assert time.monotonic() < deadline, [r.state for r in found]
        time.sleep(0.05)


def test_a_stored_token_principal_stands_while_its_token_does(tmp_path: Path) -> None:
    from lakeworks.security.authn import Authenticator
    from lakeworks.security.standing import narrow
    from tests.security.conftest import seed

    settings = Settings.load(home=tmp_path / "lw", auth=True, progress=False)
    secrets = seed(settings)
    platform = Platform.open(settings)
    try:
        signed_in = Authenticator(settings, platform.identities, platform.tokens)
        stored = Principal.from_data(
            signed_in.principal(f"Bearer {secrets['maintainer']}").data("sales")
        )
        assert stored.token is not None and stored.roles == {"sales": "maintainer"}
        now = narrow(stored, platform.identities, platform.tokens)
        assert now.roles == {"sales": "maintainer"}  # the token's role, granted or not
        hr = narrow(replace(stored, roles={"hr": "owner"}), platform.identities, platform.tokens)
        assert hr.roles == {}  # never wider than the token's scope
        platform.tokens.revoke(ADMIN, stored.token)
        assert narrow(stored, platform.identities, platform.tokens).roles == {}
    finally:
        platform.close()
