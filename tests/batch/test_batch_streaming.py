"""The local engine streams: the input is read in record batches and each audit batch is
written as soon as it is made (one Parquet row group per batch), in input order, no row
dropped, and every row is what check() gives for it (``audit_reference``: one check() per row).
Peak memory on large inputs is measured in benchmarks/bench_batch_memory.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_rows import orders_batch

import calcidose
import calcidose.batch.io as batch_io
from calcidose.batch.reference import audit_reference
from calcidose.batch.run import run_audit


def _rows(n: int) -> list[dict[str, Any]]:
    drugs = sorted(calcidose.get_catalog().drugs)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        row: dict[str, Any] = {
            "order_id": f"o{i}", "drug": drugs[i % len(drugs)], "dose_value": 2.5 * (i % 17),
            "dose_unit": ("mg", "g", "mcg", "furlongs")[i % 4],
            "frequency": ("daily", "bid", "weekly", "now and then")[i % 4 if i % 5 else 0],
            "weight_kg": 40.0 + i % 60, "age_years": 18.0 + i % 70,
            "sex": ("female", "male", None)[i % 3],
            "crcl_ml_min": None if i % 6 == 0 else 15.0 + i % 100,
        }
        if i % 11 == 0:
            row["drug"] = None  # a required column null: invalid
        rows.append(row)
    return rows


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_many_batches_stream_in_order_equal_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    rows = _rows(103)
    source = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*rows)]), source, row_group_size=10)
    monkeypatch.setattr(batch_io, "BATCH_ROWS", 9)
    out = tmp_path / f"audit{suffix}"
    summary = run_audit(source, out)
    # 103 rows in batches of 9: ceil(103 / 9) = 12 batches
    if suffix == ".parquet":
        assert pq.ParquetFile(out).metadata.num_row_groups == 12  # one written per batch
        got = pq.read_table(out).to_pylist()
    else:
        import pyarrow.csv as pcsv

        table = pcsv.read_csv(out, convert_options=pcsv.ConvertOptions(
            strings_can_be_null=True, column_types={"order_id": pa.string()}))
        got = table.to_pylist()
        for row in got:
            codes = row["finding_codes"]
            row["finding_codes"] = codes.split(";") if codes else []
    want = audit_reference(orders_batch(*rows), calcidose.get_catalog()).to_pylist()
    assert summary.rows == 103 and len(got) == 103
    assert [r["order_id"] for r in got] == [f"o{i}" for i in range(103)]
    if suffix == ".csv":  # CSV keeps the verdict and reason; compare those columns
        keys = ("order_id", "verdict", "status", "worst_severity", "finding_codes", "error")
        got = [{k: r[k] for k in keys} for r in got]
        want = [{k: r[k] for k in keys} for r in want]
    assert got == want
    # the rows with no drug (every 11th: o0, o11, ..., o99 = 10 rows) are invalid, not dropped
    no_drug = [r["order_id"] for r in got if r["error"] and "drug is missing" in r["error"]]
    assert no_drug == [f"o{i}" for i in range(0, 103, 11)]
