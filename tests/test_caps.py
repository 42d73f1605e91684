"""Issue 10 section 2: label maxima are caps, for every regimen.

Per-kg, per-course and renal per-kg maxima bound the computed range (capped, a trace step, a
finding) and the order check (exceeds-maximum), whatever regimen is chosen or named. Every
expected number is worked out by hand from the source cited beside it.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.catalog.model import Cap, TQuantity

LABS = {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"}


def person(**kw: Any) -> calcidose.Patient:
    data: dict[str, Any] = {"weight": "70 kg", "age": "54 years", "sex": "male", "labs": LABS}
    data.update(kw)
    return calcidose.Patient(**data)


# --- minocycline in children: 4 mg/kg/day and never above the adult dose ----------------------


def test_minocycline_child_is_capped_at_4_mg_per_kg_per_day() -> None:
    # minocycline US label, children 8 years and older: 4 mg/kg/day, never above the adult
    # dose; 4 mg/kg/day x 20 kg = 80 mg/day, below the 200 mg/day adult maximum
    # renal function given: the UK SmPC contraindicates minocycline in complete renal failure,
    # so a minocycline answer needs it (90 mL/min: not kidney failure)
    child = person(weight="20 kg", age="10 years", crcl="90 mL/min")
    plan = calcidose.dose("minocycline", child)
    assert plan.dose is not None
    assert (plan.dose.low, plan.dose.high, plan.dose.capped) == (50, 80, True)
    step = next(s for s in plan.trace if s.label == "cap per kg (label)")
    assert step.text().startswith("4 mg/kg/day x 20 kg = 80 mg/day")
    capped = next(f for f in plan.findings if f.code == "capped")
    assert "80 mg/day" in capped.message
    over = calcidose.check("minocycline", "100 mg", "daily", child)
    assert over.verdict == "exceeds-maximum"  # 100 > 80 mg/day
    assert (200, "mg/d", False) in {(m.value, m.unit, m.exceeded) for m in over.maxima}
    assert (80, "mg/d", True) in {(m.value, m.unit, m.exceeded) for m in over.maxima}
    ok = calcidose.check("minocycline", "75 mg", "daily", child)
    assert ok.verdict == "within-range"  # 75 mg/day within 50 to 80 mg/day


def test_minocycline_older_child_keeps_the_adult_maximum() -> None:
    # 60 kg x 4 mg/kg/day = 240 mg/day, above 200 mg/day: the adult maximum is the stricter
    plan = calcidose.dose("minocycline", person(weight="60 kg", age="15 years"))
    step = next(s for s in plan.trace if s.label == "cap per kg (label)")
    assert "= 240 mg/day" in step.text()
    assert plan.dose is not None and plan.dose.high == 100  # range 50 to 100, under both caps


# --- etidronate: 20 mg/kg/day label, 5 mg/kg/day at GFR 50 or less, for every regimen --------


@pytest.mark.parametrize("regimen", ["oral-standard", "oral-high-dose"])
@pytest.mark.parametrize("crcl", ["40 mL/min", "15 mL/min"])
def test_etidronate_renal_limit_bounds_every_regimen(regimen: str, crcl: str) -> None:
    # UK Renal Drug Handbook: 5 mg/kg/day at most at GFR 20-50, 10-20 and below 10;
    # 5 mg/kg/day x 70 kg = 350 mg/day
    p = person(crcl=crcl)
    plan = calcidose.dose("etidronate", p, regimen)
    assert plan.dose is not None
    assert plan.dose.high == 350 and plan.dose.capped
    r = calcidose.check("etidronate", "1000 mg", "daily", p, regimen)
    assert r.verdict == "exceeds-maximum"
    assert any(m.value == 350 and m.unit == "mg/d" and m.exceeded for m in r.maxima)
    assert r.status in ("major", "contraindicated", "cannot-check") and r.exit_code != 0


def test_etidronate_label_maximum_is_a_drug_cap() -> None:
    # etidronate US label: not above 20 mg/kg/day; 20 x 70 kg = 1400 mg/day
    p = person(crcl="90 mL/min")
    for regimen in ("oral-standard", "oral-high-dose"):
        r = calcidose.check("etidronate", "1500 mg", "daily", p, regimen)
        assert r.verdict == "exceeds-maximum"
        assert (1400, "mg/d", True) in {(m.value, m.unit, m.exceeded) for m in r.maxima}
    ok = calcidose.check("etidronate", "1400 mg", "daily", p, "oral-high-dose")
    assert ok.verdict == "within-range"  # 11 to 20 mg/kg/day = 770 to 1400 mg/day


def test_the_issue_example_is_monotone_now() -> None:
    # issue 10: 700 mg/day exceeded the renal limit while 1000 mg/day read within range
    p = person(crcl="40 mL/min")
    assert calcidose.check("etidronate", "700 mg", "daily", p).verdict == "exceeds-maximum"
    assert calcidose.check("etidronate", "1000 mg", "daily", p).verdict == "exceeds-maximum"


# --- immune globulin: 2 g/kg per course at most ----------------------------------------------


def test_immune_globulin_course_maximum() -> None:
    # Ontario IG guideline (inflammatory myopathy): maximum 2 g/kg; x 70 kg = 140 g per course
    # height given: 70 kg at 170 cm is a BMI of 24.2, not obese (the dosing-weight rule)
    p = person(crcl="90 mL/min", height="170 cm")
    over = calcidose.check("immune-globulin", "200 g", "every 4 weeks", p)
    assert over.verdict == "exceeds-maximum"
    assert (140, "g", True) in {(m.value, m.unit, m.exceeded) for m in over.maxima}
    exact = calcidose.check("immune-globulin", "140 g", "every 4 weeks", p)
    assert exact.verdict == "within-range"
    # 80 g a day over the fewest days of the course (2): at least 160 g > 140 g
    daily = calcidose.check("immune-globulin", "80 g", "daily", p)
    assert daily.verdict == "exceeds-maximum"
    assert (140, "g", True) in {(m.value, m.unit, m.exceeded) for m in daily.maxima}


# --- colchicine on haemodialysis: conflict, strictest wins -----------------------------------


def test_colchicine_on_haemodialysis_is_contraindicated_and_names_the_conflict() -> None:
    # UK SmPC: not in haemodialysis; US label: 0.3 mg twice a week (0.6 mg/week)
    r = calcidose.check("colchicine", "0.3 mg", "daily", person(conditions=["hemodialysis"]))
    assert (r.verdict, r.status, r.exit_code) == ("contraindicated", "contraindicated", 1)
    f = next(f for f in r.findings if f.code == "colchicine-hemodialysis")
    assert f.severity == "contraindicated"
    assert set(f.sources) == {"colchicine-eu-tablets", "colchicine-label-us"}
    assert "UK SmPC" in f.message and "0.3 mg twice a week" in f.message
    # 0.3 mg daily = 2.1 mg in a week, above the US 0.6 mg/week
    assert any(
        m.per == "week" and m.value == 0.6 and m.ordered == pytest.approx(2.1) and m.exceeded
        for m in r.maxima
    )


# --- the mechanism on a catalog the test builds ----------------------------------------------


def _with_drug_caps(drug_id: str, *caps: Cap) -> Any:
    cat = get_catalog()
    drug = attrs.evolve(cat.drugs[drug_id], caps=caps)
    return attrs.evolve(cat, drugs={**cat.drugs, drug_id: drug})


def test_a_drug_cap_bounds_every_regimen_and_a_per_kg_cap_needs_the_weight() -> None:
    # a drug cap of 3 mg/kg/day on diltiazem (2 to 4 mg/kg/day): 3 x 70 kg = 210 mg/day
    cap = Cap("label", "day", TQuantity(3, "mg/kg/d"), ("diltiazem-er-label-us",), "test cap")
    cat = _with_drug_caps("diltiazem", cap)
    p = person(pregnant=False)
    plan = calcidose.dose("diltiazem", p, catalog=cat)
    assert plan.dose is not None and (plan.dose.low, plan.dose.high) == (140, 210)
    r = calcidose.check("diltiazem", "90 mg", "tid", p, catalog=cat)  # 270 mg/day > 210
    assert r.verdict == "exceeds-maximum"
    # a fixed-dose regimen with a per-kg cap and no weight: the cap cannot be applied
    fixed = _with_drug_caps(
        "probenecid", Cap("label", "day", TQuantity(10, "mg/kg/d"), ("probenecid-label-us",))
    )
    no_weight = calcidose.Patient(age="54 years", sex="male", crcl="90 mL/min")
    plan = calcidose.dose("probenecid", no_weight, catalog=fixed)
    missing = [f for f in plan.findings if f.code == "missing-weight"]
    assert missing and missing[0].severity == "cannot-check"
    assert plan.status == "cannot-check"
