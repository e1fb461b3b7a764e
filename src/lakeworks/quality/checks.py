"""Checks declared in Python: one frozen value per check, made by the functions below.

Example:
    >>> from lakeworks.quality import checks as qc
    >>> qc.not_null("id").name
    'not_null(id)'
    >>> qc.between("amount", 0, 100, severity="warn", max_percent=1).severity
    'warn'

Row-level checks (each row passes or violates) take a threshold: the check fails when
more than ``max_rows`` rows or more than ``max_percent`` percent of the rows violate
(default: any violating row fails it). Table-level checks (row count, freshness,
statistics, anomalies) pass or fail as a whole. ``severity="error"`` failures stop bad
data (see ``lakeworks.quality.gate``); ``"warn"`` failures are recorded and shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from lakeworks.errors import InvalidInputError

SEVERITIES = ("error", "warn")
# kind -> whether each row passes or violates it (else it judges the table as a whole)
ROW_LEVEL = {
    "not_null": True,
    "unique": True,
    "accepted_values": True,
    "between": True,
    "matches": True,
    "length": True,
    "references": True,
    "expression": True,
    "row_count": False,
    "freshness": False,
    "mean": False,
    "stddev": False,
    "quantile": False,
    "null_rate_anomaly": False,
    "row_count_anomaly": False,
}


@dataclass(frozen=True)
class Check:
    """One check on a table. Build it with the functions of this module."""

    kind: str
    columns: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"
    max_rows: int | None = None
    max_percent: float | None = None
    name: str = ""
    webhook: str | None = None

    @property
    def row_level(self) -> bool:
        return ROW_LEVEL[self.kind]

    @cached_property
    def allowance(self) -> tuple[int | None, str]:
        """For a row-level check: the most violating rows it allows (None when only
        ``max_percent`` limits them) and that allowance in words, worked out once per
        check rather than once per table judged."""
        rows = self.max_rows if self.max_rows is not None or self.max_percent else 0
        words = [] if rows is None else [f"{rows} rows"]
        if self.max_percent is not None:
            words.append(f"{self.max_percent}%")
        return rows, " or ".join(words)

    @cached_property
    def summary_sql(self) -> str:
        """The check's summary aggregate (``compile.summary``), worked out once per check:
        tables whose checks have equal summaries are checked in one scan. A check never
        changes, so neither does this."""
        from lakeworks.quality.compile import summary  # compile imports this module

        return summary(self)

    def to_spec(self) -> dict[str, Any]:
        """The check as JSON (how the catalog stores it)."""
        return {
            "kind": self.kind,
            "columns": list(self.columns),
            "params": {k: _json_value(v) for k, v in self.params.items()},
            "severity": self.severity,
            "max_rows": self.max_rows,
            "max_percent": self.max_percent,
            "name": self.name,
            "webhook": self.webhook,
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Check:
        """A check from its JSON form (as ``to_spec`` writes it, or a REST/CLI body)."""
        kind = spec.get("kind")
        if kind not in ROW_LEVEL:
            raise InvalidInputError(
                f"unknown check kind {kind!r}", hint=f"use one of {sorted(ROW_LEVEL)}"
            )
        params = dict(spec.get("params") or {})
        for key in ("min", "max"):
            if isinstance(params.get(key), dict) and "date" in params[key]:
                params[key] = date.fromisoformat(params[key]["date"])
            elif isinstance(params.get(key), dict) and "datetime" in params[key]:
                params[key] = datetime.fromisoformat(params[key]["datetime"])
        if "sql" in params:
            params["predicate"] = params.pop("sql")
        if "max_age_s" in params:
            params["max_age"] = params.pop("max_age_s")
        options = {
            k: spec[k]
            for k in ("severity", "max_rows", "max_percent", "name", "webhook")
            if spec.get(k) is not None
        }
        columns = list(spec.get("columns") or ())
        build = globals()[kind]
        try:
            if kind == "unique":
                return build(columns, **params, **options)
            if columns:
                if len(columns) != 1:
                    raise InvalidInputError(f"a {kind} check takes one column, not {columns}")
                return build(columns[0], **params, **options)
            return build(**params, **options)
        except TypeError as exc:
            raise InvalidInputError(
                f"the {kind} check cannot be made from {spec}: {exc}",
                hint="see lakeworks.quality.checks for each kind's arguments",
            ) from exc


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return list(value)
    return value


def _made(
    kind: str,
    columns: tuple[str, ...],
    params: dict[str, Any],
    severity: str = "error",
    max_rows: int | None = None,
    max_percent: float | None = None,
    name: str | None = None,
    webhook: str | None = None,
) -> Check:
    if severity not in SEVERITIES:
        raise InvalidInputError(f"unknown severity {severity!r}", hint="use 'error' or 'warn'")
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 0):
        raise InvalidInputError(
            f"max_rows must be a whole number >= 0, not {max_rows!r}", check=kind
        )
    if max_percent is not None and (
        not isinstance(max_percent, int | float) or not 0 <= max_percent <= 100
    ):
        raise InvalidInputError(
            f"max_percent must be between 0 and 100, not {max_percent!r}", check=kind
        )
    if (max_rows is not None or max_percent is not None) and not ROW_LEVEL[kind]:
        raise InvalidInputError(
            f"a {kind} check judges the whole table; max_rows/max_percent do not apply",
            hint="set the bounds of the check instead",
            check=kind,
        )
    _check_bounds(kind, params)
    label = name or f"{kind}({', '.join(columns)})"
    return Check(kind, columns, params, severity, max_rows, max_percent, label, webhook)


def _check_bounds(kind: str, params: dict[str, Any]) -> None:
    low, high = params.get("min"), params.get("max")
    if low is not None and high is not None:
        try:
            wrong = low > high
        except TypeError as exc:
            raise InvalidInputError(
                f"{kind}: min {low!r} and max {high!r} are not comparable", check=kind
            ) from exc
        if wrong:
            raise InvalidInputError(f"{kind}: min {low!r} is above max {high!r}", check=kind)
    if kind in {"length", "row_count"}:
        for bound in (low, high):
            if bound is not None and (not isinstance(bound, int) or bound < 0):
                raise InvalidInputError(
                    f"{kind}: bounds must be whole numbers >= 0, not {bound!r}", check=kind
                )
    if kind in {"between", "length", "row_count", "mean", "stddev", "quantile"} and (
        low is None and high is None
    ):
        raise InvalidInputError(f"{kind} needs min, max or both", check=kind)


def _columns(column: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    columns = (column,) if isinstance(column, str) else tuple(column)
    if not columns or not all(isinstance(c, str) and c for c in columns):
        raise InvalidInputError(f"a check needs column names, not {column!r}")
    return columns


# row-level -------------------------------------------------------------------------------
def not_null(column: str, **options: Any) -> Check:
    """No null values in ``column``."""
    return _made("not_null", _columns(column), {}, **options)


def unique(columns: str | list[str], **options: Any) -> Check:
    """No two rows share a value of ``columns`` (rows with a null key are not compared).

    The violating count is the number of rows beyond the first of each repeated key.
    """
    return _made("unique", _columns(columns), {}, **options)


def accepted_values(column: str, values: list[Any], **options: Any) -> Check:
    """Every non-null value of ``column`` is one of ``values``."""
    if not isinstance(values, list | tuple | set) or not values:
        raise InvalidInputError("accepted_values needs a non-empty list of values")
    return _made("accepted_values", _columns(column), {"values": list(values)}, **options)


def between(column: str, min: Any = None, max: Any = None, **options: Any) -> Check:  # noqa: A002
    """Non-null values of ``column`` lie in [min, max] (numbers, dates or timestamps)."""
    return _made("between", _columns(column), {"min": min, "max": max}, **options)


def matches(column: str, pattern: str, **options: Any) -> Check:
    """Non-null values of ``column`` contain a match of the RE2 ``pattern`` (anchor with ^$)."""
    if not isinstance(pattern, str) or not pattern:
        raise InvalidInputError("matches needs a regular expression", column=column)
    return _made("matches", _columns(column), {"pattern": pattern}, **options)


def length(column: str, min: int | None = None, max: int | None = None, **options: Any) -> Check:  # noqa: A002
    """Non-null strings of ``column`` have between ``min`` and ``max`` characters."""
    return _made("length", _columns(column), {"min": min, "max": max}, **options)


def references(column: str, table: str, key: str | None = None, **options: Any) -> Check:
    """Every non-null value of ``column`` is a ``key`` of ``table`` (default: same name)."""
    params = {"table": table, "key": key or column}
    return _made("references", _columns(column), params, **options)


def expression(predicate: str, *, name: str | None = None, **options: Any) -> Check:
    """Every row satisfies the SQL ``predicate`` (a NULL result passes, as SQL CHECK does)."""
    if not isinstance(predicate, str) or not predicate.strip():
        raise InvalidInputError("expression needs a SQL predicate")
    return _made(
        "expression", (), {"sql": predicate}, name=name or f"expression({predicate})", **options
    )


# table-level ------------------------------------------------------------------------------
def row_count(min: int | None = None, max: int | None = None, **options: Any) -> Check:  # noqa: A002
    """The table has between ``min`` and ``max`` rows."""
    return _made("row_count", (), {"min": min, "max": max}, **options)


def freshness(column: str, max_age: timedelta | str | float, **options: Any) -> Check:
    """The newest value of the timestamp/date ``column`` is at most ``max_age`` old.

    ``max_age``: a timedelta, seconds, or text such as "90s", "15m", "6h", "2d".
    """
    return _made("freshness", _columns(column), {"max_age_s": _seconds(max_age)}, **options)


def mean(column: str, min: float | None = None, max: float | None = None, **options: Any) -> Check:  # noqa: A002
    """The mean of ``column`` lies in [min, max]."""
    return _made("mean", _columns(column), {"min": min, "max": max}, **options)


def stddev(
    column: str, min: float | None = None, max: float | None = None, **options: Any
) -> Check:  # noqa: A002
    """The sample standard deviation of ``column`` lies in [min, max]."""
    return _made("stddev", _columns(column), {"min": min, "max": max}, **options)


def quantile(
    column: str,
    q: float,
    min: float | None = None,  # noqa: A002
    max: float | None = None,  # noqa: A002
    **options: Any,
) -> Check:
    """The ``q`` quantile (0 < q < 1, interpolated) of ``column`` lies in [min, max]."""
    if not isinstance(q, int | float) or not 0 < q < 1:
        raise InvalidInputError(f"quantile q must be between 0 and 1, not {q!r}", column=column)
    params = {"q": float(q), "min": min, "max": max}
    options.setdefault("name", f"quantile({column}, {q})")
    return _made("quantile", _columns(column), params, **options)


def null_rate_anomaly(
    column: str, z: float = 3.0, min_history: int = 5, window: int = 30, **options: Any
) -> Check:
    """The share of nulls in ``column`` is within ``z`` standard deviations of its history.

    History is the rate this check observed on the table's earlier versions (the last
    ``window``); with fewer than ``min_history`` of them the check passes and says so.
    """
    return _made("null_rate_anomaly", _columns(column), _anomaly(z, min_history, window), **options)


def row_count_anomaly(
    z: float = 3.0, min_history: int = 5, window: int = 30, **options: Any
) -> Check:
    """The row count is within ``z`` standard deviations of the counts of earlier versions."""
    return _made("row_count_anomaly", (), _anomaly(z, min_history, window), **options)


def _anomaly(z: float, min_history: int, window: int) -> dict[str, Any]:
    if not isinstance(z, int | float) or z <= 0:
        raise InvalidInputError(f"z must be a positive number, not {z!r}")
    if not isinstance(min_history, int) or min_history < 2:
        raise InvalidInputError(f"min_history must be at least 2, not {min_history!r}")
    if not isinstance(window, int) or window < min_history:
        raise InvalidInputError(f"window must be at least min_history ({min_history})")
    return {"z": float(z), "min_history": min_history, "window": window}


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(value: timedelta | str | float) -> float:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif (
        isinstance(value, str) and value[-1:] in _UNITS and value[:-1].replace(".", "", 1).isdigit()
    ):
        seconds = float(value[:-1]) * _UNITS[value[-1]]
    else:
        raise InvalidInputError(
            f"cannot read {value!r} as an age", hint="use a timedelta, seconds, or '6h', '2d'"
        )
    if seconds <= 0:
        raise InvalidInputError(f"max_age must be positive, not {value!r}")
    return seconds


def renamed(check: Check, name: str) -> Check:
    return replace(check, name=name)
