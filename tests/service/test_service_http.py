"""The CDS Hooks service over HTTP: the real server (uvicorn on 127.0.0.1, a free port), httpx
as the EHR. Requests are shaped like the CDS Hooks sandbox's and the HL7 PDDI CDS IG's."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

pytest.importorskip("fastapi")

import httpx
from hook_requests import bundle, draft, hook_request, med, prefetch_adult

from calcidose.service.hooks import PREFETCH

SIGN = "/cds-services/calcidose-order-sign"
SELECT = "/cds-services/calcidose-order-select"


@pytest.fixture
def open_server(serve: Any) -> Any:
    return serve(no_auth=True)


def post(server: Any, path: str, payload: Any, **kw: Any) -> httpx.Response:
    return httpx.post(server.url + path, json=payload, timeout=30, **kw)


def test_discovery_lists_both_hooks_with_prefetch(open_server: Any) -> None:
    doc = httpx.get(open_server.url + "/cds-services", timeout=10).json()
    hooks = {s["hook"]: s for s in doc["services"]}
    assert set(hooks) == {"order-select", "order-sign"}
    for service in hooks.values():
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert "29463-7" in service["prefetch"]["weight"]
        assert "82810-3" in service["prefetch"]["pregnancy"]
        assert set(service["prefetch"]) == set(PREFETCH)


def test_plain_order_gets_no_critical_card(open_server: Any) -> None:
    # diltiazem 90 mg three times daily = 270 mg/day, inside 2-4 mg/kg/day x 70 kg = 140-280
    r = post(
        open_server,
        SIGN,
        hook_request("order-sign", [draft("d1", "3443", 90, "mg", 3)], prefetch_adult()),
    )
    assert r.status_code == 200
    cards = r.json()["cards"]
    assert all(c["indicator"] != "critical" for c in cards), cards


def test_above_maximum_is_critical_with_a_checked_suggestion(open_server: Any) -> None:
    # 300 mg three times daily = 900 mg/day: above the 480 mg/day maximum and the 140-280 range
    r = post(
        open_server,
        SIGN,
        hook_request("order-sign", [draft("d1", "3443", 300, "mg", 3)], prefetch_adult()),
    )
    cards = r.json()["cards"]
    critical = [c for c in cards if c["indicator"] == "critical"]
    assert critical
    for card in cards:
        assert len(card["summary"]) <= 140
        assert card["source"]["label"].startswith("calcidose")
        assert card["source"]["url"].endswith("/cds-services/docs")
    suggested = [c for c in cards if c.get("suggestions")]
    assert suggested
    action = suggested[0]["suggestions"][0]["actions"][0]
    assert action["type"] == "update"
    dose = action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    # three times daily, 30 mg tablets, range 46.7-93.3 mg each time: the highest is 90 mg
    assert (dose["value"], dose["code"]) == (90, "mg")
    assert "overrideReasons" in critical[0]
    assert "Calculation" in critical[0]["detail"]


def test_pddi_colchicine_with_clarithromycin(open_server: Any) -> None:
    # HL7 PDDI IG pattern: a draft order interacting with an active medication
    prefetch = prefetch_adult(
        statements=bundle(med("MedicationStatement", "m1", "21212"), kind="searchset")
    )
    r = post(
        open_server, SIGN, hook_request("order-sign", [draft("d1", "2683", 0.6, "mg", 2)], prefetch)
    )
    cards = r.json()["cards"]
    assert any(
        "CYP3A4" in c["summary"] or "CYP3A4" in c["detail"]
        for c in cards
        if c["indicator"] == "critical"
    )
    assert any("DRG" in c["detail"] for c in cards)


def test_order_select_checks_only_the_selection(open_server: Any) -> None:
    drafts = [draft("d1", "3443", 90, "mg", 3), draft("d2", "3443", 300, "mg", 3)]
    request = hook_request("order-select", drafts, prefetch_adult())
    request["context"]["selections"] = ["MedicationRequest/d1"]
    cards = post(open_server, SELECT, request).json()["cards"]
    assert not any("900 mg/day" in c["summary"] for c in cards)
    request["context"]["selections"] = ["MedicationRequest/d2"]
    cards = post(open_server, SELECT, request).json()["cards"]
    assert any("900 mg/day" in c["summary"] for c in cards)


def test_missing_prefetch_without_fhir_server_is_a_card_not_a_500(open_server: Any) -> None:
    r = post(
        open_server, SIGN, hook_request("order-sign", [draft("d1", "3443", 90, "mg", 3)], None)
    )
    assert r.status_code == 200
    texts = " ".join(c["summary"] for c in r.json()["cards"])
    assert "did not receive" in texts and "patient" in texts and "weight" in texts


def test_missing_prefetch_is_fetched_from_the_fhir_server(open_server: Any, serve: Any) -> None:
    # a tiny FHIR server on 127.0.0.1 answering the prefetch queries with the adult record
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answers = prefetch_adult()
    seen: list[str] = []

    class Fhir(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            key = next(
                (
                    k
                    for k, t in PREFETCH.items()
                    if self.path.lstrip("/") == t.replace("{{context.patientId}}", "p1")
                ),
                None,
            )
            body = json.dumps(answers[key] if key else {}).encode()
            self.send_response(200 if key else 404)
            self.send_header("Content-Type", "application/fhir+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Fhir)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        request = hook_request(
            "order-sign",
            [draft("d1", "3443", 300, "mg", 3)],
            None,
            fhirServer=f"http://127.0.0.1:{httpd.server_address[1]}",
            fhirAuthorization={
                "access_token": "abc",
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "patient/*.read",
                "subject": "calcidose",
            },
        )
        cards = post(open_server, SIGN, request).json()["cards"]
    finally:
        httpd.shutdown()
    assert seen and all(h == "Bearer abc" for h in seen)
    assert not any("did not receive" in c["summary"] for c in cards)
    assert any("900 mg/day" in c["summary"] for c in cards)  # the weight was fetched


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        # issue 12 §1: a second value for one key is refused, naming the key, never last-wins
        (
            b'{"hook": "order-sign", "hookInstance": "x", "hookInstance": "y", "context": {}}',
            "'hookInstance' twice",
        ),
        (b'{"hook": "order-sign", "hookInstance": "x", "context": {"n": NaN}}', "not JSON"),
        (json.dumps({"hook": "order-sign", "hookInstance": "x"}).encode(), "context"),
        (
            json.dumps(
                {
                    "hook": "order-sign",
                    "hookInstance": "x",
                    "context": {"draftOrders": {"resourceType": "Patient"}},
                }
            ).encode(),
            "Bundle",
        ),
        (
            json.dumps(
                {
                    "hook": "patient-view",
                    "hookInstance": "x",
                    "context": {"draftOrders": {"resourceType": "Bundle"}},
                }
            ).encode(),
            "hook",
        ),
    ],
)
def test_malformed_requests_are_400_json(open_server: Any, body: bytes, words: str) -> None:
    r = httpx.post(
        open_server.url + SIGN,
        content=body,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and words in r.json()["error"]


def test_unknown_service_is_404_json(open_server: Any) -> None:
    r = post(open_server, "/cds-services/nope", {})
    assert r.status_code == 404 and "error" in r.json()


def test_unreadable_resource_is_a_card(open_server: Any) -> None:
    prefetch = prefetch_adult(weight={"resourceType": "Observation", "status": "final"})
    r = post(
        open_server, SIGN, hook_request("order-sign", [draft("d1", "3443", 90, "mg", 3)], prefetch)
    )
    assert r.status_code == 200
    assert any("could not read the record" in c["summary"] for c in r.json()["cards"])


def test_feedback_is_logged(open_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    item = {
        "card": "abc",
        "outcome": "overridden",
        "outcomeTimestamp": "2026-12-02T12:00:00Z",
        "overrideReason": {
            "reason": {"code": "monitored", "system": "urn:calcidose:override-reason"}
        },
    }
    with caplog.at_level(logging.INFO, logger="calcidose.service.feedback"):
        r = post(open_server, SIGN + "/feedback", {"feedback": [item]})
    assert r.status_code == 200
    assert any("overridden" in rec.getMessage() for rec in caplog.records)
    bad = post(open_server, SIGN + "/feedback", {"nope": 1})
    assert bad.status_code == 400
    twice = httpx.post(
        open_server.url + SIGN + "/feedback",
        content=b'{"feedback": [], "feedback": []}',
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert twice.status_code == 400 and "'feedback' twice" in twice.json()["error"]


def test_cors_header_only_for_allowed_origin(serve: Any) -> None:
    server = serve(no_auth=True, cors=("https://sandbox.cds-hooks.org",))
    ok = httpx.get(
        server.url + "/cds-services", headers={"Origin": "https://sandbox.cds-hooks.org"}
    )
    other = httpx.get(server.url + "/cds-services", headers={"Origin": "https://evil.example"})
    assert ok.headers.get("access-control-allow-origin") == "https://sandbox.cds-hooks.org"
    assert "access-control-allow-origin" not in other.headers


def test_the_pharmacists_page_is_mounted_at_root(open_server: Any) -> None:
    pytest.importorskip("calcidose.service.page")
    r = httpx.get(open_server.url + "/", timeout=10)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "Weight" in r.text  # the form's labelled fields (docs/page.md)


def test_oversized_request_is_413_json(open_server: Any) -> None:
    from calcidose.service.app import MAX_BODY_BYTES

    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    r = httpx.post(
        open_server.url + SIGN,
        content=body,
        timeout=30,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "larger than" in r.json()["error"]
