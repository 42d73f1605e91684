"""Issue 10: the body weight Cockcroft-Gault uses can change the answer for an obese patient.

The patient of the issue: man, 60 years, 150 kg, 170 cm, serum creatinine 2.5 mg/dL.
Hand computation (Cockcroft-Gault 1976: (140 - age) x weight / (72 x SCr)):

* BMI = 150 / 1.70^2 = 51.9 kg/m2 (obese, 30 or more);
* total body weight: 80 x 150 / 180 = 66.67 mL/min;
* ideal body weight (Devine, man): 50 + 2.3 x (170 / 2.54 - 60) = 50 + 2.3 x 6.929 = 65.937 kg,
  clearance 80 x 65.937 / 180 = 29.31 mL/min;
* adjusted body weight (Bauer, 0.4): 65.937 + 0.4 x (150 - 65.937) = 99.562 kg, clearance
  80 x 99.562 / 180 = 44.25 mL/min.

(The issue gives "~29 mL/min on adjusted weight": 29 mL/min is the ideal-weight figure; the
adjusted one is 44.25 mL/min.) Etidronate's renal limit applies at 20 to 50 mL/min (UK Renal
Drug Handbook): 66.67 is outside, 44.25 inside, so the two weights fall on different sides of
that rule's boundary.
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose

TOTAL, ADJUSTED, IDEAL = 80 * 150 / 180, 80 * 99.562 / 180, 80 * 65.937 / 180
IBW = 50 + 2.3 * (170 / 2.54 - 60)
ABW = IBW + 0.4 * (150 - IBW)


def obese(**kw: Any) -> calcidose.Patient:
    base: dict[str, Any] = {
        "weight": "150 kg",
        "height": "170 cm",
        "age": "60 years",
        "sex": "male",
        "scr": "2.5 mg/dL",
    }
    return calcidose.Patient(**{**base, **kw})


def terms(f: calcidose.Finding) -> dict[str, float]:
    return {name: value for name, value, _ in f.terms}


def test_the_hand_figures() -> None:
    assert pytest.approx(65.937, abs=1e-3) == IBW
    assert pytest.approx(99.562, abs=1e-3) == ABW
    assert pytest.approx((66.667, 44.25, 29.305), abs=1e-2) == (TOTAL, ADJUSTED, IDEAL)


def test_total_weight_used_and_adjusted_inside_the_band_is_major() -> None:
    plan = calcidose.dose("etidronate", obese())
    f = next(f for f in plan.findings if f.code == "etidronate-renal-20-50:crcl-weight")
    # the clearance used (total weight) leaves the renal limit off; the adjusted one would
    # apply it: the answer shown is the less cautious one
    assert f.severity == "major"
    t = terms(f)
    assert t["used"] == pytest.approx(TOTAL, rel=1e-4)
    assert t["used_kg"] == pytest.approx(150)
    assert t["other"] == pytest.approx(ADJUSTED, rel=1e-4)
    assert t["other_kg"] == pytest.approx(ABW, rel=1e-4)
    assert "66.7 mL/min" in f.message and "44.2 mL/min" in f.message
    assert "etidronate-renal-20-50" in f.message
    assert plan.status == "major"
    # the weight used is shown, and the renal limit is not applied on total body weight:
    # 5 to 10 mg/kg/day x 150 kg = 750 to 1500 mg/day
    assert plan.dose is not None and (plan.dose.low, plan.dose.high) == (750, 1500)


def test_adjusted_weight_declared_applies_the_limit_and_names_the_other_clearance() -> None:
    plan = calcidose.dose("etidronate", obese(crcl_weight="adjusted"))
    f = next(f for f in plan.findings if f.code == "etidronate-renal-20-50:crcl-weight")
    assert f.severity == "moderate"  # the stricter answer is the one applied
    t = terms(f)
    assert t["used"] == pytest.approx(ADJUSTED, rel=1e-4)
    assert t["other"] == pytest.approx(TOTAL, rel=1e-4)
    # 5 mg/kg/day x 150 kg = 750 mg/day (the limit is per kg of total body weight, as the
    # range): the range 750 to 1500 mg/day is capped at 750 mg/day
    assert plan.dose is not None and plan.dose.high == 750


def test_no_finding_when_both_clearances_are_on_the_same_side() -> None:
    # colchicine's severe band is below 30 mL/min: 66.67 and 44.25 are both above it
    plan = calcidose.dose("colchicine", obese())
    assert not [f for f in plan.findings if f.code.endswith(":crcl-weight")]
    # ideal weight declared (29.31 mL/min): below 30 on ideal weight, above it on total and
    # adjusted, each named
    ideal = calcidose.dose("colchicine", obese(crcl_weight="ideal"))
    found = [f for f in ideal.findings if f.code == "colchicine-crcl-below-30:crcl-weight"]
    others = sorted(terms(f)["other"] for f in found)
    assert others == pytest.approx(sorted([TOTAL, ADJUSTED]), rel=1e-4)


def test_not_obese_or_a_measured_clearance_gives_no_finding() -> None:
    # 80 kg at 170 cm: BMI 27.7, below 30: one clearance, nothing compared
    lean = calcidose.dose("etidronate", obese(weight="80 kg"))
    assert not [f for f in lean.findings if f.code.endswith(":crcl-weight")]
    measured = calcidose.dose("etidronate", obese(crcl="66 mL/min"))
    assert not [f for f in measured.findings if f.code.endswith(":crcl-weight")]


def test_an_order_check_reports_it_too() -> None:
    # 1000 mg/day: within 750 to 1500 mg/day on total weight; the limit on adjusted weight
    # (5 mg/kg/day x 150 kg = 750 mg/day) would make it exceed: major, never exit 0
    r = calcidose.check("etidronate", "1000 mg", "daily", obese())
    assert r.verdict == "within-range"
    assert r.status == "major" and r.exit_code == 1
    assert "etidronate-renal-20-50:crcl-weight" in {f.code for f in r.findings}
