"""Issue 10: a rule whose clinical content is a dose limit does not over-alert.

A *limit rule* is a ``dose-adjustment`` rule of severity ``major`` (tables/README.md, "Limit
rules"): when its limit is applied and respected the finding is a ``moderate`` caution saying
so; when the order exceeds it the finding stays ``major`` beside ``order-exceeds-maximum``.

Generated from the tables: for every drug, every limit rule, a patient that fires it (found by
trying the medications, conditions and clearances its ``when`` names), every dosable regimen it
applies to and every frequency of that regimen whose basis the limit is in: an order at the
limit or at half of it never gets a major finding from the rule; 5% over it and twice it always
do. Each limit is converted here by hand from the table (a per-kg limit times the weight: 5
mg/kg/day x 70 kg = 350 mg/day; grams are 1000 mg), never read from the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.catalog.model import Catalog, Drug, Regimen, Rule
from calcidose.engine import rules as rules_mod
from calcidose.engine.limits import is_limit_rule
from calcidose.frequency import by_id

WEIGHT = 70.0
#: factor of each limit code to canonical mg (per day, per week, per administration)
TO_MG = {"mg": 1.0, "g": 1000.0, "mg/d": 1.0, "g/d": 1000.0, "mg/wk": 1.0, "g/wk": 1000.0}
#: per-kg limit codes: factor to mg per kg
PER_KG = {"mg/kg/d": 1.0, "mg/kg": 1.0, "g/kg": 1000.0}
CLEARANCES = (5, 12, 18, 25, 35, 45, 55, 90)  # mL/min: one in every renal band of the tables
#: the period (days) of an order whose amount can be put per ``per``
PERIOD = {"day": 1.0, "week": 7.0}


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("all", "any"):
                for child in value:
                    yield from _walk(child)
            elif key == "not":
                yield from _walk(value)
            else:
                yield key, value


def _candidates(cat: Catalog, rule: Rule) -> Iterator[calcidose.Patient]:
    meds: list[list[str]] = [[]]
    conditions: list[list[str]] = [[]]
    for key, value in _walk(rule.when):
        if key == "taking":
            meds.append([value])
        elif key == "taking_class":
            members = [
                i
                for i, s in (*cat.substances.items(), *cat.drugs.items())
                if value in s.classes
            ]
            meds.extend([m] for m in sorted(members)[:2])
        elif key == "condition":
            conditions.append([value])
    for crcl in CLEARANCES:
        for med in meds:
            for cond in conditions:
                yield calcidose.Patient(
                    weight=f"{WEIGHT:g} kg",
                    height="175 cm",
                    age="60 years",
                    sex="male",
                    crcl=f"{crcl} mL/min",
                    medications=med,
                    conditions=cond,
                    labs={"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
                )


def _fires(cat: Catalog, drug: Drug, regimen: Regimen, rule: Rule) -> calcidose.Patient | None:
    for p in _candidates(cat, rule):
        found = rules_mod.evaluate(cat, drug, regimen, p).findings
        if any(f.code == rule.id and f.severity == rule.severity for f in found):
            return p
    return None


def _limit_mg(rule: Rule, per: str) -> float:
    """The strictest of the rule's limits per ``per``, in mg, converted by hand."""
    values = []
    for adj in rule.adjust:
        if adj.per != per:
            continue
        code = adj.max.unit
        if code in PER_KG:
            values.append(adj.max.value * PER_KG[code] * WEIGHT)
        else:
            values.append(adj.max.value * TO_MG[code])
    return min(values)


def cases() -> list[tuple[Drug, Rule, Regimen, str, str]]:
    out = []
    for drug in sorted(get_catalog().drugs.values(), key=lambda d: d.id):
        for rule in drug.rules:
            if not is_limit_rule(rule):
                continue
            for r in drug.regimens:
                if not (r.dosable and r.dose is not None):
                    continue
                if rule.regimens and r.id not in rule.regimens:
                    continue
                for per in sorted({a.per for a in rule.adjust}):
                    for f in r.frequencies:
                        freq = by_id(f)
                        if per == "administration" or PERIOD.get(per) == freq.period_days:
                            out.append((drug, rule, r, per, f))
    return out


CASES = cases()


def test_the_cases_cover_every_limit_rule_of_the_tables() -> None:
    ids = {rule.id for _, rule, *_ in CASES}
    # the issue's example, and the interaction limits of colchicine
    assert {"etidronate-renal-20-50", "etidronate-renal-below-20"} <= ids
    assert {"colchicine-diltiazem", "colchicine-verapamil", "colchicine-crcl-below-30"} <= ids
    # a rule that says more than a limit is not a limit rule (EHJ 2021: avoid at any dose)
    drug = get_catalog().drugs["colchicine"]
    assert not is_limit_rule(next(r for r in drug.rules if r.id == "colchicine-strong-inhibitor"))


@pytest.mark.parametrize(
    ("drug", "rule", "regimen", "per", "freq"),
    CASES,
    ids=[f"{d.id}:{r.id}:{g.id}:{f}" for d, r, g, _, f in CASES],
)
def test_an_order_within_the_limit_is_never_major_and_over_it_always_is(
    drug: Drug, rule: Rule, regimen: Regimen, per: str, freq: str
) -> None:
    cat = get_catalog()
    p = _fires(cat, drug, regimen, rule)
    assert p is not None, f"no patient of the grid fires {rule.id}"
    limit = _limit_mg(rule, per)
    count = by_id(freq).count if per != "administration" else 1
    for share, over in ((1.0, False), (0.5, False), (1.05, True), (2.0, True)):
        each = limit * share / count
        r = calcidose.check(drug.id, f"{each!r} mg", freq, p, regimen.id)
        own = [f for f in r.findings if f.code == rule.id]
        assert len(own) == 1, (share, [f.code for f in r.findings])
        if over:
            assert own[0].severity == "major", (share, own[0].message)
            assert "order-exceeds-maximum" in {f.code for f in r.findings}
        else:
            assert own[0].severity == "moderate", (share, own[0].message)
            assert "dose limit applied and respected" in own[0].message


PLAN_BASIS = {"per-day": "day", "per-week": "week", "per-administration": "administration"}


@pytest.mark.parametrize(
    ("drug", "rule", "regimen"),
    sorted({(d.id, r.id, g.id): (d, r, g) for d, r, g, _, _ in CASES}.values(), key=str),
    ids=lambda v: getattr(v, "id", str(v)),
)
def test_a_plan_that_applies_the_limit_is_a_caution_from_the_rule(
    drug: Drug, rule: Rule, regimen: Regimen
) -> None:
    cat = get_catalog()
    p = _fires(cat, drug, regimen, rule)
    assert p is not None and regimen.dose is not None
    plan = calcidose.dose(drug.id, p, regimen.id)
    own = [f for f in plan.findings if f.code == rule.id]
    assert len(own) == 1
    per = PLAN_BASIS.get(regimen.dose.basis)
    if per is None or plan.dose is None:
        return
    assert own[0].severity == "moderate", own[0].message
    limit = _limit_mg(rule, per) if per in {a.per for a in rule.adjust} else None
    if limit is not None:
        assert plan.dose.high * TO_MG[plan.dose.unit] <= limit * (1 + 1e-9)


def test_the_issue_example_hand_computed() -> None:
    # etidronate at CrCl 40 mL/min, 70 kg: the UK Renal Drug Handbook limit 5 mg/kg/day x 70 kg
    # = 350 mg/day; 300 mg/day is within it (below the capped range, 350 mg/day: below-range),
    # 350 mg/day is at it (within range, a caution, exit 0), 400 mg/day exceeds it (major)
    p = calcidose.Patient(weight="70 kg", age="60 years", sex="male", crcl="40 mL/min")
    r300 = calcidose.check("etidronate", "300 mg", "daily", p)
    assert r300.verdict == "below-range"
    assert {f.severity for f in r300.findings if f.code == "etidronate-renal-20-50"} == {"moderate"}
    assert "major" not in {f.severity for f in r300.findings}
    r350 = calcidose.check("etidronate", "350 mg", "daily", p)
    assert (r350.verdict, r350.status, r350.exit_code) == ("within-range", "caution", 0)
    r400 = calcidose.check("etidronate", "400 mg", "daily", p)
    assert (r400.verdict, r400.status, r400.exit_code) == ("exceeds-maximum", "major", 1)
    assert {f.severity for f in r400.findings if f.code == "etidronate-renal-20-50"} == {"major"}
    plan = calcidose.dose("etidronate", p)
    assert plan.dose is not None and plan.dose.high == 350
    assert plan.status == "caution"


def test_a_contraindication_and_an_interaction_with_a_limit_are_never_downgraded() -> None:
    # colchicine 0.3 mg/day with clarithromycin: within the US label's 0.3 mg/day, but the
    # 2021 EHJ table says avoid at any dose: the interaction stays major
    p = calcidose.Patient(
        weight="70 kg", age="60 years", sex="male", crcl="90 mL/min", medications=["clarithromycin"]
    )
    r = calcidose.check("colchicine", "0.3 mg", "daily", p)
    found = {f.code: f.severity for f in r.findings}
    assert found["colchicine-strong-inhibitor"] == "major"
    assert r.exit_code == 1
