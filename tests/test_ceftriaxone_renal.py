"""Ceftriaxone below a clearance of 10 mL/min (issue 10: a label limit that was not encoded).

UK Rocephin SmPC 4.2: in preterminal renal failure (creatinine clearance < 10 mL/min) at most
2 g a day; the US label asks only for monitoring, and the stricter limit is applied. A patient on
haemodialysis is read as below 10 for this rule (product decision, tables/drugs/ceftriaxone.toml).

Hand figures (Cockcroft-Gault, man of 60, 70 kg): CrCl = (140 - 60) x 70 / (72 x SCr);
SCr 8.0 mg/dL -> 5600 / 576 = 9.72 mL/min (inside the band); SCr 7.0 -> 5600 / 504 = 11.1 (outside).
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose

RULE = "ceftriaxone-renal-below-10"


def _man(**kw: Any) -> calcidose.Patient:
    return calcidose.Patient(weight="70 kg", age="60 years", sex="male", **kw)


def _codes(result: Any) -> set[str]:
    return {f["code"] for f in result.to_dict()["findings"]}


@pytest.mark.parametrize(
    "renal",
    [{"crcl": "9 mL/min"}, {"scr": "8.0 mg/dL"}, {"conditions": ["hemodialysis"]}],
    ids=["crcl-9", "scr-8-cg-9.7", "haemodialysis"],
)
def test_three_gram_a_day_exceeds_the_renal_limit_however_renal_function_is_given(
    renal: dict[str, Any],
) -> None:
    checked = calcidose.check("ceftriaxone", "3 g", "once daily", _man(**renal))
    assert checked.verdict == "exceeds-maximum"
    assert checked.exit_code == 1
    assert RULE in _codes(checked)
    # the calcinosis course itself (2 g/day) is at the limit, not above it
    course = calcidose.check("ceftriaxone", "2 g", "once daily", _man(**renal))
    assert course.verdict == "within-range"
    # a respected limit is a caution, not a block (docs/checking.md)
    severities = {f["code"]: f["severity"] for f in course.to_dict()["findings"]}
    assert severities[RULE] == "moderate"
    assert course.exit_code == 0


@pytest.mark.parametrize("renal", [{"crcl": "10 mL/min"}, {"scr": "7.0 mg/dL"}])
def test_at_ten_and_above_the_label_maximum_of_4_g_applies(renal: dict[str, Any]) -> None:
    checked = calcidose.check("ceftriaxone", "3 g", "once daily", _man(**renal))
    assert RULE not in _codes(checked)
    assert checked.verdict != "exceeds-maximum"  # 3 g is under the US label's 4 g/day


def test_a_severe_penicillin_reaction_contraindicates() -> None:
    patient = _man(crcl="90 mL/min", conditions=["severe-beta-lactam-allergy"])
    checked = calcidose.check("ceftriaxone", "2 g", "once daily", patient)
    assert checked.status == "contraindicated"
    assert checked.exit_code == 1
