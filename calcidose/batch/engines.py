"""The same Arrow-batch -> Arrow-batch kernel on Dask and Spark (and, through them, a cluster).

Workers never receive compiled state: they receive the catalog's
:class:`~calcidose.catalog.model.TablesRef` (``catalog.ref``: the tables directories, shipped
tables then overlays in order, with the content hash of each) and rebuild the catalog with
:func:`calcidose.catalog.load_ref`, which refuses (:class:`~calcidose.errors.TableError`, naming
the directory) when a directory's hash on the worker is not the one the client's catalog was
loaded with: a worker never audits against other tables than the client's.

Both engines stream: the client holds at most a window of batches at a time (Dask: a few
futures in flight; Spark: one job per window of rows), and gives audit batches back one per
input batch, in input order, row for row the local engine's.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from ..catalog.model import TablesRef
from ..errors import CalcidoseError, InputError

if TYPE_CHECKING:
    from ..catalog.model import Catalog

__all__ = [
    "SPARK_WINDOW_ROWS",
    "TablesRef",
    "audit_ipc",
    "run_dask",
    "run_spark",
    "spark_session",
    "tables_ref",
    "worker_kernel",
]

#: Rows the Spark engine sends to the cluster per job (the driver holds one window at a time).
SPARK_WINDOW_ROWS: Final = 1_048_576


def tables_ref(catalog: Catalog | None = None) -> TablesRef:
    """The reference workers rebuild ``catalog`` from (by default the catalog in use,
    :func:`calcidose.get_catalog`): ``catalog.ref``. A catalog built in memory has none and
    cannot be sent (InputError)."""
    if catalog is None:
        from ..catalog import get_catalog

        catalog = get_catalog()
    ref = catalog.ref
    if ref is None:
        raise InputError(
            "the catalog was built in memory, not loaded from tables directories: workers "
            "cannot rebuild it; load it with calcidose.load_tables(...) to audit on a cluster"
        )
    return ref


_KERNELS: dict[TablesRef, Any] = {}


def worker_kernel(ref: TablesRef) -> Any:
    """The kernel of ``ref`` on this process (its memo kept across tasks): the catalog rebuilt
    with :func:`~calcidose.catalog.load_ref` (hashes checked), once per process."""
    kernel = _KERNELS.get(ref)
    if kernel is None:
        from ..catalog import load_ref
        from .kernel import Kernel

        kernel = _KERNELS[ref] = Kernel(load_ref(ref))
    return kernel


def to_ipc(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def from_ipc(data: bytes) -> pa.RecordBatch:
    table = pa.ipc.open_stream(data).read_all()
    return table.combine_chunks().to_batches()[0] if table.num_rows else _empty(table.schema)


def _empty(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=schema)


def audit_ipc(data: bytes, ref: TablesRef) -> bytes:
    """One partition on a worker: orders IPC bytes -> audit IPC bytes."""
    return to_ipc(worker_kernel(ref)(from_ipc(data)))


def run_dask(
    batches: Iterable[pa.RecordBatch],
    ref: TablesRef,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    window: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """The audit of ``batches`` on Dask, on the scheduler at ``scheduler`` or a LocalCluster of
    ``n_workers`` processes: each batch is one task (Arrow IPC bytes in and out, the kernel on
    the worker), at most ``window`` tasks in flight (by default twice the cluster's threads),
    so the client never holds the whole input; audit batches are given back one per input
    batch, in input order, as soon as each is done and its predecessors are given."""
    from importlib import import_module

    # distributed is typed only in part: used as Any here
    distributed: Any = import_module("distributed")
    cluster = None
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
    else:
        client = distributed.Client(scheduler)
    try:
        if window is None:
            threads = sum(client.nthreads().values()) or 1
            window = 2 * threads
        pending: deque[Any] = deque()
        for batch in batches:
            pending.append(client.submit(audit_ipc, to_ipc(batch), ref, pure=False))
            if len(pending) >= window:
                yield from_ipc(pending.popleft().result())
        while pending:
            yield from_ipc(pending.popleft().result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


_ROW = "#row"


def _spark_partition(batches: Iterable[pa.RecordBatch], ref: TablesRef) -> Iterator[Any]:
    """One Spark partition: orders batches (with their row numbers) -> audit batches."""
    kernel = worker_kernel(ref)
    for batch in batches:
        rows = batch.column(_ROW)
        audit = kernel(batch.drop_columns([_ROW]))
        yield audit.append_column(_ROW, rows)


def spark_session(master: str = "local[2]") -> Any:
    """A SparkSession on ``master`` for the audit (Spark UI off; workers run this Python)."""
    import sys
    from importlib import import_module

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session: Any = import_module("pyspark.sql").SparkSession
    return (
        session.builder.master(master)
        .appName("calcidose-audit")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def run_spark(
    batches: Iterable[pa.RecordBatch],
    ref: TablesRef,
    *,
    master: str = "local[2]",
    session: Any = None,
    window_rows: int = SPARK_WINDOW_ROWS,
) -> Iterator[pa.RecordBatch]:
    """The audit of ``batches`` on Spark (``DataFrame.mapInArrow``), on ``master`` (``local[2]``
    or a cluster URL) or on the given ``session`` (left running; a session made here is
    stopped at the end). The input is sent one window of about ``window_rows`` rows at a
    time (one Spark job each), so the driver never holds the whole input; each row carries its
    row number through Spark and each window's audit is sorted on it, then given back one
    audit batch per input batch, in input order."""
    spark = session if session is not None else spark_session(master)
    try:
        held: list[pa.RecordBatch] = []
        rows = 0
        for batch in batches:
            held.append(batch)
            rows += batch.num_rows
            if rows >= window_rows:
                yield from _spark_window(spark, held, ref)
                held, rows = [], 0
        if held:
            yield from _spark_window(spark, held, ref)
    finally:
        if session is None:
            spark.stop()


def _spark_window(spark: Any, batches: list[pa.RecordBatch], ref: TablesRef) -> Any:
    from .schema import AUDIT_SCHEMA

    table = pa.Table.from_batches(batches)
    table = table.append_column(_ROW, pa.array(range(table.num_rows), pa.int64()))
    frame = spark.createDataFrame(table)
    schema = (
        ", ".join(
            f"`{f.name}` {'array<string>' if pa.types.is_list(f.type) else _spark_type(f.type)}"
            for f in AUDIT_SCHEMA
        )
        + f", `{_ROW}` bigint"
    )

    def partition(it: Iterable[pa.RecordBatch]) -> Iterator[Any]:
        return _spark_partition(it, ref)

    out = frame.mapInArrow(partition, schema).toArrow()
    if out.num_rows != table.num_rows:
        raise CalcidoseError(
            f"Spark gave back {out.num_rows} audit rows for {table.num_rows} orders"
        )
    out = out.sort_by(_ROW).drop_columns([_ROW])
    audit = pa.Table.from_arrays(
        [c.cast(f.type) for c, f in zip(out.columns, AUDIT_SCHEMA, strict=True)],
        schema=AUDIT_SCHEMA,
    )
    offset = 0
    for batch in batches:
        part = audit.slice(offset, batch.num_rows).combine_chunks().to_batches()
        yield part[0] if part else _empty(AUDIT_SCHEMA)
        offset += batch.num_rows


def _spark_type(t: pa.DataType) -> str:
    return {"string": "string", "double": "double", "bool": "boolean"}[str(t)]
