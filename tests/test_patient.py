"""Patient: validated on construction; missing stays missing; nothing defaulted."""

from __future__ import annotations

import pytest

from calcidose import Patient
from calcidose.errors import ImplausibleValueError, PatientError, QuantityError, UnitError


def test_canonical_values() -> None:
    p = Patient(weight="154 lb", height="67 in", age="54 years", sex="female", scr="106 umol/L")
    assert p.weight_kg == pytest.approx(69.85322498)  # 154 x 0.45359237
    assert p.height_cm == pytest.approx(170.18)  # 67 x 2.54
    assert p.age_years == 54
    assert p.scr_mg_dl == pytest.approx(1.1990950226)  # 106 / 88.4
    assert p.weight is not None and p.weight.to("kg").magnitude == pytest.approx(69.85322498)
    assert p.given("weight") == "154 lb"


def test_missing_values_stay_missing() -> None:
    p = Patient()
    assert (p.weight_kg, p.height_cm, p.age_years, p.sex, p.scr_mg_dl, p.crcl_ml_min) == (
        None,
        None,
        None,
        None,
        None,
        None,
    )
    assert p.is_pregnant() is None  # unknown, not False
    assert Patient(sex="male").is_pregnant() is False


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"weight": 70}, QuantityError),
        ({"weight": "700 kg"}, ImplausibleValueError),
        ({"weight": "0.1 kg"}, ImplausibleValueError),
        ({"height": "17 m"}, ImplausibleValueError),  # 1,700 cm
        ({"height": "20 cm"}, ImplausibleValueError),
        ({"age": "131 years"}, ImplausibleValueError),
        ({"scr": "106 mg/dL"}, ImplausibleValueError),  # umol/L typed as mg/dL
        ({"age": "54 kg"}, UnitError),
        ({"sex": "f"}, PatientError),
        ({"sex": "male", "pregnant": True}, PatientError),
        ({"pregnant": "yes"}, PatientError),
        ({"conditions": [""]}, PatientError),
        ({"labs": {"hbsag": "maybe"}}, PatientError),
        ({"labs": {"cholesterol": "high"}}, PatientError),
    ],
)
def test_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Patient(**kwargs)  # type: ignore[arg-type]


def test_from_dict_value_unit_and_text() -> None:
    p = Patient.from_dict(
        {"weight": {"value": 70, "unit": "kg"}, "age": "54 y", "medications": ["iron"]}
    )
    assert p.weight_kg == 70 and p.age_years == 54 and p.medications == ("iron",)
    with pytest.raises(PatientError, match="unknown patient field"):
        Patient.from_dict({"weight": "70 kg", "wieght": "70 kg"})
    with pytest.raises(PatientError):
        Patient.from_dict({"weight": {"value": "70", "unit": "kg"}})


def test_frozen_and_equal() -> None:
    a = Patient(weight="70 kg")
    b = Patient(weight="70.0 kg")
    assert a == b
    with pytest.raises(AttributeError):
        a.weight_kg = 80  # type: ignore[misc]


def test_weight_and_height_together_must_be_plausible() -> None:
    # 7 kg at 170 cm: BMI 7 / 1.7^2 = 2.4 kg/m2, each value plausible alone
    with pytest.raises(ImplausibleValueError, match="body mass index"):
        Patient(weight="7 kg", height="170 cm")
    assert Patient(weight="7 kg", height="65 cm").weight_kg == 7  # 16.6 kg/m2, an infant


def test_a_pint_quantity_is_given_as_pint_writes_it() -> None:
    # the trace's text of a pint quantity is pint's default display (magnitude, then the unit's
    # long name), written when first read, from the quantity as it was when given
    import pickle

    from calcidose import ureg

    weight, age = ureg.Quantity(154, "lb"), ureg.Quantity(54, "year")
    p = Patient(weight=weight, height="170 cm", age=age)
    weight.ito("kg")  # the caller's quantity converted in place afterwards: not what was given
    copy = pickle.loads(pickle.dumps(p))  # pickled before its text was ever read
    assert p.given("weight") == "154 pound"
    assert p.given("weight") == "154 pound"  # read again: the same text
    assert p.given("scr") is None
    assert p.inputs == (("weight", "154 pound"), ("height", "170 cm"), ("age", "54 year"))
    assert copy.inputs == p.inputs
    assert copy.weight_kg == pytest.approx(69.85322498)  # 154 x 0.45359237


def test_a_pint_quantity_is_written_when_first_read() -> None:
    # the text is written when the trace first needs it, in the registry's display format of
    # that time: a registry switched to short symbols ("~") after the patient was built gives
    # "154 lb"; written at construction it would be "154 pound"
    import pint

    registry = pint.UnitRegistry()
    p = Patient(weight=registry.Quantity(154, "lb"))
    registry.formatter.default_format = "~"
    assert p.given("weight") == "154 lb"
    assert p.weight_kg == pytest.approx(69.85322498)  # 154 x 0.45359237
