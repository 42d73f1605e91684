"""The exact words and unit names of calcidose.units: error messages a user acts on, the unit
name read from a pint quantity's structure, and amounts switched to grams.

Each expectation is written from the documented rule beside it (docstrings of
calcidose.units), not from the code's output: a pharmacist reads these strings.
"""

from __future__ import annotations

import pytest

from calcidose import Patient, units
from calcidose.errors import PatientTypeError, QuantityError


def q(value: float, unit: str) -> object:
    return units.get_registry().Quantity(value, unit)


# --- signed zero: named as such, with the advice for its kind ----------------------------------


def test_a_signed_zero_weight_names_the_value_and_asks_for_the_measurement() -> None:
    with pytest.raises(QuantityError) as err:
        units.parse(q(-0.0, "kg"), "weight")
    message = str(err.value)
    assert message.startswith("weight <Quantity(-0.0, 'kilogram')>: a signed zero (-0)")
    assert message.endswith("give the measured value")
    assert "newborn" not in message


def test_a_signed_zero_age_asks_for_0_for_a_newborn() -> None:
    # an age of 0 is a newborn (the only kind where zero is allowed), so -0 gets that advice
    with pytest.raises(QuantityError) as err:
        units.parse(q(-0.0, "year"), "age")
    message = str(err.value)
    assert message.startswith("age <Quantity(-0.0, 'year')>: a signed zero (-0)")
    assert message.endswith("write 0 for a newborn")


def test_an_unsigned_zero_age_is_a_newborn() -> None:
    assert units.parse(q(0.0, "year"), "age") == 0.0


def test_a_signed_zero_in_text_gets_its_own_hint() -> None:
    with pytest.raises(QuantityError) as err:
        units.parse("-0 kg", "weight")
    assert "is not a number followed by a unit (a signed zero, -0, is not a value);" in str(
        err.value
    )


def test_a_bare_nan_is_named_in_the_message() -> None:
    with pytest.raises(QuantityError) as err:
        units.parse(float("nan"), "weight")
    assert str(err.value) == "weight nan is a bare number and not a finite one"


def test_a_patient_field_name_that_is_not_text_is_named() -> None:
    with pytest.raises(PatientTypeError) as err:
        Patient.from_dict({7: "x"})
    assert str(err.value) == "patient field names must be text, got 7"


# --- pint_unit_name: the unit by its structure ----------------------------------------------
# Rule (docstring): a product of units with exponent 1 over units with exponent -1 is written
# 'a * b / c / d' in the quantity's own order; anything else (an exponent 2) falls back to
# pint's long 'D' format, which writes powers as '** 2'.


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("mg", "milligram"),
        ("mg/kg/d", "milligram / kilogram / day"),  # pint's 'D' would sort: '/ day / kilogram'
        ("mg*h/L", "milligram * hour / liter"),  # 'D' would write 'hour * milligram / liter'
        ("m**2", "meter ** 2"),  # exponent 2: pint's long format
        ("mg/m**2", "milligram / meter ** 2"),  # an exponent -2 below: pint's long format
    ],
)
def test_pint_unit_name_reads_the_structure(expression: str, expected: str) -> None:
    assert units.pint_unit_name(q(1, expression)) == expected


class _Duck:
    """A quantity-like object without unit_items: only its units' 'D' format is read."""

    class _Units:
        def __format__(self, spec: str) -> str:
            return f"duck-units[{spec}]"

    units = _Units()


def test_pint_unit_name_falls_back_to_the_long_format_of_the_units() -> None:
    assert units.pint_unit_name(_Duck()) == "duck-units[D]"


# --- format_amount: from 1,000 mg on, grams to the milligram -----------------------------------


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [
        (1000, "mg", "1 g"),  # the switch is at 1,000 mg inclusive
        (1000.5, "mg", "1.001 g"),  # three decimals of a gram: 1.0005 half-up -> 1.001
        (1234.5678, "mg", "1.235 g"),  # to the milligram, not 1.23 g nor 1.2346 g
        (999.5, "mg", "999.5 mg"),  # below 1,000 mg: one decimal from 1 (format_number)
        (1500, "mg/d", "1.5 g/day"),
        (2000, "mg/wk", "2 g/week"),
        (2500, "mg/kg/d", "2,500 mg/kg/day"),  # no g/kg/d unit: stays in mg
        (1000, "ug", "1,000 mcg"),  # only milligrams switch
    ],
)
def test_format_amount_writes_grams_from_1000_mg(value: float, code: str, expected: str) -> None:
    assert units.format_amount(value, code) == expected


def test_format_amount_never_rounds_past_a_cap_in_grams() -> None:
    # 1,249.6 mg is 1.2496 g; to the milligram half-up that is 1.250 g, above the 1,249.6 mg cap,
    # so it is rounded down instead: 1.249 g
    assert units.format_amount(1249.6, "mg") == "1.25 g"
    assert units.format_amount(1249.6, "mg", ceiling=1249.6) == "1.249 g"


def test_format_amount_below_a_gram_keeps_the_cap_and_the_places() -> None:
    # 2.4996 mg: one decimal from 1 -> 2.5 mg, above the 2.4996 mg cap, so rounded down: 2.4 mg;
    # with places=2: 2.50 -> past the cap -> 2.49 mg
    assert units.format_amount(2.4996, "mg") == "2.5 mg"
    assert units.format_amount(2.4996, "mg", ceiling=2.4996) == "2.4 mg"
    assert units.format_amount(2.4996, "mg", ceiling=2.4996, places=2) == "2.49 mg"
    # 2.500 with three places: trailing zeros are dropped
    assert units.format_amount(2.4996, "mg", places=3) == "2.5 mg"
    assert units.format_amount(2.4996, "mg", places=4) == "2.4996 mg"


def test_format_quantity_passes_the_places() -> None:
    # 1.23456 with two decimals is 1.23 (the default for 1 to 999 would be one: 1.2)
    assert units.format_quantity(1.23456, "mg", places=2) == "1.23 mg"
    assert units.format_quantity(1.23456, "mg") == "1.2 mg"


def test_pint_unit_name_of_another_registry_ignores_its_display_format() -> None:
    # a registry whose default format is short and pretty ('~P') writes mg/m**2 as 'mg/m²';
    # the unit name read by calcidose is still pint's long form
    import pint

    other = pint.UnitRegistry()
    other.formatter.default_format = "~P"
    value = other.Quantity(1, "mg/m**2")
    assert format(value.units, "") == "mg/m²"  # the display this must not depend on
    assert units.pint_unit_name(value) == "milligram / meter ** 2"
