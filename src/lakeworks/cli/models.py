"""``lakeworks models list|show|register|alias|approve|load-check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lakeworks.cli.session import console, workspace
from lakeworks.errors import InvalidInputError, SchemaMismatchError

app = typer.Typer(help="Register model versions, move aliases, approve.", no_args_is_help=True)


def _when(ms: int) -> str:
    from datetime import UTC, datetime

    return f"{datetime.fromtimestamp(ms / 1000, UTC):%Y-%m-%d %H:%M:%S}"


@app.command("list")
def list_models(ctx: typer.Context) -> None:
    """The registered models of the workspace, with their latest version and aliases."""
    with workspace(ctx) as ws:
        models = ws.models.list()
    out = Table("name", "latest", "aliases", "updated", "description", title=f"models in {ws.name}")
    for m in models:
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted(m.aliases.items()))
        latest = str(m.latest_version or "")
        out.add_row(m.name, latest, aliases, _when(m.updated_ms), m.description or "")
    console().print(out)


@app.command("show")
def show(
    ctx: typer.Context, name: str, version: Annotated[int | None, typer.Argument()] = None
) -> None:
    """A model's versions, or one version: signature, approvals, card, fairness, explanation."""
    with workspace(ctx) as ws:
        if version is None:
            _show_model(ws, name)
            return
        found = ws.models.version((name, version))
        approvals = ws.models.approvals(name, version)
        reports = {r.kind: r for r in ws.models.reports(name, version)}
    typer.echo(f"{found.ref}  {found.format or 'source only'}  {found.status}  stage={found.stage}")
    typer.echo(f"by {found.created_by} at {_when(found.created_ms)}; run {found.run_id or '-'}")
    typer.echo(f"source: {found.source or '-'}; aliases: {', '.join(found.aliases) or '-'}")
    if found.signature:
        typer.echo("signature: " + ", ".join(f"{c.name} {c.type}" for c in found.signature.inputs))
    for a in approvals:
        typer.echo(f"approval: {a.stage} by {a.approved_by} at {_when(a.at_ms)} {a.comment or ''}")
    for kind in ("card", "evaluation", "fairness", "explanation"):
        if kind in reports:
            typer.echo(report_summary(reports[kind]))


def _show_model(ws: Any, name: str) -> None:
    model = ws.models.get(name)
    typer.echo(f"{model.name}: {model.description or ''}")
    out = Table("version", "format", "stage", "aliases", "run", "created", "by")
    for v in ws.models.versions(name):
        out.add_row(
            str(v.version),
            v.format or "-",
            v.stage or "",
            ", ".join(v.aliases),
            v.run_id or "",
            _when(v.created_ms),
            v.created_by,
        )
    console().print(out)


def _card(body: dict, passed: Any) -> str:
    inputs = ", ".join(body.get("training_inputs") or []) or "-"
    return (
        f"card: owner {body.get('owner')}; intended use: {body.get('intended_use')}; "
        f"limitations: {'; '.join(body.get('limitations') or [])}; training data: {inputs}"
    )


def _verdict(passed: Any) -> str:
    return {True: "PASSED", False: "FAILED", None: "informative"}[passed]


def _evaluation(body: dict, passed: Any) -> str:
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted((body.get("metrics") or {}).items()))
    return f"evaluation ({_verdict(passed)}): {metrics}"


def _fairness(body: dict, passed: Any) -> str:
    return (
        f"fairness over {body.get('sensitive')} ({_verdict(passed)}): demographic parity "
        f"difference {body.get('demographic_parity_difference'):.3f}, equalized odds "
        f"difference {body.get('equalized_odds_difference'):.3f} (threshold "
        f"{body.get('threshold')}) {'; '.join(body.get('failures') or [])}"
    )


def _explanation(body: dict, passed: Any) -> str:
    top = list((body.get("importance") or {}).items())[:5]
    return f"explanation ({body.get('method')}): " + ", ".join(f"{k}={v:.3g}" for k, v in top)


_SUMMARIES = {
    "card": _card,
    "evaluation": _evaluation,
    "fairness": _fairness,
    "explanation": _explanation,
}


def report_summary(report: Any) -> str:
    """One line for a stored report (``ws.models.reports``), as ``models show`` prints it."""
    return _SUMMARIES[report.kind](report.body, report.passed)


@app.command("register")
def register(
    ctx: typer.Context,
    name: str,
    path: Annotated[Path | None, typer.Option(help="a model file or folder on disk")] = None,
    run: Annotated[str | None, typer.Option(help="the run that logged the model")] = None,
    artifact_path: Annotated[str | None, typer.Option(help="its folder in the run")] = None,
    description: Annotated[str | None, typer.Option(help="what the version is")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="key=value, repeatable")] = None,
    trusted: Annotated[bool, typer.Option(help="accept a pickled model (runs code)")] = False,
    training_data: Annotated[
        Path | None, typer.Option(help="CSV or Parquet of the features: the signature")
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option(help="columns of --training-data that are not features")
    ] = None,
) -> None:
    """Register a version from a file or folder (``--path``) or a run's artifact folder;
    ``--training-data`` gives its signature (enforced at every predict)."""
    from lakeworks.registry import Signature

    if (path is None) == (artifact_path is None):
        raise InvalidInputError("give either --path or --run with --artifact-path")
    tags = dict(_pair(t) for t in tag or [])
    signature = None
    if training_data is not None:
        signature = Signature.infer(_without(_read_file(training_data, 1000), drop))
    with workspace(ctx) as ws:
        version = ws.models.register(
            name,
            str(path) if path else None,
            run_id=run,
            artifact_path=artifact_path,
            description=description,
            tags=tags,
            trusted=trusted,
            signature=signature,
        )
    typer.echo(f"registered {version.ref} ({version.format})")


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InvalidInputError(f"--tag {text!r} is not key=value", found=text)
    return key, value


@app.command("alias")
def alias(
    ctx: typer.Context,
    name: str,
    alias: str,
    version: Annotated[int | None, typer.Argument(help="omit with --delete")] = None,
    force: Annotated[bool, typer.Option(help="move past failing reports (recorded)")] = False,
    delete: Annotated[bool, typer.Option(help="remove the alias")] = False,
) -> None:
    """Point an alias (champion, challenger, ...) at a version, or delete it."""
    if delete == (version is not None):
        raise InvalidInputError("give a VERSION to point the alias at, or --delete")
    with workspace(ctx) as ws:
        if delete:
            ws.models.delete_alias(name, alias)
            typer.echo(f"deleted {name}@{alias}")
            return
        event = ws.models.set_alias(name, alias, version, force=force)
    moved = f"from {event.from_version} " if event.from_version else ""
    typer.echo(
        f"{name}@{alias} {moved}-> {event.to_version}" + (" (forced)" if event.forced else "")
    )


@app.command("approve")
def approve(
    ctx: typer.Context,
    name: str,
    version: int,
    stage: Annotated[str, typer.Option(help="the stage given")] = "approved",
    comment: Annotated[str | None, typer.Option(help="why")] = None,
) -> None:
    """Record a stage of approval of a version, with who and when."""
    with workspace(ctx) as ws:
        done = ws.models.approve(name, version, stage, comment)
    typer.echo(f"{name}/{version} {done.stage} by {done.approved_by} at {_when(done.at_ms)}")


@app.command("load-check")
def load_check(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="churn@champion, churn/3 or churn")],
    table: Annotated[str | None, typer.Option(help="rows from this table")] = None,
    file: Annotated[Path | None, typer.Option(help="rows from a CSV or Parquet file")] = None,
    rows: Annotated[int, typer.Option(min=1, help="how many rows")] = 100,
    drop: Annotated[
        list[str] | None, typer.Option(help="columns to leave out (the target)")
    ] = None,
    trusted: Annotated[bool, typer.Option(help="allow a pickled model (runs code)")] = False,
) -> None:
    """Load a model and predict on some rows against its signature: OK or the mismatch."""
    if (table is None) == (file is None):
        raise InvalidInputError("give either --table or --file")
    with workspace(ctx) as ws:
        predictor = ws.models.load(ref, trusted=trusted)
        data = ws.read(table, limit=rows) if table else _read_file(file, rows)
        data = _without(data, drop)
        try:
            out = predictor.predict(data)
        except SchemaMismatchError as exc:
            typer.echo(f"MISMATCH {predictor.version.ref}: {exc}")
            raise typer.Exit(1) from None
    typer.echo(
        f"OK {predictor.version.ref}: predicted {out.num_rows} rows "
        f"({', '.join(data.column_names)})"
    )


def _without(data: Any, drop: list[str] | None) -> Any:
    unknown = sorted(set(drop or []) - set(data.column_names))
    if unknown:
        raise InvalidInputError(f"--drop names columns the data does not have: {unknown}")
    return data.drop_columns(list(drop or []))


def _read_file(path: Path, rows: int) -> Any:
    """The first ``rows`` rows of a Parquet or CSV file (read no further than needed)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if not path.is_file():
        raise InvalidInputError(f"no file {path}", found=str(path))
    if path.suffix == ".parquet":
        batches = pq.ParquetFile(path).iter_batches(batch_size=rows)
    else:
        batches = pacsv.open_csv(path)
    taken, count = [], 0
    for batch in batches:
        taken.append(batch.slice(0, rows - count))
        count += taken[-1].num_rows
        if count >= rows:
            break
    return pa.Table.from_batches(taken)
