"""Peak memory of ``calcidose audit`` (local engine) against input size (issue 15).

Run: ``python benchmarks/bench_batch_memory.py [--rows 200000 2000000] [--distinct N]``. For
each size, a Parquet orders file is written in chunks (a pool of ``--distinct`` orders over
every catalog drug, drawn at random), then audited by ``run_audit`` in a fresh process, which
reports its own peak resident memory (``ru_maxrss``) and rows/s. Streaming means the peak
should hardly grow with the number of rows. Exit code 0 always: figures for the notes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import resource, sys, time
from calcidose.batch.run import run_audit
start = time.perf_counter()
summary = run_audit(sys.argv[1], sys.argv[2])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(f"{summary.rows} {seconds:.2f} {peak:.0f}")
"""


def _write(path: Path, rows: int, distinct: int, seed: int = 7) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    import calcidose
    from calcidose.batch.schema import ORDER_COLUMNS, ORDERS_SCHEMA

    rng = np.random.default_rng(seed)
    drugs = sorted(calcidose.get_catalog().drugs)
    pool = {
        "drug": rng.choice(drugs, distinct),
        "dose_value": rng.choice([0.5, 1.0, 5.0, 25.0, 100.0, 500.0], distinct),
        "dose_unit": rng.choice(["mg", "mg", "g"], distinct),
        "frequency": rng.choice(["daily", "bid", "tid", "weekly"], distinct),
        "weight_kg": np.round(rng.uniform(40, 120, distinct), 1),
        "age_years": np.round(rng.uniform(18, 90, distinct), 1),
        "sex": rng.choice(["female", "male"], distinct),
    }
    with pq.ParquetWriter(path, ORDERS_SCHEMA) as writer:
        for start in range(0, rows, 250_000):
            n = min(250_000, rows - start)
            pick = rng.integers(0, distinct, n)
            columns = {}
            for column in ORDER_COLUMNS:
                if column.name == "order_id":
                    columns["order_id"] = pa.array([str(i) for i in range(start, start + n)])
                elif column.name in pool:
                    columns[column.name] = pa.array(pool[column.name][pick])
                else:
                    columns[column.name] = pa.nulls(n, column.type)
            writer.write_table(pa.table(columns).cast(ORDERS_SCHEMA))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 2_000_000])
    parser.add_argument("--distinct", type=int, default=2_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            source, target = Path(tmp) / f"o{rows}.parquet", Path(tmp) / f"a{rows}.parquet"
            _write(source, rows, args.distinct)
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(source), str(target)],
                capture_output=True, text=True, check=False,
            )
            if done.returncode != 0:
                print(f"{rows} rows: failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            audited, seconds, peak = done.stdout.split()
            rate = int(audited) / float(seconds)
            print(f"{rows:>10,} rows: audited {int(audited):,} in {seconds} s "
                  f"({rate:,.0f} rows/s), peak RSS {peak} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
