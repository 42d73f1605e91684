"""Shared pytest configuration: Hypothesis settings profiles, fresh caches under mutmut, and the
fixtures several test files share (an institution overlay written to a directory, with its
content hash worked out by hand; the CLI reading another catalog).

* ``ci``: derandomized (the same examples every run), 100 examples, no deadline; chosen
  automatically when the ``CI`` environment variable is set.
* ``dev``: the default locally, 200 examples.
* ``long``: 5,000 examples for a thorough local run: ``HYPOTHESIS_PROFILE=long pytest``.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

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


#: An institution's lower daily cap for weight-based oral diltiazem (the shipped cap is 480 mg/d;
#: 4 mg/kg/day x 150 kg = 600 mg/day is capped at 360).
LOWER_CAP = """
id = "diltiazem"
[[regimens]]
id = "oral-weight-based"
[[regimens.caps]]
kind = "policy"
per = "day"
max = { value = 360, unit = "mg/d" }
sources = ["calcidose-policy"]
note = "institution cap (test overlay)"
"""


def _hash_by_hand(files: Mapping[str, bytes]) -> str:
    """The content hash as docs/overlays.md documents it, computed here by hand: SHA-256 over,
    for each file in path order, "path NUL length NUL" then the bytes."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + str(len(files[rel])).encode() + b"\0" + files[rel])
    return digest.hexdigest()


@pytest.fixture
def lower_cap() -> str:
    """The text of the lower-cap overlay's drugs/diltiazem.toml (:data:`LOWER_CAP`)."""
    return LOWER_CAP


@pytest.fixture
def write_overlay() -> Callable[[Path, Mapping[str, str]], tuple[Path, str]]:
    """``write(site, {relative path: text})`` writes an overlay directory and returns it with its
    content hash worked out by hand (:func:`_hash_by_hand`)."""

    def write(site: Path, files: Mapping[str, str]) -> tuple[Path, str]:
        encoded = {rel: text.encode() for rel, text in files.items()}
        for rel, content in encoded.items():
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_bytes(content)
        return site, _hash_by_hand(encoded)

    return write


@pytest.fixture
def lower_cap_overlay(
    write_overlay: Callable[[Path, Mapping[str, str]], tuple[Path, str]],
) -> Callable[[Path], Path]:
    """``overlay(root)`` writes the lower-cap overlay (:data:`LOWER_CAP`) to ``root``."""
    return lambda root: write_overlay(root, {"drugs/diltiazem.toml": LOWER_CAP})[0]


#: The modules that bind calcidose.catalog.get_catalog when they are first imported.
_BIND_GET_CATALOG = (
    "calcidose.engine.dosing.run",
    "calcidose.engine.orders.run",
    "calcidose.engine.options",
)


@pytest.fixture
def cli_reads(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """``cli_reads(catalog)``: the CLI (which asks ``calcidose.catalog.get_catalog()``) reads
    ``catalog`` until the test ends.

    The modules that bind ``get_catalog`` at import are imported first: imported while it is
    patched, one of them would keep the patched function for every later test (a test file
    that ran after this one once read the wrong catalog).
    """

    def use(catalog: Any) -> None:
        import calcidose.catalog

        for name in _BIND_GET_CATALOG:
            importlib.import_module(name)
        monkeypatch.setattr(calcidose.catalog, "get_catalog", lambda: catalog)

    return use
