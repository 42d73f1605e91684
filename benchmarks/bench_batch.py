"""Orders per second of the batch kernel against the check() loop, in one run (issue 15).

Run: ``python benchmarks/bench_batch.py [--rows N] [--loop-rows N] [--distinct N]`` after
``pip install -e '.[batch]'``. Two datasets, both over every catalog drug:

* ``repeating``: ``--distinct`` different orders (drug, amount, frequency, patient) drawn again
  and again, the shape of a formulary audit where the same standard orders recur;
* ``continuous``: every patient fact drawn on a fine grid (weight to 0.1 kg, age to 0.1 year,
  CrCl to 1 mL/min), so nearly every row is a distinct order.

For each: rows/s of the kernel (batches of 262,144 rows, one memo for the run, as
``calcidose audit`` does), rows/s of the reference check() loop on the first ``--loop-rows``
rows, their ratio, distinct orders checked, and the peak resident memory of the process.
The kernel's answers are compared with the loop's on the rows both audited. Exit code 0
always: figures for the notes, not a gate.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any

TARGET_RATE = 1_000_000
TARGET_RATIO = 100.0


def _orders(rows: int, distinct: int | None, seed: int) -> Any:
    import pyarrow as pa

    import calcidose
    from calcidose.batch.schema import ORDER_COLUMNS, ORDERS_SCHEMA

    rng = random.Random(seed)
    drugs = sorted(calcidose.get_catalog().drugs)
    doses = [0.5, 0.6, 1.0, 5.0, 10.0, 25.0, 90.0, 100.0, 250.0, 500.0, 1000.0]
    frequencies = ["daily", "bid", "tid", "weekly", "three times weekly"]

    def one() -> dict[str, Any]:
        return {
            "drug": rng.choice(drugs),
            "dose_value": rng.choice(doses),
            "dose_unit": rng.choice(["mg", "mg", "mg", "g"]),
            "frequency": rng.choice(frequencies),
            "weight_kg": round(rng.uniform(40, 120), 1),
            "age_years": round(rng.uniform(18, 90), 1),
            "sex": rng.choice(["female", "male"]),
            "crcl_ml_min": float(rng.randint(10, 120)) if rng.random() < 0.7 else None,
            "pregnant": False if rng.random() < 0.5 else None,
        }

    if distinct is not None:
        pool = [one() for _ in range(distinct)]
        data = [pool[rng.randrange(distinct)] for _ in range(rows)]
    else:
        data = [one() for _ in range(rows)]
    columns: dict[str, Any] = {}
    for column in ORDER_COLUMNS:
        if column.name == "order_id":
            columns["order_id"] = [str(n) for n in range(rows)]
        else:
            columns[column.name] = [row.get(column.name) for row in data]
    return pa.table(columns, schema=ORDERS_SCHEMA)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _measure(name: str, table: Any, loop_rows: int) -> dict[str, Any]:
    import calcidose
    from calcidose.batch.kernel import Kernel
    from calcidose.batch.reference import audit_reference

    catalog = calcidose.get_catalog()
    batches = table.to_batches(max_chunksize=262_144)
    kernel = Kernel(catalog)
    start = time.perf_counter()
    outs = [kernel(b) for b in batches]
    kernel_s = time.perf_counter() - start
    sample = table.slice(0, loop_rows).combine_chunks().to_batches()[0]
    start = time.perf_counter()
    want = audit_reference(sample, catalog)
    loop_s = time.perf_counter() - start
    got = outs[0].slice(0, min(loop_rows, outs[0].num_rows))
    same = got.to_pylist() == want.slice(0, got.num_rows).to_pylist()
    kernel_rate = table.num_rows / kernel_s
    loop_rate = sample.num_rows / loop_s
    return {
        "dataset": name,
        "rows": table.num_rows,
        "distinct checked": kernel.checked,
        "kernel rows/s": kernel_rate,
        "loop rows/s": loop_rate,
        "ratio": kernel_rate / loop_rate,
        "same answers": same,
        "peak RSS MB": _peak_mb(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--loop-rows", type=int, default=5_000)
    parser.add_argument("--distinct", type=int, default=2_000)
    parser.add_argument("--continuous-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    results = [
        _measure("repeating", _orders(args.rows, args.distinct, args.seed), args.loop_rows),
        _measure(
            "continuous", _orders(args.continuous_rows, None, args.seed + 1), args.loop_rows
        ),
    ]
    for r in results:
        met_rate = "met" if r["kernel rows/s"] >= TARGET_RATE else "NOT met"
        met_ratio = "met" if r["ratio"] >= TARGET_RATIO else "NOT met"
        print(
            f"{r['dataset']:>10}: {r['rows']:,} rows, {r['distinct checked']:,} distinct "
            f"checked; kernel {r['kernel rows/s']:,.0f} rows/s ({met_rate} >= 1M), loop "
            f"{r['loop rows/s']:,.0f} rows/s, ratio {r['ratio']:,.1f}x ({met_ratio} >= 100x); "
            f"same answers: {r['same answers']}; peak RSS {r['peak RSS MB']:,.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
