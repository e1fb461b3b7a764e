"""An endpoint's records: its slots (each a resolved model version), its traffic policy,
and the versioned configuration every change writes.

A configuration is never edited: deploy, promote and rollback each write the next version,
with who made it and when, and the endpoint points at one of them.

Example:
    >>> live = Slot("live", "churn", 3)
    >>> config = EndpointConfig("churn", 1, "blue-green", (live,))
    >>> config.live.ref
    'churn/3'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lakeworks.errors import InvalidInputError

STRATEGIES = ("blue-green", "canary", "ab", "shadow")
DEFAULT_STEPS = (5, 25, 50, 100)  # canary: the candidate's share, in percent, step by step


@dataclass(frozen=True)
class Slot:
    """A model version in an endpoint: ``live`` (answers) or ``candidate`` (the new one)."""

    name: str
    model: str
    version: int

    @property
    def ref(self) -> str:
        return f"{self.model}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "version": self.version}


@dataclass(frozen=True)
class EndpointConfig:
    """One configuration: ``share`` is the candidate's percent of traffic (canary: the
    current step of ``steps``; A/B: the fixed split; shadow: copies, never answers)."""

    endpoint: str
    version: int
    strategy: str
    slots: tuple[Slot, ...]
    share: int = 0
    steps: tuple[int, ...] = ()
    features: str | None = None  # the feature service read for requests by entity key
    action: str = "deploy"
    health: dict[str, Any] | None = None  # a monitoring.health.HealthPolicy, as a dict
    every: float | None = None  # canary: seconds between steps raised automatically
    reason: dict[str, Any] | None = None  # an automatic change: the breach behind it
    created_by: str = ""
    created_ms: int = 0

    @property
    def live(self) -> Slot:
        return self.slots[0]

    @property
    def candidate(self) -> Slot | None:
        return self.slots[1] if len(self.slots) > 1 else None

    def body(self) -> dict[str, Any]:
        """What the catalog stores (``from_body`` reads it back)."""
        return {
            "strategy": self.strategy,
            "slots": [s.to_dict() for s in self.slots],
            "share": self.share,
            "steps": list(self.steps),
            "features": self.features,
            "health": self.health,
            "every": self.every,
            "reason": self.reason,
        }

    @classmethod
    def from_body(cls, endpoint: str, version: int, body: dict[str, Any], **meta: Any) -> Any:
        slots = tuple(Slot(s["name"], s["model"], int(s["version"])) for s in body["slots"])
        return cls(
            endpoint,
            version,
            body["strategy"],
            slots,
            int(body.get("share", 0)),
            tuple(body.get("steps", ())),
            body.get("features"),
            health=body.get("health"),
            every=body.get("every"),
            reason=body.get("reason"),
            **meta,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "version": self.version,
            **self.body(),
            "action": self.action,
            "created_by": self.created_by,
            "created_ms": self.created_ms,
        }


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise InvalidInputError(
            f"unknown serving strategy {strategy!r}",
            hint=f"use one of {', '.join(STRATEGIES)}",
            expected=", ".join(STRATEGIES),
            found=strategy,
        )
    return strategy


def check_steps(steps: tuple[int, ...]) -> tuple[int, ...]:
    """Canary steps: rising percents in 1..100 ending at 100."""
    ok = steps and all(0 < s <= 100 for s in steps) and list(steps) == sorted(set(steps))
    if not ok or steps[-1] != 100:
        raise InvalidInputError(
            f"canary steps must rise within 1..100 and end at 100, found {list(steps)}",
            hint="for example steps=(5, 25, 50, 100)",
            expected="rising percents ending at 100",
            found=str(list(steps)),
        )
    return tuple(steps)


def check_share(share: int) -> int:
    if not 0 < share < 100:
        raise InvalidInputError(
            f"an A/B split gives the candidate 1..99 percent, found {share}",
            expected="1..99",
            found=share,
        )
    return share


def next_config(
    name: str,
    strategy: str,
    new: Slot,
    current: EndpointConfig | None,
    steps: tuple[int, ...],
    share: int,
    user: str,
) -> EndpointConfig:
    """The configuration a deployment of ``new`` by ``strategy`` writes over ``current``."""
    if current is None or strategy == "blue-green":
        return EndpointConfig(name, 0, strategy, (new,), created_by=user)
    candidate = replace(new, name="candidate")
    slots = (current.live, candidate)
    if strategy == "canary":
        steps = check_steps(steps)
        return EndpointConfig(name, 0, strategy, slots, steps[0], steps, created_by=user)
    if strategy == "ab":
        return EndpointConfig(name, 0, strategy, slots, check_share(share), created_by=user)
    return EndpointConfig(name, 0, strategy, slots, created_by=user)


def changed(config: EndpointConfig, action: str, user: str, **values: Any) -> EndpointConfig:
    """``config`` with ``values``, to be written as a new version by ``action``."""
    return replace(config, version=0, action=action, created_by=user, **values)
