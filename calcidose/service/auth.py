"""Who may call: a bearer JWT from an allow-listed issuer, verified against its JWKS (PyJWT).

CDS Hooks 2.0 (security): the EHR signs a JWT per call with ``iss``, ``aud``, ``exp``, ``iat``,
``jti`` (and ``sub``). calcidose accepts it only when

* the algorithm is asymmetric (RS*, PS*, ES*, EdDSA); ``none`` and every HS* are refused,
  whatever the key;
* ``iss`` is one of ``--trust`` and the signature verifies with a key of that issuer's JWKS
  (looked up by ``kid``);
* ``aud`` is this service: the called endpoint's URL or the ``/cds-services`` base URL;
* ``exp`` is in the future and ``iat`` not in the future (both with ``leeway``) and not older
  than ``max_token_age``;
* its ``jti`` has not been seen before from that issuer (kept until the token expires).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

import jwt

from .settings import Settings

__all__ = ["ASYMMETRIC", "AuthError", "Verifier"]

ASYMMETRIC: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class AuthError(Exception):
    """The call is not authenticated; the message says why (safe to return to the caller)."""


class Verifier:
    """Verifies bearer tokens for one service (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients = {
            iss: jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
            for iss, url in settings.trust.items()
        }
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, endpoint_url: str) -> dict[str, Any]:
        """The verified claims of the request's ``Authorization`` header, or AuthError."""
        if not self._clients:
            raise AuthError("no trusted issuer is configured (calcidose serve --trust ISS=JWKS)")
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("a bearer token is required (Authorization: Bearer <JWT>)")
        token = authorization[len("Bearer ") :].strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token is not a JWT: {exc}") from None
        alg = header.get("alg")
        if alg not in ASYMMETRIC:
            raise AuthError(
                f"algorithm {alg!r} is refused: only asymmetric algorithms are accepted"
            )
        iss = unverified.get("iss")
        client = self._clients.get(iss) if isinstance(iss, str) else None
        if client is None or not isinstance(iss, str):
            raise AuthError(f"issuer {iss!r} is not trusted")
        try:
            key = client.get_signing_key_from_jwt(token)
        except jwt.PyJWTError as exc:
            raise AuthError(f"no key of issuer {iss!r} verifies this token: {exc}") from None
        audiences = [endpoint_url, f"{self.settings.base_url}/cds-services"]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audiences,
                issuer=iss,
                leeway=self.settings.leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token is refused: {exc}") from None
        self._check_age_and_replay(claims, iss)
        return claims

    def _check_age_and_replay(self, claims: dict[str, Any], iss: str) -> None:
        now = time.time()
        iat = float(claims["iat"])
        if iat > now + self.settings.leeway:
            raise AuthError("the token is issued in the future (iat)")
        if now - iat > self.settings.max_token_age + self.settings.leeway:
            raise AuthError("the token is too old (iat)")
        jti = str(claims["jti"])
        with self._lock:
            for seen, expiry in list(self._seen.items()):
                if expiry < now - self.settings.leeway:
                    del self._seen[seen]
            if (iss, jti) in self._seen:
                raise AuthError("the token was already used (jti replayed)")
            self._seen[(iss, jti)] = float(claims["exp"])
