"""Order checks: the comparison of an order with its regimen's range and maxima, and the verdict.

The drugs here are purpose-built (tests/strategies.py builds its catalogs the same way), so
every expected number is a hand calculation from figures this file chose; each source id is
distinct (``src-dose``, ``src-label``, ...) so that a test can tell which figure a message or a
trace step rests on. Ranges and caps are mostly written in grams: the engine works in mg, so a
value shown in the wrong unit (x 1000) cannot go unnoticed.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from strategies import REF_RULES, SOURCES, _catalog, _vocabulary, q

from calcidose import Patient, check
from calcidose.catalog.model import (
    Cap,
    Catalog,
    Course,
    DoseRange,
    Drug,
    Regimen,
    Rule,
    Source,
)
from calcidose.engine.orders import OrderCheck
from calcidose.results import Finding

# --- the test drug -------------------------------------------------------------------------------

_EXTRA_SOURCES = (
    "src-regimen",
    "src-dose",
    "src-label",
    "src-policy",
    "src-reported",
    "src-course",
    "src-session",
)


def _vocab() -> dict[str, Any]:
    vocab = _vocabulary()
    vocab["sources"] = {
        **vocab["sources"],
        **{s: Source(s, "paper", s, f"Test source {s}.", "test") for s in _EXTRA_SOURCES},
    }
    return vocab


def regimen(**changes: Any) -> Regimen:
    """A dosable oral regimen, 1 to 2 g/day once daily (calcinosis reports), no cap."""
    fields: dict[str, Any] = {
        "id": "main",
        "title": "Test regimen",
        "route": "oral",
        "dosable": True,
        "evidence": "IV",
        "range_origin": "calcinosis-reports",
        "sources": ("src-regimen",),
        "dose": DoseRange("per-day", "fixed", q(1, "g/d"), q(2, "g/d"), ("src-dose",)),
        "frequencies": ("once-daily",),
    }
    fields.update(changes)
    return Regimen(**fields)


def catalog(reg: Regimen, rules: tuple[Rule, ...] = ()) -> Catalog:
    drug = Drug(
        "testdrug",
        "Testdrug",
        "drug",
        "A drug for the tests.",
        SOURCES,
        regimens=(reg,),
        rules=rules,
    )
    return _catalog([drug], _vocab())


ADULT: dict[str, Any] = {"weight": "70 kg", "age": "50 years", "sex": "male", "crcl": "90 mL/min"}


def run(
    reg: Regimen, amount: str, frequency: str, rules: tuple[Rule, ...] = (), **who: Any
) -> OrderCheck:
    patient = Patient(**{k: v for k, v in {**ADULT, **who}.items() if v is not None})
    return check("testdrug", amount, frequency, patient, catalog=catalog(reg, rules))


def found(r: OrderCheck, code: str) -> Finding:
    (f,) = [f for f in r.findings if f.code == code]
    return f


def codes(r: OrderCheck) -> list[str]:
    return sorted(f.code for f in r.findings)


def steps(r: OrderCheck, prefix: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(label, text, sources) of the trace steps whose label starts with ``prefix``."""
    return [(s.label, s.text(), s.sources) for s in r.trace if s.label.startswith(prefix)]


def whole(f: Finding) -> tuple[str, str, str, str, tuple[str, ...]]:
    return (f.severity, f.code, f.message, f.management, f.sources)


# --- every maximum, in its own basis -------------------------------------------------------------

WEEKLY = regimen(
    dose=DoseRange("per-week", "fixed", q(10, "g/wk"), q(25, "g/wk"), ("src-dose",)),
    frequencies=("once-weekly",),
)


FOUR_CAPS = (
    Cap("label", "day", q(3, "g/d"), ("src-label",)),
    Cap("policy", "administration", q(1.5, "g"), ("src-policy",), note="two tablets at most"),
    Cap("label", "course", q(50, "g"), ("src-course",)),
    Cap("policy", "session", q(2, "mL"), ("src-session",)),
)
CAPPED = regimen(range_origin="label", frequencies=("once-daily", "twice-daily"), caps=FOUR_CAPS)


def test_every_maximum_exceeded_is_named_with_its_basis_kind_and_source() -> None:
    # 2 g twice daily: 2 g x 2 = 4 g/day > 3 g/day (label); 2 g > 1.5 g per administration
    # (policy). The regimen has no course, and a 2 mL session cap cannot take an order in
    # grams.
    r = run(CAPPED, "2 g", "bid")
    assert r.verdict == "exceeds-maximum"
    assert [
        (m.per, m.value, m.unit, m.kind, m.sources, m.note, m.ordered, m.exceeded) for m in r.maxima
    ] == [
        ("day", 3, "g/d", "label", ("src-label",), "", 4, True),
        ("administration", 1.5, "g", "policy", ("src-policy",), "two tablets at most", 2, True),
        ("course", 50, "g", "label", ("src-course",), "", None, None),
        ("session", 2, "mL", "policy", ("src-session",), "", None, None),
    ]
    assert steps(r, "maximum") == [
        ("maximum (label)", "ordered 4 g/day > 3 g/day", ("src-label",)),
        ("maximum (policy)", "ordered 2 g > 1.5 g per administration", ("src-policy",)),
        (
            "maximum (label)",
            "at most 50 g per course: the order cannot be put per course",
            ("src-course",),
        ),
        (
            "maximum (policy)",
            "at most 2 mL per session: the order cannot be put per session",
            ("src-session",),
        ),
    ]
    over = [whole(f) for f in r.findings if f.code.startswith("order-") and "maximum" in f.code]
    assert over == [
        (
            "major",
            "order-exceeds-maximum",
            "the order gives 4 g/day, above the label maximum of 3 g/day",
            "Do not give as written; at most 3 g/day.",
            ("src-label",),
        ),
        (
            "major",
            "order-exceeds-maximum",
            "the order gives 2 g per administration, above the calcidose policy maximum of "
            "1.5 g (two tablets at most)",
            "Do not give as written; at most 1.5 g per administration.",
            ("src-policy",),
        ),
    ]


def test_maxima_not_exceeded() -> None:
    # 0.5 g twice daily: 1 g/day <= 3 g/day; 0.5 g <= 1.5 g; 1 g/day is the low end of 1 to
    # 2 g/day
    r = run(CAPPED, "0.5 g", "bid")
    assert r.verdict == "within-range"
    assert [(m.ordered, m.exceeded) for m in r.maxima] == [
        (1, False),
        (0.5, False),
        (None, None),
        (None, None),
    ]
    assert [text for _, text, _ in steps(r, "maximum")][:2] == [
        "ordered 1 g/day <= 3 g/day",
        "ordered 0.5 g <= 1.5 g per administration",
    ]
    assert not [f for f in r.findings if "maximum" in f.code]


def test_a_maximum_exceeded_only_by_the_reports_is_above_range() -> None:
    # 10 to 25 g once weekly, at most 30 g/week in the reports: 35 g once weekly is above both,
    # and a reported maximum makes the order above-range, not exceeds-maximum
    reg = attrs.evolve(WEEKLY, caps=(Cap("regimen", "week", q(30, "g/wk"), ("src-reported",)),))
    r = run(reg, "35 g", "weekly")
    assert r.verdict == "above-range"
    assert steps(r, "maximum") == [
        ("maximum (regimen)", "ordered 35 g/week > 30 g/week", ("src-reported",))
    ]
    assert whole(found(r, "order-above-reported-maximum")) == (
        "major",
        "order-above-reported-maximum",
        "the order gives 35 g/week, above the reported maximum of 30 g/week",
        "Do not give as written; at most 30 g/week.",
        ("src-reported",),
    )
    # 28 g once weekly: above the 10 to 25 g range, but not above the 30 g/week reported maximum
    r = run(reg, "28 g", "weekly")
    assert r.verdict == "above-range"
    assert r.maxima[0].exceeded is False
    assert "order-above-reported-maximum" not in codes(r)


def test_a_maximum_at_the_tolerance_edge_is_not_exceeded() -> None:
    # the comparison allows a relative and an absolute 1e-9 (float noise): an order exactly at
    # 3 g/day x (1 + 1e-9) + 1e-9 mg is still within the 3 g/day label maximum
    edge = 3000 * (1 + 1e-9) + 1e-9
    r = run(
        regimen(caps=FOUR_CAPS[:1], dose=None, dosable=False, not_dosable_reason="x"),
        f"{edge!r} mg",
        "daily",
    )
    (cap,) = r.maxima
    assert cap.exceeded is False


def test_the_maximum_of_an_interaction_rule_names_the_rule() -> None:
    # REF_RULES: ref-limiter limits refdrug to 100 mg/day; 75 mg twice daily = 150 mg/day
    reg = regimen(
        dose=DoseRange("per-day", "fixed", q(50, "mg/d"), q(150, "mg/d"), ("src-dose",)),
        frequencies=("twice-daily",),
    )
    r = run(reg, "75 mg", "bid", REF_RULES, medications=["ref-limiter"])
    assert r.verdict == "exceeds-maximum"
    rule = next(m for m in r.maxima if m.kind == "rule ref-limit")
    assert (rule.per, rule.value, rule.unit, rule.ordered, rule.exceeded) == (
        "day",
        100,
        "mg/d",
        150,
        True,
    )
    f = next(f for f in r.findings if f.code == "order-exceeds-maximum")
    assert whole(f) == (
        "major",
        "order-exceeds-maximum",
        "the order gives 150 mg/day, above the interaction/renal (ref-limit) maximum of 100 mg/day",
        "Do not give as written; at most 100 mg/day.",
        SOURCES,
    )
    assert ("maximum (rule ref-limit)", "ordered 150 mg/day > 100 mg/day", SOURCES) in steps(
        r, "maximum"
    )


def test_a_maximum_of_a_kind_calcidose_does_not_know_is_named_as_written() -> None:
    # a hand-built catalog (not validated) may carry another kind: it is shown as written
    kind: Any = "institution"
    reg = regimen(caps=(Cap(kind, "administration", q(1, "g"), ("src-policy",)),))
    r = run(reg, "1.5 g", "daily")  # 1.5 g > 1 g per administration
    assert r.verdict == "exceeds-maximum"
    assert found(r, "order-exceeds-maximum").message == (
        "the order gives 1.5 g per administration, above the institution maximum of 1 g"
    )


# --- the verdict ---------------------------------------------------------------------------------


def test_not_dosable_regimen_says_why_and_compares_nothing() -> None:
    reg = regimen(dosable=False, dose=None, not_dosable_reason="No source gives a dose.")
    r = run(reg, "1 g", "daily")
    assert r.verdict == "cannot-check"
    assert whole(found(r, "no-sourced-range")) == (
        "cannot-check",
        "no-sourced-range",
        "Test regimen: calcidose has no sourced range to check this order against "
        "(No source gives a dose.)",
        "Check the order against the prescriber's plan and the product label.",
        ("src-regimen",),
    )
    assert (r.expected_basis, r.expected_low, r.expected_high, r.expected_unit) == (
        None,
        None,
        None,
        None,
    )
    assert r.to_dict()["expected"] is None


LABEL_CAPPED = regimen(caps=(Cap("label", "day", q(3, "g/d"), ("src-label",)),))


PREGNANCY = next(rule for rule in REF_RULES if rule.id == "ref-pregnancy")


@pytest.mark.parametrize("rule_id", ["ref-pregnancy", "testdrug-not-in-pregnancy"])
def test_unknown_pregnancy_hides_an_exceeded_maximum(rule_id: str) -> None:
    # 4 g/day > 3 g/day, but the pregnancy contraindication cannot be checked: pregnancy
    # status unknown could make the order contraindicated, so the verdict is cannot-check
    # (whatever the length of the rule's id)
    others = tuple(rule for rule in REF_RULES if rule is not PREGNANCY)
    rules = (*others, attrs.evolve(PREGNANCY, id=rule_id))
    r = run(LABEL_CAPPED, "4 g", "daily", rules, sex="female")
    assert f"{rule_id}:cannot-check" in codes(r)
    assert r.maxima[0].exceeded is True
    assert r.verdict == "cannot-check"


def test_unknown_renal_function_does_not_hide_an_exceeded_maximum() -> None:
    # ref-renal is a major warning, not a contraindication: 4 g/day > 3 g/day whatever the CrCl
    r = run(LABEL_CAPPED, "4 g", "daily", REF_RULES, crcl=None)
    assert "ref-renal:cannot-check" in codes(r)
    assert r.verdict == "exceeds-maximum"
    # within the maximum: ref-renal carries no dose limit, so its unknown cannot change the
    # range verdict (1.5 g/day within 1 to 2 g/day); the status is cannot-check (issue 10: the
    # verdict was cannot-check before, though no value of the CrCl could change it)
    r = run(LABEL_CAPPED, "1.5 g", "daily", REF_RULES, crcl=None)
    assert (r.verdict, r.status) == ("within-range", "cannot-check")
    assert "ref-renal:cannot-check" in codes(r)


SESSION_ML = regimen(
    dose=DoseRange("per-session", "fixed", q(0.5, "mL"), q(2, "mL"), ("src-dose",)),
    frequencies=("every-4-weeks",),
)


def test_order_in_mg_of_a_regimen_dosed_in_ml_is_not_comparable() -> None:
    r = run(SESSION_ML, "10 mg", "every 4 weeks")
    assert r.verdict == "cannot-check"
    assert codes(r) == ["order-not-comparable"]
    assert whole(found(r, "order-not-comparable")) == (
        "cannot-check",
        "order-not-comparable",
        "Test regimen: the order cannot be put in the regimen's basis (per-session), so it "
        "cannot be compared",
        "Write the order as the regimen is dosed.",
        ("src-regimen",),
    )
    assert (r.expected_basis, r.expected_low, r.expected_high, r.expected_unit) == (
        None,
        None,
        None,
        None,
    )


def test_volume_order_of_a_regimen_dosed_in_ml() -> None:
    # 1 mL every 4 weeks, range 0.5 to 2 mL per session: within, compared in mL
    r = run(SESSION_ML, "1 mL", "every 4 weeks")
    assert r.verdict == "within-range"
    assert steps(r, "compare") == [
        (
            "compare (per-session)",
            "ordered 1 mL: within the range 0.5 mL to 2 mL",
            ("src-dose",),
        )
    ]
    # 3 mL > 2 mL
    r = run(SESSION_ML, "3 mL", "every 4 weeks")
    assert r.verdict == "above-range"
    assert found(r, "order-above-range").message == (
        "the order gives 3 mL, above the range for this patient (0.5 mL to 2 mL, from the "
        "calcinosis reports)"
    )


def test_dosable_regimen_without_a_range_is_not_comparable() -> None:
    # the validator refuses this (a dosable regimen needs a range); check() does not validate a
    # catalog it is given, and must then say it cannot compare rather than pass the order
    r = run(regimen(dose=None), "1 g", "daily")
    assert r.verdict == "cannot-check"
    assert found(r, "order-not-comparable").message == (
        "Test regimen: the order cannot be put in the regimen's basis (none), so it cannot be "
        "compared"
    )


# --- the range comparison ------------------------------------------------------------------------


def test_range_comparison_trace_and_findings_in_the_regimen_unit() -> None:
    # 2.5 g daily against 1 to 2 g/day (calcinosis reports): above
    r = run(regimen(), "2.5 g", "daily")
    assert r.verdict == "above-range"
    assert steps(r, "compare") == [
        (
            "compare (per-day)",
            "ordered 2.5 g/day: above the range 1 g/day to 2 g/day",
            ("src-dose",),
        )
    ]
    assert whole(found(r, "order-above-range")) == (
        "moderate",
        "order-above-range",
        "the order gives 2.5 g/day, above the range for this patient (1 g/day to 2 g/day, from "
        "the calcinosis reports)",
        "Check the intended dose with the prescriber.",
        ("src-dose",),
    )
    # 0.5 g daily, a label range: below, and the label is named
    r = run(regimen(range_origin="label"), "0.5 g", "daily")
    assert r.verdict == "below-range"
    assert whole(found(r, "order-below-range")) == (
        "moderate",
        "order-below-range",
        "the order gives 0.5 g/day, below the range for this patient (1 g/day to 2 g/day, from "
        "the drug label)",
        "Check the intended dose with the prescriber.",
        ("src-dose",),
    )
    assert (r.expected_basis, r.expected_low, r.expected_high, r.expected_unit) == (
        "per-day",
        1,
        2,
        "g/d",
    )


def test_range_bounds_at_the_tolerance_edge_are_within() -> None:
    # the bounds are compared as displayed (1 and 2 g/day = 1,000 and 2,000 mg/day) with a
    # relative and an absolute 1e-9 of tolerance; an order exactly on either edge is within
    high_edge = 2000 * (1 + 1e-9) + 1e-9
    low_edge = 1000 * (1 - 1e-9) - 1e-9
    assert run(regimen(), f"{high_edge!r} mg", "daily").verdict == "within-range"
    assert run(regimen(), f"{low_edge!r} mg", "daily").verdict == "within-range"


def test_daily_regimen_ordered_weekly_compares_the_dosing_day() -> None:
    # 1.5 g once weekly: the dosing day (1.5 g) is within 1 to 2 g/day, but the drug is given
    # less often than every day: below-range, with the reason
    r = run(regimen(), "1.5 g", "weekly")
    assert r.verdict == "below-range"
    assert whole(found(r, "less-often-than-regimen")) == (
        "major",
        "less-often-than-regimen",
        "Test regimen: the regimen is a dose per day, every day; the order is once weekly. "
        "calcidose does not average a daily dose over longer periods; each dosing day is "
        "compared with the daily range",
        "Order the drug daily, as the regimen gives it, or document why not.",
        ("src-regimen",),
    )
    assert steps(r, "compare")[0][1] == "ordered 1.5 g/day: within the range 1 g/day to 2 g/day"
    # a single administration is one day's dose, not a less frequent one
    r = run(regimen(), "1.5 g", "once")
    assert r.verdict == "within-range"
    assert "less-often-than-regimen" not in codes(r)


def test_daily_frequency_not_in_the_regimen() -> None:
    # 0.75 g twice daily = 1.5 g/day: within 1 to 2 g/day; bid is not one of the frequencies
    reg = regimen(frequencies=("once-daily", "three-times-daily"))
    r = run(reg, "0.75 g", "bid")
    assert r.verdict == "within-range"
    assert whole(found(r, "frequency-not-in-regimen")) == (
        "minor",
        "frequency-not-in-regimen",
        "Test regimen: twice daily is not one of the regimen's frequencies (once daily, three "
        "times daily); the total per day is compared",
        "Check that a product exists for this frequency.",
        ("src-regimen",),
    )


def test_weekly_regimen_ordered_daily() -> None:
    # 2 g daily = 2 x 7 = 14 g/week: within 10 to 25 g/week, but a weekly dose is never daily
    r = run(WEEKLY, "2 g", "daily")
    assert r.verdict == "above-range"
    assert codes(r) == ["weekly-regimen-ordered-daily"]  # not also "more often"
    assert whole(found(r, "weekly-regimen-ordered-daily")) == (
        "major",
        "weekly-regimen-ordered-daily",
        "Test regimen: Testdrug is given once a week; this order is once daily. A weekly dose "
        "is never given daily",
        "Rewrite the order once weekly.",
        ("src-regimen",),
    )


def test_weekly_regimen_ordered_more_often() -> None:
    # 5 g three times weekly = 15 g/week: within 10 to 25 g/week, but more often than weekly
    r = run(WEEKLY, "5 g", "three times weekly")
    assert r.verdict == "above-range"
    assert whole(found(r, "more-often-than-regimen")) == (
        "major",
        "more-often-than-regimen",
        "Test regimen: ordered three times weekly, more often than the regimen (once weekly)",
        "Check the frequency with the prescriber.",
        ("src-regimen",),
    )


def test_weekly_regimen_ordered_less_often() -> None:
    # 30 g every 2 weeks = 30 x 7 / 14 = 15 g/week on average: within 10 to 25 g/week, but less
    # often than the least frequent of the regimen's schedules: below-range
    reg = attrs.evolve(WEEKLY, frequencies=("once-weekly", "three-times-weekly"))
    r = run(reg, "30 g", "every 2 weeks")
    assert r.verdict == "below-range"
    assert codes(r) == ["less-often-than-regimen"]
    assert whole(found(r, "less-often-than-regimen")) == (
        "moderate",
        "less-often-than-regimen",
        "Test regimen: ordered every 2 weeks, less often than the regimen (once weekly, three "
        "times weekly)",
        "Check the frequency with the prescriber.",
        ("src-regimen",),
    )
    assert steps(r, "compare")[0][1] == (
        "ordered 15 g/week: within the range 10 g/week to 25 g/week"
    )


def test_per_session_and_per_administration_regimens_check_the_frequency() -> None:
    # every 2 weeks is twice the rate of every 4 weeks: more often, never within
    r = run(SESSION_ML, "1 mL", "every 2 weeks")
    assert r.verdict == "above-range"
    assert found(r, "more-often-than-regimen").message == (
        "Test regimen: ordered every 2 weeks, more often than the regimen (every 4 weeks)"
    )
    per_admin = regimen(
        dose=DoseRange("per-administration", "fixed", q(0.5, "g"), q(1, "g"), ("src-dose",)),
        frequencies=("every-4-weeks",),
    )
    r = run(per_admin, "1 g", "every 2 weeks")
    assert r.verdict == "above-range"
    assert "more-often-than-regimen" in codes(r)
    # with two schedules, every 2 weeks is more often than the most frequent (every 4 weeks)
    two = attrs.evolve(per_admin, frequencies=("every-4-weeks", "once-monthly"))
    assert found(run(two, "1 g", "every 2 weeks"), "more-often-than-regimen").message == (
        "Test regimen: ordered every 2 weeks, more often than the regimen (every 4 weeks, once "
        "monthly)"
    )
    r = run(per_admin, "1 g", "every 4 weeks")
    assert r.verdict == "within-range"
    assert steps(r, "compare") == [
        (
            "compare (per-administration)",
            "ordered 1 g: within the range 0.5 g to 1 g",
            ("src-dose",),
        )
    ]


# --- courses -------------------------------------------------------------------------------------

COURSE = regimen(
    dose=DoseRange("per-course", "fixed", q(100, "g"), q(140, "g"), ("src-dose",)),
    frequencies=("every-4-weeks",),
    course=Course(min_days=2, max_days=5),
)


def test_course_ordered_as_a_course() -> None:
    # 120 g every 4 weeks: within 100 to 140 g per course; over 2 to 5 days that is
    # 120 / 5 = 24 g to 120 / 2 = 60 g a day
    r = run(COURSE, "120 g", "every 4 weeks")
    assert r.verdict == "within-range"
    assert r.per_course == (120, "g")
    assert (r.expected_basis, r.expected_low, r.expected_high, r.expected_unit) == (
        "per-course",
        100,
        140,
        "g",
    )
    assert steps(r, "compare") == [
        ("compare (per-course)", "ordered 120 g: within the range 100 g to 140 g", ("src-dose",))
    ]
    assert whole(found(r, "course-days")) == (
        "info",
        "course-days",
        "the course is given over 2 to 5 consecutive days: 24 g to 60 g per day",
        "Write the daily amount and the number of days on the order.",
        ("src-regimen",),
    )
    # 150 g > 140 g: above, still with the days of the course
    r = run(COURSE, "150 g", "every 4 weeks")
    assert r.verdict == "above-range"
    assert found(r, "order-above-range").message == (
        "the order gives 150 g, above the range for this patient (100 g to 140 g, from the "
        "calcinosis reports)"
    )


def test_course_over_a_fixed_number_of_days() -> None:
    # 120 g over exactly 3 days = 40 g a day
    expected = (
        "info",
        "course-days",
        "the course is given over 3 consecutive days: 40 g per day",
        "Write the daily amount and the number of days on the order.",
        ("src-regimen",),
    )
    fixed = attrs.evolve(COURSE, course=Course(min_days=3, max_days=3))
    assert whole(found(run(fixed, "120 g", "every 4 weeks"), "course-days")) == expected
    # no max_days: the course takes min_days
    at_least = attrs.evolve(COURSE, course=Course(min_days=3))
    assert whole(found(run(at_least, "120 g", "every 4 weeks"), "course-days")) == expected


@pytest.mark.parametrize("course", [None, Course(max_days=5), Course(administrations=None)])
def test_course_without_its_days_is_compared_per_course(course: Course | None) -> None:
    # without a first day count there is no daily share: even a daily order is taken as the
    # course (35 g < 100 g per course), and no course-days text is given
    reg = attrs.evolve(COURSE, course=course)
    r = run(reg, "120 g", "every 4 weeks")
    assert r.verdict == "within-range"
    assert "course-days" not in codes(r)
    r = run(reg, "35 g", "daily")
    assert r.verdict == "below-range"
    assert r.expected_basis == "per-course"
    assert "course-days" not in codes(r)


def test_daily_order_is_compared_with_the_daily_share_of_the_course() -> None:
    # 35 g daily; the daily share is 100 g / 5 days = 20 g/day to 140 g / 2 days = 70 g/day.
    # 35 g x 3 days = 105 g and 35 g x 4 days = 140 g make a course (100 to 140 g); 2 days
    # (70 g) and 5 days (175 g) do not
    r = run(COURSE, "35 g", "daily")
    assert r.verdict == "within-range"
    assert (r.expected_basis, r.expected_low, r.expected_high, r.expected_unit) == (
        "per-day",
        20,
        70,
        "g/d",
    )
    assert r.per_course == (105, "g")
    assert steps(r, "daily share") == [
        (
            "daily share of the course",
            "100 g / 5 days to 140 g / 2 days = 20 g/day to 70 g/day",
            ("src-dose",),
        )
    ]
    assert steps(r, "compare") == [
        (
            "compare (per-day)",
            "ordered 35 g/day: within the range 20 g/day to 70 g/day",
            ("src-dose",),
        )
    ]
    assert whole(found(r, "course-days")) == (
        "info",
        "course-days",
        "35 g/day for 3 days gives the course of 105 g (also 4 days); stop after the course",
        "Write the number of days on the order.",
        ("src-regimen",),
    )


def test_daily_order_that_makes_the_course_on_three_day_counts() -> None:
    # 75 to 125 g over 2 to 5 days, 25 g daily: 3 days = 75 g, 4 days = 100 g, 5 days = 125 g
    # all make a course; 2 days = 50 g does not
    reg = attrs.evolve(
        COURSE, dose=DoseRange("per-course", "fixed", q(75, "g"), q(125, "g"), ("src-dose",))
    )
    r = run(reg, "25 g", "daily")
    assert found(r, "course-days").message == (
        "25 g/day for 3 days gives the course of 75 g (also 4, 5 days); stop after the course"
    )


def test_daily_order_that_makes_the_course_on_one_day_count_only() -> None:
    # 20 g daily: only 5 days (100 g) make a course; 6 days is longer than the course
    r = run(COURSE, "20 g", "daily")
    assert r.per_course == (100, "g")
    assert found(r, "course-days").message == (
        "20 g/day for 5 days gives the course of 100 g; stop after the course"
    )
    # 50 g daily: 2 days (100 g) only, 3 days = 150 g is above 140 g; never one day
    r = run(COURSE, "50 g", "daily")
    assert found(r, "course-days").message == (
        "50 g/day for 2 days gives the course of 100 g; stop after the course"
    )


def test_daily_order_no_day_count_of_the_course_fits() -> None:
    # 120 g daily: above the 70 g/day share; 2 days would already be 240 g > 140 g, so no day
    # count is offered and the order has no course total
    r = run(COURSE, "120 g", "daily")
    assert r.verdict == "above-range"
    assert "course-days" not in codes(r)
    assert r.per_course is None
    # the whole course given once: 140 g on one day, above the 70 g/day share; its course
    # total is the single administration
    r = run(COURSE, "140 g", "once")
    assert r.verdict == "above-range"
    assert "course-days" not in codes(r)
    assert r.per_course == (140, "g")


def test_course_day_counts_at_the_tolerance_edge() -> None:
    # the day counts allow 1e-6 of relative tolerance on the course range; an order exactly at
    # the edge for 2 days is still offered (mg, so that no unit conversion rounds it)
    low_edge = 100_000 * (1 - 1e-6) / 2
    r = run(COURSE, f"{low_edge!r} mg", "daily")
    assert "for 2 days" in found(r, "course-days").message
    high_edge = 140_000 * (1 + 1e-6) / 2
    r = run(COURSE, f"{high_edge!r} mg", "daily")
    assert "for 2 days" in found(r, "course-days").message


def test_course_of_a_fixed_number_of_administrations() -> None:
    # 2 administrations of 1 g = 2 g per course: above the 1.5 g course maximum (label)
    reg = regimen(
        dose=DoseRange("per-administration", "fixed", q(0.5, "g"), q(1, "g"), ("src-dose",)),
        frequencies=("every-2-weeks",),
        course=Course(administrations=2),
        caps=(Cap("label", "course", q(1.5, "g"), ("src-course",)),),
    )
    r = run(reg, "1 g", "every 2 weeks")
    assert r.per_course == (2, "g")
    assert r.verdict == "exceeds-maximum"
    assert whole(found(r, "order-exceeds-maximum")) == (
        "major",
        "order-exceeds-maximum",
        "the order gives 2 g per course, above the label maximum of 1.5 g",
        "Do not give as written; at most 1.5 g per course.",
        ("src-course",),
    )
    # a course with no count of administrations: no course total of a per-administration order
    r = run(attrs.evolve(reg, course=Course(min_days=1)), "1 g", "every 2 weeks")
    assert r.per_course is None


def test_course_total_of_a_volume_order() -> None:
    # a volume order of a regimen dosed in mL has no amount, so no course total in grams
    reg = attrs.evolve(SESSION_ML, course=Course(administrations=3))
    r = run(reg, "1 mL", "every 4 weeks")
    assert r.verdict == "within-range"
    assert r.per_course is None
