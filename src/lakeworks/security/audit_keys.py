"""The keys of the audit chain: each record's hash an HMAC-SHA256 under ``audit_key``.

Without a key a record's hash is the plain SHA-256 of its fields, which anyone able to
write the catalog can recompute after rewriting records. With ``audit_key`` set, new
records are hashed with HMAC-SHA256 under its first key, so a rewrite needs the key.

``audit_key`` lists keys newest first, comma-separated, like ``secrets_key``: the first
hashes new records, every one verifies. A key is named in the log by its id (16 hex
digits of an HMAC under the key: it reveals nothing of the key). The first record a
process writes under a key that did not hash the previous record is preceded by a
marker, action ``audit.key``, naming the new key and the previous one (``unkeyed`` for a
chain upgraded from plain hashes): the change point is in the chain itself, hashed under
the new key, so the records before it are anchored by it too.

Example:
    >>> keys = AuditKeys([b"an audit key of sixteen bytes or more"])
    >>> fields = {"seq": 1}
    >>> keys.opener(fields, keys.seal(fields)) == keys.newest
    True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError

UNKEYED = "unkeyed"  # the "key id" of plain SHA-256 hashes
MARKER = "audit.key"  # the action of a key's change point
MIN_LENGTH = 16


def key_id(key: bytes) -> str:
    """The name of ``key`` in the log: it identifies the key and reveals nothing of it."""
    return hmac.new(key, b"lakeworks-audit-key-id", hashlib.sha256).hexdigest()[:16]


class AuditKeys:
    """Seals records under the newest key; finds which key (or none) sealed one."""

    def __init__(self, keys: list[bytes]) -> None:
        self._keys = {key_id(k): k for k in keys}
        self.newest = key_id(keys[0]) if keys else UNKEYED

    @property
    def keyed(self) -> bool:
        return self.newest != UNKEYED

    def knows(self, kid: str) -> bool:
        """Whether records under ``kid`` can be verified here."""
        return kid == UNKEYED or kid in self._keys

    def seal(self, payload: bytes) -> str:
        """The hash of a record's canonical ``payload`` under the newest key."""
        return self._hash(self.newest)(payload)

    def opener(self, payload: bytes, found: str) -> str | None:
        """The id of the key whose hash of ``payload`` is ``found`` (``UNKEYED`` for a
        plain hash); None when none gives it (the record was changed, or its key is not
        configured here)."""
        for kid in (UNKEYED, *self._keys):
            if hmac.compare_digest(self._hash(kid)(payload), found):
                return kid
        return None

    def _hash(self, kid: str) -> Callable[[bytes], str]:
        if kid == UNKEYED:
            return lambda payload: hashlib.sha256(payload).hexdigest()
        key = self._keys[kid]
        return lambda payload: hmac.new(key, payload, hashlib.sha256).hexdigest()


def audit_keys(settings: Settings) -> AuditKeys:
    """The audit keys of ``settings`` (none: plain SHA-256 hashes, as before the setting)."""
    raw = [k.strip() for k in (settings.audit_key or "").split(",") if k.strip()]
    for position, key in enumerate(raw, 1):
        if len(key) < MIN_LENGTH:
            raise InvalidInputError(
                f"LAKEWORKS_AUDIT_KEY's key {position} is {len(key)} characters long: an audit "
                f"key needs at least {MIN_LENGTH}",
                hint="make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                setting="audit_key",
                expected=f">= {MIN_LENGTH} characters",
                found=len(key),
            )
    return AuditKeys([k.encode() for k in raw])


def describe(details: dict[str, Any] | None) -> tuple[str, str]:
    """The (new, previous) key ids a marker's details name."""
    details = details or {}
    return str(details.get("key", UNKEYED)), str(details.get("previous", UNKEYED))
