"""Signatures: inferred from Arrow, pandas and Polars; enforced with errors that name
every column, expected and found; safe widening allowed; column order fixed."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from lakeworks.errors import InvalidInputError, SchemaMismatchError
from lakeworks.registry.signature import ColumnSpec, Signature

TRAIN = pa.table(
    {
        "age": pa.array([30, 41], pa.int32()),
        "income": pa.array([1.5, 2.5]),
        "city": pa.array(["a", "b"]),
    }
)


@pytest.mark.parametrize(
    "data", [TRAIN, TRAIN.to_pandas(), pl.from_arrow(TRAIN), TRAIN.to_pylist()]
)
def test_inferred_from_each_frame_kind(data) -> None:  # noqa: ANN001
    sig = Signature.infer(data, output=[0, 1])
    assert sig.columns == ["age", "income", "city"]
    types = {c.name: c.type for c in sig.inputs}
    assert types["income"] == "double"
    assert types["city"] in {"string", "large_string"}  # Polars writes large strings
    assert sig.outputs == (ColumnSpec("prediction", "int64", True),)


def test_round_trips_through_json() -> None:
    sig = Signature.infer(TRAIN, output=pd.Series([0.1, 0.2], name="score"))
    assert Signature.from_dict(sig.to_dict()) == sig
    assert sig.outputs[0].name == "score"


def test_enforce_fixes_the_model_column_order() -> None:
    sig = Signature.infer(TRAIN)
    given = TRAIN.select(["city", "income", "age"])
    assert sig.enforce(given).column_names == ["age", "income", "city"]


def test_safe_widening_is_allowed_and_cast() -> None:
    sig = Signature.from_dict(
        {"inputs": [{"name": "n", "type": "int64"}, {"name": "x", "type": "double"}]}
    )
    given = pa.table({"n": pa.array([1], pa.int32()), "x": pa.array([2], pa.int16())})
    out = sig.enforce(given)
    assert out.schema.field("n").type == pa.int64()
    assert out.schema.field("x").type == pa.float64()
    assert out.to_pylist() == [{"n": 1, "x": 2.0}]


def test_missing_and_extra_columns_are_named_together() -> None:
    sig = Signature.infer(TRAIN)
    given = pa.table({"age": pa.array([1], pa.int32()), "zip": ["x"], "score": [1.0]})
    with pytest.raises(SchemaMismatchError) as caught:
        sig.enforce(given, model="model churn/2")
    message = str(caught.value)
    assert "model churn/2" in message
    assert "missing column(s) income, city" in message
    assert "unexpected column(s) zip, score" in message
    assert caught.value.fields["expected"].startswith("age:int32")
    assert "zip:string" in caught.value.fields["found"]


@pytest.mark.parametrize(
    ("column", "found"),
    [
        (pa.array(["30", "41"]), "string"),  # a string where a number was trained
        (pa.array([30.5, 1.0]), "double"),  # narrowing a float to an int loses values
        (pa.array([2**40, 1], pa.int64()), "int64"),  # int64 into int32 is narrowing
    ],
)
def test_a_wrong_type_names_the_column_expected_and_found(column, found: str) -> None:  # noqa: ANN001
    sig = Signature.infer(TRAIN)
    given = TRAIN.set_column(0, "age", column)
    with pytest.raises(SchemaMismatchError) as caught:
        sig.enforce(given)
    assert f"column age expected int32, found {found}" in str(caught.value)


def test_nulls_in_a_column_trained_without_them() -> None:
    sig = Signature((ColumnSpec("x", "double", nullable=False),))
    with pytest.raises(SchemaMismatchError, match="column x expected no nulls, found 1"):
        sig.enforce(pa.table({"x": pa.array([1.0, None])}))
    assert sig.enforce(pa.table({"x": [1.0]})).num_rows == 1


def test_input_without_column_names_is_refused() -> None:
    import numpy as np

    with pytest.raises(InvalidInputError, match="cannot read model input from a ndarray"):
        Signature.infer(np.zeros((2, 2)))


def test_a_malformed_stored_signature_says_what_it_needs() -> None:
    with pytest.raises(InvalidInputError, match="inputs"):
        Signature.from_dict({"inputs": [{"type": "int64"}]})


def test_a_two_column_output_is_recorded_per_column() -> None:
    sig = Signature.infer(TRAIN, output=[[0.2, 0.8], [0.6, 0.4]])
    assert [c.name for c in sig.outputs] == ["output_0", "output_1"]
