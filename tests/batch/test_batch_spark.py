"""The Spark engine (``DataFrame.mapInArrow`` on ``local[2]``): small runs, output equal to the
reference audit (one check() per row) in input order, streamed one window of rows at a time.

One SparkSession (``local[2]``) is shared by the whole module (starting the JVM is most of the
time). Spark needs a Java runtime. Without ``java`` the module is skipped with the reason, except
under CI (``CI=true``), where it must run: ``.ci/run`` installs Debian's default-jre-headless.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_rows import orders_batch

import calcidose
from calcidose.batch.engines import run_spark, spark_session, tables_ref
from calcidose.batch.reference import audit_reference

if shutil.which("java") is None and not os.environ.get("CI"):
    pytest.skip("Spark needs a Java runtime (java is not on PATH)", allow_module_level=True)

ADULT = {"weight_kg": 70.0, "age_years": 54.0, "sex": "male"}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]")
    yield session
    session.stop()


def _rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    drugs = sorted(calcidose.get_catalog().drugs)
    return [{"order_id": f"{start + i}", "drug": drugs[i % len(drugs)], "dose_value": 5.0 * i,
             "dose_unit": ("mg", "g")[i % 2], "frequency": ("daily", "bid", "weekly")[i % 3],
             **ADULT, "medications": ["clarithromycin"] if i % 4 == 0 else None}
            for i in range(start, start + n)]


def test_spark_local_equals_the_reference_in_order(spark: Any) -> None:
    rows = _rows(40)
    rows.append({"order_id": "bad", "drug": "no-such-drug", "dose_value": 1.0,
                 "dose_unit": "mg", "frequency": "daily"})
    batches = [orders_batch(*rows[:20]), orders_batch(*rows[20:])]
    catalog = calcidose.get_catalog()
    got = list(run_spark(batches, tables_ref(catalog), session=spark))
    # one audit batch per orders batch, each the reference's
    assert [b.to_pylist() for b in got] == [audit_reference(b, catalog).to_pylist()
                                           for b in batches]
    assert got[-1].to_pylist()[-1]["verdict"] == "invalid"  # the unknown drug, refused


def test_spark_sends_one_window_of_rows_at_a_time(spark: Any) -> None:
    # 6 batches of 5 rows, windows of 10 rows: the first audit batch comes back once 2 batches
    # (10 rows) were taken from the input, not all 6; then the rest, in order
    catalog = calcidose.get_catalog()
    batches = [orders_batch(*_rows(5, 5 * k)) for k in range(6)]
    taken: list[int] = []

    def source() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            taken.append(batch.num_rows)
            yield batch

    stream = run_spark(source(), tables_ref(catalog), session=spark, window_rows=10)
    first = next(stream)
    assert len(taken) == 2
    got = [first.to_pylist(), *(b.to_pylist() for b in stream)]
    assert got == [audit_reference(b, catalog).to_pylist() for b in batches]


def test_cli_engine_spark_writes_what_the_local_engine_writes(
    spark: Any, tmp_path: Path
) -> None:
    from calcidose.batch.run import run_audit

    source = tmp_path / "o.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*_rows(12))]), source)
    run_audit(source, tmp_path / "l.parquet")
    # the module's session is running: getOrCreate gives it to the engine (which stops it
    # at the end, so this test is the module's last)
    run_audit(source, tmp_path / "s.parquet", engine="spark", master="local[2]")
    local, spark_out = pq.read_table(tmp_path / "l.parquet"), pq.read_table(tmp_path / "s.parquet")
    assert local.num_rows == 12 and local.to_pylist() == spark_out.to_pylist()
    assert local.schema.metadata == spark_out.schema.metadata
