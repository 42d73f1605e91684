"""The same Arrow-batch -> Arrow-batch kernel on Dask (and, through it, a cluster).

Workers never receive compiled state: they receive a :class:`TablesRef`, the tables
directories (shipped tables, then overlays in order) with the SHA-256 content hash of each
(:func:`calcidose.tablefiles.content_hash`), rebuild the catalog from those paths, and refuse
to work (:class:`~calcidose.errors.InputError`) when a directory's hash on the worker is not the
one the client computed: a worker never audits against other tables than the client's.

Batches travel as Arrow IPC bytes; each partition's audit comes back in partition order, so
the output is in input order and row for row the local engine's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa

from ..errors import InputError

__all__ = ["TablesRef", "audit_ipc", "run_dask", "run_spark", "tables_ref"]


class TablesRef(NamedTuple):
    """Tables directories (shipped first, then overlays) and the content hash of each."""

    directories: tuple[str, ...]
    hashes: tuple[str, ...]


def _directory_hash(path: str) -> str:
    from ..catalog.tablefiles import content_hash

    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{path}: the tables directory cannot be read on this machine")
    files = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    return content_hash(files)


def tables_ref(overlays: Iterable[str | os.PathLike[str]] | None = None) -> TablesRef:
    """The reference of the tables in use: shipped tables plus ``overlays`` (by default the
    ``CALCIDOSE_TABLES`` overlays, as :func:`calcidose.get_catalog` reads them)."""
    from ..catalog import ENV_VAR, default_tables

    shipped = default_tables()
    if not isinstance(shipped, Path):
        raise InputError("the shipped tables are not a directory on disk; cannot send them")
    if overlays is None:
        env = os.environ.get(ENV_VAR, "")
        overlays = [p for p in env.split(os.pathsep) if p]
    directories = (str(shipped), *(str(Path(p).resolve()) for p in overlays))
    return TablesRef(directories, tuple(_directory_hash(d) for d in directories))


_KERNELS: dict[TablesRef, Any] = {}


def worker_kernel(ref: TablesRef) -> Any:
    """The kernel of ``ref`` on this process: the catalog rebuilt from the paths after their
    hashes are checked, once per process."""
    kernel = _KERNELS.get(ref)
    if kernel is None:
        from ..catalog import load_catalog
        from .kernel import Kernel

        for directory, expected in zip(ref.directories, ref.hashes, strict=True):
            found = _directory_hash(directory)
            if found != expected:
                raise InputError(
                    f"{directory}: the tables on this worker have hash {found}, not the "
                    f"client's {expected}; refusing to audit against other tables"
                )
        catalog = load_catalog(*ref.directories[1:], use_env=False)
        kernel = _KERNELS[ref] = Kernel(catalog)
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
) -> Iterator[pa.RecordBatch]:
    """The audit of ``batches`` on Dask: one partition per batch (``dask.bag`` ``map`` over
    partitions), on the scheduler at ``scheduler`` or a LocalCluster of ``n_workers``; audit
    batches are given back in input order."""
    from importlib import import_module

    # dask and distributed are typed only in part: used as Any here
    db: Any = import_module("dask.bag")
    distributed: Any = import_module("distributed")
    Client, LocalCluster = distributed.Client, distributed.LocalCluster

    parts = [to_ipc(b) for b in batches]
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        bag = db.from_sequence(parts, npartitions=max(len(parts), 1))
        results = bag.map(audit_ipc, ref).compute(scheduler=client.get)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    for data in results:
        yield from_ipc(data)


_ROW = "#row"


def _spark_partition(batches: Iterable[pa.RecordBatch], ref: TablesRef) -> Iterator[Any]:
    """One Spark partition: orders batches (with their row numbers) -> audit batches."""
    kernel = worker_kernel(ref)
    for batch in batches:
        rows = batch.column(_ROW)
        audit = kernel(batch.drop_columns([_ROW]))
        yield audit.append_column(_ROW, rows)


def run_spark(
    batches: Iterable[pa.RecordBatch], ref: TablesRef, *, master: str = "local[2]"
) -> pa.Table:
    """The audit of ``batches`` on Spark (``DataFrame.mapInArrow``), on ``master`` (``local[2]``
    or a cluster URL); the audit table comes back in input order (each row carries its input
    row number through Spark, and the result is sorted on it)."""
    import sys
    from importlib import import_module

    from .schema import AUDIT_SCHEMA

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session: Any = import_module("pyspark.sql").SparkSession
    table = pa.Table.from_batches(list(batches))
    table = table.append_column(_ROW, pa.array(range(table.num_rows), pa.int64()))
    spark = (
        session.builder.master(master)
        .appName("calcidose-audit")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        frame = spark.createDataFrame(table)
        schema = ", ".join(
            f"`{f.name}` {'array<string>' if pa.types.is_list(f.type) else _spark_type(f.type)}"
            for f in AUDIT_SCHEMA
        ) + f", `{_ROW}` bigint"

        def partition(it: Iterable[pa.RecordBatch]) -> Iterator[Any]:
            return _spark_partition(it, ref)

        out = frame.mapInArrow(partition, schema).toArrow()
    finally:
        spark.stop()
    out = out.sort_by(_ROW).drop_columns([_ROW])
    return pa.Table.from_arrays(
        [c.cast(f.type) for c, f in zip(out.columns, AUDIT_SCHEMA, strict=True)],
        schema=AUDIT_SCHEMA,
    )


def _spark_type(t: pa.DataType) -> str:
    return {"string": "string", "double": "double", "bool": "boolean"}[str(t)]
