"""The settings of ``calcidose serve`` (no I/O here; the CLI builds them from its options)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["Settings"]


@attrs.frozen
class Settings:
    """How the service runs.

    * ``trust``: issuer -> JWKS URL of each EHR allowed to call (``--trust ISSUER=JWKS_URL``).
      Without any, every call is refused unless ``no_auth`` (``--no-auth``, local use only).
    * ``public_url``: the service's own base URL as the EHR calls it (the JWT ``aud``); default
      ``http://HOST:PORT``.
    * ``cors``: origins allowed by CORS (``--cors ORIGIN``; none by default).
    * ``fhir_timeout``: seconds for all the FHIR reads of one call when prefetch is missing
      (default 5 s);
      ``leeway``: seconds of clock skew allowed on ``exp``/``iat`` (default 30 s);
      ``max_token_age``: seconds a token may be old (``iat``), default 300 s.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    trust: Mapping[str, str] = attrs.field(factory=dict)
    no_auth: bool = False
    cors: tuple[str, ...] = ()
    public_url: str | None = None
    fhir_timeout: float = 5.0
    leeway: float = 30.0
    max_token_age: float = 300.0

    @property
    def base_url(self) -> str:
        """The service's base URL, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
