"""A draft MedicationRequest -> a calcidose order (drug, amount, frequency, route, duration).

* medication: ``medicationCodeableConcept`` or ``medicationReference`` (contained or in the
  Bundle) by RxNorm (``tables/codes/rxnorm.toml``); unmapped: named, not checked.
* ``dosageInstruction[0].doseAndRate[0].doseQuantity`` (UCUM) -> the amount; a dose range, a rate
  or several dosage instructions cannot be checked as one order and say so.
* ``timing.repeat``: ``frequency`` per ``period`` ``periodUnit`` -> the calcidose frequency with the
  same count per period (``1 per 8 h`` -> every 8 hours, ``3 per 1 wk`` -> three times weekly);
  ``boundsDuration`` -> the course length (shown); ``timing.code`` BID/TID/QID/QD.
* ``route`` by SNOMED CT or by its words (``oral``, ``intravenous``...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from ...errors import CalcidoseError
from ...frequency import FREQUENCIES
from ._common import RXNORM, SNOMED, UCUM, FhirInputError, codings, ref_of, ucum_to_calcidose
from .codes import CodeMaps
from .model import DraftOrder

__all__ = ["medication_concept", "medication_id", "read_order"]

#: UCUM time units in days (UCUM: mo = 1/12 of a Julian year, a = 365.25 d).
_UNIT_DAYS: Final = {
    "s": 1 / 86400,
    "min": 1 / 1440,
    "h": 1 / 24,
    "d": 1.0,
    "wk": 7.0,
    "mo": 365.25 / 12,
    "a": 365.25,
}
#: v3 GTSAbbreviation timing codes with one meaning each (timing.code).
_TIMING_CODES: Final = {
    "QD": "once-daily",
    "BID": "twice-daily",
    "TID": "three-times-daily",
    "QID": "four-times-daily",
}
#: SNOMED CT route codes (FHIR R4 route-codes value set).
_ROUTES: Final = {"26643006": "oral", "47625008": "intravenous", "6064005": "topical"}


def medication_concept(r: Mapping[str, Any], by_ref: Mapping[str, Mapping[str, Any]]) -> Any:
    """The medication CodeableConcept of a request or statement (its reference resolved)."""
    if "medicationCodeableConcept" in r:
        return r["medicationCodeableConcept"]
    ref = (r.get("medicationReference") or {}).get("reference", "")
    if isinstance(ref, str) and ref.startswith("#"):
        for contained in r.get("contained") or ():
            if isinstance(contained, Mapping) and contained.get("id") == ref[1:]:
                return contained.get("code")
    target = by_ref.get(ref) if isinstance(ref, str) else None
    return target.get("code") if target is not None else {"text": f"unresolved reference {ref}"}


def medication_id(maps: CodeMaps, concept: object) -> tuple[str | None, str]:
    """(calcidose id or None, how the medication is named) for a medication CodeableConcept."""
    named = ""
    for system, code, display in codings(concept):
        if system == RXNORM:
            target = maps.rxnorm.get(code)
            named = named or f"RxNorm {code}" + (f" ({display})" if display else "")
            if target is not None:
                return target, f"RxNorm {code}" + (f" ({display})" if display else "")
    if not named:
        text = concept.get("text") if isinstance(concept, Mapping) else None
        named = f"uncoded medication ({text})" if text else "a medication without an RxNorm code"
    return None, named


def read_order(
    maps: CodeMaps, r: Mapping[str, Any], by_ref: Mapping[str, Mapping[str, Any]]
) -> DraftOrder:
    """The order a draft MedicationRequest asks for (``problem`` set when it cannot be read)."""
    drug, named = medication_id(maps, medication_concept(r, by_ref))
    ref = ref_of(r)
    base: dict[str, Any] = {
        "resource": ref,
        "medication": named,
        "drug": drug,
        "amount": None,
        "frequency": None,
        "route": None,
        "duration_days": None,
        "request": dict(r),
    }
    if drug is None:
        return DraftOrder(**base, problem=f"{named} is not in calcidose's RxNorm map")
    dosages = r.get("dosageInstruction") or []
    if len(dosages) != 1:
        count = "no" if not dosages else str(len(dosages))
        return DraftOrder(**base, problem=f"{count} dosage instructions; calcidose checks one")
    try:
        base.update(_dosage(dosages[0]))
    except (FhirInputError, CalcidoseError) as exc:
        return DraftOrder(**base, problem=str(exc))
    return DraftOrder(**base)


def _dosage(d: Mapping[str, Any]) -> dict[str, Any]:
    if d.get("asNeededBoolean") or d.get("asNeededCodeableConcept"):
        raise FhirInputError("an as-needed (PRN) order has no fixed frequency to check")
    rates = d.get("doseAndRate") or []
    if len(rates) != 1 or not isinstance(rates[0].get("doseQuantity"), Mapping):
        raise FhirInputError(
            "the order needs one doseAndRate.doseQuantity (a dose range or rate is not checked)"
        )
    amount = ucum_to_calcidose(rates[0]["doseQuantity"])
    timing = d.get("timing") or {}
    frequency = _frequency(timing)
    repeat = timing.get("repeat") or {}
    duration = None
    bounds = repeat.get("boundsDuration")
    if isinstance(bounds, Mapping):
        unit = bounds.get("code") if bounds.get("system") == UCUM else bounds.get("unit")
        if unit not in _UNIT_DAYS or not isinstance(bounds.get("value"), int | float):
            raise FhirInputError(f"boundsDuration {bounds.get('value')} {unit} is not readable")
        duration = float(bounds["value"]) * _UNIT_DAYS[unit]
        if not math.isfinite(duration) or duration <= 0:
            raise FhirInputError(f"boundsDuration {bounds.get('value')} {unit} is not a duration")
    return {
        "amount": amount,
        "frequency": frequency,
        "route": _route(d.get("route")),
        "duration_days": duration,
    }


def _frequency(timing: Mapping[str, Any]) -> str:
    repeat = timing.get("repeat")
    if not isinstance(repeat, Mapping) or "period" not in repeat:
        for _system, code, _display in codings(timing.get("code")):
            if code in _TIMING_CODES:
                return _TIMING_CODES[code]
        raise FhirInputError("the order has no timing.repeat frequency/period")
    if repeat.get("frequencyMax") is not None or repeat.get("periodMax") is not None:
        raise FhirInputError("a frequency range (frequencyMax/periodMax) is not one frequency")
    count = repeat.get("frequency", 1)
    period, unit = repeat.get("period"), repeat.get("periodUnit")
    if (
        unit not in _UNIT_DAYS
        or isinstance(period, bool)
        or not isinstance(period, int | float)
        or not 0 < period < math.inf
    ):
        raise FhirInputError(f"timing period {period} {unit} is not readable")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise FhirInputError(f"timing frequency {count!r} is not a whole number of times")
    return _match(count, float(period) * _UNIT_DAYS[unit], unit == "h" and count == 1)


def _match(count: int, period_days: float, hourly: bool) -> str:
    """The calcidose frequency with the same administrations per period."""
    if period_days <= 1.0 + 1e-9:
        per_day = count / period_days
        if abs(per_day - round(per_day)) > 1e-9:
            raise FhirInputError(f"{count} per {period_days * 24:g} h is not a whole number a day")
        count, period_days = round(per_day), 1.0
    found = [
        f
        for f in FREQUENCIES
        if f.count == count and abs(f.period_days - period_days) < 1e-6 and f.id != "once"
    ]
    if not found:
        raise FhirInputError(
            f"{count} time(s) every {period_days:g} days is not a frequency calcidose checks"
        )
    every = [f for f in found if f.id.startswith("every-")]
    chosen = (every if hourly and every else [f for f in found if f not in every] or found)[0]
    return chosen.id


def _route(concept: object) -> str | None:
    if not isinstance(concept, Mapping):
        return None
    for system, code, _display in codings(concept):
        if system == SNOMED and code in _ROUTES:
            return _ROUTES[code]
    text = concept.get("text")
    words = [text] if isinstance(text, str) else []
    words += [display for _s, _c, display in codings(concept) if display]
    from ...engine.orders import parse_route

    for word in words:
        try:
            return parse_route(word) and word
        except CalcidoseError:
            continue
    raise FhirInputError(f"route {text or [c for _s, c, _d in codings(concept)]} is not recognised")
