"""Anonymised copies: identifiers pseudonymised, quasi-identifiers generalised, k reported
and checked against an independent count."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from lakeworks.cli.app import app as cli_app
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from lakeworks.platform import Platform
from lakeworks.security.masking import pseudonym

PATIENTS = pa.table(
    {
        "patient_id": list(range(1, 13)),
        "email": [f"p{i}@clinic.example" for i in range(1, 13)],
        "age": [23, 27, 31, 34, 36, 38, 41, 44, 45, 47, 52, 58],
        "zip": [
            "75011",
            "75012",
            "75013",
            "75011",
            "75019",
            "75018",
            "69001",
            "69002",
            "69003",
            "69004",
            "69005",
            "69006",
        ],  # fmt: skip
        "visit": [
            date(2026, m, d)
            for m, d in [
                (1, 3),
                (1, 9),
                (2, 1),
                (2, 7),
                (3, 3),
                (3, 8),
                (1, 2),
                (1, 5),
                (2, 2),
                (2, 4),
                (3, 1),
                (3, 9),
            ]
        ],  # fmt: skip
        "diagnosis": ["flu", "cold", "flu", "flu", "cold", "flu"] * 2,
        "note": ["patient said hello"] * 12,
    }
)


@pytest.fixture
def patients(platform: Platform, ctx: Context) -> Platform:
    platform.tables.create(ctx, "patients", PATIENTS)
    platform.pii.tag(ctx, "patients", "patient_id", "id")
    platform.pii.tag(ctx, "patients", "email", "email")
    platform.pii.tag(ctx, "patients", "note", "free_text")
    return platform


def test_a_copy_with_pseudonyms_generalised_columns_and_k(patients: Platform, ctx: Context) -> None:
    done = patients.anonymiser.anonymise(
        ctx, "patients", into="patients_anon", generalise={"age": 10, "zip": "prefix:2"}
    )
    copy = patients.tables.read(ctx, "patients_anon")
    assert done.rows == copy.num_rows == 12
    assert sorted(done.pseudonymised) == ["email", "patient_id"] and done.redacted == ["note"]
    key = patients.masking.key
    assert copy.column("email")[0].as_py() == pseudonym(key, "p1@clinic.example")
    assert copy.column("patient_id")[0].as_py() == pseudonym(key, "1")
    assert set(copy.column("note").to_pylist()) == {"***"}
    assert copy.column("age").to_pylist()[:3] == ["20-29", "20-29", "30-39"]
    assert copy.column("zip")[0].as_py() == "75***"
    ages, zips = copy.column("age").to_pylist(), copy.column("zip").to_pylist()
    groups = Counter(zip(ages, zips, strict=True))
    assert done.k == min(groups.values()) == 2
    raw = repr(copy.to_pylist())
    assert "p1@clinic.example" not in raw and "patient said" not in raw


def test_dates_truncate_and_quasi_columns_count(patients: Platform, ctx: Context) -> None:
    done = patients.anonymiser.anonymise(
        ctx, "patients", into="by_month", generalise={"visit": "month"}, quasi=["diagnosis"]
    )
    copy = patients.tables.read(ctx, "by_month")
    months = {v.month for v in copy.column("visit").to_pylist()}
    assert months == {1, 2, 3} and {v.day for v in copy.column("visit").to_pylist()} == {1}
    visits, found = copy.column("visit").to_pylist(), copy.column("diagnosis").to_pylist()
    groups = Counter(zip(visits, found, strict=True))
    assert done.quasi_identifiers == ["visit", "diagnosis"] and done.k == min(groups.values())


def test_dropped_columns_are_left_out(patients: Platform, ctx: Context) -> None:
    done = patients.anonymiser.anonymise(ctx, "patients", into="slim", drop=["note", "zip"])
    assert done.dropped == ["note", "zip"]
    assert "note" not in patients.tables.read(ctx, "slim").column_names
    assert done.k == 12  # no quasi-identifiers: every row is one group of all rows


@pytest.mark.parametrize(
    ("generalise", "message"),
    [
        ({"age": "month"}, "cannot generalise column 'age' of table 'patients'"),
        ({"zip": 10}, "cannot generalise column 'zip'"),
        ({"age": -5}, "cannot generalise column 'age'"),
        ({"height": 10}, "table 'patients' has no column 'height'"),
        ({"zip": "prefix:x"}, "cannot generalise column 'zip'"),
    ],
)
def test_bad_generalisations_are_refused_and_nothing_is_written(
    patients: Platform, ctx: Context, generalise: dict, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        patients.anonymiser.anonymise(ctx, "patients", into="anon", generalise=generalise)
    assert not patients.tables.exists(ctx, "anon")


def test_into_itself_or_a_missing_table_is_refused(patients: Platform, ctx: Context) -> None:
    with pytest.raises(InvalidInputError, match="another table"):
        patients.anonymiser.anonymise(ctx, "patients", into="patients")
    with pytest.raises(NotFoundError, match="nope"):
        patients.anonymiser.anonymise(ctx, "nope", into="anon")


def test_the_cli_anonymises_and_reports_k(tmp_path) -> None:  # noqa: ANN001
    runner, home = CliRunner(), ["--home", str(tmp_path / "lw")]
    csv = tmp_path / "p.csv"
    csv.write_text("id,email,age\n1,a@x.io,31\n2,b@x.io,35\n3,c@x.io,52\n4,d@x.io,57\n")
    assert runner.invoke(cli_app, [*home, "ingest", str(csv), "--table", "p"]).exit_code == 0
    tagged = runner.invoke(cli_app, [*home, "pii", "tag", "p", "email", "email"])
    assert "p.email tagged email (masked: partial)" in tagged.output
    done = runner.invoke(cli_app, [*home, "pii", "anonymise", "p", "--into", "q", "-g", "age=10"])
    assert done.exit_code == 0, done.output
    assert "wrote 4 rows to q v0: k=2 over ['age']" in done.output


def test_generalising_a_tagged_column_needs_unmask(patients: Platform, ctx: Context) -> None:
    patients.unmask = lambda c: c.user == "tester"
    viewer = Context("default", "viewer")
    with pytest.raises(PermissionDeniedError, match="unmask permission on workspace 'default'"):
        patients.anonymiser.anonymise(
            viewer, "patients", into="leak", generalise={"email": "prefix:99"}
        )
    assert not patients.tables.exists(ctx, "leak")
    done = patients.anonymiser.anonymise(viewer, "patients", into="ok", generalise={"age": 10})
    assert "email" in done.pseudonymised
