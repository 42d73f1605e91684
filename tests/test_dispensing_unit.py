"""Amounts in the unit the product is dispensed in, in every view (issue 11 §4).

A range whose ends are equal is one value, amounts from 1,000 mg on are in grams, and every
practical amount says what it is given as: whole tablets or capsules of the product's
strengths, or the measured volume of its concentration. Strengths are the tables' label
facts: diltiazem immediate-release tablets 30/60/90/120 mg and extended-release capsules
120/180/240/300/360/420 mg (US labels); etidronate tablets 200 and 400 mg (US label);
colchicine tablets 0.5 mg (EU/UK SmPC); ceftriaxone reconstituted to 100 mg/mL (tables).
"""

from __future__ import annotations

import json

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.cli import main
from calcidose.engine.dispense import fewest_units
from calcidose.engine.options import options
from calcidose.patient import Patient
from calcidose.render import plan_text
from calcidose.render.monograph import monograph_text
from calcidose.render.options import options_text

CAT = get_catalog()


def adult(weight: str = "70 kg") -> Patient:
    return Patient(
        weight=weight,
        height="170 cm",
        age="54 years",
        sex="male",
        crcl="90 mL/min",
        labs={"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
    )


def test_fewest_units() -> None:
    # 150 mg of 30/60/90/120 mg tablets: two tablets (120 + 30 or 90 + 60), never five of 30
    units = fewest_units(150, [30, 60, 90, 120])
    assert sum(n for n, _ in units) == 2
    assert sum(n * s for n, s in units) == 150
    # 1 mg of 0.5 mg tablets: two; exact on a 0.001 grid (0.5 + 0.5, no float drift)
    assert fewest_units(1, [0.5]) == ((2, 0.5),)
    # 0.55 mg is no whole number of 0.5 or 0.6 mg tablets: nothing is claimed
    assert fewest_units(0.55, [0.5, 0.6]) == ()
    # 600 mg of 200/400 mg tablets: 400 + 200
    assert fewest_units(600, [200, 400]) == ((1, 400.0), (1, 200.0))
    assert fewest_units(0, [200]) == ()


def test_plan_administrations_count_units() -> None:
    # 70 kg x 2 to 4 mg/kg/day = 140 to 280 mg/day; three times daily 46.7 to 93.3 mg, inward
    # to multiples of 30 mg: 60 to 90 mg = one 60 mg tablet to one 90 mg tablet
    plan = calcidose.dose("diltiazem", adult())
    tid = next(a for a in plan.administrations if a.frequency == "three-times-daily")
    assert (tid.rounded_low, tid.rounded_high) == (60, 90)
    assert tid.units_low == ((1, 60.0),) and tid.units_high == ((1, 90.0),)
    # once daily 140 to 280 mg, inward to multiples of 60 mg: 180 to 240 mg = one capsule each
    qd = next(a for a in plan.administrations if a.frequency == "once-daily")
    assert qd.units_low == ((1, 180.0),) and qd.units_high == ((1, 240.0),)


def test_text_says_what_is_given() -> None:
    text = plan_text(calcidose.dose("diltiazem", adult()))
    assert "60 mg to 90 mg = 1 x 60 mg to 1 x 90 mg immediate-release tablet" in text
    assert "180 mg to 240 mg = 1 x 180 mg to 1 x 240 mg extended-release 24-hour capsule" in text
    # 60 kg x 5 to 10 mg/kg/day = 300 to 600 mg/day once daily; inward to 200 mg steps: 400 to
    # 600 mg, and 600 mg is a 400 mg and a 200 mg tablet
    text = plan_text(calcidose.dose("etidronate", adult("60 kg")))
    assert "400 mg to 600 mg = 1 x 400 mg to 1 x 400 mg + 1 x 200 mg tablet" in text


def test_a_solution_says_its_volume_and_concentration() -> None:
    # ceftriaxone 2 g once daily: 2,000 mg / 100 mg/mL = 20 mL, and 2 g, not 2,000 mg
    text = plan_text(calcidose.dose("ceftriaxone", adult()))
    assert "Dose per day: 2 g/day" in text
    assert "practical: 2 g = 20 mL of 100 mg/mL" in text
    # the calculation keeps the tables' unit, but an equal-ended range is one value there too
    assert "2,000 mg/day to 2,000 mg/day" not in text


def test_json_dispense() -> None:
    d = calcidose.dose("diltiazem", adult()).to_dict()
    tid = next(a for a in d["administrations"] if a["frequency"] == "three-times-daily")
    dispense = tid["rounded"]["dispense"]
    assert dispense["form"] == "immediate-release tablet"
    assert dispense["low"] == [{"count": 1, "strength": {"value": 60, "unit": "mg"}}]
    assert dispense["high"] == [{"count": 1, "strength": {"value": 90, "unit": "mg"}}]
    c = calcidose.dose("ceftriaxone", adult()).to_dict()["administrations"][0]["rounded"]
    assert c["volume"]["high"] == {"value": 20, "unit": "mL"}
    assert c["concentration"] == {"value": 100, "unit": "mg/mL"}


def test_cli_json_validates(capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema  # the test extra

    schema = json.loads(
        (
            __import__("pathlib").Path(calcidose.__file__).parent
            / "schemas"
            / "dose-plan.schema.json"
        ).read_text()
    )
    args = ["dose", "etidronate", "--weight", "60kg", "--age", "54y", "--sex", "male"]
    main([*args, "--crcl", "90mL/min", "--format", "json"])
    out, _ = capsys.readouterr()
    jsonschema.validate(json.loads(out), schema)


def test_options_in_the_dispensing_unit() -> None:
    text = options_text(options(adult()))
    # ceftriaxone 2 g/day: one value, in grams
    assert "range for this patient: 2 g/day (per-day)" in text
    assert "2,000 mg" not in text
    assert "practical, three times daily: 60 mg to 90 mg = 1 x 60 mg to 1 x 90 mg " in text
    d = options(adult()).to_dict()
    dil = next(o for o in d["options"] if o["id"] == "diltiazem")
    assert any(a["rounded"] and a["rounded"].get("dispense") for a in dil["administrations"])


def test_monograph_equal_ends_and_products() -> None:
    text = monograph_text(CAT, CAT.drugs["ceftriaxone"])
    # the calcinosis course is 2 g/day: one value, never '2,000 mg/day to 2,000 mg/day'
    assert "2 g/day to 2 g/day" not in text and "2,000 mg" not in text
    assert "(fixed): 2 g/day [" in text
    text = monograph_text(CAT, CAT.drugs["diltiazem"])
    assert "product: immediate-release tablet; strengths 30 mg, 60 mg, 90 mg, 120 mg" in text


def test_page_view_rows() -> None:
    pytest.importorskip("jinja2")
    from calcidose.service.page_view import answer_view

    view = answer_view(calcidose.dose("diltiazem", adult()), CAT)
    rows = view["administrations"]
    tid = next(r for r in rows if r["frequency"] == "three times daily")
    assert tid["rounded"] == "60 mg to 90 mg = 1 x 60 mg to 1 x 90 mg immediate-release tablet"
    view = answer_view(calcidose.dose("ceftriaxone", adult()), CAT)
    assert view["range"] == "2 g/day"
    assert view["administrations"][0]["rounded"] == "2 g = 20 mL of 100 mg/mL"


# --- the calculation and the findings write amounts the same way (issue 11 §4) -----------------


def test_trace_of_ceftriaxone_is_in_grams_and_its_json_stays_exact_mg() -> None:
    # ceftriaxone.toml, adults: 2,000 mg/day both ends [ceftriaxone-calcinosis-course], label cap
    # 4,000 mg/day [ceftriaxone-label-us]; once daily: 2,000 mg = 2 g per administration
    plan = calcidose.dose("ceftriaxone", adult())
    texts = {s.label: s.text() for s in plan.trace}
    assert texts["range (per-day)"] == "2 g/day"
    assert texts["cap (label)"].startswith("at most 4 g/day")
    (measure,) = [t for label, t in texts.items() if label.startswith("measure")]
    assert "2 g per administration" in measure and measure.endswith(": 2 g (exact)")
    assert not any("2,000 mg" in t or "4,000 mg" in t for t in texts.values())
    # the data keeps the tables' UCUM: 2000 mg/d, not a converted 2 g/d
    (step,) = [s for s in plan.to_dict()["trace"] if s["step"] == "range (per-day)"]
    assert step["text"] == "2 g/day"
    assert step["terms"] and all(
        t == {"value": 2000, "unit": "mg/d"} for t in step["terms"].values()
    )


def test_order_check_of_probenecid_says_grams_everywhere_and_one_value_for_equal_ends() -> None:
    # probenecid.toml: 1,500 mg/day both ends [probenecid-calcinosis-dose]; label maximum
    # 2,000 mg/day [probenecid-label-us]. 1,000 mg twice daily = 2,000 mg/day = 2 g/day.
    r = calcidose.check("probenecid", "1000 mg", "bid", adult())
    texts = {s.label: s.text() for s in r.trace}
    assert texts["ordered per day"] == "1 g x 2 (twice daily) = 2 g/day"
    assert texts["maximum (label)"] == "ordered 2 g/day <= 2 g/day"
    assert texts["compare (per-day)"] == "ordered 2 g/day: above the range 1.5 g/day"
    (above,) = [f for f in r.findings if f.code == "order-above-range"]
    assert above.message.startswith(
        "the order gives 2 g/day, above the range for this patient (1.5 g/day, from the"
    )
    # the order itself stays as written, and the JSON in the ordered unit: 2,000 mg/d
    assert r.order_text == "1,000 mg twice daily"
    assert r.to_dict()["ordered"]["per_day"] == {"value": 2000, "unit": "mg/d"}


def test_amounts_below_a_gram_stay_in_milligrams_in_the_trace() -> None:
    # diltiazem 2-4 mg/kg/day x 70 kg = 140-280 mg/day [diltiazem-weight-based-dose]; 300 mg tid
    # = 900 mg/day, above the 480 mg/day policy cap
    r = calcidose.check("diltiazem", "300 mg", "tid", adult())
    texts = {s.label: s.text() for s in r.trace}
    assert texts["range (per-day)"] == (
        "2 mg/kg/day x 70 kg = 140 mg/day; 4 mg/kg/day x 70 kg = 280 mg/day"
    )
    assert texts["compare (per-day)"] == (
        "ordered 900 mg/day: above the range 140 mg/day to 280 mg/day"
    )


def test_a_single_rate_times_the_patient_is_written_once() -> None:
    # rituximab.toml iv-bsa: 375 mg/m2 both ends [rituximab-label-us]; Mosteller
    # sqrt(171 x 73 / 3600) = 1.862 m2; 375 x 1.862 = 698.3 mg (one value, not the product twice)
    p = Patient(
        weight="73 kg",
        height="171 cm",
        age="54 years",
        sex="male",
        labs={"hbsag": "negative", "anti-hbc": "negative"},
    )
    plan = calcidose.dose("rituximab", p, regimen="iv-bsa")
    (step,) = [s for s in plan.trace if s.label.startswith("range")]
    assert step.text() == "375 mg/m2 x 1.862 m2 = 698.3 mg"
    # both ends stay in the data
    assert {n for n, _, _ in step.terms} == {"rate_low", "rate_high", "scale", "low", "high"}
    # immune globulin adults: 2 g/kg both ends [octagam-10-label-us]; 2 x 73 = 146 g
    ivig = calcidose.dose("immune-globulin", adult("73 kg"))
    (step,) = [s for s in ivig.trace if s.label.startswith("range")]
    assert step.text() == "2 g/kg x 73 kg = 146 g"
