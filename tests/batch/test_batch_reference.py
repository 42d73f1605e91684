"""The reference audit (one check() per row) against direct check() calls on hand-written rows.

Each expectation is computed independently of the batch code: a direct ``calcidose.check()``
with the patient built from unit strings (``Patient(weight="70 kg")``, not the row path), or a
hand calculation written beside it.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from batch_rows import orders_batch

import calcidose
from calcidose.batch.reference import audit_reference

ADULT_MALE = {"weight_kg": 70.0, "age_years": 54.0, "sex": "male"}


def _direct(drug: str, amount: str, frequency: str, **patient: Any) -> dict[str, Any]:
    result = calcidose.check(drug, amount, frequency, calcidose.Patient(**patient))
    findings = result.findings
    return {
        "verdict": result.verdict,
        "status": result.status,
        "worst_severity": findings[0].severity if findings else None,
        "finding_codes": [f.code for f in findings],
        "expected_low": result.expected_low,
        "expected_high": result.expected_high,
        "expected_unit": result.expected_unit,
        "error": None,
    }


#: (row, the same order as direct check() arguments)
CASES: list[tuple[dict[str, Any], tuple[str, str, str], dict[str, Any]]] = [
    (
        {"drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg", "frequency": "tid",
         **ADULT_MALE},
        ("diltiazem", "90 mg", "tid"),
        {"weight": "70 kg", "age": "54 years", "sex": "male"},
    ),
    (
        {"drug": "minocycline", "dose_value": 100.0, "dose_unit": "mg", "frequency": "bid",
         "weight_kg": 60.0, "age_years": 40.0, "sex": "female", "pregnant": True},
        ("minocycline", "100 mg", "bid"),
        {"weight": "60 kg", "age": "40 y", "sex": "female", "pregnant": True},
    ),
    (
        {"drug": "colchicine", "dose_value": 0.6, "dose_unit": "mg", "frequency": "bid",
         "weight_kg": 80.0, "age_years": 61.5, "sex": "male", "medications": ["clarithromycin"]},
        ("colchicine", "0.6 mg", "bid"),
        {"weight": "80 kg", "age": "61.5 y", "sex": "male", "medications": ["clarithromycin"]},
    ),
    (
        {"drug": "probenecid", "dose_value": 500.0, "dose_unit": "mg", "frequency": "bid",
         "age_years": 60.0, "sex": "male"},
        ("probenecid", "500 mg", "bid"),
        {"age": "60 y", "sex": "male"},
    ),
    (
        {"drug": "sodium-thiosulfate", "dose_value": 25.0, "dose_unit": "g",
         "frequency": "three times weekly", "weight_kg": 80.0, "age_years": 60.0, "sex": "male",
         "crcl_ml_min": 20.0, "height_cm": 180.0},
        ("sodium-thiosulfate", "25 g", "three times weekly"),
        {"weight": "80 kg", "age": "60 y", "sex": "male", "crcl": "20 mL/min", "height": "180 cm"},
    ),
    (
        {"drug": "Diltiazem", "dose_value": 0.00005, "dose_unit": "g", "frequency": "daily",
         "weight_kg": 70.0, "age_years": 54.0, "sex": "male",
         "conditions": ["av-block-2nd-3rd-degree"]},
        ("Diltiazem", "0.00005 g", "daily"),
        {"weight": "70 kg", "age": "54 y", "sex": "male",
         "conditions": ["av-block-2nd-3rd-degree"]},
    ),
    (
        {"drug": "ceftriaxone", "dose_value": 2.0, "dose_unit": "g", "frequency": "daily",
         "weight_kg": 20.0, "age_years": 6.0, "sex": "female", "pregnant": False},
        ("ceftriaxone", "2 g", "daily"),
        {"weight": "20 kg", "age": "6 y", "sex": "female", "pregnant": False},
    ),
]  # fmt: skip


def test_each_row_is_what_check_gives(catalog: Any) -> None:
    rows = [{"order_id": f"o{n}", **row} for n, (row, _, _) in enumerate(CASES)]
    out = audit_reference(orders_batch(*rows), catalog).to_pylist()
    assert [r["order_id"] for r in out] == [f"o{n}" for n in range(len(CASES))]
    for got, (_, order, patient) in zip(out, CASES, strict=True):
        assert {k: v for k, v in got.items() if k != "order_id"} == _direct(*order, **patient)


def test_verdicts_cover_ok_contraindicated_and_cannot_check(catalog: Any) -> None:
    """The rows above are not all alike: the comparison covers several verdicts."""
    rows = [{"order_id": str(n), **row} for n, (row, _, _) in enumerate(CASES)]
    verdicts = {r["verdict"] for r in audit_reference(orders_batch(*rows), catalog).to_pylist()}
    assert {"within-range", "contraindicated", "cannot-check"} <= verdicts


def test_diltiazem_expected_range_by_hand(catalog: Any) -> None:
    # diltiazem for calcinosis 2-4 mg/kg/day (README example): 70 kg x 2 = 140, x 4 = 280 mg/d
    row = {"order_id": "a", "drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg",
           "frequency": "tid", **ADULT_MALE}  # fmt: skip
    (got,) = audit_reference(orders_batch(row), catalog).to_pylist()
    assert (got["expected_low"], got["expected_high"], got["expected_unit"]) == (140, 280, "mg/d")
    # 90 mg x 3 = 270 mg/day, inside 140-280
    assert got["verdict"] == "within-range" and got["error"] is None


BAD_ROWS = [
    ({"drug": "not-a-drug"}, "not-a-drug"),
    ({"dose_unit": "MG"}, "MG"),
    ({"dose_unit": "units"}, "units"),
    ({"frequency": "now and then"}, "now and then"),
    ({"dose_value": math.nan}, "NaN"),
    ({"dose_value": -5.0}, "negative"),
    ({"dose_value": 0.0}, "greater than zero"),
    ({"dose_value": None}, "dose_value is missing"),
    ({"drug": None}, "drug is missing"),
    ({"frequency": None}, "frequency is missing"),
    ({"dose_unit": None}, "dose_unit is missing"),
    ({"weight_kg": math.inf}, "finite"),
    ({"weight_kg": 700.0}, "plausible"),
    ({"sex": "F"}, "sex"),
    ({"sex": "male", "pregnant": True}, "male"),
    ({"conditions": [""]}, "conditions"),
]


@pytest.mark.parametrize(("change", "says"), BAD_ROWS, ids=[s for _, s in BAD_ROWS])
def test_a_refused_row_is_invalid_with_the_reason(
    catalog: Any, change: dict[str, Any], says: str
) -> None:
    good = {"drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg", "frequency": "tid",
            **ADULT_MALE}  # fmt: skip
    rows = [{"order_id": "before", **good}, {"order_id": "bad", **good, **change},
            {"order_id": "after", **good}]  # fmt: skip
    out = audit_reference(orders_batch(*rows), catalog).to_pylist()
    assert [r["order_id"] for r in out] == ["before", "bad", "after"]
    bad = out[1]
    assert bad["verdict"] == "invalid"
    assert says in bad["error"]
    assert bad["status"] is None and bad["worst_severity"] is None and bad["finding_codes"] == []
    assert bad["expected_low"] is bad["expected_high"] is bad["expected_unit"] is None
    assert out[0]["verdict"] == out[2]["verdict"] == "within-range"


def test_the_error_is_check_s_own_message(catalog: Any) -> None:
    """An invalid row carries exactly the message check() raises for that order."""
    row = {"order_id": "x", "drug": "diltiazem", "dose_value": 90.0, "dose_unit": "MG",
           "frequency": "tid", **ADULT_MALE}  # fmt: skip
    with pytest.raises(calcidose.CalcidoseError) as raised:
        calcidose.check("diltiazem", "90 MG", "tid",
                        calcidose.Patient(weight="70 kg", age="54 y", sex="male"))  # fmt: skip
    (got,) = audit_reference(orders_batch(row), catalog).to_pylist()
    assert got["error"] == str(raised.value)


def test_null_order_id_is_kept_and_row_still_checked(catalog: Any) -> None:
    row = {"order_id": None, "drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg",
           "frequency": "tid", **ADULT_MALE}  # fmt: skip
    (got,) = audit_reference(orders_batch(row), catalog).to_pylist()
    assert got["order_id"] is None and got["verdict"] == "invalid"
    assert "order_id is missing" in got["error"]


def test_empty_batch_gives_empty_audit(catalog: Any) -> None:
    from calcidose.batch.schema import AUDIT_SCHEMA

    out = audit_reference(orders_batch(), catalog)
    assert out.num_rows == 0 and out.schema == AUDIT_SCHEMA


def test_unknown_facts_stay_unknown(catalog: Any) -> None:
    """A null weight is not given to check(): diltiazem is weight-based, so without a weight it
    cannot check the range (a default weight would have given a verdict)."""
    row = {"order_id": "w", "drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg",
           "frequency": "tid", "age_years": 54.0, "sex": "male"}  # fmt: skip
    (got,) = audit_reference(orders_batch(row), catalog).to_pylist()
    direct = _direct("diltiazem", "90 mg", "tid", age="54 y", sex="male")
    assert got["verdict"] == direct["verdict"] == "cannot-check"
    assert "missing-weight" in got["finding_codes"]
