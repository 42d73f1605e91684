"""Text a pharmacist reads in seconds (issue 11 §4): one value for equal ends, amounts in the
unit they are dispensed in, Sources listing exactly what the output cites, findable citations,
``--brief``. Expected values are hand calculations written beside each assertion."""

from __future__ import annotations

import re

import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.cli import main
from calcidose.render import amount_text, cited_sources, plan_text, span_text

CAT = get_catalog()
ADULT_M = calcidose.Patient(weight="70 kg", age="54 years", sex="male", crcl="90 mL/min")


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [
        (2000, "mg", "2 g"),  # 2,000 mg = 2 g
        (2000, "mg/d", "2 g/day"),
        (12500, "mg/wk", "12.5 g/week"),  # 12,500 mg = 12.5 g
        (1397.4, "mg", "1.397 g"),  # to the milligram: 1,397 mg = 1.397 g, nothing lost
        (999, "mg", "999 mg"),  # under 1 g: stays in mg
        (0.5, "mg", "0.5 mg"),  # colchicine 0.5 mg tablets stay mg (never mcg here)
        (1000, "mL", "1,000 mL"),  # volumes are not masses
    ],
)
def test_amounts_in_the_dispensed_unit(value: float, code: str, expected: str) -> None:
    assert amount_text(value, code) == expected


def test_a_range_with_equal_ends_is_one_value() -> None:
    assert span_text(2000, 2000, "mg/d") == "2 g/day"
    assert span_text(1, 1, "mg/d") == "1 mg/day"
    assert span_text(1500, 2000, "mg/d") == "1.5 g/day to 2 g/day"
    # colchicine 1 mg/day (Valenzuela and Chung 2016): one value, never "1 mg/day to 1 mg/day"
    text = plan_text(calcidose.dose("colchicine", ADULT_M), CAT)
    assert "Dose per day: 1 mg/day\n" in text
    assert not re.search(r"(\S+ \S+) to \1(?!\d)", text.split("Calculation:")[0])


def test_child_ceftriaxone_reads_in_grams() -> None:
    # 30 kg child: 50 x 30 = 1,500 mg/day; 75 x 30 = 2,250 mg/day, capped at the label's 2 g/day
    child = calcidose.Patient(weight="30 kg", age="10 years", sex="male")
    text = plan_text(calcidose.dose("ceftriaxone", child), CAT)
    assert "Dose per day: 1.5 g/day to 2 g/day (capped)" in text
    # once daily, measured by volume at 100 mg/mL: 1,500 mg = 15 mL, 2,000 mg = 20 mL
    assert "practical: 1.5 g to 2 g = 15 mL to 20 mL of 100 mg/mL (10 mg steps)" in text


def test_a_solution_shows_its_measured_volume() -> None:
    # rituximab 375 mg/m2; BSA sqrt(170 x 70 / 3600) = 1.8181 m2 -> 681.8 mg; 1 mg steps
    # (0.1 mL of 10 mg/mL): 682 mg = 68.2 mL
    p = calcidose.Patient(weight="70 kg", height="170 cm", age="50 years", sex="male")
    text = plan_text(calcidose.dose("rituximab", p, "iv-bsa"), CAT)
    assert "practical: 682 mg = 68.2 mL of 10 mg/mL (1 mg steps)" in text


def _sections(text: str) -> tuple[set[str], list[str]]:
    """The ids the text cites (in [..] after steps, 'sources:' under findings) and the ids
    listed under Sources:."""
    body, _, tail = text.partition("\nSources:\n")
    cited: set[str] = set()
    for group in re.findall(r"\[([a-z0-9, -]+)\]$", body, re.M):
        cited.update(x.strip() for x in group.split(","))
    for group in re.findall(r"^\s+sources: (.+)$", body, re.M):
        cited.update(x.strip() for x in group.split(","))
    listed = [line.split(":")[0].strip() for line in tail.split("\n\n")[0].splitlines()]
    return cited, listed


@pytest.mark.parametrize(
    ("drug", "patient", "regimen"),
    [
        ("diltiazem", ADULT_M, None),
        ("colchicine", ADULT_M, None),
        ("ceftriaxone", calcidose.Patient(weight="3 kg", age="10 days", sex="male"), None),
        ("warfarin", ADULT_M, None),
    ],
)
def test_sources_are_exactly_the_cited_ones(
    drug: str, patient: calcidose.Patient, regimen: str | None
) -> None:
    plan = calcidose.dose(drug, patient, regimen)
    cited, listed = _sections(plan_text(plan, CAT))
    assert cited, "the output cites something"
    assert set(listed) == cited
    assert len(listed) == len(set(listed))
    assert listed == cited_sources(plan)


def test_diltiazem_lists_the_tablet_label_it_cites_and_not_uncited_ones() -> None:
    # the rounding steps cite the IR and ER labels; before, Sources listed the regimen's
    # sources (an FAQ page, Palmieri, Traineau) and missed both labels
    _, listed = _sections(plan_text(calcidose.dose("diltiazem", ADULT_M), CAT))
    assert "diltiazem-ir-label-us" in listed and "diltiazem-er-label-us" in listed
    assert "traineau-2020" not in listed  # cited nowhere in this output


def test_every_citation_is_a_findable_document() -> None:
    forbidden = re.compile(r"seed file|shared/|evidence\.md|evidence digest|design\.md", re.I)
    for source in CAT.sources.values():
        assert not forbidden.search(source.citation), source.id
        assert not forbidden.search(source.title), source.id
    medscape = CAT.sources["seed-000"].citation
    assert "Nunley JR" in medscape and "Calcinosis Cutis Treatment & Management" in medscape
    assert "doi:10.1200/JOP.2017.025411" in CAT.sources["hopa-dose-rounding-2018"].citation


def test_brief_is_about_twelve_lines(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["dose", "diltiazem", "--weight", "70kg", "--age", "54y", "--sex", "male"]
    assert main([*argv, "--brief"]) == 0
    brief = capsys.readouterr().out
    assert main(argv) == 0
    full = capsys.readouterr().out
    lines = brief.strip().splitlines()
    assert len(lines) <= 14
    assert lines[0] == "STATUS: OK"
    # 2 x 70 = 140 to 4 x 70 = 280 mg/day; three times daily 46.7-93.3 mg -> 60 to 90 mg
    assert "Dose per day: 140 mg/day to 280 mg/day" in brief
    # one 60 mg to one 90 mg tablet (IR tablets 30/60/90/120 mg, US label)
    assert (
        "practical: 60 mg to 90 mg = 1 x 60 mg to 1 x 90 mg immediate-release tablet (30 mg steps)"
        in brief
    )
    assert "Calculation:" not in brief and "Calculation:" in full
    assert brief.strip().endswith("without --brief")


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        ("17.99 years", "17.99 years"),  # one decimal would read 18.0, an adult's age
        ("17.999 years", "17.999 years"),
        ("17.94 years", "17.9 years"),  # one decimal stays under 18: enough
        ("54 years", "54 years"),
    ],
)
def test_an_age_near_a_limit_keeps_the_deciding_precision(age: str, shown: str) -> None:
    p = calcidose.Patient(weight="60 kg", age=age, sex="male")
    plan = calcidose.dose("diltiazem", p)
    (step,) = [s for s in plan.trace if s.label == "regimen"]
    assert f"chosen for age {shown}" in step.text()
    forced = calcidose.dose("diltiazem", p, "oral-weight-based")
    if age.startswith("17"):
        (f,) = [f for f in forced.findings if f.code == "population-mismatch"]
        assert f.message.endswith(f"this patient is {shown} old")


def test_amount_texts_are_remembered_apart_by_type_and_bounded() -> None:
    # the text of an amount is remembered, never another amount's: 1,500 mg is written in
    # grams to the milligram (1.5 g), 2 and 2.0 mg both as "2 mg", and at most 4,096 are kept
    from decimal import Decimal

    from calcidose.results import amount_text

    assert amount_text(1500.0, "mg") == "1.5 g"
    assert amount_text(1500.0, "mg") == "1.5 g"
    assert amount_text(2, "mg") == amount_text(2.0, "mg") == "2 mg"
    assert amount_text(Decimal("0.25"), "mg") == "0.25 mg"
    assert amount_text(69.85322498, "kg", 3) == "69.853 kg"  # 154 lb, three decimals
    assert amount_text(69.85322498, "kg") == "69.9 kg"  # one decimal from 1 (ISMP)
    assert amount_text.cache_info().maxsize == 4096
