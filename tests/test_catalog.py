"""The catalog: every therapy of the seeds present, numbers pinned to their sources, overlays.

Expected values are the sources' own numbers (EVIDENCE.md digest of them), with hand
calculations beside the computed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import calcidose
from calcidose import Patient
from calcidose.catalog import get_catalog, load_catalog, resolve_drug, validate_directory
from calcidose.cli import main
from calcidose.errors import TableError, UnknownDrugError

IDS = [
    "diltiazem", "minocycline", "warfarin", "etidronate", "alendronate", "pamidronate",
    "probenecid", "colchicine", "aluminium-hydroxide", "magnesium-hydroxide",
    "sodium-thiosulfate", "ceftriaxone", "immune-globulin", "rituximab", "infliximab",
    "triamcinolone-acetonide", "myo-inositol-hexaphosphate", "surgery", "pinch-punch",
    "co2-laser", "shock-wave-lithotripsy", "autologous-hsct", "diet",
]  # fmt: skip
MALE = {"sex": "male", "age": "40 years"}


def test_every_seed_therapy_is_in_the_catalog() -> None:
    catalog = get_catalog()
    assert set(IDS) <= set(catalog.drugs)
    assert catalog.tables_version


@pytest.mark.parametrize(
    ("synonym", "target"),
    [("aluminum-hydroxide", "aluminium-hydroxide"), ("ivig", "immune-globulin"),
     ("triamcinolone", "triamcinolone-acetonide")],
)  # fmt: skip
def test_exact_synonyms_and_nothing_fuzzier(synonym: str, target: str) -> None:
    catalog = get_catalog()
    assert resolve_drug(catalog, synonym).id == target
    # issue 11 §5: case and separators do not matter (upper case, a space for the hyphen)
    for same in {synonym.upper(), synonym.replace("-", " ")} - {synonym}:
        assert resolve_drug(catalog, same).id == target
    # anything else is not guessed: a plural is unknown (a suggestion at most, never applied)
    for near in {synonym + "s", synonym + "x"}:
        with pytest.raises(UnknownDrugError):
            resolve_drug(catalog, near)


def test_diltiazem_range_from_the_seed_faq() -> None:
    regimen = get_catalog().drugs["diltiazem"].regimens[0]
    assert regimen.dose is not None
    # 2 to 4 mg/kg/day, a secondary-summary band (source diltiazem-weight-based-dose says so)
    assert (regimen.dose.low.value, regimen.dose.high.value) == (2, 4)
    assert regimen.dose.low.unit == "mg/kg/d"
    assert "diltiazem-weight-based-dose" in regimen.dose.sources


def test_ivig_two_grams_per_kg_per_course() -> None:
    plan = calcidose.dose("immune-globulin", Patient(weight="70 kg", **MALE))
    # Octagam 10% label (dermatomyositis): 2 g/kg per course -> 2 x 70 = 140 g
    assert plan.dose is not None
    assert plan.dose.basis == "per-course"
    assert (plan.dose.low, plan.dose.high, plan.dose.unit) == (140, 140, "g")
    days = sorted(a.frequency_text for a in plan.administrations)
    # divided over 2 to 5 consecutive days: 70 g/day over 2 days, 28 g/day over 5 days
    assert [a.high for a in plan.administrations] == [70, 28]
    assert days[0].startswith("once daily for")


def test_ceftriaxone_child_maximum_two_grams_per_day() -> None:
    plan = calcidose.dose("ceftriaxone", Patient(weight="40 kg", age="10 years", sex="male"))
    # label: children 50-75 mg/kg/day, at most 2 g/day; 50 x 40 = 2,000; 75 x 40 = 3,000
    assert plan.regimen == "iv-pediatric"
    assert plan.dose is not None
    assert (plan.dose.low, plan.dose.high) == (2000, 2000)
    assert plan.dose.capped is True


def test_alendronate_is_weekly_never_daily() -> None:
    plan = calcidose.dose("alendronate", Patient(weight="70 kg", crcl="60 mL/min", **MALE))
    assert plan.dose is not None
    assert plan.dose.basis == "per-week"
    assert plan.dose.unit.endswith("/wk")
    assert plan.dose.high == 70  # 70 mg once weekly


@pytest.mark.parametrize(
    "drug", ["pamidronate", "infliximab", "myo-inositol-hexaphosphate", "surgery", "diet"]
)
def test_unsourced_doses_are_not_dosable(drug: str) -> None:
    plan = calcidose.dose(drug, Patient(weight="70 kg", crcl="90 mL/min", **MALE))
    assert plan.dose is None
    assert plan.status in ("not-dosable", "contraindicated", "cannot-check")


#: ``write(site, {relative path: text})`` -> (site, its content hash) (tests/conftest.py).
Overlay = Callable[[Path, Mapping[str, str]], tuple[Path, str]]


def test_institution_overlay_changes_a_cap(
    tmp_path: Path, lower_cap_overlay: Callable[[Path], Path]
) -> None:
    catalog = load_catalog(lower_cap_overlay(tmp_path), use_env=False)
    patient = Patient(weight="150 kg", age="54 years", sex="male")
    plan = calcidose.dose("diltiazem", patient, catalog=catalog)
    # 4 mg/kg/day x 150 kg = 600 mg/day, capped at the institution's 360 mg/day
    assert plan.dose is not None and plan.dose.high == 360
    assert validate_directory(tmp_path) == []
    assert main(["tables", "validate", str(tmp_path)]) == 0


def test_environment_variable_overlay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lower_cap_overlay: Callable[[Path], Path]
) -> None:
    monkeypatch.setenv("CALCIDOSE_TABLES", str(lower_cap_overlay(tmp_path)))
    catalog = load_catalog()
    regimen = catalog.drugs["diltiazem"].regimen("oral-weight-based")
    assert regimen is not None and regimen.caps[0].max.value == 360


def test_bad_overlay_names_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lower_cap: str, write_overlay: Overlay
) -> None:
    bad = lower_cap.replace('unit = "mg/d"', 'unit = "mg/kg"')
    write_overlay(tmp_path, {"drugs/diltiazem.toml": bad})
    with pytest.raises(TableError) as info:
        load_catalog(tmp_path, use_env=False)
    problem = info.value.problems[0]
    assert problem.file.endswith("drugs/diltiazem.toml")
    assert problem.field == "$.regimens[0].caps[0].max.unit"
    assert main(["tables", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "caps[0].max.unit" in out
