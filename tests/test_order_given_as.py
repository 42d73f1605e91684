"""An order check says what the ORDERED amount is given as (issue 11 §4): the fewest whole
units of a product's strengths, the measured volume of a solution, or that no product gives it.

Strengths are the tables' label facts: diltiazem immediate-release tablets 30/60/90/120 mg and
extended-release 24-hour capsules 120-420 mg in 60 mg steps (US labels); etidronate tablets 200
and 400 mg (US label); colchicine tablets 0.6 mg (US) and 0.5 mg (EU/UK); ceftriaxone
reconstituted to 100 mg/mL, measured in 0.1 mL steps (tables).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

import calcidose
from calcidose.patient import Patient
from calcidose.render import order_text

SCHEMA = json.loads(
    (Path(calcidose.__file__).parent / "schemas" / "order-check.schema.json").read_text()
)


def adult() -> Patient:
    return Patient(weight="70 kg", age="54 years", sex="male", crcl="90 mL/min")


def given(drug: str, amount: str, frequency: str, **kw: str) -> list[str]:
    r = calcidose.check(drug, amount, frequency, adult(), **kw)
    jsonschema.validate(r.to_dict(), SCHEMA)
    return [line for line in order_text(r).splitlines() if line.startswith("Given as:")]


def test_a_tablet_amount_is_the_fewest_whole_tablets_of_the_ordered_frequency() -> None:
    # etidronate 600 mg once daily: 400 + 200 mg, two tablets (three 200 mg would be more)
    assert given("etidronate", "600 mg", "daily") == [
        "Given as: 600 mg = 1 x 400 mg + 1 x 200 mg tablet"
    ]
    # diltiazem 60 mg four times daily: one 60 mg immediate-release tablet (the capsules are for
    # once daily, so they are not offered for qid)
    assert given("diltiazem", "60 mg", "qid") == [
        "Given as: 60 mg = 1 x 60 mg immediate-release tablet"
    ]
    # diltiazem 300 mg once daily: one 300 mg extended-release capsule
    (line,) = given("diltiazem", "300 mg", "daily")
    assert line.startswith("Given as: 300 mg = 1 x 300 mg extended-release")


def test_only_the_product_that_gives_it_is_named() -> None:
    # colchicine 1.2 mg daily: 2 x 0.6 mg (US tablet); 1.2 / 0.5 = 2.4 tablets (EU/UK) is not a
    # whole number, so the EU/UK tablet is not claimed
    (line,) = given("colchicine", "1.2 mg", "daily")
    assert line == "Given as: 1.2 mg = 2 x 0.6 mg tablet (US)"


def test_an_amount_no_product_gives_is_said_plainly() -> None:
    # diltiazem 75 mg three times daily: not a multiple of the 30 mg tablet step
    (line,) = given("diltiazem", "75 mg", "tid")
    assert line.startswith("Given as: no product gives exactly 75 mg (immediate-release tablet: ")
    assert "30 mg, 60 mg, 90 mg, 120 mg" in line
    # colchicine 0.7 mg: neither 0.6 mg nor 0.5 mg tablets make it
    (line,) = given("colchicine", "0.7 mg", "daily")
    assert line.startswith("Given as: no product gives exactly 0.7 mg (")
    assert "0.6 mg" in line and "0.5 mg" in line


def test_a_solution_is_the_volume_of_its_concentration_or_not_measurable() -> None:
    # ceftriaxone 1.5 g once daily at 100 mg/mL: 1,500 / 100 = 15 mL, 150 steps of 0.1 mL
    assert given("ceftriaxone", "1.5 g", "daily") == ["Given as: 1.5 g = 15 mL of 100 mg/mL"]
    # 1,503 mg / 100 mg/mL = 15.03 mL: not a whole number of 0.1 mL steps
    (line,) = given("ceftriaxone", "1503 mg", "daily")
    assert line == (
        "Given as: no product gives exactly 1.503 g (powder for injection, vial of 100 mg/mL:"
        " 15.03 mL, not a whole number of its 0.1 mL steps)"
    )


def test_the_json_carries_it_and_a_volume_order_has_none() -> None:
    r = calcidose.check("etidronate", "600 mg", "daily", adult())
    (d,) = r.to_dict()["ordered"]["dispense"]
    assert d["given"] is True and d["form"] == "tablet"
    assert d["units"] == [
        {"count": 1, "strength": {"value": 400, "unit": "mg"}},
        {"count": 1, "strength": {"value": 200, "unit": "mg"}},
    ]
    # a volume order is already what is measured: nothing to add
    v = calcidose.check("sodium-thiosulfate", "50 mL", "three times weekly", adult(), route="iv")
    assert v.to_dict()["ordered"]["dispense"] == []
    assert not [x for x in order_text(v).splitlines() if x.startswith("Given as:")]


def test_a_contraindicated_order_is_not_given_as_anything() -> None:
    # minocycline with a tetracycline allergy is contraindicated: no "Given as" line
    allergic = Patient(
        weight="70 kg", age="54 years", sex="male", conditions=["tetracycline-allergy"]
    )
    r = calcidose.check("minocycline", "100 mg", "daily", allergic)
    assert r.verdict == "contraindicated"
    assert not [x for x in order_text(r).splitlines() if x.startswith("Given as:")]
