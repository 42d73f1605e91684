"""The FHIR code maps in tables/codes/: validated by `calcidose tables validate`, every code
well formed (LOINC mod-10 and SNOMED CT Verhoeff check digits), sourced, mapped to a known id."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from calcidose.catalog import get_catalog
from calcidose.io.fhir.codes import (
    _loinc_check_digit,
    _verhoeff_ok,
    load_code_maps,
    validate_code_maps,
)

ROOT = Path(__file__).resolve().parents[2]
CODES = ROOT / "tables" / "codes"


def test_shipped_code_maps_are_valid_and_map_to_known_ids() -> None:
    cat = get_catalog()
    known = set(cat.conditions) | set(cat.aliases)
    assert validate_code_maps(CODES, known) == []
    maps = load_code_maps()
    assert set(maps.rxnorm.values()) <= known and set(maps.snomed.values()) <= known


@pytest.mark.parametrize(
    ("code", "ok"),
    # LOINC publishes these codes with these check digits; a changed last digit must fail
    [
        ("29463-7", True),
        ("8302-2", True),
        ("2160-0", True),
        ("14682-9", True),
        ("29463-6", False),
        ("2160-1", False),
    ],
)
def test_loinc_check_digit(code: str, ok: bool) -> None:
    number, _, digit = code.partition("-")
    assert (_loinc_check_digit(number) == int(digit)) is ok


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("36083008", True),
        ("77386006", True),
        ("60001007", True),
        ("36083009", False),
        ("77386007", False),
    ],
)
def test_snomed_verhoeff(code: str, ok: bool) -> None:
    assert _verhoeff_ok(code) is ok


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "codes"
    shutil.copytree(CODES, target)
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "words"),
    [
        ("rxnorm.toml", 'maps_to = "warfarin"', 'maps_to = "warfarine"', "unknown calcidose id"),
        (
            "rxnorm.toml",
            'source = "https://mor.nlm.nih.gov/RxNav/search?searchBy=RXCUI&searchTerm=3443"',
            'source = "rxnav"',
            "https://",
        ),
        ("loinc.toml", '[codes."8302-2"]', '[codes."8302-3"]', "not a well-formed code"),
        ("snomed.toml", '[codes."36083008"]', '[codes."36083009"]', "not a well-formed code"),
        (
            "loinc.toml",
            'stale_days = 30\nwhen_stale = "use"\nwhy = "dosing',
            'stale_days = 0\nwhen_stale = "use"\nwhy = "dosing',
            "must be > 0",
        ),
        ("snomed.toml", 'verified = "FHIR shorthand', 'checked = "FHIR shorthand', "missing"),
    ],
)
def test_bad_code_maps_are_refused(
    tmp_path: Path, file: str, old: str, new: str, words: str
) -> None:
    target = _copy(tmp_path)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    cat = get_catalog()
    problems = validate_code_maps(target, set(cat.conditions) | set(cat.aliases))
    assert any(words in str(p) for p in problems), problems


def test_tables_validate_runs_the_code_maps(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    target = _copy(overlay)
    path = target / "rxnorm.toml"
    path.write_text(path.read_text().replace('maps_to = "warfarin"', 'maps_to = "nope"'))
    run = subprocess.run(
        [sys.executable, "-m", "calcidose.cli", "tables", "validate", str(overlay)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "unknown calcidose id 'nope'" in run.stdout
    ok = subprocess.run(
        [sys.executable, "-m", "calcidose.cli", "tables", "validate"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout
