"""Bad checks are refused when declared, with an error naming the problem and the fix."""

from __future__ import annotations

import pytest

import lakeworks as lw
from lakeworks.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from lakeworks.quality import checks as qc


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: qc.not_null("nope"), "has no column 'nope'"),
        (lambda: qc.unique(["id", "nope"]), "has no column 'nope'"),
        (lambda: qc.matches("email", "(unclosed"), "does not compile"),
        (lambda: qc.matches("email", r"(?<=a)b"), "does not compile"),
        (lambda: qc.expression("amount >>>= 1"), "is not valid"),
        (lambda: qc.expression("no_such_column > 1"), "is not valid"),
        (lambda: qc.expression("amount + 1"), "not a boolean"),
        (lambda: qc.expression("1) FROM orders; DROP TABLE x; SELECT (1"), "one SQL expression"),
        (lambda: qc.expression("customer IN (SELECT id FROM customers)"), "reads other tables"),
        (
            lambda: qc.expression("(SELECT count(*) FROM read_csv('/etc/passwd')) > 0"),
            "reads other",
        ),
        (lambda: qc.between("email", 0, 1), "needs a number, date or timestamp"),
        (lambda: qc.between("day", 0, 1), "does not fit column"),
        (lambda: qc.matches("amount", "x"), "needs text"),
        (lambda: qc.mean("status", 0, 1), "needs a number"),
        (lambda: qc.freshness("amount", "1d"), "needs a date or timestamp"),
        (lambda: qc.accepted_values("id", ["not a number"]), "do not fit column"),
        (lambda: qc.references("customer", "customers", "nope"), "has no column 'nope'"),
    ],
)
def test_a_check_that_cannot_run_is_refused(orders: lw.Workspace, make, message: str) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInputError, match=message):
        orders.quality.add("orders", [make()])
    assert orders.quality.list("orders") == []


def test_a_referential_check_on_a_missing_table(orders: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="references table 'ghosts', which does not exist"):
        orders.quality.add("orders", [qc.references("customer", "ghosts", "id")])


def test_checks_on_a_missing_table(ws: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="ghosts"):
        ws.quality.add("ghosts", [qc.not_null("id")])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: qc.not_null("id", max_rows=-1), "max_rows must be"),
        (lambda: qc.not_null("id", max_rows=1.5), "max_rows must be"),
        (lambda: qc.not_null("id", max_percent=101), "between 0 and 100"),
        (lambda: qc.not_null("id", max_percent=-0.1), "between 0 and 100"),
        (lambda: qc.row_count(min=1, max_rows=3), "do not apply"),
        (lambda: qc.between("amount", 10, 1), "above max"),
        (lambda: qc.between("amount"), "needs min, max or both"),
        (lambda: qc.length("code", -1, 3), "whole numbers >= 0"),
        (lambda: qc.quantile("amount", 1.5, 0, 1), "between 0 and 1"),
        (lambda: qc.row_count_anomaly(z=0), "positive"),
        (lambda: qc.null_rate_anomaly("x", min_history=1), "at least 2"),
        (lambda: qc.freshness("at", "soon"), "cannot read"),
        (lambda: qc.freshness("at", -5), "positive"),
        (lambda: qc.accepted_values("status", []), "non-empty"),
        (lambda: qc.not_null("id", severity="fatal"), "unknown severity"),
        (lambda: qc.Check.from_spec({"kind": "nonsense"}), "unknown check kind"),
    ],
)
def test_thresholds_and_arguments_out_of_range(make, message: str) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInputError, match=message):
        make()


def test_two_checks_of_one_name(orders: lw.Workspace) -> None:
    orders.quality.add("orders", [qc.not_null("id")])
    with pytest.raises(AlreadyExistsError):
        orders.quality.add("orders", [qc.not_null("id")])
    with pytest.raises(InvalidInputError, match="share a name"):
        orders.quality.add("orders", [qc.unique("id"), qc.unique("id")])
