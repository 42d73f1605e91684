"""Issue 10 section 3: verdicts are monotone in the ordered amount.

For the same drug, patient, frequency (and regimen when named) a larger ordered amount never
gets a better verdict on the scale ``calcidose.engine.orders.AMOUNT_ORDER`` (below-range,
within-range, above-range, exceeds-maximum, contraindicated), defined there once. Checked over
EVERY drug of the shipped catalog x every frequency its tables use x a grid of patients (renal
bands, a child, adults) x amounts spanning more than 1000-fold, both with calcidose choosing
the regimen and with each regimen named.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import calcidose
from calcidose.catalog import get_catalog
from calcidose.engine.orders import AMOUNT_ORDER, amount_rank
from calcidose.frequency import by_id

LABS = {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"}
ADULT: dict[str, Any] = {
    "weight": "70 kg",
    "height": "170 cm",
    "age": "54 years",
    "sex": "male",
    "labs": LABS,
}
PATIENTS: list[dict[str, Any]] = [
    {"crcl": "90 mL/min"},
    {"crcl": "50 mL/min"},
    {"crcl": "40 mL/min"},
    {"crcl": "25 mL/min"},
    {"crcl": "15 mL/min"},
    {"conditions": ["hemodialysis"]},
    {"age": "10 years", "weight": "20 kg", "height": "120 cm", "crcl": "100 mL/min"},
    {"age": "14 years", "weight": "45 kg", "height": "160 cm", "crcl": "100 mL/min"},
    {"weight": "120 kg", "crcl": "90 mL/min"},
    {},
]

#: 0.1 mg to 200 g in steps of about 2: a span of 2,000,000-fold
AMOUNTS_MG = [m * 10**e for e in range(-1, 6) for m in (1, 2, 5)]


def patient(changes: dict[str, Any]) -> calcidose.Patient:
    return calcidose.Patient(**{**ADULT, **changes})


def cases() -> list[tuple[str, str | None, str, str]]:
    """(drug, regimen or None, frequency text, amount unit) for every frequency of the tables."""
    out = []
    for drug in sorted(get_catalog().drugs.values(), key=lambda d: d.id):
        freqs: set[str] = set()
        for r in drug.regimens:
            ids = set(r.frequencies) | {f for p in r.products for f in p.frequencies}
            volume = any(c.max.unit == "mL" for c in r.caps) or (
                r.dose is not None and r.dose.low.unit == "mL"
            )
            unit = "mL" if volume else "mg"
            for f in sorted(ids) or ["once-daily"]:
                out.append((drug.id, r.id, by_id(f).text, unit))
                freqs.add(by_id(f).text)
        for f in sorted(freqs):
            out.append((drug.id, None, f, "mg"))
    return out


CASES = cases()


def verdicts(drug: str, regimen: str | None, freq: str, unit: str, p: calcidose.Patient) -> list:
    out = []
    for mg in AMOUNTS_MG:
        amount = f"{mg / 1000:g} mL" if unit == "mL" else f"{mg:g} mg"
        out.append((amount, calcidose.check(drug, amount, freq, p, regimen).verdict))
    return out


def assert_monotone(seen: list[tuple[str, str]], where: Any) -> None:
    ranked = [(a, v, amount_rank(v)) for a, v in seen]
    known = [(a, v, r) for a, v, r in ranked if r is not None]
    for (a1, v1, r1), (a2, v2, r2) in itertools.pairwise(known):
        assert r2 >= r1, f"{where}: {a1} -> {v1} but the larger {a2} -> {v2}"
    # an amount judged above a maximum stays judged: no larger amount reads cannot-check
    first_hard = next((i for i, (_, _, r) in enumerate(ranked) if r is not None and r >= 3), None)
    if first_hard is not None:
        later = [v for _, v, _ in ranked[first_hard:]]
        assert all(amount_rank(v) is not None and amount_rank(v) >= 3 for v in later), (
            where,
            ranked,
        )


def test_the_scale_is_defined_once() -> None:
    assert AMOUNT_ORDER == (
        "below-range",
        "within-range",
        "above-range",
        "exceeds-maximum",
        "contraindicated",
    )
    assert amount_rank("cannot-check") is None


@pytest.mark.parametrize(("drug", "regimen", "freq", "unit"), CASES)
def test_verdicts_are_monotone_in_the_amount(
    drug: str, regimen: str | None, freq: str, unit: str
) -> None:
    for changes in PATIENTS:
        seen = verdicts(drug, regimen, freq, unit, patient(changes))
        assert_monotone(seen, (drug, regimen, freq, changes))


@given(
    case=st.sampled_from(CASES),
    changes=st.sampled_from(PATIENTS),
    low=st.floats(min_value=0.01, max_value=200_000),
    factor=st.floats(min_value=1.0, max_value=1000.0),
)
def test_a_larger_amount_never_reads_better(
    case: tuple[str, str | None, str, str], changes: dict[str, Any], low: float, factor: float
) -> None:
    drug, regimen, freq, unit = case
    p = patient(changes)
    small, large = round(low, 3), round(low * factor, 3)
    if unit == "mL":
        amounts = [f"{small / 1000:.6f} mL", f"{large / 1000:.6f} mL"]
    else:
        amounts = [f"{small:.3f} mg", f"{large:.3f} mg"]
    seen = [(a, calcidose.check(drug, a, freq, p, regimen).verdict) for a in amounts]
    assert_monotone(seen, (drug, regimen, freq, changes))
