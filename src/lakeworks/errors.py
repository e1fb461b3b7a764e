"""One exception tree for lakeworks; every error says what happened and what to do.

    LakeworksError
     +-- NotFoundError            a workspace, table, version or file that does not exist
     +-- AlreadyExistsError       creating something whose name is taken
     +-- InvalidInputError        arguments or data that cannot be used as given
     |    +-- TooLargeError       a request over a configured size limit
     |    +-- SchemaMismatchError a write whose schema conflicts with the table's
     |    +-- QueryError          SQL that DuckDB rejects (syntax, unknown column, ...)
     +-- DataQualityError         data that fails a gate
     +-- UnauthenticatedError     no valid credential: missing, malformed, expired, revoked
 +-- PermissionDeniedError    the caller may not do this
     +-- QuotaExceededError       the workspace is over a limit
     +-- ConflictError            a concurrent change won; retry
     |    +-- FencedError         work that was timed out or cancelled tried to commit
     +-- UserCodeError            user-supplied code raised
     +-- MissingDependencyError   an optional package is not installed
     +-- UnavailableError         a database, bucket or API could not be reached (transient)
     |    +-- UpgradeRequiredError the catalog's schema is older than this lakeworks
     +-- CancelledError           running work was stopped: client gone, shutdown, Ctrl-C
          +-- StatementTimeoutError  a statement ran past its time limit

Domain code raises these; the server maps each class to an HTTP status in one table and
the CLI prints ``str(error)`` on one line. Errors never import a web framework.
"""

from __future__ import annotations

from typing import Any


class LakeworksError(Exception):
    """Root of every lakeworks error.

    Args:
        message: what happened, naming the thing (table, column, file).
        hint: what the user can do about it.
        **fields: structured details (table=..., column=..., expected=..., found=...).
    """

    transient = False

    def __init__(self, message: str, *, hint: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fields = fields

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: error class, message, hint and fields."""
        details = {
            k: v if isinstance(v, int | float | bool | None) else str(v)
            for k, v in self.fields.items()
        }
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "details": details,
        }


class NotFoundError(LakeworksError):
    pass


class AlreadyExistsError(LakeworksError):
    pass


class InvalidInputError(LakeworksError):
    pass


class SchemaMismatchError(InvalidInputError):
    pass


class TooLargeError(InvalidInputError):
    """A request over a configured size limit (``details.limit``, ``details.found``)."""


class QueryError(InvalidInputError):
    pass


class DataQualityError(LakeworksError):
    pass


class UnauthenticatedError(LakeworksError):
    """The request carries no credential the server accepts (401): nothing was run."""


class PermissionDeniedError(LakeworksError):
    """The caller may not do this (``details.permission``, ``details.workspace``)."""


class QuotaExceededError(LakeworksError):
    pass


class ConflictError(LakeworksError):
    transient = True


class FencedError(ConflictError):
    """A write of work that is no longer wanted (a timed-out or cancelled pipeline task
    attempt) was refused before its commit. Retrying the same work does not help: its
    newer attempt, if any, writes instead."""

    transient = False


class UserCodeError(LakeworksError):
    pass


class MissingDependencyError(LakeworksError):
    def __init__(self, package: str, extra: str | None = None) -> None:
        hint = f"pip install 'lakeworks[{extra}]'" if extra else f"pip install {package}"
        super().__init__(
            f"the optional package {package!r} is not installed", hint=hint, package=package
        )


class UnavailableError(LakeworksError):
    transient = True


class CancelledError(LakeworksError):
    """Work stopped before it finished; ``details.reason`` says why. Nothing was written."""

    transient = True


class StatementTimeoutError(CancelledError):
    """A statement ran past its time limit (``details.timeout``, seconds)."""

    transient = False  # the same statement would run out of time again


class UpgradeRequiredError(UnavailableError):
    """The catalog needs migrations that only an explicit step runs (``lakeworks db
    upgrade``); retrying does not help."""

    transient = False
