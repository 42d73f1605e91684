"""Severe renal impairment without dialysis and dialysis are different bands (issue 10 §1).

Haemodialysis is a treatment: a patient on it has end-stage clearance (the condition bounds the
clearance every renal rule reads), but a clearance below 15 mL/min does not put a patient on
dialysis, so a rule written for "patients undergoing dialysis" fires only when the patient is
listed as on it. Each band's boundary is the one its source words:

* US colchicine label (Colcrys, DailyMed setid d6adc880-5499-4691-93f3-27c87902d5fc; Mitigare
  cb5f9d85-6b81-49f8-bcd6-17b7bfbc10f2), dose modification in renal impairment: severe
  impairment is "Clcr less than 30 mL/min" (start 0.3 mg/day); "patients undergoing dialysis"
  start at 0.3 mg twice a week.
* UK colchicine 500 microgram tablets SmPC 4.3: not in "patients undergoing haemodialysis";
  not in "severe renal impairment (creatinine clearance less than 10ml/minute)".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import calcidose
from calcidose.catalog import get_catalog, validate_directory
from calcidose.engine import rules
from calcidose.patient import Patient

CAT = get_catalog()
COLCHICINE = CAT.drugs["colchicine"]


def _patient(**kw: Any) -> Patient:
    data: dict[str, Any] = {"weight": "70 kg", "age": "70 years", "sex": "male"}
    data.update(kw)
    return Patient(**data)


def _codes(p: Patient, drug: str = "colchicine") -> dict[str, str]:
    out = rules.evaluate(CAT, CAT.drugs[drug], None, p)
    return {f.code: f.severity for f in out.findings}


def test_a_low_clearance_without_dialysis_is_not_dialysis() -> None:
    # 12 mL/min: below the KDIGO G5 15 mL/min the condition implies, but the patient is not
    # listed as on dialysis: the dialysis rule (UK "undergoing haemodialysis") does not fire
    for crcl in ("14.9 mL/min", "12 mL/min", "10 mL/min"):
        found = _codes(_patient(crcl=crcl))
        assert "colchicine-hemodialysis" not in found, crcl
        assert "colchicine-hemodialysis:cannot-check" not in found, crcl
        # the US severe band ("less than 30") still fires: 0.3 mg/day
        assert found["colchicine-crcl-below-30"] == "major", crcl


def test_dialysis_listed_fires_the_dialysis_rule_and_the_severe_band() -> None:
    found = _codes(_patient(conditions=["hemodialysis"]))
    assert found["colchicine-hemodialysis"] == "contraindicated"
    # on dialysis the clearance is below 15, so below 30 too (the US severe band)
    assert found["colchicine-crcl-below-30"] == "major"
    # below 10? the condition says only "below 15": cannot tell, never a pass
    assert "colchicine-crcl-below-10:cannot-check" in found


def test_uk_band_less_than_10_ml_min_is_contraindicated() -> None:
    # UK SmPC 4.3: "creatinine clearance less than 10ml/minute"; 10 itself is not less than 10
    below = _codes(_patient(crcl="9.5 mL/min"))
    assert below["colchicine-crcl-below-10"] == "contraindicated"
    at = _codes(_patient(crcl="10 mL/min"))
    assert "colchicine-crcl-below-10" not in at
    # the same clearance from a creatinine (Cockcroft-Gault, hand calculation):
    # (140 - 70) x 70 / (72 x Scr) = 9.5  ->  Scr = 4900 / 684 = 7.1637... mg/dL
    scr = 4900 / (72 * 9.5)
    assert _codes(_patient(scr=f"{scr!r} mg/dL"))["colchicine-crcl-below-10"] == "contraindicated"


def test_us_severe_band_is_less_than_30() -> None:
    # "Clcr less than 30 mL/min": 29.5 in, 30 out (moderate is 30 to 50)
    assert _codes(_patient(crcl="29.5 mL/min"))["colchicine-crcl-below-30"] == "major"
    assert "colchicine-crcl-below-30" not in _codes(_patient(crcl="30 mL/min"))


def test_the_hemodialysis_condition_is_a_treatment_not_a_band() -> None:
    cond = CAT.conditions["hemodialysis"]
    assert cond.implies_crcl_below is not None and float(cond.implies_crcl_below.value) == 15
    assert cond.implied_by_crcl is False
    # renal impairment is a level of function: a clearance in its band counts as it
    assert CAT.conditions["renal-impairment"].implied_by_crcl is True


def test_magnesium_severe_ckd_reads_clearance_or_dialysis() -> None:
    # magnesium hydroxide: severe CKD (CrCl < 30, product decision) or dialysis: both fire
    for p in (_patient(crcl="12 mL/min"), _patient(conditions=["hemodialysis"])):
        found = _codes(p, "magnesium-hydroxide")
        assert found["magnesium-hydroxide-severe-ckd"] == "contraindicated"


def test_order_check_at_12_ml_min_is_capped_not_contraindicated_by_dialysis() -> None:
    # 0.6 mg daily at 12 mL/min without dialysis: US severe band caps at 0.3 mg/day (major);
    # no dialysis contraindication, no UK < 10 contraindication
    p = calcidose.Patient(weight="70 kg", age="70 years", sex="male", crcl="12 mL/min")
    r = calcidose.check("colchicine", "0.6 mg", "daily", p)
    codes = {f.code for f in r.findings}
    assert "colchicine-hemodialysis" not in codes
    assert "colchicine-crcl-below-10" not in codes
    assert any(m.value == 0.3 and m.per == "day" and m.exceeded for m in r.maxima)


def test_a_table_cannot_mark_a_non_renal_condition_as_a_treatment(tmp_path: Path) -> None:
    # implied_by_crcl = false means "a treatment whose band bounds the clearance": without a
    # band it means nothing, and the validator says so (an overlay of one condition)
    (tmp_path / "conditions.toml").write_text(
        '[conditions.x-plasmapheresis]\nname = "x"\nimplied_by_crcl = false\n',
        encoding="utf-8",
    )
    problems = validate_directory(tmp_path)
    assert [(p.field, "implies_crcl_below" in p.message) for p in problems] == [
        ("$.implied_by_crcl", True)
    ]
