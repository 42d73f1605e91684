"""Immune globulin dosing weight in obesity (issue 10 section 6), read 2026-12-03.

Sources: Ontario IG dose calculator (ivig.transfusionontario.org/dose): the calculator, which
doses on an adjusted body weight (Devine ideal weight + 0.4 x the excess), must be used for
every obese patient, obese meaning a BMI above 30; it applies from a height of 152.4 cm, below
which the actual weight is the dosing weight. EU IVIg SmPCs: a body-weight dose may need
adjusting in overweight patients. calcidose does not recompute the range: it raises a major
finding (product decision), so a 2 g/kg course on total body weight never reads as safe.

BMI = weight (kg) / height (m) squared, by hand beside each case.
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose.patient import Patient

RULE = "immune-globulin-obesity-dosing-weight"


def adult(**kw: Any) -> Patient:
    data: dict[str, Any] = {"age": "50 years", "sex": "male", "crcl": "90 mL/min", **kw}
    return Patient(**data)


def found(p: Patient) -> dict[str, calcidose.Finding]:
    return {f.code: f for f in calcidose.dose("immune-globulin", p).findings}


@pytest.mark.parametrize(
    ("weight", "height", "fires"),
    [
        ("90 kg", "170 cm", True),  # 90 / 1.70^2 = 31.1
        ("86.71 kg", "170 cm", True),  # 86.71 / 2.89 = 30.003: above 30
        ("86.7 kg", "170 cm", False),  # 86.7 / 2.89 = 30.0 exactly: not "above 30"
        ("70 kg", "170 cm", False),  # 24.2
        ("220 lb", "72 in", False),  # 99.79 kg / 1.8288^2 = 29.84
        ("240 lb", "72 in", True),  # 108.86 kg / 3.3445 = 32.55
        ("75 kg", "152.4 cm", True),  # 75 / 1.524^2 = 32.29, at the 5-foot threshold
        ("75 kg", "152 cm", False),  # 32.46 but below 152.4 cm: the actual weight is used
    ],
)
def test_bmi_above_30_from_five_feet(weight: str, height: str, fires: bool) -> None:
    findings = found(adult(weight=weight, height=height))
    assert (RULE in findings) is fires
    if fires:
        assert findings[RULE].severity == "major"


def test_the_range_stays_on_total_body_weight_and_the_plan_is_major() -> None:
    plan = calcidose.dose("immune-globulin", adult(weight="120 kg", height="175 cm"))
    # 120 / 1.75^2 = 39.2; 2 g/kg x 120 kg = 240 g per course (total body weight, not recomputed)
    assert plan.dose is not None
    assert (plan.dose.low, plan.dose.high, plan.dose.unit) == (240, 240, "g")
    assert plan.status == "major" and plan.exit_code == 1


def test_missing_height_is_asked_only_because_the_rule_needs_it() -> None:
    findings = found(adult(weight="90 kg"))
    assert findings[f"{RULE}:cannot-check"].missing == ("height",)
    assert RULE not in findings


def test_a_child_of_the_juvenile_regimen_is_read_the_same_way() -> None:
    # 15 years, 165 cm, 85 kg: 85 / 1.65^2 = 31.2 -> fires; 60 kg: 22.0 -> does not
    assert RULE in found(adult(age="15 years", weight="85 kg", height="165 cm"))
    assert RULE not in found(adult(age="15 years", weight="60 kg", height="165 cm"))


def test_other_drugs_do_not_read_bmi() -> None:
    heavy = adult(weight="150 kg", height="170 cm")  # 51.9
    plan = calcidose.dose("diltiazem", heavy)
    assert not any("obesity-dosing-weight" in f.code for f in plan.findings)
