"""Shared pytest configuration: Hypothesis settings profiles, and fresh caches under mutmut.

* ``ci``: derandomized (the same examples every run), 100 examples, no deadline; chosen
  automatically when the ``CI`` environment variable is set.
* ``dev``: the default locally, 200 examples.
* ``long``: 5,000 examples for a thorough local run: ``HYPOTHESIS_PROFILE=long pytest``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _under_mutmut() -> bool:
    return bool(os.environ.get("MUTANT_UNDER_TEST"))


# The catalog cache (calcidose.catalog.diskcache) of the suite's own processes and of the CLI
# runs they start lives in a directory of this run, never in the user's ~/.cache. Under mutmut
# it is off: a mutant changes the code without changing its files, so a cached catalog would
# hide a mutant of the loading and validating code.
if "CALCIDOSE_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["CALCIDOSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="calcidose-test-cache-")
if _under_mutmut():
    os.environ["CALCIDOSE_CACHE"] = "off"


@pytest.fixture(autouse=True, scope="session")
def _no_catalog_loaded_before_the_mutant() -> None:
    """Under mutmut (``MUTANT_UNDER_TEST`` set), load the shipped catalog again per session.

    mutmut runs each mutant's tests in a process forked from one that has already imported the
    tests and run them once, without the mutant. Whatever calcidose cached there was computed
    by the original code, so a mutant in that code would never run. Outside mutmut this does
    nothing.
    """
    if _under_mutmut():
        from calcidose import catalog

        catalog._cached_catalog.cache_clear()


@pytest.fixture(autouse=True)
def _nothing_compiled_before_the_test() -> None:
    """Under mutmut, let every catalog compile its regimens, rules and name lookups again in
    every test (microseconds each), so that each test that doses or checks runs the compiling
    code, with the mutant, and is recorded as covering it."""
    if _under_mutmut():
        from calcidose.catalog import model

        model.forget_derived()
