"""Pattern detectors that suggest a PII tag for a column from its name and sample values.

No model, no download: regular expressions over values, a Luhn check for card numbers, and
column-name hints for what values alone cannot tell (a name looks like any two words).
A column is suggested a tag when at least ``SHARE`` of its non-empty sampled values match,
or when its name says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

SHARE = 0.8  # of non-empty sampled values that must match a value pattern
FREE_TEXT_WORDS = 6  # mean words per value from which text is free text

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
_ID = re.compile(
    r"^(\d{3}-\d{2}-\d{4}"  # US SSN
    r"|[A-Z]{2}\d{2}[A-Z0-9]{11,30}"  # IBAN
    r"|[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]"  # UK NINO
    r"|\d{13,19})$"  # card numbers (Luhn-checked below)
)
_ADDRESS = re.compile(
    r"^\d+[A-Za-z]?\s+\w[\w\s.'-]*\b(street|st|avenue|ave|road|rd|lane|ln|drive|dr|way|"
    r"boulevard|blvd|court|ct|place|pl|square|sq|strasse|rue|via|calle)\b",
    re.IGNORECASE,
)
_NAME_HINTS = {
    "name": ("name", "first_name", "last_name", "full_name", "surname", "given_name"),
    "email": ("email", "e_mail", "mail"),
    "phone": ("phone", "mobile", "telephone", "tel", "phone_number"),
    "address": ("address", "street", "addr", "postal_address", "home_address"),
    "id": ("ssn", "national_id", "passport", "iban", "tax_id", "card_number"),
}


@dataclass(frozen=True)
class Suggestion:
    """A suggested tag for a column, and why."""

    column: str
    tag: str
    share: float  # of sampled non-empty values that matched (1.0 for a name hint)
    reason: str


def suggest(column: str, values: list[str]) -> Suggestion | None:
    """The tag ``column`` most likely holds, from its name and ``values`` (strings)."""
    filled = [v.strip() for v in values if v is not None and v.strip()]
    for tag, test in _VALUE_TESTS:
        if filled:
            share = sum(1 for v in filled if test(v)) / len(filled)
            if share >= SHARE:
                return Suggestion(column, tag, round(share, 3), f"{tag} pattern")
    hinted = _hinted(column)
    if hinted:
        return Suggestion(column, hinted, 1.0, f"column name {column!r}")
    if filled and sum(len(v.split()) for v in filled) / len(filled) >= FREE_TEXT_WORDS:
        return Suggestion(column, "free_text", 1.0, "long text that may mention people")
    return None


def _hinted(column: str) -> str | None:
    lowered = column.lower()
    for tag, names in _NAME_HINTS.items():
        if lowered in names or any(lowered.endswith("_" + n) for n in names):
            return tag
    return None


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_id(value: str) -> bool:
    if not _ID.match(value):
        return False
    return not value.isdigit() or _luhn(value)


def _is_phone(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return bool(_PHONE.match(value)) and 7 <= digits <= 15 and not value.isdigit()


_VALUE_TESTS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("email", lambda v: bool(_EMAIL.match(v))),
    ("id", _is_id),
    ("phone", _is_phone),
    ("address", lambda v: bool(_ADDRESS.match(v))),
)
