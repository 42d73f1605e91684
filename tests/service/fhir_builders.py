"""Builders of FHIR R4 resources for the FHIR and service tests (shaped like the CDS Hooks
sandbox's prefetch and the HL7 PDDI CDS IG's examples)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def patient(pid: str = "p1", gender: str = "female", birth: str = "1970-06-15") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def quantity_obs(
    oid: str, loinc: str, value: float, ucum: str, when: str = "2026-11-28", **extra: Any
) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value, "unit": ucum, "system": UCUM, "code": ucum}
    q.update(extra)
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        "valueQuantity": q,
    }


def coded_obs(oid: str, loinc: str, system: str, code: str, when: str = "2026-11-28") -> dict:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        "valueCodeableConcept": {"coding": [{"system": system, "code": code}]},
    }


def condition(cid: str, code: str, status: str = "active", display: str = "") -> dict:
    coding: dict[str, Any] = {"system": SNOMED, "code": code}
    if display:
        coding["display"] = display
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        },
        "code": {"coding": [coding]},
        "subject": {"reference": "Patient/p1"},
    }


def med(kind: str, mid: str, rxnorm: str, status: str = "active", display: str = "") -> dict:
    coding: dict[str, Any] = {"system": RXNORM, "code": rxnorm}
    if display:
        coding["display"] = display
    out: dict[str, Any] = {
        "resourceType": kind,
        "id": mid,
        "status": status,
        "medicationCodeableConcept": {"coding": [coding]},
        "subject": {"reference": "Patient/p1"},
    }
    if kind == "MedicationRequest":
        out["intent"] = "order"
    return out


def draft(
    mid: str,
    rxnorm: str,
    value: float,
    unit: str,
    frequency: int = 1,
    period: float = 1,
    period_unit: str = "d",
    route: str | None = "26643006",
    **repeat: Any,
) -> dict[str, Any]:
    r = med("MedicationRequest", mid, rxnorm, status="draft")
    rep: dict[str, Any] = {"frequency": frequency, "period": period, "periodUnit": period_unit}
    rep.update(repeat)
    dosage: dict[str, Any] = {
        "timing": {"repeat": rep},
        "doseAndRate": [
            {"doseQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}
        ],
    }
    if route:
        dosage["route"] = {"coding": [{"system": SNOMED, "code": route}]}
    r["dosageInstruction"] = [dosage]
    return r


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}
