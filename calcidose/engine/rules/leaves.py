"""The predicate leaves: each a closure over its threshold (canonical units) reading the
:class:`~calcidose.engine.rules.context.Context`, with three-valued results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from ... import units
from ...catalog.model import Catalog
from ...patient import Patient
from ...vocab import DAYS_PER_YEAR
from .. import renal
from .context import Context, Predicate, Truth

#: Predicate leaves that read the order rather than the patient.
ORDER_LEAVES: Final = frozenset(
    {"order_per_day_at_most", "order_per_day_above", "order_per_kg_at_most", "order_per_kg_above"}
)

# --- compiling predicates ----------------------------------------------------------------------


def _canonical(node: Any) -> float:
    return float(node["value"]) * units.UCUM[node["unit"]].factor


def _true(ctx: Context) -> Truth:
    return True


def _compare(
    below: bool,
    threshold: float,
    get: Callable[[Context], float | None],
    missing: Callable[[Context], str],
) -> Predicate:
    def leaf(ctx: Context) -> Truth:
        value = get(ctx)
        if value is None:
            ctx.missing.add(missing(ctx))
            return None
        return (value < threshold) if below else (value >= threshold)

    return leaf


def _const(name: str) -> Callable[[Context], str]:
    return lambda ctx: name


def _age_days(ctx: Context) -> float | None:
    age = ctx.patient.age_years
    return None if age is None else age * DAYS_PER_YEAR


def _weight(ctx: Context) -> float | None:
    return ctx.patient.weight_kg


def _height(ctx: Context) -> float | None:
    return ctx.patient.height_cm


def _bmi_above(threshold: float) -> Predicate:
    """Body mass index (kg/m2, from weight and height) strictly above ``threshold``; the weight
    or height that is not given is missing (cannot-check)."""

    def leaf(ctx: Context) -> Truth:
        weight, height = ctx.patient.weight_kg, ctx.patient.height_cm
        if weight is None or height is None:
            ctx.missing.update(
                name for name, value in (("weight", weight), ("height", height)) if value is None
            )
            return None
        bmi = weight / (height / 100.0) ** 2
        # "above" as the source words it: a BMI equal to the threshold up to float rounding
        # (86.7 kg at 170 cm is 30.000000000000004) is not above it
        return bmi > threshold and abs(bmi - threshold) > 1e-9 * threshold

    return leaf


def _renal_band(bounds: Mapping[str, float], egfr: bool = False) -> Predicate:
    """A renal band leaf (bounds in mL/min: ``below``, ``at_most``, ``at_least``, ``above``)."""
    below, at_most = bounds.get("below"), bounds.get("at_most")
    at_least, above = bounds.get("at_least"), bounds.get("above")

    def band(ctx: Context) -> Truth:
        state = ctx.renal()
        value = renal.band_truth(state, below, at_most, at_least, above)
        if value is None:
            ctx.missing.add(_egfr_missing(ctx) if egfr and not state.known else state.missing)
        return value

    return band


_BOUND_KEYS: Final = {
    "crcl_below": "below",
    "crcl_at_most": "at_most",
    "crcl_at_least": "at_least",
    "crcl_above": "above",
}


def _condition(condition: str) -> Predicate:
    """A ``condition`` leaf; on a renal condition (one that implies a clearance band) it reads
    the renal notion, so a measured clearance in the band counts as the condition, except for
    a treatment (``implied_by_crcl = false``: haemodialysis), which only the listing makes true."""

    def leaf(ctx: Context) -> Truth:
        entry = ctx.catalog.conditions.get(condition)
        limit = None if entry is None else entry.implies_crcl_below
        if entry is None or limit is None or not entry.implied_by_crcl:
            # a treatment (haemodialysis) is true only when listed; its band still bounds the
            # clearance the renal leaves read (calcidose.engine.renal.derive)
            return condition in ctx.conditions
        state = ctx.renal()
        value = renal.band_truth(state, below=_canonical(attrs.asdict(limit)))
        if value is None:
            ctx.missing.add(state.missing)
        return value

    return leaf


def _egfr_missing(ctx: Context) -> str:
    p = ctx.patient
    if p.age_years is not None and p.age_years < 18:
        return "eGFR (CKD-EPI 2021 is for adults)"
    return "serum creatinine, age and sex (for eGFR)"


def _order_per_day(ctx: Context) -> float | None:
    return None if ctx.order is None else ctx.order.per_day


def _order_leaf(key: str, threshold: float) -> Predicate:
    """An order leaf: the order per day (``order_per_day_*``, mg/d) or per administration per
    kg of body weight (``order_per_kg_*``, mg/kg), at most / above the threshold."""
    at_most = key.endswith("_at_most")
    per_kg = key.startswith("order_per_kg")

    def order_leaf(ctx: Context) -> Truth:
        if per_kg:
            amount = None if ctx.order is None else ctx.order.per_administration
            weight = ctx.patient.weight_kg
            if amount is None:
                ctx.missing.add("ordered amount per administration")
            if weight is None:
                ctx.missing.add("weight")
            if amount is None or weight is None:
                return None
            amount = amount / weight
        else:
            amount = _order_per_day(ctx)
            if amount is None:
                ctx.missing.add("ordered amount per day")
                return None
        tolerance = 1e-9 * max(1.0, threshold)
        return (amount <= threshold + tolerance) if at_most else (amount > threshold + tolerance)

    return order_leaf


def _window_of(catalog: Catalog) -> tuple[float, float] | None:
    """The childbearing-potential window of the tables in years: (from, below), or None."""
    window = catalog.meta.childbearing_potential
    if window is None:
        return None
    low, high = window.min_age, window.max_age
    per_year = units.UCUM["a"].factor
    return (
        low.value * units.UCUM[low.unit].factor / per_year,
        high.value * units.UCUM[high.unit].factor / per_year,
    )


def _outside_window(catalog: Catalog, age: float | None) -> bool:
    """A known age (years) outside the childbearing-potential window; False when the age is
    not given or the tables set no window (then nobody is outside it)."""
    window = _window_of(catalog)
    return window is not None and age is not None and not window[0] <= age < window[1]


def reproductive_state(catalog: Catalog, patient: Patient, key: str) -> tuple[Truth, bool]:
    """Pregnancy (``key="pregnant"``) or lactation (``"lactating"``) as a rule sees it, and
    whether the childbearing-potential window decided it.

    A stated flag is the answer. Not stated: false for a male patient; false for a female
    patient, or one whose sex is not given (both sexes are considered: the male answer is false
    anyway), whose age is known and outside the window of ``tables/meta.toml``; otherwise
    unknown (a woman of 30, or a woman whose age is not given).
    """
    stated = patient.pregnant if key == "pregnant" else patient.lactating
    if stated is not None:
        return stated, False
    if patient.sex == "male":
        return False, False
    if _outside_window(catalog, patient.age_years):
        return False, True
    return None, False


_REPRODUCTIVE_MISSING: Final = {"pregnant": "pregnancy status", "lactating": "lactation status"}


def _reproductive_leaf(key: str) -> Predicate:
    missing = _REPRODUCTIVE_MISSING[key]

    def leaf(ctx: Context) -> Truth:
        state, by_window = reproductive_state(ctx.catalog, ctx.patient, key)
        if state is None:
            ctx.missing.add(missing)
        elif by_window:
            ctx.window_used.add(key)
        return state

    return leaf


def _childbearing_leaf(ctx: Context) -> Truth:
    """The patient may become pregnant: female, of an age inside the childbearing-potential
    window of ``tables/meta.toml`` (any age when the tables set no window).

    A male patient, or one whose known age is outside the window, is not. Otherwise an unknown
    sex or age decides the answer and is asked for (``sex``, ``age``).
    """
    patient = ctx.patient
    if patient.sex == "male" or _outside_window(ctx.catalog, patient.age_years):
        return False
    unknown = False
    if ctx.catalog.meta.childbearing_potential is not None and patient.age_years is None:
        ctx.missing.add("age")
        unknown = True
    if patient.sex is None:
        ctx.missing.add("sex")
        unknown = True
    return None if unknown else True


def _taking(target: str) -> Predicate:
    """The patient takes ``target`` (a drug or substance id; synonyms resolved)."""

    def taking(ctx: Context) -> Truth:
        if target in ctx.taking_ids:
            ctx.matched.append(target)
            return True
        return False

    return taking


def _taking_class(klass: str) -> Predicate:
    """The patient takes something of the class ``klass``."""

    def taking_class(ctx: Context) -> Truth:
        found = ctx.class_map.get(klass)
        if found:
            ctx.matched.extend(found)
            return True
        return False

    return taking_class


def _sex_leaf(sex: str) -> Predicate:
    def sex_leaf(ctx: Context) -> Truth:
        if ctx.patient.sex is None:
            ctx.missing.add("sex")
            return None
        return ctx.patient.sex == sex

    return sex_leaf


def _lab_leaf(lab: str, expected: Any) -> Predicate:
    """A lab result equals ``expected`` (``{ lab = "hbsag", equals = "positive" }``)."""
    name = f"lab {lab}"

    def lab_leaf(ctx: Context) -> Truth:
        result = ctx.patient.lab(lab)
        if result is None:
            ctx.missing.add(name)
            return None
        return bool(result == expected)

    return lab_leaf
