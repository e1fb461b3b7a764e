"""The SDK's door to data protection: ``ws.secrets``, ``ws.pii``, ``ws.retention`` and
``ws.anonymise`` (see ``lakeworks.security``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.platform import Platform
    from lakeworks.protection.anonymise import Anonymised
    from lakeworks.protection.detectors import Suggestion
    from lakeworks.protection.pii import PiiTag
    from lakeworks.protection.retention import RetentionRule, RetentionRun
    from lakeworks.security.secrets import SecretInfo


class WorkspaceSecrets:
    """Secrets of the workspace, encrypted at rest; name them ``secret://name``.

    Example:
        >>> ws.secrets.set("api_key", "k-123")  # doctest: +SKIP
        >>> [s.name for s in ws.secrets.list()]  # doctest: +SKIP
        ['api_key']
    """

    def __init__(self, platform: Platform, ctx: Context) -> None:
        self._service, self._ctx = platform.secrets, ctx

    def set(self, name: str, value: str) -> SecretInfo:
        return self._service.set(self._ctx, name, value)

    def list(self) -> list[SecretInfo]:
        """Names and dates; values are never returned."""
        return self._service.list(self._ctx)

    def delete(self, name: str) -> None:
        self._service.delete(self._ctx, name)


class WorkspacePii:
    """PII tags of the workspace's columns; masked at read time for callers without
    the ``unmask`` permission."""

    def __init__(self, platform: Platform, ctx: Context) -> None:
        self._service, self._ctx = platform.pii, ctx

    def scan(self, table: str, rows: int = 1000) -> list[Suggestion]:
        return self._service.scan(self._ctx, table, rows)

    def tag(self, table: str, column: str, tag: str, policy: str | None = None) -> PiiTag:
        return self._service.tag(self._ctx, table, column, tag, policy)

    def untag(self, table: str, column: str) -> None:
        self._service.untag(self._ctx, table, column)

    def tags(self, table: str | None = None) -> list[PiiTag]:
        return self._service.tags(self._ctx, table)


class WorkspaceRetention:
    """Retention rules of the workspace's tables and their runs."""

    def __init__(self, platform: Platform, ctx: Context) -> None:
        self._service, self._ctx = platform.retention, ctx

    def set(
        self,
        table: str,
        *,
        versions_days: float | None = None,
        rows_days: float | None = None,
        rows_column: str | None = None,
    ) -> RetentionRule:
        return self._service.set(
            self._ctx,
            table,
            versions_days=versions_days,
            rows_days=rows_days,
            rows_column=rows_column,
        )

    def rules(self) -> list[RetentionRule]:
        return self._service.rules(self._ctx)

    def remove(self, table: str) -> None:
        self._service.remove(self._ctx, table)

    def run(self, table: str | None = None) -> list[RetentionRun]:
        return self._service.run(self._ctx, table)

    def runs(self, limit: int = 100) -> list[RetentionRun]:
        return self._service.runs(self._ctx, limit)


def anonymise(
    platform: Platform,
    ctx: Context,
    table: str,
    into: str,
    generalise: dict[str, int | float | str] | None,
    quasi: list[str] | None,
    drop: list[str] | None,
) -> Anonymised:
    return platform.anonymiser.anonymise(
        ctx, table, into, generalise=generalise, quasi=quasi, drop=drop
    )
