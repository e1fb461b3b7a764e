"""``lakeworks db upgrade``: bring the catalog's schema to this lakeworks' migrations."""

from __future__ import annotations

import typer

from lakeworks.cli.session import options
from lakeworks.meta import engine as meta_engine

app = typer.Typer(help="The catalog database: upgrade its schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply pending catalog migrations (a no-op when the schema is current).

    Run it once after installing a new lakeworks, before starting servers and workers
    on a shared catalog; they refuse a catalog that needs it.
    """
    settings = options(ctx).settings()
    engine = meta_engine.make_engine(settings.resolved_metadata_url)
    try:
        before = meta_engine.upgrade(engine)
    finally:
        engine.dispose()
    url = engine.url.render_as_string(hide_password=True)
    heads = ", ".join(sorted(meta_engine.HEADS))
    if before == meta_engine.HEADS:
        typer.echo(f"catalog {url} is current ({heads})")
    else:
        typer.echo(f"catalog {url} upgraded from {', '.join(sorted(before)) or 'empty'} to {heads}")
