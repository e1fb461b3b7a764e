"""The SDK and the CLI with a token (LAKEWORKS_TOKEN): a representative sweep of the
policy's operations, each role getting what the policy says, the same as over REST; and
cross-workspace reads refused at the SQL door."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import lakeworks as lw
from lakeworks.cli.app import app
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, LakeworksError, NotFoundError, PermissionDeniedError
from lakeworks.quality import checks as qc
from lakeworks.security import policy
from lakeworks.security.roles import holds
from tests.security.conftest import ROLES, seed

PIPELINE = """
from lakeworks.pipelines import Pipeline

p = Pipeline("door", schedule="@daily")


@p.task
def hello():
    return 1
"""

# operation -> what the SDK does for it (the operation's permission decides the outcome)
SWEEP: dict[str, Callable[[lw.Workspace, Path], Any]] = {
    "tables.list": lambda ws, _: ws.tables(),
    "tables.create": lambda ws, _: ws.write("made_here", [{"id": 1}]),
    "tables.drop": lambda ws, _: ws.drop_table("orders"),
    "sql.query": lambda ws, _: ws.sql("select count(*) from orders").fetchall(),
    "quality.add": lambda ws, _: ws.quality.add("orders", [qc.not_null("id")]),
    "quality.run": lambda ws, _: ws.quality.run("orders"),
    "pipelines.register": lambda ws, folder: ws.pipelines.register(str(folder / "door.py")),
    "pipelines.list": lambda ws, _: ws.pipelines.list(),
    "lineage.graph": lambda ws, _: ws.lineage("orders"),
    "features.list": lambda ws, _: ws.features.list(),
    "registry.list_models": lambda ws, _: ws.models.list(),
    "tracking.create_experiment": lambda ws, _: ws.set_experiment("swept"),
    "streams.publish": lambda ws, _: ws.streams.publish("clicks", [{"a": 1}]),
}


@pytest.fixture
def catalog(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "lw"
    settings = Settings.load(home=home, progress=False)
    secrets = seed(settings)
    ws = lw.connect("sales", settings=settings, user="root")
    ws.write("orders", [{"id": 1}, {"id": 2}])
    ws.platform.close()
    (tmp_path / "door.py").write_text(PIPELINE)
    return home, secrets


def _outcome(ws: lw.Workspace, run: Callable[..., Any], folder: Path) -> str:
    try:
        run(ws, folder)
    except PermissionDeniedError as exc:
        return f"denied:{exc.fields.get('permission')}"
    except LakeworksError:
        return "allowed"  # it passed the check, then failed for its own reasons
    return "allowed"


@pytest.mark.parametrize("role", ROLES)
def test_the_sdk_with_a_token_gets_what_the_policy_says(catalog, tmp_path: Path, role) -> None:
    home, secrets = catalog
    settings = Settings.load(home=home, token=secrets[role], progress=False)
    ws = lw.connect("sales", settings=settings, create=False)
    try:
        assert ws.ctx.user == f"u_{role}"
        wrong = {}
        for operation, run in SWEEP.items():
            needed = policy.OPERATIONS[operation]
            expected = "allowed" if holds(role, needed) else f"denied:{needed}"
            if (found := _outcome(ws, run, tmp_path)) != expected:
                wrong[operation] = found
        assert not wrong, f"{role}: {wrong}"
    finally:
        ws.platform.close()


def test_the_sdk_with_a_token_of_another_workspace_is_denied(catalog) -> None:
    home, secrets = catalog
    settings = Settings.load(home=home, token=secrets["outsider"], progress=False)
    with pytest.raises(PermissionDeniedError, match="'sales'"):
        lw.connect("sales", settings=settings)
    with pytest.raises(PermissionDeniedError, match="'elsewhere'"):
        lw.connect("elsewhere", settings=settings)  # no role there, existing or not
    ws = lw.connect("hr", settings=settings, create=False)  # its own workspace
    try:
        assert ws.tables() == []
    finally:
        ws.platform.close()


def test_the_sdk_with_a_bad_token_is_refused(catalog) -> None:
    from lakeworks.errors import UnauthenticatedError

    home, _ = catalog
    settings = Settings.load(home=home, token="lw_nope", progress=False)
    with pytest.raises(UnauthenticatedError, match="unknown API token"):
        lw.connect("sales", settings=settings)


@pytest.mark.parametrize(
    ("role", "args", "refused"),
    [
        ("viewer", ["-w", "sales", "tables", "list"], False),
        ("viewer", ["-w", "sales", "sql", "create table x as select 1 as a"], True),
        ("editor", ["-w", "sales", "sql", "create table x as select 1 as a"], False),
        ("editor", ["-w", "sales", "quality", "add", "orders", "not_null", "id"], True),
        ("editor", ["tokens", "create", "--user", "eve", "-w", "sales", "--role", "owner"], True),
        ("owner", ["tokens", "create", "--user", "eve", "-w", "sales", "--role", "viewer"], False),
        ("owner", ["tokens", "create", "--user", "eve", "--admin"], True),
        ("owner", ["-w", "sales", "members", "grant", "eve", "editor"], False),
        ("maintainer", ["-w", "sales", "members", "grant", "eve", "owner"], True),
        ("owner", ["audit", "verify"], True),
        ("admin", ["audit", "verify"], False),
    ],
)
def test_the_cli_with_a_token(catalog, monkeypatch, role, args, refused) -> None:
    home, secrets = catalog
    monkeypatch.setenv("LAKEWORKS_TOKEN", secrets[role])
    monkeypatch.setenv("LAKEWORKS_PROGRESS", "false")
    result = CliRunner().invoke(app, ["--home", str(home), *args])
    said = result.output
    if refused:
        assert result.exit_code == 1 and "may not" in said, said
    else:
        assert result.exit_code == 0, said


def test_sql_cannot_read_another_workspace(catalog) -> None:
    """Time travel names only the workspace's own tables; a file function on another
    workspace's folder is refused by the sandbox, for any role."""
    home, secrets = catalog
    admin = lw.connect("hr", settings=Settings.load(home=home, progress=False), user="root")
    admin.write("salaries", [{"id": 1, "pay": 100}])
    files = Path(admin.platform.storage.table_uri("hr", "salaries")) / "*.parquet"
    admin.platform.close()
    settings = Settings.load(home=home, token=secrets["owner"], progress=False)
    ws = lw.connect("sales", settings=settings, create=False)
    try:
        with pytest.raises(NotFoundError, match="salaries"):
            ws.sql("select * from salaries@v0").fetchall()
        with pytest.raises(InvalidInputError, match="outside this workspace"):
            ws.sql(f"select * from read_parquet('{files}')").fetchall()
    finally:
        ws.platform.close()
