"""Speed of the CDS Hooks service (measured here, never asserted in tests).

Run: ``python benchmarks/bench_service.py`` (after ``pip install -e '.[service]'``).

order-sign with 5 draft orders (diltiazem, colchicine, warfarin, probenecid, ceftriaxone) and a
full prefetch (patient, weight, height, creatinine, pregnancy status, 2 conditions, 2 active
medications), timed two ways:

1. over HTTP against the real server (uvicorn on 127.0.0.1, --no-auth), httpx keep-alive client:
   p50 and p99 of N calls. Goal (issue 14): p99 <= 20 ms on this machine.
2. in process (read + check + cards, no HTTP), cold (every resource new, so validated against
   its FHIR model) and warm (the same prefetch again: validated resources are remembered).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "service"))

from fhir_builders import bundle, condition, draft, med
from hook_requests import hook_request, prefetch_adult


def request() -> dict[str, object]:
    drafts = [
        draft("d1", "3443", 90, "mg", 3, 1, "d"),  # diltiazem 90 mg three times daily
        draft("d2", "2683", 0.6, "mg", 1, 1, "d"),  # colchicine 0.6 mg daily
        draft("d3", "11289", 5, "mg", 1, 1, "d"),  # warfarin 5 mg daily
        draft("d4", "8698", 500, "mg", 2, 1, "d"),  # probenecid 500 mg twice daily
        draft("d5", "2193", 2, "g", 1, 1, "d", route="47625008"),  # ceftriaxone 2 g IV daily
    ]
    prefetch = prefetch_adult(
        conditions=bundle(
            condition("c1", "45007003"), condition("c2", "66931009"), kind="searchset"
        ),
        statements=bundle(
            med("MedicationStatement", "m1", "6918"),
            med("MedicationStatement", "m2", "1191"),
            kind="searchset",
        ),
        pregnancy=bundle(kind="searchset"),
    )
    return hook_request("order-sign", drafts, prefetch)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def distinct(payload: dict[str, object], n: int) -> dict[str, object]:
    """The request with every resource id changed (nothing validated before: a cold call)."""
    text = json.dumps(payload)
    for old in (
        '"p1"',
        '"w"',
        '"h"',
        '"s"',
        '"c1"',
        '"c2"',
        '"m1"',
        '"m2"',
        '"d1"',
        '"d2"',
        '"d3"',
        '"d4"',
        '"d5"',
    ):
        text = text.replace(old, old[:-1] + f'-{n}"')
    out: dict[str, object] = json.loads(text)
    return out


def in_process(payload: dict[str, object], n: int, cold: bool = False) -> list[float]:
    from calcidose.service.cards import cards_for
    from calcidose.service.hooks import parse_request, run_hook
    from calcidose.service.settings import Settings

    settings = Settings()
    out = []
    for i in range(n):
        body = json.dumps(distinct(payload, i) if cold else payload).encode()
        start = time.perf_counter()
        data = parse_request("calcidose-order-sign", body)
        cards_for(run_hook("calcidose-order-sign", data, settings), settings.base_url)
        out.append((time.perf_counter() - start) * 1000)
    return out


def over_http(payload: dict[str, object], n: int, cold: bool) -> tuple[list[float], int]:
    import subprocess

    import httpx
    from conftest import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "calcidose.cli", "serve", "--no-auth", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/cds-services", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.1)
    url = base + "/cds-services/calcidose-order-sign"
    bodies = [json.dumps(distinct(payload, i) if cold else payload).encode() for i in range(n)]
    headers = {"Content-Type": "application/json"}
    out = []
    cards = 0
    try:
        with httpx.Client(timeout=30) as client:
            for _ in range(20):
                client.post(url, content=json.dumps(payload).encode(), headers=headers)
            for body in bodies:
                start = time.perf_counter()
                response = client.post(url, content=body, headers=headers)
                out.append((time.perf_counter() - start) * 1000)
                cards = len(response.json()["cards"])
    finally:
        server.terminate()
        server.wait(10)
    return out, cards


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    payload = request()
    in_process(payload, 20)  # warm the tables and the compiled rules
    for cold in (True, False):
        p50, p99 = percentiles(in_process(payload, n, cold))
        kind = "cold (new resources each call)" if cold else "warm (same prefetch again)"
        print(f"in process, {kind}: p50 {p50:.1f} ms, p99 {p99:.1f} ms (n={n})")
    for cold in (True, False):
        samples, cards = over_http(payload, n, cold)
        p50, p99 = percentiles(samples)
        verdict = "meets" if p99 <= 20 else "misses"
        kind = "cold" if cold else "warm"
        print(
            f"over HTTP (uvicorn, 127.0.0.1), {kind}: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
            f"(n={n}, {cards} cards); goal p99 <= 20 ms: {verdict}"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
