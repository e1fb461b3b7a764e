"""Anonymised copies of tables: identifiers pseudonymised, quasi-identifiers generalised,
and the k-anonymity of the result reported.

Every PII-tagged column is handled, so the copy holds no raw tagged value: ``email``,
``name``, ``phone`` and ``id`` columns become keyed pseudonyms (the masking ``hash``
pseudonyms, so the copy still joins with masked reads), ``address`` and ``free_text`` are
redacted, unless a column is named in ``generalise`` or ``drop``. ``generalise`` maps a
column to how it is coarsened: a number (bins of that width: ``{"age": 10}`` gives
``30-39``), a date unit (``"year"``, ``"month"``, ``"week"``, ``"day"``, ``"hour"``) or
``"prefix:N"`` (the first N characters: ``"prefix:3"`` turns ``75011`` into ``750**``).
The generalised columns and ``quasi`` are the quasi-identifiers: k is the size of the
smallest group of rows sharing their values (every row hides among at least k - 1 others).

Example:
    >>> ws.anonymise("patients", into="patients_anon",
    ...              generalise={"age": 10, "zip": "prefix:3"}).k  # doctest: +SKIP
    5
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError, PermissionDeniedError
from lakeworks.lake import duck
from lakeworks.lake.scans import quote
from lakeworks.lake.tables import Tables
from lakeworks.protection.pii import Pii
from lakeworks.security.masking import Masking

PSEUDONYMISED_TAGS = ("email", "name", "phone", "id")
DATE_UNITS = ("year", "month", "week", "day", "hour")


@dataclass(frozen=True)
class Anonymised:
    """What ``anonymise`` wrote, and how anonymous it is."""

    table: str
    into: str
    version: int
    rows: int
    k: int  # smallest group over the quasi-identifiers (rows when there are none)
    quasi_identifiers: list[str]
    pseudonymised: list[str]
    redacted: list[str]
    generalised: list[str]
    dropped: list[str]


class Anonymiser:
    """``platform.anonymiser``: writes anonymised copies of tables."""

    def __init__(self, tables: Tables, pii: Pii, masking: Masking) -> None:
        self.tables = tables
        self.pii = pii
        self.masking = masking

    def anonymise(
        self,
        ctx: Context,
        table: str,
        into: str,
        *,
        generalise: dict[str, int | float | str] | None = None,
        quasi: list[str] | None = None,
        drop: list[str] | None = None,
    ) -> Anonymised:
        """Write the anonymised copy of ``table`` as a new version of ``into``."""
        check_name("table", into)
        if into == table:
            raise InvalidInputError(f"anonymise {table!r} into another table, not itself")
        tags = {t.column: t.tag for t in self.pii.tags(ctx, table)}
        self._check_generalised(ctx, table, tags, generalise or {})
        data = self.tables.read(ctx, table, unmasked=True)
        plan = _Plan(table, data.schema, generalise or {}, list(quasi or []), list(drop or []))
        plan.tag(tags)
        result, k = self._run(data, plan)
        written = self.tables.write(ctx, into, result, mode="overwrite")
        return Anonymised(
            table, into, written.version, result.num_rows, k, plan.quasi_identifiers,
            plan.pseudonymised, plan.redacted, list(plan.generalise), plan.drop,
        )  # fmt: skip

    def _check_generalised(
        self, ctx: Context, table: str, tags: dict[str, str], generalise: dict
    ) -> None:
        """A tagged column generalised keeps part of its raw value (``prefix:99`` keeps
        all of it): only a caller who may see the raw values may ask for that."""
        tagged = sorted(set(tags) & set(generalise))
        if tagged and not self.masking.unmask(ctx):
            raise PermissionDeniedError(
                f"generalising the PII column(s) {tagged} of table {table!r} needs the "
                f"unmask permission on workspace {ctx.workspace!r}",
                hint="leave them to be pseudonymised or redacted, or ask an owner",
                permission="unmask",
                workspace=ctx.workspace,
                table=table,
            )

    def _run(self, data: pa.Table, plan: _Plan) -> tuple[pa.Table, int]:
        con = duckdb.connect(config={"autoinstall_known_extensions": False})
        try:
            self.masking.register(con)
            duck.lock_down(con, [])
            con.register("src", data)
            result = con.sql(f"SELECT {plan.select()} FROM src").to_arrow_table()
            con.register("out", result)
            return result, _k(con, plan.quasi_identifiers, result.num_rows)
        except duckdb.Error as exc:
            raise InvalidInputError(
                f"cannot anonymise table {plan.table!r}: {str(exc).splitlines()[0]}",
                table=plan.table,
            ) from exc
        finally:
            con.close()


class _Plan:
    """What happens to each column."""

    def __init__(
        self, table: str, schema: pa.Schema, generalise: dict, quasi: list[str], drop: list[str]
    ) -> None:
        self.table, self.schema = table, schema
        self.generalise, self.quasi, self.drop = generalise, quasi, drop
        self.pseudonymised: list[str] = []
        self.redacted: list[str] = []
        for column in [*generalise, *quasi, *drop]:
            self._column(column)
        for column, spec in generalise.items():
            _generalised(table, column, schema.field(column).type, spec)  # checked up front

    def tag(self, tags: dict[str, str]) -> None:
        handled = {*self.generalise, *self.drop}
        for column, tag in tags.items():
            if column in handled or column not in self.schema.names:
                continue
            target = self.pseudonymised if tag in PSEUDONYMISED_TAGS else self.redacted
            target.append(column)

    @property
    def quasi_identifiers(self) -> list[str]:
        return list(dict.fromkeys([*self.generalise, *self.quasi]))

    def select(self) -> str:
        parts = []
        for field in self.schema:
            name, q = field.name, quote(field.name)
            if name in self.drop:
                continue
            if name in self.generalise:
                spec = self.generalise[name]
                expr = _generalised(self.table, name, field.type, spec).format(c=q)
            elif name in self.pseudonymised:
                expr = f"lw_pseudonym(CAST({q} AS VARCHAR))"
            elif name in self.redacted:
                expr = f"CASE WHEN {q} IS NULL THEN NULL ELSE '***' END"
            else:
                expr = q
            parts.append(f"{expr} AS {q}")
        if not parts:
            raise InvalidInputError(f"anonymising {self.table!r} would drop every column")
        return ", ".join(parts)

    def _column(self, column: str) -> None:
        if column not in self.schema.names:
            raise InvalidInputError(
                f"table {self.table!r} has no column {column!r}",
                hint=f"its columns are {self.schema.names}",
                table=self.table,
                column=column,
            )


def _generalised(table: str, column: str, kind: pa.DataType, spec: object) -> str:
    """The expression over ``{c}`` that coarsens ``column`` by ``spec``."""
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
    temporal = pa.types.is_timestamp(kind) or pa.types.is_date(kind)
    if isinstance(spec, int | float) and not isinstance(spec, bool) and spec > 0 and numeric:
        low = f"CAST(floor({{c}} / {spec}) * {spec} AS BIGINT)"
        return f"CAST({low} AS VARCHAR) || '-' || CAST({low} + {spec} - 1 AS VARCHAR)"
    if spec in DATE_UNITS and temporal:
        return f"date_trunc('{spec}', {{c}})"
    if isinstance(spec, str) and spec.startswith("prefix:") and spec[7:].isdigit():
        n, text = int(spec[7:]), "CAST({c} AS VARCHAR)"
        return f"left({text}, {n}) || repeat('*', greatest(length({text}) - {n}, 0))"
    raise InvalidInputError(
        f"cannot generalise column {column!r} of table {table!r} ({kind}) by {spec!r}",
        hint="a positive bin width for numbers, one of "
        f"{list(DATE_UNITS)} for dates and times, or 'prefix:N' for text",
        table=table,
        column=column,
        expected="bin width | date unit | prefix:N",
        found=repr(spec),
    )


def _k(con: duckdb.DuckDBPyConnection, quasi: list[str], rows: int) -> int:
    if not quasi or rows == 0:
        return rows
    keys = ", ".join(quote(c) for c in quasi)
    sizes = f"SELECT count(*) AS n FROM out GROUP BY {keys}"
    return int(con.sql(f"SELECT min(n) FROM ({sizes})").fetchall()[0][0])
