"""`calcidose tables diff` (issue 12 §3): the clinically meaningful changes overlays make.

Each overlay here is small, and its expected diff is written by hand from the shipped tables
(values quoted beside each case), never read from the code's own output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from calcidose.catalog import default_tables, load_catalog
from calcidose.catalog.diff import diff_catalogs, implies
from calcidose.catalog.overlays import load_pair
from calcidose.cli import main
from calcidose.errors import TableError

SOURCE = """
[sources.site-committee]
kind = "policy"
title = "Site drug committee"
citation = "Site Hospital drug and therapeutics committee, decision 2026-11."
checked = "The committee's minute."
"""

# Shipped: diltiazem oral-weight-based has one cap, policy, per day, 480 mg/d.
DILTIAZEM_CAP = """
id = "diltiazem"

[[regimens]]
id = "oral-weight-based"

[[regimens.caps]]
kind = "policy"
per = "day"
max = {{ value = {value}, unit = "{unit}" }}
sources = ["site-committee"]
"""

JUSTIFY = """
[[justifications]]
change = "{target}"
reason = "{reason}"
sources = ["site-committee"]
"""

CAP_DAY = "drugs.diltiazem.regimens.oral-weight-based.caps.day"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def diff_of(*roots: Path) -> list[dict[str, Any]]:
    base, new, _, _ = load_pair([str(r) for r in roots])
    return [c.to_dict() for c in diff_catalogs(base, new)]


def test_a_lower_cap_in_another_kind_lowers_the_bound(tmp_path: Path) -> None:
    """480 mg/d policy -> 360 mg/d policy (the docs' St Elsewhere example): lowered, safe."""
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=360, unit="mg/d"),
        },
    )
    assert diff_of(site) == [
        {
            "target": CAP_DAY,
            "aspect": "cap",
            "change": "lowered",
            "old": {"value": 480, "unit": "mg/d", "kind": "policy"},
            "new": {"value": 360, "unit": "mg/d", "kind": "policy"},
            "weakens": False,
        }
    ]


def test_a_cap_in_grams_is_compared_by_its_value(tmp_path: Path) -> None:
    """0.54 g/d is 540 mg/d, above 480 mg/d: raised, weakening; 0.48 g/d is no change."""
    up = write(
        tmp_path / "up",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=0.54, unit="g/d"),
        },
    )
    (change,) = diff_of(up)
    assert (change["target"], change["change"], change["weakens"]) == (CAP_DAY, "raised", True)
    assert change["new"] == {"value": 0.54, "unit": "g/d", "kind": "policy"}
    same = write(
        tmp_path / "same",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=0.48, unit="g/d"),
        },
    )
    assert diff_of(same) == []


def test_severity_rule_condition_and_regimens(tmp_path: Path) -> None:
    """Shipped: colchicine-crcl-below-10 contraindicated when crcl_below 10 mL/min;
    minocycline-age-under-8 contraindicated when age_below 8 a (all regimens)."""
    site = write(
        tmp_path / "site",
        {
            "drugs/colchicine.toml": 'id = "colchicine"\n[[rules]]\n'
                'id = "colchicine-crcl-below-10"\n'
            'severity = "major"\nwhen = { crcl_below = { value = 30, unit = "mL/min" } }\n',
            "drugs/minocycline.toml": 'id = "minocycline"\n[[rules]]\n'
                'id = "minocycline-age-under-8"\n'
            'when = { age_below = { value = 6, unit = "a" } }\n',
        },
    )
    by_target = {c["target"]: c for c in diff_of(site)}
    sev = by_target["drugs.colchicine.rules.colchicine-crcl-below-10.severity"]
    assert (sev["old"], sev["new"], sev["change"], sev["weakens"]) == (
        "contraindicated",
        "major",
        "lowered",
        True,
    )
    # below 30 mL/min instead of below 10: fires for more patients, widened (safe)
    when = by_target["drugs.colchicine.rules.colchicine-crcl-below-10.when"]
    assert (when["change"], when["weakens"]) == ("widened", False)
    # under 6 years instead of under 8: a 7-year-old is no longer covered
    age = by_target["drugs.minocycline.rules.minocycline-age-under-8.when"]
    assert (age["change"], age["weakens"]) == ("narrowed", True)
    assert age["old"] == {"age_below": {"value": 8, "unit": "a"}}
    assert len(by_target) == 3


def test_vocabulary_changes(tmp_path: Path) -> None:
    """clarithromycin: classes strong-cyp3a4-inhibitor and pgp-inhibitor (shipped); an overlay
    keeping only pgp-inhibitor removes one class. renal-impairment implies CrCl < 60 mL/min;
    30 lowers the band. A new condition is added."""
    site = write(
        tmp_path / "site",
        {
            "substances.toml": '[substances.clarithromycin]\nname = "clarithromycin"\n'
            'classes = ["pgp-inhibitor"]\n'
            'sources = ["colchicine-label-us", "ehj-2021-colchicine"]\n'
            'brands = ["Biaxin", "Klaricid"]\n',
            "conditions.toml": '[conditions.renal-impairment]\nname = "renal impairment"\n'
            'implies_crcl_below = { value = 30, unit = "mL/min" }\n'
            '[conditions.site-frailty]\nname = "frailty"\n',
        },
    )
    assert diff_of(site) == [
        {
            "target": "conditions.renal-impairment.implies_crcl_below",
            "aspect": "implied CrCl band",
            "change": "lowered",
            "old": {"value": 60, "unit": "mL/min"},
            "new": {"value": 30, "unit": "mL/min"},
            "weakens": True,
        },
        {
            "target": "conditions.site-frailty",
            "aspect": "condition",
            "change": "added",
            "old": None,
            "new": "frailty",
            "weakens": False,
        },
        {
            "target": "substances.clarithromycin.classes.strong-cyp3a4-inhibitor",
            "aspect": "substance class",
            "change": "removed",
            "old": "strong-cyp3a4-inhibitor",
            "new": None,
            "weakens": True,
        },
    ]


def test_added_regimen_and_rule(tmp_path: Path) -> None:
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": """
id = "diltiazem"

[[regimens]]
id = "site-not-dosable"
title = "Topical diltiazem (site)"
route = "topical"
dosable = false
evidence = "IV"
range_origin = "none"
sources = ["site-committee"]
not_dosable_reason = "compounded locally"

[[rules]]
id = "site-diltiazem-frailty"
kind = "warning"
severity = "moderate"
when = { age_at_least = { value = 80, unit = "a" } }
message = "Frail older patient."
management = "Start low."
sources = ["site-committee"]
""",
        },
    )
    assert diff_of(site) == [
        {
            "target": "drugs.diltiazem.regimens.site-not-dosable",
            "aspect": "regimen",
            "change": "added",
            "old": None,
            "new": "Topical diltiazem (site)",
            "weakens": False,
        },
        {
            "target": "drugs.diltiazem.rules.site-diltiazem-frailty",
            "aspect": "rule",
            "change": "added",
            "old": None,
            "new": "moderate",
            "weakens": False,
        },
    ]


def test_a_complete_set_as_base(tmp_path: Path) -> None:
    """BASE given first (a complete set): the overlay is compared with it, not with ours; and
    a complete set alone is compared with the shipped tables."""
    base = tmp_path / "base"
    shutil.copytree(Path(str(default_tables())), base)
    text = (base / "drugs" / "diltiazem.toml").read_text(encoding="utf-8")
    assert text.count('max = { value = 480, unit = "mg/d" }') == 2
    (base / "drugs" / "diltiazem.toml").write_text(
        text.replace(
            'max = { value = 480, unit = "mg/d" }', 'max = { value = 300, unit = "mg/d" }'
        ),
        encoding="utf-8",
    )
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=360, unit="mg/d"),
        },
    )
    (change,) = diff_of(base, site)  # 300 -> 360 over the base: raised
    assert (change["target"], change["change"], change["weakens"]) == (CAP_DAY, "raised", True)
    alone = diff_of(base)  # ours (480) -> base (300), both diltiazem regimens
    assert [(c["target"], c["change"]) for c in alone] == [
        (CAP_DAY, "lowered"),
        ("drugs.diltiazem.regimens.oral-weight-based-pediatric.caps.day", "lowered"),
    ]


def test_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["tables", "diff", str(empty)]) == 0
    assert "no clinically meaningful change" in capsys.readouterr().out
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=540, unit="mg/d"),
        },
    )
    assert main(["tables", "diff", str(site), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "calcidose/tables-diff/1"
    assert data["summary"] == {"changes": 1, "weakening": 1, "unjustified": 1}
    (row,) = data["changes"]
    assert (row["target"], row["overlay"], row["justification"]) == (CAP_DAY, "site", None)
    assert data["tables"]["overlays"][0]["name"] == "site"
    assert main(["tables", "diff", str(site)]) == 1
    out = capsys.readouterr().out
    assert "cap raised: 480 mg/d (policy) -> 540 mg/d (policy)" in out
    assert "WEAKENS SAFETY by site: no justification" in out
    bad = write(
        tmp_path / "bad", {"drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=360, unit="mg/d")}
    )
    assert main(["tables", "diff", str(bad)]) == 2  # site-committee is no source there
    assert "site-committee" in capsys.readouterr().err
    assert main(["tables", "diff", str(tmp_path / "missing")]) == 2


def test_justified_changes_are_shown_with_their_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=540, unit="mg/d"),
            "meta.toml": JUSTIFY.format(target=CAP_DAY, reason="ER label maximum 540 mg/day"),
        },
    )
    assert main(["tables", "diff", str(site)]) == 1
    out = capsys.readouterr().out
    assert (
        "WEAKENS SAFETY by site, justified: ER label maximum 540 mg/day (sources: site-committee)"
        in out
    )
    assert "1 change: 1 weakens safety, 0 without justification" in out


def test_two_overlays_name_the_last_that_changed(tmp_path: Path) -> None:
    """The first overlay lowers the cap to 360, the second to 300: one change 480 -> 300,
    made by the second."""
    first = write(
        tmp_path / "first",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=360, unit="mg/d"),
        },
    )
    second = write(
        tmp_path / "second",
        {"drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=300, unit="mg/d")},
    )
    base, new, _, overlays = load_pair([str(first), str(second)])
    assert overlays == (str(first), str(second))
    (change,) = diff_catalogs(base, new)
    assert (change.old["value"], change.new["value"]) == (480, 300)
    made = [c for c in new.changes if c.change.target == CAP_DAY]
    assert [c.overlay for c in made] == ["first", "second"]


def test_the_shipped_tables_have_no_difference_with_themselves() -> None:
    ours = load_catalog(use_env=False)
    assert diff_catalogs(ours, ours) == []
    with pytest.raises(TableError):
        load_pair([])


Q = lambda v, u: {"value": v, "unit": u}  # noqa: E731


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"condition": "x"}, {"any": [{"condition": "x"}, {"condition": "y"}]}, True),
        ({"any": [{"condition": "x"}, {"condition": "y"}]}, {"condition": "x"}, False),
        ({"all": [{"condition": "x"}, {"condition": "y"}]}, {"condition": "x"}, True),
        ({"condition": "x"}, {"all": [{"condition": "x"}, {"condition": "y"}]}, False),
        ({"crcl_below": Q(30, "mL/min")}, {"crcl_below": Q(60, "mL/min")}, True),
        ({"crcl_below": Q(60, "mL/min")}, {"crcl_below": Q(30, "mL/min")}, False),
        ({"age_at_least": Q(80, "a")}, {"age_at_least": Q(65, "a")}, True),
        ({"age_at_least": Q(65, "a")}, {"age_at_least": Q(80, "a")}, False),
        # not (age < 8) => not (age < 6): age >= 8 makes age >= 6
        ({"not": {"age_below": Q(8, "a")}}, {"not": {"age_below": Q(6, "a")}}, True),
        ({"not": {"age_below": Q(6, "a")}}, {"not": {"age_below": Q(8, "a")}}, False),
        ({"condition": "x"}, {"always": True}, True),
        ({"condition": "x"}, {"condition": "y"}, False),
    ],
)
def test_implies(a: Any, b: Any, expected: bool) -> None:
    assert implies(a, b) is expected


def test_exit_zero_reports_without_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=360, unit="mg/d"),
        },
    )
    assert main(["tables", "diff", str(site), "--exit-zero"]) == 0
    assert "cap lowered: 480 mg/d (policy) -> 360 mg/d (policy)" in capsys.readouterr().out
    bad = write(tmp_path / "bad", {"drugs/diltiazem.toml": "id = 1\n"})
    assert main(["tables", "diff", str(bad), "--exit-zero"]) == 2  # bad input stays bad


def test_pre_commit_hooks_run_calcidose_commands(tmp_path: Path) -> None:
    """Each hook of .pre-commit-hooks.yaml is a calcidose command that, given an overlay
    directory (as an institution's `args`), ends 0 on a valid overlay."""
    import shlex

    yaml = pytest.importorskip("yaml")
    root = Path(__file__).resolve().parent.parent
    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"calcidose-tables-validate", "calcidose-tables-diff"}
    site = write(
        tmp_path / "site",
        {
            "sources.toml": SOURCE,
            "drugs/diltiazem.toml": DILTIAZEM_CAP.format(value=360, unit="mg/d"),
        },
    )
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        words = shlex.split(hook["entry"])
        assert words[0] == "calcidose"
        assert main([*words[1:], str(site)]) == 0, hook["id"]
