"""`--fhir FILE` as the patient source for dose, check and options; and the library never
imports the service extra (fastapi, fhir.resources, jwt, uvicorn, httpx) on import or dose()."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fhir_builders import bundle, condition, patient, quantity_obs

pytest.importorskip("fhir.resources")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calcidose.cli", *args], capture_output=True, text=True
    )


@pytest.fixture
def record(tmp_path: Path) -> Path:
    path = tmp_path / "bundle.json"
    # a recent date so nothing is stale whenever the test runs: no Observation date at all is
    # "no date" (stale); use today's date
    from datetime import UTC, datetime

    today = datetime.now(UTC).date().isoformat()
    data = bundle(
        patient(gender="male", birth="1976-01-10"),
        quantity_obs("w", "29463-7", 154, "[lb_av]", when=today),
    )
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_dose_from_fhir_equals_dose_from_options(record: Path) -> None:
    fhir = run("dose", "diltiazem", "--fhir", str(record), "--format", "json")
    direct = run(
        "dose",
        "diltiazem",
        "--weight",
        "154lb",
        "--sex",
        "male",
        "--age",
        f"{_age()}y",
        "--format",
        "json",
    )
    assert fhir.returncode == direct.returncode
    a, b = json.loads(fhir.stdout), json.loads(direct.stdout)
    assert a["dose"] == b["dose"]  # 154 lb = 69.853 kg, 2-4 mg/kg/day
    assert "fhir: weight 154 lb" in fhir.stderr and "used" in fhir.stderr


def _age() -> int:
    from datetime import UTC, datetime

    today = datetime.now(UTC).date()
    return today.year - 1976 - ((today.month, today.day) < (1, 10))


def test_check_and_options_take_fhir(record: Path) -> None:
    check = run("check", "diltiazem", "90mg", "tid", "--fhir", str(record), "--format", "json")
    assert json.loads(check.stdout)["verdict"] == "within-range"  # 270 mg/day in 140-279 mg/day
    options = run("options", "--fhir", str(record), "--format", "json")
    assert options.returncode == 0 and json.loads(options.stdout)


def test_fhir_and_option_for_the_same_field_is_an_error(record: Path) -> None:
    both = run("dose", "diltiazem", "--fhir", str(record), "--weight", "70kg")
    assert both.returncode == 2 and "both" in both.stderr


def test_fhir_options_add_to_the_record(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle(patient(), condition("c", "36083008"))))
    out = run("dose", "diltiazem", "--fhir", str(path), "--weight", "70kg")
    assert out.returncode == 1 and "CONTRAINDICATED" in out.stdout  # sick sinus syndrome


def test_bad_fhir_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"resourceType": "Patient"}))
    out = run("dose", "diltiazem", "--fhir", str(path))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Bundle" in out.stderr


def test_library_does_not_import_the_service_extra() -> None:
    code = (
        "import sys, calcidose\n"
        "calcidose.dose('diltiazem', calcidose.Patient(weight='70 kg', age='50 y', sex='male'))\n"
        "calcidose.check('diltiazem', '90 mg', 'tid', calcidose.Patient(weight='70 kg'))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'fhir', 'jwt', "
        "'uvicorn', 'httpx', 'starlette', 'pydantic', 'jinja2', 'calcidose.service')]\n"
        "bad += [m for m in sys.modules if m.startswith(('calcidose.service', 'calcidose.io'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
