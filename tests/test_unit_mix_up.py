"""A probable unit mix-up in an order is named as such (issue 11 §4): the order read 1,000 times
smaller or larger falls inside the expected range (widened 10% each side). Hand calculations
beside each case; diltiazem 2-4 mg/kg/day (calcinosis reports), minocycline 50-100 mg/day."""

from __future__ import annotations

import pytest

import calcidose

ADULT = calcidose.Patient(weight="70 kg", age="54 years", sex="male")


def _mix_up(drug: str, amount: str, freq: str) -> calcidose.results.Finding | None:
    r = calcidose.check(drug, amount, freq, ADULT)
    found = [f for f in r.findings if f.code == "probable-unit-mix-up"]
    assert len(found) <= 1
    return found[0] if found else None


def test_grams_for_milligrams() -> None:
    # 90 g x 3 = 270 g/day = 270,000 mg/day; / 1,000 = 270 mg/day, inside 140-280 mg/day
    f = _mix_up("diltiazem", "90 g", "three times daily")
    assert f is not None and f.severity == "major"
    assert f.message == (
        "the order (90 g, 270 g/day) is 1,000 times the expected 140 mg/day to 280 mg/day: "
        "a probable unit mix-up (g written for mg, or mg for mcg)"
    )


def test_micrograms_for_milligrams() -> None:
    # 90 mcg x 3 = 0.27 mg/day; x 1,000 = 270 mg/day, inside 140-280 mg/day
    f = _mix_up("diltiazem", "90 mcg", "three times daily")
    assert f is not None and "one thousandth of" in f.message
    assert calcidose.check("diltiazem", "90 mcg", "tid", ADULT).status == "major"


def test_another_drug_and_frequency() -> None:
    # minocycline 100 mcg once daily = 0.1 mg/day; x 1,000 = 100 mg/day, inside 50-100 mg/day
    assert _mix_up("minocycline", "100 mcg", "once daily") is not None
    # 0.1 g = 100 mg: a correct order written in grams is no mix-up
    assert _mix_up("minocycline", "0.1 g", "once daily") is None


@pytest.mark.parametrize(
    ("amount", "freq"),
    [
        ("90 mg", "three times daily"),  # 270 mg/day: within range, nothing to say
        ("900 mg", "three times daily"),  # 2,700 mg/day: 10x, too much but not a unit slip
        ("30 mg", "three times daily"),  # 90 mg/day: below range, x 1,000 = 90 g/day: no
        ("400 g", "three times daily"),  # 1,200 g/day / 1,000 = 1,200 mg/day > 280 x 1.1
    ],
)
def test_no_mix_up_where_a_thousandfold_reading_does_not_fit(amount: str, freq: str) -> None:
    assert _mix_up("diltiazem", amount, freq) is None
