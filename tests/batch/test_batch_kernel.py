"""The kernel against the reference audit (one check() per row): equal row for row.

The oracle here is :func:`calcidose.batch.reference.audit_reference`, itself tested against
direct check() calls in test_batch_reference.py. Rows are generated over every catalog drug
(ids, synonyms, case variants, unknown names), every accepted unit and bad ones, frequencies
good and bad, patient facts present, null or out of range, and condition and medication lists
(empty, null, unknown ids, null items); rows repeat (drawn from a small pool) so that grouping
equal orders is exercised, with and without the same order_id.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pyarrow as pa
import pytest
from batch_rows import orders_batch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import calcidose
from calcidose.batch.kernel import Kernel, audit_batch
from calcidose.batch.reference import audit_reference
from calcidose.batch.schema import AUDIT_SCHEMA, AUDIT_VERDICTS, ORDERS_SCHEMA

_CATALOG = calcidose.get_catalog()
DRUGS = sorted(_CATALOG.drugs)
NAMES = [*DRUGS, *(s for d in _CATALOG.drugs.values() for s in d.synonyms)]
NAMES += [n.upper() for n in DRUGS[:3]] + ["no-such-drug", "", "diltiazam"]
CONDITIONS = sorted(_CATALOG.conditions)
SUBSTANCES = sorted(_CATALOG.substances)
UNITS = ["mg", "g", "mcg", "ug", "mL", "kg", "", "MG", "mg/kg"]
FREQUENCIES = [
    "daily", "bid", "tid", "qid", "q8h", "q12h", "weekly", "three times weekly", "once",
    "every 4 weeks", "monthly", "hourly?", "",
]
DOSES = [0.0, -0.0, -5.0, 1e-05, 0.6, 1.0, 2.0, 25.0, 90.0, 100.0, 500.0, 1000.0, 12.5,
         math.nan, math.inf, 1e12]


def _fact(values: list[float]) -> st.SearchStrategy[float | None]:
    return st.none() | st.sampled_from(values) | st.floats(-10, 400, allow_nan=False)


def _ids(pool: list[str]) -> st.SearchStrategy[list[str | None] | None]:
    item: st.SearchStrategy[str | None] = st.sampled_from([*pool, "not-an-id"]) | st.none()
    return st.none() | st.lists(item, max_size=3)


def _seldom_null(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``values``, null about one time in eight (a required column: null makes it invalid)."""
    return st.one_of(*[values] * 7, st.none())


ROW = st.fixed_dictionaries(
    {
        "order_id": st.none() | st.text(max_size=4),
        "drug": _seldom_null(st.sampled_from(NAMES)),
        "dose_value": _seldom_null(
            st.sampled_from(DOSES) | st.floats(0, 5000, allow_nan=False)
        ),
        "dose_unit": _seldom_null(st.sampled_from(UNITS)),
        "frequency": _seldom_null(st.sampled_from(FREQUENCIES)),
        "weight_kg": _fact([70.0, 3.5, 0.0, -1.0, math.nan]),
        "age_years": _fact([54.0, 0.5, 6.0, 17.9, 80.0, 200.0]),
        "sex": st.none() | st.sampled_from(["female", "male", "other"]),
        "height_cm": _fact([170.0, 50.0]),
        "crcl_ml_min": _fact([20.0, 29.9, 30.0, 50.0, 90.0]),
        "pregnant": st.none() | st.booleans(),
        "conditions": _ids(CONDITIONS),
        "medications": _ids(SUBSTANCES),
    }
)


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for n, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.keys() == w.keys()
        for key in w:
            a, b = g[key], w[key]
            if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
                assert math.isnan(b), (n, key)
            else:
                assert a == b, (n, key, g, w)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pool=st.lists(ROW, min_size=1, max_size=12),
    picks=st.lists(st.integers(0, 11), min_size=1, max_size=40),
    fresh_ids=st.booleans(),
)
def test_kernel_equals_reference_row_for_row(
    pool: list[dict[str, Any]], picks: list[int], fresh_ids: bool
) -> None:
    rows = [dict(pool[p % len(pool)]) for p in picks]
    if fresh_ids:
        for n, row in enumerate(rows):
            row["order_id"] = f"o{n}"
    batch = orders_batch(*rows)
    want = audit_reference(batch, _CATALOG).to_pylist()
    got = audit_batch(batch, _CATALOG)
    assert got.schema.equals(AUDIT_SCHEMA)
    _same(got.to_pylist(), want)


PATIENTS: list[dict[str, Any]] = [
    {"weight_kg": 70.0, "age_years": 54.0, "sex": "male"},
    {"weight_kg": 20.0, "age_years": 6.0, "sex": "female", "crcl_ml_min": 25.0},
    {"weight_kg": 60.0, "age_years": 30.0, "sex": "female", "pregnant": True,
     "conditions": ["not-a-condition"]},
    {"age_years": 80.0},
]


def test_a_grid_over_every_drug_reaches_every_verdict_and_matches() -> None:
    grid = itertools.product(
        DRUGS, [0.5, 1.0, 10.0, 100.0, 500.0, 2000.0], ["mg", "g", "mL"],
        ["daily", "tid", "weekly"], PATIENTS,
    )
    rows = [{"order_id": str(n), "drug": d, "dose_value": v, "dose_unit": u, "frequency": f,
             **p} for n, (d, v, u, f, p) in enumerate(grid)]
    rows.append({"order_id": "bad", "drug": "diltiazem", "dose_value": 1.0, "dose_unit": "mg",
                 "frequency": "now and then"})
    batch = orders_batch(*rows)
    want = audit_reference(batch, _CATALOG).to_pylist()
    _same(audit_batch(batch, _CATALOG).to_pylist(), want)
    # the grid is a test of every verdict, not only of the common ones
    assert {w["verdict"] for w in want} == set(AUDIT_VERDICTS)


def test_every_drug_and_verdict_kind_is_covered_by_the_generator() -> None:
    # the generator's pools hold every catalog drug and the verdict of a refused row
    assert set(DRUGS) <= set(NAMES)
    rows = [{"order_id": "x", "drug": "no-such-drug", "dose_value": 1.0, "dose_unit": "mg",
             "frequency": "daily"}]
    out = audit_batch(orders_batch(*rows), _CATALOG).to_pylist()
    # an unknown drug is refused by check() (UnknownDrugError): verdict invalid, reason given
    assert out[0]["verdict"] == "invalid" and "unknown drug 'no-such-drug'" in out[0]["error"]


def test_each_distinct_order_is_checked_once_across_batches() -> None:
    order = {"drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg", "frequency": "tid",
             "weight_kg": 70.0, "age_years": 54.0, "sex": "male"}
    other = {**order, "dose_value": 120.0}
    kernel = Kernel(_CATALOG)
    repeated = [{**order, "order_id": f"a{n}"} for n in range(5)]
    first = kernel(orders_batch(*repeated, {**other, "order_id": "z"}))
    second = kernel(orders_batch({**order, "order_id": "b"}, {**other, "order_id": "c"}))
    # 2 distinct orders in 8 rows over two batches: 2 check() calls, order_ids kept per row
    assert kernel.checked == 2 and kernel.rows == 8
    assert first.column("order_id").to_pylist() == ["a0", "a1", "a2", "a3", "a4", "z"]
    assert second.column("order_id").to_pylist() == ["b", "c"]
    direct = calcidose.check("diltiazem", "90 mg", "tid",
                             calcidose.Patient(weight="70 kg", age="54 y", sex="male"))
    assert second.column("verdict").to_pylist()[0] == direct.verdict


def test_zero_and_negative_zero_are_not_merged() -> None:
    # -0.0 == 0.0 in arithmetic but the reference writes "-0 mg" vs "0 mg": kept apart by bits
    rows = [{"order_id": str(n), "drug": "diltiazem", "dose_value": v, "dose_unit": "mg",
             "frequency": "daily"} for n, v in enumerate([0.0, -0.0, 0.0])]
    batch = orders_batch(*rows)
    _same(audit_batch(batch, _CATALOG).to_pylist(), audit_reference(batch, _CATALOG).to_pylist())


def test_a_list_with_a_null_item_is_audited_on_its_own() -> None:
    base = {"drug": "colchicine", "dose_value": 0.6, "dose_unit": "mg", "frequency": "bid",
            "weight_kg": 80.0, "age_years": 61.0, "sex": "male"}
    rows = [{**base, "order_id": "1", "medications": [None, "clarithromycin"]},
            {**base, "order_id": "2", "medications": ["clarithromycin", None]},
            {**base, "order_id": "3", "medications": ["clarithromycin"]}]
    batch = orders_batch(*rows)
    _same(audit_batch(batch, _CATALOG).to_pylist(), audit_reference(batch, _CATALOG).to_pylist())


def test_an_empty_batch_gives_an_empty_audit() -> None:
    empty = pa.RecordBatch.from_pylist([], schema=ORDERS_SCHEMA)
    out = audit_batch(empty, _CATALOG)
    assert out.num_rows == 0 and out.schema.equals(AUDIT_SCHEMA)


def test_a_missing_column_is_refused_before_any_work() -> None:
    batch = orders_batch({"order_id": "1"}).drop_columns(["frequency"])
    with pytest.raises(calcidose.CalcidoseError, match=r"missing column.*frequency"):
        audit_batch(batch, _CATALOG)
