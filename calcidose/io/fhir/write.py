"""FHIR R4 out: findings -> DetectedIssue, a refusal -> OperationOutcome, a plan -> Dosage.

Every resource is built as R4 JSON and checked against its fhir.resources R4B model before it
is returned, so a client receives only valid resources.

Severity (DetectedIssue.severity): contraindicated and major -> ``high``; moderate ->
``moderate``; minor, info and cannot-check -> ``low``. Code (v3 ActCode detected-issue codes,
``http://terminology.hl7.org/CodeSystem/v3-ActCode``), by what the finding is about:

| finding | code |
|---|---|
| order above a maximum or above the range, a capped dose | DOSEH (high dose alert) |
| order below the range | DOSEL (low dose alert) |
| order more or less often than the regimen | DOSEIVL (dose interval alert) |
| course length | DOSEDUR (dose duration alert) |
| renal (or other dose-adjustment) rule on the patient's state | DOSECOND (dose-condition alert) |
| interaction or separation rule (reads the patient's medications) | DRG (drug interaction alert) |
| the same drug ordered twice or already taken | DUPTHPY (duplicate therapy alert) |
| pregnancy / lactation rule | PREG / LACT |
| allergy condition | ALGY (allergy alert) |
| age or population | AGE |
| other condition rule | COND (condition alert) |
| cannot-check and information | no code (the detail says what is missing) |
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from ...catalog.model import Catalog, Drug
from ...errors import CalcidoseError
from ...frequency import by_id
from ...results import DosePlan, Finding
from ._common import SNOMED, UCUM

__all__ = ["ACT_CODE", "detected_issue", "dosage", "issue_code", "operation_outcome"]

ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_SEVERITY: Final = {"contraindicated": "high", "major": "high", "moderate": "moderate"}
_DISPLAY: Final = {
    "DOSEH": "High Dose Alert",
    "DOSEL": "Low Dose Alert",
    "DOSEIVL": "Dose Interval Alert",
    "DOSEDUR": "Dose Duration Alert",
    "DOSECOND": "dose-condition alert",
    "DRG": "Drug Interaction Alert",
    "DUPTHPY": "Duplicate Therapy Alert",
    "PREG": "Pregnancy Alert",
    "LACT": "Lactation Alert",
    "ALGY": "Allergy Alert",
    "AGE": "Age Alert",
    "COND": "Condition Alert",
}
_BY_FINDING_CODE: Final = {
    "order-exceeds-maximum": "DOSEH",
    "order-above-reported-maximum": "DOSEH",
    "order-above-range": "DOSEH",
    "capped-per-administration": "DOSEH",
    "order-below-range": "DOSEL",
    "more-often-than-regimen": "DOSEIVL",
    "less-often-than-regimen": "DOSEIVL",
    "weekly-regimen-ordered-daily": "DOSEIVL",
    "course-days": "DOSEDUR",
    "population-mismatch": "AGE",
    "duplicate-therapy": "DUPTHPY",
}
_ALLERGIES: Final = frozenset({"tetracycline-allergy", "cephalosporin-allergy"})
_ROUTE_CODES: Final = {
    "oral": ("26643006", "Oral route"),
    "intravenous": ("47625008", "Intravenous route"),
    "topical": ("6064005", "Topical route"),
}


def _leaves(node: object) -> Iterator[tuple[str, object]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("all", "any"):
                for child in value:
                    yield from _leaves(child)
            elif key == "not":
                continue  # "not X" is the absence of X: it does not make the issue about X
            else:
                yield key, value


def issue_code(finding: Finding, drug: Drug | None) -> str | None:
    """The v3 ActCode detected-issue code of a finding, or None where none fits."""
    if finding.severity in ("cannot-check", "info"):
        return None
    code = _BY_FINDING_CODE.get(finding.code)
    if code is not None or drug is None:
        return code
    rule = next((r for r in drug.rules if r.id == finding.code), None)
    if rule is None:
        return None
    leaves = dict(_leaves(rule.when))
    if rule.kind in ("interaction", "separation") or {"taking", "taking_class"} & set(leaves):
        return "DRG"
    if rule.kind == "dose-adjustment":
        return "DOSECOND"
    if "pregnant" in leaves:
        return "PREG"
    if "lactating" in leaves:
        return "LACT"
    if leaves.get("condition") in _ALLERGIES:
        return "ALGY"
    if "age_below" in leaves or "age_at_least" in leaves:
        return "AGE"
    if any(k.startswith(("crcl", "egfr")) for k in leaves):
        return "DOSECOND"
    return "COND"


def _validated(resource: dict[str, Any]) -> dict[str, Any]:
    from ._common import validate

    validate(resource)
    return resource


def detected_issue(
    finding: Finding,
    *,
    catalog: Catalog,
    drug: Drug | None = None,
    patient_ref: str | None = None,
    implicated: Iterable[str] = (),
    evidence: Iterable[str] = (),
) -> dict[str, Any]:
    """A finding as an R4 DetectedIssue (status ``preliminary``: nobody has reviewed it yet).

    ``implicated`` and ``evidence`` are ``Type/id`` references (the order, the observations the
    finding read); the finding's sources become evidence codes with their citations.
    """
    out: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "status": "preliminary",
        "severity": _SEVERITY.get(finding.severity, "low"),
        "detail": f"{finding.severity}: {finding.message}",
    }
    code = issue_code(finding, drug)
    if code is not None:
        out["code"] = {
            "coding": [{"system": ACT_CODE, "code": code, "display": _DISPLAY[code]}],
            "text": finding.code,
        }
    else:
        out["code"] = {"text": finding.code}
    if patient_ref:
        out["patient"] = {"reference": patient_ref}
    refs = [{"reference": ref} for ref in implicated]
    if refs:
        out["implicated"] = refs
    cited = [catalog.sources[s] for s in finding.sources if s in catalog.sources]
    ev: list[dict[str, Any]] = [{"code": [{"text": f"{s.title}. {s.citation}"}]} for s in cited]
    details = [{"reference": ref} for ref in evidence]
    if details:
        ev.append({"detail": details})
    if ev:
        out["evidence"] = ev
    if cited and cited[0].url:
        out["reference"] = cited[0].url
    if finding.management:
        out["mitigation"] = [{"action": {"text": finding.management}}]
    return _validated(out)


def operation_outcome(error: BaseException | str, *, code: str = "invalid") -> dict[str, Any]:
    """A refusal (bad input, unknown drug, unreadable record) as an R4 OperationOutcome.

    ``code`` is the FHIR issue-type (``invalid``, ``not-found``, ``not-supported``, ``incomplete``).
    """
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, LookupError) and code == "invalid":
        code = "not-found"
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
    if isinstance(error, CalcidoseError):
        issue["details"] = {"text": type(error).__name__}
    return _validated({"resourceType": "OperationOutcome", "issue": [issue]})


def _timing(frequency_id: str) -> dict[str, Any]:
    f = by_id(frequency_id)
    if f.period_days == 0:
        return {"repeat": {"count": 1}}
    if f.id.startswith("every-") and f.id.endswith("-hours"):
        return {"repeat": {"frequency": 1, "period": round(24 / f.count), "periodUnit": "h"}}
    if abs(f.period_days - 365.25 / 12) < 1e-9:
        return {"repeat": {"frequency": f.count, "period": 1, "periodUnit": "mo"}}
    if f.period_days % 7 == 0:
        return {
            "repeat": {"frequency": f.count, "period": int(f.period_days // 7), "periodUnit": "wk"}
        }
    return {"repeat": {"frequency": f.count, "period": int(f.period_days), "periodUnit": "d"}}


def _q(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 6), "unit": unit, "system": UCUM, "code": unit}


def dosage(plan: DosePlan) -> list[dict[str, Any]]:
    """A dose plan as R4 Dosage elements a client can prefill: one per frequency the plan
    gives amounts for, each with the per-administration ``doseRange`` (rounded to the product's
    strengths where the plan rounds, else exact) and the timing. Empty when the plan has no
    amounts (not dosable, cannot check, contraindicated)."""
    if plan.dose is None or plan.status == "contraindicated":
        return []
    out = []
    for n, a in enumerate(plan.administrations):
        low = a.rounded_low if a.rounded_low is not None else a.low
        high = a.rounded_high if a.rounded_high is not None else a.high
        d: dict[str, Any] = {
            "sequence": n + 1,
            "text": f"{plan.drug_name} {a.frequency_text} ({a.form}); calcidose "
            f"{plan.regimen or ''} range, status {plan.status}",
            "timing": _timing(a.frequency),
            "doseAndRate": [{"doseRange": {"low": _q(low, a.unit), "high": _q(high, a.unit)}}],
        }
        if plan.route in _ROUTE_CODES:
            code, display = _ROUTE_CODES[plan.route]
            d["route"] = {"coding": [{"system": SNOMED, "code": code, "display": display}]}
        out.append(_validate_dosage(d))
    return out


def _validate_dosage(d: dict[str, Any]) -> dict[str, Any]:
    from fhir.resources.R4B.dosage import Dosage

    try:
        Dosage.model_validate(d)
    except ValueError as exc:  # pragma: no cover - a bug in this module, not in the input
        raise AssertionError(f"calcidose built an invalid Dosage: {exc}") from exc
    return d
