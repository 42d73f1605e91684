"""The dose engine (calcidose.engine.dosing) branch by branch, on small purpose-built tables.

``plan(...)`` builds a new one-drug catalog on each call, and every regimen that is dosed with
products or caps is built inside its test, so each such test also exercises the compilation of
the regimen's splits and caps (the engine caches it per regimen object). The numbers
are chosen by the tests; each expected value is worked out by hand in the comment beside it.
Text is the ISMP text a pharmacist reads (``480 mg/day``, ``0.5 g``), asserted in full where the
whole message is the specification.
"""

from __future__ import annotations

import pytest
from strategies import _catalog

import calcidose
from calcidose import Patient
from calcidose.catalog.model import (
    Cap,
    Course,
    DoseRange,
    Drug,
    Population,
    Product,
    Regimen,
    TQuantity,
)
from calcidose.engine.rounding import round_to_step as _round_to_step
from calcidose.errors import UnknownRegimenError
from calcidose.results import Administration, DosePlan, Finding, Step

SRC_DRUG = ("eng-drug",)
SRC_REGIMEN = ("eng-regimen",)
SRC_RANGE = ("eng-range",)
SRC_CAP = ("eng-cap",)
SRC_PRODUCT = ("eng-product",)

ALL_AGES = Population()  # label "all ages", no bounds
ADULTS = Population("18 years and over", min_age=TQuantity(18, "a"))
CHILDREN = Population("under 18 years", max_age=TQuantity(18, "a"))
SENIORS = Population("65 years and over", min_age=TQuantity(65, "a"))
UNDER_120 = Population("under 120 years", max_age=TQuantity(120, "a"))


def q(value: float, unit: str) -> TQuantity:
    return TQuantity(value, unit)


def rng(basis: str, scale: str, low: float, high: float, unit: str) -> DoseRange:
    return DoseRange(basis, scale, q(low, unit), q(high, unit), SRC_RANGE)  # type: ignore[arg-type]


def reg(
    rid: str = "r",
    dose: DoseRange | None = None,
    *,
    pop: Population = ALL_AGES,
    freqs: tuple[str, ...] = (),
    products: tuple[Product, ...] = (),
    caps: tuple[Cap, ...] = (),
    course: Course | None = None,
    dosable: bool = True,
    route: str = "oral",
    reason: str | None = None,
) -> Regimen:
    if dosable and dose is None:
        dose = rng("per-day", "fixed", 100, 200, "mg/d")
    return Regimen(
        rid,
        f"{rid} title",
        route,  # type: ignore[arg-type]
        dosable,
        "IV",
        "calcinosis-reports",
        SRC_REGIMEN,
        population=pop,
        dose=dose,
        not_dosable_reason=reason,
        frequencies=freqs,
        products=products,
        caps=caps,
        course=course,
    )


def cap(
    per: str,
    value: float,
    unit: str,
    kind: str = "label",
    *,
    note: str = "",
    sources: tuple[str, ...] = SRC_CAP,
) -> Cap:
    return Cap(kind, per, q(value, unit), sources, note)  # type: ignore[arg-type]


def product(form: str, freqs: tuple[str, ...], *strengths: float, unit: str = "mg") -> Product:
    return Product(form, freqs, tuple(q(s, unit) for s in strengths), sources=SRC_PRODUCT)


def fixed_day(low: float, high: float, **kw: object) -> Regimen:
    return reg("r", rng("per-day", "fixed", low, high, "mg/d"), **kw)  # type: ignore[arg-type]


def plan(patient: Patient, *regimens: Regimen, regimen: str | None = None) -> DosePlan:
    """The plan of a one-drug catalog built now (a new catalog, so nothing is cached)."""
    drug = Drug(
        "engdrug",
        "Engine drug",
        "drug",
        "A drug for the engine tests.",
        SRC_DRUG,
        regimens=regimens,
    )
    return calcidose.dose("engdrug", patient, regimen, catalog=_catalog([drug]))


def adult(**kw: str | None) -> Patient:
    """A 54-year-old woman of 70 kg and 170 cm; a field given as None is unknown."""
    fields = {"weight": "70 kg", "height": "170 cm", "age": "54 years", **kw}
    return Patient(**fields, sex="female", pregnant=False)  # type: ignore[arg-type]


def codes(p: DosePlan) -> list[str]:
    return [f.code for f in p.findings]


def finding(p: DosePlan, code: str) -> Finding:
    found = [f for f in p.findings if f.code == code]
    assert len(found) == 1, codes(p)
    return found[0]


def step(p: DosePlan, label: str) -> Step:
    found = [s for s in p.trace if s.label == label]
    assert len(found) == 1, [s.label for s in p.trace]
    return found[0]


def labels(p: DosePlan) -> list[str]:
    return [s.label for s in p.trace]


# --- the regimen: asked for ---------------------------------------------------------------------


def test_asked_for_regimen_that_fits_is_traced() -> None:
    p = plan(adult(), reg("adult", pop=ADULTS), reg("child", pop=CHILDREN), regimen="adult")
    assert p.regimen == "adult"
    assert (p.trace[0].label, p.trace[0].text()) == (
        "regimen",
        "adult: asked for (18 years and over)",
    )
    assert p.findings == ()
    assert p.status == "ok"


def test_asked_for_regimen_of_another_population_is_a_major_finding() -> None:
    p = plan(adult(), reg("adult", pop=ADULTS), reg("child", pop=CHILDREN), regimen="child")
    f = finding(p, "population-mismatch")
    assert f.severity == "major"
    # 54 years is not under 18 years
    assert f.message == "regimen child is for under 18 years; this patient is 54 years old"
    assert f.management == "Check that this regimen is intended for this patient."
    assert f.sources == SRC_REGIMEN
    assert p.status == "major"  # a major finding: status major (issue 10 section 4)
    assert p.regimen == "child"


@pytest.mark.parametrize(
    ("rid", "label"),
    [("adult", "18 years and over"), ("child", "under 18 years")],  # a lower, an upper bound
)
def test_asked_for_restricted_regimen_without_age_cannot_be_checked(rid: str, label: str) -> None:
    p = plan(adult(age=None), reg("adult", pop=ADULTS), reg("child", pop=CHILDREN), regimen=rid)
    f = finding(p, "missing-age")
    assert f.severity == "cannot-check"
    assert f.message == (
        f"regimen {rid} is for {label}; the patient's age is not given, so the fit cannot be "
        "checked"
    )
    assert f.management == "Give the patient's age."
    assert f.missing == ("age",)
    assert p.status == "cannot-check"


def test_asked_for_regimen_for_all_ages_needs_no_age() -> None:
    p = plan(adult(age=None), reg("any"), reg("adult", pop=ADULTS), regimen="any")
    assert p.findings == ()
    assert p.status == "ok"
    assert p.trace[0].text() == "any: asked for (all ages)"


def test_unknown_regimen_lists_the_drugs_regimens() -> None:
    with pytest.raises(UnknownRegimenError) as err:
        plan(adult(), reg("any"), reg("adult", pop=ADULTS), regimen="iv")
    assert str(err.value) == "engdrug has no regimen 'iv'; its regimens: any, adult"


# --- the regimen: not dosable ----------------------------------------------------------------


def test_no_dosable_regimen_takes_the_first_and_says_why() -> None:
    p = plan(
        adult(),
        reg("nd1", dosable=False, route="none", reason="No source gives a dose."),
        reg("nd2", dosable=False, route="none", reason="Another reason."),
    )
    assert p.regimen == "nd1"
    assert (p.trace[0].label, p.trace[0].text()) == (
        "regimen",
        "nd1: no dosable regimen in the tables",
    )
    f = finding(p, "not-dosable")
    assert f.severity == "info"
    # "<drug name> (<regimen title>): <reason>"
    assert f.message == "Engine drug (nd1 title): No source gives a dose."
    assert f.management == "calcidose gives no dose for this regimen."
    assert f.sources == SRC_REGIMEN
    assert codes(p) == ["not-dosable"]
    assert p.status == "not-dosable"
    assert (p.dose, p.administrations) == (None, ())
    assert (p.regimen_title, p.route, p.sources) == ("nd1 title", "none", SRC_REGIMEN)


def test_dosable_plan_carries_the_regimens_facts_and_no_not_dosable_finding() -> None:
    p = plan(adult(), reg("iv", route="intravenous"))
    assert codes(p) == []
    assert p.status == "ok"
    assert p.regimen == "iv"
    assert p.regimen_title == "iv title"
    assert p.route == "intravenous"
    assert p.evidence == "IV"
    assert p.range_origin == "calcinosis-reports"
    assert p.sources == SRC_REGIMEN  # the regimen's sources, not the drug's


# --- the regimen: chosen by age ---------------------------------------------------------------


def test_unknown_age_where_populations_differ_cannot_choose() -> None:
    # the first regimen is for all ages, the second is not: the choice still depends on age
    p = plan(adult(age=None), reg("any"), reg("child", pop=CHILDREN))
    f = finding(p, "missing-age")
    assert f.severity == "cannot-check"
    assert f.message == (
        "the regimens of engdrug depend on age (any (all ages); child (under 18 years)); "
        "age is not given"
    )
    assert f.management == "Give the patient's age, or name a regimen."
    assert f.missing == ("age",)
    assert p.status == "cannot-check"
    assert (p.regimen, p.regimen_title, p.route, p.range_origin, p.evidence) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert p.sources == SRC_DRUG  # no regimen: the drug's sources
    assert p.dose is None
    assert "regimen" not in labels(p)


def test_unknown_age_with_one_restricted_population_cannot_choose() -> None:
    p = plan(adult(age=None), reg("adult", pop=ADULTS))
    assert finding(p, "missing-age").message == (
        "the regimens of engdrug depend on age (adult (18 years and over)); age is not given"
    )
    assert p.regimen is None


def test_unknown_age_with_one_population_for_all_ages_takes_it() -> None:
    p = plan(adult(age=None), reg("nd", dosable=False, reason="none"), reg("any"))
    assert p.regimen == "any"
    assert (p.trace[0].label, p.trace[0].text()) == (
        "regimen",
        "any: the only population (all ages)",
    )
    assert p.findings == ()


def test_no_regimen_for_the_age_is_cannot_check() -> None:
    p = plan(adult(age="10 years"), reg("adult", pop=ADULTS), reg("senior", pop=SENIORS))
    f = finding(p, "no-regimen-for-age")
    assert f.severity == "cannot-check"
    assert f.message == (
        "no regimen of engdrug covers a patient of 10 years "
        "(adult (18 years and over); senior (65 years and over))"
    )
    assert f.management == "No sourced dose exists for this age; do not extrapolate."
    assert (f.sources, f.missing) == ((), ())
    assert p.regimen is None
    assert p.status == "cannot-check"


@pytest.mark.parametrize(
    ("regimens", "text"),
    [
        (
            (reg("any"), reg("adult", pop=ADULTS), reg("wide", pop=UNDER_120)),
            "any (all ages) chosen for age 54 years; also fitting: adult, wide",
        ),
        (
            (reg("any"), reg("adult", pop=ADULTS)),
            "any (all ages) chosen for age 54 years; also fitting: adult",
        ),
        ((reg("any"), reg("child", pop=CHILDREN)), "any (all ages) chosen for age 54 years"),
    ],
)
def test_regimen_chosen_for_age_names_the_others_that_fit(
    regimens: tuple[Regimen, ...], text: str
) -> None:
    p = plan(adult(), *regimens)
    assert p.regimen == "any"
    assert (p.trace[0].label, p.trace[0].text()) == ("regimen", text)
    assert p.trace[0].to_dict()["terms"] == {"age": {"value": 54, "unit": "a"}}


def test_population_bounds_lower_inclusive_upper_exclusive() -> None:
    # 17.99 years = 17.99 x 365.25 = 6570.85 days < 18 a = 18 x 365.25 = 6574.5 days: not adult
    p = plan(adult(age="17.99 years"), reg("adult", pop=ADULTS), reg("child", pop=CHILDREN))
    assert p.regimen == "child"
    # 18 years = 6574.5 days: not under 18 years (the upper bound excludes it), so adult
    p = plan(adult(age="18 years"), reg("child", pop=CHILDREN), reg("adult", pop=ADULTS))
    assert p.regimen == "adult"


# --- the scale: weight and BSA ----------------------------------------------------------------

WEIGHT_DAY = rng("per-day", "weight", 2, 4, "mg/kg/d")


def test_missing_weight_is_named() -> None:
    p = plan(adult(weight=None, height=None), reg("wt", WEIGHT_DAY))
    f = finding(p, "missing-weight")
    assert f.severity == "cannot-check"
    assert f.message == "the wt dose is per kg or per m2 and the patient's weight is not given"
    assert f.management == "Give the patient's weight with its unit."
    assert f.missing == ("weight",)
    assert (p.dose, p.administrations) == (None, ())


def test_weight_and_range_steps_show_the_hand_calculation() -> None:
    p = plan(adult(weight="154 lb", height=None), reg("wt", WEIGHT_DAY))
    # 154 lb x 0.45359237 = 69.85322498 kg
    w = step(p, "dosing weight")
    assert w.text() == "total body weight: 154 lb = 69.853 kg"
    assert w.value == pytest.approx(69.85322498)
    assert w.unit == "kg"
    # 2 x 69.853 = 139.706 mg/day; 4 x 69.853 = 279.413 mg/day
    r = step(p, "range (per-day)")
    assert r.text() == (
        "2 mg/kg/day x 69.853 kg = 139.7 mg/day; 4 mg/kg/day x 69.853 kg = 279.4 mg/day"
    )
    assert r.sources == SRC_RANGE
    assert labels(p) == ["regimen", "dosing weight", "range (per-day)"]


BSA_ADMIN = rng("per-administration", "bsa", 30, 60, "mg/m2")


def test_bsa_dose_by_mosteller() -> None:
    p = plan(adult(), reg("bsa", BSA_ADMIN, freqs=("once-daily",)))
    assert step(p, "dosing weight").text() == "total body weight: 70 kg = 70 kg"
    b = step(p, "body surface area")
    # sqrt(170 x 70 / 3600) = sqrt(3.30556) = 1.81812 m2
    assert b.text() == "Mosteller: sqrt(170 cm x 70 kg / 3600) = 1.818 m2"
    assert b.value == pytest.approx(1.8181187, rel=1e-7)
    assert b.unit == "m2"
    assert b.sources == ("mosteller-1987",)
    # 30 x 1.81812 = 54.544 mg; 60 x 1.81812 = 109.087 mg per administration
    assert step(p, "range (per-administration)").text() == (
        "30 mg/m2 x 1.818 m2 = 54.5 mg; 60 mg/m2 x 1.818 m2 = 109.1 mg"
    )
    assert p.dose is not None
    assert (p.dose.low, p.dose.high) == pytest.approx((54.54356, 109.08712), rel=1e-6)
    assert p.dose.unit == "mg"
    # a per-administration range is given once each time: the same amounts, no rounding
    (a,) = p.administrations
    assert (a.frequency, a.form, a.unit, a.rounded_low, a.rounded_high, a.step) == (
        "once-daily",
        "",
        "mg",
        None,
        None,
        None,
    )
    assert (a.low, a.high) == pytest.approx((54.54356, 109.08712), rel=1e-6)
    assert p.findings == ()


def test_bsa_dose_without_height_is_named() -> None:
    p = plan(adult(height=None), reg("bsa", BSA_ADMIN, freqs=("once-daily",)))
    f = finding(p, "missing-height")
    assert f.severity == "cannot-check"
    assert f.message == (
        "the bsa dose is per m2 of body surface area and the patient's height is not given"
    )
    assert f.management == "Give the patient's height with its unit."
    assert f.missing == ("height",)
    assert (p.dose, p.administrations) == (None, ())
    assert labels(p) == ["regimen", "dosing weight"]


# --- range, caps, conflicts -------------------------------------------------------------------


def test_fixed_weekly_range_rounds_per_administration() -> None:
    p = plan(
        adult(),
        reg(
            "wk",
            rng("per-week", "fixed", 10, 25, "mg/wk"),
            freqs=("once-weekly",),
            products=(product("tablet", ("once-weekly",), 2.5),),
        ),
    )
    assert step(p, "range (per-week)").text() == "10 mg/week to 25 mg/week"
    # once weekly: 10 / 2.5 = 4 tablets, 25 / 2.5 = 10 tablets: exact
    assert p.administrations == (
        Administration(
            "once-weekly",
            "once weekly",
            "tablet",
            10,
            25,
            "mg",
            10,
            25,
            2.5,
            units_low=((4, 2.5),),
            units_high=((10, 2.5),),
        ),
    )
    r = step(p, "round to tablet strengths")
    assert r.text() == (
        "once weekly: 10 mg to 25 mg per administration, rounded inward to multiples of 2.5 mg: "
        "10 mg to 25 mg"
    )
    assert r.sources == SRC_PRODUCT


def test_range_in_grams_is_capped_and_split_in_grams() -> None:
    p = plan(
        adult(),
        reg(
            "g",
            rng("per-day", "fixed", 1, 3, "g/d"),
            freqs=("twice-daily",),
            products=(product("sachet", ("twice-daily",), 0.5, unit="g"),),
            caps=(cap("day", 2, "g/d", note="the label maximum"),),
        ),
    )
    assert step(p, "range (per-day)").text() == "1 g/day to 3 g/day"
    c = step(p, "cap (label)")
    assert c.text() == "at most 2 g/day: the label maximum"
    assert c.sources == SRC_CAP
    # 3 g/day > 2 g/day; 1 g/day is under it: the high end is capped, information only
    f = finding(p, "capped")
    assert f.severity == "info"
    assert (
        f.message
        == "the computed maximum 3 g/day exceeds the label cap of 2 g/day; the range is capped"
    )
    assert f.management == "Do not exceed the cap."
    assert f.sources == SRC_CAP
    a = step(p, "apply cap")
    assert a.text() == "range limited to 1 g/day to 2 g/day"
    assert a.sources == SRC_CAP
    assert p.dose == calcidose.results.DoseRange("per-day", 1, 2, "g/d", True, 2)
    # twice daily: 1 / 2 = 0.5 g, 2 / 2 = 1 g each time; 0.5 g sachets: 1 and 2 sachets
    assert p.administrations == (
        Administration(
            "twice-daily",
            "twice daily",
            "sachet",
            0.5,
            1,
            "g",
            0.5,
            1,
            0.5,
            units_low=((1, 0.5),),
            units_high=((2, 0.5),),
        ),
    )
    assert step(p, "round to sachet strengths").text() == (
        "twice daily: 0.5 g to 1 g per administration, rounded inward to multiples of 0.5 g, "
        "not past the cap: 0.5 g to 1 g"
    )
    assert codes(p) == ["capped"]


def test_cap_per_administration_and_rounding_outside_the_range_in_grams() -> None:
    p = plan(
        adult(),
        reg(
            "g",
            rng("per-day", "fixed", 1.2, 1.8, "g/d"),
            freqs=("twice-daily",),
            products=(product("sachet", ("twice-daily",), 0.5, unit="g"),),
            caps=(cap("administration", 0.8, "g", "policy"),),
        ),
    )
    # twice daily: 1.2 / 2 = 0.6 g, 1.8 / 2 = 0.9 g each time; 0.9 g > the 0.8 g cap
    f = finding(p, "capped-per-administration")
    assert f.severity == "info"  # 0.6 g is under the cap
    assert f.message == (
        "twice daily: 0.9 g each time exceeds the cap of 0.8 g per administration; "
        "the amount each time is capped"
    )
    assert f.management == (
        "Do not exceed the cap per administration; consider a more frequent schedule."
    )
    # inward (docs/rounding.md): 0.6 / 0.5 = 1.2 -> up to 2 sachets (1 g); 0.8 / 0.5 = 1.6 ->
    # down to 1 sachet (0.5 g): 1 g > 0.5 g, no whole sachet lies inside 0.6-0.8 g. (Nearest
    # rounding gave 0.5 g, 1 g/day, under the exact 1.2 g/day.) The nearest outside: 0.5 g
    # below; 1 g above is past the 0.8 g cap, so it is not offered.
    assert p.administrations == (
        Administration("twice-daily", "twice daily", "sachet", 0.6, 0.8, "g", None, None, 0.5),
    )
    o = finding(p, "no-practical-amount")
    assert o.severity == "info"
    assert o.message == (
        "twice daily with sachet: no practical amount for the exact 0.6 g to 0.8 g per "
        "administration: none lies inside the range; the nearest is 0.5 g"
    )
    assert o.management == (
        "Do not round past the range: give the exact amount another way (another product, "
        "strength or frequency) or ask the prescriber."
    )
    assert o.sources == SRC_PRODUCT
    assert p.dose == calcidose.results.DoseRange("per-day", 1.2, 1.8, "g/d", False, None)
    assert codes(p) == ["capped-per-administration", "no-practical-amount"]


@pytest.mark.parametrize(
    "high",
    [480, 480 + 1e-9],  # at the cap; above it by 1e-9 mg/day (float noise): not capped
)
def test_high_end_at_the_cap_is_not_capped(high: float) -> None:
    p = plan(adult(), fixed_day(100, high, caps=(cap("day", 480, "mg/d"),)))
    assert p.dose is not None
    assert (p.dose.capped, p.dose.cap) == (False, 480)
    assert p.dose.high == high
    assert step(p, "cap (label)").text() == "at most 480 mg/day"
    assert codes(p) == []
    assert "apply cap" not in labels(p)


@pytest.mark.parametrize("low", [480, 480 + 1e-9])  # low end at the cap (within 1e-9)
def test_low_end_at_the_cap_is_information(low: float) -> None:
    p = plan(adult(), fixed_day(low, 600, caps=(cap("day", 480, "mg/d"),)))
    f = finding(p, "capped")
    assert f.severity == "info"
    assert f.message == (
        "the computed maximum 600 mg/day exceeds the label cap of 480 mg/day; the range is capped"
    )
    assert p.dose is not None
    assert (p.dose.high, p.dose.capped) == (480, True)
    assert p.status == "ok"


def test_low_end_above_the_cap_is_major() -> None:
    p = plan(adult(), fixed_day(500, 600, caps=(cap("day", 480, "mg/d"),)))
    f = finding(p, "capped")
    assert f.severity == "major"
    assert f.message == (
        "the computed maximum 600 mg/day exceeds the label cap of 480 mg/day; the range is capped"
        " (even its low end was above the cap)"
    )
    assert p.dose is not None
    assert (p.dose.low, p.dose.high) == (480, 480)  # both ends brought to the cap
    # both ends at the cap: one value (issue 11 §4)
    assert step(p, "apply cap").text() == "range limited to 480 mg/day"
    assert p.status == "major"  # a major finding: status major (issue 10 section 4)


def test_conflicting_caps_apply_the_strictest_and_name_both_sources() -> None:
    p = plan(
        adult(),
        reg(
            "g",
            rng("per-day", "fixed", 1, 3, "g/d"),
            caps=(
                cap("day", 2, "g/d", "label", sources=("eng-label",)),
                cap("day", 1.5, "g/d", "policy", sources=("eng-policy", "eng-review")),
            ),
        ),
    )
    assert [s.text() for s in p.trace if s.label.startswith("cap")] == [
        "at most 2 g/day",
        "at most 1.5 g/day",
    ]
    f = finding(p, "source-conflict")
    assert f.severity == "info"
    assert f.message == (
        "sources give different maxima per day: 1.5 g/day (policy: eng-policy, eng-review); "
        "2 g/day (label: eng-label); the strictest is applied"
    )
    assert f.management == "Apply the strictest unless a prescriber documents a reason."
    assert f.sources == ("eng-label", "eng-policy", "eng-review")
    # 3 g/day > 1.5 g/day (the policy cap)
    assert finding(p, "capped").message == (
        "the computed maximum 3 g/day exceeds the policy cap of 1.5 g/day; the range is capped"
    )
    assert finding(p, "capped").sources == ("eng-policy", "eng-review")
    assert p.dose == calcidose.results.DoseRange("per-day", 1, 1.5, "g/d", True, 1.5)


def test_equal_caps_from_two_sources_are_no_conflict() -> None:
    p = plan(
        adult(),
        fixed_day(100, 200, caps=(cap("day", 480, "mg/d"), cap("day", 480, "mg/d", "policy"))),
    )
    assert codes(p) == []


# --- per administration: caps, ceilings, rounding ---------------------------------------------


def test_amount_at_the_cap_per_administration_is_not_flagged() -> None:
    # 300 mg/day / 3 = 100 mg each time: at the 100 mg cap
    p = plan(
        adult(),
        fixed_day(150, 300, freqs=("three-times-daily",), caps=(cap("administration", 100, "mg"),)),
    )
    assert codes(p) == []
    (a,) = p.administrations
    assert (a.low, a.high, a.unit) == (50, 100, "mg")


def test_high_end_over_the_cap_per_administration_is_information() -> None:
    # 300 / 3 = 100 mg (at the cap); 301.5 / 3 = 100.5 mg > 100 mg
    p = plan(
        adult(),
        fixed_day(
            300, 301.5, freqs=("three-times-daily",), caps=(cap("administration", 100, "mg"),)
        ),
    )
    f = finding(p, "capped-per-administration")
    assert f.severity == "info"
    assert f.message == (
        "three times daily: 100.5 mg each time exceeds the cap of 100 mg per administration; "
        "the amount each time is capped"
    )
    (a,) = p.administrations
    assert (a.low, a.high) == (100, 100)


def test_low_end_over_the_cap_per_administration_is_major() -> None:
    # 301.5 / 3 = 100.5 mg > 100 mg: even the low end is over; 450 / 3 = 150 mg
    p = plan(
        adult(),
        fixed_day(
            301.5, 450, freqs=("three-times-daily",), caps=(cap("administration", 100, "mg"),)
        ),
    )
    f = finding(p, "capped-per-administration")
    assert f.severity == "major"
    assert f.message.startswith("three times daily: 150 mg each time exceeds the cap of 100 mg ")
    (a,) = p.administrations
    assert (a.low, a.high) == (100, 100)
    assert p.status == "major"  # a major finding: status major (issue 10 section 4)


def test_rounding_never_passes_the_daily_cap_divided_per_administration() -> None:
    # 90-150 mg/day capped at 100 mg/day; three times daily: 30 to 33.33 mg each time.
    # 33.33 / 5 = 6.67 -> 7 tablets of 5 mg = 35 mg, x 3 = 105 mg/day > 100: down to 30 mg.
    # The 40 mg cap per administration is looser than 100 / 3 = 33.33 mg and changes nothing.
    p = plan(
        adult(),
        fixed_day(
            90,
            150,
            freqs=("three-times-daily",),
            products=(product("tablet", ("three-times-daily",), 5),),
            caps=(cap("day", 100, "mg/d"), cap("administration", 40, "mg", "policy")),
        ),
    )
    (a,) = p.administrations
    assert (a.rounded_low, a.rounded_high, a.step) == (30, 30, 5)
    assert a.low == 30
    assert a.high == pytest.approx(100 / 3)
    assert step(p, "round to tablet strengths").text() == (
        "three times daily: 30 mg to 33.3 mg per administration, rounded inward to multiples "
        "of 5 mg, not past the cap: 30 mg"
    )
    # 30 mg x 3 = 90 mg/day: the low end exactly, inside the range
    assert codes(p) == ["capped"]


@pytest.mark.parametrize(
    ("low", "high", "freq", "strength", "expected"),
    [
        (120, 240, "once-daily", 60, (120, 240)),  # 2 and 4 capsules exactly
        (90, 270, "three-times-daily", 30, (30, 90)),  # 90 / 3 = 30, 270 / 3 = 90: exact
    ],
)
def test_rounding_onto_the_exact_range_is_not_flagged(
    low: float, high: float, freq: str, strength: float, expected: tuple[float, float]
) -> None:
    p = plan(
        adult(),
        fixed_day(low, high, freqs=(freq,), products=(product("capsule", (freq,), strength),)),
    )
    (a,) = p.administrations
    assert (a.rounded_low, a.rounded_high) == expected
    assert a.form == "capsule"
    assert codes(p) == []


def test_rounding_near_the_low_end_goes_inward() -> None:
    # once daily: 120.5 / 60 = 2.008 -> nearest would be 2 capsules = 120 mg, 0.5 mg under the
    # low end; inward: up to 3 capsules = 180 mg. 240 / 60 = 4 capsules = 240 mg exactly
    p = plan(
        adult(),
        fixed_day(
            120.5, 240, freqs=("once-daily",), products=(product("capsule", ("once-daily",), 60),)
        ),
    )
    (a,) = p.administrations
    assert (a.rounded_low, a.rounded_high) == (180, 240)
    assert codes(p) == []  # nothing outside the range to report
    assert step(p, "round to capsule strengths").text() == (
        "once daily: 120.5 mg to 240 mg per administration, rounded inward to multiples of "
        "60 mg: 180 mg to 240 mg"
    )


def test_rounding_near_the_high_end_goes_inward() -> None:
    # three times daily: 90 / 3 = 30 mg (1 tablet); 269.5 / 3 = 89.83 mg / 30 = 2.99 -> nearest
    # would be 3 tablets = 90 mg, x 3 = 270 mg/day, 0.5 mg/day over the high end; inward: down
    # to 2 tablets = 60 mg (180 mg/day)
    p = plan(
        adult(),
        fixed_day(
            90,
            269.5,
            freqs=("three-times-daily",),
            products=(product("tablet", ("three-times-daily",), 30),),
        ),
    )
    (a,) = p.administrations
    assert (a.rounded_low, a.rounded_high) == (30, 60)
    assert codes(p) == []


def test_amount_below_the_smallest_strength_is_not_rounded() -> None:
    # 0.3 / 3 = 0.1 mg and 0.6 / 3 = 0.2 mg each time; the smallest tablet is 0.5 mg:
    # 0.1 / 0.5 = 0.2 -> 0 tablets, 0.2 / 0.5 = 0.4 -> 0 tablets: no amount
    p = plan(
        adult(),
        fixed_day(
            0.3,
            0.6,
            freqs=("three-times-daily",),
            products=(product("tablet", ("three-times-daily",), 0.5),),
        ),
    )
    f = finding(p, "below-smallest-strength")
    assert f.severity == "info"
    assert f.message == (
        "three times daily with tablet: the computed amount per administration is below the "
        "smallest strength (0.5 mg)"
    )
    assert f.management == "Use another product or frequency; do not round up past the range."
    assert f.sources == SRC_PRODUCT
    assert codes(p) == ["below-smallest-strength"]
    (a,) = p.administrations
    assert (a.rounded_low, a.rounded_high, a.step) == (None, None, 0.5)
    assert (a.low, a.high) == pytest.approx((0.1, 0.2))


def test_each_frequency_gets_its_own_product_or_none() -> None:
    # three times daily has 30/60 mg tablets (step 30 mg); once daily has only a solution with
    # no strengths, so it is not rounded and has no form
    p = plan(
        adult(),
        fixed_day(
            140,
            280,
            freqs=("three-times-daily", "once-daily"),
            products=(
                product("tablet", ("three-times-daily",), 30, 60),
                Product("solution", ("once-daily",), (), sources=SRC_PRODUCT),
            ),
        ),
    )
    # 140 / 3 = 46.67 mg / 30 = 1.56 -> 2 x 30 = 60 mg; 280 / 3 = 93.33 / 30 = 3.11 -> 90 mg
    tid, od = p.administrations
    assert (tid.frequency, tid.form, tid.unit) == ("three-times-daily", "tablet", "mg")
    assert (tid.rounded_low, tid.rounded_high, tid.step) == (60, 90, 30)
    assert (tid.low, tid.high) == pytest.approx((140 / 3, 280 / 3))
    assert od == Administration("once-daily", "once daily", "", 140, 280, "mg", None, None, None)
    assert [s.label for s in p.trace if s.label.startswith("round")] == [
        "round to tablet strengths"
    ]


# --- per course, per session ------------------------------------------------------------------

COURSE_G = rng("per-course", "fixed", 1, 2, "g")


def test_course_range_is_spread_over_its_days() -> None:
    p = plan(adult(), reg("c", COURSE_G, course=Course(min_days=4, max_days=5)))
    assert step(p, "range (per-course)").text() == "1 g to 2 g"
    # 1 g / 4 days = 0.25 g, 2 g / 4 = 0.5 g a day; 1 / 5 = 0.2 g, 2 / 5 = 0.4 g a day
    assert p.administrations == (
        Administration(
            "once-daily", "once daily for 4 consecutive days", "", 0.25, 0.5, "g", None, None, None
        ),
        Administration(
            "once-daily", "once daily for 5 consecutive days", "", 0.2, 0.4, "g", None, None, None
        ),
    )


def test_course_of_a_fixed_number_of_days() -> None:
    p = plan(adult(), reg("c", COURSE_G, course=Course(min_days=4)))
    (a,) = p.administrations
    assert (a.frequency_text, a.low, a.high) == ("once daily for 4 consecutive days", 0.25, 0.5)


@pytest.mark.parametrize("course", [None, Course(administrations=3)])
def test_course_without_days_has_no_daily_split(course: Course | None) -> None:
    p = plan(adult(), reg("c", COURSE_G, course=course))
    assert p.administrations == ()
    assert p.dose == calcidose.results.DoseRange("per-course", 1, 2, "g", False, None)


def test_session_range_has_no_split() -> None:
    p = plan(adult(), reg("s", rng("per-session", "fixed", 5, 10, "mL"), freqs=("once-daily",)))
    assert p.administrations == ()
    assert p.dose == calcidose.results.DoseRange("per-session", 5, 10, "mL", False, None)


# --- rounding to a step ---------------------------------------------------------------------


def test_round_to_step_decides_a_tie_in_decimal_even_for_a_large_ratio() -> None:
    # 8389.5855 / 0.001 = 8389585.5 exactly: half up -> 8389586 x 0.001 = 8389.586
    # (the float quotient is 8389585.499999998, which plain floor(x + 0.5) would round down)
    assert _round_to_step(8389.5855, 0.001, 0.001, None) == 8389.586


def test_round_to_step_returns_the_decimal_multiple() -> None:
    # 458773 / 0.7 = 655390 steps exactly; in float 655390 x 0.7 = 458772.99999999994, and the
    # answer is the decimal multiple 458773
    assert _round_to_step(458773.0, 0.7, 0.7, None) == 458773


def test_round_to_step_tolerates_float_noise_at_the_ceiling_and_smallest() -> None:
    # 30 is 1e-9 over a ceiling of 30 - 1e-9: within tolerance, not stepped down to 20
    assert _round_to_step(30, 10, 10, 30 - 1e-9) == 30
    # 30 is 1e-9 under a smallest strength of 30 + 1e-9: within tolerance, still a dose
    assert _round_to_step(30, 30, 30 + 1e-9, None) == 30
    # a ceiling under one step: stepped down to nothing, and nothing is below the smallest
    assert _round_to_step(45, 30, 30, 10) is None


def test_smallest_strength_in_grams_is_written_in_grams() -> None:
    # 0.3 g/day / 3 = 0.1 g, 0.6 / 3 = 0.2 g each time; the only sachet is 0.5 g
    p = plan(
        adult(),
        reg(
            "g",
            rng("per-day", "fixed", 0.3, 0.6, "g/d"),
            freqs=("three-times-daily",),
            products=(product("sachet", ("three-times-daily",), 0.5, unit="g"),),
        ),
    )
    assert finding(p, "below-smallest-strength").message == (
        "three times daily with sachet: the computed amount per administration is below the "
        "smallest strength (0.5 g)"
    )
    assert step(p, "round to sachet strengths").text() == (
        "three times daily: 0.1 g to 0.2 g per administration, rounded inward to multiples of "
        "0.5 g: none (none lies inside the range)"
    )


# --- the 1e-9 tolerance: float noise at a limit is not a finding ------------------------------


def test_amount_within_1e_9_of_the_cap_per_administration_is_at_the_cap() -> None:
    # once daily: 100.000000001 mg each time is the 100 mg cap plus float noise: not flagged
    p = plan(
        adult(),
        fixed_day(50, 100 + 1e-9, freqs=("once-daily",), caps=(cap("administration", 100, "mg"),)),
    )
    assert codes(p) == []
    # low end 100.000000001 mg is at the cap (within 1e-9): information, not major
    p = plan(
        adult(),
        fixed_day(100 + 1e-9, 150, freqs=("once-daily",), caps=(cap("administration", 100, "mg"),)),
    )
    assert finding(p, "capped-per-administration").severity == "info"


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (120 + 1e-9, 240),  # 2 capsules = 120 mg: 1e-9 under the low end is float noise
        (120, 240 - 1e-9),  # 4 capsules = 240 mg: 1e-9 over the high end is float noise
    ],
)
def test_rounded_amount_within_1e_9_of_the_range_is_inside(low: float, high: float) -> None:
    p = plan(
        adult(),
        fixed_day(
            low, high, freqs=("once-daily",), products=(product("capsule", ("once-daily",), 60),)
        ),
    )
    (a,) = p.administrations
    assert (a.rounded_low, a.rounded_high) == (120, 240)
    assert codes(p) == []


def test_weight_scaled_range_in_grams() -> None:
    # 1 to 2 g/kg per course, 70 kg: 1 x 70 = 70 g, 2 x 70 = 140 g; over 2 days 35 to 70 g a day
    p = plan(
        adult(),
        reg(
            "ivig",
            rng("per-course", "weight", 1, 2, "g/kg"),
            course=Course(min_days=2),
        ),
    )
    assert step(p, "range (per-course)").text() == "1 g/kg x 70 kg = 70 g; 2 g/kg x 70 kg = 140 g"
    assert p.dose == calcidose.results.DoseRange("per-course", 70, 140, "g", False, None)
    (a,) = p.administrations
    assert (a.frequency_text, a.low, a.high, a.unit) == (
        "once daily for 2 consecutive days",
        35,
        70,
        "g",
    )


# --- the rounding step of strengths below a microgram or between whole micrograms -----------


def test_step_of_sub_microgram_strengths_is_their_decimal_gcd() -> None:
    # 0.25 and 0.5 mcg: gcd 0.25 mcg (whole micrograms were assumed before: a step of 0)
    # 2.5 and 5 mcg: gcd 2.5 mcg (it was 2 mcg: round(2.5) = 2 by banker's rounding)
    # 120, 180, 240 mg: gcd 60 mg
    from calcidose.engine.dosing import _gcd_step

    assert _gcd_step([0.00025, 0.0005]) == pytest.approx(0.00025, rel=1e-12)
    assert _gcd_step([0.0025, 0.005]) == pytest.approx(0.0025, rel=1e-12)
    assert _gcd_step([120.0, 180.0, 240.0]) == 60.0


def test_quarter_microgram_tablets_round_in_quarter_micrograms() -> None:
    # 1 to 1.6 mcg/day once daily; 0.25 mcg tablets: 1 mcg = 4 tablets; 1.6 / 0.25 = 6.4,
    # nearest multiple 6 x 0.25 = 1.5 mcg
    p = plan(
        adult(),
        reg(
            "mcg",
            rng("per-day", "fixed", 1, 1.6, "ug/d"),
            freqs=("once-daily",),
            products=(product("tablet", ("once-daily",), 0.25, unit="ug"),),
        ),
    )
    (a,) = p.administrations
    assert (a.unit, a.rounded_low, a.rounded_high, a.step) == ("ug", 1, 1.5, 0.25)


def _one_drug(*regimens: Regimen) -> Drug:
    return Drug(
        "engdrug",
        "Engine drug",
        "drug",
        "A drug for the engine tests.",
        SRC_DRUG,
        regimens=regimens,
    )


def test_compiled_regimens_go_with_their_catalog() -> None:
    import gc
    import weakref

    from calcidose.engine import dosing

    regimen = fixed_day(100, 200)
    catalog = _catalog([_one_drug(regimen)])
    calcidose.dose("engdrug", adult(), catalog=catalog)
    splits, _ = dosing._compiled(catalog, regimen)
    assert dosing._compiled(catalog, regimen)[0] is splits  # compiled once, kept
    other = _catalog([_one_drug(regimen)])  # another catalog holding the same regimen object
    assert dosing._compiled(other, regimen)[0] is not splits  # its own compiled view
    gone = weakref.ref(catalog)
    del catalog, splits
    gc.collect()
    assert gone() is None  # nothing outside the catalog holds it or what it compiled


def test_a_regimen_the_catalog_does_not_hold_is_compiled_for_the_call_only() -> None:
    from calcidose.engine import dosing

    catalog = _catalog([_one_drug(fixed_day(100, 200))])
    stranger = fixed_day(
        300, 400, freqs=("once-daily", "twice-daily"), caps=(cap("day", 350, "mg/d"),)
    )
    splits, limits = dosing._compiled(catalog, stranger)
    assert [s.freq.id for s in splits] == [
        "once-daily",
        "twice-daily",
    ]  # one split each, no product
    assert [(lim.per, lim.value) for lim in limits] == [("day", 350.0)]  # 350 mg/d in mg
    assert dosing._compiled(catalog, stranger)[0] is not splits  # not kept
