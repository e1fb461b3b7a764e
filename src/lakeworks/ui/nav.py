"""The sections in the header, in order. A page module adds its section here.

``path`` is relative to the workspace (``/w/<ws>``); ``key`` is what a page passes as
``section`` to ``render.page`` so its tab is marked as the current one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    path: str


SECTIONS: tuple[Section, ...] = (
    Section("home", "Home", ""),
    Section("tables", "Tables", "/tables"),
    Section("sql", "SQL", "/sql"),
    Section("pipelines", "Pipelines", "/pipelines"),
    Section("lineage", "Lineage", "/lineage"),
    Section("features", "Features", "/features"),
    Section("experiments", "Experiments", "/experiments"),
    Section("models", "Models", "/models"),
    Section("endpoints", "Endpoints", "/endpoints"),
    Section("admin", "Admin", "/admin"),
)
