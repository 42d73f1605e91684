"""FHIR R4 in: a Bundle (or resources) -> a calcidose Patient, draft orders and notes.

* Patient: ``birthDate`` -> age at ``now`` (the request time; injectable), in completed years
  (months under 2 years, days under 1 month); ``gender`` female/male -> sex (other, unknown:
  sex unknown).
* Observation by LOINC (``tables/codes/loinc.toml``): weight, height, serum creatinine (mg/dL or
  umol/L), CKD-EPI eGFR, pregnancy status, breastfeeding status. Status final, amended or
  corrected only. The newest of each kind wins and its date is shown; older than the kind's
  ``stale_days`` it is reported (and, for pregnancy and lactation, not used).
* Condition (clinical status active, recurrence or relapse; not refuted or entered in error) and
  AllergyIntolerance (active) by SNOMED CT -> condition ids (``tables/codes/snomed.toml``).
* MedicationRequest (active) and MedicationStatement (active) by RxNorm -> medication ids
  (``tables/codes/rxnorm.toml``); draft MedicationRequests are the orders (:mod:`.orders`).

A code that is not in the maps is passed on as ``"SNOMED CT <code> (<display>)"`` or ``"RxNorm
<code> (<display>)"``: the rules name it in a cannot-check finding; nothing is matched by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from ...catalog import get_catalog
from ...catalog.model import Catalog
from ...errors import CalcidoseError
from ...patient import Patient
from ...results import Finding, Severity
from ._common import (
    LOINC,
    RXNORM,
    SNOMED,
    FhirInputError,
    codings,
    parse_datetime,
    ref_of,
    ucum_to_calcidose,
    validate,
)
from .codes import CodeMaps, load_code_maps
from .model import FhirRecord, Observed
from .orders import medication_concept, medication_id, read_order

__all__ = ["read_bundle", "read_resources"]

_OBS_OK: Final = frozenset({"final", "amended", "corrected"})
_ACTIVE_CONDITION: Final = frozenset({"active", "recurrence", "relapse"})
_NOT_TRUE: Final = frozenset({"refuted", "entered-in-error"})
_PATIENT_FIELD: Final = {"weight": "weight", "height": "height", "scr": "scr", "egfr": "egfr"}


def read_bundle(
    bundle: Mapping[str, Any], *, now: datetime | None = None, catalog: Catalog | None = None
) -> FhirRecord:
    """Read a FHIR R4 Bundle (any type; every entry's resource is read)."""
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise FhirInputError("expected a FHIR Bundle (resourceType 'Bundle')")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FhirInputError("Bundle.entry must be a list")
    resources = []
    for n, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            raise FhirInputError(f"Bundle.entry[{n}] has no resource")
        resources.append(resource)
    return read_resources(resources, now=now, catalog=catalog)


def read_resources(
    resources: Iterable[Mapping[str, Any]],
    *,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> FhirRecord:
    """Read resources one by one (Patient, Observation, Condition, AllergyIntolerance,
    MedicationRequest, MedicationStatement, Medication); other types are ignored.

    ``now`` (timezone-aware; default: the current time) is the moment ages and staleness are
    measured from: a CDS Hooks request's time.
    """
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise FhirInputError("now must be timezone-aware")
    maps = load_code_maps()
    items = list(resources)
    for resource in items:
        validate(resource)
    reader = _Reader(maps, moment, items, catalog if catalog is not None else get_catalog())
    for resource in items:
        reader.read(resource)
    return reader.record()


class _Reader:
    def __init__(
        self, maps: CodeMaps, now: datetime, items: list[Mapping[str, Any]], catalog: Catalog
    ) -> None:
        self.maps, self.now, self.catalog = maps, now, catalog
        self.by_ref = {ref_of(r): r for r in items}
        self.kwargs: dict[str, Any] = {}
        self.patient_ref: str | None = None
        self.conditions: list[str] = []
        self.medications: list[str] = []
        self.orders: list[Any] = []
        self.findings: list[Finding] = []
        self.observed: dict[str, list[tuple[datetime | None, Observed]]] = {}
        self.accepts = set(inspect.signature(Patient.__init__).parameters)

    def read(self, r: Mapping[str, Any]) -> None:
        kind = r.get("resourceType")
        if kind == "Patient":
            self._patient(r)
        elif kind == "Observation":
            self._observation(r)
        elif kind in ("Condition", "AllergyIntolerance"):
            self._condition(r)
        elif kind == "MedicationRequest" and r.get("status") == "draft":
            self.orders.append(read_order(self.maps, r, self.by_ref))
        elif kind in ("MedicationRequest", "MedicationStatement") and r.get("status") == "active":
            concept = medication_concept(r, self.by_ref)
            target, named = medication_id(self.maps, concept)
            self.medications.append(target or named)

    def _note(self, severity: Severity, code: str, message: str, what: str = "") -> None:
        self.findings.append(Finding(severity, code, message, what))

    def _patient(self, r: Mapping[str, Any]) -> None:
        if self.patient_ref is not None:
            raise FhirInputError("the record holds more than one Patient")
        self.patient_ref = ref_of(r)
        gender = r.get("gender")
        if gender in ("female", "male"):
            self.kwargs["sex"] = gender
        elif gender is not None:
            self._note(
                "info",
                "fhir-sex-unknown",
                f"{self.patient_ref} gender is {gender!r}: sex taken as unknown",
            )
        span = parse_datetime(r.get("birthDate"))
        if span is not None:
            self._age(span)

    def _age(self, span: tuple[datetime, datetime]) -> None:
        youngest, oldest = _age_text(span[1], self.now), _age_text(span[0], self.now)
        if youngest is None or oldest is None:
            raise FhirInputError(f"{self.patient_ref} birthDate is after the request time")
        if youngest == oldest:
            self.kwargs["age"] = youngest
        elif youngest.endswith(" a") and float(youngest[:-2]) >= 19:
            self.kwargs["age"] = youngest
            self._note(
                "info",
                "fhir-age-partial-date",
                f"{self.patient_ref} birthDate gives only part of the date: age is "
                f"{youngest[:-2]} to {oldest[:-2]} years; the younger age is used",
            )
        else:
            self._note(
                "cannot-check",
                "fhir-age-imprecise",
                f"age ({self.patient_ref} birthDate is only partly known: {youngest} to {oldest})",
                "Record the full date of birth.",
            )

    def _observation(self, r: Mapping[str, Any]) -> None:
        if r.get("status") not in _OBS_OK:
            return
        for system, code, _display in codings(r.get("code")):
            if system != LOINC:
                continue
            if code in self.maps.loinc_not_read:
                self._note(
                    "info",
                    "fhir-observation-not-read",
                    f"{ref_of(r)} (LOINC {code}) is not used: {self.maps.loinc_not_read[code]}",
                )
                return
            kind = self.maps.loinc.get(code)
            if kind is not None:
                self._keep(kind, code, r)
                return

    def _keep(self, kind: str, code: str, r: Mapping[str, Any]) -> None:
        when = _effective(r)
        try:
            value = _value(kind, r, self.maps)
        except FhirInputError as exc:
            item = Observed(kind, "?", f"LOINC {code}", when, ref_of(r), False, str(exc))
            self.observed.setdefault(kind, []).append((None, item))
            return
        item = Observed(kind, value, f"LOINC {code}", when, ref_of(r), True)
        self.observed.setdefault(kind, []).append((when, item))

    def _condition(self, r: Mapping[str, Any]) -> None:
        status = {c for _, c, _ in codings(r.get("clinicalStatus"))}
        verified = {c for _, c, _ in codings(r.get("verificationStatus"))}
        if not status & _ACTIVE_CONDITION or verified & _NOT_TRUE:
            return
        named = ""
        for system, code, display in codings(r.get("code")):
            if system == RXNORM and r.get("resourceType") == "AllergyIntolerance":
                named = named or self._allergy(code, display)
                if not named:
                    return
            if system == SNOMED:
                target = self.maps.snomed.get(code)
                if target is not None:
                    self.conditions.append(target)
                    return
                named = named or f"SNOMED CT {code}" + (f" ({display})" if display else "")
        if not named:
            text = (r.get("code") or {}).get("text")
            named = f"uncoded {r['resourceType']} ({text or ref_of(r)})"
        self.conditions.append(named)

    def _allergy(self, code: str, display: str) -> str:
        """Append the allergy condition of an RxNorm-coded allergy; '' when done, else a name."""
        target = self.maps.rxnorm.get(code)
        entry = self.catalog.drugs.get(target or "") or self.catalog.substances.get(target or "")
        found = [
            self.maps.allergy_classes[c]
            for c in (entry.classes if entry else ())
            if c in self.maps.allergy_classes
        ]
        if found:
            self.conditions.extend(found)
            return ""
        return f"allergy to RxNorm {code}" + (f" ({display})" if display else "")

    def record(self) -> FhirRecord:
        shown: list[Observed] = []
        for kind, items in self.observed.items():
            shown.extend(self._choose(kind, items))
        self.kwargs["conditions"] = self.conditions or None
        self.kwargs["medications"] = self.medications or None
        try:
            patient = Patient(**self.kwargs)
        except CalcidoseError as exc:
            raise FhirInputError(f"the FHIR record gives an unusable patient: {exc}") from None
        return FhirRecord(
            patient,
            self.patient_ref,
            tuple(self.orders),
            tuple(self.findings),
            tuple(shown),
            self.now,
        )

    def _choose(self, kind: str, items: list[tuple[datetime | None, Observed]]) -> list[Observed]:
        readable = [(d, o) for d, o in items if o.used]
        dated = sorted((d for d, o in readable if d is not None), reverse=True)
        out = [o for d, o in items if not o.used]
        if not readable:
            return out
        if len(dated) < len(readable) and len(readable) > 1:
            newest = None  # an undated value among several: which is newest is unknown
        else:
            newest = next(o for d, o in readable if d == dated[0]) if dated else readable[0][1]
        for _d, o in readable:
            if o is not newest:
                out.append(_unused(o, "an older observation of the same kind"))
        if newest is None:
            self._note(
                "cannot-check",
                "fhir-observation-undated",
                f"{kind} (several observations, some without a date)",
            )
            return out
        out.append(self._use(kind, newest))
        return out

    def _use(self, kind: str, o: Observed) -> Observed:
        limit = self.maps.kinds[kind]
        age_days = None if o.date is None else (self.now - o.date).total_seconds() / 86400
        if age_days is not None and age_days < -1:
            self._note(
                "cannot-check",
                "fhir-observation-future",
                f"{kind} ({o.resource} is dated after the request time)",
            )
            return _unused(o, "dated in the future")
        stale = age_days is None or age_days > limit.stale_days
        when = "no date"
        if o.date is not None:
            when = f"{o.date.date().isoformat()}, {age_days:.0f} days old"
        if stale and not limit.use_when_stale:
            self._note(
                "info",
                "fhir-observation-stale",
                f"{kind} status ({o.resource}, {when}; older than the {limit.stale_days:g}-day "
                "limit, so not used)",
                "Record a current status.",
            )
            return _unused(o, f"stale ({when})")
        if stale:
            self._note(
                "minor",
                "fhir-observation-stale",
                f"{kind} {o.value} is from {o.resource} ({when}): older than the "
                f"{limit.stale_days:g}-day limit calcidose applies",
                "Confirm it is current.",
            )
        self._apply(kind, o)
        return o

    def _apply(self, kind: str, o: Observed) -> None:
        if kind in ("pregnancy", "lactation"):
            flag = {"true": True, "false": False}.get(o.value)
            if flag is not None:
                self.kwargs["pregnant" if kind == "pregnancy" else "lactating"] = flag
            return
        field = _PATIENT_FIELD[kind]
        if field in self.accepts:
            self.kwargs[field] = o.value
        else:
            self._note(
                "info",
                "fhir-observation-not-read",
                f"{o.resource}: eGFR {o.value} is shown but calcidose reads renal function "
                "from creatinine clearance or serum creatinine",
            )


def _unused(o: Observed, why: str) -> Observed:
    return Observed(o.kind, o.value, o.code, o.date, o.resource, False, why)


def _effective(r: Mapping[str, Any]) -> datetime | None:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        span = parse_datetime(r.get(key))
        if span is not None:
            return span[1]
    period = r.get("effectivePeriod")
    if isinstance(period, Mapping):
        span = parse_datetime(period.get("end") or period.get("start"))
        if span is not None:
            return span[1]
    return None


def _value(kind: str, r: Mapping[str, Any], maps: CodeMaps) -> str:
    if kind in ("pregnancy", "lactation"):
        if isinstance(r.get("valueBoolean"), bool):
            return "true" if r["valueBoolean"] else "false"
        for system, code, display in codings(r.get("valueCodeableConcept")):
            if kind == "pregnancy" and system == SNOMED and code in maps.pregnancy_answers:
                return "true" if maps.pregnancy_answers[code] else "false"
            if system == "http://terminology.hl7.org/CodeSystem/v2-0136" and code in ("Y", "N"):
                return "true" if code == "Y" else "false"
            raise FhirInputError(f"answer {code} ({display or system}) is not a yes or no")
        raise FhirInputError("no readable answer")
    quantity = r.get("valueQuantity")
    if not isinstance(quantity, Mapping):
        raise FhirInputError("no valueQuantity")
    return ucum_to_calcidose(quantity)


def _age_text(birth: datetime, now: datetime) -> str | None:
    """Completed age at ``now``: years from 2 years, months from 1 month, else days."""
    if birth > now:
        return None
    b, n = birth.date(), now.date()
    months = (n.year - b.year) * 12 + n.month - b.month - (n.day < b.day)
    if months >= 24:
        return f"{months // 12} a"
    if months >= 1:
        return f"{months} mo"
    return f"{max((n - b).days, 0)} d"
