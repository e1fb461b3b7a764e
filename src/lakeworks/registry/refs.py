"""Model references: ``"churn@champion"``, ``"churn/3"``, ``("churn", 3)``, ``"churn"`` (its
latest version), and MLflow's ``models:/churn/3`` and ``models:/churn@champion``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakeworks.errors import InvalidInputError

NAME_MAX = 256
_FORBIDDEN = set("/@:") | {chr(c) for c in range(32)}


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
