"""CDS Hooks requests shaped like the CDS Hooks sandbox's order-sign/order-select calls and the
HL7 PDDI CDS IG's examples (draftOrders Bundle, prefetch of searchset Bundles)."""

from __future__ import annotations

from typing import Any

from fhir_builders import bundle, draft, med, patient, quantity_obs


def today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).date().isoformat()


def prefetch_adult(**extra: Any) -> dict[str, Any]:
    d = today()
    out: dict[str, Any] = {
        "patient": patient(gender="male", birth="1976-01-10"),
        "weight": bundle(quantity_obs("w", "29463-7", 70, "kg", when=d), kind="searchset"),
        "height": bundle(quantity_obs("h", "8302-2", 175, "cm", when=d), kind="searchset"),
        "creatinine": bundle(quantity_obs("s", "2160-0", 0.9, "mg/dL", when=d), kind="searchset"),
        "egfr": bundle(kind="searchset"),
        "pregnancy": bundle(kind="searchset"),
        "lactation": bundle(kind="searchset"),
        "conditions": bundle(kind="searchset"),
        "allergies": bundle(kind="searchset"),
        "medications": bundle(kind="searchset"),
        "statements": bundle(kind="searchset"),
    }
    out.update(extra)
    return out


def hook_request(
    hook: str, drafts: list[dict[str, Any]], prefetch: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "userId": "Practitioner/example",
        "patientId": "p1",
        "encounterId": "e1",
        "draftOrders": bundle(*drafts),
    }
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/{drafts[0]['id']}"] if drafts else []
    out: dict[str, Any] = {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "hook": hook,
        "context": context,
    }
    if prefetch is not None:
        out["prefetch"] = prefetch
    out.update(extra)
    return out


__all__ = ["bundle", "draft", "hook_request", "med", "prefetch_adult"]
