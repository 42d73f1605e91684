"""calcidose.options() and ``calcidose options``: every therapy with its status, by evidence."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calcidose
from calcidose.catalog import get_catalog
from calcidose.cli import main
from calcidose.engine.options import OPTIONS_SCHEMA, options
from calcidose.errors import InputError
from calcidose.patient import Patient
from calcidose.render.options import options_text

CAT = get_catalog()

ADULT: dict[str, Any] = {
    "weight": "70 kg",
    "height": "170 cm",
    "age": "54 years",
    "sex": "female",
    "pregnant": False,
    "lactating": False,
    "crcl": "90 mL/min",
    "labs": {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
}
# the documented ranking: ok, caution, major (issue 10: its own status), cannot-check, not-dosable
_RANK = {
    "ok": 0,
    "caution": 1,
    "major": 2,
    "cannot-check": 3,
    "not-dosable": 4,
    "contraindicated": 5,
}


def adult(**changes: Any) -> Patient:
    data = {**ADULT, **changes}
    return Patient(**{k: v for k, v in data.items() if v is not None})


def by_id(report: Any) -> dict[str, Any]:
    return {o.id: o for o in report.options}


def test_every_catalog_entry_once() -> None:
    report = calcidose.options(adult())
    ids = [o.id for o in report.options]
    assert sorted(ids) == sorted(CAT.drugs)
    assert report.tables_version == CAT.tables_version


def test_statuses_for_a_well_described_adult() -> None:
    found = by_id(options(adult()))
    assert found["diltiazem"].status == "ok"
    assert found["diltiazem"].evidence == "IV"  # Traineau 2020: level IV
    assert found["warfarin"].status == "not-dosable"  # INR-titrated
    assert found["surgery"].status == "not-dosable"
    assert found["sodium-thiosulfate"].status == "caution"  # IV monitoring (acidosis, BP)
    # the tables say low-dose warfarin is advised against (Traineau 2020, level IB)
    assert found["warfarin"].not_indicated


def test_contraindicated_last_with_its_reason() -> None:
    report = options(adult(conditions=["av-block-2nd-3rd-degree"]))
    found = by_id(report)
    assert found["diltiazem"].status == "contraindicated"
    assert "AV" in found["diltiazem"].reason
    statuses = [o.status for o in report.options]
    first_ci = statuses.index("contraindicated")
    assert all(s == "contraindicated" for s in statuses[first_ci:])


# Traineau et al., J Am Acad Dermatol 2020;82:317-25 (doi:10.1016/j.jaad.2019.07.006) grades by
# the modified Oxford CEBM levels, strongest first: IA, IB, IIA, IIB, III, IV; calcidose ranks
# label-only, animal-only and ungraded evidence after them, in that order.
_LEVEL = {g: n for n, g in enumerate(("IA", "IB", "IIA", "IIB", "III", "IV", "label", "animal"))}
# Levels the review's abstract gives: diltiazem and bisphosphonates level IV, rituximab and
# TNF inhibitors level IV; low-dose warfarin level IB, and that level is evidence against it.
_LEVEL_IV = ("diltiazem", "alendronate", "etidronate", "pamidronate", "rituximab", "infliximab")


def level(o: Any) -> int:
    return _LEVEL.get(o.evidence or "", len(_LEVEL))


def test_ranked_by_evidence_level() -> None:
    report = options(adult())
    ranked = [o for o in report.options if o.status != "contraindicated" and not o.not_indicated]
    levels = [level(o) for o in ranked]
    assert levels == sorted(levels)
    # within one level, by status: ok, caution, major, cannot-check, not-dosable
    for n in set(levels):
        statuses = [_RANK[o.status] for o in ranked if level(o) == n]
        assert statuses == sorted(statuses)


def test_evidence_before_status() -> None:
    # a level-IV entry with no dose comes before an ungraded one that is ok: the ranking is by
    # evidence, not by how convenient the entry is for this patient
    order = [o.id for o in options(adult()).options]
    found = by_id(options(adult()))
    assert found["pamidronate"].status == "not-dosable" and found["pamidronate"].evidence == "IV"
    assert found["minocycline"].status == "ok" and found["minocycline"].evidence == "not-graded"
    assert order.index("pamidronate") < order.index("minocycline")
    ungraded = [o.id for o in options(adult()).options if o.evidence == "not-graded"]
    for drug in _LEVEL_IV:
        assert found[drug].evidence == "IV", drug
        assert all(order.index(drug) < order.index(other) for other in ungraded), drug


def test_evidence_against_a_therapy_does_not_rank_it_first() -> None:
    # low-dose warfarin is graded IB, the strongest level in the catalog, but the grade says it
    # should not be used: it comes after every entry that is not advised against
    report = options(adult())
    order = [o.id for o in report.options]
    found = by_id(report)
    assert found["warfarin"].evidence == "IB" and found["warfarin"].not_indicated
    for o in report.options:
        if o.status != "contraindicated" and not o.not_indicated:
            assert order.index(o.id) < order.index("warfarin"), o.id


def test_no_entry_is_called_best(capsys: pytest.CaptureFixture[str]) -> None:
    for kind in (None, "dystrophic", "calciphylaxis"):
        text = options_text(options(adult(), kind))
        assert "best" not in text.lower()
        assert "ranked by level of evidence (Traineau et al. 2020)" in text.splitlines()[0]
    with pytest.raises(SystemExit):
        main(["--help"])
    out, _ = capsys.readouterr()
    assert "best" not in out.lower()


def test_cannot_check_reason_names_the_missing_input() -> None:
    found = by_id(options(adult(age=None)))
    assert found["minocycline"].status == "cannot-check"
    assert "age" in found["minocycline"].reason
    found = by_id(options(adult(labs=None)))
    assert found["rituximab"].status == "cannot-check"
    assert "lab hbsag" in found["rituximab"].reason


def test_calcinosis_type() -> None:
    report = options(adult(), "calciphylaxis")
    found = by_id(report)
    # sodium thiosulfate IV is reported for calciphylaxis; diltiazem is not
    assert found["sodium-thiosulfate"].reported_for_type is True
    assert found["sodium-thiosulfate"].regimen == "intravenous"
    assert found["diltiazem"].reported_for_type is False
    order = [o.id for o in report.options]
    assert order.index("sodium-thiosulfate") < order.index("diltiazem")
    assert options(adult()).options[0].reported_for_type is None
    with pytest.raises(InputError, match="unknown calcinosis type"):
        options(adult(), "metastatic-ish")


def test_type_picks_the_regimen_for_that_type() -> None:
    # a child with calciphylaxis: the paediatric intravenous STS regimen
    child = Patient(weight="30 kg", height="135 cm", age="10 years", sex="male")
    found = by_id(options(child, "calciphylaxis"))
    assert found["sodium-thiosulfate"].regimen == "intravenous-pediatric"


def test_json_and_text() -> None:
    report = options(adult(), "dystrophic")
    d = report.to_dict()
    assert d["schema"] == OPTIONS_SCHEMA == "calcidose/options/1"
    assert d["calcinosis_type"] == "dystrophic"
    first = d["options"][0]
    for key in ("id", "name", "status", "evidence", "reason", "findings", "dose"):
        assert key in first
    assert json.loads(json.dumps(d)) == d
    text = options_text(report)
    lines = text.splitlines()
    assert lines[0].startswith("Therapy options for this patient (calcinosis type: dystrophic)")
    assert lines[2].startswith(" 1. [OK]")


def test_cli(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--weight", "70kg", "--age", "54y", "--sex", "female", "--not-pregnant"]
    assert main(["options", *args, "--type", "dystrophic"]) == 0
    out, _ = capsys.readouterr()
    assert "Therapy options" in out
    assert main(["options", *args, "--format", "json"]) == 0
    out, _ = capsys.readouterr()
    assert json.loads(out)["schema"] == "calcidose/options/1"
    with pytest.raises(SystemExit) as exc:
        main(["options", "--type", "nope"])
    assert exc.value.code == 2


@settings(max_examples=25)
@given(
    st.lists(st.sampled_from(sorted(CAT.conditions)), max_size=3, unique=True),
    st.lists(st.sampled_from(sorted(CAT.aliases)), max_size=3, unique=True),
)
def test_options_agree_with_dose(conditions: list[str], medications: list[str]) -> None:
    """Without a type, each entry's status is the dose plan's status for that entry."""
    p = adult(conditions=conditions, medications=medications)
    report = options(p)
    for o in report.options:
        if o.regimen is not None:
            assert calcidose.dose(o.id, p, o.regimen).status == o.status


@pytest.mark.parametrize(
    "code",
    [
        "import calcidose",
        "import calcidose.engine.options\nimport calcidose",
        "import calcidose\nfrom calcidose.render.options import options_text",
    ],
)
def test_calcidose_options_is_callable_whatever_was_imported_first(code: str) -> None:
    """``calcidose.options`` is the function, whatever was imported first (the module lives at
    ``calcidose.engine.options``, so importing it never rebinds the package attribute)."""
    import subprocess
    import sys

    script = (
        f"{code}\n"
        "p = calcidose.Patient(age='54 years')\n"
        "assert calcidose.options(p).options\n"
        "assert not isinstance(calcidose.options, type(calcidose))\n"
        "assert 'options' in calcidose.__all__\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
