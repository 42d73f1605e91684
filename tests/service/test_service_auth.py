"""Authentication of hook calls: bearer JWTs of allow-listed issuers verified against their JWKS
(served locally), keys generated here; asymmetric algorithms only; aud, exp, iat, jti checked."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

pytest.importorskip("fastapi")

import httpx
import jwt
from hook_requests import draft, hook_request, prefetch_adult

SIGN = "/cds-services/calcidose-order-sign"
ISS = "https://ehr.example"


@pytest.fixture
def server(serve: Any, keys: Any) -> Any:
    return serve(trust={ISS: keys.url})


def call(server: Any, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    payload = hook_request("order-sign", [draft("d1", "3443", 90, "mg", 3)], prefetch_adult())
    return httpx.post(server.url + SIGN, json=payload, headers=headers, timeout=30)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_valid_token_is_accepted(server: Any, keys: Any, alg: str) -> None:
    r = call(server, keys.token(server.url + SIGN, alg=alg))
    assert r.status_code == 200, r.text
    assert "cards" in r.json()


def test_base_url_audience_is_accepted(server: Any, keys: Any) -> None:
    assert call(server, keys.token(server.url + "/cds-services")).status_code == 200


def refused(r: httpx.Response, words: str) -> None:
    assert r.status_code == 401, r.text
    assert words in r.json()["error"]


def test_wrong_audience(server: Any, keys: Any) -> None:
    refused(call(server, keys.token("https://other.example/cds-services")), "Audience")


def test_expired(server: Any, keys: Any) -> None:
    now = int(time.time())
    refused(call(server, keys.token(server.url + SIGN, iat=now - 400, exp=now - 100)), "expired")


def test_issued_in_the_future(server: Any, keys: Any) -> None:
    now = int(time.time())
    refused(
        call(server, keys.token(server.url + SIGN, iat=now + 600, exp=now + 900)), "not yet valid"
    )


def test_alg_none(server: Any) -> None:
    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": ISS, "aud": server.url + SIGN, "iat": now, "exp": now + 300, "jti": "n1"}
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    refused(call(server, token), "'none' is refused")


def test_hs256_even_with_the_public_key_as_secret(server: Any, keys: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {"iss": ISS, "aud": server.url + SIGN, "iat": now, "exp": now + 300, "jti": "h1"}
    # PyJWT refuses to sign HS256 with a PEM key; build the HMAC token by hand
    import hashlib
    import hmac

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa1"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
    refused(call(server, f"{head}.{body}.{sig}"), "'HS256' is refused")


def test_replayed_jti(server: Any, keys: Any) -> None:
    token = keys.token(server.url + SIGN, jti="once-only")
    assert call(server, token).status_code == 200
    refused(call(server, token), "replayed")


def test_unknown_issuer(server: Any, keys: Any) -> None:
    refused(
        call(server, keys.token(server.url + SIGN, iss="https://stranger.example")), "not trusted"
    )


def test_signed_by_another_key(server: Any, keys: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": ISS, "aud": server.url + SIGN, "iat": now, "exp": now + 300, "jti": "k1"}
    token = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "rsa1"})
    refused(call(server, token), "refused")


def test_missing_jti_or_token(server: Any, keys: Any) -> None:
    refused(call(server, keys.token(server.url + SIGN, jti=None)), "jti")
    refused(call(server, None), "bearer token is required")


def test_without_trust_everything_is_refused(serve: Any, keys: Any) -> None:
    server = serve()
    refused(call(server, keys.token(server.url + SIGN)), "no trusted issuer")


def test_feedback_needs_auth_too(server: Any) -> None:
    r = httpx.post(server.url + SIGN + "/feedback", json={"feedback": []}, timeout=10)
    assert r.status_code == 401


def test_discovery_is_open(server: Any) -> None:
    assert httpx.get(server.url + "/cds-services", timeout=10).status_code == 200
