"""Shared helpers of the batch tests: orders batches from hand-written rows.

The whole directory needs the ``batch`` extra (pyarrow); it is part of the ``test`` extra, so
under CI it is never skipped.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

if not os.environ.get("CI"):
    pytest.importorskip("pyarrow", reason="the batch tests need calcidose[batch]")


def orders_rows(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows with every orders column, the ones a row does not give as null (unknown)."""
    from calcidose.batch.schema import ORDER_COLUMNS

    return [{c.name: row.get(c.name) for c in ORDER_COLUMNS} for row in rows]


def orders_batch(*rows: dict[str, Any]) -> Any:
    """An Arrow record batch of the orders schema holding ``rows``."""
    import pyarrow as pa

    from calcidose.batch.schema import ORDERS_SCHEMA

    return pa.RecordBatch.from_pylist(orders_rows(*rows), schema=ORDERS_SCHEMA)


@pytest.fixture(scope="session")
def catalog() -> Any:
    import calcidose

    return calcidose.get_catalog()
