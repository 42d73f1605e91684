"""Non-finite and overflowing numbers in a batch row are refused rows (issue 12 §5)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from batch_rows import orders_batch

from calcidose.batch.reference import audit_reference

GOOD = {"drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg", "frequency": "tid",
        "weight_kg": 70.0, "age_years": 54.0, "sex": "male"}  # fmt: skip

ROWS = [
    ({"dose_value": math.inf}, "finite"),
    ({"dose_value": -math.inf}, "finite"),
    # 1e305 g = 1e308 mg per dose; x 4 a day = 4e308 mg, past the largest float (1.8e308)
    ({"dose_value": 1e305, "dose_unit": "g", "frequency": "qid"}, "too large"),
    ({"height_cm": math.inf}, "finite"),
    ({"age_years": math.nan}, "finite"),
]


@pytest.mark.parametrize(("change", "says"), ROWS, ids=[str(c) for c, _ in ROWS])
def test_a_non_finite_number_makes_the_row_invalid(
    catalog: Any, change: dict[str, Any], says: str
) -> None:
    rows = [{"order_id": "bad", **GOOD, **change}, {"order_id": "after", **GOOD}]
    bad, after = audit_reference(orders_batch(*rows), catalog).to_pylist()
    assert bad["verdict"] == "invalid" and says in bad["error"], bad["error"]
    assert bad["expected_low"] is None
    # the next row is still checked: 90 mg x 3 = 270 mg/day within 2-4 mg/kg/day x 70 kg
    assert after["verdict"] == "within-range"
