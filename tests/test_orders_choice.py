"""Order checks: reading the order, choosing the regimen, volume orders and the JSON.

Most tests use small purpose-built catalogs (regimens named by what they are), so every
expected number and every trace text is derived by hand from the figures written here; the
tests on the real tables cite the table figure beside the number.
"""

from __future__ import annotations

from typing import Any

import pytest
from strategies import SOURCES, _catalog, q

from calcidose.catalog.model import (
    Cap,
    Catalog,
    Course,
    DoseRange,
    Drug,
    Population,
    Product,
    Regimen,
    Rule,
)
from calcidose.engine import orders
from calcidose.engine.orders import check
from calcidose.engine.orders.parse import _given_code
from calcidose.errors import OrderError, PatientError
from calcidose.patient import Patient
from calcidose.results import Finding, Step

ADULTS = Population("adults", min_age=q(18, "a"))
CHILDREN = Population("children", max_age=q(18, "a"))
UNITS = {
    "per-day": "mg/d",
    "per-week": "mg/wk",
    "per-administration": "mg",
    "per-session": "mg",
}


def reg(
    rid: str,
    basis: str = "per-day",
    freqs: tuple[str, ...] = (),
    *,
    low: float = 100,
    high: float = 200,
    unit: str | None = None,
    pop: Population | None = None,
    dosable: bool = True,
    route: str = "oral",
    products: tuple[Product, ...] = (),
    caps: tuple[Cap, ...] = (),
    course: Course | None = None,
    scale: str = "fixed",
) -> Regimen:
    u = unit or UNITS[basis]
    return Regimen(
        rid,
        f"{rid} regimen",
        route,  # type: ignore[arg-type]
        dosable,
        "IV",
        "calcinosis-reports",
        SOURCES,
        population=pop or Population(),
        dose=DoseRange(basis, scale, q(low, u), q(high, u), SOURCES)  # type: ignore[arg-type]
        if dosable
        else None,
        not_dosable_reason=None if dosable else "No source gives a dose.",
        frequencies=freqs,
        products=products,
        caps=caps,
        course=course,
    )


def cat_of(*regimens: Regimen, name: str = "testdrug") -> Catalog:
    drug = Drug(name, name, "drug", "A test drug.", ("ref-label",), regimens=regimens)
    return _catalog([drug])


def person(age: str | None = "40 years", weight: str | None = "70 kg") -> Patient:
    kw: dict[str, Any] = {"sex": "male"}
    if age is not None:
        kw["age"] = age
    if weight is not None:
        kw["weight"] = weight
    return Patient(**kw)


def run(cat: Catalog, amount: str, freq: str, p: Patient | None = None, **kw: Any) -> Any:
    return check("testdrug", amount, freq, p if p is not None else person(), catalog=cat, **kw)


def choice(result: orders.OrderCheck) -> str:
    (step,) = [s for s in result.trace if s.label == "regimen"]
    return step.text()


# --- reading the order ------------------------------------------------------------------------


def test_route_messages() -> None:
    with pytest.raises(OrderError) as err:
        orders.parse_route("SC")
    assert str(err.value) == (
        "route 'SC' is an ISMP error-prone abbreviation: "
        "write 'subcutaneous' (SC is mistaken for SL, sublingual)"
    )
    with pytest.raises(OrderError) as err:
        orders.parse_route(" sq ")
    assert str(err.value) == (
        "route ' sq ' is an ISMP error-prone abbreviation: "
        "write 'subcutaneous' (SQ is mistaken for '5 every')"
    )
    with pytest.raises(OrderError) as err:
        orders.parse_route("nasal")
    # the table's routes (calcidose.catalog.model.ROUTES without "none") and the two abbreviations
    assert str(err.value) == (
        "route 'nasal' is not recognised; accepted: "
        "oral, intravenous, topical, intralesional, subcutaneous, iv, po"
    )
    with pytest.raises(OrderError) as err:
        orders.parse_route(5)  # type: ignore[arg-type]
    assert str(err.value) == "route must be text, not int"
    assert orders.parse_route(" IV ") == "intravenous"
    assert orders.parse_route(None) is None


def test_bad_types_are_named() -> None:
    with pytest.raises(PatientError) as perr:
        check("diltiazem", "90 mg", "tid", {"weight": "70 kg"})  # type: ignore[arg-type]
    assert str(perr.value) == "patient must be a calcidose.Patient, not dict"
    with pytest.raises(OrderError) as oerr:
        check("diltiazem", "90 mg", 3, person())  # type: ignore[arg-type]
    assert str(oerr.value) == "frequency must be text, not int"


def test_amount_with_an_unaccepted_unit() -> None:
    with pytest.raises(OrderError) as err:
        check("diltiazem", "90 kg", "tid", person())
    # units.ACCEPTED: amounts g, mg, mcg, ug; volumes mL, ml
    assert str(err.value) == (
        "amount '90 kg': the unit is not accepted; accepted: g, mg, mcg, ug (amounts) "
        "or mL, ml (volumes)"
    )


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("1.5 g", (1.5, "g")),
        ("1500 mg", (1500, "mg")),
        ("1500000 mcg", (1500000, "ug")),
        ("1500000 ug", (1500000, "ug")),
    ],
)
def test_amount_is_shown_in_the_unit_written(amount: str, shown: tuple[float, str]) -> None:
    # 1.5 g = 1500 mg = 1,500,000 mcg: the same order, shown as written
    cat = cat_of(reg("daily", freqs=("once-daily",), low=1000, high=2000))
    r = run(cat, amount, "daily")
    assert r.amount == shown
    assert r.verdict == "within-range"  # 1500 mg/day within 1000 to 2000 mg/day


def test_pint_amounts_keep_their_unit() -> None:
    from calcidose import ureg

    cat = cat_of(reg("daily", freqs=("once-daily",), low=1000, high=2000))
    r = run(cat, ureg.Quantity(1.5, "gram"), "daily")  # type: ignore[arg-type]
    assert r.amount == (1.5, "g")
    assert r.per_administration == (1.5, "g")
    assert r.per_day == (1.5, "g/d")  # 1.5 g x 1
    r = run(cat, ureg.Quantity(1500000, "microgram"), "daily")  # type: ignore[arg-type]
    assert r.amount == (1500000, "ug")
    assert r.per_day == (1500000, "ug/d")


# --- choosing the regimen: frequency fit ------------------------------------------------------
# A regimen scores 2 when the order's frequency is one of its own, 1 when its basis can take the
# frequency, 0 when it cannot; the best score wins, then the ordered amount, then table order.

WEEKLY = reg("weekly", "per-week", ("once-weekly",))
DAILY = reg("daily", "per-day", ("once-daily",))


def test_daily_frequency_goes_to_the_daily_regimen() -> None:
    # twice daily: a per-day regimen takes any daily schedule (1), a weekly one cannot (0);
    # 150 mg x 2 = 300 mg/day is outside 100 to 200 mg/day, so the amount decides nothing
    r = run(cat_of(WEEKLY, DAILY), "150 mg", "bid")
    assert r.regimen == "daily"
    assert choice(r) == (
        "daily chosen for this order (route oral, twice daily is not one of its frequencies, "
        "all ages: fits age 40 years); not chosen: weekly (route oral, twice daily is not one "
        "of its frequencies, all ages: fits age 40 years)"
    )


def test_every_other_day_fits_neither_so_table_order_decides() -> None:
    # every other day: not daily (period 2 days) and not weekly: both score 0; the daily
    # regimen's range is per day and the order is not daily, so the amount cannot decide
    r = run(cat_of(WEEKLY, DAILY), "150 mg", "every other day")
    assert r.regimen == "weekly"
    assert choice(r) == (
        "weekly chosen for this order (route oral, every other day is not one of its "
        "frequencies, all ages: fits age 40 years); not chosen: daily (route oral, every other "
        "day is not one of its frequencies, all ages: fits age 40 years)"
    )


def test_weekly_schedule_goes_to_the_weekly_regimen() -> None:
    # three times weekly: a 7-day period, which a per-week regimen takes (1), a daily one not
    r = run(cat_of(DAILY, WEEKLY), "50 mg", "three times weekly")
    assert r.regimen == "weekly"
    assert choice(r) == (
        "weekly chosen for this order (route oral, three times weekly is not one of its "
        "frequencies, all ages: fits age 40 years); not chosen: daily (route oral, three times "
        "weekly is not one of its frequencies, all ages: fits age 40 years)"
    )


def test_single_administration_fits_a_weekly_regimen() -> None:
    # once: both a per-day and a per-week regimen can take it (1 each); 300 mg is outside
    # 100 to 200 mg/day, so the first in the table is kept
    r = run(cat_of(WEEKLY, DAILY), "300 mg", "once")
    assert r.regimen == "weekly"
    assert choice(r) == (
        "weekly chosen for this order (route oral, once (single administration) is not one of "
        "its frequencies, all ages: fits age 40 years); not chosen: daily (route oral, once "
        "(single administration) is not one of its frequencies, all ages: fits age 40 years)"
    )


LISTED = reg("listed", "per-administration", ("once-daily",))
FREE = reg("free", "per-administration")


def test_per_administration_regimen_without_frequencies_takes_any() -> None:
    # twice daily: the regimen listing only once daily cannot take it (0), the one listing no
    # frequency can (1)
    r = run(cat_of(LISTED, FREE), "150 mg", "bid")
    assert r.regimen == "free"
    assert choice(r) == (
        "free chosen for this order (route oral, all ages: fits age 40 years); not chosen: "
        "listed (route oral, twice daily is not one of its frequencies, all ages: fits age 40 "
        "years)"
    )


def test_per_administration_single_administration() -> None:
    # once: any per-administration regimen can take a single administration (1 each); 150 mg
    # is within both 100 to 200 mg ranges, so the first in the table is kept
    r = run(cat_of(LISTED, FREE), "150 mg", "once")
    assert r.regimen == "listed"
    assert choice(r) == (
        "listed chosen for this order (route oral, once (single administration) is not one of "
        "its frequencies, all ages: fits age 40 years); not chosen: free (route oral, all ages: "
        "fits age 40 years)"
    )


def test_not_dosable_regimen_is_described() -> None:
    # a not-dosable regimen never beats a dosable one; the trace says why
    none = reg("none", dosable=False, freqs=("once-daily",))
    r = run(cat_of(none, DAILY), "150 mg", "daily")
    assert r.regimen == "daily"
    assert choice(r) == (
        "daily chosen for this order (route oral, once daily is one of its frequencies, "
        "all ages: fits age 40 years); not chosen: none (route oral, once daily is one of its "
        "frequencies, all ages: fits age 40 years, not dosable)"
    )
    alone = run(cat_of(none), "150 mg", "bid")
    assert choice(alone) == (
        "none chosen for this order (route oral, twice daily is not one of its frequencies, "
        "all ages: fits age 40 years, not dosable)"
    )


# --- choosing the regimen: age ------------------------------------------------------------------

ADULT_DAILY = reg("adult", freqs=("once-daily",), pop=ADULTS)
CHILD_DAILY = reg("child", freqs=("once-daily",), pop=CHILDREN, low=10, high=20)
AGED = cat_of(ADULT_DAILY, CHILD_DAILY)


def test_child_just_under_eighteen() -> None:
    # 17.99 years x 365.25 = 6,570.8 days < 18 x 365.25 = 6,574.5 days: a child (ISMP text
    # rounds 17.99 to one decimal: "18 years")
    r = run(AGED, "15 mg", "daily", person("17.99 years"))
    assert r.regimen == "child"
    assert choice(r) == (
        "child chosen for this order (route oral, once daily is one of its frequencies, "
        "children: fits age 18 years); not chosen: adult (route oral, once daily is one of its "
        "frequencies, adults: does not fit)"
    )


def test_eighteen_exactly_is_an_adult() -> None:
    # 18 years: the adult minimum is included, the child maximum ("under 18") is not; 15 mg
    # would fit the child range (10 to 20 mg/day) but not the adult one (100 to 200 mg/day)
    r = run(AGED, "15 mg", "daily", person("18 years"))
    assert r.regimen == "adult"
    assert r.verdict == "below-range"
    assert choice(r) == (
        "adult chosen for this order (route oral, once daily is one of its frequencies, "
        "adults: fits age 18 years); not chosen: child (route oral, once daily is one of its "
        "frequencies, children: does not fit)"
    )


def test_age_unknown_between_populations_is_cannot_check() -> None:
    r = run(AGED, "15 mg", "daily", person(None))
    assert r.verdict == "cannot-check"
    assert r.regimen is None
    assert [f for f in r.findings if f.code == "missing-age"] == [
        Finding(
            "cannot-check",
            "missing-age",
            "the order fits regimens of testdrug for different ages (adult (adults); child "
            "(children)); the patient's age is not given",
            "Give the patient's age, or name a regimen.",
            missing=("age",),
        )
    ]
    assert not [s for s in r.trace if s.label == "regimen"]


def test_age_unknown_with_one_population_is_chosen() -> None:
    # two all-ages regimens: the age cannot change the choice
    r = run(cat_of(DAILY, FREE), "150 mg", "daily", person(None))
    assert r.regimen == "daily"
    assert "missing-age" not in {f.code for f in r.findings}
    assert choice(r) == (
        "daily chosen for this order (route oral, once daily is one of its frequencies, "
        "all ages: fits age not given); not chosen: free (route oral, all ages: fits age not "
        "given)"
    )
    # an age-limited regimen with the age unknown: neither fits nor does not fit
    r = run(cat_of(ADULT_DAILY), "150 mg", "daily", person(None))
    assert choice(r) == (
        "adult chosen for this order (route oral, once daily is one of its frequencies, "
        "adults: age not given)"
    )


def test_no_regimen_for_the_age() -> None:
    r = run(
        cat_of(ADULT_DAILY, reg("teen", pop=Population("teens", q(12, "a"), q(18, "a")))),
        "150 mg",
        "daily",
        person("10 years"),
    )
    assert r.verdict == "cannot-check"
    assert r.regimen is None
    assert [f for f in r.findings if f.code == "no-regimen-for-age"] == [
        Finding(
            "cannot-check",
            "no-regimen-for-age",
            "no regimen of testdrug covers a patient of 10 years (adult (adults); teen (teens))",
            "No sourced dose exists for this age; do not extrapolate.",
            ("ref-label",),
        )
    ]
    # a newborn: age 0 is an age, written "0 years"
    r = run(cat_of(ADULT_DAILY), "150 mg", "daily", person("0 days"))
    (f,) = [f for f in r.findings if f.code == "no-regimen-for-age"]
    assert f.message == "no regimen of testdrug covers a patient of 0 years (adult (adults))"


def test_regimen_asked_for_is_described() -> None:
    r = run(AGED, "150 mg", "daily", regimen="child")
    assert r.regimen == "child"
    assert choice(r) == (
        "child: asked for (route oral, once daily is one of its frequencies, children: does not "
        "fit)"
    )


def test_no_regimen_for_the_route() -> None:
    cat = cat_of(DAILY, reg("lesion", freqs=("once-daily",), route="intralesional"))
    r = run(cat, "150 mg", "daily", route="iv")
    assert r.verdict == "cannot-check"
    assert r.regimen is None
    assert [f for f in r.findings if f.code == "no-regimen-for-route"] == [
        Finding(
            "cannot-check",
            "no-regimen-for-route",
            "testdrug has no intravenous regimen in the tables (its routes: intralesional, "
            "oral); there is no sourced range to check this order against",
            "Check the route; calcidose has no sourced dose for this one.",
            ("ref-label",),
            ("a regimen for this route",),
        )
    ]
    # the route narrows the choice: the intralesional regimen alone is left
    r = run(cat, "150 mg", "daily", route="intralesional")
    assert choice(r) == (
        "lesion chosen for this order (route intralesional, once daily is one of its "
        "frequencies, all ages: fits age 40 years)"
    )


# --- choosing the regimen: the ordered amount never breaks a tie -----------------------------
# Issue 10 section 3: the amount used to break a tie (the regimen whose range held the amount
# was chosen); that let a looser regimen make a larger amount read better than a smaller one.
# The same cases now keep the first tied regimen (table order); ``fitted`` is the regimen the
# amount used to pick, kept to show each case is one where the old choice differed or not.


@pytest.mark.parametrize(
    ("regimens", "amount", "freq", "fitted"),
    [
        # 200 mg/day is the top of 100 to 200 mg/day (inclusive), below 300 to 400 mg/day
        ((reg("high", low=300, high=400), reg("low")), "200 mg", "daily", "low"),
        # 100 mg/day is the bottom of 100 to 200 mg/day (inclusive)
        ((reg("high", low=300, high=400), reg("low")), "100 mg", "daily", "low"),
        # 100 mg twice daily = 200 mg/day
        ((reg("high", low=300, high=400), reg("low")), "100 mg", "bid", "low"),
        # 50 mg twice daily = 100 mg/day: not the 50 mg of one administration
        ((reg("mid", low=50, high=60), reg("low")), "50 mg", "bid", "low"),
        # a single administration of 150 mg: 150 mg that day
        ((reg("high", low=300, high=400), reg("low")), "150 mg", "once", "low"),
        # 0.5 mg/day is the top of 0.25 to 0.5 mg/day
        ((reg("high", low=1, high=2), reg("low", low=0.25, high=0.5)), "0.5 mg", "daily", "low"),
        # 1.5 g/day = 1500 mg/day, within 1 to 2 g/day
        (
            (reg("mg", low=100, high=200), reg("g", low=1, high=2, unit="g/d")),
            "1500 mg",
            "daily",
            "g",
        ),
        # 500 mg/day is below 1 to 2 g/day = 1000 to 2000 mg/day: table order
        (
            (reg("mg", low=100, high=200), reg("g", low=1, high=2, unit="g/d")),
            "500 mg",
            "daily",
            "mg",
        ),
        # per administration and per session: the amount itself
        (
            (reg("a", "per-administration", low=300, high=400), reg("b", "per-administration")),
            "150 mg",
            "bid",
            "b",
        ),
        (
            (reg("a", "per-session", low=300, high=400), reg("b", "per-session")),
            "150 mg",
            "bid",
            "b",
        ),
        # 200 mg twice daily = 400 mg/day, within 300 to 400 mg/day: the daily total counts
        ((reg("low"), reg("high", low=300, high=400)), "200 mg", "bid", "high"),
    ],
)
def test_amount_never_breaks_a_tie(
    regimens: tuple[Regimen, ...], amount: str, freq: str, fitted: str
) -> None:
    r = run(cat_of(*regimens), amount, freq)
    first = regimens[0].id
    assert r.regimen == first
    assert fitted in {reg.id for reg in regimens}
    assert f"{first} chosen for this order (route oral, all ages: fits age 40 years)" in (choice(r))


def test_amount_never_fits_a_weekly_or_course_range_by_tie() -> None:
    # a per-week regimen: the daily amount is not a weekly total, it never decides; here the
    # per-administration regimen (100 to 200 mg) does not take 50 mg either: table order
    admin = reg("admin", "per-administration", ("once-weekly",))
    week = reg("week", "per-week", ("once-weekly",))
    r = run(cat_of(admin, week), "50 mg", "bid")  # 50 x 2 = 100 mg, 100 x 7 = 700 mg/wk
    assert r.regimen == "admin"
    # a per-course regimen listed first is not chosen for its range either
    # issue 10 section 3: nor is b chosen for its range any more: the first tied regimen is
    # kept whatever the amount (it was "b ...; the ordered amount is within its range")
    course = reg("course", "per-course", unit="mg", course=Course(min_days=2, max_days=2))
    r = run(cat_of(course, reg("b", "per-administration")), "150 mg", "bid")
    assert r.regimen == "course"
    assert "course chosen for this order (route oral, all ages: fits age 40 years)" in choice(r)


def test_unknown_weight_does_not_pick_a_weight_based_regimen_by_amount() -> None:
    # no weight: the weight-based range is unknown; 150 mg fits the fixed 100 to 200 mg/day
    # issue 10 section 3: the amount never chooses, so the first tied regimen is kept and its
    # unknown weight-based range makes the order cannot-check (it was: "fixed" by amount fit)
    weight = reg("byweight", low=2, high=4, unit="mg/kg/d", scale="weight")
    r = run(cat_of(weight, reg("fixed")), "150 mg", "daily", person(weight=None))
    assert r.regimen == "byweight"
    assert r.verdict == "cannot-check"
    r = run(cat_of(reg("none", dosable=False), reg("none2", dosable=False)), "150 mg", "daily")
    assert r.regimen == "none"


# --- volume orders ------------------------------------------------------------------------------


def test_volume_of_sodium_thiosulfate_is_converted_with_the_label_concentration() -> None:
    # sodium-thiosulfate.toml, intravenous: injection 25% = 250 mg/mL [sodium-thiosulfate-
    # label-us]; 50 mL x 250 mg/mL = 12,500 mg = 12.5 g, within 12.5 to 25 g per infusion
    r = check("sodium-thiosulfate", "50 mL", "three times weekly", person("54 years"), route="iv")
    (step,) = [s for s in r.trace if s.label == "volume to amount"]
    assert step == Step(
        "volume to amount",
        "{volume} x {concentration} (injection 25% (12.5 g in a 50 mL single-dose vial)) = "
        "{amount}",
        (("volume", 50, "mL"), ("concentration", 250, "mg/mL"), ("amount", 12500, "mg")),
        sources=("sodium-thiosulfate-label-us",),
    )
    # shown in grams from 1,000 mg on, as every view writes amounts: 12,500 mg = 12.5 g
    assert step.text() == (
        "50 mL x 250 mg/mL (injection 25% (12.5 g in a 50 mL single-dose vial)) = 12.5 g"
    )
    assert r.per_administration == (12.5, "g")
    # three times weekly: 12.5 g x 3 = 37.5 g in a week
    assert r.per_week == (37500 / 1000, "g/wk")


def test_volume_of_immune_globulin_course() -> None:
    # immune-globulin.toml: solution 10% = 100 mg/mL [octagam-10-label-us]; 1400 mL x 100 mg/mL
    # = 140,000 mg = 140 g, the 2 g/kg course of a 70 kg adult (2 x 70 = 140 g); no cap
    # renal function is given (CrCl 90 mL/min): the renal boxed-warning rule can be decided;
    # height too: 70 kg at 170 cm is a BMI of 24.2, so the obesity dosing-weight rule is decided
    known = Patient(age="54 years", weight="70 kg", height="170 cm", sex="male", crcl="90 mL/min")
    r = check("immune-globulin", "1400 mL", "every 4 weeks", known)
    assert r.per_administration == (140, "g")
    assert r.per_course == (140, "g")
    assert r.verdict == "within-range"
    # without any renal input the boxed warning's renal risk (pre-existing renal insufficiency)
    # cannot be excluded: the order cannot be checked, never passed (status cannot-check, exit
    # 3); that warning carries no dose limit, so the range verdict (140 g, the 2 g/kg course)
    # stands (issue 10: the verdict was cannot-check before, though no answer could change it)
    unknown = check("immune-globulin", "1400 mL", "every 4 weeks", person("54 years"))
    assert (unknown.verdict, unknown.status, unknown.exit_code) == (
        "within-range",
        "cannot-check",
        3,
    )
    assert "immune-globulin-renal-insufficiency:cannot-check" in {f.code for f in unknown.findings}


def test_volume_regimen_is_not_converted() -> None:
    # a regimen dosed in mL: the order is compared in mL, whatever the product's concentration
    cat = cat_of(
        reg(
            "ml",
            "per-administration",
            low=1,
            high=2,
            unit="mL",
            products=(Product("solution", concentration=q(10, "mg/mL"), sources=SOURCES),),
        )
    )
    r = run(cat, "1.5 mL", "once")
    assert r.per_administration == (1.5, "mL")
    assert not [s for s in r.trace if s.label == "volume to amount"]
    assert r.verdict == "within-range"  # 1.5 mL within 1 to 2 mL


def test_volume_with_a_volume_cap_is_not_converted() -> None:
    # triamcinolone-acetonide.toml, intralesional: not dosable, at most 2 mL per session
    # [calcidose policy]; 10 and 40 mg/mL products, but the cap is a volume: nothing to convert
    r = check("triamcinolone-acetonide", "1 mL", "every 4 weeks", person("54 years"))
    assert r.per_administration == (1, "mL")
    assert "volume-needs-concentration" not in {f.code for f in r.findings}
    (cap,) = r.maxima
    assert (cap.ordered, cap.value, cap.unit, cap.exceeded) == (1, 2, "mL", False)


def _products(*products: Product) -> Catalog:
    return cat_of(reg("amount", "per-administration", products=products))


def test_volume_with_two_concentrations_needs_one() -> None:
    cat = _products(
        Product("vial 40", concentration=q(40, "mg/mL"), sources=SOURCES),
        Product("tablet", strengths=(q(50, "mg"),), sources=SOURCES),
        Product("vial 10", concentration=q(10, "mg/mL"), sources=SOURCES),
        Product("paste", concentration=q(250, "mg/g"), sources=SOURCES),
    )
    r = run(cat, "2 mL", "once")
    assert r.verdict == "cannot-check"
    assert r.per_administration == (2, "mL")
    assert [f for f in r.findings if f.code == "volume-needs-concentration"] == [
        Finding(
            "cannot-check",
            "volume-needs-concentration",
            "the order is a volume (2 mL) and the regimen is dosed by amount; the "
            "concentration is not known (products: 10 mg/mL, 40 mg/mL)",
            "Write the order as an amount (mg or g), or name the product.",
            SOURCES,
            ("the amount in mg, or the concentration",),
        )
    ]


def test_volume_with_no_concentration() -> None:
    r = run(_products(), "2 mL", "once")
    (f,) = [f for f in r.findings if f.code == "volume-needs-concentration"]
    assert f.message == (
        "the order is a volume (2 mL) and the regimen is dosed by amount; the concentration is "
        "not known (products: none in the tables)"
    )


def test_volume_uses_the_product_of_the_ordered_frequency() -> None:
    cat = _products(
        Product("tablet", strengths=(q(50, "mg"),), sources=SOURCES),
        Product("daily vial", ("once-daily",), concentration=q(10, "mg/mL"), sources=("d",)),
        Product("bid vial", ("twice-daily",), concentration=q(40, "mg/mL"), sources=("b",)),
        Product("paste", concentration=q(250, "mg/g"), sources=SOURCES),
    )
    # once daily: the 10 mg/mL vial; 15 mL x 10 mg/mL = 150 mg, within 100 to 200 mg
    r = run(cat, "15 mL", "daily")
    assert r.per_administration == (150, "mg")
    assert r.per_day == (150, "mg/d")  # 150 mg x 1
    (step,) = [s for s in r.trace if s.label == "volume to amount"]
    assert step.text() == "15 mL x 10 mg/mL (daily vial) = 150 mg"
    assert step.sources == ("d",)
    # a product listing no frequency serves every frequency
    cat = _products(Product("any vial", concentration=q(10, "mg/mL"), sources=SOURCES))
    assert run(cat, "15 mL", "bid").per_administration == (150, "mg")


def test_volume_of_a_not_dosable_regimen_with_an_amount_cap() -> None:
    # not dosable, capped at 50 mg per session: 2 mL x 10 mg/mL = 20 mg, shown in mg
    cat = cat_of(
        reg(
            "capped",
            dosable=False,
            products=(Product("vial", concentration=q(10, "mg/mL"), sources=SOURCES),),
            caps=(Cap("policy", "session", q(50, "mg"), SOURCES),),
        )
    )
    r = run(cat, "2 mL", "daily")
    assert r.per_administration == (20, "mg")
    assert r.per_day == (20, "mg/d")  # 20 mg x 1
    (cap,) = r.maxima
    assert (cap.ordered, cap.exceeded) == (20, False)


# --- the check: order step, per-day and per-week steps, rules that read the order -------------


def test_order_step_is_in_the_unit_written() -> None:
    cat = cat_of(reg("daily", freqs=("three-times-daily",), low=3000, high=6000))
    r = run(cat, "1.5 g", "tid", route="po")
    assert r.trace[0] == Step("order", "{amount} three times daily (oral)", (("amount", 1.5, "g"),))
    assert r.trace[0].text() == "1.5 g three times daily (oral)"
    # 1.5 g x 3 = 4.5 g/day (4,500 mg/day, within 3,000 to 6,000 mg/day)
    (step,) = [s for s in r.trace if s.label == "ordered per day"]
    assert step == Step(
        "ordered per day",
        "{amount} x 3 (three times daily) = {per_day}",
        (("amount", 1.5, "g"), ("per_day", 4.5, "g/d")),
    )
    assert r.per_day == (4.5, "g/d")
    assert r.per_week is None  # a daily order of a daily regimen has no weekly total
    assert r.verdict == "within-range"
    # no route written: none in the step
    r = run(cat, "1.5 g", "tid")
    assert r.trace[0] == Step("order", "{amount} three times daily", (("amount", 1.5, "g"),))


def test_single_administration_has_no_per_day_step() -> None:
    cat = cat_of(reg("daily", freqs=("once-daily",)))
    r = run(cat, "150 mg", "once")
    assert r.per_day == (150, "mg/d")  # a single administration counts as one day
    assert not [s for s in r.trace if s.label == "ordered per day"]
    assert r.per_week is None


def test_per_week_shown_for_weekly_type_orders_only() -> None:
    free = cat_of(reg("free", "per-administration"))
    # every other day: 7 / 2 = 3.5 administrations a week, 100 mg x 3.5 = 350 mg/wk
    assert run(free, "100 mg", "every other day").per_week == (350, "mg/wk")
    # once weekly: 100 mg/wk
    assert run(free, "100 mg", "weekly").per_week == (100, "mg/wk")
    # every 2 weeks is not a weekly-type order (period over 7 days)
    assert run(free, "100 mg", "every 2 weeks").per_week is None
    # daily: not shown per week for a regimen that is not weekly
    assert run(free, "100 mg", "daily").per_week is None
    # no "ordered per week" step unless the regimen is weekly
    r = run(free, "100 mg", "three times weekly")
    assert r.per_week == (300, "mg/wk")  # 100 mg x 3
    assert not [s for s in r.trace if s.label == "ordered per week"]


def test_daily_order_of_a_weekly_regimen_is_shown_per_week() -> None:
    # alendronate.toml: 70 mg once weekly [label]; 10 mg once daily = 10 x 7 = 70 mg/week
    r = check("alendronate", "10 mg", "daily", person("54 years"))
    (step,) = [s for s in r.trace if s.label == "ordered per week"]
    assert step == Step(
        "ordered per week",
        "{amount} once daily = {per_week} (the regimen is weekly)",
        (("amount", 10, "mg"), ("per_week", 70, "mg/wk")),
    )
    # once weekly: the order is already weekly, no step
    r = check("alendronate", "70 mg", "weekly", person("54 years"))
    assert r.per_week == (70, "mg/wk")
    assert not [s for s in r.trace if s.label == "ordered per week"]


def test_volume_orders_that_cannot_be_converted_have_no_totals() -> None:
    # a daily volume order of a regimen dosed in mL: no amount, so no per-day step
    ml = cat_of(reg("ml", "per-administration", low=1, high=2, unit="mL"))
    r = run(ml, "1.5 mL", "daily")
    assert (r.per_administration, r.per_day, r.per_week) == ((1.5, "mL"), None, None)
    assert not [s for s in r.trace if s.label == "ordered per day"]
    # a weekly regimen without a concentration: no weekly total
    r = run(cat_of(WEEKLY), "1.5 mL", "daily")
    assert (r.per_administration, r.per_day, r.per_week) == ((1.5, "mL"), None, None)
    assert not [s for s in r.trace if s.label == "ordered per week"]


def test_volume_amount_never_picks_a_regimen_by_range() -> None:
    # 1.5 mL is not 1.5 mg: the amount cannot break the tie, the first regimen is kept
    cat = cat_of(reg("a", "per-administration"), reg("b", "per-administration", low=1, high=2))
    assert run(cat, "1.5 mL", "once").regimen == "a"


ORDER_RULE = Rule(
    "big-day",
    "warning",
    "major",
    {"order_per_day_above": {"value": 150, "unit": "mg/d"}},
    "More than 150 mg a day.",
    "Check the daily total.",
    SOURCES,
    regimens=("daily",),
)
CAUTION_RULE = Rule(
    "ref-caution",
    "warning",
    "moderate",
    {"condition": "ref-caution"},
    "Use with care in ref-caution.",
    "Monitor.",
    SOURCES,
)


def _ruled() -> Catalog:
    drug = Drug(
        "testdrug",
        "testdrug",
        "drug",
        "A test drug.",
        ("ref-label",),
        regimens=(
            reg("daily", freqs=("once-daily", "twice-daily"), low=50, high=300),
            reg("lesion", route="intralesional"),
        ),
        rules=(ORDER_RULE, CAUTION_RULE),
    )
    return _catalog([drug])


def test_rules_read_the_ordered_amount_per_day() -> None:
    cat = _ruled()
    # 100 mg twice daily = 200 mg/day > 150 mg/day: the rule of the daily regimen fires
    r = run(cat, "100 mg", "bid")
    assert [f.code for f in r.findings if f.code == "big-day"] == ["big-day"]
    # 100 mg once daily = 100 mg/day (700 mg in a week, but the rule reads the day)
    r = run(cat, "100 mg", "daily")
    assert "big-day" not in {f.code for f in r.findings}


def test_patient_rule_findings_are_given_once() -> None:
    p = Patient(weight="70 kg", age="40 years", sex="male", conditions=["ref-caution"])
    cat = _ruled()
    r = run(cat, "100 mg", "daily", p)
    assert [f.code for f in r.findings if f.code == "ref-caution"] == ["ref-caution"]
    # no regimen for the route: the rules are still read, once
    r = run(cat, "100 mg", "daily", p, route="iv")
    assert r.regimen is None
    assert [f.code for f in r.findings if f.code == "ref-caution"] == ["ref-caution"]


def test_result_names_the_regimen_or_the_drug() -> None:
    r = run(cat_of(DAILY), "150 mg", "daily", route="oral")
    assert (r.drug, r.drug_name, r.regimen, r.regimen_title, r.route) == (
        "testdrug",
        "testdrug",
        "daily",
        "daily regimen",
        "oral",
    )
    assert (r.frequency, r.frequency_text, r.ordered_route) == ("once-daily", "once daily", "oral")
    assert (r.sources, r.evidence, r.range_origin) == (SOURCES, "IV", "calcinosis-reports")
    r = run(cat_of(DAILY), "150 mg", "daily", route="iv")
    assert (r.regimen, r.regimen_title, r.route, r.ordered_route) == (
        None,
        None,
        None,
        "intravenous",
    )
    assert (r.sources, r.evidence, r.range_origin) == (("ref-label",), None, None)


# --- tolerance at the bounds, and "once" in a regimen's frequencies -----------------------------


@pytest.mark.parametrize(
    ("low", "high", "amount"),
    [
        # the range is read with a tolerance of 1e-9 mg below the bottom:
        # 100 - 1e-9 = 99.999999999 mg is within 100 to 200 mg/day
        (100, 200, "99.999999999 mg"),
        # and of 1e-9 relative + 1e-9 mg above the top: 50 x (1 + 1e-9) + 1e-9 = 50.000000051
        (25, 50, "50.000000051 mg"),
    ],
)
def test_amount_at_the_tolerance_still_fits(low: float, high: float, amount: str) -> None:
    # issue 10 section 3: the amount no longer chooses the regimen (the first tied one is
    # kept), so the tolerance is pinned on the comparison with the regimen named
    cat = cat_of(reg("high", low=300, high=400), reg("low", low=low, high=high))
    assert run(cat, amount, "daily").regimen == "high"
    r = run(cat, amount, "daily", regimen="low")
    assert r.regimen == "low"
    assert r.verdict == "within-range"


def test_single_administration_listed_in_a_regimen_sets_no_lower_rate() -> None:
    # the regimen lists "once" (rate 0) and once weekly (1 a week): every 2 weeks (1 in 14
    # days) is not less often than "once"; 150 mg within 100 to 200 mg per administration
    cat = cat_of(reg("admin", "per-administration", ("once", "once-weekly")))
    r = run(cat, "150 mg", "every 2 weeks")
    assert r.verdict == "within-range"
    assert "less-often-than-regimen" not in {f.code for f in r.findings}


# --- JSON ----------------------------------------------------------------------------------------


def test_json_of_a_checked_order() -> None:
    cat = cat_of(
        reg(
            "daily",
            freqs=("once-daily",),
            caps=(Cap("label", "day", q(300, "mg/d"), SOURCES, "label maximum"),),
        )
    )
    r = run(cat, "150 mg", "daily", route="po")
    d = r.to_dict()
    assert d["findings"] == [f.to_dict() for f in r.findings]
    assert d["trace"] == [s.to_dict() for s in r.trace]
    del d["findings"], d["trace"]
    # 150 mg once daily = 150 mg/day: within 100 to 200 mg/day, under the 300 mg/day label cap
    assert d == {
        "schema": "calcidose/order-check/3",
        "drug": "testdrug",
        "drug_name": "testdrug",
        "regimen": "daily",
        "regimen_title": "daily regimen",
        "route": "oral",
        "verdict": "within-range",
        "complete": True,
        "status": "ok",  # no finding above info: the overall status is ok
        "order": {
            "amount": {"value": 150, "unit": "mg"},
            "frequency": "once-daily",
            "frequency_text": "once daily",
            "route": "oral",
            "text": "150 mg once daily (oral)",
        },
        "ordered": {
            "per_administration": {"value": 150, "unit": "mg"},
            "per_day": {"value": 150, "unit": "mg/d"},
            "per_week": None,
            "per_course": None,
            "dispense": [],  # the regimen lists no product
        },
        "expected": {
            "basis": "per-day",
            "low": {"value": 100, "unit": "mg/d"},
            "high": {"value": 200, "unit": "mg/d"},
        },
        "maxima": [
            {
                "per": "day",
                "max": {"value": 300, "unit": "mg/d"},
                "kind": "label",
                "ordered": {"value": 150, "unit": "mg/d"},
                "exceeded": False,
                "sources": ["ref-label", "ref-paper"],
                "note": "label maximum",
                "changed_by": None,  # no overlay changed it
            }
        ],
        "evidence": "IV",
        "range_origin": "calcinosis-reports",
        "high_alert": False,
        "sources": ["ref-label", "ref-paper"],
        "tables_version": "ref-1",
        # the reference tables' meta.toml says ref-1; no overlay is applied (issue 12 §3)
        "tables": {"edition": "ref-1", "overlays": []},
    }


def test_json_of_an_order_that_cannot_be_compared() -> None:
    # not dosable, with a course maximum the order cannot be put in (no course): nothing to
    # compare; the maximum is listed with no ordered amount
    cat = cat_of(
        reg("none", dosable=False, caps=(Cap("policy", "course", q(1000, "mg"), SOURCES),))
    )
    d = run(cat, "150 mg", "every 2 weeks").to_dict()
    assert d["verdict"] == "cannot-check"
    assert d["expected"] is None
    assert d["ordered"] == {
        "per_administration": {"value": 150, "unit": "mg"},
        "per_day": None,
        "per_week": None,
        "per_course": None,
        "dispense": [],  # no product
    }
    assert d["order"]["route"] is None
    assert d["order"]["text"] == "150 mg every 2 weeks"
    assert d["maxima"] == [
        {
            "per": "course",
            "max": {"value": 1000, "unit": "mg"},
            "kind": "policy",
            "ordered": None,
            "exceeded": None,
            "sources": ["ref-label", "ref-paper"],
            "note": "",
            "changed_by": None,
        }
    ]


def test_every_regimen_not_chosen_is_listed() -> None:
    # once daily: the daily regimen lists it (2), the per-administration one without
    # frequencies can take it (1), the weekly one cannot (0)
    r = run(cat_of(DAILY, WEEKLY, FREE), "150 mg", "daily")
    assert choice(r) == (
        "daily chosen for this order (route oral, once daily is one of its frequencies, all ages: "
        "fits age 40 years); not chosen: weekly (route oral, once daily is not one of its "
        "frequencies, all ages: fits age 40 years); free (route oral, all ages: fits age 40 years)"
    )


def test_json_of_a_course_order() -> None:
    # immune-globulin.toml: 2 g/kg per course [octagam-10-label-us]; 2 x 70 kg = 140 g; the
    # order is one course every 4 weeks, so the course total is the ordered 140 g
    d = check("immune-globulin", "140 g", "every 4 weeks", person("54 years")).to_dict()
    assert d["ordered"]["per_course"] == {"value": 140, "unit": "g"}
    assert d["expected"] == {
        "basis": "per-course",
        "low": {"value": 140, "unit": "g"},
        "high": {"value": 140, "unit": "g"},
    }


# --- the unit an order was written in -----------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("2 g", "g"),
        ("90 mg", "mg"),
        ("500 mcg", "ug"),
        ("500ug", "ug"),
        ("10 mL", "mL"),
        ("10 ml", "mL"),
    ],
)
def test_the_order_keeps_the_unit_it_was_written_in(written: str, code: str) -> None:
    assert _given_code(written) == code


def test_an_unrecognised_written_unit_is_refused_not_guessed() -> None:
    # only reachable if the units whitelist and the order's spelling table ever disagree:
    # then the order is refused rather than shown in a unit it was not written in
    for written in ("5 furlongs", "five mg"):
        with pytest.raises(OrderError) as raised:
            _given_code(written)
        assert str(raised.value) == (
            f"amount {written!r}: the unit it was written in is not recognised"
        )
