"""What a quality run hands back: the stored results and a readable report."""

from __future__ import annotations

from dataclasses import dataclass

from lakeworks.quality.store import CheckResult


@dataclass(frozen=True)
class QualityReport:
    """The results of one run of a table's checks (``trigger``: manual or write)."""

    workspace: str
    table: str
    version: int | None
    run_id: str
    trigger: str
    results: tuple[CheckResult, ...]
    rows_quarantined: int = 0

    @property
    def passed(self) -> bool:
        """True when no check of error severity failed (warnings do not count)."""
        return not self.failed

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def warned(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "warned"]

    def summary(self) -> str:
        """One line per check, failures first."""
        at = f"version {self.version}" if self.version is not None else "the incoming data"
        head = (
            f"{self.table} ({at}): {len(self.results)} checks, {len(self.failed)} failed, "
            f"{len(self.warned)} warned"
        )
        if self.rows_quarantined:
            head += f", {self.rows_quarantined} rows quarantined in {self.table}__quarantine"
        order = {"failed": 0, "warned": 1, "passed": 2}
        lines = [
            f"  {r.status.upper():7} {r.check}: {r.message}"
            for r in sorted(self.results, key=lambda r: order[r.status])
        ]
        return "\n".join([head, *lines])

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class ReloadResult:
    """What ``reload`` did with a table's quarantined rows."""

    table: str
    rows_reloaded: int
    rows_landed: int
    rows_still_quarantined: int
    version: int | None
