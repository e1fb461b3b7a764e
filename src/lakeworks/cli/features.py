"""``lakeworks features apply|list|versions|rollback|materialize|training-set``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace
from lakeworks.errors import InvalidInputError, UserCodeError
from lakeworks.features.definitions import Entity, FeatureService, FeatureView

app = typer.Typer(
    help="Register feature definitions, materialize them online.", no_args_is_help=True
)


@app.command("apply")
def apply(
    ctx: typer.Context,
    path: Path,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show the diff, store nothing")
    ] = False,
) -> None:
    """Register the entities, feature views and services defined in a Python file."""
    definitions = load_definitions(path)
    with workspace(ctx) as ws:
        result = ws.features.apply(definitions, dry_run=dry_run)
    typer.echo(str(result))
    typer.echo(f"{len(result.changed)} change(s)" + (" (dry run)" if dry_run else ""))


@app.command("list")
def list_definitions(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="entity, view or service")] = None,
) -> None:
    """The current definitions of the workspace."""
    with workspace(ctx) as ws:
        items = ws.features.list(kind)
    out = Table("kind", "name", "version", "details", "by", title=f"features in {ws.name}")
    for d in items:
        out.add_row(d.kind, d.name, str(d.version), _details(d.kind, d.spec), d.created_by)
    console().print(out)


@app.command("versions")
def versions(
    ctx: typer.Context,
    name: str,
    kind: Annotated[str, typer.Option(help="entity, view or service")] = "view",
) -> None:
    """Every version of one definition."""
    with workspace(ctx) as ws:
        items = ws.features.versions(name, kind)
    out = Table("version", "when", "by", "note", "details")
    for d in items:
        out.add_row(
            str(d.version),
            f"{d.created_at:%Y-%m-%d %H:%M:%S}",
            d.created_by,
            d.note or "",
            _details(d.kind, d.spec),
        )
    console().print(out)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    name: str,
    to: Annotated[int, typer.Option("--to", help="the version to restore")],
    kind: Annotated[str, typer.Option(help="entity, view or service")] = "view",
) -> None:
    """Make an earlier version of a definition current again (stored as a new version)."""
    with workspace(ctx) as ws:
        change = ws.features.rollback(name, to, kind)
    typer.echo(str(change))


@app.command("materialize")
def materialize(
    ctx: typer.Context,
    view: str,
    start: Annotated[
        str | None, typer.Option(help="ISO time [default: the last run's end]")
    ] = None,
    end: Annotated[str | None, typer.Option(help="ISO time, exclusive [default: now]")] = None,
) -> None:
    """Write the latest value per entity of a view into the online store."""
    with workspace(ctx) as ws:
        result = ws.features.materialize(view, start, end)
    since = result.start.isoformat() if result.start else "the beginning"
    typer.echo(
        f"materialized {result.view} v{result.view_version}: {result.rows} entities from "
        f"{since} to {result.end.isoformat()} in {result.seconds:.2f} s"
    )


@app.command("training-set")
def training_set(
    ctx: typer.Context,
    entities: Annotated[str, typer.Argument(help="the table of entity rows (keys and a time)")],
    features: Annotated[
        list[str], typer.Argument(help="'view:feature' names, or one feature service")
    ],
    point_in_time: Annotated[
        str, typer.Option(help="known: as known at each row's time; event: event time only")
    ] = "known",
    timestamp: Annotated[str | None, typer.Option(help="the entity rows' time column")] = None,
    save_as: Annotated[str | None, typer.Option(help="write it as this table")] = None,
) -> None:
    """Build a training set; prints per view how many rows got a value, and why not."""
    refs: str | list[str] = (
        features[0] if len(features) == 1 and ":" not in features[0] else features
    )
    with workspace(ctx) as ws:
        result = ws.platform.features.training_set(
            ws.ctx,
            entities,
            refs,
            point_in_time=point_in_time,
            timestamp=timestamp,
            save_as=save_as,
            warn=False,  # printed below
        )
    saved = f", saved as {result.saved.table} v{result.saved.version}" if result.saved else ""
    typer.echo(
        f"training set: {result.table.num_rows} rows, {len(result.features)} feature(s), "
        f"point in time: {result.point_in_time}{saved}"
    )
    out = Table("view", "rows", "with value", "not yet known", "no earlier event", "ttl expired")
    for c in result.coverage:
        counts = (c.rows, c.with_value, c.not_yet_known, c.no_earlier_event, c.ttl_expired)
        out.add_row(c.view, *(str(n) for n in counts))
    console().print(out)
    for text in result.warnings:
        typer.echo(f"warning: {text}", err=False)


def load_definitions(path: Path) -> list[Entity | FeatureView | FeatureService]:
    """Run a definitions file and collect the Entity, FeatureView and FeatureService values
    it defines at module level."""
    if not path.is_file():
        raise InvalidInputError(f"no file {path}", hint="give the path of a features .py file")
    spec = importlib.util.spec_from_file_location(f"_lw_features_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    except Exception as exc:
        raise UserCodeError(f"{path} raised {type(exc).__name__}: {exc}", path=str(path)) from exc
    finally:
        sys.modules.pop(spec.name, None)
    found = [
        v for v in vars(module).values() if isinstance(v, Entity | FeatureView | FeatureService)
    ]
    if not found:
        raise InvalidInputError(
            f"{path} defines no Entity, FeatureView or FeatureService",
            hint="define them at module level: rider = Entity('rider', join_keys=['rider_id'])",
        )
    return found


def _details(kind: str, spec: dict) -> str:
    if kind == "entity":
        return "keys " + ", ".join(spec["join_keys"])
    if kind == "view":
        ttl = spec.get("ttl_seconds")
        return f"{spec['entity']}: {', '.join(spec['features'])} from {spec['source'][:40]}" + (
            f" (ttl {ttl:g} s)" if ttl else ""
        )
    return ", ".join(spec["features"])
