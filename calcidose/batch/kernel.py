"""The batch kernel: an orders batch -> its audit batch, column-wise, equal to the reference.

What is done column-wise (polars / Arrow, no Python per row):

* the batch is conformed onto :data:`~calcidose.batch.schema.ORDERS_SCHEMA` (a missing, extra
  or wrongly typed column is refused before any work);
* every row gets a *key*: the exact content of everything check() reads from it (the drug and
  unit text, the frequency text, the bit pattern of each number, so ``-0.0``, ``0.0`` and NaN
  stay apart, the patient's facts, the condition and medication lists with their lengths) plus
  whether ``order_id`` is null (a null there makes the row invalid); ``order_id`` itself is not
  part of the key because check() never sees it;
* rows with the same key are grouped (one group per distinct order) and the audit of the group
  is copied to each of its rows by an index gather, in input order.

What is not vectorised: each *distinct* key is audited once with
:func:`~calcidose.batch.reference.check_row`, the same function the reference audit runs for
every row, so an audit row is check()'s answer by construction, including ``invalid`` rows and
their reason. Answers are kept (memoised) across the batches of one run, so an order that recurs
in a later batch is not checked again.

Rows whose key could be ambiguous (a condition or medication list holding a null item or the
separator character) are never grouped: each is audited on its own by the reference, never
dropped or guessed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from .reference import check_row
from .schema import AUDIT_SCHEMA, conform

if TYPE_CHECKING:
    from ..catalog.model import Catalog

__all__ = ["MEMO_LIMIT", "Kernel", "audit_batch"]

#: The memo of answers is emptied when it holds more distinct orders than this (memory stays
#: bounded; an order seen again after that is simply checked again).
MEMO_LIMIT: Final = 1_000_000

_TEXT: Final = ("drug", "dose_unit", "frequency", "sex")
_NUMBERS: Final = ("dose_value", "weight_kg", "age_years", "height_cm", "crcl_ml_min")
_LISTS: Final = ("conditions", "medications")
_SEPARATOR: Final = "\x1f"


class Kernel:
    """The audit of orders batches against one catalog; call it on each batch of a run.

    ``Kernel(catalog)(batch)`` returns the :data:`~calcidose.batch.schema.AUDIT_SCHEMA` batch of
    ``batch``, one row per input row, in order, equal to
    :func:`~calcidose.batch.reference.audit_reference` row for row."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._memo: dict[tuple[Any, ...], dict[str, Any]] = {}
        #: distinct orders checked so far (check() calls), and rows audited
        self.checked = 0
        self.rows = 0

    def __call__(self, batch: pa.RecordBatch, where: str = "orders batch") -> pa.RecordBatch:
        import polars as pl

        orders = conform(batch, where)
        n = orders.num_rows
        self.rows += n
        if n == 0:
            return pa.RecordBatch.from_pylist([], schema=AUDIT_SCHEMA)
        frame = pl.from_arrow(_key_table(orders))
        assert isinstance(frame, pl.DataFrame)
        lists: list[pl.Expr] = []
        solo: pl.Expr = pl.lit(False)
        for name in _LISTS:
            column = pl.col(name)
            lists.append(column.list.len().fill_null(0).alias(f"{name}#n"))
            lists.append(column.list.join(_SEPARATOR).fill_null("").alias(f"{name}#s"))
            odd = column.list.eval(
                pl.element().is_null() | pl.element().str.contains(_SEPARATOR, literal=True)
            ).list.any()
            solo = solo | odd.fill_null(False)
        index = pl.int_range(0, pl.len(), dtype=pl.Int64)
        frame = frame.with_columns(*lists, pl.when(solo).then(index).otherwise(-1).alias("#solo"))
        frame = frame.drop(list(_LISTS))
        keys = frame.columns
        # each row's group is named by its first row; groups are numbered in order of appearance
        groups = (
            frame.with_columns(index.alias("#row"))
            .select(
                pl.col("#row").min().over(keys).alias("first"),
            )
            .with_columns((pl.col("first").rank("dense") - 1).alias("group"))
        )
        unique = groups["first"].unique().sort().to_list()
        key_rows = frame[unique].rows()
        answers: list[dict[str, Any] | None] = [self._memo.get(k) for k in key_rows]
        missing = [i for i, a in enumerate(answers) if a is None]
        if missing:
            rows = orders.take(pa.array([unique[i] for i in missing])).to_pylist()
            if len(self._memo) + len(missing) > MEMO_LIMIT:
                self._memo.clear()
            for i, row in zip(missing, rows, strict=True):
                answer = check_row(row, self.catalog)
                answers[i] = answer
                self._memo[key_rows[i]] = answer
            self.checked += len(missing)
        distinct = pl.from_arrow(pa.RecordBatch.from_pylist(answers, schema=AUDIT_SCHEMA))
        assert isinstance(distinct, pl.DataFrame)
        gathered = distinct.select(pl.all().gather(groups["group"])).to_arrow().combine_chunks()
        columns = [c.chunk(0) if c.num_chunks else c.combine_chunks() for c in gathered.columns]
        out = pa.RecordBatch.from_arrays(
            [orders.column("order_id"), *columns[1:]], names=AUDIT_SCHEMA.names
        )
        return out.cast(AUDIT_SCHEMA)


def _key_table(orders: pa.RecordBatch) -> pa.Table:
    """The columns a row's key is made of (numbers as their 64-bit patterns)."""
    columns: dict[str, pa.Array] = {"order_id#null": pc.is_null(orders.column("order_id"))}
    for name in _TEXT:
        columns[name] = orders.column(name)
    for name in _NUMBERS:
        columns[name] = orders.column(name).view(pa.int64())
    columns["pregnant"] = orders.column("pregnant")
    for name in _LISTS:
        columns[name] = orders.column(name)
    return pa.table(columns)


def audit_batch(batch: pa.RecordBatch, catalog: Catalog) -> pa.RecordBatch:
    """The audit of one orders batch (a fresh :class:`Kernel`, nothing remembered)."""
    return Kernel(catalog)(batch)
