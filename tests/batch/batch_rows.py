"""Orders rows and batches written by hand for the batch tests."""

from __future__ import annotations

from typing import Any


def orders_rows(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows with every orders column, the ones a row does not give as null (unknown)."""
    from calcidose.batch.schema import ORDER_COLUMNS

    return [{c.name: row.get(c.name) for c in ORDER_COLUMNS} for row in rows]


def orders_batch(*rows: dict[str, Any]) -> Any:
    """An Arrow record batch of the orders schema holding ``rows``."""
    import pyarrow as pa

    from calcidose.batch.schema import ORDERS_SCHEMA

    return pa.RecordBatch.from_pylist(orders_rows(*rows), schema=ORDERS_SCHEMA)
