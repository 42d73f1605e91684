"""Diltiazem with CYP3A4-cleared statins (issue 10: a missing interaction rule).

Sources, as encoded in tables/sources.toml: the US simvastatin label (since the FDA Drug Safety
Communication of 8 June 2011) and the diltiazem labels limit simvastatin to 10 mg/day and
diltiazem to 240 mg/day when the two are combined; the US lovastatin label limits lovastatin to
20 mg/day with diltiazem. Pravastatin and rosuvastatin are not CYP3A4 substrates (no rule).

Hand figures: diltiazem 2-4 mg/kg/day, 70 kg -> 140-280 mg/day; with simvastatin the top is
capped at 240 mg/day; 90 kg -> 180-360 mg/day, capped at 240.
"""

from __future__ import annotations

import pytest

import calcidose


def _patient(weight: str, *meds: str) -> calcidose.Patient:
    return calcidose.Patient(weight=weight, age="60 years", sex="male", medications=list(meds))


def _codes(result: object) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in result.to_dict()["findings"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name", ["simvastatin", "Zocor", "ZOCOR", "Vytorin", "ezetimibe-simvastatin", "Inegy"]
)
def test_every_simvastatin_product_caps_diltiazem_at_240_mg_a_day(name: str) -> None:
    checked = calcidose.check("diltiazem", "120 mg", "twice daily", _patient("70 kg", name))
    expected = checked.to_dict()["expected"]
    assert expected["low"] == {"value": 140, "unit": "mg/d"}  # 2 mg/kg/d x 70 kg
    assert expected["high"] == {"value": 240, "unit": "mg/d"}  # 280 capped at 240
    assert _codes(checked)["diltiazem-simvastatin"] == "moderate"
    assert checked.exit_code == 0  # 240 mg/day is at the limit, not above it


def test_above_the_simvastatin_limit_is_exceeds_maximum_and_exit_1() -> None:
    checked = calcidose.check("diltiazem", "300 mg", "once daily", _patient("90 kg", "simvastatin"))
    assert checked.verdict == "exceeds-maximum"
    assert checked.exit_code == 1
    # the same order without the statin: 300 is inside 180-360 mg/day
    alone = calcidose.check("diltiazem", "300 mg", "once daily", _patient("90 kg"))
    assert alone.verdict == "within-range"


def test_lovastatin_is_named_but_does_not_cap_diltiazem() -> None:
    checked = calcidose.check(
        "diltiazem", "90 mg", "three times daily", _patient("70 kg", "Mevacor")
    )
    assert _codes(checked)["diltiazem-lovastatin"] == "moderate"
    assert checked.to_dict()["expected"]["high"] == {"value": 280, "unit": "mg/d"}  # 4 x 70
    assert checked.verdict == "within-range"


@pytest.mark.parametrize("name", ["pravastatin", "rosuvastatin", "Crestor", "pitavastatin"])
def test_statins_not_cleared_by_cyp3a4_screen_clean(name: str) -> None:
    codes = _codes(
        calcidose.check("diltiazem", "90 mg", "three times daily", _patient("70 kg", name))
    )
    assert not {"diltiazem-simvastatin", "diltiazem-lovastatin"} & set(codes)


def test_the_dose_plan_is_capped_too() -> None:
    plan = calcidose.dose("diltiazem", _patient("90 kg", "simvastatin")).to_dict()
    assert plan["dose"]["high"] == {"value": 240, "unit": "mg/d"}  # 4 x 90 = 360, capped
