"""The reference audit: one :func:`calcidose.check` call per row, in a Python loop.

This is the oracle the vectorised kernel is tested against, and the definition of what an audit
row means. For each order row:

* the patient is built with :meth:`calcidose.Patient.from_dict` from the row's facts with their
  units (``{"value": weight_kg, "unit": "kg"}``, ``age_years`` in ``a``, ``height_cm`` in ``cm``,
  ``crcl_ml_min`` in ``mL/min``); a null fact is not given (unknown), never defaulted;
* the amount is ``"<dose_value> <dose_unit>"`` (the number written out in full, no exponent),
  checked with ``check(drug, amount, frequency, patient)``;
* a row that check() (or the patient) refuses with a :class:`~calcidose.errors.CalcidoseError`,
  or whose required column is null, gets verdict ``invalid`` and the message in ``error``; its
  status, severity and expected range are null and ``finding_codes`` is empty.

Rows are never dropped nor reordered. An exception that is not a CalcidoseError is a bug and is
raised, never turned into a row.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from ..errors import CalcidoseError, InputError, QuantityError
from .schema import AUDIT_SCHEMA, INVALID, ORDER_COLUMNS, conform

if TYPE_CHECKING:
    from ..catalog.model import Catalog
    from ..engine.orders import OrderCheck

__all__ = ["audit_reference", "check_row", "row_amount", "row_patient"]

#: Patient facts of the orders table: column -> (Patient field, UCUM unit).
_QUANTITIES: Final = {
    "weight_kg": ("weight", "kg"),
    "age_years": ("age", "a"),
    "height_cm": ("height", "cm"),
    "crcl_ml_min": ("crcl", "mL/min"),
}


def audit_reference(batch: pa.RecordBatch, catalog: Catalog) -> pa.RecordBatch:
    """The audit of an orders batch (:data:`~calcidose.batch.schema.ORDERS_SCHEMA`) against
    ``catalog``: one row of :data:`~calcidose.batch.schema.AUDIT_SCHEMA` per input row, in
    order. A batch with a missing, extra or wrongly typed column raises InputError."""
    rows = conform(batch, "orders batch").to_pylist()
    out = [check_row(row, catalog) for row in rows]
    return pa.RecordBatch.from_pylist(out, schema=AUDIT_SCHEMA)


def check_row(row: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The audit row of one order row (a dict of the orders columns)."""
    try:
        result = _check(row, catalog)
    except CalcidoseError as exc:
        return _invalid(row.get("order_id"), " ".join(str(exc).split()))
    findings = result.findings
    return {
        "order_id": row["order_id"],
        "verdict": result.verdict,
        "status": result.status,
        "worst_severity": findings[0].severity if findings else None,
        "finding_codes": [f.code for f in findings],
        "expected_low": result.expected_low,
        "expected_high": result.expected_high,
        "expected_unit": result.expected_unit,
        "error": None,
    }


def _invalid(order_id: str | None, message: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "verdict": INVALID,
        "status": None,
        "worst_severity": None,
        "finding_codes": [],
        "expected_low": None,
        "expected_high": None,
        "expected_unit": None,
        "error": message,
    }


def _check(row: dict[str, Any], catalog: Catalog) -> OrderCheck:
    from ..engine.orders import check

    for column in ORDER_COLUMNS:
        if column.required and row.get(column.name) is None:
            raise InputError(f"{column.name} is missing (the column is required)")
    return check(row["drug"], row_amount(row), row["frequency"], row_patient(row), catalog=catalog)


def _number(value: float) -> str:
    """Every digit of a float, never an exponent (``1e-05`` -> ``0.00001``, ``90.0`` -> ``90``)."""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def row_amount(row: dict[str, Any]) -> str:
    """The amount text check() is given: ``"<dose_value> <dose_unit>"``."""
    value = float(row["dose_value"])
    if not math.isfinite(value):
        raise QuantityError(f"dose_value {value!r} is not a finite number (NaN or infinity)")
    return f"{_number(value)} {row['dose_unit']}"


def row_patient(row: dict[str, Any]) -> Any:
    """The :class:`calcidose.Patient` of a row (raises PatientError and friends when refused)."""
    from ..patient import Patient

    data: dict[str, Any] = {}
    for column, (name, unit) in _QUANTITIES.items():
        if row.get(column) is not None:
            data[name] = {"value": float(row[column]), "unit": unit}
    for name in ("sex", "pregnant"):
        if row.get(name) is not None:
            data[name] = row[name]
    for name in ("conditions", "medications"):
        if row.get(name):
            data[name] = list(row[name])
    return Patient.from_dict(data)
