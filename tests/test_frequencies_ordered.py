"""Every frequency the tables use can be ordered, and an order given more often than its
regimen allows is never ok (issue 10 section 5).

Expected counts and periods are hand-stated from the words themselves ("every 8 weeks" is one
administration per 8 x 7 = 56 days; "twice weekly" two per 7 days); the more-often cases compare
the ordered rate with the regimen's by hand in the comment beside them.
"""

from __future__ import annotations

from typing import Any

import pytest
from strategies import SOURCES, _catalog, _vocabulary, q

from calcidose.catalog import Catalog, get_catalog
from calcidose.catalog.model import DoseRange, Drug, Product, Regimen, Source
from calcidose.engine.orders import OrderCheck, check
from calcidose.errors import FrequencyError
from calcidose.frequency import FREQUENCIES, by_id, parse_frequency
from calcidose.patient import Patient

CAT = get_catalog()

PATIENT: dict[str, Any] = {
    "weight": "70 kg",
    "height": "170 cm",
    "age": "50 years",
    "sex": "male",
    "crcl": "90 mL/min",
    "labs": {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
}

TABLE_FREQUENCIES = sorted(
    {
        (drug.id, reg.id, fid)
        for drug in CAT.drugs.values()
        for reg in drug.regimens
        for fid in reg.frequencies
    }
)


def _amount(reg: Regimen) -> str:
    if reg.dose is not None and reg.dose.low.unit.startswith("mL"):
        return "1 mL"
    return "1 mg"


@pytest.mark.parametrize(("drug_id", "regimen_id", "frequency_id"), TABLE_FREQUENCIES)
def test_every_table_frequency_can_be_ordered(
    drug_id: str, regimen_id: str, frequency_id: str
) -> None:
    freq = by_id(frequency_id)
    # the id and the rendered text are both accepted on an order, and read back the same
    assert parse_frequency(freq.id) is freq
    assert parse_frequency(freq.text) is freq
    reg = next(r for r in CAT.drugs[drug_id].regimens if r.id == regimen_id)
    result = check(drug_id, _amount(reg), freq.text, Patient(**PATIENT), regimen=regimen_id)
    assert result.frequency == frequency_id


def test_the_tables_use_frequencies() -> None:
    # the parametrisation above is not empty: at least the weekly alendronate and the every 4
    # weeks immune globulin schedules are in it
    assert ("alendronate", "oral-weekly", "once-weekly") in TABLE_FREQUENCIES
    assert any(f == "every-4-weeks" for _, _, f in TABLE_FREQUENCIES)
    # and the more-often check below has faster schedules to try: alendronate is once weekly,
    # so twice weekly and every daily schedule are faster
    assert ("alendronate", "oral-weekly") in DOSABLE_REGIMENS


@pytest.mark.parametrize(
    ("words", "count", "period_days"),
    [
        ("every 8 weeks", 1, 56.0),  # 8 x 7
        ("every 6 weeks", 1, 42.0),  # 6 x 7
        ("every 2 weeks", 1, 14.0),
        ("twice weekly", 2, 7.0),
        ("twice a week", 2, 7.0),
        ("on days 1 and 15", 1, 14.0),  # two infusions 14 days apart: one every 14 days
        ("day 1 and day 15", 1, 14.0),
        ("Every  8  Weeks", 1, 56.0),  # case and spaces as people type them
    ],
)
def test_schedule_words_of_the_labels_parse(words: str, count: int, period_days: float) -> None:
    freq = parse_frequency(words)
    assert (freq.count, freq.period_days) == (count, period_days)


def test_biw_is_still_refused_and_its_advice_is_accepted() -> None:
    with pytest.raises(FrequencyError, match="twice weekly"):
        parse_frequency("biw")
    assert parse_frequency("twice weekly").id == "twice-weekly"


def test_every_frequency_word_is_unique() -> None:
    # a word names one frequency only
    words = [w for f in FREQUENCIES for w in {f.id, *f.words}]
    assert len(words) == len(set(words))


# --- more often than the regimen: never ok -----------------------------------------------------


def regimen(**changes: Any) -> Regimen:
    """A dosable oral test regimen, 1 to 2 g/day once daily (calcinosis reports), no cap."""
    fields: dict[str, Any] = {
        "id": "main",
        "title": "Test regimen",
        "route": "oral",
        "dosable": True,
        "evidence": "IV",
        "range_origin": "calcinosis-reports",
        "sources": ("src-regimen",),
        "dose": DoseRange("per-day", "fixed", q(1, "g/d"), q(2, "g/d"), ("src-dose",)),
        "frequencies": ("once-daily",),
    }
    fields.update(changes)
    return Regimen(**fields)


def catalog(reg: Regimen) -> Catalog:
    vocab = _vocabulary()
    vocab["sources"] = {
        **vocab["sources"],
        **{
            s: Source(s, "paper", s, f"Test source {s}.", "test")
            for s in ("src-regimen", "src-dose")
        },
    }
    drug = Drug("testdrug", "Testdrug", "drug", "A drug for the tests.", SOURCES, regimens=(reg,))
    return _catalog([drug], vocab)


def run(reg: Regimen, amount: str, frequency: str) -> OrderCheck:
    patient = Patient(weight="70 kg", age="50 years", sex="male", crcl="90 mL/min")
    return check("testdrug", amount, frequency, patient, catalog=catalog(reg))


BID = regimen(frequencies=("once-daily", "twice-daily"))  # 1 to 2 g/day


def test_daily_regimen_ordered_more_often_than_listed_is_a_schedule_to_confirm() -> None:
    # 0.5 g three times daily = 1.5 g/day: within 1 to 2 g/day, but 3 a day > at most 2 a day.
    # The daily total (and every cap) is still compared, so the split is a schedule to confirm
    # with the prescriber (moderate: caution, exit 0), not a "do not give" (an over-alert).
    r = run(BID, "0.5 g", "three times daily")
    finding = next(f for f in r.findings if f.code == "more-often-than-regimen")
    assert finding.severity == "moderate"
    assert (r.verdict, r.status, r.exit_code) == ("within-range", "caution", 0)
    # q6h is 4 a day: more often too
    assert "more-often-than-regimen" in {f.code for f in run(BID, "0.25 g", "q6h").findings}
    # every 12 hours is the same schedule as twice daily: no finding, ok
    same = run(BID, "0.75 g", "every 12 hours")
    assert "more-often-than-regimen" not in {f.code for f in same.findings}
    assert same.verdict == "within-range" and same.status == "ok"


ER = regimen(
    products=(Product("extended-release 24-hour capsule", ("once-daily",), (q(1, "g"),)),),
)


def test_a_modified_release_product_split_into_more_doses_is_major() -> None:
    # an extended-release capsule is made for once a day: 0.5 g twice daily (1 g/day, within
    # 1 to 2 g/day) would split or double it, so the schedule is a dosing error (major, exit 1)
    r = run(ER, "0.5 g", "twice daily")
    finding = next(f for f in r.findings if f.code == "more-often-than-regimen")
    assert finding.severity == "major"
    assert "extended-release 24-hour capsule" in finding.message
    assert (r.status, r.exit_code) == ("major", 1)
    # once daily, its own schedule: no finding
    assert "more-often-than-regimen" not in {f.code for f in run(ER, "1 g", "once daily").findings}


@pytest.mark.parametrize(
    ("form", "modified"),
    [
        ("extended-release 24-hour capsule", True),
        ("Prolonged-release tablet", True),  # EDQM standard term
        ("gastro-resistant delayed release tablet", True),
        ("modified-release capsule, hard", True),
        ("immediate-release tablet", False),
        ("tablet", False),
        ("concentrate for infusion 10 mg/mL", False),
    ],
)
def test_modified_release_forms_are_read_from_the_standard_terms(form: str, modified: bool) -> None:
    reg = regimen(products=(Product(form, ("once-daily",), (q(1, "g"),)),))
    finding = next(
        f for f in run(reg, "0.5 g", "twice daily").findings if f.code.startswith("more")
    )
    assert finding.severity == ("major" if modified else "moderate")


def test_daily_regimen_ordered_less_often_among_daily_is_not_more_often() -> None:
    tid = regimen(frequencies=("three-times-daily",))
    r = run(tid, "1.5 g", "once daily")  # 1 a day < 3 a day
    assert "more-often-than-regimen" not in {f.code for f in r.findings}


COURSE = regimen(
    dose=DoseRange("per-course", "fixed", q(100, "g"), q(140, "g"), ("src-dose",)),
    frequencies=("every-4-weeks",),
)


def test_course_regimen_ordered_weekly_is_more_often() -> None:
    # one course every 4 weeks (1/28 a day); weekly is 1/7 a day, four times as often
    r = run(COURSE, "120 g", "once weekly")
    assert "more-often-than-regimen" in {f.code for f in r.findings}
    assert r.status in ("major", "contraindicated") and r.exit_code != 0
    assert r.verdict != "within-range"
    # every 8 weeks is less often (1/56 < 1/28): a finding, never within
    slow = run(COURSE, "120 g", "every 8 weeks")
    assert "less-often-than-regimen" in {f.code for f in slow.findings}
    assert slow.verdict != "within-range"
    # the course's own schedule: within 100 to 140 g
    assert run(COURSE, "120 g", "every 4 weeks").verdict == "within-range"


DOSABLE_REGIMENS = sorted(
    {(drug.id, reg.id) for drug in CAT.drugs.values() for reg in drug.regimens if reg.dose}
)


@pytest.mark.parametrize(("drug_id", "regimen_id"), DOSABLE_REGIMENS)
def test_every_table_regimen_ordered_more_often_is_not_ok(drug_id: str, regimen_id: str) -> None:
    """For every frequency of every table regimen: each schedule faster than all of the
    regimen's frequencies (repeated, not a single dose) is a finding, never ok, and never
    exits 0 unless it only splits a daily total of immediate-release products."""
    reg = next(r for r in CAT.drugs[drug_id].regimens if r.id == regimen_id)
    assert reg.frequencies  # every dosable table regimen names its schedules
    top = max(by_id(f).count / by_id(f).period_days for f in reg.frequencies)
    faster = [f for f in FREQUENCIES if f.period_days > 0 and f.count / f.period_days > top * 1.01]
    # a daily total split into more doses is confirmed (caution) unless a product is modified
    # release; any other basis (a dose per week, per course, per administration) is major
    split_ok = reg.dose is not None and reg.dose.basis == "per-day"
    split_ok = split_ok and not any(
        "release" in p.form and "immediate" not in p.form for p in reg.products
    )
    for freq in faster:
        result = check(drug_id, _amount(reg), freq.text, Patient(**PATIENT), regimen=regimen_id)
        assert result.status != "ok", (drug_id, regimen_id, freq.id)
        if split_ok:
            codes = {f.code for f in result.findings}
            assert "more-often-than-regimen" in codes, (drug_id, regimen_id, freq.id)
        else:
            assert result.exit_code != 0, (drug_id, regimen_id, freq.id)


def test_catalog_helper_is_the_test_drug() -> None:
    assert "testdrug" in catalog(BID).drugs
