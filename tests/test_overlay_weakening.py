"""An overlay that weakens safety needs a written, sourced justification (issue 12 §3).

Without one, `tables validate` fails and the overlay does not load (one door). Each weakening
case is written from the shipped tables' values (quoted beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcidose.catalog import load_catalog, validate_directory
from calcidose.errors import TableError

SOURCE = """
[sources.site-committee]
kind = "policy"
title = "Site drug committee"
citation = "Site Hospital drug and therapeutics committee, decision 2026-11."
checked = "The committee's minute."
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def justification(
    target: str, reason: str = "Committee decision.", source: str = "site-committee"
) -> str:
    return f'[[justifications]]\nchange = "{target}"\nreason = "{reason}"\nsources = ["{source}"]\n'


#: (files of the overlay, the target of its weakening change, the file that makes it)
WEAKENING = {
    # diltiazem oral-weight-based: one policy cap of 480 mg/d (shipped)
    "cap raised": (
        {
            "drugs/diltiazem.toml": 'id = "diltiazem"\n[[regimens]]\nid = "oral-weight-based"\n'
            '[[regimens.caps]]\nkind = "policy"\nper = "day"\n'
            'max = { value = 540, unit = "mg/d" }\n'
            'sources = ["site-committee"]\n'
        },
        "drugs.diltiazem.regimens.oral-weight-based.caps.day",
        "drugs/diltiazem.toml",
    ),
    "cap removed": (
        {
            "drugs/diltiazem.toml": 'id = "diltiazem"\n[[regimens]]\nid = "oral-weight-based"\n'
            "caps = []\n"
        },
        "drugs.diltiazem.regimens.oral-weight-based.caps.day",
        "drugs/diltiazem.toml",
    ),
    # diltiazem oral-weight-based: 2 to 4 mg/kg/d
    "range maximum raised": (
        {
            "drugs/diltiazem.toml": 'id = "diltiazem"\n[[regimens]]\nid = "oral-weight-based"\n'
            '[regimens.dose]\nbasis = "per-day"\nscale = "weight"\n'
            'low = { value = 2, unit = "mg/kg/d" }\nhigh = { value = 5, unit = "mg/kg/d" }\n'
            'sources = ["site-committee"]\n'
        },
        "drugs.diltiazem.regimens.oral-weight-based.dose.high",
        "drugs/diltiazem.toml",
    ),
    # diltiazem-hypotension: contraindicated
    "severity lowered": (
        {
            "drugs/diltiazem.toml": 'id = "diltiazem"\n[[rules]]\nid = "diltiazem-hypotension"\n'
            'severity = "moderate"\n'
        },
        "drugs.diltiazem.rules.diltiazem-hypotension.severity",
        "drugs/diltiazem.toml",
    ),
    # minocycline-complete-renal-failure: contraindicated when crcl_below 15 mL/min
    "contraindication narrowed": (
        {
            "drugs/minocycline.toml": 'id = "minocycline"\n[[rules]]\n'
            'id = "minocycline-complete-renal-failure"\n'
            'when = { crcl_below = { value = 10, unit = "mL/min" } }\n'
        },
        "drugs.minocycline.rules.minocycline-complete-renal-failure.when",
        "drugs/minocycline.toml",
    ),
    # diltiazem-hypotension on another condition: not shown to cover the patients it covered
    "condition replaced": (
        {
            "drugs/diltiazem.toml": 'id = "diltiazem"\n[[rules]]\nid = "diltiazem-hypotension"\n'
            'when = { condition = "severe-bradycardia" }\n'
        },
        "drugs.diltiazem.rules.diltiazem-hypotension.when",
        "drugs/diltiazem.toml",
    ),
    # clarithromycin: strong-cyp3a4-inhibitor and pgp-inhibitor
    "substance class removed": (
        {
            "substances.toml": '[substances.clarithromycin]\nname = "clarithromycin"\n'
            'classes = ["pgp-inhibitor"]\n'
            'sources = ["colchicine-label-us", "ehj-2021-colchicine"]\n'
        },
        "substances.clarithromycin.classes.strong-cyp3a4-inhibitor",
        "substances.toml",
    ),
    # meta: rounding tolerance 0.1
    "rounding tolerance raised": (
        {"meta.toml": '[rounding]\ntolerance = 0.2\nsources = ["site-committee"]\n'},
        "meta.rounding.tolerance",
        "meta.toml",
    ),
}


@pytest.mark.parametrize("case", sorted(WEAKENING))
def test_weakening_without_justification_is_refused(tmp_path: Path, case: str) -> None:
    files, target, made_in = WEAKENING[case]
    site = write(tmp_path / "site", {"sources.toml": SOURCE, **files})
    problems = validate_directory(site)
    mine = [p for p in problems if p.field == target]
    assert mine, problems
    (problem,) = mine
    assert problem.file == f"{site}/{made_in}"
    assert "weakens safety and has no justification" in problem.message
    assert f"{site}/meta.toml" in problem.message and f'change = "{target}"' in problem.message
    with pytest.raises(TableError, match="weakens safety"):
        load_catalog(site, use_env=False)


@pytest.mark.parametrize("case", sorted(WEAKENING))
def test_weakening_with_a_sourced_justification_loads(tmp_path: Path, case: str) -> None:
    files, target, _ = WEAKENING[case]
    meta = files.get("meta.toml", "") + "\n" + justification(target)
    site = write(tmp_path / "site", {"sources.toml": SOURCE, **files, "meta.toml": meta})
    assert validate_directory(site) == []
    catalog = load_catalog(site, use_env=False)
    (made,) = [c for c in catalog.changes if c.change.target == target]
    assert made.overlay == "site" and made.change.weakens
    assert made.justification is not None and made.sources() == ("site-committee",)


def test_tightening_needs_no_justification(tmp_path: Path) -> None:
    """480 -> 360 mg/d and contraindicated kept, a moderate rule raised to major."""
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": 'id = "diltiazem"\n[[regimens]]\nid = "oral-weight-based"\n'
            '[[regimens.caps]]\nkind = "policy"\nper = "day"\n'
            'max = { value = 360, unit = "mg/d" }\n'
            'sources = ["site-committee"]\n'
            '[[rules]]\nid = "diltiazem-strong-cyp3a4-inhibitor"\nseverity = "major"\n',
        },
    )
    assert validate_directory(site) == []
    catalog = load_catalog(site, use_env=False)
    assert {c.change.target for c in catalog.changes} == {
        "drugs.diltiazem.regimens.oral-weight-based.caps.day",
        "drugs.diltiazem.rules.diltiazem-strong-cyp3a4-inhibitor.severity",
    }
    assert not any(c.change.weakens for c in catalog.changes)


BASE_CASE = WEAKENING["severity lowered"]


@pytest.mark.parametrize(
    ("entry", "needle", "field"),
    [
        (
            justification(BASE_CASE[1], source="no-such-source"),
            "unknown source 'no-such-source'",
            "$.justifications[0].sources[0]",
        ),
        (
            justification(BASE_CASE[1], reason=" "),
            "must not be empty",
            "$.justifications[0].reason",
        ),
        (
            justification("drugs.diltiazem.rules.diltiazem-lv-failure.severity"),
            "justifies a change this overlay does not make",
            "$.justifications[0].change",
        ),
        (
            '[[justifications]]\nchange = "x"\nreason = "y"\nsources = []\n',
            "",
            "$.justifications[0].sources",
        ),
    ],
)
def test_a_faulty_justification_is_a_problem(
    tmp_path: Path, entry: str, needle: str, field: str
) -> None:
    site = write(tmp_path / "site", {"sources.toml": SOURCE, **BASE_CASE[0], "meta.toml": entry})
    problems = validate_directory(site)
    assert any(
        p.file == f"{site}/meta.toml" and p.field == field and needle in p.message for p in problems
    ), problems
    with pytest.raises(TableError):
        load_catalog(site, use_env=False)


def test_each_overlay_justifies_its_own_changes(tmp_path: Path) -> None:
    """The first overlay lowers the severity with a justification; the second changes nothing
    of it and needs none; a justification in the second for the first's change is refused."""
    first = write(
        tmp_path / "first",
        {"sources.toml": SOURCE, **BASE_CASE[0], "meta.toml": justification(BASE_CASE[1])},
    )
    second = write(tmp_path / "second", {"conditions.toml": '[conditions.site-x]\nname = "x"\n'})
    catalog = load_catalog(first, second, use_env=False)
    assert [c.overlay for c in catalog.changes] == ["first", "second"]
    third = write(tmp_path / "third", {"meta.toml": justification(BASE_CASE[1])})
    with pytest.raises(TableError, match="does not make"):
        load_catalog(first, third, use_env=False)
