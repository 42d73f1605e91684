"""Fixtures of the service tests: the real server (uvicorn on 127.0.0.1, a free port, in a
thread), a local JWKS server, keys generated in the test, and signed tokens."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    """A running uvicorn server; ``url`` is its base URL."""

    def __init__(self, settings: Any) -> None:
        import uvicorn

        from calcidose.service.app import create_app

        self.settings = settings
        self.url = settings.base_url
        config = uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start within 20 s")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start a server with the given Settings keywords (host and port filled in)."""
    pytest.importorskip("fastapi")
    from calcidose.service.settings import Settings

    started: list[Served] = []

    def start(**kwargs: Any) -> Served:
        port = free_port()
        served = Served(Settings(host="127.0.0.1", port=port, **kwargs))
        started.append(served)
        return served

    yield start
    for s in started:
        s.stop()


class Keys:
    """An RSA and an EC key pair, their JWKS served on 127.0.0.1, and a token signer."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from jwt.algorithms import ECAlgorithm, RSAAlgorithm

        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk.update({"kid": "rsa1", "alg": "RS256", "use": "sig"})
        ec_jwk.update({"kid": "ec1", "alg": "ES256", "use": "sig"})
        self.jwks = json.dumps({"keys": [rsa_jwk, ec_jwk]}).encode()
        jwks = self.jwks

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(jwks)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def token(
        self, aud: str, alg: str = "RS256", iss: str = "https://ehr.example", **claims: Any
    ) -> str:
        import jwt

        now = int(time.time())
        body: dict[str, Any] = {
            "iss": iss,
            "sub": "ehr-client",
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        key = self.rsa if alg.startswith(("RS", "PS")) else self.ec
        kid = "rsa1" if alg.startswith(("RS", "PS")) else "ec1"
        return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="session")
def keys() -> Iterator[Keys]:
    pytest.importorskip("jwt")
    k = Keys()
    yield k
    k.httpd.shutdown()
