"""Lactation rules (UK SmPCs) and minocycline in complete renal failure (issue 10 section 6).

Sources, read 2026-12-03 (search, label texts as reproduced):
* diltiazem, UK SmPC section 4.3 (Tildiem; modified-release diltiazem): "Lactation" is listed
  among the contraindications;
* minocycline, UK SmPC section 4.3: pregnancy and lactation, children under 12, complete renal
  failure are contraindications;
* colchicine 500 microgram tablets, UK leaflet ("Do not take ... if you are breastfeeding") and
  SmPC; the US label leaves lactation to benefit and risk (the stricter is applied).

Lactation is asked only where it can change the answer: a female patient (or sex not given) in
the childbearing window of tables/meta.toml (12 to 55 years), and only for a drug with a
lactation rule. "Complete renal failure" is read as kidney failure, a creatinine clearance below
15 mL/min (KDIGO 2012 G5, the band the tables give haemodialysis): a product decision.
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.patient import Patient
from calcidose.results import exit_code

CAT = get_catalog()
LACTATION_DRUGS = ("diltiazem", "minocycline", "colchicine")

WOMAN: dict[str, Any] = {
    "weight": "70 kg",
    "height": "165 cm",
    "age": "30 years",
    "sex": "female",
    "pregnant": False,
    "crcl": "90 mL/min",
    "labs": {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
}


def woman(**changes: Any) -> Patient:
    data = {**WOMAN, **changes}
    return Patient(**{k: v for k, v in data.items() if v is not None})


def _reads(tree: object, key: str) -> bool:
    if isinstance(tree, dict):
        return key in tree or any(_reads(v, key) for v in tree.values())
    if isinstance(tree, list | tuple):
        return any(_reads(v, key) for v in tree)
    return False


def lactation_rules(drug_id: str) -> list[str]:
    return [r.id for r in CAT.drugs[drug_id].rules if _reads(r.when, "lactating")]


def asks_lactation(plan: calcidose.DosePlan) -> bool:
    return any("lactation status" in f.missing for f in plan.findings)


@pytest.mark.parametrize("drug_id", LACTATION_DRUGS)
def test_breastfeeding_contraindicates(drug_id: str) -> None:
    assert lactation_rules(drug_id) == [f"{drug_id}-lactation"]
    plan = calcidose.dose(drug_id, woman(lactating=True))
    assert plan.status == "contraindicated"
    assert f"{drug_id}-lactation" in {f.code for f in plan.findings}
    assert exit_code(plan.status) == 1


@pytest.mark.parametrize("drug_id", LACTATION_DRUGS)
def test_not_breastfeeding_is_not_contraindicated(drug_id: str) -> None:
    plan = calcidose.dose(drug_id, woman(lactating=False))
    assert f"{drug_id}-lactation" not in {f.code for f in plan.findings}
    assert not asks_lactation(plan)


@pytest.mark.parametrize("drug_id", LACTATION_DRUGS)
def test_unknown_lactation_is_asked_in_the_childbearing_window_only(drug_id: str) -> None:
    # 30 years, female, not stated: it can change the answer, so cannot-check
    plan = calcidose.dose(drug_id, woman())
    assert asks_lactation(plan) and plan.status == "cannot-check"
    # sex not given, 30 years: asked as well (a woman is possible)
    assert asks_lactation(calcidose.dose(drug_id, woman(sex=None)))
    # a 90-year-old woman, a 60-year-old woman (window ends under 56 years), a man: never asked
    for who in (woman(age="90 years"), woman(age="60 years"), woman(sex="male")):
        plan = calcidose.dose(drug_id, who)
        assert not asks_lactation(plan)
        assert f"{drug_id}-lactation" not in {f.code for f in plan.findings}


def test_a_drug_without_a_lactation_rule_never_asks() -> None:
    without = [d for d in CAT.drugs if not lactation_rules(d)]
    assert "etidronate" in without and "probenecid" in without
    for drug_id in without:
        assert not asks_lactation(calcidose.dose(drug_id, woman())), drug_id


def test_an_order_for_a_breastfeeding_woman_is_contraindicated_and_exits_1() -> None:
    r = calcidose.check("diltiazem", "60 mg", "three times daily", woman(lactating=True))
    assert r.verdict == "contraindicated" and r.exit_code == 1


# --- minocycline in complete renal failure ----------------------------------------------------

RULE = "minocycline-complete-renal-failure"
MAN: dict[str, Any] = {"weight": "70 kg", "height": "175 cm", "age": "50 years", "sex": "male"}


def man(**changes: Any) -> Patient:
    return Patient(**{**MAN, **changes})


def fired(p: Patient) -> bool:
    return RULE in {f.code for f in calcidose.dose("minocycline", p).findings}


def test_complete_renal_failure_contraindicates_by_every_renal_input() -> None:
    # Cockcroft-Gault, man of 50 years, 70 kg: (140 - 50) x 70 / (72 x Scr) = 87.5 / Scr;
    # Scr 8.75 mg/dL gives 10 mL/min, Scr 1.0 mg/dL gives 87.5 mL/min
    for p in (
        man(crcl="10 mL/min"),
        man(scr="8.75 mg/dL"),
        man(conditions=["hemodialysis"]),
    ):
        plan = calcidose.dose("minocycline", p)
        assert RULE in {f.code for f in plan.findings}
        assert plan.status == "contraindicated"


def test_the_boundary_is_below_15_ml_min() -> None:
    assert fired(man(crcl="14.9 mL/min"))
    assert not fired(man(crcl="15 mL/min"))  # "below 15": 15 itself is not kidney failure
    assert not fired(man(crcl="90 mL/min"))
    assert not fired(man(scr="1.0 mg/dL"))  # 87.5 mL/min by hand above


def test_unknown_renal_function_is_asked_for_minocycline() -> None:
    plan = calcidose.dose("minocycline", man())
    assert plan.status == "cannot-check"
    assert any(f.code == f"{RULE}:cannot-check" for f in plan.findings)
    # renal impairment alone (below 60 mL/min) cannot say whether it is below 15
    plan = calcidose.dose("minocycline", man(conditions=["renal-impairment"]))
    assert any(f.code == f"{RULE}:cannot-check" for f in plan.findings)


# --- bisphosphonates while breast-feeding (SmPC 4.6, read 2026-12-03) -------------------------
# alendronate: "given the indication", not to be used by breast-feeding women; pamidronate:
# treated mothers should not breast-feed. Both are warnings of the pregnancy rules' severity
# (major), not contraindications; etidronate's label gives no such statement (no rule).


@pytest.mark.parametrize("drug_id", ["alendronate", "pamidronate"])
def test_bisphosphonate_while_breastfeeding_is_major(drug_id: str) -> None:
    plan = calcidose.dose(drug_id, woman(lactating=True))
    found = {f.code: f.severity for f in plan.findings}
    assert found[f"{drug_id}-lactation"] == "major"
    # a major finding exits 1, also for pamidronate, which has no sourced calcinosis dose
    # (status precedence: major before not-dosable and cannot-check, docs/checking.md)
    assert plan.status == "major" and plan.exit_code == 1
    assert f"{drug_id}-lactation" not in {
        f.code for f in calcidose.dose(drug_id, woman(lactating=False)).findings
    }
    # unknown at 30: asked; a 60-year-old woman and a man: never asked
    assert asks_lactation(calcidose.dose(drug_id, woman()))
    for who in (woman(age="60 years"), woman(sex="male")):
        assert not asks_lactation(calcidose.dose(drug_id, who))
