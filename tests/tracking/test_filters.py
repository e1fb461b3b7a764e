"""MLflow's filter and order-by grammar: every prefix, operator and quoting, and errors that
point at the column."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeworks.errors import InvalidInputError
from lakeworks.tracking.filters import (
    ATTRIBUTE,
    METRIC,
    NUMBER,
    PARAM,
    RUNS,
    STRING,
    TAG,
    Comparison,
    Grammar,
    Key,
    Order,
    parse_filter,
    parse_order,
)


def one(text: str, allowed: Grammar = RUNS) -> Comparison:
    (comparison,) = parse_filter(text, allowed).comparisons
    return comparison


@pytest.mark.parametrize("prefix", ["metric", "metrics", "`metrics`"])
@pytest.mark.parametrize("op", ["=", "!=", ">", ">=", "<", "<="])
def test_metric_prefixes_and_operators(prefix: str, op: str) -> None:
    assert one(f"{prefix}.auc {op} 0.8") == Comparison(Key(METRIC, "auc"), op, 0.8)


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [(p, PARAM) for p in ("param", "params", "parameter", "parameters")]
    + [("tag", TAG), ("tags", TAG)],
)
@pytest.mark.parametrize("op", ["=", "!=", "LIKE", "ILIKE", "like", "iLike"])
def test_param_and_tag_prefixes_and_operators(prefix: str, kind: str, op: str) -> None:
    assert one(f"{prefix}.depth {op} '6%'") == Comparison(Key(kind, "depth"), op.upper(), "6%")


@pytest.mark.parametrize("kind", ["params", "tags"])
@pytest.mark.parametrize(
    ("written", "op"), [("IS NULL", "IS NULL"), ("is  not null", "IS NOT NULL")]
)
def test_null_checks_on_params_and_tags(kind: str, written: str, op: str) -> None:
    assert one(f"{kind}.team {written}").op == op
    assert one(f"{kind}.team {written}").value is None


@pytest.mark.parametrize("prefix", ["attribute.", "attributes.", "attr.", "run.", ""])
@pytest.mark.parametrize(
    ("name", "op", "value", "expected"),
    [
        ("status", "=", "'FINISHED'", "FINISHED"),
        ("run_name", "LIKE", "'base%'", "base%"),
        ("user_id", "!=", '"ann"', "ann"),
        ("artifact_uri", "ILIKE", "'S3://%'", "S3://%"),
        ("run_id", "IN", "('a', 'b' ,'c')", ("a", "b", "c")),
        ("run_id", "NOT IN", "('a')", ("a",)),
        ("start_time", ">=", "1700000000000", 1700000000000),
        ("end_time", "<", "1.5", 1.5),
    ],
)
def test_attributes(prefix: str, name: str, op: str, value: str, expected: object) -> None:
    comparison = one(f"{prefix}{name} {op} {value}")
    assert comparison == Comparison(Key(ATTRIBUTE, name), op, expected)
    assert type(comparison.value) is type(expected)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("created > 5", "start_time"),
        ("attributes.Created > 5", "start_time"),
        ("`Run name` = 'x'", "run_name"),
        ("attributes.\"Run Name\" = 'x'", "run_name"),
    ],
)
def test_attribute_aliases(text: str, name: str) -> None:
    assert one(text).key == Key(ATTRIBUTE, name)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("metrics.`f1 score` > 1", Key(METRIC, "f1 score")),
        ('metrics."f1 score" > 1', Key(METRIC, "f1 score")),
        ("metrics.a.b > 1", Key(METRIC, "a.b")),
        ("tags.mlflow.runName = 'x'", Key(TAG, "mlflow.runName")),
        ("tags.`mlflow.user` = 'x'", Key(TAG, "mlflow.user")),
        ("metrics.val-loss > 1", Key(METRIC, "val-loss")),
        ("metrics.train/loss > 1", Key(METRIC, "train/loss")),
        ("params.`a 'quoted' key` = 'x'", Key(PARAM, "a 'quoted' key")),
    ],
)
def test_key_quoting(text: str, key: Key) -> None:
    assert one(text).key == key


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'it''s'", "it's"),
        ("'C:\\data\\'", "C:\\data\\"),
        ('"say ""hi"""', 'say "hi"'),
        ("''", ""),
        ("'  spaced  '", "  spaced  "),
        ("'AND OR = >'", "AND OR = >"),
        ("'ünïcode ✓'", "ünïcode ✓"),
    ],
)
def test_string_literals(literal: str, value: str) -> None:
    assert one(f"params.p = {literal}").value == value


@pytest.mark.parametrize(
    ("literal", "value"),
    [("0.8", 0.8), ("-1", -1.0), ("1e3", 1000.0), ("2.5E-3", 0.0025), (".5", 0.5), ("5.", 5.0)],
)
def test_metric_numbers(literal: str, value: float) -> None:
    comparison = one(f"metrics.m = {literal}")
    assert comparison.value == value
    assert isinstance(comparison.value, float)


def test_and_joins_in_order_any_case_and_spacing() -> None:
    text = "metrics.auc>0.8 and params.depth='6'\n\tAND  tags.team = 'risk' And status='X'"
    assert parse_filter(text).comparisons == (
        Comparison(Key(METRIC, "auc"), ">", 0.8),
        Comparison(Key(PARAM, "depth"), "=", "6"),
        Comparison(Key(TAG, "team"), "=", "risk"),
        Comparison(Key(ATTRIBUTE, "status"), "=", "X"),
    )


@pytest.mark.parametrize("text", [None, "", "   ", "\n"])
def test_empty_filter_matches_everything(text: str | None) -> None:
    assert parse_filter(text).comparisons == ()


# errors -----------------------------------------------------------------------------------
def error_of(text: str, allowed: Grammar = RUNS) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        parse_filter(text, allowed)
    return caught.value


def test_syntax_error_points_at_the_column_with_a_caret() -> None:
    error = error_of("metrics.auc >> 0.8")
    assert str(error).endswith("\nmetrics.auc >> 0.8\n            ^")
    assert "column 13" in str(error)
    assert "unknown operator '>>'" in str(error)
    assert error.fields["column"] == 13
    assert error.fields["found"] == ">>"
    assert "=, !=, >, >=, <, <=" in error.fields["expected"]


def test_error_on_a_later_line_shows_that_line() -> None:
    error = error_of("metrics.a > 1\nand params.b >= 'x'")
    assert "line 2, column 14" in str(error)
    assert str(error).endswith("\nand params.b >= 'x'\n             ^")


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("metrics.auc > 0.8 or params.a = '1'", 19, ["OR is not supported", "AND"]),
        ("metrics.auc > 0.8 OR params.a = '1'", 19, ["OR is not supported"]),
        ("params.a = 1", 12, ["param 'a'", "quoted string"]),
        ("tags.t = 6", 10, ["tag 't'", "quoted string"]),
        ("status = FINISHED", 10, ["string attribute 'status'", "quoted string"]),
        ("metrics.a = '1'", 13, ["metric 'a'", "number"]),
        ("metrics.a != NaN", 14, ["number", "'NaN'"]),
        ("metrics.a = inf", 13, ["number"]),
        ("metrics.a = +5", 13, ["number"]),
        ("metrics.a = 1.2.3", 13, ["number"]),
        ("metrics.a = 0.8x", 13, ["number"]),
        ("start_time > 'yesterday'", 14, ["numeric attribute 'start_time'", "number"]),
        ("attributes.experiment_id = '1'", 12, ["unknown attribute 'experiment_id'", "run_id"]),
        ("bogus = 'x'", 1, ["unknown attribute 'bogus'"]),
        ("foo.bar = 'x'", 1, ["unknown key prefix 'foo'", "metrics"]),
        ("datasets.name = 'x'", 1, ["datasets.* keys are not supported"]),
        ("dataset.digest = 'x'", 1, ["datasets.* keys are not supported"]),
        ("params.a == 'x'", 10, ["unknown operator '=='"]),
        ("params.a <> 'x'", 10, ["unknown operator '<>'"]),
        ("params.a > 'x'", 10, ["> cannot compare param 'a'", "LIKE"]),
        ("params.a IN ('x')", 10, ["IN cannot compare param 'a'"]),
        ("status IN ('a')", 8, ["IN cannot compare the string attribute 'status'"]),
        ("metrics.a LIKE 1", 11, ["LIKE cannot compare metric 'a'"]),
        ("metrics.a IS NULL", 11, ["IS NULL cannot compare metric 'a'"]),
        ("end_time IS NOT NULL", 10, ["IS NOT NULL cannot compare"]),
        ("run_id = ('a')", 10, ["quoted string"]),
        ("metrics.a ~ 3", 11, ["expected an operator"]),
        ("metrics.a 3", 11, ["expected an operator"]),
        ("metrics.a", 10, ["expected an operator", "'the end'"]),
        ("metrics.a IS 3", 11, ["expected an operator"]),
        ("params.a = 'x", 12, ["unclosed string"]),
        ("params.a = 'it\\'s'", 17, ["joined by AND"]),  # SQL quoting: write 'it''s'
        ("metrics.`a > 1", 9, ["unclosed `"]),
        ("metrics.a > 1 metrics.b > 2", 15, ["joined by AND"]),
        ("metrics.a > 1 and", 18, ["a key is missing"]),
        ("and metrics.a > 1", 1, ["unknown attribute 'and'"]),
        ("metrics. > 1", 9, ["metric name"]),
        ("(metrics.a > 1)", 1, ["parentheses are not supported"]),
        ("metrics.a > 1 and (params.b = 'c')", 19, ["parentheses"]),
        ("run_id in ('a' 'b')", 16, ["',' or ')'"]),
        ("run_id in ('a', 1)", 17, ["quoted string in the list"]),
        ("run_id in 'a'", 11, ["IN takes a list"]),
        ("run_id in ('a'", 15, ["',' or ')'"]),
        ("= 1", 1, ["a key is missing"]),
    ],
)
def test_bad_filters(text: str, column: int, words: list[str]) -> None:
    error = error_of(text)
    message = str(error)
    assert error.fields["column"] == column, message
    for word in words:
        assert word in message, message
    caret_line = message.splitlines()[-1]
    assert caret_line == " " * (column - 1) + "^"
    assert message.splitlines()[-2] == text.splitlines()[-1]


# order by ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("clause", "order"),
    [
        ("metrics.auc DESC", Order(Key(METRIC, "auc"), ascending=False)),
        ("metrics.auc desc", Order(Key(METRIC, "auc"), ascending=False)),
        ("params.x", Order(Key(PARAM, "x"))),
        ("attributes.start_time ASC", Order(Key(ATTRIBUTE, "start_time"))),
        ("tags.t", Order(Key(TAG, "t"))),
        ("metrics.`f 1` DESC", Order(Key(METRIC, "f 1"), ascending=False)),
        ("created", Order(Key(ATTRIBUTE, "start_time"))),
        ("  run_name   asc ", Order(Key(ATTRIBUTE, "run_name"))),
    ],
)
def test_order_by(clause: str, order: Order) -> None:
    assert parse_order([clause]) == (order,)


@pytest.mark.parametrize(
    ("clause", "column", "words"),
    [
        ("metrics.a up", 11, ["unknown direction 'up'"]),
        ("metrics.a DESC x", 16, ["text after the order-by key"]),
        ("bogus", 1, ["unknown attribute 'bogus'"]),
        ("datasets.name", 1, ["datasets.*"]),
        ("metrics.a > 1", 11, ["text after the order-by key", "'>'"]),
        ("", 1, ["a key is missing"]),
    ],
)
def test_bad_order_by(clause: str, column: int, words: list[str]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_order([clause])
    message = str(caught.value)
    assert message.startswith("invalid order_by clause"), message
    assert caught.value.fields["column"] == column, message
    for word in words:
        assert word in message, message


def test_order_by_the_same_key_twice_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="names metric 'auc' twice"):
        parse_order(["metrics.auc", "metric.`auc` DESC"])
    assert len(parse_order(["metrics.auc", "params.auc", "tags.auc"])) == 3


# another grammar (the model registry's) ----------------------------------------------------
VERSIONS = Grammar(
    kinds=frozenset({TAG, ATTRIBUTE}),
    attributes={"name": STRING, "run_id": STRING, "version_number": NUMBER},
    list_attributes=frozenset({"name", "run_id"}),
)


def test_a_caller_grammar_names_its_own_attributes() -> None:
    assert one("name LIKE '%churn%'", VERSIONS) == Comparison(
        Key(ATTRIBUTE, "name"), "LIKE", "%churn%"
    )
    assert one("name IN ('a', 'b')", VERSIONS).value == ("a", "b")
    assert one("version_number >= 3", VERSIONS).value == 3
    assert one("tags.k = 'v'", VERSIONS).key == Key(TAG, "k")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("metrics.auc > 1", ["unknown key prefix 'metrics'", "tag"]),
        ("params.a = 'x'", ["unknown key prefix 'params'"]),
        ("status = 'x'", ["unknown attribute 'status'", "name, run_id, version_number"]),
        ("tags.k IS NULL", ["IS NULL cannot compare tag 'k'"]),
    ],
)
def test_a_caller_grammar_refuses_what_it_does_not_allow(text: str, words: list[str]) -> None:
    message = str(error_of(text, VERSIONS))
    for word in words:
        assert word in message, message


# any comparison written out parses back to itself -----------------------------------------
_names = st.text(st.characters(codec="utf-8", exclude_characters="`\n\r"), min_size=1, max_size=12)
_strings = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=12)
_floats = st.floats(allow_nan=False, allow_infinity=False)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_metric = st.tuples(_names, st.sampled_from(["=", "!=", ">", ">=", "<", "<="]), _floats).map(
    lambda t: (f"metrics.`{t[0]}` {t[1]} {t[2]!r}", Comparison(Key(METRIC, t[0]), t[1], t[2]))
)
_text_key = st.tuples(
    st.sampled_from([("params", PARAM), ("tags", TAG)]),
    _names,
    st.sampled_from(["=", "!=", "LIKE", "ILIKE"]),
    _strings,
).map(
    lambda t: (
        f"{t[0][0]}.`{t[1]}` {t[2]} {_quote(t[3])}",
        Comparison(Key(t[0][1], t[1]), t[2], t[3]),
    )
)
_run_ids = st.lists(_strings, min_size=1, max_size=4).map(
    lambda ids: (
        f"run_id IN ({', '.join(map(_quote, ids))})",
        Comparison(Key(ATTRIBUTE, "run_id"), "IN", tuple(ids)),
    )
)


@given(st.lists(st.one_of(_metric, _text_key, _run_ids), min_size=1, max_size=5))
def test_written_filters_parse_back(parts: list[tuple[str, Comparison]]) -> None:
    text = " AND ".join(written for written, _ in parts)
    assert parse_filter(text).comparisons == tuple(comparison for _, comparison in parts)


def test_a_param_or_tag_named_like_a_numeric_attribute_compares_as_text() -> None:
    # found by the round trip above: "end_time" is a number only as an attribute
    for text in ("params.end_time LIKE 'x%'", "tags.`start_time` ILIKE '%y'"):
        [comparison] = parse_filter(text).comparisons
        assert comparison.op in ("LIKE", "ILIKE")
    assert "LIKE cannot compare" in str(error_of("attributes.end_time LIKE 'x'"))
