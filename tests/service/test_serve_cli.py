"""`calcidose serve` itself: options, the --no-auth warning, refusal without --trust, and a slow
FHIR server cut off by the timeout (a card, never a hang or a 500)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest.importorskip("fastapi")

import httpx
from conftest import free_port
from hook_requests import draft, hook_request


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "calcidose.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/cds-services", timeout=1)
            return proc, base
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(proc.stderr.read() if proc.stderr else "no start") from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    return err


def test_no_auth_prints_a_warning_and_accepts_calls() -> None:
    proc, base = start("--no-auth")
    try:
        payload = hook_request("order-sign", [draft("d1", "3443", 90, "mg", 3)], None)
        r = httpx.post(base + "/cds-services/calcidose-order-sign", json=payload, timeout=30)
        assert r.status_code == 200
    finally:
        err = stop(proc)
    assert "WARNING" in err and "--no-auth" in err


def test_without_trust_calls_are_refused() -> None:
    proc, base = start()
    try:
        payload = hook_request("order-sign", [draft("d1", "3443", 90, "mg", 3)], None)
        r = httpx.post(base + "/cds-services/calcidose-order-sign", json=payload, timeout=30)
        assert r.status_code == 401
    finally:
        err = stop(proc)
    assert "refused" in err


@pytest.mark.parametrize("bad", ["no-equals-sign", "iss=ftp://x", "=https://x"])
def test_bad_trust_is_exit_2(bad: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "calcidose.cli", "serve", "--trust", bad],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2 and "ISSUER=JWKS_URL" in run.stderr


def test_slow_fhir_server_is_cut_off_by_the_timeout(serve: Any) -> None:
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(2)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *a: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = serve(no_auth=True, fhir_timeout=0.2)
    try:
        payload = hook_request(
            "order-sign",
            [draft("d1", "3443", 90, "mg", 3)],
            None,
            fhirServer=f"http://127.0.0.1:{httpd.server_address[1]}",
            fhirAuthorization={
                "access_token": "t",
                "token_type": "Bearer",
                "expires_in": 60,
                "scope": "patient/*.read",
                "subject": "calcidose",
            },
        )
        start_time = time.monotonic()
        r = httpx.post(server.url + "/cds-services/calcidose-order-sign", json=payload, timeout=60)
        elapsed = time.monotonic() - start_time
    finally:
        httpd.shutdown()
    assert r.status_code == 200
    assert any("did not receive" in c["summary"] for c in r.json()["cards"])
    # all the reads together are cut off at 0.2 s, never 11 reads x the 2 s the server takes
    assert elapsed < 2
