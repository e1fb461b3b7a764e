"""``lakeworks endpoints deploy|list|show|history|promote|rollback|delete|metrics|series|
health``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace

if TYPE_CHECKING:
    from lakeworks.serving.endpoints import EndpointConfig
    from lakeworks.serving.series import EndpointSeries, SlotSeries

app = typer.Typer(help="Serve registered models: deploy, promote, roll back.", no_args_is_help=True)


def _slots(config: EndpointConfig) -> str:
    return ", ".join(f"{s.name}={s.ref}" for s in config.slots)


def _print(config: EndpointConfig) -> None:
    share = f" candidate share {config.share}%" if config.candidate else ""
    features = f" features {config.features}" if config.features else ""
    typer.echo(
        f"endpoint {config.endpoint} v{config.version} ({config.strategy}): "
        f"{_slots(config)}{share}{features} [{config.action} by {config.created_by}]"
    )


def _table(title: str, configs: list[EndpointConfig]) -> None:
    out = Table("endpoint", "version", "strategy", "slots", "share", "action", "by", title=title)
    for c in configs:
        out.add_row(
            c.endpoint, str(c.version), c.strategy, _slots(c), str(c.share), c.action, c.created_by
        )
    console().print(out)


@app.command("deploy")
def deploy(
    ctx: typer.Context,
    name: str,
    model: Annotated[str, typer.Option(help="registry reference: churn@champion, churn/3")],
    strategy: Annotated[str, typer.Option(help="blue-green, canary, ab or shadow")] = "blue-green",
    steps: Annotated[str, typer.Option(help="canary steps, percent")] = "5,25,50,100",
    share: Annotated[int, typer.Option(help="A/B: the candidate's share, percent")] = 50,
    features: Annotated[
        str | None, typer.Option(help="feature service read for requests by entity key")
    ] = None,
    health: Annotated[str | None, typer.Option(help='policy as JSON: {"error_rate": 0.05}')] = None,
    every: Annotated[str | None, typer.Option(help="canary: raise a step this often (10m)")] = None,
) -> None:
    """Deploy a model version to an endpoint (created if new); it is warmed first."""
    try:
        parsed = tuple(int(s) for s in steps.split(","))
    except ValueError:
        raise typer.BadParameter(
            f"steps are whole percents like 5,25,50,100, not {steps!r}"
        ) from None
    options = {"steps": parsed, "share": share, "health": _policy(health), "every": every}
    options["features"] = features
    with workspace(ctx) as ws:
        _print(ws.endpoints.deploy(name, model=model, strategy=strategy, **options))


def _policy(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        found = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"the health policy is not JSON: {exc}") from None
    if not isinstance(found, dict):
        raise typer.BadParameter('the health policy is a JSON object: {"error_rate": 0.05}')
    return found


@app.command("list")
def list_endpoints(ctx: typer.Context) -> None:
    """The endpoints of the workspace with their current configuration."""
    with workspace(ctx) as ws:
        _table(f"endpoints in {ws.name}", ws.endpoints.list())


@app.command("show")
def show(ctx: typer.Context, name: str) -> None:
    with workspace(ctx) as ws:
        _print(ws.endpoints.show(name))


@app.command("history")
def history(ctx: typer.Context, name: str) -> None:
    """Every configuration of the endpoint, with who wrote it."""
    with workspace(ctx) as ws:
        _table(f"history of {name}", ws.endpoints.history(name))


@app.command("promote")
def promote(ctx: typer.Context, name: str) -> None:
    """Canary: the next step; A/B and shadow: the candidate takes all traffic."""
    with workspace(ctx) as ws:
        _print(ws.endpoints.promote(name))


@app.command("rollback")
def rollback(ctx: typer.Context, name: str) -> None:
    """Back to the previous configuration, in one step."""
    with workspace(ctx) as ws:
        _print(ws.endpoints.rollback(name))


@app.command("delete")
def delete(ctx: typer.Context, name: str) -> None:
    with workspace(ctx) as ws:
        ws.endpoints.delete(name)
    typer.echo(f"deleted endpoint {name}")


@app.command("score")
def score(
    ctx: typer.Context,
    name: str,
    table: Annotated[str, typer.Option(help="the table (or saved training set) to score")],
    into: Annotated[str, typer.Option(help="the table the scored rows are written to")],
    version: Annotated[int | None, typer.Option(help="the table version [default: latest]")] = None,
    mode: Annotated[str, typer.Option(help="overwrite or append")] = "overwrite",
) -> None:
    """Score a table with the endpoint's live model, in Arrow batches, into another table."""
    from lakeworks.serving.scoring import as_text

    with workspace(ctx) as ws:
        result = ws.endpoints.score(name, table=table, into=into, version=version, mode=mode)
    typer.echo(as_text(result))


@app.command("health")
def set_health(
    ctx: typer.Context,
    name: str,
    policy: Annotated[str | None, typer.Argument(help='JSON: {"error_rate": 0.05}')] = None,
    clear: Annotated[bool, typer.Option("--clear", help="remove the policy")] = False,
) -> None:
    """Show the health policy, set it (JSON), or remove it (--clear)."""
    with workspace(ctx) as ws:
        if policy is None and not clear:
            typer.echo(json.dumps(ws.endpoints.show(name).health, indent=2))
            return
        _print(ws.endpoints.set_health(name, None if clear else _policy(policy)))


@app.command("metrics")
def metrics(
    ctx: typer.Context,
    name: str,
    window: Annotated[str, typer.Option(help="seconds or a duration: 30s, 5m, 1h")] = "60",
) -> None:
    """Requests, errors and latency per slot over the window (every replica's); a shadow's
    agreement with the live answers."""
    with workspace(ctx) as ws:
        found = ws.endpoints.metrics(name, float(window) if window.isdigit() else window)
    out = Table(
        "slot", "model", "requests", "req/s", "errors", "error rate", "p50 ms", "p99 ms",
        "agreement",
    )  # fmt: skip
    for s in found.slots:
        st = s.stats
        out.add_row(
            s.slot,
            st.model,
            str(st.requests),
            f"{st.rate:.2f}",
            str(st.errors),
            f"{st.error_rate:.1%}",
            _ms(st.p50_ms),
            _ms(st.p99_ms),
            "-" if st.agreement is None else f"{st.agreement:.1%} of {st.compared}",
        )
    console().print(out)
    if not found.slots:
        typer.echo(f"no requests to {name} in the last {found.window:g} s")


@app.command("series")
def series(
    ctx: typer.Context,
    name: str,
    window: Annotated[str, typer.Option(help="how far back: 15m, 1h, 1d")] = "1h",
    step: Annotated[str, typer.Option(help="one bucket: 10s, 1m, 5m")] = "1m",
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Requests per second, error rate and p50/p99 latency per slot over the window, a row
    per step (every replica's), and the configuration changes of the window."""
    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    with workspace(ctx) as ws:
        found = ws.endpoints.series(name, window=window, step=step)
    if output == "json":
        typer.echo(json.dumps(found.to_dict(), indent=2))
        return
    for slot in found.slots:
        console().print(_series_table(found, slot))
    if not found.slots:
        typer.echo(f"no requests to {name} in the last {window}")
    for c in found.changes:
        why = f" ({c.reason})" if c.reason else ""
        typer.echo(f"{_clock(c.created_ms)} v{c.version} {c.action} by {c.created_by}{why}")


def _series_table(found: EndpointSeries, slot: SlotSeries) -> Table:
    out = Table("from", "requests", "req/s", "error rate", "p50 ms", "p99 ms")
    out.title = f"{found.endpoint} {slot.slot} {slot.model}, steps of {found.step_ms / 1000:g} s"
    for i, at in enumerate(found.times):
        errors = slot.error_rate[i]
        out.add_row(
            _clock(at),
            str(slot.requests[i]),
            f"{slot.rate[i]:.2f}",
            "-" if errors is None else f"{errors:.1%}",
            _ms(slot.p50_ms[i]),
            _ms(slot.p99_ms[i]),
        )
    return out


def _clock(ms: int) -> str:
    """A time in UTC, to the second."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
