"""The keys of data protection, from the settings: Fernet keys for secrets, the HMAC key
of pseudonyms.

``secrets_key`` lists Fernet keys newest first (comma-separated): the first encrypts, every
one decrypts (``MultiFernet``), so a key is rotated by putting a new one in front and
re-encrypting (``Secrets.rotate_key``). In embedded mode with no key set, one is made on
first use in ``<home>/secrets.key`` (mode 0600), next to the data it protects; a platform
with its own catalog database (``metadata_url``) must be given one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError

KEY_FILE = "secrets.key"
_SETTING = "LAKEWORKS_SECRETS_KEY"


class Keyring:
    """Encrypts with the newest key, decrypts with any."""

    def __init__(self, keys: list[str]) -> None:
        try:
            fernets = [Fernet(k.strip().encode()) for k in keys if k.strip()]
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(
                f"{_SETTING} holds a key that is not a Fernet key: {exc}",
                hint="make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                setting="secrets_key",
            ) from None
        if not fernets:
            raise InvalidInputError(f"{_SETTING} is empty", setting="secrets_key")
        self._fernet = MultiFernet(fernets)
        self._first = keys[0].strip().encode()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The value, or None when no configured key opened the token (never garbage)."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    def rotate(self, token: str) -> str | None:
        """The token encrypted again with the newest key; None when no key opens it."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            return None

    def derived(self, purpose: str) -> bytes:
        """A key for another purpose, derived from the newest key."""
        return hmac.new(self._first, purpose.encode(), hashlib.sha256).digest()


def keyring(settings: Settings) -> Keyring:
    """The keyring of ``settings`` (making the embedded key file when it may)."""
    if settings.secrets_key:
        return Keyring(settings.secrets_key.split(","))
    if settings.metadata_url is not None:
        raise InvalidInputError(
            f"no secrets key: set {_SETTING} on every process of this platform",
            hint="a Fernet key: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
            setting="secrets_key",
        )
    return Keyring([_key_file(settings.home.resolve() / KEY_FILE)])


def pii_key(settings: Settings) -> bytes:
    """The HMAC key of keyed-hash masking and pseudonyms."""
    if settings.pii_hash_key:
        return settings.pii_hash_key.encode()
    return keyring(settings).derived("lakeworks-pii-pseudonyms")


def _key_file(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:  # O_EXCL: two processes starting together keep one key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key.decode()
