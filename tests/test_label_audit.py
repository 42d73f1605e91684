"""Rules added by the 2026-12-02 label re-audit (issue 10 §6), checked against the wording of
their sources: UK SmPC section 4.3/4.6 (diltiazem, minocycline, colchicine, alendronate,
pamidronate), US labels (colchicine pregnancy: benefit/risk; diltiazem: nursing or drug).
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose import rules
from calcidose.catalog import get_catalog
from calcidose.patient import Patient

CAT = get_catalog()


def codes(drug: str, **kw: Any) -> dict[str, str]:
    p = Patient(weight="60 kg", height="165 cm", age="30 years", sex="female", **kw)
    out = rules.evaluate(CAT, CAT.drugs[drug], None, p)
    return {f.code: f.severity for f in out.findings}


@pytest.mark.parametrize("drug", ["diltiazem", "minocycline", "colchicine"])
def test_lactation_contraindicates_where_the_uk_smpc_does(drug: str) -> None:
    assert codes(drug, lactating=True, pregnant=False)[f"{drug}-lactation"] == "contraindicated"
    assert f"{drug}-lactation" not in codes(drug, lactating=False, pregnant=False)
    # a woman of 30 whose lactation is not stated: cannot-check, never a pass
    assert f"{drug}-lactation:cannot-check" in codes(drug, pregnant=False)


def test_colchicine_pregnancy_reports_the_source_conflict() -> None:
    p = Patient(age="30 years", sex="female", pregnant=True, lactating=False)
    f = next(
        f for f in calcidose.dose("colchicine", p).findings if f.code == "colchicine-pregnancy"
    )
    assert f.severity == "contraindicated"
    assert "UK SmPC contraindicates" in f.message and "US label" in f.message
    assert {"colchicine-eu-tablets", "colchicine-label-us"} <= set(f.sources)


@pytest.mark.parametrize("drug", ["alendronate", "etidronate", "pamidronate"])
def test_bisphosphonates_in_pregnancy_are_major(drug: str) -> None:
    assert codes(drug, pregnant=True, lactating=False)[f"{drug}-pregnancy"] == "major"


@pytest.mark.parametrize(
    ("renal_input", "fires"),
    [
        ({"crcl": "10 mL/min"}, True),
        ({"conditions": ["hemodialysis"]}, True),  # haemodialysis: below 15 (conditions.toml)
        # female 30 y, 60 kg, SCr 5 mg/dL: (140 - 30) x 60 / (72 x 5) x 0.85 = 15.58 mL/min
        ({"scr": "5 mg/dL"}, False),
        # SCr 6 mg/dL: (110 x 60) / (72 x 6) x 0.85 = 12.99 mL/min
        ({"scr": "6 mg/dL"}, True),
        ({"crcl": "40 mL/min"}, False),
    ],
)
def test_minocycline_complete_renal_failure(renal_input: dict[str, Any], fires: bool) -> None:
    found = codes("minocycline", pregnant=False, lactating=False, **renal_input)
    assert ("minocycline-complete-renal-failure" in found) is fires


def test_every_drug_table_records_its_2026_12_audit() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "tables" / "drugs"
    files = sorted(root.glob("*.toml"))
    assert files
    for path in files:
        assert "# Re-audit 2026-12-02" in path.read_text(encoding="utf-8"), path.name
