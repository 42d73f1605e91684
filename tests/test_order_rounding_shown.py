"""An order check shows rounding only for the ordered product and frequency (issue 11 §4).

The dose plan rounds its range for every (frequency, product) pair of the regimen; an order is
given at one frequency with one product, so the other pairs are noise in the check. Products
and strengths are the tables' label facts: colchicine tablets 0.6 mg (US label) and 0.5 mg
(EU/UK SmPC), once or twice daily; diltiazem immediate-release tablets 30/60/90/120 mg three or
four times daily and extended-release capsules 120-420 mg once daily (US labels); etidronate
tablets 200 and 400 mg once or twice daily (US label).
"""

from __future__ import annotations

import calcidose
from calcidose.patient import Patient
from calcidose.results import Step

ADULT = Patient(
    weight="70 kg", age="54 years", sex="male", crcl="90 mL/min", pregnant=False, lactating=False
)


def roundings(trace: tuple[Step, ...]) -> list[str]:
    return [s.text() for s in trace if s.label.startswith(("round to", "measure "))]


def test_only_the_ordered_frequency() -> None:
    # 90 mg three times daily: the IR tablet at three times daily, not four times daily or ER
    out = calcidose.check("diltiazem", "90 mg", "three times daily", ADULT)
    shown = roundings(out.trace)
    assert len(shown) == 1
    assert shown[0].startswith("three times daily:")
    # 240 mg once daily: only the ER capsule's once-daily rounding
    shown = roundings(calcidose.check("diltiazem", "240 mg", "daily", ADULT).trace)
    assert len(shown) == 1 and shown[0].startswith("once daily:")
    # etidronate 400 mg twice daily: the twice-daily rounding only
    shown = roundings(calcidose.check("etidronate", "400 mg", "bid", ADULT).trace)
    assert len(shown) == 1 and shown[0].startswith("twice daily:")


def test_only_the_product_the_amount_is_made_of() -> None:
    # 0.5 mg is one EU/UK tablet and no whole number of 0.6 mg US tablets (0.5/0.6 = 0.83)
    out = calcidose.check("colchicine", "0.5 mg", "once daily", ADULT)
    steps = [s for s in out.trace if s.label.startswith("round to")]
    assert [s.label for s in steps] == ["round to tablet (EU/UK) strengths"]
    # nor does the US tablet's 'no practical amount' finding appear for an EU order
    assert not any("tablet (US)" in f.message for f in out.findings)
    # 0.6 mg is one US tablet and no whole number of EU tablets (0.6/0.5 = 1.2)
    out = calcidose.check("colchicine", "0.6 mg", "once daily", ADULT)
    steps = [s for s in out.trace if s.label.startswith("round to")]
    assert [s.label for s in steps] == ["round to tablet (US) strengths"]
    assert not any("tablet (EU/UK)" in f.message for f in out.findings)


def test_an_amount_no_product_gives_keeps_every_product_of_the_frequency() -> None:
    # 0.55 mg is a whole number of neither 0.5 mg (1.1) nor 0.6 mg (0.92) tablets: both kept
    out = calcidose.check("colchicine", "0.55 mg", "once daily", ADULT)
    labels = sorted(s.label for s in out.trace if s.label.startswith("round to"))
    assert labels == ["round to tablet (EU/UK) strengths", "round to tablet (US) strengths"]
    assert all(s.text().startswith("once daily:") for s in out.trace if s.label in labels)


def test_the_dose_plan_still_shows_every_rounding() -> None:
    # the plan itself is unchanged: IR three and four times daily, ER once daily
    plan = calcidose.dose("diltiazem", ADULT)
    assert len(roundings(plan.trace)) == 3
