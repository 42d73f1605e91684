"""The ``childbearing_potential`` predicate (issue 10: colchicine and contraception).

The UK colchicine leaflet excludes women of childbearing age who do not use effective
contraception. calcidose has no contraception input, so rule colchicine-contraception is a
moderate reminder that fires only where it can apply: a female patient inside the
childbearing-potential window of tables/meta.toml (12 years inclusive to 56 years exclusive, a
product decision). It asks for sex or age only where they decide the answer.
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.engine import rules

RULE = "colchicine-contraception"


def _outcome(**kw: Any) -> dict[str, str]:
    base: dict[str, Any] = {"weight": "60 kg", "crcl": "90 mL/min", "lactating": False}
    patient = calcidose.Patient(**{**base, **kw})
    cat = get_catalog()
    found = rules.evaluate(cat, cat.drugs["colchicine"], None, patient, None).findings
    return {f.code: f.severity for f in found}


@pytest.mark.parametrize(
    "age",
    ["12 years", "30 years", "55 years"],  # the window's first year, the middle, its last year
)
def test_fires_for_a_woman_inside_the_window(age: str) -> None:
    assert _outcome(sex="female", age=age, pregnant=False)[RULE] == "moderate"


@pytest.mark.parametrize("age", ["11 years", "56 years", "90 years"])
def test_silent_for_a_woman_outside_the_window(age: str) -> None:
    codes = _outcome(sex="female", age=age)
    assert RULE not in codes and f"{RULE}:cannot-check" not in codes


def test_silent_for_a_man() -> None:
    codes = _outcome(sex="male", age="30 years")
    assert RULE not in codes and f"{RULE}:cannot-check" not in codes


def test_sex_is_asked_only_where_it_decides() -> None:
    # age 30: a woman would be reminded, so the unknown sex is a question
    assert _outcome(age="30 years", pregnant=False)[f"{RULE}:cannot-check"] == "cannot-check"
    # age 70: nobody of that age is inside the window, so nothing is asked
    codes = _outcome(age="70 years")
    assert RULE not in codes and f"{RULE}:cannot-check" not in codes


def test_age_is_asked_of_a_woman_whose_age_is_not_given() -> None:
    assert _outcome(sex="female", pregnant=False)[f"{RULE}:cannot-check"] == "cannot-check"


def test_a_pregnant_woman_gets_the_pregnancy_contraindication_not_the_reminder() -> None:
    codes = _outcome(sex="female", age="30 years", pregnant=True)
    assert codes["colchicine-pregnancy"] == "contraindicated"
    assert RULE not in codes


def test_the_reminder_does_not_block_an_order() -> None:
    patient = calcidose.Patient(
        weight="60 kg",
        age="30 years",
        sex="female",
        pregnant=False,
        lactating=False,
        crcl="90 mL/min",
    )
    checked = calcidose.check("colchicine", "0.5 mg", "twice daily", patient)
    assert checked.status == "caution"
    assert checked.exit_code == 0
