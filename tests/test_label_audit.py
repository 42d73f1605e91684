"""Rules added by the 2026-12-02 label re-audit (issue 10 §6), checked against the wording of
their sources: UK SmPC section 4.3/4.6 (diltiazem, minocycline, colchicine, alendronate,
pamidronate), US labels (colchicine pregnancy: benefit/risk; diltiazem: nursing or drug).
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.engine import rules
from calcidose.patient import Patient

CAT = get_catalog()


def codes(drug: str, **kw: Any) -> dict[str, str]:
    p = Patient(weight="60 kg", height="165 cm", age="30 years", sex="female", **kw)
    out = rules.evaluate(CAT, CAT.drugs[drug], None, p)
    return {f.code: f.severity for f in out.findings}


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


def test_every_drug_table_records_its_2026_12_audit() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "tables" / "drugs"
    files = sorted(root.glob("*.toml"))
    assert files
    for path in files:
        assert "# Re-audit 2026-12-02" in path.read_text(encoding="utf-8"), path.name
