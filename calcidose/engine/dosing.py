"""The dose engine: a regimen and a patient -> a :class:`~calcidose.results.DosePlan`.

Steps, each recorded in the trace (and, where it changes the answer, as a finding):

1. the regimen: the one asked for, or the dosable regimen whose population (age bounds) fits the
   patient; an unknown age where populations differ gives ``cannot-check`` naming age;
2. the scale: total body weight (kg) or BSA (Mosteller, m2) or none; a missing input gives
   ``cannot-check`` naming it, never a default;
3. the range in the regimen's basis (per day, administration, week, course or session);
4. caps: every cap of the regimen and every limit a firing rule imposes; the strictest applies,
   and a conflict between sources is reported with both;
5. the split into administrations per frequency, and rounding to the strengths of the products
   (Decimal, half up, never past a cap, within one strength step of the exact amount);
6. the rules of :mod:`calcidose.engine.rules` (contraindications, interactions, cautions).

All arithmetic is on canonical floats (kg, m2, mg, mg/d, mg/wk, mL); units are attached only
to the result.
"""

from __future__ import annotations

import math
import threading
from decimal import Decimal
from functools import reduce
from typing import Final

from .. import frequency as freq_mod
from .. import units
from ..catalog import get_catalog, resolve_drug
from ..catalog.model import Cap, Catalog, Drug, Product, Regimen
from ..errors import InputTypeError, PatientTypeError, UnknownRegimenError
from ..patient import Patient
from ..results import (
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
from . import limits as limits_mod
from . import rules
from .dispense import fewest_units
from .limits import Limit
from .rounding import Practical, practical_amounts

__all__ = ["Limit", "cap_limits", "dose", "require_regimen", "select_regimen"]

#: The basis of a range -> the ``per`` of the caps that limit it directly.
_CAP_PER: Final = {
    "per-day": "day",
    "per-administration": "administration",
    "per-week": "week",
    "per-course": "course",
    "per-session": "session",
}
_SUFFIX: Final = {"per-day": "/d", "per-week": "/wk"}
#: The bases whose range is split into administrations (and capped per administration).
_SPLIT_BASES: Final = ("per-day", "per-week", "per-administration")
#: Per-kg cap units -> the unit of the cap once multiplied by the body weight.
_PER_KG_CAP: Final = {"mg/kg/d": "mg/d", "ug/kg/d": "ug/d", "mg/kg": "mg", "g/kg": "g"}


#: Routes whose product strengths are container sizes (vials), not amounts given whole.
_PARENTERAL: Final = frozenset({"intravenous", "subcutaneous", "intralesional"})


class _Split:
    """One (frequency, product) pair of a regimen, with what rounding needs precomputed.

    ``measure`` says how the product gives an amount: ``strengths`` (whole tablets, capsules or,
    when the regimen says so, whole vials), ``volume`` (a solution measured to ``volume_step``
    mL of its concentration: the step is that volume's amount), ``vials-not-rounded`` (a
    parenteral product with strengths but no measurable volume: never rounded to whole vials)
    or ``none`` (nothing to round to).
    """

    __slots__ = (
        "concentration",
        "form",
        "freq",
        "label",
        "measure",
        "smallest",
        "sources",
        "step",
        "strengths",
    )

    def __init__(self, freq: freq_mod.Frequency, product: Product | None, route: str) -> None:
        self.freq = freq
        self.form = product.form if product is not None else ""
        self.sources = product.sources if product is not None else ()
        self.step: float | None = None
        self.smallest = 0.0
        self.concentration: float | None = None
        self.strengths: tuple[float, ...] = ()
        self.measure = "none"
        self.label = f"round to {self.form} strengths"
        if product is None:
            return
        conc = product.concentration
        if product.volume_step is not None and conc is not None and conc.unit == "mg/mL":
            self.concentration = _canonical(conc.value, conc.unit)
            volume = _canonical(product.volume_step.value, product.volume_step.unit)
            self.step = self.smallest = float(
                Decimal(repr(volume)) * Decimal(repr(self.concentration))
            )
            self.measure = "volume"
            self.label = f"measure {self.form} by volume"
        elif product.strengths and (route not in _PARENTERAL or product.whole_vials):
            strengths = [_canonical(s.value, s.unit) for s in product.strengths]
            self.strengths = tuple(strengths)
            self.step = _gcd_step(strengths)
            self.smallest = min(strengths)
            self.measure = "strengths"
        elif product.strengths:
            self.measure = "vials-not-rounded"
            self.label = f"{self.form}: not rounded to whole vials"


class _Regimens:
    """The compiled regimens of one catalog, kept with it (``catalog.derived(_Regimens)``):
    each regimen's splits (per frequency and product) and its caps as limits, built once,
    under a lock. Keyed by the regimen object, which the catalog holds (so the key stays its
    own); a regimen the catalog does not hold (a caller's own) is compiled for the call only."""

    __slots__ = ("_held", "_lock", "_regimens")

    def __init__(self, catalog: Catalog) -> None:
        self._lock = threading.Lock()
        self._regimens: dict[int, tuple[list[_Split], list[Limit]]] = {}
        self._held = {id(r) for d in catalog.drugs.values() for r in d.regimens}

    def get(self, regimen: Regimen) -> tuple[list[_Split], list[Limit]]:
        key = id(regimen)
        if key not in self._held:
            return _compile_regimen(regimen)
        hit = self._regimens.get(key)
        if hit is None:
            with self._lock:
                hit = self._regimens.get(key)
                if hit is None:
                    hit = self._regimens[key] = _compile_regimen(regimen)
        return hit


def _compiled(catalog: Catalog, regimen: Regimen) -> tuple[list[_Split], list[Limit]]:
    return catalog.derived(_Regimens).get(regimen)


def _compile_regimen(regimen: Regimen) -> tuple[list[_Split], list[Limit]]:
    splits: list[_Split] = []
    for freq_id in regimen.frequencies:
        freq = freq_mod.by_id(freq_id)
        products: list[Product | None] = [
            p
            for p in regimen.products
            if freq_id in p.frequencies and (p.strengths or p.volume_step is not None)
        ] or [None]
        splits.extend(_Split(freq, product, regimen.route) for product in products)
    return splits, _limits(regimen)


def _canonical(value: float, code: str) -> float:
    return value * units.UCUM[code].factor


def _population_fits(regimen: Regimen, age_years: float) -> bool:
    pop = regimen.population
    age_days = age_years * 365.25
    if pop.min_age is not None and age_days < _canonical(pop.min_age.value, pop.min_age.unit):
        return False
    return not (
        pop.max_age is not None and age_days >= _canonical(pop.max_age.value, pop.max_age.unit)
    )


def _age_text(age_years: float) -> str:
    """An age in years with the decimals that decide: one, or more when one decimal would
    reach the next whole year (17.99 years is not "18 years", which another regimen covers)."""
    if age_years < 1:
        return units.format_quantity(age_years, "a")  # under a year: three decimals already
    places = 1
    while math.floor(round(age_years, places)) != math.floor(age_years) and places < 6:
        places += 1
    return units.format_quantity(age_years, "a", places=places)


def _restricted(regimen: Regimen) -> bool:
    return regimen.population.min_age is not None or regimen.population.max_age is not None


def require_regimen(drug: Drug, regimen_id: str) -> Regimen:
    """The drug's regimen with this id (case aside: ``ORAL-FIXED`` is ``oral-fixed``), or
    UnknownRegimenError listing its regimens, with "did you mean" suggestions never applied."""
    chosen = drug.regimen(regimen_id)
    if chosen is None and isinstance(regimen_id, str):
        key = regimen_id.strip().casefold()
        chosen = next((r for r in drug.regimens if r.id.casefold() == key), None)
    if chosen is None:
        import difflib

        ids = [r.id for r in drug.regimens]
        close = difflib.get_close_matches(str(regimen_id).casefold(), ids, n=3, cutoff=0.75)
        hint = ""
        if close:
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}? (not applied)"
        raise UnknownRegimenError(
            f"{drug.id} has no regimen {regimen_id!r}{hint}; its regimens: {', '.join(ids)}"
        )
    return chosen


def select_regimen(
    drug: Drug, patient: Patient, regimen_id: str | None
) -> tuple[Regimen | None, list[Finding], list[Step]]:
    """The regimen to use, with the findings and trace of the choice."""
    findings: list[Finding] = []
    steps: list[Step] = []
    age = patient.age_years
    if regimen_id is not None:
        chosen = require_regimen(drug, regimen_id)
        steps.append(Step("regimen", f"{chosen.id}: asked for ({chosen.population.label})"))
        if _restricted(chosen):
            if age is None:
                findings.append(
                    Finding(
                        "cannot-check",
                        "missing-age",
                        f"regimen {chosen.id} is for {chosen.population.label}; "
                        "the patient's age is not given, so the fit cannot be checked",
                        "Give the patient's age.",
                        missing=("age",),
                    )
                )
            elif not _population_fits(chosen, age):
                findings.append(
                    Finding(
                        "major",
                        "population-mismatch",
                        f"regimen {chosen.id} is for {chosen.population.label}; "
                        f"this patient is {_age_text(age)} old",
                        "Check that this regimen is intended for this patient.",
                        chosen.sources,
                    )
                )
        return chosen, findings, steps
    dosable = [r for r in drug.regimens if r.dosable]
    if not dosable:
        first = drug.regimens[0]
        steps.append(Step("regimen", f"{first.id}: no dosable regimen in the tables"))
        return first, findings, steps
    if age is None:
        if len({(r.population.min_age, r.population.max_age) for r in dosable}) > 1 or (
            _restricted(dosable[0])
        ):
            labels = "; ".join(f"{r.id} ({r.population.label})" for r in dosable)
            findings.append(
                Finding(
                    "cannot-check",
                    "missing-age",
                    f"the regimens of {drug.id} depend on age ({labels}); age is not given",
                    "Give the patient's age, or name a regimen.",
                    missing=("age",),
                )
            )
            return None, findings, steps
        chosen = dosable[0]
        steps.append(
            Step("regimen", f"{chosen.id}: the only population ({chosen.population.label})")
        )
        return chosen, findings, steps
    fitting = [r for r in dosable if _population_fits(r, age)]
    if not fitting:
        labels = "; ".join(f"{r.id} ({r.population.label})" for r in dosable)
        findings.append(
            Finding(
                "cannot-check",
                "no-regimen-for-age",
                f"no regimen of {drug.id} covers a patient of {_age_text(age)} ({labels})",
                "No sourced dose exists for this age; do not extrapolate.",
            )
        )
        return None, findings, steps
    chosen = fitting[0]
    others = f"; also fitting: {', '.join(r.id for r in fitting[1:])}" if len(fitting) > 1 else ""
    steps.append(
        Step(
            "regimen",
            f"{chosen.id} ({chosen.population.label}) chosen for age {_age_text(age)}{others}",
            (("age", age, "a"),),
        )
    )
    return chosen, findings, steps


def _limits(regimen: Regimen) -> list[Limit]:
    """The regimen's caps in fixed amounts (per-kg caps are scaled per patient)."""
    return [_fixed_limit(cap) for cap in regimen.caps if cap.max.unit not in _PER_KG_CAP]


def _fixed_limit(cap: Cap) -> Limit:
    return Limit(
        cap.kind,
        cap.per,
        _canonical(cap.max.value, cap.max.unit),
        cap.max.unit,
        cap.sources,
        cap.note,
    )


def cap_limits(
    catalog: Catalog, drug: Drug | None, regimen: Regimen, weight_kg: float | None
) -> tuple[list[Limit], list[Step], list[Cap]]:
    """Every cap that bounds ``regimen`` for a patient of ``weight_kg``: the regimen's own and
    the drug's (which bound every regimen), as canonical limits (mg, mg/d, mg/wk or mL).

    A per-kg cap (``4 mg/kg/d``, ``2 g/kg`` per course) is multiplied by the weight, with a
    trace step; without a weight it is returned in the third list (it cannot be applied).
    """
    limits = list(_compiled(catalog, regimen)[1])
    steps: list[Step] = []
    unscaled: list[Cap] = []
    drug_caps = drug.caps if drug is not None else ()
    limits.extend(_fixed_limit(c) for c in drug_caps if c.max.unit not in _PER_KG_CAP)
    for cap in (*regimen.caps, *drug_caps):
        scaled = _PER_KG_CAP.get(cap.max.unit)
        if scaled is None:  # fixed: compiled (the regimen's) or added above (the drug's)
            continue
        if weight_kg is None:
            unscaled.append(cap)
            continue
        value = _canonical(cap.max.value, cap.max.unit) * weight_kg
        shown = value / units.UCUM[scaled].factor
        steps.append(
            Step(
                f"cap per kg ({cap.kind})",
                "{rate} x {weight} = {cap}" + _note(cap.note),
                (
                    ("rate", cap.max.value, cap.max.unit),
                    ("weight", weight_kg, "kg"),
                    ("cap", shown, scaled),
                ),
                sources=cap.sources,
            )
        )
        limits.append(Limit(cap.kind, cap.per, value, scaled, cap.sources, cap.note))
    return limits, steps, unscaled


def _note(note: str) -> str:
    """': note' for a step template (braces escaped: the note is text, not a template)."""
    return f": {note.replace('{', '{{').replace('}', '}}')}" if note else ""


def _unscaled_finding(regimen: Regimen, caps: list[Cap]) -> Finding:
    listed = "; ".join(
        units.format_amount(c.max.value, c.max.unit) + f" ({c.kind}, per {c.per})" for c in caps
    )
    return Finding(
        "cannot-check",
        "missing-weight",
        f"the {regimen.id} maxima per kg of body weight ({listed}) cannot be applied: the "
        "patient's weight is not given",
        "Give the patient's weight with its unit.",
        tuple(s for c in caps for s in c.sources),
        ("weight",),
    )


def _strictest(
    limits: list[Limit], per: str, out_code: str, steps: list[Step], findings: list[Finding]
) -> Limit | None:
    relevant = [lim for lim in limits if lim.per == per]
    if not relevant:
        return None
    for lim in relevant:
        steps.append(
            Step(
                f"cap ({lim.kind})",
                "at most {cap}" + (f": {lim.note}" if lim.note else ""),
                (("cap", lim.value / units.UCUM[out_code].factor, out_code),),
                sources=lim.sources,
            )
        )
    best = min(relevant, key=lambda lim: lim.value)
    distinct = {lim.value for lim in relevant}
    if len(distinct) > 1:
        listing = "; ".join(
            f"{units.format_amount(lim.value / units.UCUM[out_code].factor, out_code)} "
            f"({lim.kind}: {', '.join(lim.sources)})"
            for lim in sorted(relevant, key=lambda lim: lim.value)
        )
        findings.append(
            Finding(
                "info",
                "source-conflict",
                f"sources give different maxima per {per}: {listing}; the strictest is applied",
                "Apply the strictest unless a prescriber documents a reason.",
                tuple(s for lim in relevant for s in lim.sources),
            )
        )
    return best


def _gcd_step(strengths: list[float]) -> float:
    """The largest amount every strength (canonical mg or mL) is a whole multiple of, taken on
    the strengths' decimal values: 0.25 and 0.5 mcg give 0.25 mcg, 2.5 and 5 mcg 2.5 mcg.
    (Whole micrograms were assumed before, so a 0.25 mcg strength gave a step of 0.)"""
    decimals = [Decimal(repr(s)) for s in strengths]
    places = max(0, *(-int(d.as_tuple().exponent) for d in decimals))
    scale: int = 10**places
    whole: int = reduce(math.gcd, (int(d.scaleb(places)) for d in decimals))
    return whole / scale


class _Rules:
    """What rounding needs from the catalog and the drug: the tolerance for a single value
    (a fraction), its sources, whether rounding up is allowed (not for a
    narrow-therapeutic-index drug), and the catalog (its compiled regimens)."""

    __slots__ = ("allow_up", "catalog", "sources", "tolerance")

    def __init__(self, catalog: Catalog, drug: Drug) -> None:
        self.catalog = catalog
        policy = catalog.meta.rounding
        self.tolerance = policy.tolerance
        self.sources = policy.sources
        self.allow_up = not drug.narrow_therapeutic_index


def _method(split: _Split) -> str:
    if split.measure == "volume":
        return "measured in {volume} steps of {conc} ({step} each)"
    return "multiples of {step}"


def _rounding_step(
    split: _Split,
    practical: Practical,
    per: tuple[float, float],
    ceiling: float | None,
    rules: _Rules,
    code: str,
) -> Step:
    """The trace step of one rounding: the exact amounts, the method, the result."""
    f = units.UCUM[code].factor
    assert split.step is not None
    terms: list[tuple[str, float, str]] = [
        ("low", per[0] / f, code),
        ("high", per[1] / f, code),
        ("step", split.step / f, code),
    ]
    if split.concentration is not None:
        terms += [
            ("volume", split.step / split.concentration, "mL"),
            ("conc", split.concentration, "mg/mL"),
        ]
    single = practical.outcome == "nearest" or per[1] - per[0] <= 1e-9 * max(1.0, per[1])
    amounts = "{high} per administration" if single else "{low} to {high} per administration"
    if single:
        how = f"the nearest of the {_method(split)} within {rules.tolerance:.0%}"
        how += "" if rules.allow_up else ", never up (narrow therapeutic index)"
    else:
        how = f"rounded inward to {_method(split)}"
    how += ", not past the cap" if ceiling is not None else ""
    if practical.low is None or practical.high is None:
        result = f"none ({practical.reason})"
    elif practical.outcome == "nearest":
        change = (practical.high - per[1]) / per[1]
        sign = "+" if change > 0 else "-"
        shown = units.format_number(abs(change) * 100)
        result = "{r_high}" + (f" ({sign}{shown}%)" if shown != "0" else " (exact)")
        terms.append(("r_high", practical.high / f, code))
    else:
        result = "{r_low} to {r_high}" if practical.low != practical.high else "{r_high}"
        terms += [("r_low", practical.low / f, code), ("r_high", practical.high / f, code)]
    return Step(
        split.label,
        f"{split.freq.text}: {amounts}, {how}: {result}",
        tuple(terms),
        sources=split.sources + (rules.sources if single or split.measure == "volume" else ()),
    )


def _no_practical(
    split: _Split, practical: Practical, per: tuple[float, float], code: str
) -> Finding:
    """The finding when no practical amount fits: what was asked, what is nearest, why."""
    f = units.UCUM[code].factor
    if per[1] < split.smallest - 1e-9 * max(1.0, split.smallest):
        return Finding(
            "info",
            "below-smallest-strength",
            message=f"{split.freq.text} with {split.form}: the computed amount per "
            "administration is below the smallest strength ({smallest})",
            management="Use another product or frequency; do not round up past the range.",
            sources=split.sources,
            terms=(("smallest", split.smallest / f, code),),
        )
    nearest = [v for v in (practical.below, practical.above) if v is not None]
    near = ""
    terms: list[tuple[str, float, str]] = [("low", per[0] / f, code), ("high", per[1] / f, code)]
    for n, value in enumerate(nearest):
        terms.append((f"n{n}", value / f, code))
    if nearest:
        verb = "is" if len(nearest) == 1 else "are"
        near = f"; the nearest {verb} " + " and ".join(f"{{n{n}}}" for n in range(len(nearest)))
    exact = "{high}" if per[1] - per[0] <= 1e-9 * max(1.0, per[1]) else "{low} to {high}"
    return Finding(
        "info",
        "no-practical-amount",
        message=f"{split.freq.text} with {split.form}: no practical amount for the exact "
        f"{exact} per administration: {practical.reason}{near}",
        management="Do not round past the range: give the exact amount another way (another "
        "product, strength or frequency) or ask the prescriber.",
        sources=split.sources,
        terms=tuple(terms),
    )


def _administrations(
    regimen: Regimen,
    basis: str,
    low: float,
    high: float,
    out_code: str,
    limits: list[Limit],
    period_cap: float | None,
    rules: _Rules,
    steps: list[Step],
    findings: list[Finding],
) -> list[Administration]:
    """Split a per-day/per-week range per frequency and round to each product's practical
    amounts (module :mod:`calcidose.engine.rounding`: inward, within the tolerance, never past
    a cap)."""
    amount_code = out_code.split("/")[0]
    amount_factor = units.UCUM[amount_code].factor
    admin_cap = min((lim.value for lim in limits if lim.per == "administration"), default=None)
    out: list[Administration] = []
    splits, _ = _compiled(rules.catalog, regimen)
    for split in splits:
        freq = split.freq
        count = freq.count if basis in ("per-day", "per-week") else 1
        per_low, per_high = low / count, high / count
        if admin_cap is not None and per_high > admin_cap + 1e-9:
            findings.append(
                Finding(
                    "info" if per_low <= admin_cap + 1e-9 else "major",
                    "capped-per-administration",
                    message=f"{freq.text}: {{high}} each time exceeds the cap of {{cap}} per "
                    "administration; the amount each time is capped",
                    management="Do not exceed the cap per administration; "
                    "consider a more frequent schedule.",
                    terms=(
                        ("high", per_high / amount_factor, amount_code),
                        ("cap", admin_cap / amount_factor, amount_code),
                    ),
                )
            )
            per_low, per_high = min(per_low, admin_cap), admin_cap
        practical: Practical | None = None
        if split.step is not None:
            ceiling = period_cap / count if period_cap is not None else None
            if admin_cap is not None:
                ceiling = admin_cap if ceiling is None else min(ceiling, admin_cap)
            practical = practical_amounts(
                per_low,
                per_high,
                split.step,
                split.smallest,
                ceiling,
                rules.tolerance,
                rules.allow_up,
            )
            per = (per_low, per_high)
            steps.append(_rounding_step(split, practical, per, ceiling, rules, amount_code))
            if practical.outcome == "none":
                findings.append(_no_practical(split, practical, per, amount_code))
        elif split.measure == "vials-not-rounded":
            steps.append(
                Step(
                    split.label,
                    f"{freq.text}: {{low}} to {{high}} per administration, measured by volume "
                    "after reconstitution (the tables give no concentration to round to)",
                    (
                        ("low", per_low / amount_factor, amount_code),
                        ("high", per_high / amount_factor, amount_code),
                    ),
                    sources=split.sources,
                )
            )
        out.append(_administration(split, per_low, per_high, amount_code, practical))
    return out


def _administration(
    split: _Split, per_low: float, per_high: float, code: str, practical: Practical | None
) -> Administration:
    f = units.UCUM[code].factor
    r_low = r_high = v_low = v_high = None
    u_low: tuple[tuple[int, float], ...] = ()
    u_high: tuple[tuple[int, float], ...] = ()
    if practical is not None and practical.low is not None and practical.high is not None:
        r_low, r_high = practical.low / f, practical.high / f
        if split.concentration is not None:
            v_low = practical.low / split.concentration
            v_high = practical.high / split.concentration
        if split.measure == "strengths" and split.strengths:
            u_low = tuple((n, s / f) for n, s in fewest_units(practical.low, split.strengths))
            u_high = tuple((n, s / f) for n, s in fewest_units(practical.high, split.strengths))
    return Administration(
        split.freq.id,
        split.freq.text,
        split.form,
        per_low / f,
        per_high / f,
        code,
        r_low,
        r_high,
        None if split.step is None else split.step / f,
        v_low,
        v_high,
        u_low,
        u_high,
        split.concentration,
    )


def _course_days(regimen: Regimen, low: float, high: float, out_code: str) -> list[Administration]:
    course = regimen.course
    if course is None or course.min_days is None:
        return []
    factor = units.UCUM[out_code].factor
    days = sorted({course.min_days, course.max_days or course.min_days})
    return [
        Administration(
            "once-daily",
            f"once daily for {n} consecutive days",
            "",
            low / n / factor,
            high / n / factor,
            out_code,
            None,
            None,
            None,
        )
        for n in days
    ]


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
    from ..measures import bsa_m2

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
