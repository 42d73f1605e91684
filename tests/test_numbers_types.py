"""Numbers that overflow or are not finite, and values of the wrong Python type, are refused
with a CalcidoseError at every entry (issue 12 §5 and §6): never a traceback, never a dose.

Expectations are hand calculations: the largest float is about 1.797e308, so 1e305 g
(= 1e308 mg) given four times a day is 4e308 mg, infinite as a float.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pint
import pytest

import calcidose
from calcidose import Patient, check, dose
from calcidose.cli import main
from calcidose.errors import (
    CalcidoseError,
    InputError,
    InputTypeError,
    OrderError,
    PatientError,
    QuantityError,
    UnitError,
)
from calcidose.render import order_text
from calcidose.safeio import loads_strict

ADULT = {"weight": "70 kg", "age": "54 years", "sex": "male"}


# --- overflow after parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "frequency"),
    [
        (calcidose.ureg.Quantity(1e305, "g"), "qid"),  # 1e308 mg x 4 = 4e308 mg/day: infinite
        (calcidose.ureg.Quantity(1e308, "mg"), "bid"),  # 2e308 mg/day
        ("1" + "0" * 307 + " mg", "tid"),  # 1e307 mg x 3 x 7 a week = 2.1e309: infinite
        (pint.UnitRegistry().Quantity(1e305, "gram"), "daily"),  # 1e308 mg/day, x 7 a week
    ],
)
def test_an_order_whose_totals_overflow_is_refused(amount: Any, frequency: str) -> None:
    with pytest.raises(OrderError, match="too large"):
        check("colchicine", amount, frequency, Patient(**ADULT))


def test_an_order_overflow_is_exit_2_on_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "colchicine", "1" + "0" * 307 + " mg", "tid",
                 "--weight", "70kg", "--age", "54y", "--sex", "male"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2 and "too large" in err and "Traceback" not in err
    assert "inf" not in out.lower()


@pytest.mark.parametrize(
    "text", ["1e400 kg", "1e309 kg", "inf kg", "nan kg", "Infinity kg", "9" * 400 + " kg"]
)
def test_non_finite_and_exponent_weights_are_refused(text: str) -> None:
    with pytest.raises(QuantityError):
        Patient(weight=text)


@pytest.mark.parametrize("text", ["1e400", "-1e400", "123e9999"])
def test_json_numbers_that_overflow_are_refused_at_the_one_door(text: str) -> None:
    # float("1e400") is inf: the JSON reader must not hand it to anyone
    with pytest.raises(InputError, match="too large"):
        loads_strict('{"weight": {"value": ' + text + ', "unit": "kg"}}')


def test_patient_file_with_an_overflowing_number_is_exit_2(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"weight": {"value": 1e400, "unit": "kg"}, "age": "54 years"}')
    code = main(["dose", "diltiazem", "--patient", str(path)])
    _, err = capsys.readouterr()
    assert code == 2 and "too large" in err


@pytest.mark.parametrize("amount", ["0.000000000000001 mg", "0.0000000000003 g"])
def test_a_positive_amount_is_never_shown_as_zero(amount: str) -> None:
    result = check("diltiazem", amount, "tid", Patient(**ADULT))
    per_admin = result.to_dict()["ordered"]["per_administration"]["value"]
    assert per_admin > 0
    text = order_text(result)
    assert " 0 mg per administration" not in text and " 0 g per administration" not in text
    # 1e-15 mg written out: fifteen decimals, the last one a 1
    if amount.endswith(" mg"):
        assert "0.000000000000001 mg" in text


# --- types of the Python API ------------------------------------------------------------------


@pytest.mark.parametrize("patient", [None, {"weight": "70 kg"}, "70 kg", 70])
def test_dose_with_a_patient_that_is_not_a_patient(patient: Any) -> None:
    with pytest.raises(PatientError) as info:
        dose("diltiazem", patient)
    assert isinstance(info.value, TypeError) and isinstance(info.value, CalcidoseError)


def test_check_with_a_dict_patient_is_a_type_error() -> None:
    with pytest.raises(CalcidoseError) as info:
        check("diltiazem", "90 mg", "tid", {"weight": "70 kg"})  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("name", [None, 5, ["diltiazem"]])
def test_a_drug_named_by_something_else_than_text(name: Any) -> None:
    with pytest.raises(InputTypeError):
        dose(name, Patient(**ADULT))


@pytest.mark.parametrize("data", [{1: 2}, {None: "x"}, [1, 2], "weight", None])
def test_from_dict_of_the_wrong_shape(data: Any) -> None:
    with pytest.raises(PatientError) as info:
        Patient.from_dict(data)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("value", [True, False, [70], {"value": 70}, object()])
def test_a_quantity_of_the_wrong_type(value: Any) -> None:
    with pytest.raises(QuantityError) as info:
        Patient(weight=value)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("value", [70, 70.0, Decimal("70"), Fraction(70)])
def test_a_bare_number_is_refused_naming_the_units(value: Any) -> None:
    with pytest.raises(QuantityError, match="bare number"):
        Patient(weight=value)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), Decimal("Infinity")])
def test_a_bare_non_finite_number_is_not_told_to_add_a_unit(value: Any) -> None:
    with pytest.raises(QuantityError, match="not a finite one"):
        Patient(weight=value)


# --- pint quantities: any registry, any display format, real magnitudes ---------------------


def _registry(default_format: str | None = None) -> pint.UnitRegistry:
    reg = pint.UnitRegistry()
    if default_format is not None:
        reg.formatter.default_format = default_format
    return reg


@pytest.mark.parametrize("fmt", [None, "~", "~P", "~C", "P", "C"])
def test_pint_quantities_are_read_by_unit_not_display_text(fmt: str | None) -> None:
    reg = _registry(fmt)
    p = Patient(
        weight=reg.Quantity(154, "lb"),
        height=reg.Quantity(67, "inch"),
        scr=reg.Quantity(88.4, "umol/L"),
        crcl=reg.Quantity(45, "mL/min"),
        age=reg.Quantity(18, "month"),
    )
    assert p.weight_kg == pytest.approx(154 * 0.45359237)  # 69.853 kg (lb is 0.45359237 kg)
    assert p.height_cm == pytest.approx(67 * 2.54)  # 170.18 cm
    assert p.scr_mg_dl == pytest.approx(1.0)  # 88.4 umol/L / 88.4
    assert p.crcl_ml_min == pytest.approx(45)
    assert p.age_years == pytest.approx(1.5)  # 18 months


@pytest.mark.parametrize("fmt", [None, "~P"])
def test_a_pint_order_amount_of_another_registry_and_format(fmt: str | None) -> None:
    reg = _registry(fmt)
    # 0.09 g = 90 mg; 90 x 3 = 270 mg/day, inside 2-4 mg/kg/day x 70 kg = 140-280 (README)
    result = check("diltiazem", reg.Quantity(0.09, "g"), "tid", Patient(**ADULT))
    assert result.to_dict()["ordered"]["per_day"] == {"value": 0.27, "unit": "g/d"}
    assert result.verdict == "within-range"


def test_pint_magnitudes_decimal_and_fraction_are_real_numbers() -> None:
    reg = _registry()
    assert Patient(weight=reg.Quantity(Decimal("70.5"), "kg")).weight_kg == 70.5
    assert Patient(weight=reg.Quantity(Fraction(141, 2), "kg")).weight_kg == 70.5


@pytest.mark.parametrize("magnitude", [complex(70, 0), "70"])
def test_pint_magnitude_that_is_not_a_real_number(magnitude: Any) -> None:
    reg = _registry()
    q = reg.Quantity(70, "kg")
    q._magnitude = magnitude  # a quantity built around another type of magnitude
    with pytest.raises(QuantityError):
        Patient(weight=q)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), Decimal("1e400")])
def test_pint_non_finite(value: Any) -> None:
    with pytest.raises(QuantityError, match="finite"):
        Patient(weight=_registry().Quantity(value, "kg"))


def test_pint_wrong_dimension_is_a_unit_error() -> None:
    with pytest.raises(UnitError):
        Patient(weight=_registry().Quantity(170, "cm"))


def test_numpy_scalars_as_magnitudes_are_converted_and_arrays_refused() -> None:
    np = pytest.importorskip("numpy")
    reg = _registry()
    assert Patient(weight=reg.Quantity(np.int64(70), "kg")).weight_kg == 70.0
    assert Patient(weight=reg.Quantity(np.float32(70.5), "kg")).weight_kg == 70.5  # exact in f32
    with pytest.raises(QuantityError, match="single real number"):
        Patient(weight=reg.Quantity(np.array([70.0]), "kg"))
    with pytest.raises(QuantityError, match="bare number"):
        Patient(weight=np.float64(70.0))
    with pytest.raises(QuantityError) as info:
        Patient(weight=np.bool_(True))
    assert isinstance(info.value, TypeError)
    with pytest.raises(QuantityError, match="finite"):
        Patient(weight=reg.Quantity(np.float64("inf"), "kg"))


# --- -0.0 is not an age -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "age",
    [calcidose.ureg.Quantity(-0.0, "year"), pint.UnitRegistry().Quantity(-0.0, "day"), "-0 years",
     "-0.0 years"],
)  # fmt: skip
def test_a_signed_zero_age_is_refused_and_not_called_negative(age: Any) -> None:
    with pytest.raises(QuantityError, match="signed zero") as info:
        Patient(age=age)
    assert "negative" not in str(info.value)


def test_a_signed_zero_age_in_json_is_refused() -> None:
    data = json.loads('{"age": {"value": -0.0, "unit": "a"}}')
    with pytest.raises(PatientError, match="signed zero"):
        Patient.from_dict(data)


def test_a_zero_age_is_a_newborn() -> None:
    assert Patient(age="0 days").age_years == 0.0
    assert Patient(age=calcidose.ureg.Quantity(0, "year")).age_years == 0.0
    assert json.loads(json.dumps(Patient(age="0 days").to_dict()))["age"]["value"] == 0


# --- unit invariance: the same patient in other units gives the same plan ---------------------


@pytest.mark.parametrize(
    ("metric", "other"),
    [
        # 70 kg = 70000 g; 154.3236... lb = 70 kg (70 / 0.45359237)
        ({"weight": "70 kg"}, {"weight": "70000 g"}),
        ({"weight": "70 kg"}, {"weight": calcidose.ureg.Quantity(70 / 0.45359237, "lb")}),
        ({"weight": "70 kg"}, {"weight": pint.UnitRegistry().Quantity(70000, "gram")}),
        # 54 years = 648 months
        ({"age": "54 years"}, {"age": "648 months"}),
    ],
)
def test_the_dose_does_not_depend_on_the_unit_given(
    metric: dict[str, Any], other: dict[str, Any]
) -> None:
    base = {**ADULT}
    a = dose("diltiazem", Patient(**{**base, **metric})).to_dict()
    b = dose("diltiazem", Patient(**{**base, **other})).to_dict()
    for plan in (a, b):
        plan.pop("patient", None)
        plan.pop("trace", None)
    assert a == b
