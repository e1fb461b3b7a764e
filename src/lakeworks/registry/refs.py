"""Model references: ``"churn@champion"``, ``"churn/3"``, ``("churn", 3)``, ``"churn"`` (its
latest version), and MLflow's ``models:/churn/3`` and ``models:/churn@champion``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lakeworks.errors import InvalidInputError

NAME_MAX = 256
ALIAS_MAX = 255  # MLflow's MAX_REGISTERED_MODEL_ALIAS_LENGTH
_FORBIDDEN = set("/@:") | {chr(c) for c in range(32)}
# MLflow's alias rule: letters, digits, underscores and dashes; never ``latest`` (any case,
# it names the newest version) nor ``v<digits>`` (MLflow's version aliases)
_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
ALIAS_RULE = (
    "an alias is 1 to 255 letters, digits, underscores (_) or dashes (-), and is neither "
    "'latest' (any case) nor v<digits>"
)


@dataclass(frozen=True)
class ModelRef:
    """A model name and one of: a version, an alias, or neither (the latest version)."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.alias:
            return f"{self.name}@{self.alias}"
        return f"{self.name}/{self.version}" if self.version else self.name


def check_model_name(name: str, kind: str = "model") -> str:
    """Model names are free text as in MLflow, without ``/ @ :`` (they separate refs)."""
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise InvalidInputError(
            f"invalid {kind} name {name!r}: it must be 1 to {NAME_MAX} characters",
            name=str(name),
        )
    bad = sorted(set(name) & _FORBIDDEN)
    if bad:
        raise InvalidInputError(
            f"invalid {kind} name {name!r}: it contains {', '.join(map(repr, bad))}",
            hint="'/', '@' and ':' separate a name from its version or alias",
            name=name,
        )
    return name


def check_alias(alias: Any) -> str:
    """``alias`` when it follows MLflow's rule for alias names (``ALIAS_RULE``).

    >>> check_alias("champion-2")
    'champion-2'
    """
    text = alias if isinstance(alias, str) else ""
    if not (_ALIAS.match(text) and len(text) <= ALIAS_MAX):
        problem = "has characters other than letters, digits, _ and -"
        if len(text) > ALIAS_MAX:
            problem = f"is {len(text)} characters long"
        elif not text:
            problem = "is empty" if isinstance(alias, str) else "is not text"
    elif text.lower() == "latest":
        problem = "is reserved: 'latest' names a model's newest version"
    elif _VERSION_ALIAS.match(text):
        problem = "is reserved: v<digits> names a version"
    else:
        return text
    raise InvalidInputError(
        f"invalid alias name {alias!r}: it {problem}",
        hint=ALIAS_RULE,
        expected=ALIAS_RULE,
        found=str(alias),
        alias=str(alias),
    )


def parse_ref(ref: Any) -> ModelRef:
    """A ModelRef from any accepted spelling; bad ones raise InvalidInputError."""
    if isinstance(ref, ModelRef):
        return ref
    if isinstance(ref, tuple) and len(ref) == 2:
        return ModelRef(check_model_name(ref[0]), _version(ref[1], ref))
    if not isinstance(ref, str):
        raise InvalidInputError(
            f"cannot read a model reference from {ref!r}",
            hint="use 'name@alias', 'name/3' or ('name', 3)",
        )
    text = ref.removeprefix("models:/")
    if "@" in text:
        name, alias = text.split("@", 1)
        return ModelRef(check_model_name(name), alias=check_model_name(alias, "alias"))
    if "/" in text:
        name, version = text.split("/", 1)
        if version == "latest":
            return ModelRef(check_model_name(name))
        return ModelRef(check_model_name(name), _version(version, ref))
    return ModelRef(check_model_name(text))


def _version(value: Any, ref: Any) -> int:
    try:
        version = int(value)
    except (TypeError, ValueError):
        version = 0
    if version < 1 or isinstance(value, bool | float):
        raise InvalidInputError(
            f"invalid model version {value!r} in {ref!r}: versions are integers from 1",
            found=str(value),
        )
    return version
