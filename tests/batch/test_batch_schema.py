"""The orders and audit schemas: published files, Arrow types, and conform's refusals."""

from __future__ import annotations

from typing import Any

import jsonschema
import pyarrow as pa
import pytest
from batch_rows import orders_rows

from calcidose.batch import schema
from calcidose.errors import InputError

#: The columns issue 15 lists, in its order (written out here, not read from the code).
ORDERS = ["order_id", "drug", "dose_value", "dose_unit", "frequency", "weight_kg",
          "age_years", "sex", "height_cm", "crcl_ml_min", "pregnant", "conditions",
          "medications"]  # fmt: skip
AUDIT = ["order_id", "verdict", "status", "worst_severity", "finding_codes", "expected_low",
         "expected_high", "expected_unit", "error"]  # fmt: skip


def test_columns_are_the_contract() -> None:
    assert schema.ORDERS_SCHEMA.names == ORDERS
    assert schema.AUDIT_SCHEMA.names == AUDIT


def test_arrow_types() -> None:
    t = {f.name: f.type for f in schema.ORDERS_SCHEMA}
    assert t["dose_value"] == t["weight_kg"] == t["crcl_ml_min"] == pa.float64()
    assert t["pregnant"] == pa.bool_()
    assert t["conditions"] == t["medications"] == pa.list_(pa.string())
    assert t["order_id"] == t["drug"] == t["sex"] == pa.string()
    assert schema.AUDIT_SCHEMA.field("finding_codes").type == pa.list_(pa.string())


@pytest.mark.parametrize("table", ["orders", "audit"])
def test_published_file_is_the_generated_schema(table: str) -> None:
    published = schema.published_schema(table)
    assert published == schema.json_schema(table)
    jsonschema.Draft202012Validator.check_schema(published)
    arrow = schema.ORDERS_SCHEMA if table == "orders" else schema.AUDIT_SCHEMA
    assert {n: p["x-arrow-type"] for n, p in published["properties"].items()} == {
        f.name: str(f.type) for f in arrow
    }


def test_json_schema_accepts_a_row_and_refuses_a_wrong_one() -> None:
    validator = jsonschema.Draft202012Validator(schema.published_schema("orders"))
    (row,) = orders_rows({"order_id": "1", "drug": "diltiazem", "dose_value": 90,
                          "dose_unit": "mg", "frequency": "tid", "sex": "female",
                          "conditions": ["hypotension"]})  # fmt: skip
    validator.validate(row)
    assert not validator.is_valid({**row, "sex": "F"})
    assert not validator.is_valid({**row, "dose_value": None})
    assert not validator.is_valid({**row, "extra": 1})
    assert validator.is_valid({**row, "weight_kg": None, "pregnant": None})


def _batch(**replace: pa.Array) -> pa.RecordBatch:
    base = pa.RecordBatch.from_pylist(
        orders_rows({"order_id": "1", "drug": "diltiazem", "dose_value": 90.0}),
        schema=schema.ORDERS_SCHEMA,
    )
    arrays = {n: replace.get(n, base.column(n)) for n in base.schema.names}
    return pa.RecordBatch.from_pydict(arrays)


def test_conform_is_identity_on_the_schema() -> None:
    batch = _batch()
    assert schema.conform(batch).equals(batch)


def test_conform_casts_accepted_equivalents() -> None:
    batch = _batch(
        order_id=pa.array([42], pa.int64()),
        drug=pa.array(["diltiazem"], pa.large_string()).dictionary_encode(),
        dose_value=pa.array([90], pa.int32()),
        weight_kg=pa.array([None], pa.null()),
        conditions=pa.array([["a", "b"]], pa.large_list(pa.large_string())),
    )
    out = schema.conform(batch)
    assert out.schema == schema.ORDERS_SCHEMA
    (row,) = out.to_pylist()
    assert row["order_id"] == "42" and row["dose_value"] == 90.0 and row["drug"] == "diltiazem"
    assert row["conditions"] == ["a", "b"] and row["weight_kg"] is None


def test_conform_reorders_columns() -> None:
    batch = _batch()
    shuffled = batch.select(list(reversed(batch.schema.names)))
    assert schema.conform(shuffled).equals(batch)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda b: b.drop_columns(["frequency"]), "missing column(s) frequency"),
        (lambda b: b.append_column("route", pa.array(["oral"])), "unknown column(s) route"),
        (lambda b: b.set_column(2, "dose_value", pa.array(["90"])), "dose_value has type string"),
        (lambda b: b.set_column(10, "pregnant", pa.array([1])), "pregnant has type int64"),
        (lambda b: b.set_column(11, "conditions", pa.array(["a;b"])), "conditions has type"),
        (lambda b: b.set_column(7, "sex", pa.array([1.5])), "sex has type double"),
    ],
)
def test_conform_refuses_naming_file_and_column(make: Any, says: str) -> None:
    with pytest.raises(InputError, match=r"^orders\.parquet: ") as raised:
        schema.conform(make(_batch()), "orders.parquet")
    assert says in str(raised.value)


def test_duplicated_column_is_refused() -> None:
    b = _batch()
    dup = pa.RecordBatch.from_arrays([*b.columns, b.column(0)], [*b.schema.names, "order_id"])
    with pytest.raises(InputError, match="more than once: order_id"):
        schema.conform(dup)
