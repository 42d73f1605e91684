"""The orders table a batch audit reads and the audit table it writes: Arrow and JSON Schema.

One list of columns (:data:`ORDER_COLUMNS`, :data:`AUDIT_COLUMNS`) is the single source of both
the Arrow schemas (:data:`ORDERS_SCHEMA`, :data:`AUDIT_SCHEMA`) and the published JSON Schemas
(``calcidose/batch/schemas/orders.schema.json`` and ``audit.schema.json``, one object per row,
each property with its Arrow type as ``x-arrow-type``).

Units are in the column names: ``weight_kg`` (kg), ``age_years`` (years), ``height_cm`` (cm),
``crcl_ml_min`` (mL/min); ``dose_value`` is in ``dose_unit`` (``mg``, ``g``, ``mcg``, ``mL``, the
spellings :func:`calcidose.check` accepts). A patient fact that is unknown is null, never a
default. ``conditions`` and ``medications`` are lists of ids (in CSV, one cell joined with
``;``); null and an empty list both mean "none known".

:func:`conform` checks a record batch's columns and types (refusing a missing, extra or
wrongly typed column with a :class:`~calcidose.errors.InputError` naming it) and casts the
accepted equivalents (large strings, integers for numbers, ...) onto :data:`ORDERS_SCHEMA`.
A wrong *value* in a row is not refused here: that row's audit verdict is ``invalid``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any, Final, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from ..engine.orders import VERDICTS
from ..errors import InputError
from ..results import SEVERITIES, STATUSES

__all__ = [
    "AUDIT_COLUMNS",
    "AUDIT_SCHEMA",
    "AUDIT_VERDICTS",
    "ORDERS_SCHEMA",
    "ORDER_COLUMNS",
    "REQUIRED",
    "Column",
    "conform",
    "json_schema",
    "published_schema",
]

#: The verdict of a row :func:`calcidose.check` refuses (the reason is in ``error``).
INVALID: Final = "invalid"
#: Every verdict an audit row can have: check()'s verdicts, then ``invalid``.
AUDIT_VERDICTS: Final = (*VERDICTS, INVALID)


class Column(NamedTuple):
    """One column: name, Arrow type, whether a value is required, JSON type, description."""

    name: str
    type: pa.DataType
    required: bool
    json: dict[str, Any]
    description: str


_TEXT: Final = {"type": "string", "minLength": 1}
_NUMBER: Final = {"type": "number"}
_IDS: Final = {"type": "array", "items": {"type": "string", "minLength": 1}}

#: The orders table, in this column order.
ORDER_COLUMNS: Final[tuple[Column, ...]] = (
    Column("order_id", pa.string(), True, _TEXT, "the order's identifier, copied to the output"),
    Column("drug", pa.string(), True, _TEXT, "catalog drug id or exact synonym"),
    Column("dose_value", pa.float64(), True, _NUMBER, "the amount per administration"),
    Column("dose_unit", pa.string(), True, _TEXT, "its unit: mg, g, mcg (or ug), mL"),
    Column("frequency", pa.string(), True, _TEXT, "as written: daily, bid, tid, q8h, weekly..."),
    Column("weight_kg", pa.float64(), False, _NUMBER, "body weight (kg)"),
    Column("age_years", pa.float64(), False, _NUMBER, "age (years; 1.5 for 18 months)"),
    Column("sex", pa.string(), False, {"enum": ["female", "male"]}, "female or male"),
    Column("height_cm", pa.float64(), False, _NUMBER, "height (cm)"),
    Column("crcl_ml_min", pa.float64(), False, _NUMBER, "creatinine clearance (mL/min)"),
    Column("pregnant", pa.bool_(), False, {"type": "boolean"}, "true, false, or null (unknown)"),
    Column("conditions", pa.list_(pa.string()), False, _IDS, "condition ids present"),
    Column("medications", pa.list_(pa.string()), False, _IDS, "medication ids being taken"),
)

#: The audit table: one row per order, in input order.
AUDIT_COLUMNS: Final[tuple[Column, ...]] = (
    Column("order_id", pa.string(), False, {"type": "string"}, "the input row's order_id"),
    Column("verdict", pa.string(), True, {"enum": list(AUDIT_VERDICTS)}, "check()'s verdict"),
    Column(
        "status", pa.string(), False, {"enum": list(STATUSES)}, "overall status; null if invalid"
    ),
    Column(
        "worst_severity",
        pa.string(),
        False,
        {"enum": list(SEVERITIES)},
        "severity of the first finding (findings come what-blocks-first); null if none",
    ),
    Column(
        "finding_codes",
        pa.list_(pa.string()),
        True,
        {"type": "array", "items": {"type": "string"}},
        "codes of check()'s findings, in its order (';'-joined in CSV)",
    ),
    Column("expected_low", pa.float64(), False, _NUMBER, "expected range low, in expected_unit"),
    Column("expected_high", pa.float64(), False, _NUMBER, "expected range high"),
    Column("expected_unit", pa.string(), False, {"type": "string"}, "UCUM code (mg/d, mg...)"),
    Column("error", pa.string(), False, {"type": "string"}, "why the row is invalid, else null"),
)

#: Columns that must have a value: a null there makes the row ``invalid``.
REQUIRED: Final = frozenset(c.name for c in ORDER_COLUMNS if c.required)


def _schema(columns: tuple[Column, ...], title: str) -> pa.Schema:
    fields = [
        pa.field(c.name, c.type, nullable=True, metadata={"required": str(c.required).lower()})
        for c in columns
    ]
    return pa.schema(fields, metadata={"calcidose.table": title})


#: Arrow schema of the orders table. Every field is nullable in Arrow: a null in a required
#: column is a bad row (verdict ``invalid``), not a refused file; field metadata says which.
ORDERS_SCHEMA: Final = _schema(ORDER_COLUMNS, "orders/1")
#: Arrow schema of the audit table.
AUDIT_SCHEMA: Final = _schema(AUDIT_COLUMNS, "audit/1")

_FILES: Final = {"orders": "orders.schema.json", "audit": "audit.schema.json"}


def json_schema(table: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one row of ``table`` ("orders" or "audit"), built from the
    column list; the published file is this, written out (a test keeps them equal)."""
    columns = {"orders": ORDER_COLUMNS, "audit": AUDIT_COLUMNS}[table]
    properties: dict[str, Any] = {}
    for c in columns:
        spec = dict(c.json)
        if not c.required:
            spec = {"anyOf": [spec, {"type": "null"}]}
        properties[c.name] = {
            **spec,
            "description": c.description,
            "x-arrow-type": str(c.type),
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://calcidose.invalid/schemas/batch-{table}/1",
        "title": f"calcidose {table} table row ({table}/1)",
        "type": "object",
        "properties": properties,
        "required": [c.name for c in columns],
        "additionalProperties": False,
    }


def published_schema(table: str) -> dict[str, Any]:
    """The published JSON Schema file of ``table`` ("orders" or "audit"), as shipped."""
    node = resources.files("calcidose.batch").joinpath("schemas", _FILES[table])
    loaded: dict[str, Any] = json.loads(node.read_text(encoding="utf-8"))
    return loaded


# --- conform: accepted input types onto ORDERS_SCHEMA ----------------------------------------


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _text_like(t: pa.DataType) -> bool:
    return _is_text(t) or (pa.types.is_dictionary(t) and _is_text(t.value_type))


def _number_like(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))


def _list_like(t: pa.DataType) -> bool:
    is_list = pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t)
    return bool(is_list and (_is_text(t.value_type) or pa.types.is_null(t.value_type)))


#: What each Arrow target type accepts (a null-typed column, all nulls, fits any).
_ACCEPTS: Final[dict[str, tuple[Callable[[pa.DataType], bool], str]]] = {
    "string": (_text_like, "text"),
    "double": (_number_like, "a number (integer, floating point or decimal)"),
    "bool": (pa.types.is_boolean, "a boolean (true/false)"),
    "list<item: string>": (_list_like, "a list of text ids (in CSV, one cell joined with ';')"),
}


def _accepts(column: Column, t: pa.DataType) -> bool:
    if pa.types.is_null(t):
        return True
    if column.name == "order_id" and pa.types.is_integer(t):
        return True  # OMOP ids are integers; written out as decimal text
    return _ACCEPTS[str(column.type)][0](t)


def conform(batch: pa.RecordBatch, where: str = "input") -> pa.RecordBatch:
    """``batch`` with exactly the orders columns, in order, cast onto :data:`ORDERS_SCHEMA`.

    Raises :class:`~calcidose.errors.InputError` naming ``where`` (the file) and the column for a
    missing column, an unknown (extra) column or a column of the wrong type. Values are never
    judged here.
    """
    names = batch.schema.names
    expected = [c.name for c in ORDER_COLUMNS]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{where}: column(s) given more than once: {', '.join(duplicated)}")
    missing = [n for n in expected if n not in names]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}; {_expected_text()}")
    extra = [n for n in names if n not in expected]
    if extra:
        raise InputError(f"{where}: unknown column(s) {', '.join(extra)}; {_expected_text()}")
    arrays = []
    for column in ORDER_COLUMNS:
        array = batch.column(column.name)
        if not _accepts(column, array.type):
            raise InputError(
                f"{where}: column {column.name} has type {array.type}; it must be "
                f"{_ACCEPTS[str(column.type)][1]}"
            )
        arrays.append(_cast(array, column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=ORDERS_SCHEMA)


def _cast(array: pa.Array, target: pa.DataType) -> pa.Array:
    if array.type == target:
        return array
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    # unsafe only in the sense of integer -> float64 above 2**53, far outside any plausible value
    return pc.cast(array, target, safe=False)


def _expected_text() -> str:
    return "the orders table has the columns " + ", ".join(c.name for c in ORDER_COLUMNS)
