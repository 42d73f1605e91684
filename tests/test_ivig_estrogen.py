"""Immune globulin with estrogens (issue 10 section 6: thrombosis risk), read 2026-12-03.

Source: the boxed warning of US immune globulin intravenous labels (as reproduced for a 2026
IGIV label): thrombosis may occur; risk factors include advanced age, prolonged
immobilisation, hypercoagulable conditions, history of thrombosis, use of estrogens, indwelling
central vascular catheters, hyperviscosity and cardiovascular risk factors. Class membership by
WHO ATC: oestrogens G03C, combined hormonal contraceptives G03AA/G03AB, vaginal ring G02BB01.
A progestogen alone (levonorgestrel, medroxyprogesterone) is not an estrogen: no finding.
"""

from __future__ import annotations

import pytest

import calcidose
from calcidose.patient import Patient

RULE = "immune-globulin-estrogen-thrombosis"


def woman(*taking: str) -> Patient:
    return Patient(
        weight="60 kg",
        height="165 cm",  # 60 / 1.65^2 = 22.0: not obese
        age="34 years",
        sex="female",
        pregnant=False,
        lactating=False,
        crcl="90 mL/min",
        medications=list(taking),
    )


def codes(p: Patient) -> dict[str, str]:
    return {f.code: f.severity for f in calcidose.dose("immune-globulin", p).findings}


@pytest.mark.parametrize("name", ["Yaz", "Premarin", "oestradiol", "NuvaRing", "Microgynon"])
def test_an_estrogen_is_a_major_thrombosis_finding(name: str) -> None:
    found = codes(woman(name))
    assert found[RULE] == "major"


@pytest.mark.parametrize("name", ["levonorgestrel", "Depo-Provera", "Prometrium"])
def test_a_progestogen_alone_is_not_an_estrogen(name: str) -> None:
    assert RULE not in codes(woman(name))


def test_no_medication_no_finding_and_the_plan_is_ok() -> None:
    plan = calcidose.dose("immune-globulin", woman())
    assert RULE not in {f.code for f in plan.findings}
    assert plan.status == "ok"  # every input given, nothing found: not cried wolf


def test_an_order_with_an_estrogen_exits_1() -> None:
    # 2 g/kg x 60 kg = 120 g per course; 120 g every 4 weeks is within range, the finding is major
    r = calcidose.check("immune-globulin", "120 g", "every 4 weeks", woman("Yaz"))
    assert r.verdict == "within-range"
    assert RULE in {f.code for f in r.findings}
    assert r.exit_code == 1
