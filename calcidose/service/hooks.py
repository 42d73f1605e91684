"""The two CDS Hooks 2.0 services (``order-select``, ``order-sign``): discovery, prefetch
templates, reading a request, fetching what prefetch lacks, and checking the draft orders.

A request is refused (:class:`BadRequest`, HTTP 400) when it is not a CDS Hooks call: not a JSON
object, no ``hook``/``hookInstance``/``context``, a ``hook`` other than the service's, or
``context.draftOrders`` that is not a FHIR Bundle. Anything else (missing prefetch, an unreadable
resource, an unmapped code) is answered with cards.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs

from ..catalog import get_catalog
from ..errors import CalcidoseError
from ..io.fhir import FhirRecord, OrderResult, check_record, read_resources
from ..safeio import DuplicateKeyError, loads_strict
from .settings import Settings

__all__ = ["PREFETCH", "SERVICES", "BadRequest", "Outcome", "discovery", "run_hook"]

_P: Final = "{{context.patientId}}"
_OBS: Final = "Observation?patient=" + _P + "&code=http://loinc.org|{codes}&_sort=-date&_count=5"

#: What calcidose needs, as CDS Hooks prefetch templates (the EHR fills them in).
PREFETCH: Final[dict[str, str]] = {
    "patient": "Patient/" + _P,
    "weight": _OBS.format(codes="29463-7"),
    "height": _OBS.format(codes="8302-2"),
    "creatinine": _OBS.format(codes="2160-0,http://loinc.org|14682-9"),
    "egfr": _OBS.format(codes="98979-8,http://loinc.org|62238-1"),
    "pregnancy": _OBS.format(codes="82810-3"),
    "lactation": _OBS.format(codes="63895-7"),
    "conditions": "Condition?patient=" + _P + "&clinical-status=active",
    "allergies": "AllergyIntolerance?patient=" + _P + "&clinical-status=active",
    "medications": "MedicationRequest?patient=" + _P + "&status=active",
    "statements": "MedicationStatement?patient=" + _P + "&status=active",
}

SERVICES: Final[dict[str, dict[str, str]]] = {
    "calcidose-order-select": {
        "hook": "order-select",
        "title": "calcidose: dose and safety of the selected order",
        "description": "Checks the selected draft medication orders of calcinosis cutis "
        "treatments against sourced ranges, label maxima and safety rules for this patient.",
    },
    "calcidose-order-sign": {
        "hook": "order-sign",
        "title": "calcidose: dose and safety check before signing",
        "description": "Checks every draft medication order about to be signed against sourced "
        "ranges, label maxima and safety rules (renal function, pregnancy, interactions).",
    },
}


class BadRequest(Exception):
    """Not a CDS Hooks request this service can read (HTTP 400); the message says why."""


@attrs.frozen
class Outcome:
    """What a call produced: the record (None if unreadable), each order's result, and notes
    on what was missing or refused (each becomes a card)."""

    record: FhirRecord | None
    results: tuple[OrderResult, ...]
    missing: tuple[str, ...]
    refusal: str | None
    selected: frozenset[str] | None


def discovery() -> dict[str, Any]:
    """The GET /cds-services document."""
    return {
        "services": [
            {"id": sid, **meta, "prefetch": dict(PREFETCH)} for sid, meta in SERVICES.items()
        ]
    }


def parse_request(service_id: str, body: bytes) -> dict[str, Any]:
    """The request as JSON, checked to be a call of ``service_id`` (or BadRequest)."""
    try:
        # duplicate keys (a second "code" or "entry" deciding silently), NaN and 1e400 refused
        data = loads_strict(body, "the request body")
    except DuplicateKeyError as exc:
        raise BadRequest(str(exc)) from None
    except CalcidoseError:
        raise BadRequest("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    for key in ("hook", "hookInstance", "context"):
        if key not in data:
            raise BadRequest(f"the request has no {key!r}")
    if data["hook"] != SERVICES[service_id]["hook"]:
        raise BadRequest(f"hook {data['hook']!r} is not {SERVICES[service_id]['hook']!r}")
    context = data["context"]
    if not isinstance(context, dict):
        raise BadRequest("context must be a JSON object")
    drafts = context.get("draftOrders")
    if not isinstance(drafts, dict) or drafts.get("resourceType") != "Bundle":
        raise BadRequest("context.draftOrders must be a FHIR Bundle")
    if not isinstance(drafts.get("entry", []), list):
        raise BadRequest("context.draftOrders.entry must be a list")
    prefetch = data.get("prefetch", {})
    if prefetch is not None and not isinstance(prefetch, dict):
        raise BadRequest("prefetch must be a JSON object")
    return data


def _resources(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, Mapping):
        return []
    if value.get("resourceType") == "Bundle":
        return [
            e["resource"]
            for e in value.get("entry") or []
            if isinstance(e, Mapping) and isinstance(e.get("resource"), Mapping)
        ]
    return [value]


def _fetch(
    data: Mapping[str, Any], keys: list[str], settings: Settings
) -> tuple[dict[str, Any], list[str]]:
    """Read the missing prefetch from the EHR's FHIR server (httpx); all the reads together
    take at most ``settings.fhir_timeout`` seconds (what is not read by then is missing)."""
    server = data.get("fhirServer")
    auth = data.get("fhirAuthorization")
    token = auth.get("access_token") if isinstance(auth, Mapping) else None
    patient_id = data["context"].get("patientId")
    if not isinstance(server, str) or not isinstance(token, str) or not patient_id:
        return {}, keys
    import httpx

    got: dict[str, Any] = {}
    failed = []
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    deadline = time.monotonic() + settings.fhir_timeout
    with httpx.Client(headers=headers) as client:
        for key in keys:
            url = f"{server.rstrip('/')}/{PREFETCH[key].replace(_P, str(patient_id))}"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                failed.append(key)
                continue
            try:
                response = client.get(url, timeout=remaining)
                response.raise_for_status()
                got[key] = response.json()
            except (httpx.HTTPError, ValueError):
                failed.append(key)
    return got, failed


def run_hook(service_id: str, data: Mapping[str, Any], settings: Settings) -> Outcome:
    """Check the draft orders of a parsed request (never raises for clinical content)."""
    context = data["context"]
    prefetch = dict(data.get("prefetch") or {})
    absent = [k for k in PREFETCH if prefetch.get(k) is None]
    if absent:
        fetched, absent = _fetch(data, absent, settings)
        prefetch.update(fetched)
    resources = [r for key in PREFETCH for r in _resources(prefetch.get(key))]
    drafts = _resources(context["draftOrders"])
    selected = None
    if SERVICES[service_id]["hook"] == "order-select":
        raw = context.get("selections") or []
        selected = frozenset(s for s in raw if isinstance(s, str))
    try:
        record = read_resources([*resources, *drafts], now=datetime.now(UTC))
    except CalcidoseError as exc:
        return Outcome(None, (), tuple(absent), " ".join(str(exc).split()), selected)
    results = check_record(record, get_catalog())
    if selected is not None:
        results = [r for r in results if r.order.resource in selected]
    return Outcome(record, tuple(results), tuple(absent), None, selected)
