"""Checking a written order: drug, amount, frequency (and route) against the regimen and the rules.

:func:`check` reads the order (an amount with its unit, a frequency as people write it), picks
the regimen that fits its route, frequency and the patient, never by the ordered amount (the
choice is in the trace), asks
the dose engine (:func:`calcidose.engine.dosing.dose`) for the patient's expected range and
findings,
compares the order per administration, per day, per week or per course (in the regimen's own
basis: a weekly regimen is never turned into a daily one) with that range and with every
maximum (label, policy, calcinosis reports, and the limits interaction rules impose), and gives
one verdict:

========================  =============================================================  ====
verdict                   meaning                                                        exit
========================  =============================================================  ====
``contraindicated``       a contraindication applies to this patient                     1
``cannot-check``          an input that could change the verdict is missing, or there    3
                          is no sourced range (not dosable)
``exceeds-maximum``       above a label, policy or interaction maximum                    1
``above-range``           above the calcinosis range for this patient, or more often      1
                          than the regimen
``below-range``           below the calcinosis range, or less often than the regimen      1
``within-range``          within the range and the maxima                                 0
========================  =============================================================  ====

Precedence (first that applies): contraindicated; cannot-check when what is missing could
still make it contraindicated or change the regimen (an unknown contraindication, medication,
condition or age); exceeds-maximum (a maximum that is exceeded whatever the missing data);
above-range for a maximum from the calcinosis reports; cannot-check for anything else missing
or when the regimen is not dosable; then the range verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs

from .. import units
from ..catalog import get_catalog, resolve_drug
from ..catalog.model import ROUTES, Catalog, Drug, Regimen
from ..errors import OrderError, PatientTypeError, UnitError
from ..frequency import Frequency, by_id, parse_frequency
from ..patient import Patient
from ..results import (
    SEVERITY_RANK,
    STATUSES,
    DosePlan,
    Finding,
    Status,
    Step,
    exit_code,
    is_complete,
    quantity_dict,
    status_of,
)
from ..safeio import shown as _shown
from . import limits as limits_mod
from .dispense import fewest_units
from .dosing import _compiled, cap_limits, dose, require_regimen
from .limits import Limit
from .rules import OrderFacts, evaluate

__all__ = [
    "AMOUNT_ORDER",
    "ORDER_CHECK_SCHEMA",
    "ROUTE_WORDS",
    "VERDICTS",
    "VERDICT_EXIT",
    "VERDICT_STATUS",
    "Dispensed",
    "Maximum",
    "OrderCheck",
    "Verdict",
    "amount_rank",
    "check",
    "order_exit_code",
    "order_status",
    "parse_route",
]

ORDER_CHECK_SCHEMA: Final = "calcidose/order-check/2"

Verdict = Literal[
    "contraindicated",
    "cannot-check",
    "exceeds-maximum",
    "above-range",
    "below-range",
    "within-range",
]
#: Every verdict, in precedence order.
VERDICTS: Final = (
    "contraindicated",
    "cannot-check",
    "exceeds-maximum",
    "above-range",
    "below-range",
    "within-range",
)

#: The verdicts an amount can earn, from best to worst as the ordered amount grows. Verdicts
#: are monotone (issue 10 section 3): for the same drug, patient, frequency and route (and
#: regimen, when named) a larger amount never has a lower rank. ``cannot-check`` is not on the
#: scale (it says the amount could not be judged).
AMOUNT_ORDER: Final = (
    "below-range",
    "within-range",
    "above-range",
    "exceeds-maximum",
    "contraindicated",
)


def amount_rank(verdict: str) -> int | None:
    """The verdict's place in :data:`AMOUNT_ORDER` (None for ``cannot-check``)."""
    return AMOUNT_ORDER.index(verdict) if verdict in AMOUNT_ORDER else None


#: The exit code a range verdict alone asks for (the overall exit also reads the status).
VERDICT_EXIT: Final[dict[str, int]] = {
    "within-range": 0,
    "below-range": 1,
    "above-range": 1,
    "exceeds-maximum": 1,
    "contraindicated": 1,
    "cannot-check": 3,
}
#: The least overall status a verdict implies (above a label maximum is at least ``major``).
VERDICT_STATUS: Final[dict[str, Status]] = {
    "contraindicated": "contraindicated",
    "exceeds-maximum": "major",
    "cannot-check": "cannot-check",
    "above-range": "ok",
    "below-range": "ok",
    "within-range": "ok",
}


def order_status(verdict: str, findings: tuple[Finding, ...] | list[Finding]) -> Status:
    """The overall status of an order: the worst of its findings' statuses and of the status
    its verdict implies (:data:`calcidose.results.STATUSES` order)."""
    found = status_of(tuple(findings))
    floor = VERDICT_STATUS[verdict]
    return found if STATUSES.index(found) <= STATUSES.index(floor) else floor


def order_exit_code(status: str, verdict: str) -> int:
    """1 when the status (contraindicated, major) or the range verdict (out of range, above a
    maximum) says not to give as written; else 3 when either is not verified; else 0."""
    codes = {exit_code(status), VERDICT_EXIT[verdict]}
    return 1 if 1 in codes else (3 if 3 in codes else 0)


#: Route words accepted on an order (exact, case-insensitive): the table ids and two
#: unambiguous abbreviations. "SC"/"SQ" are refused: ISMP lists them as error-prone.
ROUTE_WORDS: Final[dict[str, str]] = {
    **{r: r for r in ROUTES if r != "none"},
    "iv": "intravenous",
    "po": "oral",
}
_ROUTE_REFUSED: Final = {
    "sc": "write 'subcutaneous' (SC is mistaken for SL, sublingual)",
    "sq": "write 'subcutaneous' (SQ is mistaken for '5 every')",
}

#: cannot-check codes whose missing input cannot make the order contraindicated nor change its
#: regimen: they do not hide ``exceeds-maximum``. Every other cannot-check (an unknown
#: contraindication, medication, condition or age, no regimen for the route or the age) does.
_NOT_BLOCKING_CODES: Final = frozenset(
    {"missing-weight", "missing-height", "volume-needs-concentration", "no-sourced-range"}
)
_AMOUNT_SPELLINGS: Final = {"g": "g", "mg": "mg", "mcg": "ug", "ug": "ug", "mL": "mL", "ml": "mL"}
_PINT_SPELLINGS: Final = {
    "gram": "g",
    "milligram": "mg",
    "microgram": "ug",
    "milliliter": "mL",
}
_PER_OF_BASIS: Final = {
    "per-day": "day",
    "per-administration": "administration",
    "per-week": "week",
    "per-course": "course",
    "per-session": "session",
}
_EPS: Final = 1e-9


# --- results -----------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Maximum:
    """A maximum the order was compared with, in the unit the table wrote it in.

    ``kind`` is ``label``, ``guideline``, ``policy`` or ``regimen`` (a cap of the regimen or of
    the drug) or ``rule <id>``
    (a limit an interaction or renal rule imposes). ``ordered`` is the order in the same unit
    and basis (None when the order cannot be put in that basis, e.g. a course total of a daily
    order); ``exceeded`` is None then.
    """

    per: str
    value: float
    unit: str
    kind: str
    sources: tuple[str, ...]
    note: str
    ordered: float | None
    exceeded: bool | None

    @property
    def hard(self) -> bool:
        """A label, policy or rule maximum (exceeding it is ``exceeds-maximum``); a cap from
        the calcinosis reports (``regimen``) makes the order ``above-range`` instead."""
        return self.kind != "regimen"

    def to_dict(self) -> dict[str, Any]:
        return {
            "per": self.per,
            "max": quantity_dict(self.value, self.unit),
            "kind": self.kind,
            "ordered": quantity_dict(self.ordered, self.unit),
            "exceeded": self.exceeded,
            "sources": list(self.sources),
            "note": self.note,
        }


@attrs.frozen(slots=True)
class Dispensed:
    """What the ordered amount is given as with one product of the regimen.

    ``units``: the fewest whole tablets/capsules of ``strengths`` making the amount exactly
    (``((1, 90.0),)``), empty when no whole number of them does. For a solution measured by
    volume: ``volume`` (mL) of ``concentration`` (mg/mL), and ``measurable`` whether that volume
    is a whole number of the product's ``volume_step`` (mL). Strengths are in ``unit``.
    """

    form: str
    unit: str
    strengths: tuple[float, ...] = ()
    units: tuple[tuple[int, float], ...] = ()
    concentration: float | None = None
    volume: float | None = None
    volume_step: float | None = None
    measurable: bool = False

    @property
    def given(self) -> bool:
        """True when this product gives the ordered amount exactly."""
        return bool(self.units) or (self.volume is not None and self.measurable)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"form": self.form, "given": self.given}
        if self.concentration is not None:
            out["concentration"] = quantity_dict(self.concentration, "mg/mL")
            out["volume"] = quantity_dict(self.volume, "mL")
            out["volume_step"] = quantity_dict(self.volume_step, "mL")
        else:
            out["strengths"] = [quantity_dict(v, self.unit) for v in self.strengths]
            out["units"] = [
                {"count": n, "strength": quantity_dict(v, self.unit)} for n, v in self.units
            ]
        return out


@attrs.frozen(slots=True)
class OrderCheck:
    """The verdict on a written order, with everything it rests on. ``to_dict()`` is the JSON.

    Quantities are (value, UCUM code) pairs; ``per_day`` is None for an order that is not
    daily, ``per_week`` for an order that is neither weekly-type nor checked against a weekly
    regimen, ``per_course`` unless the regimen has courses.
    """

    drug: str
    drug_name: str
    regimen: str | None
    regimen_title: str | None
    route: str | None
    verdict: Verdict
    status: Status
    amount: tuple[float, str]
    frequency: str
    frequency_text: str
    ordered_route: str | None
    per_administration: tuple[float, str] | None
    per_day: tuple[float, str] | None
    per_week: tuple[float, str] | None
    per_course: tuple[float, str] | None
    expected_basis: str | None
    expected_low: float | None
    expected_high: float | None
    expected_unit: str | None
    maxima: tuple[Maximum, ...]
    findings: tuple[Finding, ...]
    trace: tuple[Step, ...]
    sources: tuple[str, ...]
    evidence: str | None
    range_origin: str | None
    high_alert: bool
    tables_version: str
    #: what the ordered amount is given as, per product of the regimen (:class:`Dispensed`)
    dispensed: tuple[Dispensed, ...] = ()
    #: the tables used (:meth:`calcidose.catalog.model.Catalog.provenance`): shipped edition
    #: and each overlay's name, version and content hash
    tables: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this order (:func:`order_exit_code`)."""
        return order_exit_code(self.status, self.verdict)

    @property
    def complete(self) -> bool:
        """False when something could not be checked (a cannot-check finding or verdict), even
        when a known contraindicated or major finding gives the status."""
        return self.verdict != "cannot-check" and is_complete(self.findings)

    @property
    def order_text(self) -> str:
        """The order as ISMP text: ``90 mg three times daily (oral)``."""
        value, code = self.amount
        route = f" ({self.ordered_route})" if self.ordered_route else ""
        return f"{units.format_quantity(value, code)} {self.frequency_text}{route}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (schema ``calcidose/order-check/2``, docs/checking.md)."""

        def q(pair: tuple[float, str] | None) -> dict[str, Any] | None:
            return None if pair is None else quantity_dict(pair[0], pair[1])

        expected = None
        if self.expected_unit is not None:
            expected = {
                "basis": self.expected_basis,
                "low": quantity_dict(self.expected_low, self.expected_unit),
                "high": quantity_dict(self.expected_high, self.expected_unit),
            }
        return {
            "schema": ORDER_CHECK_SCHEMA,
            "drug": self.drug,
            "drug_name": self.drug_name,
            "regimen": self.regimen,
            "regimen_title": self.regimen_title,
            "route": self.route,
            "verdict": self.verdict,
            "status": self.status,
            "complete": self.complete,
            "order": {
                "amount": q(self.amount),
                "frequency": self.frequency,
                "frequency_text": self.frequency_text,
                "route": self.ordered_route,
                "text": self.order_text,
            },
            "ordered": {
                "per_administration": q(self.per_administration),
                "per_day": q(self.per_day),
                "per_week": q(self.per_week),
                "per_course": q(self.per_course),
                "dispense": [d.to_dict() for d in self.dispensed],
            },
            "expected": expected,
            "maxima": [m.to_dict() for m in self.maxima],
            "evidence": self.evidence,
            "range_origin": self.range_origin,
            "high_alert": self.high_alert,
            "findings": [f.to_dict() for f in self.findings],
            "trace": [s.to_dict() for s in self.trace],
            "sources": list(self.sources),
            "tables_version": self.tables_version,
            "tables": dict(self.tables),
        }


# --- reading the order -------------------------------------------------------------------------


def parse_route(text: str | None) -> str | None:
    """A route word (``oral``, ``intravenous``, ``iv``, ``po``, ...) -> the table's route id."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise OrderError(f"route must be text, not {type(text).__name__}")
    key = text.strip().lower()
    found = ROUTE_WORDS.get(key)
    if found is not None:
        return found
    if key in _ROUTE_REFUSED:
        raise OrderError(
            f"route {text!r} is an ISMP error-prone abbreviation: {_ROUTE_REFUSED[key]}"
        )
    raise OrderError(f"route {text!r} is not recognised; accepted: {', '.join(ROUTE_WORDS)}")


def _given_code(value: object) -> str:
    """The UCUM code of the unit the order was written in (for the output).

    Called only after :func:`calcidose.units.parse` accepted ``value``, so its unit is one of
    the whitelist's; anything else is an error, never a unit guessed for the output.
    """
    if isinstance(value, str):
        match = re.fullmatch(r"\s*[0-9.]+\s*(\S+)\s*", value)
        found = _AMOUNT_SPELLINGS.get(match.group(1)) if match is not None else None
    else:
        found = _PINT_SPELLINGS.get(units.pint_unit_name(value))
    if found is None:
        raise OrderError(f"amount {value!r}: the unit it was written in is not recognised")
    return found


def _parse_amount(value: object) -> tuple[float, str, str]:
    """(canonical magnitude, kind ``amount`` (mg) or ``volume`` (mL), UCUM code as given)."""
    try:
        return units.parse(value, "amount"), "amount", _given_code(value)
    except UnitError:
        pass
    try:
        return units.parse(value, "volume"), "volume", _given_code(value)
    except UnitError:
        raise OrderError(
            f"amount {value!r}: the unit is not accepted; accepted: "
            f"{', '.join(units.ACCEPTED['amount'])} (amounts) or "
            f"{', '.join(units.ACCEPTED['volume'])} (volumes)"
        ) from None


# --- choosing the regimen ----------------------------------------------------------------------


def _age_fit(regimen: Regimen, age: float | None) -> bool | None:
    pop = regimen.population
    if pop.min_age is None and pop.max_age is None:
        return True
    if age is None:
        return None
    days = age * 365.25
    if pop.min_age is not None and days < pop.min_age.value * units.UCUM[pop.min_age.unit].factor:
        return False
    return not (
        pop.max_age is not None and days >= pop.max_age.value * units.UCUM[pop.max_age.unit].factor
    )


def _same_schedule(a: Frequency, b: Frequency) -> bool:
    return a.count == b.count and math.isclose(a.period_days, b.period_days)


def _freq_fit(regimen: Regimen, freq: Frequency) -> int:
    """2: the frequency is the regimen's (or the same schedule); 1: its basis can take it;
    0: it cannot."""
    listed = [by_id(f) for f in regimen.frequencies]
    if any(_same_schedule(freq, f) for f in listed):
        return 2
    if regimen.dose is None:  # not dosable: nothing but its own schedule fits
        return 0
    basis = regimen.dose.basis
    if basis == "per-day":
        return 1 if freq.period_days <= 1.0 else 0
    if basis == "per-week":
        return 1 if math.isclose(freq.period_days, 7.0) or freq.id == "once" else 0
    if freq.id == "once":
        return 1
    return 1 if not listed else 0


def _population_text(age: float | None) -> str:
    return "age not given" if age is None else f"age {units.format_quantity(age, 'a')}"


def _describe(regimen: Regimen, freq: Frequency, age: float | None) -> str:
    fit = _age_fit(regimen, age)
    parts = [f"route {regimen.route}"]
    fq = _freq_fit(regimen, freq)
    parts.append(
        f"{freq.text} is one of its frequencies"
        if fq == 2
        else (f"{freq.text} is not one of its frequencies" if regimen.frequencies else "")
    )
    label = regimen.population.label
    parts.append(
        f"{label}: fits {_population_text(age)}"
        if fit
        else (f"{label}: {_population_text(age)}" if fit is None else f"{label}: does not fit")
    )
    if not regimen.dosable:
        parts.append("not dosable")
    return ", ".join(p for p in parts if p)


def _choose(
    drug: Drug,
    patient: Patient,
    freq: Frequency,
    route: str | None,
    regimen_id: str | None,
) -> tuple[Regimen | None, list[Finding], list[Step]]:
    findings: list[Finding] = []
    steps: list[Step] = []
    age = patient.age_years
    if regimen_id is not None:
        chosen = require_regimen(drug, regimen_id)
        if route is not None and chosen.route != route:
            raise OrderError(
                f"the order says route {route}, but regimen {chosen.id} is {chosen.route}"
            )
        steps.append(Step("regimen", f"{chosen.id}: asked for ({_describe(chosen, freq, age)})"))
        return chosen, findings, steps
    pool = list(drug.regimens)
    if route is not None:
        pool = [r for r in pool if r.route == route]
        if not pool:
            routes = ", ".join(sorted({r.route for r in drug.regimens}))
            findings.append(
                Finding(
                    "cannot-check",
                    "no-regimen-for-route",
                    f"{drug.name} has no {route} regimen in the tables (its routes: {routes}); "
                    "there is no sourced range to check this order against",
                    "Check the route; calcidose has no sourced dose for this one.",
                    drug.sources,
                    ("a regimen for this route",),
                )
            )
            return None, findings, steps

    def score(r: Regimen) -> tuple[bool, int, bool]:
        return (_age_fit(r, age) is not False, _freq_fit(r, freq), r.dosable)

    best = max(score(r) for r in pool)
    if not best[0]:
        labels = "; ".join(f"{r.id} ({r.population.label})" for r in pool)
        findings.append(
            Finding(
                "cannot-check",
                "no-regimen-for-age",
                f"no regimen of {drug.name} covers a patient of "
                f"{units.format_quantity(age or 0, 'a')} ({labels})",
                "No sourced dose exists for this age; do not extrapolate.",
                drug.sources,
            )
        )
        return None, findings, steps
    tied = [r for r in pool if score(r) == best]
    if age is None and len({(r.population.min_age, r.population.max_age) for r in tied}) > 1:
        labels = "; ".join(f"{r.id} ({r.population.label})" for r in tied)
        findings.append(
            Finding(
                "cannot-check",
                "missing-age",
                f"the order fits regimens of {drug.name} for different ages ({labels}); "
                "the patient's age is not given",
                "Give the patient's age, or name a regimen.",
                missing=("age",),
            )
        )
        return None, findings, steps
    # Never by the ordered amount: a choice by amount fit would pick a regimen because its
    # range (or its limits) are looser, and a larger amount could then read better than a
    # smaller one (issue 10 section 3). Between regimens still tied, the tables' order decides
    # (the first is the standard one); another regimen is named with regimen=.
    chosen = tied[0]
    others = [r for r in pool if r is not chosen]
    rest = (
        "; not chosen: " + "; ".join(f"{r.id} ({_describe(r, freq, age)})" for r in others)
        if others
        else ""
    )
    steps.append(
        Step(
            "regimen",
            f"{chosen.id} chosen for this order ({_describe(chosen, freq, age)}){rest}",
        )
    )
    return chosen, findings, steps


# --- the check ---------------------------------------------------------------------------------


class _Order:
    """The order in canonical units."""

    def __init__(self, amount: float, kind: str, freq: Frequency) -> None:
        self.amount = amount  # mg, or mL for a volume not converted
        self.kind = kind  # amount | volume
        self.freq = freq
        self.converted_mg: float | None = amount if kind == "amount" else None

    @property
    def daily(self) -> bool:
        return 0.0 < self.freq.period_days <= 1.0

    @property
    def once(self) -> bool:
        return self.freq.period_days == 0.0

    def per_day(self) -> float | None:
        """Per day for a daily order (a single administration counts as one day)."""
        if self.converted_mg is None:
            return None
        if self.once:
            return self.converted_mg
        if self.daily:
            return self.converted_mg * self.freq.count / self.freq.period_days
        return None

    def dosing_day(self) -> float | None:
        """The most given on any one day (one administration a day for non-daily schedules)."""
        if self.converted_mg is None:
            return None
        if self.daily:
            return self.converted_mg * self.freq.count / self.freq.period_days
        return self.converted_mg

    def week_average(self) -> float | None:
        if self.converted_mg is None:
            return None
        if self.once:
            return self.converted_mg
        return self.converted_mg * self.freq.count * 7.0 / self.freq.period_days

    def busiest_week(self) -> float | None:
        """The most given in any 7 days (every other day: 4 administrations in some weeks)."""
        if self.converted_mg is None:
            return None
        if self.once:
            return self.converted_mg
        per_week = self.freq.count * 7.0 / self.freq.period_days
        return self.converted_mg * max(1, math.ceil(per_week - _EPS))

    def require_finite(self, given: object) -> None:
        """Refuse an order whose totals overflow a float (1e305 g qid is infinite mg per day):
        an infinite total would be compared, displayed and written as if it were a dose."""
        totals = (
            self.converted_mg,
            self.per_day(),
            self.dosing_day(),
            self.week_average(),
            self.busiest_week(),
        )
        if any(total is not None and not math.isfinite(total) for total in totals):
            raise OrderError(
                f"amount {_shown(given)} {self.freq.text}: the total is too large to be a real "
                "quantity (it overflows); check the amount and its unit"
            )


def _amount_code(code: str) -> str:
    return code if code in ("g", "mg", "ug") else "mg"


def _per_day_code(code: str) -> str:
    return {"g": "g/d", "ug": "ug/d"}.get(code, "mg/d")


def _per_week_code(code: str) -> str:
    return "g/wk" if code == "g" else "mg/wk"


def _out(value: float | None, code: str) -> tuple[float, str] | None:
    return None if value is None else (value / units.UCUM[code].factor, code)


def _displayed(value: float, code: str) -> float:
    """A bound as the pharmacist sees it (ISMP rounding), for a fair comparison."""
    return float(units.format_number(value).replace(",", "")) * units.UCUM[code].factor


#: Dosage-form words of a modified-release product (USP and EDQM Standard Terms: extended-,
#: prolonged-, delayed-, modified-, controlled-, sustained-release).
_MODIFIED_RELEASE: Final = re.compile(
    r"\b(extended|prolonged|delayed|modified|controlled|sustained)[- ]release\b", re.IGNORECASE
)


def _is_modified_release(form: str) -> bool:
    """True when a product's dosage form names a modified release (an ER or DR form)."""
    return _MODIFIED_RELEASE.search(form) is not None


def _rate(freq: Frequency) -> float:
    return freq.count / freq.period_days if freq.period_days > 0 else 0.0


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

    plan: DosePlan | None = None
    if chosen is not None:
        plan = dose(entry.id, patient, chosen.id, catalog=cat)
        volume_steps: list[Step] = []
        volume_findings: list[Finding] = []
        if kind == "volume":
            _convert_volume(order, chosen, volume_steps, volume_findings)
        plan_steps, plan_findings = _for_the_order(cat, plan, chosen, order)
        findings.extend(plan_findings)
        steps.extend(s for s in plan_steps if s.label != "regimen")
        steps.extend(volume_steps)
        findings.extend(volume_findings)

    order.require_finite(amount)
    facts = OrderFacts(order.converted_mg, order.per_day(), order.week_average())
    outcome = evaluate(cat, entry, chosen, patient, facts)
    if chosen is None:
        findings.extend(outcome.findings)
        steps.extend(outcome.steps)
    findings.extend(outcome.order_findings)

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

    comparison = _Comparison(cat, order, chosen, plan, out_code, entry, patient.weight_kg)
    comparison.run(outcome.limits, steps, findings)
    mix_up = _unit_mix_up(comparison, per_admin, per_day, per_week, (value, code))
    if mix_up is not None:
        findings.append(mix_up)

    verdict = _verdict(entry, chosen, findings, comparison)
    # a limit rule is a caution when the order is within its limits, major when it is not
    # (calcidose.engine.limits); the plan's finding is replaced by the rule's own, settled
    limits_mod.settle(
        findings,
        entry,
        limits_mod.respected_by(
            (m.kind, None if m.exceeded is None else not m.exceeded) for m in comparison.maxima
        ),
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


def _dispensed(
    catalog: Catalog, order: _Order, regimen: Regimen | None, out_code: str
) -> tuple[Dispensed, ...]:
    """What the ordered amount is given as, with each product of the regimen for the ordered
    frequency (every product of the regimen when none is for it): the fewest whole units of
    its strengths, or the volume of its concentration and whether it can be measured."""
    mg = order.converted_mg
    if regimen is None or mg is None:
        return ()
    splits, _ = _compiled(catalog, regimen)
    usable = [s for s in splits if s.measure in ("strengths", "volume")]
    chosen = [s for s in usable if s.freq.id == order.freq.id] or usable
    factor = units.UCUM[out_code].factor
    out: list[Dispensed] = []
    seen: set[tuple[object, ...]] = set()
    for split in chosen:
        key = (split.form, split.strengths, split.concentration, split.step)
        if key in seen:
            continue
        seen.add(key)
        if split.measure == "strengths":
            made = fewest_units(mg, split.strengths)
            out.append(
                Dispensed(
                    split.form,
                    out_code,
                    strengths=tuple(v / factor for v in split.strengths),
                    units=tuple((n, v / factor) for n, v in made),
                )
            )
        elif split.concentration is not None and split.step is not None:
            count = mg / split.step
            out.append(
                Dispensed(
                    split.form,
                    out_code,
                    concentration=split.concentration,
                    volume=mg / split.concentration,
                    volume_step=split.step / split.concentration,
                    measurable=abs(count - round(count)) <= 1e-6 * max(1.0, count),
                )
            )
    return tuple(out)


#: The dose plan's findings that belong to one rounding (one frequency and product).
_ROUNDING_FINDINGS: Final = frozenset({"no-practical-amount", "below-smallest-strength"})


def _for_the_order(
    catalog: Catalog, plan: DosePlan, regimen: Regimen, order: _Order
) -> tuple[list[Step], list[Finding]]:
    """The plan's trace and findings without the roundings the order does not use.

    The plan rounds the range for every (frequency, product) pair of the regimen; an order is
    given at one frequency with one product, so only the roundings of the ordered frequency
    are kept, and of its products only those the ordered amount can be made of (a multiple of
    the product's step, at least its smallest strength). When the amount fits none of them
    (an amount no product gives), every product of the ordered frequency is kept, so the
    practical amounts stay in view.
    """
    splits, _ = _compiled(catalog, regimen)
    mg = order.converted_mg

    def fits(split: Any) -> bool:
        if mg is None or split.step is None:
            return True
        if mg < split.smallest * (1 - 1e-9):
            return False
        count = mg / split.step
        return bool(abs(count - round(count)) <= 1e-6 * max(1.0, count))

    same = [s for s in splits if s.freq.id == order.freq.id]
    kept = [s for s in same if fits(s)] or same
    dropped = [s for s in splits if s not in kept]

    def rounding_of(step: Step, split: Any) -> bool:
        return step.label == split.label and step.formula.startswith(f"{split.freq.text}: ")

    def finding_of(finding: Finding, split: Any) -> bool:
        return finding.code in _ROUNDING_FINDINGS and finding.message.startswith(
            f"{split.freq.text} with {split.form}:"
        )

    trace = [s for s in plan.trace if not any(rounding_of(s, d) for d in dropped)]
    found = [f for f in plan.findings if not any(finding_of(f, d) for d in dropped)]
    return trace, found


def _convert_volume(
    order: _Order, regimen: Regimen, steps: list[Step], findings: list[Finding]
) -> None:
    """A volume order of a drug dosed by amount: mL x the product's concentration."""
    wants_volume = regimen.dose is not None and regimen.dose.low.unit == "mL"
    if wants_volume or (regimen.dose is None and all(c.max.unit == "mL" for c in regimen.caps)):
        return
    concentrations = {
        (p.concentration.value * units.UCUM[p.concentration.unit].factor, p.form): p
        for p in regimen.products
        if p.concentration is not None
        and p.concentration.unit == "mg/mL"
        and (not p.frequencies or order.freq.id in p.frequencies)
    }
    distinct = {c for c, _ in concentrations}
    if len(distinct) != 1:
        listed = (
            ", ".join(units.format_quantity(c, "mg/mL") for c in sorted(distinct))
            or "none in the tables"
        )
        findings.append(
            Finding(
                "cannot-check",
                "volume-needs-concentration",
                f"the order is a volume ({units.format_quantity(order.amount, 'mL')}) and the "
                f"regimen is dosed by amount; the concentration is not known "
                f"(products: {listed})",
                "Write the order as an amount (mg or g), or name the product.",
                regimen.sources,
                ("the amount in mg, or the concentration",),
            )
        )
        return
    ((conc, form), product) = next(iter(concentrations.items()))
    order.converted_mg = order.amount * conc
    steps.append(
        Step(
            "volume to amount",
            f"{{volume}} x {{concentration}} ({form}) = {{amount}}",
            (
                ("volume", order.amount, "mL"),
                ("concentration", conc, "mg/mL"),
                ("amount", order.converted_mg, "mg"),
            ),
            sources=product.sources,
        )
    )


#: A probable unit mix-up: the order, read 1,000 times smaller or larger, falls inside the
#: expected range widened by this fraction on each side (calcidose product decision).
_MIX_UP_SLACK: Final = 0.1


def _unit_mix_up(
    comparison: _Comparison,
    per_admin: tuple[float, str] | None,
    per_day: tuple[float, str] | None,
    per_week: tuple[float, str] | None,
    written: tuple[float, str],
) -> Finding | None:
    """A major finding when the order is about 1,000 times (g for mg, mg for mcg) or 1/1,000
    of (mcg for mg, mg for g) the expected range for this patient; None otherwise."""
    low, high, unit = comparison.expected_low, comparison.expected_high, comparison.expected_unit
    basis = comparison.expected_basis
    pair = {"per-day": per_day, "per-week": per_week, "per-course": comparison.per_course}.get(
        basis or "", per_admin
    )
    if low is None or high is None or unit is None or pair is None or high <= 0:
        return None
    if units.UCUM[pair[1]].dimension != units.UCUM[unit].dimension:
        return None
    ordered = pair[0] * units.UCUM[pair[1]].factor / units.UCUM[unit].factor
    lo, hi = low * (1 - _MIX_UP_SLACK), high * (1 + _MIX_UP_SLACK)
    if lo <= ordered / 1000 <= hi:
        how, slip = "1,000 times", "g written for mg, or mg for mcg"
    elif lo <= ordered * 1000 <= hi:
        how, slip = "one thousandth of", "mcg written for mg, or mg for g"
    else:
        return None
    return Finding(
        "major",
        "probable-unit-mix-up",
        message=f"the order ({{written}}, {{ordered}}) is {how} the expected {{low}} to {{high}}: "
        "a probable "
        f"unit mix-up ({slip})",
        management="Confirm the amount and its unit with the prescriber before dispensing.",
        terms=(
            ("written", written[0] / units.UCUM[written[1]].factor, written[1]),
            ("ordered", ordered, unit),
            ("low", low, unit),
            ("high", high, unit),
        ),
    )


class _Comparison:
    """The order against the expected range and every maximum."""

    def __init__(
        self,
        catalog: Catalog,
        order: _Order,
        regimen: Regimen | None,
        plan: DosePlan | None,
        code: str,
        drug: Drug | None = None,
        weight_kg: float | None = None,
    ):
        self.catalog = catalog
        self.drug = drug
        self.weight_kg = weight_kg
        self.order = order
        self.regimen = regimen
        self.plan = plan
        self.code = code
        self.maxima: list[Maximum] = []
        self.expected_basis: str | None = None
        self.expected_low: float | None = None
        self.expected_high: float | None = None
        self.expected_unit: str | None = None
        self.per_course: tuple[float, str] | None = None
        self.range_result: str | None = None  # above | below | within | None (not compared)

    # the order in the basis of a maximum (canonical), or None
    def _ordered_for(self, per: str, unit: str) -> float | None:
        o = self.order
        if per in ("administration", "session"):
            if units.UCUM[unit].dimension == "volume":
                return o.amount if o.kind == "volume" else None
            return o.converted_mg
        if per == "day":
            return o.dosing_day()
        if per == "week":
            return o.busiest_week()
        if per == "course":
            total = self._course_total()
            return total if total is not None else self._least_course()
        return None

    def _least_course(self) -> float | None:
        """A daily order of a course regimen: the least course it can make, the daily amount
        over the fewest days of the course (a course maximum below that is exceeded anyway)."""
        r, o = self.regimen, self.order
        day = o.dosing_day() if o.daily else None
        if r is None or r.course is None or r.course.min_days is None or day is None:
            return None
        return day * r.course.min_days

    def _course_total(self) -> float | None:
        r = self.regimen
        o = self.order
        if r is None or o.converted_mg is None or r.course is None:
            return None
        if r.course.administrations is not None:
            return o.converted_mg * r.course.administrations
        if r.dose is not None and r.dose.basis == "per-course" and not o.daily:
            return o.converted_mg
        return None

    def run(self, rule_limits: list[Any], steps: list[Step], findings: list[Finding]) -> None:
        r = self.regimen
        if r is None:
            return
        # the regimen's caps and the drug's (which bound every regimen), per-kg ones scaled by
        # the weight (without it they are a missing-weight finding of the plan)
        limits: list[Limit] = cap_limits(self.catalog, self.drug, r, self.weight_kg)[0]
        limits.extend(rule_limits)
        total = self._course_total()
        if total is not None:
            self.per_course = _out(total, self.code)
        for lim in limits:
            ordered = self._ordered_for(lim.per, lim.unit)
            factor = units.UCUM[lim.unit].factor
            exceeded = None if ordered is None else ordered > lim.value * (1 + _EPS) + _EPS
            m = Maximum(
                lim.per,
                lim.value / factor,
                lim.unit,
                lim.kind,
                lim.sources,
                lim.note,
                None if ordered is None else ordered / factor,
                exceeded,
            )
            self.maxima.append(m)
            if ordered is None:
                steps.append(
                    Step(
                        f"maximum ({lim.kind})",
                        f"at most {{max}}{_per_text(lim.per)}: "
                        f"the order cannot be put per {lim.per}",
                        (("max", m.value, lim.unit),),
                        sources=lim.sources,
                    )
                )
                continue
            sign = ">" if exceeded else "<="
            steps.append(
                Step(
                    f"maximum ({lim.kind})",
                    f"ordered {{ordered}} {sign} {{max}}{_per_text(lim.per)}",
                    (("ordered", ordered / factor, lim.unit), ("max", m.value, lim.unit)),
                    sources=lim.sources,
                )
            )
            if exceeded:
                findings.append(
                    Finding(
                        "major",
                        "order-exceeds-maximum" if m.hard else "order-above-reported-maximum",
                        f"the order gives {units.format_amount(ordered / factor, lim.unit)}"
                        f"{_per_text(lim.per)}, above the {_kind_text(lim.kind)} maximum of "
                        f"{units.format_amount(m.value, lim.unit)}"
                        + (f" ({lim.note})" if lim.note else ""),
                        "Do not give as written; at most "
                        f"{units.format_amount(m.value, lim.unit)}{_per_text(lim.per)}.",
                        lim.sources,
                    )
                )
        self._range(steps, findings)

    def _range(self, steps: list[Step], findings: list[Finding]) -> None:
        r, plan, o = self.regimen, self.plan, self.order
        assert r is not None
        if plan is None or plan.dose is None:  # dose() gives a range only if r.dose has one
            return
        dose = plan.dose
        basis = dose.basis
        factor = units.UCUM[dose.unit].factor
        low, high = dose.low * factor, dose.high * factor
        unit = dose.unit
        freq = o.freq
        listed = [by_id(f) for f in r.frequencies]
        more = less = False
        ordered: float | None
        if basis == "per-day":
            ordered = o.dosing_day()  # the most on any one day (a daily order: its per-day total)
            less = not (o.daily or o.once)
            if less:
                findings.append(
                    Finding(
                        "major",
                        "less-often-than-regimen",
                        f"{r.title}: the regimen is a dose per day, every day; the order is "
                        f"{freq.text}. calcidose does not average a daily dose over longer "
                        "periods; each dosing day is compared with the daily range",
                        "Order the drug daily, as the regimen gives it, or document why not.",
                        r.sources,
                    )
                )
        elif basis == "per-week":
            ordered = o.week_average()
            if o.daily:
                findings.append(
                    Finding(
                        "major",
                        "weekly-regimen-ordered-daily",
                        f"{r.title}: {plan.drug_name} is given once a week; this order is "
                        f"{freq.text}. A weekly dose is never given daily",
                        "Rewrite the order once weekly.",
                        r.sources,
                    )
                )
                more = True
        elif basis == "per-course":
            more, less = self._rate_findings(r, listed, findings)
            window = self._course_window(o, r, low, high, steps, findings, more, less)
            if window is None:
                return
            ordered, low, high, unit = window
            basis = "per-day"
        else:  # per-administration, per-session
            ordered = (
                o.converted_mg
                if units.UCUM[unit].dimension == "amount"
                else (o.amount if o.kind == "volume" else None)
            )
        if basis in ("per-week", "per-administration", "per-session") and not more:
            more, less = self._rate_findings(r, listed, findings)
        if (
            dose.basis == "per-day"
            and listed
            and o.daily
            and _rate(freq) > max(_rate(f) for f in listed) * (1 + _EPS)
        ):
            # The total per day is still compared, with every per-dose and per-day cap, so a
            # daily total split into more doses is a schedule to confirm (moderate), unless the
            # regimen has a modified-release product: those are made for their own schedule
            # (an extended-release capsule once daily) and a split is a dosing error (major).
            modified = [p.form for p in r.products if _is_modified_release(p.form)]
            findings.append(
                Finding(
                    "major" if modified else "moderate",
                    "more-often-than-regimen",
                    f"{r.title}: ordered {freq.text}, more often than the regimen "
                    f"({', '.join(f.text for f in listed)}); the total per day is compared"
                    + (
                        f"; a modified-release product ({', '.join(modified)}) is given only "
                        "on its own schedule"
                        if modified
                        else ""
                    ),
                    "Check the frequency with the prescriber.",
                    r.sources,
                )
            )
        elif (
            dose.basis == "per-day"
            and listed
            and o.daily
            and not any(_same_schedule(freq, f) for f in listed)
        ):
            findings.append(
                Finding(
                    "minor",
                    "frequency-not-in-regimen",
                    f"{r.title}: {freq.text} is not one of the regimen's frequencies "
                    f"({', '.join(f.text for f in listed)}); the total per day is compared",
                    "Check that a product exists for this frequency.",
                    r.sources,
                )
            )
        if ordered is None:
            return
        self._compare_plain(ordered, low, high, unit, basis, steps, findings, r, more, less)

    def _rate_findings(
        self, r: Regimen, listed: list[Frequency], findings: list[Finding]
    ) -> tuple[bool, bool]:
        """(more, less): an order repeated more (less) often than every schedule of the regimen
        is a finding and never within range (issue 10 section 5). A single administration has
        no rate; a per-course regimen is also given daily within its course (that is compared
        with the daily share of the course, not here)."""
        o, freq = self.order, self.order.freq
        assert r.dose is not None
        if not listed or o.once or (r.dose.basis == "per-course" and o.daily):
            return False, False
        top = max(_rate(f) for f in listed)
        bottom = min(_rate(f) for f in listed)
        rate = _rate(freq)
        if rate > top * (1 + _EPS):
            findings.append(
                Finding(
                    "major",
                    "more-often-than-regimen",
                    f"{r.title}: ordered {freq.text}, more often than the regimen "
                    f"({', '.join(f.text for f in listed)})",
                    "Check the frequency with the prescriber.",
                    r.sources,
                )
            )
            return True, False
        if rate < bottom * (1 - _EPS):
            findings.append(
                Finding(
                    "moderate",
                    "less-often-than-regimen",
                    f"{r.title}: ordered {freq.text}, less often than the regimen "
                    f"({', '.join(f.text for f in listed)})",
                    "Check the frequency with the prescriber.",
                    r.sources,
                )
            )
            return False, True
        return False, False

    def _course_window(
        self,
        o: _Order,
        r: Regimen,
        low: float,
        high: float,
        steps: list[Step],
        findings: list[Finding],
        more: bool = False,
        less: bool = False,
    ) -> tuple[float, float, float, str] | None:
        """A per-course regimen: a per-course order is compared with the course range; a daily
        (or single-day) order with the daily share of the course over its days."""
        assert self.plan is not None and self.plan.dose is not None
        unit = self.plan.dose.unit
        factor = units.UCUM[unit].factor
        course = r.course
        mg = o.converted_mg
        if mg is None:
            return None
        days_min = course.min_days if course is not None else None
        days_max = (course.max_days or days_min) if course is not None else None
        listed = [by_id(f) for f in r.frequencies]
        per_course_order = any(_same_schedule(o.freq, f) for f in listed)
        if per_course_order or days_min is None or days_max is None:
            self.per_course = _out(mg, self.code)
            if days_min is not None and days_max is not None:
                findings.append(
                    Finding(
                        "info",
                        "course-days",
                        f"the course is given over {days_min} to {days_max} consecutive days: "
                        f"{units.format_amount(mg / days_max / factor, unit)} to "
                        f"{units.format_amount(mg / days_min / factor, unit)} per day",
                        "Write the daily amount and the number of days on the order.",
                        r.sources,
                    )
                    if days_min != days_max
                    else Finding(
                        "info",
                        "course-days",
                        f"the course is given over {days_min} consecutive days: "
                        f"{units.format_amount(mg / days_min / factor, unit)} per day",
                        "Write the daily amount and the number of days on the order.",
                        r.sources,
                    )
                )
            self._compare_plain(mg, low, high, unit, "per-course", steps, findings, r, more, less)
            return None
        # a daily (or single-day) order: compare with the daily share of the course
        per_day = o.dosing_day()
        assert per_day is not None
        day_unit = _per_day_code(unit)
        day_factor = units.UCUM[day_unit].factor
        day_low, day_high = low / days_max, high / days_min
        steps.append(
            Step(
                "daily share of the course",
                f"{{low}} / {days_max} days to {{high}} / {days_min} days = "
                "{day_low} to {day_high}",
                (
                    ("low", low / factor, unit),
                    ("high", high / factor, unit),
                    ("day_low", day_low / day_factor, day_unit),
                    ("day_high", day_high / day_factor, day_unit),
                ),
                sources=r.dose.sources if r.dose is not None else (),
            )
        )
        fitting = [
            n
            for n in range(days_min, days_max + 1)
            if low * (1 - 1e-6) <= per_day * n <= high * (1 + 1e-6)
        ]
        if fitting:
            n = fitting[0]
            self.per_course = _out(per_day * n, self.code)
            findings.append(
                Finding(
                    "info",
                    "course-days",
                    f"{units.format_amount(per_day / day_factor, day_unit)} for {n} days gives "
                    f"the course of {units.format_amount(per_day * n / factor, unit)}"
                    + (
                        f" (also {', '.join(str(k) for k in fitting[1:])} days)"
                        if len(fitting) > 1
                        else ""
                    )
                    + "; stop after the course",
                    "Write the number of days on the order.",
                    r.sources,
                )
            )
        return per_day, day_low, day_high, day_unit

    def _compare_plain(
        self,
        ordered: float,
        low: float,
        high: float,
        unit: str,
        basis: str,
        steps: list[Step],
        findings: list[Finding],
        r: Regimen,
        more: bool = False,
        less: bool = False,
    ) -> None:
        """Compare a canonical amount with a canonical range (bounds as displayed, ISMP);
        an order given more (less) often than the regimen is never within range."""
        factor = units.UCUM[unit].factor
        self.expected_basis, self.expected_unit = basis, unit
        self.expected_low, self.expected_high = low / factor, high / factor
        shown_low, shown_high = _displayed(low / factor, unit), _displayed(high / factor, unit)
        if ordered > shown_high * (1 + _EPS) + _EPS:
            result = "above"
        elif ordered < shown_low * (1 - _EPS) - _EPS:
            result = "below"
        else:
            result = "within"
        # equal ends are one value ("2 g/day", never "2 g/day to 2 g/day"), as in every view
        same = units.format_amount(low / factor, unit) == units.format_amount(high / factor, unit)
        span = "{high}" if same else "{low} to {high}"
        steps.append(
            Step(
                f"compare ({basis})",
                f"ordered {{ordered}}: {result} the range {span}",
                (
                    ("ordered", ordered / factor, unit),
                    ("low", low / factor, unit),
                    ("high", high / factor, unit),
                ),
                sources=r.dose.sources if r.dose is not None else (),
            )
        )
        if result != "within":
            origin = "drug label" if r.range_origin == "label" else "calcinosis reports"
            findings.append(
                Finding(
                    "moderate",
                    f"order-{result}-range",
                    f"the order gives {units.format_amount(ordered / factor, unit)}, {result} "
                    f"the range for this patient ({_range_text(low / factor, high / factor, unit)}"
                    f", from the {origin})",
                    "Check the intended dose with the prescriber.",
                    r.dose.sources if r.dose is not None else (),
                )
            )
        elif more:
            result = "above"
        elif less:
            result = "below"
        self.range_result = result


def _per_text(per: str) -> str:
    """' per session' where the unit does not say it (mg/day and mg/week do)."""
    return "" if per in ("day", "week") else f" per {per}"


def _range_text(low: float, high: float, unit: str) -> str:
    if math.isclose(low, high):
        return units.format_amount(low, unit)
    return f"{units.format_amount(low, unit)} to {units.format_amount(high, unit)}"


def _kind_text(kind: str) -> str:
    if kind.startswith("rule "):
        return f"interaction/renal ({kind[5:]})"
    return {"policy": "calcidose policy", "regimen": "reported"}.get(kind, kind)  # label: as is


def _blocking(drug: Drug, finding: Finding) -> bool:
    """A cannot-check finding whose missing input could make the order contraindicated or
    change its regimen (it beats ``exceeds-maximum``)."""
    code = finding.code
    if code.endswith(":cannot-check"):
        rule_id = code[: -len(":cannot-check")]
        return any(r.id == rule_id and r.severity == "contraindicated" for r in drug.rules)
    return code not in _NOT_BLOCKING_CODES  # any other code: fail closed


def _verdict(
    drug: Drug, regimen: Regimen | None, findings: list[Finding], comparison: _Comparison
) -> Verdict:
    """The verdict by precedence (module docstring); adds the finding that explains a
    cannot-check the other findings do not."""
    if regimen is not None and not regimen.dosable:
        findings.append(
            Finding(
                "cannot-check",
                "no-sourced-range",
                f"{regimen.title}: calcidose has no sourced range to check this order "
                f"against ({regimen.not_dosable_reason})",
                "Check the order against the prescriber's plan and the product label.",
                regimen.sources,
            )
        )
    if any(f.severity == "contraindicated" for f in findings):
        return "contraindicated"
    unknown = [f for f in findings if f.severity == "cannot-check"]
    if regimen is None or any(_blocking(drug, f) for f in unknown):
        return "cannot-check"
    exceeded = [m for m in comparison.maxima if m.exceeded]
    if any(m.hard for m in exceeded):
        return "exceeds-maximum"
    if exceeded:
        return "above-range"
    if unknown:
        return "cannot-check"
    if comparison.range_result is None:
        findings.append(
            Finding(
                "cannot-check",
                "order-not-comparable",
                f"{regimen.title}: the order cannot be put in the regimen's basis "
                f"({regimen.dose.basis if regimen.dose else 'none'}), so it cannot be compared",
                "Write the order as the regimen is dosed.",
                regimen.sources,
            )
        )
        return "cannot-check"
    if comparison.range_result == "above":
        return "above-range"
    if comparison.range_result == "below":
        return "below-range"
    return "within-range"
