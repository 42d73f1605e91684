"""The order check (:func:`check`): read the order, choose the regimen, dose, compare, decide."""

from __future__ import annotations

from ... import units
from ...catalog import get_catalog, resolve_drug
from ...catalog.model import Catalog, Drug, Regimen
from ...errors import OrderError, PatientTypeError
from ...frequency import parse_frequency
from ...patient import Patient
from ...results import (
    SEVERITY_RANK,
    DosePlan,
    Finding,
    Step,
)
from .. import limits
from ..dosing import dose
from ..rules import OrderFacts, evaluate
from .choose import _choose
from .compare import _Comparison
from .mix_up import _unit_mix_up
from .parse import (
    _amount_code,
    _Order,
    _out,
    _parse_amount,
    _per_day_code,
    _per_week_code,
    parse_route,
)
from .precedence import _verdict
from .products import _convert_volume, _dispensed, _for_the_order
from .result import OrderCheck
from .verdicts import order_status


def check(
    drug: str,
    amount: object,
    frequency: str,
    patient: Patient,
    regimen: str | None = None,
    route: str | None = None,
    *,
    catalog: Catalog | None = None,
) -> OrderCheck:
    """Check a written order for ``patient``: ``check("diltiazem", "90 mg", "tid", p)``.

    ``amount`` is a string with a unit (``"90 mg"``, ``"12.5 g"``, ``"500 mcg"``, ``"1 mL"``)
    or a pint quantity; ``frequency`` the words people write (``"three times daily"``,
    ``"tid"``, ``"q8h"``, ``"weekly"``); ``route`` optional (``"oral"``, ``"iv"``, ...);
    ``regimen`` names one of the drug's regimens instead of letting calcidose choose.

    Raises :class:`~calcidose.errors.InputError` subclasses for an order that cannot be read
    and :class:`~calcidose.errors.UnknownDrugError` / ``UnknownRegimenError`` for names the
    catalog does not hold. Everything else is in the verdict and the findings.
    """
    if not isinstance(patient, Patient):
        raise PatientTypeError(f"patient must be a calcidose.Patient, not {type(patient).__name__}")
    cat = catalog if catalog is not None else get_catalog()
    entry = resolve_drug(cat, drug)
    value, kind, code = _parse_amount(amount)
    if not isinstance(frequency, str):
        raise OrderError(f"frequency must be text, not {type(frequency).__name__}")
    freq = parse_frequency(frequency)
    route_id = parse_route(route)
    order = _Order(value, kind, freq)
    order.require_finite(amount)  # before anything divides or rounds its totals
    steps: list[Step] = [
        Step(
            "order",
            f"{{amount}} {freq.text}" + (f" ({route_id})" if route_id else ""),
            (("amount", value / units.UCUM[code].factor, code),),
        )
    ]
    findings: list[Finding] = []
    chosen, choice_findings, choice_steps = _choose(entry, patient, freq, route_id, regimen)
    findings.extend(choice_findings)
    steps.extend(choice_steps)

    plan = _plan(cat, entry, patient, chosen, order, steps, findings)

    order.require_finite(amount)
    facts = OrderFacts(order.converted_mg, order.per_day(), order.week_average())
    outcome = evaluate(cat, entry, chosen, patient, facts)
    if chosen is None:
        findings.extend(outcome.findings)
        steps.extend(outcome.steps)
    findings.extend(outcome.order_findings)

    out_code, per_admin, per_day, per_week = _ordered(order, chosen, code, steps)

    comparison = _Comparison(cat, order, chosen, plan, out_code, entry, patient.weight_kg)
    comparison.run(outcome.limits, steps, findings)
    mix_up = _unit_mix_up(comparison, per_admin, per_day, per_week, (value, code))
    if mix_up is not None:
        findings.append(mix_up)

    verdict = _verdict(entry, chosen, findings, comparison)
    # a limit rule is a caution when the order is within its limits, major when it is not
    # (calcidose.engine.limits); the plan's finding is replaced by the rule's own, settled
    within = ((m.kind, None if m.exceeded is None else not m.exceeded) for m in comparison.maxima)
    limits.settle(
        findings,
        entry,
        limits.respected_by(within),
        "order",
        {f.code: f for f in (*outcome.findings, *outcome.order_findings)},
    )
    findings.sort(key=lambda f: SEVERITY_RANK[f.severity])
    return OrderCheck(
        drug=entry.id,
        drug_name=entry.name,
        regimen=chosen.id if chosen is not None else None,
        regimen_title=chosen.title if chosen is not None else None,
        route=chosen.route if chosen is not None else None,
        verdict=verdict,
        status=order_status(verdict, findings),
        amount=(value / units.UCUM[code].factor, code),
        frequency=freq.id,
        frequency_text=freq.text,
        ordered_route=route_id,
        per_administration=per_admin,
        per_day=per_day,
        per_week=per_week,
        per_course=comparison.per_course,
        expected_basis=comparison.expected_basis,
        expected_low=comparison.expected_low,
        expected_high=comparison.expected_high,
        expected_unit=comparison.expected_unit,
        maxima=tuple(comparison.maxima),
        findings=tuple(findings),
        trace=tuple(steps),
        sources=chosen.sources if chosen is not None else entry.sources,
        evidence=chosen.evidence if chosen is not None else None,
        range_origin=chosen.range_origin if chosen is not None else None,
        high_alert=entry.high_alert,
        tables_version=cat.tables_version,
        tables=cat.provenance(),
        dispensed=_dispensed(cat, order, chosen, out_code) if kind != "volume" else (),
    )


def _plan(
    cat: Catalog,
    entry: Drug,
    patient: Patient,
    chosen: Regimen | None,
    order: _Order,
    steps: list[Step],
    findings: list[Finding],
) -> DosePlan | None:
    """The dose plan of the chosen regimen for the patient (None without a regimen), its trace
    and findings for this order (:func:`_for_the_order`), and a volume order turned into an
    amount."""
    if chosen is None:
        return None
    plan = dose(entry.id, patient, chosen.id, catalog=cat)
    volume_steps: list[Step] = []
    volume_findings: list[Finding] = []
    if order.kind == "volume":
        _convert_volume(order, chosen, volume_steps, volume_findings)
    plan_steps, plan_findings = _for_the_order(cat, plan, chosen, order)
    findings.extend(plan_findings)
    steps.extend(s for s in plan_steps if s.label != "regimen")
    steps.extend(volume_steps)
    findings.extend(volume_findings)
    return plan


def _ordered(
    order: _Order, chosen: Regimen | None, code: str, steps: list[Step]
) -> tuple[str, tuple[float, str] | None, tuple[float, str] | None, tuple[float, str] | None]:
    """(the amount unit of the output, the order per administration, per day and per week in
    it): per day for a daily order, per week for a weekly-type order or a weekly regimen, with
    their steps."""
    kind = order.kind
    freq = order.freq
    out_code = _amount_code(code)
    if kind == "volume" and chosen is not None and chosen.dose is not None:
        out_code = _amount_code(chosen.dose.low.unit.split("/")[0])
    per_admin = (
        _out(order.converted_mg, out_code)
        if order.converted_mg is not None
        else (order.amount, "mL")
    )
    per_day = _out(order.per_day(), _per_day_code(out_code))
    basis = chosen.dose.basis if chosen is not None and chosen.dose is not None else None
    weekish = (not order.daily and not order.once and order.freq.period_days <= 7.0) or (
        basis == "per-week"
    )
    per_week = _out(order.week_average(), _per_week_code(out_code)) if weekish else None
    mg = order.converted_mg
    shown = None if mg is None else mg / units.UCUM[out_code].factor
    if per_day is not None and shown is not None and order.daily:
        steps.append(
            Step(
                "ordered per day",
                f"{{amount}} x {freq.count} ({freq.text}) = {{per_day}}",
                (("amount", shown, out_code), ("per_day", per_day[0], per_day[1])),
            )
        )
    if (
        per_week is not None
        and shown is not None
        and basis == "per-week"
        and order.freq.period_days != 7.0
    ):
        steps.append(
            Step(
                "ordered per week",
                f"{{amount}} {freq.text} = {{per_week}} (the regimen is weekly)",
                (("amount", shown, out_code), ("per_week", per_week[0], per_week[1])),
            )
        )
    return out_code, per_admin, per_day, per_week
