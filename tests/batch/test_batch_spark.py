"""The Spark engine (``DataFrame.mapInArrow`` on ``local[2]``): one small run, output equal to
the reference audit (one check() per row) in input order.

Spark needs a Java runtime. Without ``java`` the test is skipped with the reason, except under
CI (``CI=true``), where it must run: ``.ci/run`` installs Debian's default-jre-headless.
"""

from __future__ import annotations

import os
import shutil

import pytest
from batch_rows import orders_batch

import calcidose
from calcidose.batch.engines import run_spark, tables_ref
from calcidose.batch.reference import audit_reference

if shutil.which("java") is None and not os.environ.get("CI"):
    pytest.skip("Spark needs a Java runtime (java is not on PATH)", allow_module_level=True)

ADULT = {"weight_kg": 70.0, "age_years": 54.0, "sex": "male"}


def test_spark_local_equals_the_reference_in_order() -> None:
    drugs = sorted(calcidose.get_catalog().drugs)
    rows = [{"order_id": f"{i}", "drug": drugs[i % len(drugs)], "dose_value": 5.0 * i,
             "dose_unit": ("mg", "g")[i % 2], "frequency": ("daily", "bid", "weekly")[i % 3],
             **ADULT, "medications": ["clarithromycin"] if i % 4 == 0 else None}
            for i in range(40)]
    rows.append({"order_id": "bad", "drug": "no-such-drug", "dose_value": 1.0,
                 "dose_unit": "mg", "frequency": "daily"})
    batches = [orders_batch(*rows[:20]), orders_batch(*rows[20:])]
    got = run_spark(batches, tables_ref([]), master="local[2]")
    catalog = calcidose.get_catalog()
    want = [r for b in batches for r in audit_reference(b, catalog).to_pylist()]
    assert got.to_pylist() == want
    assert want[-1]["verdict"] == "invalid"  # the unknown drug, refused by check()
