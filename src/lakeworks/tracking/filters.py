"""MLflow's search grammar: a filter string or an order-by clause parsed into frozen values.

A filter is comparisons joined by ``AND`` (MLflow has no ``OR`` and no parentheses)::

    metrics.auc > 0.8 and params.depth = '6' and tags.`data set` LIKE 'churn%'

Each comparison names a key as ``<prefix>.<name>`` (``metric(s)``, ``param(s)`` /
``parameter(s)``, ``tag(s)``, ``attribute(s)`` / ``attr`` / ``run``; a bare name is an
attribute); a name with spaces or symbols is quoted with backticks or double quotes. What a
filter may name, and with which operators, is a ``Grammar``: ``RUNS`` for run search, and a
caller such as the model registry passes its own to ``parse_filter(text, allowed=...)``.

Any mistake raises ``InvalidInputError`` naming the column, what was expected and what was
found, with the filter and a caret under the place::

    metrics.auc >> 0.8
                ^
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from lakeworks.errors import InvalidInputError

METRIC, PARAM, TAG, ATTRIBUTE = "metric", "param", "tag", "attribute"
STRING, NUMBER = "string", "number"  # the two types of attribute

_PREFIXES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}
_COMPARISONS = ("=", "!=", ">", ">=", "<", "<=")
_EQUALITY = ("=", "!=", "LIKE", "ILIKE")
_NULLS = ("IS NULL", "IS NOT NULL")
_LISTS = ("IN", "NOT IN")


@dataclass(frozen=True)
class Grammar:
    """What a filter may name and how each kind of key may be compared.

    Args:
        kinds: the key kinds allowed (``metric``, ``param``, ``tag``, ``attribute``).
        attributes: attribute name -> ``"string"`` or ``"number"``.
        aliases: other spellings of attributes (``created`` -> ``start_time``).
        list_attributes: string attributes that take ``IN`` / ``NOT IN`` a list.
        null_kinds: kinds that take ``IS NULL`` / ``IS NOT NULL``.
    """

    kinds: frozenset[str]
    attributes: Mapping[str, str]
    aliases: Mapping[str, str] = field(default_factory=dict)
    list_attributes: frozenset[str] = frozenset()
    null_kinds: frozenset[str] = frozenset()

    def operators(self, key: Key) -> tuple[str, ...]:
        """The operators ``key`` may be compared with."""
        if self.is_number(key):
            return _COMPARISONS
        nulls = _NULLS if key.kind in self.null_kinds else ()
        lists = _LISTS if key.name in self.list_attributes and key.kind == ATTRIBUTE else ()
        return _EQUALITY + lists + nulls

    def is_number(self, key: Key) -> bool:
        return key.kind == METRIC or (
            key.kind == ATTRIBUTE and self.attributes.get(key.name) == NUMBER
        )


RUNS = Grammar(
    kinds=frozenset({METRIC, PARAM, TAG, ATTRIBUTE}),
    attributes={
        "run_id": STRING,
        "run_name": STRING,
        "status": STRING,
        "user_id": STRING,
        "artifact_uri": STRING,
        "start_time": NUMBER,
        "end_time": NUMBER,
    },
    aliases={"created": "start_time", "Created": "start_time"}
    | {name: "run_name" for name in ("run name", "Run name", "Run Name")},
    list_attributes=frozenset({"run_id"}),
    null_kinds=frozenset({PARAM, TAG}),
)


@dataclass(frozen=True)
class Key:
    """A named value of a run: ``kind`` is metric, param, tag or attribute."""

    kind: str
    name: str


Value = str | float | int | tuple[str, ...] | None


@dataclass(frozen=True)
class Comparison:
    """One condition: ``key op value``; ``value`` is None for IS (NOT) NULL, a float for
    metrics, an int or float for numeric attributes, a tuple for IN lists, else a str."""

    key: Key
    op: str
    value: Value


@dataclass(frozen=True)
class Filter:
    """Comparisons that must all hold (MLflow's AND); empty matches everything."""

    comparisons: tuple[Comparison, ...] = ()


@dataclass(frozen=True)
class Order:
    """One order-by key; missing values sort last in either direction (MLflow's rule)."""

    key: Key
    ascending: bool = True


def parse_filter(text: str | None, allowed: Grammar = RUNS) -> Filter:
    """Parse an MLflow filter string; an empty or blank one matches everything.

    Example:
        >>> parse_filter("metrics.auc > 0.8 and params.depth = '6'").comparisons[0]
        Comparison(key=Key(kind='metric', name='auc'), op='>', value=0.8)
    """
    scanner = _Scanner(text or "", allowed)
    comparisons = []
    while not scanner.at_end():
        if comparisons:
            scanner.conjunction()
        comparisons.append(scanner.comparison())
    return Filter(tuple(comparisons))


def parse_order(clauses: Sequence[str] | None, allowed: Grammar = RUNS) -> tuple[Order, ...]:
    """Parse order-by clauses (``metrics.auc DESC``, ``params.x``); a key given twice is an
    error, as in MLflow.

    Example:
        >>> parse_order(["metrics.auc DESC"])
        (Order(key=Key(kind='metric', name='auc'), ascending=False),)
    """
    orders = tuple(_parse_one_order(clause, allowed) for clause in clauses or ())
    keys = [order.key for order in orders]
    for key in keys:
        if keys.count(key) > 1:
            raise InvalidInputError(
                f"order_by names {key.kind} {key.name!r} twice: {list(clauses or ())}",
                expected="each key at most once",
                found=f"{key.kind}.{key.name}",
            )
    return orders


def _parse_one_order(clause: str, allowed: Grammar) -> Order:
    scanner = _Scanner(clause, allowed, what="order_by clause")
    key = scanner.key()
    scanner.at_end()  # skips the blanks before the direction
    at = scanner.pos
    direction = scanner.word()
    if direction.upper() not in {"", "ASC", "DESC"}:
        scanner.fail(f"unknown direction {direction!r}", "ASC, DESC or the end", at=at)
    if not scanner.at_end():
        scanner.fail("text after the order-by key", "ASC, DESC or the end")
    return Order(key, ascending=direction.upper() != "DESC")


_SPACE = re.compile(r"\s*")
_WORD = re.compile(r"[A-Za-z_]+")
_BARE_PART = re.compile(r"[\w\-/:]+")  # a key without quotes: letters, digits, _ - / :
_BARE_NAME = re.compile(r"[\w\-/:]+(?:\.[\w\-/:]+)*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_OPERATOR_CHARS = re.compile(r"[<>=!]+")
_STRINGS = {q: re.compile(f"{q}((?:{q}{q}|[^{q}])*){q}") for q in "'\""}


class _Scanner:
    """A cursor over one filter; every method skips leading blanks and reports mistakes
    at the column where they start."""

    def __init__(self, text: str, allowed: Grammar, what: str = "filter") -> None:
        self.text, self.allowed, self.what, self.pos = text, allowed, what, 0

    def at_end(self) -> bool:
        self._blank()
        return self.pos == len(self.text)

    def comparison(self) -> Comparison:
        if self.text.startswith("(", self._blank()):
            self.fail(
                "parentheses are not supported (conditions are joined by AND only)",
                "a comparison such as metrics.auc > 0.8",
            )
        key = self.key()
        op_at = self._blank()
        op = self._operator()
        if op not in self.allowed.operators(key):
            self.fail(
                f"{op} cannot compare {_describe(key, self.allowed)}",
                ", ".join(self.allowed.operators(key)),
                found=op,
                at=op_at,
            )
        value = None if op in _NULLS else self._value(key, op)
        return Comparison(key, op, value)

    def conjunction(self) -> None:
        start = self._blank()
        word = self.word()
        if word.upper() == "OR":
            self.fail(
                "OR is not supported: MLflow's grammar joins conditions with AND "
                "only; run one search per alternative",
                "AND",
                found=word,
                at=start,
            )
        if word.upper() != "AND":
            self.fail("conditions must be joined by AND", "AND or the end of the filter", at=start)

    def key(self) -> Key:
        start = self._blank()
        first = self._name_part()
        if first is None:
            self.fail("a key is missing", "a key such as metrics.auc, params.depth or status")
        if not self.text.startswith(".", self.pos):
            return self._attribute(first, start)
        kind = _PREFIXES.get(first)
        if kind is None or kind not in self.allowed.kinds:
            prefixes = sorted(p for p, k in _PREFIXES.items() if k in self.allowed.kinds)
            if first in {"dataset", "datasets"}:
                self.fail(
                    "datasets.* keys are not supported in lakeworks search",
                    ", ".join(prefixes),
                    found=first,
                    at=start,
                )
            self.fail(f"unknown key prefix {first!r}", ", ".join(prefixes), found=first, at=start)
        self.pos += 1
        name_at = self.pos
        name = self._quoted()
        if name is None:
            name = self._match(_BARE_NAME)
        if not name:
            self.fail(f"expected a {kind} name after {first!r}.", "a name, `quoted` if needed")
        return self._attribute(name, name_at) if kind == ATTRIBUTE else Key(kind, name)

    def word(self) -> str:
        self._blank()
        return self._match(_WORD) or ""

    def fail(
        self, problem: str, expected: str, found: str | None = None, at: int | None = None
    ) -> NoReturn:
        """Raise the syntax error for the column ``at`` (default: the cursor)."""
        at = self.pos if at is None else at
        raise _syntax_error(self.text, self.what, at, problem, expected, found)

    # pieces ------------------------------------------------------------------------------
    def _blank(self) -> int:
        self.pos = _SPACE.match(self.text, self.pos).end()
        return self.pos

    def _match(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.pos)
        if not found:
            return None
        self.pos = found.end()
        return found.group()

    def _quoted(self) -> str | None:
        """A `backticked` or "double-quoted" name, or None if there is none here."""
        quote = self.text[self.pos : self.pos + 1]
        if quote not in {"`", '"'}:
            return None
        end = self.text.find(quote, self.pos + 1)
        if end < 0:
            self.fail(f"unclosed {quote}", f"a closing {quote}")
        name, self.pos = self.text[self.pos + 1 : end], end + 1
        return name

    def _name_part(self) -> str | None:
        quoted = self._quoted()
        return quoted if quoted is not None else self._match(_BARE_PART)

    def _attribute(self, name: str, at: int) -> Key:
        name = self.allowed.aliases.get(name, name)
        if ATTRIBUTE not in self.allowed.kinds or name not in self.allowed.attributes:
            self.fail(
                f"unknown attribute {name!r}",
                ", ".join(sorted(self.allowed.attributes)),
                found=name,
                at=at,
            )
        return Key(ATTRIBUTE, name)

    def _operator(self) -> str:
        start = self._blank()
        symbols = self._match(_OPERATOR_CHARS)
        if symbols:
            if symbols not in _COMPARISONS:
                self.fail(
                    f"unknown operator {symbols!r}",
                    ", ".join(_COMPARISONS),
                    found=symbols,
                    at=start,
                )
            return symbols
        words = [self.word().upper()]
        if words[0] in {"NOT", "IS"}:
            words.append(self.word().upper())
        if words == ["IS", "NOT"]:
            words.append(self.word().upper())
        op = " ".join(words)
        if op not in _COMPARISONS + _EQUALITY + _LISTS + _NULLS:
            self.fail(
                "expected an operator",
                "=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL or IS NOT NULL",
                found=self.text[start : self.pos].strip() or None,
                at=start,
            )
        return op

    def _value(self, key: Key, op: str) -> Value:
        self._blank()
        if op in _LISTS:
            return self._list()
        if self.allowed.is_number(key):
            number = self._match(_NUMBER)
            if number is None:
                self.fail(
                    f"{_describe(key, self.allowed)} is compared with a number",
                    "a number such as 0.8, -1 or 1e-3",
                )
            integral = key.kind == ATTRIBUTE and re.fullmatch(r"-?\d+", number)
            return int(number) if integral else float(number)
        text = self._string()
        if text is None:
            self.fail(
                f"{_describe(key, self.allowed)} is compared with a quoted string",
                "a quoted string such as '6'",
            )
        return text

    def _string(self) -> str | None:
        """A '...' or "..." literal; as in SQL a doubled quote stands for itself and a
        backslash is an ordinary character."""
        quote = self.text[self.pos : self.pos + 1]
        if quote not in {"'", '"'}:
            return None
        found = _STRINGS[quote].match(self.text, self.pos)
        if not found:
            self.fail(f"unclosed string starting with {quote}", f"a closing {quote}")
        self.pos = found.end()
        return found.group(1).replace(quote + quote, quote)

    def _list(self) -> tuple[str, ...]:
        if not self.text.startswith("(", self.pos):
            self.fail("IN takes a list", "a list such as ('a', 'b')")
        self.pos += 1
        items: list[str] = []
        while True:
            self._blank()
            item = self._string()
            if item is None:
                self.fail("expected a quoted string in the list", "a quoted string")
            items.append(item)
            self._blank()
            closing = self.text[self.pos : self.pos + 1]
            if closing not in {",", ")"}:
                self.fail("expected ',' or ')' in the list", "',' or ')'")
            self.pos += 1
            if closing == ")":
                return tuple(items)


def _describe(key: Key, allowed: Grammar) -> str:
    if key.kind == ATTRIBUTE:
        kind = "numeric" if allowed.attributes[key.name] == NUMBER else "string"
        return f"the {kind} attribute {key.name!r}"
    return f"{key.kind} {key.name!r}"


def _syntax_error(
    text: str, what: str, pos: int, problem: str, expected: str, found: str | None
) -> InvalidInputError:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : None if line_end < 0 else line_end]
    column = pos - line_start + 1
    where = (
        f"column {column}"
        if line_start == 0
        else f"line {text.count(chr(10), 0, pos) + 1}, column {column}"
    )
    if found is None:
        found = text[pos:].split(maxsplit=1)[0] if text[pos:].strip() else "the end"
    return InvalidInputError(
        f"invalid {what} at {where}: {problem} (expected {expected}; found {found!r})\n"
        f"{line}\n{' ' * (column - 1)}^",
        filter=text,
        column=column,
        expected=expected,
        found=found,
    )
