"""The public API is pinned: what `import calcidose` exports, and that importing is cheap."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import calcidose
from calcidose.cli import main

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    "CalcidoseError",
    "Catalog",
    "DosePlan",
    "Finding",
    "FrequencyError",
    "ImplausibleValueError",
    "InputError",
    "InputTypeError",  # issue 12 §6: a value of the wrong Python type (also a TypeError)
    "MeasureError",
    "OrderError",
    "Patient",
    "PatientError",
    "QuantityError",
    "TableError",
    "UnitError",
    "UnknownDrugError",
    "UnknownNameError",
    "UnknownRegimenError",
    "__version__",
    "check",
    "dose",
    "get_catalog",
    "load_tables",
    "options",
    "ureg",
}


def test_all_is_pinned() -> None:
    # Equality, not a superset: adding a public name is a decision, made here as well.
    assert set(calcidose.__all__) == EXPECTED
    assert len(calcidose.__all__) == len(EXPECTED)  # no name listed twice
    assert set(dir(calcidose)) >= EXPECTED
    for name in calcidose.__all__:
        assert getattr(calcidose, name) is not None


def _pyproject_version() -> str:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(config["project"]["version"])


def test_version_is_the_package_metadata() -> None:
    # pyproject.toml's [project] version is the one place the version is written.
    assert calcidose.__version__ == importlib.metadata.version("calcidose")
    assert calcidose.__version__ == _pyproject_version()


def test_version_is_written_nowhere_in_the_package(capsys: pytest.CaptureFixture[str]) -> None:
    literal = re.compile(r"[\"']" + re.escape(_pyproject_version()) + r"[\"']")
    sources = sorted((ROOT / "calcidose").rglob("*.py"))
    assert len(sources) > 10
    assert [p.name for p in sources if literal.search(p.read_text(encoding="utf-8"))] == []
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    import tomllib

    meta = tomllib.loads((ROOT / "tables" / "meta.toml").read_text(encoding="utf-8"))
    edition = meta["tables_version"]  # issue 11 §5: --version shows the tables edition too
    assert capsys.readouterr().out == f"calcidose {_pyproject_version()} (tables {edition})\n"


def test_version_without_metadata_says_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert calcidose._version() == "0+unknown"


#: The extras' top-level packages (pyproject.toml: service, batch, spark, docs).
HEAVY = (
    "fastapi", "uvicorn", "fhir", "jwt", "httpx", "jinja2",
    "polars", "pyarrow", "dask", "pyspark", "sphinx",
)  # fmt: skip

#: Run in a fresh interpreter: records every attempt to import a HEAVY package (installed or
#: not, so the test means the same whichever extras this environment has), runs CODE, prints
#: the attempts and the HEAVY modules loaded.
_WATCH = """
import json, sys
HEAVY = set({heavy!r})
tried = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HEAVY:
            tried.append(name)
        return None
sys.meta_path.insert(0, Watch())
{code}
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in HEAVY)
print(json.dumps({{"tried": tried, "loaded": loaded}}))
"""


def _heavy_imports(code: str) -> dict[str, list[str]]:
    script = _WATCH.format(heavy=HEAVY, code=code)
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    result: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_import_and_dose_import_no_extra() -> None:
    code = (
        "import calcidose\n"
        "p = calcidose.Patient(weight='70 kg', age='54 years', sex='female', pregnant=False)\n"
        "plan = calcidose.dose('diltiazem', p)\n"
        "plan.to_dict()\n"
        "calcidose.check('diltiazem', '60 mg', 'three times daily', p).to_dict()\n"
        "calcidose.__version__\n"
        # diltiazem 2 to 4 mg/kg/day x 70 kg = 140 to 280 mg/day: the call really dosed
        "assert (plan.dose.low, plan.dose.high) == (140.0, 280.0), plan.dose\n"
    )
    assert _heavy_imports(code) == {"tried": [], "loaded": []}


def test_the_import_watch_sees_an_extra() -> None:
    # The watch above must be able to fail: an attempted import is seen even when the
    # package is not installed.
    code = "try:\n    import jinja2.sandbox\nexcept ImportError:\n    pass\n"
    assert _heavy_imports(code)["tried"][0] == "jinja2"


def test_errors_are_one_hierarchy_and_builtins() -> None:
    assert issubclass(calcidose.UnitError, calcidose.CalcidoseError)
    assert issubclass(calcidose.UnitError, ValueError)
    assert issubclass(calcidose.UnknownDrugError, LookupError)
    assert issubclass(calcidose.TableError, ValueError)
    assert issubclass(calcidose.MeasureError, calcidose.CalcidoseError)


def test_import_loads_neither_pint_nor_tables() -> None:
    code = (
        "import sys, calcidose, calcidose.cli; "
        "assert 'pint' not in sys.modules, 'pint'; "
        "assert 'calcidose.catalog' not in sys.modules, 'catalog'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ureg_is_the_one_registry() -> None:
    assert calcidose.ureg is calcidose.ureg
    q = calcidose.ureg.Quantity(154, "lb")
    assert calcidose.Patient(weight=q).weight_kg == 154 * 0.45359237
