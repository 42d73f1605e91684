"""The Dask engine on a real LocalCluster of 2 worker processes: output equal to the local
kernel's (itself equal to the check() loop, test_batch_kernel.py), workers rebuilding the
catalog from the tables' paths and hashes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from batch_rows import orders_batch

import calcidose
from calcidose.batch.engines import TablesRef, run_dask, tables_ref, worker_kernel
from calcidose.batch.reference import audit_reference
from calcidose.errors import TableError

ADULT = {"weight_kg": 70.0, "age_years": 54.0, "sex": "male"}


def _rows(n: int, start: int) -> list[dict[str, object]]:
    drugs = sorted(calcidose.get_catalog().drugs)
    return [{"order_id": f"{start + i}", "drug": drugs[i % len(drugs)], "dose_value": 10.0 * i,
             "dose_unit": "mg", "frequency": ("daily", "tid", "weekly")[i % 3], **ADULT}
            for i in range(n)]


def test_dask_local_cluster_equals_the_reference_in_order() -> None:
    batches = [orders_batch(*_rows(30, 0)), orders_batch(*_rows(25, 30)),
               orders_batch({"order_id": "bad", "drug": "diltiazem"})]
    catalog = calcidose.get_catalog()
    got = [b.to_pylist() for b in run_dask(batches, tables_ref(catalog), n_workers=2)]
    want = [audit_reference(b, catalog).to_pylist() for b in batches]
    assert got == want
    # the last batch's only row lacks its amount: invalid, reason from the reference
    assert got[2][0]["verdict"] == "invalid"


def test_a_worker_refuses_tables_whose_hash_changed(tmp_path: Path) -> None:
    ref = tables_ref(calcidose.get_catalog())
    shipped = ref.directories[0]
    copy = tmp_path / "tables"
    shutil.copytree(shipped, copy)
    # "sha256:" and 64 hex digits
    assert ref.hashes[0].startswith("sha256:") and len(ref.hashes[0]) == 71
    forged = TablesRef((str(copy),), ("sha256:" + "0" * 64,))
    with pytest.raises(TableError, match="not sha256:0000"):
        worker_kernel(forged)


def test_dask_streams_with_a_window_of_tasks_in_flight() -> None:
    # 9 batches of 4 rows, at most 2 tasks in flight: when the first audit batch comes back
    # the client has taken at most 2 (window) + 1 batches from the input, never all 9
    catalog = calcidose.get_catalog()
    batches = [orders_batch(*_rows(4, 4 * k)) for k in range(9)]
    taken: list[int] = []

    def source() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            taken.append(batch.num_rows)
            yield batch

    stream = run_dask(source(), tables_ref(catalog), n_workers=2, window=2)
    first = next(stream)
    assert len(taken) <= 3
    got = [first.to_pylist(), *(b.to_pylist() for b in stream)]
    assert len(taken) == 9
    assert got == [audit_reference(b, catalog).to_pylist() for b in batches]


def test_cli_engine_dask_writes_what_the_local_engine_writes(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from calcidose.cli import main

    source = tmp_path / "o.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*_rows(20, 0))]), source)
    assert main(["audit", str(source), "-o", str(tmp_path / "l.parquet"), "--quiet"]) == 0
    assert main(["audit", str(source), "-o", str(tmp_path / "d.parquet"), "--quiet",
                 "--engine", "dask"]) == 0
    local, dask = pq.read_table(tmp_path / "l.parquet"), pq.read_table(tmp_path / "d.parquet")
    assert local.to_pylist() == dask.to_pylist() and local.num_rows == 20
