"""Minocycline's daily amount may be split in two (issue 10: the US label gives it every 12 h).

The calcinosis series (Robertson et al. 2003) gave 50 or 100 mg once a day; the US label gives
minocycline every 12 hours with a 200 mg/day adult maximum. Hand figures:
* 50 mg twice daily = 100 mg/day: the top of the 50-100 mg/day range, on a listed schedule;
* 100 mg twice daily = 200 mg/day: above the calcinosis range, at (not above) the label maximum;
* 150 mg twice daily = 300 mg/day: above the 200 mg/day label maximum.
"""

from __future__ import annotations

import calcidose


def _adult() -> calcidose.Patient:
    return calcidose.Patient(weight="70 kg", age="50 years", sex="male", crcl="90 mL/min")


def _codes(result: calcidose.OrderCheck) -> set[str]:
    return {f["code"] for f in result.to_dict()["findings"]}


def test_fifty_mg_twice_daily_is_within_range_on_a_listed_schedule() -> None:
    checked = calcidose.check("minocycline", "50 mg", "twice daily", _adult())
    assert checked.verdict == "within-range"
    assert checked.exit_code == 0
    messages = " ".join(f["message"] for f in checked.to_dict()["findings"])
    assert "is not one of the regimen's frequencies" not in messages


def test_hundred_mg_twice_daily_is_above_the_calcinosis_range_not_the_label_maximum() -> None:
    checked = calcidose.check("minocycline", "100 mg", "twice daily", _adult())
    assert checked.verdict == "above-range"
    assert checked.to_dict()["expected"]["high"] == {"value": 100, "unit": "mg/d"}


def test_above_the_label_maximum_whatever_the_split() -> None:
    checked = calcidose.check("minocycline", "150 mg", "twice daily", _adult())
    assert checked.verdict == "exceeds-maximum"
    assert checked.exit_code == 1


def test_the_plan_offers_the_twice_daily_split_within_the_range() -> None:
    plan = calcidose.dose("minocycline", _adult()).to_dict()
    twice = [a for a in plan["administrations"] if a["frequency"] == "twice-daily"]
    assert twice, [a["frequency"] for a in plan["administrations"]]
    # 50-100 mg/day over 2 administrations: 25-50 mg each; no capsule below 50 mg, so the
    # practical amount rounded inward is 50 mg (a 50 mg capsule twice daily = 100 mg/day)
    assert twice[0]["per_administration"]["low"] == {"value": 25, "unit": "mg"}
    assert twice[0]["per_administration"]["high"] == {"value": 50, "unit": "mg"}
    assert twice[0]["rounded"]["high"] == {"value": 50, "unit": "mg"}
