"""Batch audit of orders tables (``calcidose audit``): extras ``calcidose[batch]`` (polars,
pyarrow, dask) and ``calcidose[spark]`` (pyspark).

Modules (each imported only when used; ``import calcidose`` never imports this package):

* :mod:`calcidose.batch.schema`: the orders and audit tables (Arrow and JSON Schema), ``conform``;
* :mod:`calcidose.batch.reference`: ``audit_reference(batch, catalog)``, one ``check()`` per row,
  the oracle every engine is tested against;
* :mod:`calcidose.batch.kernel`: ``Kernel(catalog)(batch)``, the column-wise audit equal to the
  reference row for row;
* :mod:`calcidose.batch.io`: streaming Parquet/CSV reading, input validation, writing with the
  tables' provenance;
* :mod:`calcidose.batch.engines`: the local, Dask and Spark engines, one Arrow-batch ->
  Arrow-batch function on each.

See docs/batch.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["AUDIT_SCHEMA", "ORDERS_SCHEMA", "Kernel", "audit_batch", "audit_reference", "conform"]

_LAZY = {
    "AUDIT_SCHEMA": "calcidose.batch.schema",
    "ORDERS_SCHEMA": "calcidose.batch.schema",
    "conform": "calcidose.batch.schema",
    "audit_reference": "calcidose.batch.reference",
    "Kernel": "calcidose.batch.kernel",
    "audit_batch": "calcidose.batch.kernel",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'calcidose.batch' has no attribute {name!r}")
    return getattr(import_module(module), name)
