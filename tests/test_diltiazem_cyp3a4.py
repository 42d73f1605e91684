"""Diltiazem with a strong CYP3A4 inhibitor (issue 10 section 6), read 2026-12-03.

Sources: UK SmPC for diltiazem, section 4.5 (diltiazem is metabolised by CYP3A4; a stronger
CYP3A4 inhibitor raised diltiazem plasma levels moderately, less than twofold); US diltiazem
label, drug interactions (diltiazem is a CYP3A4 substrate and inhibitor; inhibitors of the
enzyme can change its efficacy and side effects, a diltiazem dose adjustment may be warranted,
as with cimetidine). Neither label contraindicates the pair: monitoring, severity moderate.
Strong inhibitors are the FDA table's (clarithromycin, itraconazole, ketoconazole, ritonavir);
a moderate inhibitor (erythromycin, fluconazole) is not "strong" and must not fire this rule.
"""

from __future__ import annotations

import pytest

import calcidose
from calcidose.patient import Patient

RULE = "diltiazem-strong-cyp3a4-inhibitor"


def man(*taking: str) -> Patient:
    return Patient(weight="70 kg", age="60 years", sex="male", medications=list(taking))


def findings(p: Patient) -> dict[str, str]:
    return {f.code: f.severity for f in calcidose.dose("diltiazem", p).findings}


@pytest.mark.parametrize(
    "name", ["clarithromycin", "Biaxin", "KLARICID", "itraconazole", "ketoconazole", "Norvir"]
)
def test_strong_inhibitor_by_name_or_brand_is_a_moderate_finding(name: str) -> None:
    found = findings(man(name))
    assert found[RULE] == "moderate"  # monitoring, not a contraindication (UK SmPC 4.5)


@pytest.mark.parametrize("name", ["erythromycin", "fluconazole", "amoxicillin"])
def test_moderate_or_non_inhibitors_do_not_fire(name: str) -> None:
    assert RULE not in findings(man(name))


def test_no_medication_list_no_finding() -> None:
    assert RULE not in findings(man())


def test_the_order_check_carries_it_and_the_range_verdict_is_unchanged() -> None:
    # 90 mg three times daily = 270 mg/day; 2-4 mg/kg/day x 70 kg = 140-280 mg/day: within
    r = calcidose.check("diltiazem", "90 mg", "three times daily", man("Biaxin"))
    assert r.verdict == "within-range"
    assert RULE in {f.code for f in r.findings}
    # a moderate interaction finding needs monitoring, not a block: exit 0 (docs/checking.md)
    assert r.exit_code == 0
