"""The dose plan (:func:`dose`): the regimen, the scale, the range, the caps, the
administrations and the rules."""

from __future__ import annotations

from typing import Final

from ... import frequency as freq_mod
from ... import units
from ...catalog import get_catalog, resolve_drug
from ...catalog.model import Catalog, Drug, Regimen
from ...errors import InputTypeError, PatientTypeError
from ...patient import Patient
from ...results import (
    SEVERITY_RANK,
    Administration,
    DosePlan,
    DoseRange,
    Finding,
    Severity,
    Step,
    is_complete,
    status_of,
)
from .. import limits as limits_mod
from .. import rules
from ..limits import Limit
from .administer import _administrations, _course_days, _Rules
from .caps import _CAP_PER, _strictest, _unscaled_finding, cap_limits
from .choose import select_regimen
from .compiled import _canonical

_SUFFIX: Final = {"per-day": "/d", "per-week": "/wk"}


def dose(
    drug: str, patient: Patient, regimen: str | None = None, *, catalog: Catalog | None = None
) -> DosePlan:
    """The dose plan of ``drug`` for ``patient`` (optionally a named ``regimen``).

    Raises :class:`~calcidose.errors.UnknownDrugError` or
    :class:`~calcidose.errors.UnknownRegimenError` for names the catalog does not hold; every
    other problem (missing data, contraindications, not dosable) is in the plan's status and
    findings.

    Units: the patient's quantities carry theirs (:class:`~calcidose.patient.Patient`); every
    amount of the plan is a magnitude beside its UCUM code (``plan.dose.low`` and ``high`` in
    ``plan.dose.unit``, e.g. ``mg/d`` for a per-day range; each administration in its own
    ``unit``), and ``to_dict()`` writes each quantity as ``{"value": ..., "unit": ...}``.
    """

    if not isinstance(patient, Patient):
        raise PatientTypeError(
            f"patient must be a calcidose.Patient (Patient(...) or Patient.from_dict(...)), "
            f"not {type(patient).__name__}"
        )
    if regimen is not None and not isinstance(regimen, str):
        raise InputTypeError(f"regimen must be a regimen id (text), not {type(regimen).__name__}")
    cat = catalog if catalog is not None else get_catalog()
    entry = resolve_drug(cat, drug)
    chosen, findings, steps = select_regimen(entry, patient, regimen)
    dose_range: DoseRange | None = None
    admins: list[Administration] = []
    if chosen is not None and not chosen.dosable:
        findings.append(
            Finding(
                "info",
                "not-dosable",
                f"{entry.name} ({chosen.title}): {chosen.not_dosable_reason}",
                "calcidose gives no dose for this regimen.",
                chosen.sources,
            )
        )
    outcome = rules.evaluate(cat, entry, chosen, patient)
    findings.extend(outcome.findings)
    steps.extend(outcome.steps)
    if chosen is not None and chosen.dosable and chosen.dose is not None:
        dose_range, admins = _compute(
            entry, chosen, patient, outcome.limits, _Rules(cat, entry), steps, findings
        )
        if dose_range is not None:
            # a limit rule whose limits the range and practical amounts respect is a caution
            within = _within_limits(dose_range, admins, outcome.limits)
            verdicts = limits_mod.respected_by(
                (lim.kind, within[id(lim)]) for lim in outcome.limits
            )
            limits_mod.settle(findings, entry, verdicts, "plan")
    findings.sort(key=lambda f: SEVERITY_RANK[f.severity])
    return DosePlan(
        drug=entry.id,
        drug_name=entry.name,
        regimen=chosen.id if chosen is not None else None,
        regimen_title=chosen.title if chosen is not None else None,
        route=chosen.route if chosen is not None else None,
        status=status_of(tuple(findings), chosen is None or chosen.dosable),
        complete=is_complete(tuple(findings), chosen is None or chosen.dosable),
        dose=dose_range,
        administrations=tuple(admins),
        findings=tuple(findings),
        trace=tuple(steps),
        sources=chosen.sources if chosen is not None else entry.sources,
        evidence=chosen.evidence if chosen is not None else None,
        range_origin=chosen.range_origin if chosen is not None else None,
        tables_version=cat.tables_version,
        tables=cat.provenance(),
    )


def _scale(
    regimen: Regimen, patient: Patient, steps: list[Step], findings: list[Finding]
) -> float | None:
    """The multiplier of the range: kg, m2 or 1; None (with a finding) when it is missing."""
    assert regimen.dose is not None
    scale = regimen.dose.scale
    if scale == "fixed":
        return 1.0
    weight = patient.weight_kg
    if weight is None:
        findings.append(
            Finding(
                "cannot-check",
                "missing-weight",
                f"the {regimen.id} dose is per kg or per m2 and the patient's weight is not given",
                "Give the patient's weight with its unit.",
                missing=("weight",),
            )
        )
        return None
    given = patient.given("weight") or ""
    steps.append(
        Step(
            "dosing weight",
            f"total body weight: {given} = {{weight}}",
            (("weight", weight, "kg"),),
            weight,
            "kg",
        )
    )
    if scale == "weight":
        return weight
    height = patient.height_cm
    if height is None:
        findings.append(
            Finding(
                "cannot-check",
                "missing-height",
                f"the {regimen.id} dose is per m2 of body surface area and the patient's "
                "height is not given",
                "Give the patient's height with its unit.",
                missing=("height",),
            )
        )
        return None
    from ...measures import bsa_m2

    bsa = bsa_m2(weight, height, "mosteller")
    steps.append(
        Step(
            "body surface area",
            "Mosteller: sqrt({height} x {weight} / 3600) = {bsa}",
            (("height", height, "cm"), ("weight", weight, "kg"), ("bsa", bsa, "m2")),
            bsa,
            "m2",
            ("mosteller-1987",),
        )
    )
    return bsa


#: The bases whose range is split into administrations (and capped per administration).
_SPLIT_BASES: Final = ("per-day", "per-week", "per-administration")


def _within_limits(
    dose_range: DoseRange, admins: list[Administration], limits: list[Limit]
) -> dict[int, bool | None]:
    """``id(limit)`` -> whether the plan's range and practical amounts are within that limit
    (None: the limit is per a basis the plan does not give, so it was not applied)."""
    basis = dose_range.basis
    per_range = _CAP_PER[basis]
    factor = units.UCUM[dose_range.unit].factor
    out: dict[int, bool | None] = {}
    for lim in limits:
        bound = lim.value * (1 + 1e-9) + 1e-9
        if lim.per == per_range:
            amounts = [dose_range.high * factor]
            if basis in ("per-day", "per-week"):
                for a in admins:
                    count = freq_mod.by_id(a.frequency).count
                    top = a.rounded_high if a.rounded_high is not None else a.high
                    amounts.append(top * count * units.UCUM[a.unit].factor)
            out[id(lim)] = all(x <= bound for x in amounts)
        elif lim.per == "administration" and admins and basis in _SPLIT_BASES:
            tops = [
                (a.rounded_high if a.rounded_high is not None else a.high)
                * units.UCUM[a.unit].factor
                for a in admins
            ]
            out[id(lim)] = all(x <= bound for x in tops)
        else:
            out[id(lim)] = None
    return out


def _capped_finding(drug: Drug, cap: Limit, below: bool, high: float, out_code: str) -> Finding:
    """The range was capped (``below``: even its low end was above the cap). A range wholly
    above a cap is major, unless the cap is the limit of a limit rule (a renal or interaction
    dose limit, :mod:`calcidose.engine.limits`): then the limit is the known answer, the range
    is that limit, and the finding is a caution that the dose is below the sourced range."""
    out_factor = units.UCUM[out_code].factor
    severity: Severity = "info"
    extra = ""
    if below:
        limit_rule = cap.kind.startswith("rule ") and any(
            r.id == cap.kind[5:] and limits_mod.is_limit_rule(r) for r in drug.rules
        )
        severity = limits_mod.RESPECTED_SEVERITY if limit_rule else "major"
        extra = (
            " (even its low end was above the cap: the range is the limit, below the sourced range)"
            if limit_rule
            else " (even its low end was above the cap)"
        )
    return Finding(
        severity,
        "capped",
        message="the computed maximum {computed} exceeds the "
        f"{cap.kind} cap of {{cap}}; the range is capped" + extra,
        management="Do not exceed the cap.",
        sources=cap.sources,
        terms=(
            ("computed", high / out_factor, out_code),
            ("cap", cap.value / out_factor, out_code),
        ),
    )


def _compute(
    drug: Drug,
    regimen: Regimen,
    patient: Patient,
    extra_limits: list[Limit],
    rules: _Rules,
    steps: list[Step],
    findings: list[Finding],
) -> tuple[DoseRange | None, list[Administration]]:
    spec = regimen.dose
    assert spec is not None
    scale = _scale(regimen, patient, steps, findings)
    if scale is None:
        return None, []
    basis = spec.basis
    numerator = spec.low.unit.split("/")[0]
    out_code = numerator + _SUFFIX.get(basis, "")
    out_factor = units.UCUM[out_code].factor
    low = _canonical(spec.low.value, spec.low.unit) * scale
    high = _canonical(spec.high.value, spec.high.unit) * scale
    if spec.scale == "fixed":
        # a range whose ends are equal is one value (issue 11 §4); both ends stay in the terms
        formula = "{high}" if spec.low == spec.high else "{low} to {high}"
        terms: tuple[tuple[str, float, str], ...] = (
            ("low", low / out_factor, out_code),
            ("high", high / out_factor, out_code),
        )
    else:
        code = "kg" if spec.scale == "weight" else "m2"
        formula = "{rate_low} x {scale} = {low}; {rate_high} x {scale} = {high}"
        if spec.low == spec.high:
            # one rate (375 mg/m2): one product, written once; both ends stay in the terms
            formula = "{rate_high} x {scale} = {high}"
        terms = (
            ("rate_low", spec.low.value, spec.low.unit),
            ("rate_high", spec.high.value, spec.high.unit),
            ("scale", scale, code),
            ("low", low / out_factor, out_code),
            ("high", high / out_factor, out_code),
        )
    steps.append(Step(f"range ({basis})", formula, terms, sources=spec.sources))
    caps, cap_steps, unscaled = cap_limits(rules.catalog, drug, regimen, patient.weight_kg)
    steps.extend(cap_steps)
    if unscaled:
        findings.append(_unscaled_finding(regimen, unscaled))
    limits = caps + extra_limits
    cap = _strictest(limits, _CAP_PER[basis], out_code, steps, findings)
    capped = False
    if cap is not None and high > cap.value + 1e-9:
        capped = True
        below = low > cap.value + 1e-9
        if below:
            low = cap.value
        findings.append(_capped_finding(drug, cap, below, high, out_code))
        high = cap.value
        steps.append(
            Step(
                "apply cap",
                "range limited to {high}" if low == high else "range limited to {low} to {high}",
                (("low", low / out_factor, out_code), ("high", high / out_factor, out_code)),
                sources=cap.sources,
            )
        )
    admins: list[Administration] = []
    if basis in ("per-day", "per-week", "per-administration"):
        admins = _administrations(
            regimen,
            basis,
            low,
            high,
            out_code,
            limits,
            cap.value if cap is not None else None,
            rules,
            steps,
            findings,
        )
    elif basis == "per-course":
        admins = _course_days(regimen, low, high, out_code)
    result = DoseRange(
        basis,
        low / out_factor,
        high / out_factor,
        out_code,
        capped,
        cap.value / out_factor if cap is not None else None,
    )
    return result, admins
