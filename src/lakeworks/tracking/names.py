"""The names MLflow allows for metric, param and tag keys, and the limits on values."""

from __future__ import annotations

import posixpath
import re

from lakeworks.errors import InvalidInputError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_NAME_LENGTH = 256
_KEY = re.compile(r"^[/\w.\- :]+$")


def check_key(kind: str, key: object) -> str:
    """Validate a metric, param or tag key as MLflow does: letters, digits and
    ``_ - . / space :``, not absolute, no ``..``, at most 250 characters."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidInputError(
            f"invalid {kind} key {key!r}",
            hint="use letters, digits, '_', '-', '.', '/', ' ' and ':'",
            kind=kind,
            key=str(key),
        )
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{kind} key {key[:40]!r}... is {len(key)} characters long",
            hint=f"use at most {MAX_KEY_LENGTH}",
            kind=kind,
            key=key,
        )
    if key.startswith("/") or ".." in key.split("/") or posixpath.normpath(key) != key.rstrip("/"):
        raise InvalidInputError(
            f"invalid {kind} key {key!r}: it must be a relative path without '..'",
            kind=kind,
            key=key,
        )
    return key


def check_name(kind: str, name: object) -> str:
    """Validate an experiment or run name: any text up to 256 characters, not blank."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{kind} name must be a non-empty string, got {name!r}", kind=kind)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"{kind} name {name[:40]!r}... is longer than {MAX_NAME_LENGTH} characters",
            kind=kind,
        )
    return name


def check_artifact_path(path: str) -> str:
    """A relative '/'-separated path inside a run's artifacts (no '..', not absolute)."""
    clean = path.replace("\\", "/").strip("/")
    parts = clean.split("/")
    if path.startswith("/") or not clean or any(p in {"", ".", ".."} for p in parts):
        raise InvalidInputError(
            f"invalid artifact path {path!r}",
            hint="use a relative path such as 'model/weights.bin' without '..'",
            path=path,
        )
    return clean
