"""Properties of calcidose that must hold for every input, checked with Hypothesis.

Strategies are shared (``tests/strategies.py``); settings come from the profiles in
``tests/conftest.py`` (``ci``: derandomized, 100 examples; ``dev``: 200; ``long``: 5,000).

* units: every spelling of one mass gives one canonical value; text written by calcidose reads
  back as the same quantity; text never breaks ISMP rules; rounding never passes a ceiling;
* dosing (random valid catalogs): caps never exceeded, rounding bounded by one strength step,
  per-administration x frequency = per-day (or per-week), monotonic in body weight, the same
  plan whatever the weight unit;
* rules (reference catalog, and the shipped tables where the property is a law of the
  format): contraindicated is never ok, missing data gives cannot-check, findings do not depend
  on the order of medications and never get better when a drug is added;
* orders: per-dose x frequency = per-day, the same verdict in mg, g or mcg, contraindicated
  always wins;
* rendered text (dose plans) follows ISMP: no trailing zero, no naked decimal, mcg never
  ug/µg, no U or IU.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import attrs
import pytest
import strategies as S
from hypothesis import assume, given, note
from hypothesis import strategies as st

from calcidose import units
from calcidose.catalog.model import Catalog
from calcidose.engine.dosing import dose
from calcidose.frequency import FREQUENCIES, by_id, parse_frequency
from calcidose.patient import Patient
from calcidose.render import plan_text
from calcidose.results import STATUSES, DosePlan

REF = S.reference_catalog()
ADULT: dict[str, Any] = {"age": "54 years", "sex": "female", "pregnant": False}
EPS = 1e-9

#: Status rank, weakest first (DESIGN.md: contraindicated > not-dosable > cannot-check > ...).
RANK = {status: n for n, status in enumerate(reversed(STATUSES))}


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


# --- units ---------------------------------------------------------------------------------------


@given(S.equivalent_weights())
def test_every_spelling_of_a_weight_gives_one_value(case: tuple[Decimal, list[str]]) -> None:
    kg, texts = case
    values = [units.parse(text, "weight") for text in texts]
    note(f"{texts} -> {values}")
    for value in values:
        assert close(value, float(kg), rel=1e-12)


AMOUNT_CODES = {"mg": ("amount", 1.0), "g": ("amount", 1000.0), "ug": ("amount", 0.001)}
ROUND_TRIP_CODES = {
    **AMOUNT_CODES,
    "kg": ("weight", 1.0),
    "cm": ("height", 1.0),
    "mL": ("volume", 1.0),
    "mg/dL": ("scr", 1.0),
    "mL/min": ("crcl", 1.0),
    "a": ("age", 1.0),
    "mo": ("age", 1 / 12),
    "d": ("age", 1 / 365.25),
}


def _precision(value: Decimal) -> Decimal:
    """Half of the last place calcidose.units.format_number writes (by its documented rule)."""
    if value >= 1000:
        return Decimal("0.5")
    if value >= 1:
        return Decimal("0.05")
    if value >= Decimal("0.1"):
        return Decimal("0.005")
    return Decimal("0.0005")


@given(st.sampled_from(sorted(ROUND_TRIP_CODES)), S.decimals("0.001", "99999", 4))
def test_format_then_parse_round_trip(code: str, value: Decimal) -> None:
    """ISMP text written by calcidose reads back as the same quantity (to its precision).

    Thousands separators are removed first: calcidose writes them (ISMP) but refuses them on
    input (a comma may be a decimal comma), so ``12,500 mg`` is for people, not for parse.
    """
    kind, factor = ROUND_TRIP_CODES[code]
    text = units.format_quantity(value, code)
    back = units.parse(text.replace(",", ""), kind)  # type: ignore[arg-type]
    note(f"{value} {code} -> {text!r} -> {back}")
    assert abs(Decimal(repr(back / factor)) - value) <= _precision(value) * Decimal("1.0000001")


ISMP_TRAILING_ZERO = re.compile(r"\d\.\d*0(?![\d])")
ISMP_NAKED_DECIMAL = re.compile(r"(?<![\d])\.\d")


@given(S.decimals("0.001", "999999999", 6))
def test_format_number_follows_ismp(value: Decimal) -> None:
    text = units.format_number(value)
    note(text)
    assert not ISMP_TRAILING_ZERO.search(text), "no trailing zero (1 mg, not 1.0 mg)"
    assert not ISMP_NAKED_DECIMAL.search(text), "leading zero (0.5 mg, not .5 mg)"
    assert re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?", text), "thousands separated"
    assert text != "0", "a positive value is never shown as 0"


@given(S.decimals("0.001", "99999", 4), S.decimals("0.001", "99999", 4))
def test_format_never_rounds_past_a_ceiling(value: Decimal, ceiling: Decimal) -> None:
    assume(value <= ceiling)
    shown = Decimal(units.format_number(value, ceiling).replace(",", ""))
    assert shown <= ceiling
    assert abs(shown - value) < 2 * _precision(value) * Decimal("1.0000001")


def test_small_positive_amount_is_not_shown_as_zero() -> None:
    assert units.format_quantity(0.0004, "mg") != "0 mg"


@given(S.frequency_words())
def test_frequency_words_are_read_exactly(word_and_id: tuple[str, str]) -> None:
    word, ident = word_and_id
    assert parse_frequency(word).id == ident


@pytest.mark.parametrize("frequency", [f for f in FREQUENCIES if f.period_days > 0], ids=str)
def test_frequency_per_day(frequency: Any) -> None:
    # hand values: tid 3/1, q8h 3/1, three times weekly 3/7, every 4 weeks 1/28, monthly 12/365.25
    assert close(frequency.per_day * frequency.period_days, frequency.count)


def test_single_administration_has_no_per_day_rate() -> None:
    from calcidose.errors import FrequencyError

    # 'once' has no period: asking for a daily rate is a typed error, not a ZeroDivisionError
    with pytest.raises(FrequencyError):
        by_id("once").per_day  # noqa: B018


# --- dosing on random valid catalogs -------------------------------------------------------------


def _plan(catalog: Catalog, weight: str, **extra: Any) -> DosePlan:
    return dose("gen", Patient(weight=weight, **ADULT, **extra), catalog=catalog)


def _caps(catalog: Catalog, per: str) -> list[float]:
    regimen = catalog.drugs["gen"].regimens[0]
    return [c.max.value * units.UCUM[c.max.unit].factor for c in regimen.caps if c.per == per]


_PER_OF_BASIS = {
    "per-day": "day",
    "per-week": "week",
    "per-administration": "administration",
}


@given(S.catalogs(), S.weight_texts())
def test_caps_are_never_exceeded(catalog: Catalog, weight: str) -> None:
    plan = _plan(catalog, weight)
    assert plan.dose is not None
    regimen = catalog.drugs["gen"].regimens[0]
    factor = units.UCUM[plan.dose.unit].factor
    low, high = plan.dose.low * factor, plan.dose.high * factor
    assert low <= high + EPS
    period_caps = _caps(catalog, _PER_OF_BASIS[regimen.dose.basis])  # type: ignore[union-attr]
    for cap in period_caps:
        assert high <= cap * (1 + EPS), f"{high} above cap {cap}"
    admin_caps = _caps(catalog, "administration")
    for a in plan.administrations:
        count = by_id(a.frequency).count if regimen.dose.basis != "per-administration" else 1  # type: ignore[union-attr]
        af = units.UCUM[a.unit].factor
        if a.rounded_high is not None:
            for cap in period_caps:
                assert a.rounded_high * af * count <= cap * (1 + EPS)
            for cap in admin_caps:
                assert a.rounded_high * af <= cap * (1 + EPS)


def test_exact_amount_per_administration_respects_administration_cap() -> None:
    import attrs

    from calcidose.catalog.model import Cap

    base = REF.drugs["refdrug"]
    regimen = base.regimens[0]
    admin_cap = Cap("policy", "administration", S.q(100, "mg"), S.SOURCES)
    capped = attrs.evolve(regimen, caps=(*regimen.caps, admin_cap))
    drug = attrs.evolve(base, regimens=(capped,), rules=())
    catalog = S._catalog([drug])
    plan = dose("refdrug", Patient(weight="70 kg", **ADULT), catalog=catalog)
    once = next(a for a in plan.administrations if a.frequency == "once-daily")
    # 2 x 70 = 140 mg and 4 x 70 = 280 mg once daily; the cap is 100 mg per administration
    assert once.high <= 100


def _single(low: float, high: float) -> bool:
    return high - low <= 1e-9 * max(1.0, high)


@given(S.catalogs(), S.weight_texts(), st.booleans())
def test_rounding_stays_in_range_within_tolerance_and_under_caps(
    catalog: Catalog, weight: str, nti: bool
) -> None:
    """docs/rounding.md, through dose(): a range is rounded inward (every practical amount lies
    inside the exact range); a single value moves at most the declared tolerance (10%); no
    rounded amount passes a cap; a narrow-therapeutic-index drug is never rounded up. (These
    replace 'rounded >= exact - step or rounded < exact', which could not fail.)"""
    drug = attrs.evolve(catalog.drugs["gen"], narrow_therapeutic_index=nti)
    catalog = attrs.evolve(catalog, drugs={**catalog.drugs, "gen": drug})
    plan = _plan(catalog, weight)
    regimen = drug.regimens[0]
    assert regimen.dose is not None
    basis = regimen.dose.basis
    period_caps = _caps(catalog, _PER_OF_BASIS[basis])
    admin_caps = _caps(catalog, "administration")
    tolerance = catalog.meta.rounding.tolerance
    for a in plan.administrations:
        if a.rounded_low is None or a.rounded_high is None:
            continue
        count = by_id(a.frequency).count if basis != "per-administration" else 1
        assert a.rounded_low <= a.rounded_high + EPS
        if _single(a.low, a.high):
            assert abs(a.rounded_high - a.high) <= tolerance * a.high * (1 + EPS) + EPS
        else:
            assert a.rounded_low >= a.low * (1 - EPS) - EPS, "inward: low end up, not down"
            assert a.rounded_high <= a.high * (1 + EPS) + EPS, "inward: high end down, not up"
        if nti:
            assert a.rounded_high <= a.high * (1 + EPS) + EPS, "NTI: never rounded up"
        if period_caps:
            assert a.rounded_high * count <= min(period_caps) * (1 + EPS) + EPS
        if admin_caps:
            assert a.rounded_high <= min(admin_caps) * (1 + EPS) + EPS


_amounts = st.floats(min_value=0.01, max_value=5000, allow_nan=False, allow_infinity=False)


@given(
    _amounts,
    _amounts,
    st.sampled_from([0.1, 0.25, 0.5, 0.6, 1.0, 2.5, 5.0, 30.0, 60.0, 125.0]),
    st.integers(min_value=1, max_value=4),
    st.one_of(st.none(), _amounts),
    st.sampled_from([0.0, 0.05, 0.1, 0.2]),
    st.booleans(),
    st.booleans(),
)
def test_practical_amounts_properties(
    a: float,
    b: float,
    step: float,
    smallest_steps: int,
    ceiling: float | None,
    tolerance: float,
    allow_up: bool,
    single: bool,
) -> None:
    """The rounding function alone, on arbitrary amounts: each property of docs/rounding.md can
    fail here (a nearest-multiple rounding breaks the first, an unbounded one the second, a
    rounding that ignores the ceiling the third, a half-up one for NTI drugs the fourth)."""
    from calcidose.engine.rounding import practical_amounts

    low, high = sorted((a, b))
    if single:
        high = low
    smallest = step * smallest_steps
    got = practical_amounts(low, high, step, smallest, ceiling, tolerance, allow_up)
    if got.low is None or got.high is None:
        assert got.outcome == "none" and got.reason
        return
    for value in (got.low, got.high):
        n = value / step
        assert abs(n - round(n)) <= 1e-6 * max(1.0, n), "a whole number of steps"
        assert value >= smallest * (1 - 1e-12), "never below the smallest amount"
        if ceiling is not None:
            assert value <= ceiling * (1 + 1e-12), "never above the cap"
    if _single(low, high):
        assert abs(got.high - high) <= tolerance * high * (1 + 1e-9) + 1e-9
    else:
        assert low * (1 - 1e-12) <= got.low <= got.high <= high * (1 + 1e-12)
    if not allow_up:
        assert got.high <= high * (1 + 1e-12)


@pytest.mark.parametrize(
    ("low", "high", "step", "smallest", "ceiling", "tolerance", "allow_up", "expected"),
    [
        # diltiazem 40-80 mg three times daily, 30 mg tablets: ceil(40/30) = 2 -> 60,
        # floor(80/30) = 2 -> 60 (nearest rounding gave 30 to 90, outside the range)
        (40, 80, 30, 30, None, 0.1, True, (60, 60)),
        # diltiazem ER once daily 166-332 mg, 60 mg steps from 120 mg: ceil(2.77) = 3 -> 180,
        # floor(5.53) = 5 -> 300 (nearest gave up to 360)
        (166, 332, 60, 120, None, 0.1, True, (180, 300)),
        # colchicine 1 mg, 0.6 mg tablets, NTI: 1.2 is up (not allowed), 0.6 is 40% under
        (1, 1, 0.6, 0.6, 1.2, 0.1, False, (None, None)),
        # colchicine 1 mg, 0.5 mg tablets: 2 x 0.5 = 1 mg exactly
        (1, 1, 0.5, 0.5, 1.2, 0.1, False, (1, 1)),
        # 681.75 mg (375 mg/m2 x 1.818 m2) measured in 1 mg steps (0.1 mL of 10 mg/mL):
        # 681 is 0.75 under, 682 is 0.25 over: nearest 682 (+0.04%, within 10%)
        (681.75, 681.75, 1, 1, None, 0.1, True, (682, 682)),
        # 105 mg with 100 mg steps: 100 is 4.8% under, 200 is 90% over: 100
        (105, 105, 100, 100, None, 0.1, True, (100, 100)),
        # 150 mg with 100 mg steps: 100 (33% under) and 200 (33% over): neither within 10%
        (150, 150, 100, 100, None, 0.1, True, (None, None)),
        # a tie: 0.75 in 0.5 steps with a 50% tolerance: 0.5 and 1 are both 0.25 away: up to 1
        (0.75, 0.75, 0.5, 0.5, None, 0.5, True, (1, 1)),
        # the same tie for an NTI drug: down to 0.5
        (0.75, 0.75, 0.5, 0.5, None, 0.5, False, (0.5, 0.5)),
        # a range under a ceiling: 100-300 mg, 50 mg steps, cap 220 mg -> 100 to 200
        (100, 300, 50, 50, 220, 0.1, True, (100, 200)),
    ],
)
def test_practical_amounts_by_hand(
    low: float,
    high: float,
    step: float,
    smallest: float,
    ceiling: float | None,
    tolerance: float,
    allow_up: bool,
    expected: tuple[float | None, float | None],
) -> None:
    from calcidose.engine.rounding import practical_amounts

    got = practical_amounts(low, high, step, smallest, ceiling, tolerance, allow_up)
    assert (got.low, got.high) == expected


@given(S.catalogs(), S.weight_texts())
def test_per_administration_times_frequency_is_the_period_dose(
    catalog: Catalog, weight: str
) -> None:
    plan = _plan(catalog, weight)
    assert plan.dose is not None
    basis = plan.dose.basis
    dfactor = units.UCUM[plan.dose.unit].factor
    capped = any(f.code == "capped-per-administration" for f in plan.findings)
    for a in plan.administrations:
        count = by_id(a.frequency).count if basis in ("per-day", "per-week") else 1
        afactor = units.UCUM[a.unit].factor
        if capped:  # a per-administration cap may lower the amount each time: never raise it
            assert a.high * afactor * count <= plan.dose.high * dfactor * (1 + EPS)
            continue
        assert close(a.low * afactor * count, plan.dose.low * dfactor)
        assert close(a.high * afactor * count, plan.dose.high * dfactor)


@given(S.catalogs(), S.weights_kg(), S.weights_kg())
def test_dose_is_monotonic_in_weight(catalog: Catalog, w1: Decimal, w2: Decimal) -> None:
    assume(w1 != w2)
    light, heavy = sorted((w1, w2))
    a = _plan(catalog, f"{S.plain(light)} kg")
    b = _plan(catalog, f"{S.plain(heavy)} kg")
    assert a.dose is not None and b.dose is not None
    assert a.dose.low <= b.dose.low * (1 + EPS)
    assert a.dose.high <= b.dose.high * (1 + EPS)
    for x, y in zip(a.administrations, b.administrations, strict=True):
        if x.rounded_high is not None and y.rounded_high is not None:
            assert x.rounded_high <= y.rounded_high + EPS


@given(S.catalogs(), S.equivalent_weights())
def test_plan_is_the_same_in_every_weight_unit(
    catalog: Catalog, case: tuple[Decimal, list[str]]
) -> None:
    _, texts = case
    plans = [_plan(catalog, text) for text in texts]
    first = plans[0]
    assert first.dose is not None
    for other in plans[1:]:
        assert other.status == first.status
        assert other.dose is not None
        assert close(other.dose.low, first.dose.low) and close(other.dose.high, first.dose.high)
        assert [f.code for f in other.findings] == [f.code for f in first.findings] or any(
            f.code in ("no-practical-amount", "below-smallest-strength")
            for f in (*other.findings, *first.findings)
        )


# --- rules on the reference catalog --------------------------------------------------------------


@given(S.patients(weight=None, conditions=S.REF_CONDITIONS, medications=S.REF_MEDICATIONS))
def test_contraindicated_is_never_ok(patient: Patient) -> None:
    plan = dose("refdrug", patient, catalog=REF)
    blocked = "ref-block" in patient.conditions or patient.is_pregnant() is True
    assert (plan.status == "contraindicated") == blocked
    if blocked:
        assert plan.findings[0].severity == "contraindicated"
        assert "CONTRAINDICATED" in plan_text(plan, REF).splitlines()[1]


@given(S.patients(weight=False, age=S.adult_ages_years(), medications=S.REF_MEDICATIONS))
def test_missing_weight_gives_cannot_check(patient: Patient) -> None:
    assume(patient.is_pregnant() is not True)
    plan = dose("refdrug", patient, catalog=REF)
    # a known major finding (a ref-interactor) outranks the unknown (docs/checking.md); the
    # plan is incomplete either way
    known_major = any(f.severity == "major" for f in plan.findings)
    assert plan.status == ("major" if known_major else "cannot-check")
    assert plan.complete is False
    assert plan.dose is None
    assert any(f.code == "missing-weight" and f.missing == ("weight",) for f in plan.findings)


@given(S.patients(weight=True, age=S.adult_ages_years()))
def test_missing_renal_data_gives_cannot_check(patient: Patient) -> None:
    """ref-renal needs CrCl: given, or Cockcroft-Gault from creatinine, age, weight and sex."""
    assume(patient.is_pregnant() is False)
    computable = patient.crcl_ml_min is not None or (
        patient.scr_mg_dl is not None and patient.sex is not None
    )
    plan = dose("refdrug", patient, catalog=REF)
    renal = [f for f in plan.findings if f.code == "ref-renal:cannot-check"]
    assert bool(renal) == (not computable)
    if renal:
        known_major = any(f.severity == "major" for f in plan.findings)
        assert plan.status == ("major" if known_major else "cannot-check")
        assert plan.complete is False


@given(st.sampled_from(["refdrug", "weeklydrug"]), st.lists(st.text(min_size=1), max_size=3))
def test_unknown_medications_are_named_never_ignored(drug: str, names: list[str]) -> None:
    names = [n for n in names if n.strip() and n.strip() not in REF.aliases]
    assume(names)
    plan = dose(drug, Patient(weight="70 kg", medications=names, **ADULT), catalog=REF)
    unknown = [f for f in plan.findings if f.code == "unknown-medication"]
    assert sorted(m for f in unknown for m in f.missing) == sorted(
        {f"medication {n.strip()}" for n in names}
    )
    assert plan.status in ("cannot-check", "contraindicated")


@given(st.permutations(list(S.REF_MEDICATIONS)), st.permutations(list(S.REF_CONDITIONS)))
def test_findings_do_not_depend_on_the_order_of_medications(
    meds: list[str], conditions: list[str]
) -> None:
    reference = dose(
        "refdrug",
        Patient(
            weight="70 kg",
            medications=S.REF_MEDICATIONS,
            conditions=S.REF_CONDITIONS,
            **ADULT,
        ),
        catalog=REF,
    )
    shuffled = dose(
        "refdrug",
        Patient(weight="70 kg", medications=meds, conditions=conditions, **ADULT),
        catalog=REF,
    )
    assert shuffled.to_dict() == reference.to_dict()


_ARITHMETIC_CODES = {
    "capped",
    "rounded-outside-range",
    "below-smallest-strength",
    # the rounding finding of a range no strength can make exactly (info): a lower cap from an
    # added drug changes the range, so it may come or go (the engine's _ROUNDING_FINDINGS)
    "no-practical-amount",
    "source-conflict",
}


def _rule_codes(plan: DosePlan) -> set[str]:
    return {f.code for f in plan.findings if f.code not in _ARITHMETIC_CODES}


@given(
    S.patients(weight=True, age=S.adult_ages_years()),
    st.lists(st.sampled_from(S.REF_MEDICATIONS), unique=True),
    st.sampled_from(S.REF_MEDICATIONS),
)
def test_adding_a_drug_never_removes_a_finding(
    patient: Patient, meds: list[str], added: str
) -> None:
    def with_meds(names: list[str]) -> DosePlan:
        p = Patient.from_dict({**patient.to_dict(), "medications": names})
        return dose("refdrug", p, catalog=REF)

    before, after = with_meds(meds), with_meds([*meds, added])
    assert _rule_codes(before) <= _rule_codes(after)
    assert RANK[after.status] >= RANK[before.status]
    if before.dose is not None and after.dose is not None:
        assert after.dose.high <= before.dose.high + EPS, "an added drug never loosens a cap"


def _shipped() -> Catalog:
    from calcidose.catalog import get_catalog

    return get_catalog()


@st.composite
def shipped_cases(draw: st.DrawFn) -> tuple[str, list[str], str]:
    catalog = _shipped()
    names = sorted(set(catalog.drugs) | set(catalog.substances))
    drug = draw(st.sampled_from(sorted(catalog.drugs)))
    meds = draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
    added = draw(st.sampled_from(names))
    return drug, meds, added


@given(shipped_cases(), S.patients(weight=True, age=S.adult_ages_years()))
def test_adding_a_drug_never_improves_the_status_shipped_tables(
    case: tuple[str, list[str], str], patient: Patient
) -> None:
    """On the shipped tables: a specific rule may replace a generic one (colchicine with
    diltiazem replaces the generic moderate-CYP3A4 rule), so finding codes may change, but the
    status never gets better and the dose never goes up when a drug is added."""
    drug, meds, added = case
    catalog = _shipped()

    def with_meds(names: list[str]) -> DosePlan:
        p = Patient.from_dict({**patient.to_dict(), "medications": names})
        return dose(drug, p, catalog=catalog)

    before, after = with_meds(meds), with_meds([*meds, added])
    note(f"{drug} {meds} + {added}: {before.status} -> {after.status}")
    assert RANK[after.status] >= RANK[before.status]
    if before.dose is not None and after.dose is not None and before.dose.unit == after.dose.unit:
        assert after.dose.high <= before.dose.high * (1 + EPS)


# --- rendered text -------------------------------------------------------------------------------

ISMP_FORBIDDEN = re.compile(r"(?<![\w/])(ug|µg|μg|U|IU)(?![\w/])")


def assert_ismp_text(text: str) -> None:
    for line in text.splitlines():
        if line.startswith(("evidence ", "tables ")):
            continue  # tables version string (e.g. 2026.11.0), not a quantity
        assert not ISMP_TRAILING_ZERO.search(line), f"trailing zero: {line!r}"
        assert not ISMP_NAKED_DECIMAL.search(line), f"naked decimal: {line!r}"
        assert not ISMP_FORBIDDEN.search(line), f"ug/µg/U/IU: {line!r}"


def _json_units(data: Any) -> list[str]:
    if isinstance(data, dict):
        found = [data["unit"]] if isinstance(data.get("unit"), str) else []
        return found + [u for v in data.values() for u in _json_units(v)]
    if isinstance(data, list):
        return [u for v in data for u in _json_units(v)]
    return []


@given(S.catalogs(), S.patients(weight=True))
def test_rendered_plan_follows_ismp(catalog: Catalog, patient: Patient) -> None:
    plan = dose("gen", patient, catalog=catalog)
    assert_ismp_text(plan_text(plan, catalog))
    for unit in _json_units(plan.to_dict()):
        assert unit in units.UCUM, f"JSON units are UCUM codes, never {unit!r}"


@given(
    S.patients(weight=None, conditions=S.REF_CONDITIONS, medications=S.REF_MEDICATIONS),
    st.sampled_from(["refdrug", "weeklydrug", "notdosable"]),
)
def test_rendered_reference_plan_follows_ismp(patient: Patient, drug: str) -> None:
    plan = dose(drug, patient, catalog=REF)
    assert_ismp_text(plan_text(plan, REF))


# --- orders --------------------------------------------------------------------------------------


def _check() -> Any:
    import calcidose

    return calcidose.check


DAILY_WORDS = [(w, f.id) for f in FREQUENCIES if f.period_days == 1.0 for w in f.words]


@given(S.decimals("0.5", "2000", 1), st.sampled_from(DAILY_WORDS))
def test_order_per_dose_times_frequency_is_per_day(
    amount: Decimal, word_and_id: tuple[str, str]
) -> None:
    check = _check()
    word, ident = word_and_id
    result = check(
        "refdrug", f"{S.plain(amount)} mg", word, Patient(weight="70 kg", **ADULT), catalog=REF
    )
    per_admin, per_day = result.per_administration, result.per_day
    assert per_admin is not None and per_day is not None
    # mg x administrations per day (tid: 3, q12h: 2, ...), in the unit written
    assert close(per_day[0], per_admin[0] * by_id(ident).count)
    assert per_admin == (float(amount), "mg")


@given(S.decimals("1", "2000", 0), st.sampled_from(["tid", "daily", "qid"]))
def test_order_verdict_is_the_same_in_mg_g_and_mcg(amount: Decimal, frequency: str) -> None:
    check = _check()
    patient = Patient(weight="70 kg", **ADULT, scr="0.9 mg/dL")
    texts = [
        f"{S.plain(amount)} mg",
        f"{S.plain(amount / 1000)} g",
        f"{S.plain(amount * 1000)} mcg",
    ]
    verdicts = {check("refdrug", t, frequency, patient, catalog=REF).verdict for t in texts}
    assert len(verdicts) == 1, (texts, verdicts)


@given(
    S.patients(weight=None, conditions=S.REF_CONDITIONS, medications=S.REF_MEDICATIONS),
    S.decimals("0.5", "5000", 1),
    st.sampled_from(["tid", "daily", "weekly", "once", "every other day"]),
)
def test_order_contraindicated_always_wins(
    patient: Patient, amount: Decimal, frequency: str
) -> None:
    check = _check()
    result = check("refdrug", f"{S.plain(amount)} mg", frequency, patient, catalog=REF)
    blocked = "ref-block" in patient.conditions or patient.is_pregnant() is True
    assert (result.verdict == "contraindicated") == blocked


VERDICT_ORDER = ["below-range", "within-range", "above-range", "exceeds-maximum"]


@given(
    S.decimals("0.5", "3000", 1), S.decimals("0.5", "3000", 1), st.sampled_from(["tid", "daily"])
)
def test_order_verdict_is_monotonic_in_amount(a: Decimal, b: Decimal, frequency: str) -> None:
    check = _check()
    patient = Patient(weight="70 kg", **ADULT, scr="0.9 mg/dL")
    small, large = sorted((a, b))
    v1 = check("refdrug", f"{S.plain(small)} mg", frequency, patient, catalog=REF).verdict
    v2 = check("refdrug", f"{S.plain(large)} mg", frequency, patient, catalog=REF).verdict
    assert VERDICT_ORDER.index(v1) <= VERDICT_ORDER.index(v2)


@given(S.patients(weight=False, age=S.adult_ages_years()), S.decimals("1", "150", 1))
def test_order_missing_weight_gives_cannot_check(patient: Patient, amount: Decimal) -> None:
    """refdrug is per kg: without a weight the range is unknown. 150 mg tid = 450 mg/day stays
    under the 480 mg/day label cap, so no maximum can decide it either."""
    check = _check()
    assume(patient.is_pregnant() is not True)
    result = check("refdrug", f"{S.plain(amount)} mg", "tid", patient, catalog=REF)
    assert result.verdict == "cannot-check"


# --- pinned examples of the number format (each a hand application of the documented rule) --------
# format_number: 0 decimals from 1,000; 1 decimal from 1; 2 from 0.1; 3 below (more for a value
# that would otherwise show as 0); half up; never past a ceiling; thousands separated.

FORMATS = [
    (1.234, None, None, "1.2"),  # 1 decimal from 1
    (1.25, None, None, "1.3"),  # half up, not half even
    (0.1234, None, None, "0.12"),  # 2 decimals from 0.1
    (0.01234, None, None, "0.012"),  # 3 decimals below 0.1
    (0.0004, None, None, "0.0004"),  # a positive amount never shows as 0
    (999.96, None, None, "1,000"),  # 1 decimal: 1000.0
    (1000.44, None, None, "1,000"),  # 0 decimals from 1,000
    (12500, None, None, "12,500"),
    (69.85322498, None, 3, "69.853"),  # places given
    (479.96, 480, None, "480"),  # rounds to the ceiling, not past it
    (479.96, 479.96, None, "479.9"),  # 480 would pass the ceiling: rounded down
    (480.04, 480, None, "480"),  # above the ceiling already: plain rounding
    (-0.0001, None, None, "-0.0001"),
    (0, None, None, "0"),
    (1e300, None, None, f"1{',000' * 100}"),  # no Decimal precision error
]


@pytest.mark.parametrize(("value", "ceiling", "places", "text"), FORMATS)
def test_format_number_examples(
    value: float, ceiling: float | None, places: int | None, text: str
) -> None:
    assert units.format_number(value, ceiling, places) == text


def test_format_number_decimal_inputs() -> None:
    # a Decimal is used as given: 1.2499999999999999999 is below 1.25 (a float would read 1.25)
    assert units.format_number(Decimal("1.2499999999999999999")) == "1.2"
    assert units.format_number(Decimal("479.96"), Decimal("479.96")) == "479.9"
    assert units.format_quantity(479.96, "mg/d", 479.96) == "479.9 mg/day"
    assert units.format_quantity(0.25, "ug") == "0.25 mcg"


def test_is_quantity_needs_magnitude_units_and_to() -> None:
    class Partial:
        def __init__(self, *names: str) -> None:
            for name in names:
                setattr(self, name, None)

    assert units.is_quantity(calcidose_ureg().Quantity(70, "kg"))
    for names in (("magnitude", "units"), ("units", "to"), ("magnitude", "to"), ("to",)):
        assert not units.is_quantity(Partial(*names)), names


def calcidose_ureg() -> Any:
    import calcidose

    return calcidose.ureg


# --- patients: what goes in comes out ------------------------------------------------------------


@given(
    S.patients(conditions=S.REF_CONDITIONS, medications=S.REF_MEDICATIONS),
    st.sampled_from([None, True, False]),
    st.sampled_from(
        [None, {"hbsag": "negative"}, {"tb-screen": "positive", "anti-hbc": "negative"}]
    ),
)
def test_patient_json_round_trip(patient: Patient, lactating: bool | None, labs: Any) -> None:
    data = patient.to_dict()
    if patient.sex != "male" or not lactating:
        data["lactating"] = lactating
    if labs:
        data["labs"] = labs
    data = {k: v for k, v in data.items() if v is not None}
    first = Patient.from_dict(data)
    again = Patient.from_dict(first.to_dict())
    assert again == first
    out = first.to_dict()
    assert {k: v for k, v in out.items() if k not in _SUFFIXES} == {
        k: v for k, v in data.items() if k not in _SUFFIXES
    }
    for name, unit in (
        ("weight", "kg"),
        ("height", "cm"),
        ("age", "a"),
        ("scr", "mg/dL"),
        ("crcl", "mL/min"),
    ):
        value = getattr(patient, f"{name}_{_SUFFIXES[name]}")
        if value is None:
            assert name not in data and name not in out
        else:
            assert data[name]["unit"] == out[name]["unit"] == unit
            # exactly (a JSON number keeps all its digits: test_json_number_keeps_its_digits)
            assert getattr(first, f"{name}_{_SUFFIXES[name]}") == value


def test_json_number_keeps_its_digits() -> None:
    patient = Patient(weight="1.11 lb")
    assert Patient.from_dict(patient.to_dict()).weight_kg == patient.weight_kg


_SUFFIXES = {"weight": "kg", "height": "cm", "age": "years", "scr": "mg_dl", "crcl": "ml_min"}


def test_patient_keeps_what_was_given() -> None:
    p = Patient(
        weight="154 lb",
        height="67 in",
        age="18 mo",
        scr="106 umol/L",
        crcl="45 mL/min",
        sex="female",
        lactating=True,
        conditions="ref-block",
        medications=("b", "a", "b"),
    )
    # 154 x 0.45359237 = 69.85322498 kg; 67 x 2.54 = 170.18 cm; 18 / 12 = 1.5 years;
    # 106 / 88.4 = 1.199095 mg/dL
    assert p.weight_kg == pytest.approx(69.85322498)
    assert p.height_cm == pytest.approx(170.18)
    assert p.age_years == pytest.approx(1.5)
    assert p.scr_mg_dl == pytest.approx(106 / 88.4)
    assert p.crcl_ml_min == 45
    for name, text in (
        ("weight", "154 lb"),
        ("height", "67 in"),
        ("age", "18 mo"),
        ("scr", "106 umol/L"),
        ("crcl", "45 mL/min"),
    ):
        assert p.given(name) == text
    assert p.given("sex") is None
    assert p.lactating is True and p.is_lactating() is True
    assert p.conditions == ("ref-block",) and p.medications == ("a", "b")
    assert p.weight is not None and p.weight.to("kg").magnitude == pytest.approx(69.85322498)
    assert p.height is not None and p.age is not None and p.scr is not None and p.crcl is not None
    json_form = p.to_dict()
    assert json_form["lactating"] is True and json_form["conditions"] == ["ref-block"]
    assert json_form["medications"] == ["a", "b"] and json_form["sex"] == "female"


def test_unknown_stays_unknown() -> None:
    p = Patient()
    assert (p.weight, p.height, p.age, p.scr, p.crcl) == (None, None, None, None, None)
    assert p.to_dict() == {}
    assert (p.is_pregnant(), p.is_lactating()) == (None, None)
    male = Patient(sex="male")
    assert (male.is_pregnant(), male.is_lactating()) == (False, False)
    female = Patient(sex="female", pregnant=False, lactating=False)
    assert (female.is_pregnant(), female.is_lactating()) == (False, False)
    assert female.to_dict() == {"sex": "female", "pregnant": False, "lactating": False}
    labs = Patient(labs={"hbsag": "negative"})
    assert labs.lab("hbsag") == "negative" and labs.lab("tb-screen") is None
    assert labs.to_dict() == {"labs": {"hbsag": "negative"}}


def test_value_unit_objects_read_exactly() -> None:
    # {"value": 70.5, "unit": "kg"} is read as the text '70.5 kg' (no float noise in the trace)
    p = Patient.from_dict(
        {
            "weight": {"value": 70.5, "unit": "kg"},
            "crcl": {"value": 45, "unit": "mL/min"},
            "lactating": False,
        }
    )
    assert p.given("weight") == "70.5 kg" and p.weight_kg == 70.5
    # 70.0 is written 70 (no trailing zero in the trace either)
    assert Patient.from_dict({"weight": {"value": 70.0, "unit": "kg"}}).given("weight") == "70 kg"
    assert p.given("crcl") == "45 mL/min" and p.lactating is False


def test_format_number_limits() -> None:
    # the extra decimals for a tiny positive value are added one at a time, rounding half up:
    # 0.00045 -> 4 decimals -> 0.0005 (half up; half even would give 0.0004)
    assert units.format_number(0.00045) == "0.0005"
    # and never stop at a zero (issue 12 §5: a positive amount is never shown as 0):
    # 4e-13 needs 13 decimals, 0.0000000000004
    assert units.format_number(4e-13) == "0.0000000000004"
    assert units.format_number(-0.0) == "0"
    # a Decimal ceiling is used exactly (a float would read 479.95 and not round down)
    exact, cap = Decimal("479.950000000000000001"), Decimal("479.950000000000000002")
    assert units.format_number(exact, cap) == "479.9"
    # not finite: written as Decimal writes it, never an exception
    assert units.format_number(math.inf) == "Infinity"
    assert units.format_number(math.nan) == "NaN"


def test_ucum_units_carry_what_they_are_built_with() -> None:
    unit = units.UcumUnit("mg/d", "amount/day", 1.0, "mg/day")
    assert (unit.code, unit.dimension, unit.factor, unit.display) == (
        "mg/d",
        "amount/day",
        1.0,
        "mg/day",
    )
    assert repr(unit) == "UcumUnit('mg/d', 'amount/day', 1.0)"
    default = units._u("mg", "amount", 1.0)
    assert (default.code, default.dimension, default.factor, default.display) == (
        "mg",
        "amount",
        1.0,
        "mg",
    )
    assert units._u("ug", "amount", 0.001, "mcg").display == "mcg"
    # the table itself: micrograms are shown as mcg, per day as /day, factors exact
    assert units.UCUM["ug"].display == "mcg" and units.UCUM["ug"].factor == 0.001
    assert units.UCUM["g/wk"].dimension == "amount/week" and units.UCUM["g/wk"].factor == 1000


def test_pint_quantity_too_large() -> None:
    from calcidose.errors import QuantityError

    with pytest.raises(QuantityError) as info:
        units.parse(calcidose_ureg().Quantity(10**400, "kg"), "weight")
    assert str(info.value) == "weight: the value is too large to be a real quantity"


def test_json_integers_at_the_float_limit() -> None:
    from calcidose.errors import ImplausibleValueError, PatientError

    # 10**300 kg is a (huge) real number: refused as implausible, naming the value as given
    with pytest.raises(ImplausibleValueError):
        Patient.from_dict({"weight": {"value": 10**300, "unit": "kg"}})
    with pytest.raises(ImplausibleValueError) as info:
        Patient.from_dict({"weight": {"value": 123456789012345678901, "unit": "g"}})
    assert str(info.value).startswith("weight '123456789012345678901 g' (")
    # above 10**300 it is refused before any conversion
    for value in (10**300 + 1, -(10**301)):
        with pytest.raises(PatientError) as too_large:
            Patient.from_dict({"weight": {"value": value, "unit": "kg"}})
        assert str(too_large.value) == "weight value is too large to be a real quantity"


def test_patient_container_messages() -> None:
    from calcidose.errors import PatientError

    for call, message in (
        (lambda: Patient(conditions=5), "conditions must be a list of ids, not int"),
        (lambda: Patient(medications=True), "medications must be a list of ids, not bool"),
        (lambda: Patient(labs=["hbsag"]), "labs must be an object of name: value, not list"),
    ):
        with pytest.raises(PatientError) as info:
            call()
        assert str(info.value) == message


# --- rounding, exactly; conflicting caps ----------------------------------------------------------


def _expected_rounding(
    low: float,
    high: float,
    step: Decimal,
    smallest: Decimal,
    ceiling: Decimal | None,
    tolerance: Decimal,
) -> tuple[Decimal, Decimal] | None:
    """The documented rule (docs/rounding.md), by hand in Decimal: a range inward (low end up
    to a multiple of the step, at least the smallest; high end down, at most the ceiling); a
    single value to the nearest multiple within the tolerance (a tie up), never past the
    ceiling; None when nothing fits."""
    from decimal import ROUND_CEILING, ROUND_FLOOR

    lo, hi = Decimal(repr(low)), Decimal(repr(high))
    if hi - lo <= Decimal("1e-9") * max(Decimal(1), hi):
        down = (hi / step).to_integral_value(ROUND_FLOOR) * step
        up = (hi / step).to_integral_value(ROUND_CEILING) * step
        fits = [
            c
            for c in {down, up}
            if c >= smallest - Decimal("1e-9")
            and c > 0
            and (ceiling is None or c <= ceiling + Decimal("1e-9"))
            and abs(c - hi) <= tolerance * hi + Decimal("1e-9")
        ]
        if not fits:
            return None
        best = min(fits, key=lambda c: (abs(c - hi), -c))
        return best, best
    top = hi if ceiling is None else min(hi, ceiling)
    r_low = (max(lo, smallest) / step - Decimal("1e-9")).to_integral_value(ROUND_CEILING) * step
    r_high = (top / step + Decimal("1e-9")).to_integral_value(ROUND_FLOOR) * step
    return None if r_low > r_high else (r_low, r_high)


@given(S.catalogs(), S.weight_texts())
def test_rounding_is_the_documented_rule(catalog: Catalog, weight: str) -> None:
    plan = _plan(catalog, weight)
    regimen = catalog.drugs["gen"].regimens[0]
    assert regimen.dose is not None
    basis = regimen.dose.basis
    period_caps = _caps(catalog, _PER_OF_BASIS[basis])
    admin_caps = _caps(catalog, "administration")
    tolerance = Decimal(repr(catalog.meta.rounding.tolerance))
    for a in plan.administrations:
        if a.step is None:
            continue
        product = next(p for p in regimen.products if a.frequency in p.frequencies)
        thousandths = [round(Decimal(repr(s.value)) * 1000) for s in product.strengths]
        step = Decimal(math.gcd(*thousandths)) / 1000
        assert Decimal(repr(a.step)) == step
        smallest = min(Decimal(repr(s.value)) for s in product.strengths)
        count = by_id(a.frequency).count if basis != "per-administration" else 1
        ceilings = [Decimal(repr(min(period_caps))) / count] if period_caps else []
        ceilings += [Decimal(repr(min(admin_caps)))] if admin_caps else []
        ceiling = min(ceilings) if ceilings else None
        expected = _expected_rounding(a.low, a.high, step, smallest, ceiling, tolerance)
        if expected is None:
            assert a.rounded_low is None and a.rounded_high is None
            continue
        assert a.rounded_low is not None and a.rounded_high is not None
        assert abs(Decimal(repr(a.rounded_low)) - expected[0]) <= Decimal("1e-6"), a
        assert abs(Decimal(repr(a.rounded_high)) - expected[1]) <= Decimal("1e-6"), a


@pytest.mark.parametrize(
    ("amount", "step", "expected"),
    [
        (45.0, 30.0, 60.0),  # 1.5 steps: a tie, half up
        (44.999, 30.0, 30.0),  # just under the tie
        (75.0, 30.0, 90.0),  # 2.5 steps: half up, not half even (60)
        (0.15, 0.1, 0.2),  # a tie in floats that are not exact in binary
        (119.9, 60.0, 120.0),
    ],
)
def test_rounding_ties_go_up(amount: float, step: float, expected: float) -> None:
    from calcidose.engine.rounding import round_to_step as _round_to_step

    assert _round_to_step(amount, step, step, None) == expected


def test_rounding_never_passes_the_ceiling_and_never_goes_below_the_smallest() -> None:
    from calcidose.engine.rounding import round_to_step as _round_to_step

    # 118 mg in 30 mg steps -> 120 mg; a 100 mg ceiling takes it down one step to 90 mg
    assert _round_to_step(118.0, 30.0, 30.0, 100.0) == 90.0
    # a 50 mg ceiling takes it down three steps, to 30 mg
    assert _round_to_step(118.0, 30.0, 30.0, 50.0) == 30.0
    # exactly at the ceiling: kept
    assert _round_to_step(118.0, 30.0, 30.0, 120.0) == 120.0
    # 10 mg rounds to 0 steps of 30 mg: below the smallest strength, no rounded amount
    assert _round_to_step(10.0, 30.0, 30.0, None) is None
    # 16 mg rounds up to 30 mg, the smallest strength itself
    assert _round_to_step(16.0, 30.0, 30.0, None) == 30.0


def test_conflicting_caps_the_strictest_wins_and_both_are_reported() -> None:
    import attrs

    from calcidose.catalog.model import Cap

    base = REF.drugs["refdrug"]
    regimen = base.regimens[0]
    two = (
        Cap("label", "day", S.q(480, "mg/d"), ("ref-label",)),
        Cap("policy", "day", S.q(0.36, "g/d"), ("ref-paper",)),
    )
    drug = attrs.evolve(base, regimens=(attrs.evolve(regimen, caps=two),), rules=())
    plan = dose("refdrug", Patient(weight="150 kg", **ADULT), catalog=S._catalog([drug]))
    # 4 x 150 = 600 mg/day; caps 480 mg/day (label) and 0.36 g/day = 360 mg/day (policy)
    assert plan.dose is not None
    assert (plan.dose.low, plan.dose.high, plan.dose.cap) == (300, 360, 360)
    conflict = [f for f in plan.findings if f.code == "source-conflict"]
    assert len(conflict) == 1
    assert conflict[0].severity == "info"
    assert set(conflict[0].sources) == {"ref-label", "ref-paper"}
    assert "360 mg/day (policy: ref-paper); 480 mg/day (label: ref-label)" in conflict[0].message
    assert [s.text() for s in plan.trace if s.label.startswith("cap (")] == [
        "at most 480 mg/day",
        "at most 360 mg/day",
    ]
    one = dose("refdrug", Patient(weight="150 kg", **ADULT), catalog=REF)
    assert not [f for f in one.findings if f.code == "source-conflict"]
