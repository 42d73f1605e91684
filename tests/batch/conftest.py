"""Configuration of the batch tests.

The whole directory needs the ``batch`` extra (pyarrow, polars, dask); the ``test`` extra
includes it. Without it the directory is not collected (pytest reports nothing from it), except
under CI (``CI`` set), where a missing extra must fail loudly, so it is collected and fails.

Under mutation testing (``MUTANT_UNDER_TEST`` set) the tests that start a Dask cluster or a
Spark JVM are not collected: they take tens of seconds per mutant and test no mutated module.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import pytest

collect_ignore_glob: list[str] = []
if not os.environ.get("CI") and importlib.util.find_spec("pyarrow") is None:
    collect_ignore_glob.append("test_*.py")
if os.environ.get("MUTANT_UNDER_TEST"):
    collect_ignore_glob += ["test_batch_dask.py", "test_batch_spark.py"]


@pytest.fixture(scope="session")
def catalog() -> Any:
    import calcidose

    return calcidose.get_catalog()
