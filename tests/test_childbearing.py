"""Pregnancy and lactation are asked only when they can change the answer (issue 11, section 1).

The shipped window (tables/meta.toml [childbearing_potential]) is 12 years inclusive to 56 years
exclusive, i.e. 12 to 55 years inclusive: a product decision (median menarche 12.4 years,
Chumlea 2003, doi:10.1542/peds.111.1.110; natural menopause by 55 in most women, Gold 2011,
doi:10.1016/j.ogc.2011.05.002). The rules that read pregnancy are diltiazem-pregnancy,
minocycline-pregnancy and the two warfarin-pregnancy rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calcidose
from calcidose.catalog import get_catalog, load_catalog
from calcidose.engine import rules
from calcidose.errors import TableError
from calcidose.patient import Patient

CAT = get_catalog()
NOT_ASKED = "pregnancy and lactation not asked"


def _missing(drug: str, patient: Patient, catalog: Any = CAT) -> set[str]:
    outcome = rules.evaluate(catalog, catalog.drugs[drug], None, patient)
    return {m for f in outcome.findings if f.severity == "cannot-check" for m in f.missing}


def _adult(**kw: Any) -> Patient:
    base: dict[str, Any] = {"weight": "60 kg", "crcl": "90 mL/min"}
    base.update(kw)
    return Patient(**{k: v for k, v in base.items() if v is not None})


# --- the over-alerting cases of the issue, as regression tests ---------------------------------


@pytest.mark.parametrize(
    ("age", "weight"),
    [("90 years", "60 kg"), ("5 years", "18 kg"), ("0 d", "3.5 kg"), ("11.99 years", "40 kg")],
)
def test_girl_or_old_woman_is_not_asked_about_pregnancy(age: str, weight: str) -> None:
    p = Patient(weight=weight, age=age, sex="female")
    for drug in ("diltiazem", "minocycline", "warfarin"):
        assert "pregnancy status" not in _missing(drug, p)
        assert "lactation status" not in _missing(drug, p)
    plan = calcidose.dose("diltiazem", p)
    assert not any(f.code == "diltiazem-pregnancy:cannot-check" for f in plan.findings)
    assert NOT_ASKED in {s.label for s in plan.trace}  # said, never silent


def test_woman_of_ninety_gets_diltiazem_ok() -> None:
    # 2-4 mg/kg/day x 60 kg = 120-240 mg/day; nothing else is unknown for her
    plan = calcidose.dose("diltiazem", Patient(weight="60 kg", age="90 years", sex="female"))
    assert plan.status == "ok"
    assert (plan.dose.low, plan.dose.high) == (120, 240)


@pytest.mark.parametrize("age", ["12 years", "30 years", "55.99 years"])
def test_woman_in_the_window_is_still_asked(age: str) -> None:
    p = _adult(age=age, sex="female")
    assert "pregnancy status" in _missing("diltiazem", p)
    assert calcidose.dose("diltiazem", p).status == "cannot-check"


def test_window_bounds_are_inclusive_then_exclusive() -> None:
    assert "pregnancy status" in _missing("minocycline", _adult(age="12 years", sex="female"))
    assert "pregnancy status" not in _missing("minocycline", _adult(age="56 years", sex="female"))


def test_female_of_unknown_age_is_asked() -> None:
    p = Patient(weight="60 kg", sex="female")
    assert "pregnancy status" in _missing("diltiazem", p)


def test_unknown_sex_considers_both() -> None:
    # a man is never pregnant; a woman outside the window is not asked: either way, no
    assert "pregnancy status" not in _missing("diltiazem", _adult(age="80 years"))
    assert "pregnancy status" not in _missing("diltiazem", _adult(age="6 years"))
    # inside the window she could be pregnant: asked
    assert "pregnancy status" in _missing("diltiazem", _adult(age="30 years"))
    assert "pregnancy status" in _missing("diltiazem", Patient(weight="60 kg"))


def test_male_is_never_asked() -> None:
    assert "pregnancy status" not in _missing("diltiazem", _adult(age="30 years", sex="male"))


def test_stated_pregnancy_counts_at_any_age() -> None:
    outcome = rules.evaluate(
        CAT, CAT.drugs["minocycline"], None, _adult(age="58 years", sex="female", pregnant=True)
    )
    assert "minocycline-pregnancy" in {f.code for f in outcome.findings}
    assert NOT_ASKED not in {s.label for s in outcome.steps}
    # lactation, not stated, at 58 (outside 12 to under 56) is taken as no, and the trace names
    # lactation alone: the stated pregnancy was not "not asked"
    labels = {s.label for s in outcome.steps}
    assert "lactation not asked" in labels and "pregnancy not asked" not in labels
    assert "minocycline-lactation" not in {f.code for f in outcome.findings}


def test_lactation_follows_the_same_window() -> None:
    for age, asked in (("30 years", (None, True)), ("70 years", (False, True))):
        patient = Patient(age=age, sex="female")
        assert rules.reproductive_state(CAT, patient, "lactating")[0] is asked[0]
        stated = Patient(age=age, sex="female", lactating=True)
        assert rules.reproductive_state(CAT, stated, "lactating") == (True, False)


# --- the property -------------------------------------------------------------------------------


AGES = st.one_of(
    st.none(),
    st.decimals("0", "110", places=2).map(lambda d: f"{d} years"),
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(CAT.drugs)),
    AGES,
    st.sampled_from([None, "female", "male"]),
)
def test_an_unknown_that_cannot_change_the_answer_is_never_cannot_check(
    drug: str, age: str | None, sex: str | None
) -> None:
    """Pregnancy unknown is a cannot-check only when stating it could change the answer under
    the tables' window: then "pregnant" and "not pregnant" patients would be treated alike only
    by chance. Outside the window, unstated equals stated "not pregnant", finding for finding."""
    kw: dict[str, Any] = {"weight": "40 kg", "crcl": "90 mL/min", "age": age, "sex": sex}
    kw = {k: v for k, v in kw.items() if v is not None}
    unknown = Patient(**kw)
    years = unknown.age_years
    in_window = years is None or 12 <= years < 56
    asked = "pregnancy status" in _missing(drug, unknown)
    if sex == "male" or not in_window:
        assert not asked
        if sex != "male":
            stated_no = Patient(**kw, pregnant=False, lactating=False)
            a = rules.evaluate(CAT, CAT.drugs[drug], None, unknown)
            b = rules.evaluate(CAT, CAT.drugs[drug], None, stated_no)
            assert [f.code for f in a.findings] == [f.code for f in b.findings]
    elif any(r.id.endswith("-pregnancy") for r in CAT.drugs[drug].rules):
        assert asked


# --- the window is data: an institution overlay tunes it, validated ----------------------------


def _overlay(tmp_path: Path, body: str) -> Path:
    (tmp_path / "meta.toml").write_text(
        'tables_version = "2026.11.0-site"\nschema_version = 1\n' + body, encoding="utf-8"
    )
    return tmp_path


def test_overlay_lowers_the_window(tmp_path: Path) -> None:
    cat = load_catalog(
        _overlay(
            tmp_path,
            '[childbearing_potential]\nmin_age = { value = 10, unit = "a" }\n'
            'max_age = { value = 56, unit = "a" }\nsources = ["calcidose-policy"]\n',
        ),
        use_env=False,
    )
    girl = Patient(weight="35 kg", age="11 years", sex="female")
    assert "pregnancy status" in _missing("minocycline", girl, cat)
    assert "pregnancy status" not in _missing("minocycline", girl, CAT)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            'min_age = { value = 56, unit = "a" }\nmax_age = { value = 12, unit = "a" }\n'
            'sources = ["calcidose-policy"]\n',
            "min_age must be below max_age",
        ),
        (
            'min_age = { value = 12, unit = "kg" }\nmax_age = { value = 56, unit = "a" }\n'
            'sources = ["calcidose-policy"]\n',
            "this field needs time",
        ),
        (
            'min_age = { value = 12, unit = "a" }\nmax_age = { value = 56, unit = "a" }\n',
            "needs at least one source",
        ),
        (
            'min_age = { value = 12, unit = "a" }\nmax_age = { value = 56, unit = "a" }\n'
            'sources = ["no-such-source"]\n',
            "unknown source 'no-such-source'",
        ),
    ],
)
def test_a_bad_window_is_refused(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(TableError) as info:
        load_catalog(_overlay(tmp_path, "[childbearing_potential]\n" + body), use_env=False)
    assert problem in str(info.value)
    assert "childbearing_potential" in str(info.value)
