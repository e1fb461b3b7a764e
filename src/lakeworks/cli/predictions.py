"""What the prediction log answers, at the command line: ``lakeworks endpoints
feedback|model-metrics|ab|trace`` and ``lakeworks monitor drift ENDPOINT``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from lakeworks.cli.monitor import report_table
from lakeworks.cli.session import console, workspace

Window = Annotated[str, typer.Option(help="how far back: 15m, 1h, 7d")]
Output = Annotated[str, typer.Option("--format", help="table or json")]


def _label(text: str) -> Any:
    """A label as typed: JSON when it parses (1, 2.5, true, "yes"), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _format(output: str) -> str:
    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    return output


def feedback(
    ctx: typer.Context,
    name: str,
    label: Annotated[str, typer.Argument(help="the true label: 1, 0, 2.5, yes; a JSON list")],
    request_id: Annotated[str | None, typer.Option(help="the request's id")] = None,
    key: Annotated[str | None, typer.Option(help="or its key: labels its latest request")] = None,
    row: Annotated[int | None, typer.Option(help="which row of a several-row request")] = None,
) -> None:
    """Record the true label of a logged prediction."""
    with workspace(ctx) as ws:
        found = ws.endpoints.feedback(
            name, label=_label(label), request_id=request_id, key=key, row=row
        )
    typer.echo(f"labeled rows {found.rows} of request {found.request_id} ({name})")


def model_metrics(
    ctx: typer.Context, name: str, window: Window = "1h", output: Output = "table"
) -> None:
    """Per slot: accuracy/AUC or RMSE/MAE over the labeled predictions of the window."""
    _format(output)
    with workspace(ctx) as ws:
        found = ws.endpoints.model_metrics(name, window)
    if output == "json":
        typer.echo(json.dumps({s: m.to_dict() for s, m in found.items()}, indent=2))
        return
    out = Table("slot", "model", "predictions", "labeled", "metrics", title=f"{name}, {window}")
    for m in found.values():
        values = ", ".join(f"{k}={v:.4g}" for k, v in m.metrics.items()) or "no labels yet"
        out.add_row(m.slot, m.model, str(m.predictions), str(m.labeled), values)
    console().print(out)


def ab(
    ctx: typer.Context,
    name: str,
    window: Window = "1h",
    confidence: Annotated[float, typer.Option(help="of the interval")] = 0.95,
    output: Output = "table",
) -> None:
    """The A/B read-out: candidate minus live, with its interval and significance."""
    _format(output)
    with workspace(ctx) as ws:
        found = ws.endpoints.ab(name, window, confidence=confidence)
    if output == "json":
        typer.echo(json.dumps(found.to_dict(), indent=2))
        return
    out = Table("variant", "model", "predictions", "labeled", found.metric, title=found.test)
    for v in found.variants:
        value = v.metrics.get(found.metric)
        out.add_row(v.slot, v.model, str(v.predictions), str(v.labeled), _number(value))
    console().print(out)
    if found.difference is None:
        typer.echo(f"no read-out yet: {found.note}")
        return
    verdict = "significant" if found.significant else "not significant"
    typer.echo(
        f"candidate - live {found.metric}: {found.difference:+.4g} "
        f"[{found.low:+.4g}, {found.high:+.4g}] at {found.confidence:.0%}, "
        f"p={found.p_value:.3g}: {verdict}"
    )


def trace(ctx: typer.Context, request_id: str) -> None:
    """What made one prediction, back to the tables its model was trained on (JSON)."""
    with workspace(ctx) as ws:
        found = ws.lineage.prediction(request_id)
    typer.echo(json.dumps(found.to_dict(), indent=2, default=str))


def drift(
    ctx: typer.Context,
    endpoint: str,
    window: Window = "1h",
    slot: Annotated[str, typer.Option(help="live or candidate")] = "live",
    reference: Annotated[
        str | None, typer.Option(help="table or table@vN (default: the model's training data)")
    ] = None,
    output: Output = "table",
) -> None:
    """Input and prediction drift of an endpoint's recent requests; exits 1 on drift."""
    _format(output)
    with workspace(ctx) as ws:
        found = ws.monitor(endpoint).drift(window, slot=slot, reference=reference)
    if output == "json":
        typer.echo(json.dumps(found.to_dict(), indent=2))
    else:
        console().print(report_table(found.report))
        console().print(found.report.summary(), markup=False)
    if found.drifted:
        raise typer.Exit(1)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"
