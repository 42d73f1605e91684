"""The Dask engine on a real LocalCluster of 2 worker processes: output equal to the local
kernel's (itself equal to the check() loop, test_batch_kernel.py), workers rebuilding the
catalog from the tables' paths and hashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from batch_rows import orders_batch

import calcidose
from calcidose.batch.engines import TablesRef, run_dask, tables_ref, worker_kernel
from calcidose.batch.reference import audit_reference
from calcidose.errors import InputError

ADULT = {"weight_kg": 70.0, "age_years": 54.0, "sex": "male"}


def _rows(n: int, start: int) -> list[dict[str, object]]:
    drugs = sorted(calcidose.get_catalog().drugs)
    return [{"order_id": f"{start + i}", "drug": drugs[i % len(drugs)], "dose_value": 10.0 * i,
             "dose_unit": "mg", "frequency": ("daily", "tid", "weekly")[i % 3], **ADULT}
            for i in range(n)]


def test_dask_local_cluster_equals_the_reference_in_order() -> None:
    batches = [orders_batch(*_rows(30, 0)), orders_batch(*_rows(25, 30)),
               orders_batch({"order_id": "bad", "drug": "diltiazem"})]
    got = [b.to_pylist() for b in run_dask(batches, tables_ref([]), n_workers=2)]
    catalog = calcidose.get_catalog()
    want = [audit_reference(b, catalog).to_pylist() for b in batches]
    assert got == want
    # the last batch's only row lacks its amount: invalid, reason from the reference
    assert got[2][0]["verdict"] == "invalid"


def test_a_worker_refuses_tables_whose_hash_changed(tmp_path: Path) -> None:
    shipped = tables_ref([]).directories[0]
    copy = tmp_path / "tables"
    shutil.copytree(shipped, copy)
    ref = tables_ref([])
    forged = TablesRef((str(copy),), ("sha256:" + "0" * 64,))
    assert ref.hashes[0].startswith("sha256:") and len(ref.hashes[0]) == 71
    with pytest.raises(InputError, match="not the client's"):
        worker_kernel(forged)


def test_cli_engine_dask_writes_what_the_local_engine_writes(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from calcidose.cli import main

    source = tmp_path / "o.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*_rows(20, 0))]), source)
    assert main(["audit", str(source), "-o", str(tmp_path / "l.parquet"), "--quiet"]) == 0
    assert main(["audit", str(source), "-o", str(tmp_path / "d.parquet"), "--quiet",
                 "--engine", "dask"]) == 0
    local, dask = pq.read_table(tmp_path / "l.parquet"), pq.read_table(tmp_path / "d.parquet")
    assert local.to_pylist() == dask.to_pylist() and local.num_rows == 20
