"""``lakeworks pii scan|tag|untag|tags|anonymise``: personal data in tables."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace
from lakeworks.errors import InvalidInputError

app = typer.Typer(help="Personal data: tags, masking policies, anonymised copies.")


@app.command("scan")
def scan(
    ctx: typer.Context,
    table: str,
    rows: Annotated[int, typer.Option(help="rows sampled")] = 1000,
) -> None:
    """Suggest PII tags for TABLE's columns from their names and sampled values."""
    with workspace(ctx) as ws:
        found = ws.pii.scan(table, rows)
    out = Table("column", "suggested tag", "share", "why", title=f"PII in {table}")
    for s in found:
        out.add_row(s.column, s.tag, f"{s.share:.0%}", s.reason)
    console().print(out)
    if found:
        typer.echo(f"tag them with: lakeworks pii tag {table} COLUMN TAG [--policy ...]")


@app.command("tag")
def tag(
    ctx: typer.Context,
    table: str,
    column: str,
    tag: Annotated[str, typer.Argument(help="email|name|phone|address|id|free_text")],
    policy: Annotated[
        str | None, typer.Option(help="redact|partial|hash|none [default: by tag]")
    ] = None,
) -> None:
    """Tag TABLE.COLUMN as personal data, masked by POLICY for readers without unmask."""
    with workspace(ctx) as ws:
        done = ws.pii.tag(table, column, tag, policy)
    typer.echo(f"{table}.{column} tagged {done.tag} (masked: {done.policy})")


@app.command("untag")
def untag(ctx: typer.Context, table: str, column: str) -> None:
    with workspace(ctx) as ws:
        ws.pii.untag(table, column)
    typer.echo(f"{table}.{column} untagged")


@app.command("tags")
def tags(ctx: typer.Context, table: Annotated[str | None, typer.Argument()] = None) -> None:
    """The tagged columns (of TABLE, or of every table)."""
    with workspace(ctx) as ws:
        out = Table("table", "column", "tag", "policy", title=f"PII tags in {ws.name}")
        for t in ws.pii.tags(table):
            out.add_row(t.table, t.column, t.tag, t.policy)
        console().print(out)


@app.command("anonymise")
def anonymise(
    ctx: typer.Context,
    table: str,
    into: Annotated[str, typer.Option("--into", help="the table written")],
    generalise: Annotated[
        list[str] | None,
        typer.Option("--generalise", "-g", help="column=spec: 10, month, prefix:3"),
    ] = None,
    quasi: Annotated[list[str] | None, typer.Option(help="other quasi-identifiers")] = None,
    drop: Annotated[list[str] | None, typer.Option(help="columns left out")] = None,
) -> None:
    """Write an anonymised copy of TABLE and report its k-anonymity."""
    specs = dict(_spec(g) for g in generalise or [])
    with workspace(ctx) as ws:
        done = ws.anonymise(table, into, generalise=specs, quasi=quasi, drop=drop)
    typer.echo(
        f"wrote {done.rows} rows to {done.into} v{done.version}: k={done.k} over "
        f"{done.quasi_identifiers}; pseudonymised {done.pseudonymised}, redacted "
        f"{done.redacted}"
    )


def _spec(text: str) -> tuple[str, int | float | str]:
    column, sep, spec = text.partition("=")
    if not sep or not column:
        raise InvalidInputError(f"--generalise {text!r} is not column=spec")
    for kind in (int, float):
        try:
            return column, kind(spec)
        except ValueError:
            pass
    return column, spec
