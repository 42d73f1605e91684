"""Issue 10 section 2: label maxima bound every regimen's range and every accepted order.

Generated from the tables, not hand-listed: for every drug, every dosable regimen (named), a
grid of patients and the caps the tables give that regimen (its own and the drug's, which bound
every regimen), the computed range never ends above a cap, and an order judged within range
never gives more than a cap. Each cap is converted here by hand, independently of the engine:
a per-kg cap is multiplied by the patient's weight (4 mg/kg/d x 20 kg = 80 mg/day; 2 g/kg x
70 kg = 140 g = 140,000 mg), grams are 1000 mg.
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.catalog.model import Cap, Drug, Regimen
from calcidose.frequency import by_id

LABS = {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"}
PATIENTS: list[dict[str, Any]] = [
    {"weight": "70 kg", "age": "54 years", "crcl": "90 mL/min"},
    {"weight": "120 kg", "age": "54 years", "crcl": "90 mL/min"},
    {"weight": "70 kg", "age": "54 years", "crcl": "40 mL/min"},
    {"weight": "20 kg", "age": "10 years", "crcl": "100 mL/min"},
    {"weight": "45 kg", "age": "14 years", "crcl": "100 mL/min"},
]
#: mass (or volume) factor of each code to mg (mL): grams are 1000 mg
TO_MG = {"mg": 1.0, "g": 1000.0, "mg/d": 1.0, "g/d": 1000.0, "mg/wk": 1.0, "g/wk": 1000.0}
TO_MG["mL"] = 1.0
#: per-kg caps: factor to mg per kg
PER_KG = {"mg/kg/d": 1.0, "mg/kg": 1.0, "g/kg": 1000.0}
BASIS = {
    "per-day": "day",
    "per-administration": "administration",
    "per-week": "week",
    "per-course": "course",
    "per-session": "session",
}


def patient(changes: dict[str, Any]) -> calcidose.Patient:
    base = {"height": "160 cm", "sex": "male", "labs": LABS}
    return calcidose.Patient(**{**base, **changes})


def cap_mg(cap: Cap, weight_kg: float) -> float:
    if cap.max.unit in PER_KG:
        return cap.max.value * PER_KG[cap.max.unit] * weight_kg
    return cap.max.value * TO_MG[cap.max.unit]


def cases() -> list[tuple[Drug, Regimen]]:
    out = []
    for drug in sorted(get_catalog().drugs.values(), key=lambda d: d.id):
        for r in drug.regimens:
            if r.dosable and r.dose is not None and (r.caps or drug.caps):
                out.append((drug, r))
    return out


CASES = cases()


def test_the_generated_cases_cover_the_caps_of_the_issue() -> None:
    ids = {(d.id, r.id) for d, r in CASES}
    # minocycline 4 mg/kg/day, etidronate 20 mg/kg/day, immune globulin 2 g/kg per course
    assert {("minocycline", "oral-fixed-pediatric"), ("etidronate", "oral-high-dose")} <= ids
    assert ("immune-globulin", "iv-course") in ids


@pytest.mark.parametrize(("drug", "regimen"), CASES, ids=[f"{d.id}:{r.id}" for d, r in CASES])
def test_no_range_and_no_accepted_order_exceeds_a_cap(drug: Drug, regimen: Regimen) -> None:
    assert regimen.dose is not None
    per = BASIS.get(regimen.dose.basis)
    caps = [c for c in (*regimen.caps, *drug.caps) if c.per == per]
    for changes in PATIENTS:
        p = patient(changes)
        assert p.weight_kg is not None
        limits = [cap_mg(c, p.weight_kg) for c in caps]
        plan = calcidose.dose(drug.id, p, regimen.id)
        if plan.dose is not None and limits:
            high = plan.dose.high * TO_MG[plan.dose.unit]
            assert high <= min(limits) * (1 + 1e-9), (drug.id, regimen.id, changes, high, limits)
        for freq_id in regimen.frequencies[:2]:
            unit = "mL" if regimen.dose.low.unit == "mL" else "mg"
            for mg in (1, 10, 50, 100, 300, 1000, 3000, 10_000, 50_000, 150_000):
                amount = f"{mg / 1000:g} mL" if unit == "mL" else f"{mg} mg"
                r = calcidose.check(drug.id, amount, by_id(freq_id).text, p, regimen.id)
                if r.verdict != "within-range":
                    continue
                ordered = {
                    "day": r.per_day,
                    "administration": r.per_administration,
                    "week": r.per_week,
                    "course": r.per_course,
                    "session": r.per_administration,
                }.get(per or "")
                if ordered is None or not limits:
                    continue
                value = ordered[0] * TO_MG[ordered[1]]
                assert value <= min(limits) * (1 + 1e-9), (drug.id, amount, freq_id, changes)
