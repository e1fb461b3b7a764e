"""Single sign-on: OIDC bearer JWTs verified against the issuer's published keys (JWKS).

The signature is checked with the key the token's ``kid`` names, from the JWKS at
``oidc_jwks_url`` (an https:// URL, fetched and cached by PyJWT, or a file); then the
issuer, the expiry, and the audience when ``oidc_audience`` is set. The user is the
``oidc_user_claim`` claim and the groups the ``oidc_groups_claim`` list: grants to those
groups apply. Only asymmetric algorithms are accepted (an HS256 token signed with the
public key as its secret is refused).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, UnauthenticatedError

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "EdDSA"]


@dataclass(frozen=True)
class Claims:
    user: str
    groups: tuple[str, ...]
    expires: float | None


class OidcVerifier:
    """Verifies the JWTs of one configured issuer."""

    def __init__(self, settings: Settings) -> None:
        if not settings.oidc_jwks_url:
            raise InvalidInputError(
                "oidc_issuer is set but oidc_jwks_url is not",
                hint="set LAKEWORKS_OIDC_JWKS_URL to the issuer's JWKS URL or file",
            )
        self.settings = settings
        self._keys = _key_source(settings.oidc_jwks_url)

    def verify(self, token: str) -> Claims:
        """The claims of ``token``; UnauthenticatedError saying why it is refused."""
        import jwt

        settings = self.settings
        try:
            key = self._keys(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                options={"require": ["exp", "iss"], "verify_aud": bool(settings.oidc_audience)},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthenticatedError("the bearer JWT has expired", hint=_RENEW) from None
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError(f"the bearer JWT is not valid: {exc}", hint=_RENEW) from None
        return _claims(claims, settings)


_RENEW = "sign in again to get a new token"


def _claims(claims: dict[str, Any], settings: Settings) -> Claims:
    user = claims.get(settings.oidc_user_claim)
    if not isinstance(user, str) or not user:
        raise UnauthenticatedError(
            f"the bearer JWT has no {settings.oidc_user_claim!r} claim naming the user",
            hint="set LAKEWORKS_OIDC_USER_CLAIM to the claim your issuer puts the user in",
        )
    groups = claims.get(settings.oidc_groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    named = tuple(str(g) for g in groups if isinstance(g, str | int))
    return Claims(user=user, groups=named, expires=claims.get("exp"))


def _key_source(where: str) -> Any:
    """A function from a token to its verification key."""
    import jwt

    if where.startswith(("https://", "http://")):
        client = jwt.PyJWKClient(where, cache_keys=True, lifespan=300, timeout=10)
        return lambda token: client.get_signing_key_from_jwt(token).key
    try:
        keys = jwt.PyJWKSet.from_dict(json.loads(Path(where).read_text()))
    except (OSError, ValueError, jwt.PyJWTError) as exc:
        raise InvalidInputError(
            f"cannot read the JWKS file {where}: {exc}",
            hint="set LAKEWORKS_OIDC_JWKS_URL to the issuer's JWKS URL or a JSON file of it",
        ) from None

    def find(token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        for key in keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise jwt.InvalidKeyError(f"no key {kid!r} in the issuer's JWKS")

    return find
