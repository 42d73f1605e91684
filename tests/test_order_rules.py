"""Rules that read the order (issue 10 §5): infliximab per kg in NYHA III/IV heart failure,
warfarin's implausible daily amount, and warfarin with blood dyscrasias.

Expected values: US infliximab label, Contraindications ("doses greater than 5 mg/kg" in
moderate or severe heart failure, NYHA III/IV); US warfarin (Coumadin) label, Contraindications
(haemorrhagic tendencies or blood dyscrasias) and usual maintenance 2 to 10 mg/day; the 15 mg/day
verification threshold is a calcidose product decision (1.5 x 10 mg/day). Per-kg amounts are hand
calculations written beside each case.
"""

from __future__ import annotations

from typing import Any

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.engine import rules
from calcidose.patient import Patient

CAT = get_catalog()
HF = "heart-failure-nyha-3-4"


def adult(weight: str, **kw: Any) -> Patient:
    return Patient(weight=weight, age="50 years", sex="male", **kw)


def codes(result: Any) -> dict[str, str]:
    return {f.code: f.severity for f in result.findings}


@pytest.mark.parametrize(
    ("weight", "amount", "above"),
    [
        ("70 kg", "400 mg", True),  # 400 / 70 = 5.71 mg/kg
        ("70 kg", "350 mg", False),  # 350 / 70 = 5.00 mg/kg: at 5, not above
        ("90 kg", "460 mg", True),  # 460 / 90 = 5.11 mg/kg
        ("90 kg", "450 mg", False),  # 450 / 90 = 5.00 mg/kg
        ("54 kg", "270.5 mg", True),  # 270.5 / 54 = 5.009 mg/kg
        ("54 kg", "162 mg", False),  # 162 / 54 = 3 mg/kg
        ("198 lb", "460 mg", True),  # 198 lb = 89.81 kg: 460 / 89.81 = 5.12 mg/kg
    ],
)
def test_infliximab_above_5_mg_kg_in_nyha_3_4_is_contraindicated(
    weight: str, amount: str, above: bool
) -> None:
    r = calcidose.check("infliximab", amount, "every 4 weeks", adult(weight, conditions=[HF]))
    found = codes(r)
    assert found["infliximab-heart-failure"] == "major"  # at any dose
    if above:
        assert found["infliximab-heart-failure-above-5-mg-kg"] == "contraindicated"
    else:
        assert "infliximab-heart-failure-above-5-mg-kg" not in found
        assert "infliximab-heart-failure-above-5-mg-kg:cannot-check" not in found


def test_infliximab_per_kg_rule_without_weight_cannot_check() -> None:
    p = Patient(age="50 years", sex="male", conditions=[HF])
    r = calcidose.check("infliximab", "400 mg", "every 4 weeks", p)
    f = next(
        f for f in r.findings if f.code == "infliximab-heart-failure-above-5-mg-kg:cannot-check"
    )
    assert f.missing == ("weight",)


def test_infliximab_per_kg_rule_needs_the_heart_failure() -> None:
    r = calcidose.check("infliximab", "800 mg", "every 4 weeks", adult("70 kg"))
    assert "infliximab-heart-failure-above-5-mg-kg" not in codes(r)


def test_per_kg_order_leaf_reads_the_amount_per_administration() -> None:
    leaf = rules.compile_predicate({"order_per_kg_at_most": {"value": 5, "unit": "mg/kg"}})
    # 350 mg for 70 kg = 5 mg/kg: at most 5
    assert leaf(rules.Context(CAT, adult("70 kg"), rules.OrderFacts(350.0, None, None))) is True
    # 351 mg / 70 kg = 5.014 mg/kg
    assert leaf(rules.Context(CAT, adult("70 kg"), rules.OrderFacts(351.0, None, None))) is False
    ctx = rules.Context(CAT, adult("70 kg"), rules.OrderFacts(None, None, None))
    assert leaf(ctx) is None and ctx.missing == {"ordered amount per administration"}


@pytest.mark.parametrize(
    ("amount", "frequency", "flagged"),
    [
        ("20 mg", "once daily", True),  # 20 mg/day > 15
        ("10 mg", "twice daily", True),  # 20 mg/day > 15
        ("15 mg", "once daily", False),  # 15 mg/day: at the threshold, not above
        ("7.5 mg", "twice daily", False),  # 15 mg/day
        ("5 mg", "once daily", False),  # usual maintenance
        ("35 mg", "once daily", True),  # a weekly total written as daily
    ],
)
def test_warfarin_implausible_daily_amount_is_flagged(
    amount: str, frequency: str, flagged: bool
) -> None:
    r = calcidose.check("warfarin", amount, frequency, adult("70 kg"))
    found = codes(r)
    assert ("warfarin-implausible-daily-amount" in found) is flagged
    if flagged:
        assert found["warfarin-implausible-daily-amount"] == "major"


def test_warfarin_weekly_order_cannot_be_waved_through() -> None:
    # a weekly order has no per-day amount (calcidose does not average it): cannot-check
    r = calcidose.check("warfarin", "35 mg", "once weekly", adult("70 kg"))
    assert "warfarin-implausible-daily-amount:cannot-check" in codes(r)


@pytest.mark.parametrize("condition", ["blood-dyscrasia", "hemorrhagic-tendency"])
def test_warfarin_with_blood_dyscrasia_or_bleeding_tendency_is_contraindicated(
    condition: str,
) -> None:
    plan = calcidose.dose("warfarin", adult("70 kg", conditions=[condition]))
    assert codes(plan)["warfarin-blood-dyscrasia"] == "contraindicated"
    order = calcidose.check(
        "warfarin", "5 mg", "once daily", adult("70 kg", conditions=[condition])
    )
    assert codes(order)["warfarin-blood-dyscrasia"] == "contraindicated"
