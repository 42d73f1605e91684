"""Issue 10: no number calcidose shows exceeds a cap that applies, whatever the cap's origin.

Extends tests/test_caps_bound.py (table caps of the regimen and the drug) to every cap: rule
limits (renal and interaction limits, for patients that fire them) and the label maxima of a
product (diltiazem immediate-release tablets: 360 mg/day, US label, below the regimen's 480
mg/day). Generated from the tables: every drug, every dosable regimen, a grid of patients; for
each administration shown (its exact and practical amounts), every cap is converted here by
hand (per kg x weight; g = 1000 mg; a per-day cap over the administrations of a day).
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.catalog.model import Cap, Drug, Regimen, RuleAdjustment, TQuantity
from calcidose.frequency import by_id

LABS = {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"}
PATIENTS: list[dict[str, Any]] = [
    {"weight": "70 kg", "age": "54 years", "crcl": "90 mL/min"},
    {"weight": "120 kg", "age": "54 years", "crcl": "90 mL/min"},
    {"weight": "70 kg", "age": "54 years", "crcl": "40 mL/min"},
    {"weight": "70 kg", "age": "54 years", "crcl": "12 mL/min"},
    {"weight": "20 kg", "age": "10 years", "crcl": "100 mL/min"},
    {"weight": "45 kg", "age": "14 years", "crcl": "100 mL/min"},
    {"weight": "70 kg", "age": "54 years", "crcl": "90 mL/min", "medications": ["diltiazem"]},
    {"weight": "70 kg", "age": "54 years", "crcl": "90 mL/min", "medications": ["verapamil"]},
]
TO_MG = {"mg": 1.0, "g": 1000.0, "mg/d": 1.0, "g/d": 1000.0, "mg/wk": 1.0, "g/wk": 1000.0}
TO_MG["mL"] = 1.0
PER_KG = {"mg/kg/d": 1.0, "mg/kg": 1.0, "g/kg": 1000.0}


def mg(q: TQuantity, weight_kg: float) -> float:
    if q.unit in PER_KG:
        return q.value * PER_KG[q.unit] * weight_kg
    return q.value * TO_MG[q.unit]


def cases() -> list[tuple[Drug, Regimen]]:
    return [
        (d, r)
        for d in sorted(get_catalog().drugs.values(), key=lambda d: d.id)
        for r in d.regimens
        if r.dosable and r.dose is not None
    ]


CASES = cases()


def test_the_cases_include_a_product_label_maximum() -> None:
    diltiazem = get_catalog().drugs["diltiazem"]
    regimen = next(r for r in diltiazem.regimens if r.id == "oral-weight-based")
    tablet = next(p for p in regimen.products if p.form == "immediate-release tablet")
    assert [(c.per, c.max.value, c.max.unit) for c in tablet.caps] == [("day", 360, "mg/d")]


def _fired_limits(plan: calcidose.DosePlan, drug: Drug) -> list[tuple[str, RuleAdjustment]]:
    fired = {f.code for f in plan.findings}
    return [(r.id, a) for r in drug.rules if r.id in fired for a in r.adjust]


@pytest.mark.parametrize(("drug", "regimen"), CASES, ids=[f"{d.id}:{r.id}" for d, r in CASES])
def test_no_amount_shown_exceeds_any_cap(drug: Drug, regimen: Regimen) -> None:
    for changes in PATIENTS:
        p = calcidose.Patient(height="160 cm", sex="male", labs=LABS, **changes)
        assert p.weight_kg is not None
        plan = calcidose.dose(drug.id, p, regimen.id)
        if plan.dose is None:
            continue
        caps: list[tuple[str, str, float, tuple[str, ...]]] = [
            (f"cap {c.kind}", c.per, mg(c.max, p.weight_kg), ())
            for c in (*regimen.caps, *drug.caps)
        ]
        caps += [
            (f"rule {i}", a.per, mg(a.max, p.weight_kg), ()) for i, a in _fired_limits(plan, drug)
        ]
        for product in regimen.products:
            caps += [
                (f"product {product.form}", c.per, mg(c.max, p.weight_kg), (product.form,))
                for c in product.caps
            ]
        for a in plan.administrations:
            f = by_id(a.frequency)
            per_day = f.count / f.period_days if f.period_days <= 1 else 1.0
            per_week = f.count * 7 / f.period_days if f.period_days <= 7 else 1.0
            for top in (a.high, a.rounded_high):
                if top is None:
                    continue
                each = top * TO_MG[a.unit]
                for name, per, value, forms in caps:
                    if forms and a.form not in forms:
                        continue
                    shown = {
                        "administration": each,
                        "session": each,
                        "day": each * per_day,
                        "week": each * per_week,
                    }.get(per)
                    if shown is None:
                        continue
                    assert shown <= value * (1 + 1e-9) + 1e-9, (
                        drug.id,
                        regimen.id,
                        changes,
                        a.frequency,
                        a.form,
                        name,
                        shown,
                        value,
                    )


def test_the_issue_example_diltiazem_immediate_release() -> None:
    # 120 kg: 2 to 4 mg/kg/day = 240 to 480 mg/day (within the 480 mg/day regimen cap); three
    # times daily that is 80 to 160 mg each time, but the tablets' label stops at 360 mg/day =
    # 120 mg each time: practical 90 to 120 mg (30 mg steps), never 150 mg (450 mg/day)
    p = calcidose.Patient(weight="120 kg", age="54 years", sex="male")
    plan = calcidose.dose("diltiazem", p)
    tid = next(
        a
        for a in plan.administrations
        if a.frequency == "three-times-daily" and a.form == "immediate-release tablet"
    )
    assert (tid.high, tid.rounded_low, tid.rounded_high) == (120, 90, 120)
    er = next(a for a in plan.administrations if a.frequency == "once-daily")
    assert er.rounded_high == 480  # the extended-release capsule allows 480 mg/day
    # an order at that amount is above the tablets' label maximum: 150 mg x 3 = 450 > 360
    r = calcidose.check("diltiazem", "150 mg", "tid", p)
    assert r.verdict == "exceeds-maximum"
    assert calcidose.check("diltiazem", "120 mg", "tid", p).verdict == "within-range"
    assert calcidose.check("diltiazem", "480 mg", "daily", p).verdict == "within-range"


def test_every_product_cap_of_the_tables_is_well_formed() -> None:
    # the validator does not know product caps yet (overlays lane): fixed units of the cap's
    # per, and sources the tables define
    cat = get_catalog()
    units_of = {"day": {"mg/d", "g/d"}, "week": {"mg/wk", "g/wk"}, "administration": {"mg", "g"}}
    for d in cat.drugs.values():
        for r in d.regimens:
            for product in r.products:
                for c in product.caps:
                    assert isinstance(c, Cap)
                    assert c.max.unit in units_of.get(c.per, set()), (d.id, r.id, c)
                    assert c.sources and all(s in cat.sources for s in c.sources), (d.id, c)
