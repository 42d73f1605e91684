"""Broken tables: every defect is reported with its exact file, entry and field, never skipped.

``tests/fixtures/bad_tables/`` holds ``_base/`` (a complete, valid set of tables) and one
directory per defect: the base with one thing broken, or a small overlay over the shipped
tables. ``expected.toml`` says, for each, the problems it must give: the file, the entry, the
exact field path (``$.regimens[0].dose.low.unit``) and a part of the message. The expected
paths come from the defect put in the fixture, not from running the validator.

Each fixture goes through ``validate_directory`` (all problems, exactly), ``load_catalog``
(refused as a whole with a TableError), ``calcidose tables validate`` (exit 1, one line per
problem) and, for a few, ``CALCIDOSE_TABLES`` with an ordinary command (one line, exit 2).
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from strategies import hang_guard

from calcidose.catalog import load_catalog, validate_directory
from calcidose.cli import main
from calcidose.engine.dosing import dose
from calcidose.errors import TableError, TableProblem
from calcidose.patient import Patient

ROOT = Path(__file__).parent / "fixtures" / "bad_tables"
BASE = ROOT / "_base"
with open(ROOT / "expected.toml", "rb") as _handle:
    MANIFEST: dict[str, dict[str, Any]] = tomllib.load(_handle)["fixture"]
VOCABULARY_FILES = ("sources.toml", "conditions.toml", "substances.toml", "meta.toml")


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    with hang_guard(30):
        yield


def _params(*, flag: str | None = None, skip_key: str | None = None) -> list[Any]:
    out = []
    for name, spec in sorted(MANIFEST.items()):
        if skip_key and spec.get(skip_key) is False:
            continue
        marks = []
        reason = spec.get("xfail") or (spec.get(flag) if flag else None)
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        out.append(pytest.param(name, id=name, marks=marks))
    return out


def _label(name: str, problem: dict[str, Any]) -> str:
    return f"{ROOT / name}/{problem['file']}"


def _own(name: str, problems: list[TableProblem]) -> list[TableProblem]:
    """The problems that belong to the fixture (an overlay is validated with our tables)."""
    prefix = f"{ROOT / name}/"
    return [p for p in problems if p.file.startswith(prefix) or p.file in VOCABULARY_FILES]


# --- the fixture set -----------------------------------------------------------------------------


def test_manifest_lists_every_fixture() -> None:
    directories = {p.name for p in ROOT.iterdir() if p.is_dir() and p.name != "_base"}
    assert directories == set(MANIFEST)
    assert len(directories) >= 30, "issue 6 asks for at least 30 broken table fixtures"


def test_base_is_valid_and_doses_by_hand() -> None:
    """The control: without its defect, a fixture is a valid set that gives the expected dose."""
    assert validate_directory(BASE) == []
    catalog = load_catalog(BASE, use_env=False)
    patient = Patient(weight="70 kg", age="54 years", sex="female", pregnant=False)
    plan = dose("fixdrug", patient, catalog=catalog)
    # 2 x 70 = 140 mg/day; 4 x 70 = 280 mg/day (cap 480 mg/day not reached)
    assert plan.dose is not None
    assert (plan.dose.low, plan.dose.high, plan.dose.unit) == (140, 280, "mg/d")


# --- validate_directory: every problem, exactly --------------------------------------------------


@pytest.mark.parametrize("name", _params())
def test_validate_reports_exact_problems(name: str) -> None:
    spec = MANIFEST[name]
    found = _own(name, validate_directory(ROOT / name))
    expected = Counter((_label(name, p), p["entry"], p["field"]) for p in spec["problems"])
    assert Counter((p.file, p.entry, p.field) for p in found) == expected, found
    for problem in spec["problems"]:
        match = next(
            p
            for p in found
            if (p.file, p.entry, p.field)
            == (_label(name, problem), problem["entry"], problem["field"])
        )
        assert problem["message"] in match.message, match
        assert match.message.strip()


def test_not_a_directory(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    assert validate_directory(missing) == [TableProblem(str(missing), "", "", "not a directory")]
    with pytest.raises(TableError) as info:
        load_catalog(missing, use_env=False)
    assert info.value.problems[0].file == str(missing)


# --- load_catalog: all or nothing ----------------------------------------------------------------


@pytest.mark.parametrize("name", _params(flag="load_xfail", skip_key="load"))
def test_load_catalog_refuses(name: str) -> None:
    spec = MANIFEST[name]
    with pytest.raises(TableError) as info:
        load_catalog(ROOT / name, use_env=False)
    found = {(p.file, p.field) for p in _own(name, list(info.value.problems))}
    first = spec["problems"][0]
    field = spec.get("load_field", first["field"])
    file = _label(name, first)
    assert (file, field) in found, found
    assert str(info.value), "the error message names the first problem"


# --- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", _params())
def test_cli_tables_validate(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tables", "validate", str(ROOT / name)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err == ""
    lines = out.splitlines()
    for problem in MANIFEST[name]["problems"]:
        where = ":".join(
            part for part in (_label(name, problem), problem["entry"], problem["field"]) if part
        )
        assert any(line.startswith(where + ": ") for line in lines), (where, lines)


def test_cli_tables_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "dose-unit-wrong-dimension"
    assert main(["tables", "validate", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    fields = [(p["file"], p["field"]) for p in report["problems"]]
    assert fields == [
        (f"{path}/drugs/fixdrug.toml", "$.regimens[0].dose.low.unit"),
        (f"{path}/drugs/fixdrug.toml", "$.regimens[0].dose.high.unit"),
    ]


def test_cli_tables_validate_base_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tables", "validate", str(BASE)]) == 0
    assert capsys.readouterr().out.startswith("valid: ")


@pytest.mark.parametrize(
    "name",
    [
        "dose-unit-wrong-dimension",
        "cap-decimal-slip",
        "overlay-cap-unit",
        "overlay-bad-toml",
        "rule-unknown-condition",
        pytest.param(
            "rule-deep-predicate",
        ),
    ],
)
def test_cli_env_overlay_one_line_exit_2(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CALCIDOSE_TABLES", str(ROOT / name))
    code = main(["dose", "diltiazem", "--weight", "70kg"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("calcidose: error: ") and err.count("\n") == 1, err
    assert str(ROOT / name) in err


# --- bugs found by the fixtures -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["condition-unknown-source", "substance-unknown-class"])
def test_vocabulary_problems_name_their_directory(name: str) -> None:
    found = validate_directory(ROOT / name)
    assert found, "the fixture has a problem"
    assert all(p.file.startswith(f"{ROOT / name}/") for p in found), found


# --- the semantic checks, reached directly -------------------------------------------------------
# validate_directory checks the published JSON Schema first and stops there, so several meaning
# checks of calcidose.catalog.validate are only reached by tables that pass the schema, or by
# catalogs built in Python. Each case below is the reference catalog of tests/strategies.py with one
# defect, and the exact problems validate_catalog must give (file, entry, field, message).

import attrs  # noqa: E402
from strategies import SOURCES, _catalog, q, reference_catalog  # noqa: E402

from calcidose.catalog.model import Cap, Catalog, Course, Product, RuleAdjustment  # noqa: E402
from calcidose.catalog.validate import PREDICATE_LEAVES, validate_catalog  # noqa: E402
from calcidose.frequency import FREQUENCIES  # noqa: E402

REF = reference_catalog()
LABELS = {"refdrug": "drugs/refdrug.toml"}  # weeklydrug has no label: its file is its id
R = "drugs/refdrug.toml"


def _replace(drug: Any, **vocabulary: Any) -> Catalog:
    drugs = [drug if d.id == drug.id else d for d in REF.drugs.values()]
    vocab = {
        "meta": REF.meta,
        "sources": REF.sources,
        "conditions": REF.conditions,
        "classes": REF.classes,
        "substances": REF.substances,
        **vocabulary,
    }
    return _catalog(drugs, vocab)


def drug(**changes: Any) -> Catalog:
    return _replace(attrs.evolve(REF.drugs["refdrug"], **changes))


def regimen(**changes: Any) -> Catalog:
    base = REF.drugs["refdrug"]
    return _replace(attrs.evolve(base, regimens=(attrs.evolve(base.regimens[0], **changes),)))


def dose_range(**changes: Any) -> Catalog:
    spec = REF.drugs["refdrug"].regimens[0].dose
    return regimen(dose=attrs.evolve(spec, **changes))


def weekly(**changes: Any) -> Catalog:
    base = REF.drugs["weeklydrug"]
    return _replace(attrs.evolve(base, regimens=(attrs.evolve(base.regimens[0], **changes),)))


def rule(**changes: Any) -> Catalog:
    base = REF.drugs["refdrug"]
    rules = (attrs.evolve(base.rules[0], **changes), *base.rules[1:])
    return _replace(attrs.evolve(base, rules=rules))


def when(predicate: Any) -> Catalog:
    return rule(when=predicate)


def vocab(**changes: Any) -> Catalog:
    return _replace(REF.drugs["refdrug"], **changes)


def P(field: str, message: str, file: str = R, entry: str = "refdrug") -> TableProblem:
    return TableProblem(file, entry, field, message)


REG = "$.regimens[0]"
KNOWN_IDS = ", ".join(f.id for f in FREQUENCIES)
LEAVES = ", ".join(PREDICATE_LEAVES)
GRADES = "IA, IB, IIA, IIB, III, IV, label, animal, not-graded"
_ref_regimen = REF.drugs["refdrug"].regimens[0]
_weekly_regimen = REF.drugs["weeklydrug"].regimens[0]
_label_cap = _ref_regimen.caps[0]

SEMANTIC: list[tuple[str, Catalog, list[TableProblem]]] = [
    ("reference catalog", REF, []),
    # vocabularies
    (
        "source title blank",
        vocab(
            sources={**REF.sources, "ref-label": attrs.evolve(REF.sources["ref-label"], title=" ")}
        ),
        [P("$.title", "must not be empty", "sources.toml", "ref-label")],
    ),
    (
        "source checked blank",
        vocab(
            sources={**REF.sources, "ref-label": attrs.evolve(REF.sources["ref-label"], checked="")}
        ),
        [P("$.checked", "must not be empty", "sources.toml", "ref-label")],
    ),
    (
        "condition unknown source",
        vocab(
            conditions={
                **REF.conditions,
                "ref-block": attrs.evolve(REF.conditions["ref-block"], sources=("nope",)),
            }
        ),
        [
            P(
                "$.sources[0]",
                "unknown source 'nope' (not in sources.toml)",
                "conditions.toml",
                "ref-block",
            )
        ],
    ),
    (
        "class unknown source",
        vocab(
            classes={
                "ref-inhibitor": attrs.evolve(
                    REF.classes["ref-inhibitor"], sources=("ref-label", "nope")
                )
            }
        ),
        [
            P(
                "$.sources[1]",
                "unknown source 'nope' (not in sources.toml)",
                "substances.toml",
                "ref-inhibitor",
            )
        ],
    ),
    (
        "substance unknown source and class",
        vocab(
            substances={
                **REF.substances,
                "ref-interactor": attrs.evolve(
                    REF.substances["ref-interactor"], classes=("nope",), sources=("gone",)
                ),
            }
        ),
        [
            P(
                "$.sources[0]",
                "unknown source 'gone' (not in sources.toml)",
                "substances.toml",
                "ref-interactor",
            ),
            P(
                "$.classes[0]",
                "unknown class 'nope' (not in substances.toml)",
                "substances.toml",
                "ref-interactor",
            ),
        ],
    ),
    (
        "substance named like a drug",
        vocab(
            substances={
                **REF.substances,
                "weeklydrug": attrs.evolve(REF.substances["ref-harmless"], id="weeklydrug"),
            }
        ),
        [
            P(
                "$.id",
                "is a catalog drug id; give its classes in the drug file",
                "substances.toml",
                "weeklydrug",
            )
        ],
    ),
    # drugs
    ("drug without sources", drug(sources=()), [P("$.sources", "needs at least one source")]),
    (
        "drug unknown class",
        drug(classes=("ref-inhibitor", "nope")),
        [P("$.classes[1]", "unknown class 'nope' (not in substances.toml)")],
    ),
    ("drug summary blank", drug(summary="  "), [P("$.summary", "must not be empty")]),
    (
        "drug without regimens",
        drug(regimens=(), rules=()),
        [P("$.regimens", "needs at least one regimen (a not-dosable one says why)")],
    ),
    (
        "duplicate regimen id",
        drug(regimens=(_ref_regimen, _ref_regimen)),
        [P("$.regimens[1].id", "duplicate regimen id 'oral'")],
    ),
    # regimens
    (
        "dosable regimen without sources",
        regimen(sources=()),
        [P(f"{REG}.sources", "needs at least one source")],
    ),
    (
        "regimen unknown source",
        regimen(sources=("ref-paper", "nope")),
        [P(f"{REG}.sources[1]", "unknown source 'nope' (not in sources.toml)")],
    ),
    (
        "evidence grade",
        regimen(evidence="V"),
        [P(f"{REG}.evidence", f"'V' is not a grade; use one of {GRADES}")],
    ),
    (
        "calcinosis type",
        regimen(calcinosis_types=("dystrophic", "tumoral")),
        [P(f"{REG}.calcinosis_types[1]", "unknown calcinosis type 'tumoral'")],
    ),
    (
        "min age in kg",
        regimen(population=attrs.evolve(_ref_regimen.population, min_age=q(18, "kg"))),
        [P(f"{REG}.population.min_age.unit", "unit 'kg' is a weight; this field needs time")],
    ),
    (
        "max age in mg",
        regimen(population=attrs.evolve(_ref_regimen.population, max_age=q(18, "mg"))),
        [P(f"{REG}.population.max_age.unit", "unit 'mg' is a amount; this field needs time")],
    ),
    (
        "min age equals max age",
        regimen(population=attrs.evolve(_ref_regimen.population, max_age=q(216, "mo"))),
        [P(f"{REG}.population", "min_age must be below max_age")],
    ),
    (
        "unknown frequency",
        regimen(frequencies=("three-times-daily", "qd")),
        [P(f"{REG}.frequencies[1]", f"unknown frequency id 'qd'; known ids: {KNOWN_IDS}")],
    ),
    (
        "dosable with a reason",
        regimen(not_dosable_reason="none"),
        [P(f"{REG}.not_dosable_reason", "a dosable regimen has no such reason")],
    ),
    (
        "dosable without a dose",
        regimen(dose=None, caps=()),
        [P(f"{REG}.dose", "a dosable regimen needs a dose range")],
    ),
    (
        "not dosable without a reason",
        regimen(dosable=False, dose=None, caps=(), sources=()),
        [P(f"{REG}.not_dosable_reason", "a not-dosable regimen must say why")],
    ),
    (
        "not dosable with a dose",
        regimen(dosable=False, not_dosable_reason="no source"),
        [P(f"{REG}.dose", "a not-dosable regimen must not carry a dose range")],
    ),
    (
        "product without sources",
        regimen(products=(attrs.evolve(_ref_regimen.products[0], sources=()),)),
        [P(f"{REG}.products[0].sources", "needs at least one source")],
    ),
    (
        "product frequency not in regimen",
        regimen(
            products=(
                attrs.evolve(
                    _ref_regimen.products[0], frequencies=("three-times-daily", "four-times-daily")
                ),
            )
        ),
        [
            P(
                f"{REG}.products[0].frequencies[1]",
                "'four-times-daily' is not one of the regimen's frequencies",
            )
        ],
    ),
    (
        "strength per day",
        regimen(
            products=(
                attrs.evolve(_ref_regimen.products[0], strengths=(q(30, "mg"), q(60, "mg/d"))),
            )
        ),
        [
            P(
                f"{REG}.products[0].strengths[1].unit",
                "unit 'mg/d' is a amount/day; this field needs amount or volume",
            )
        ],
    ),
    (
        "concentration in mg",
        regimen(
            products=(
                Product("solution", ("once-daily",), concentration=q(5, "mg"), sources=SOURCES),
            )
        ),
        [
            P(
                f"{REG}.products[0].concentration.unit",
                "unit 'mg' is a amount; this field needs concentration or content",
            )
        ],
    ),
    (
        "product cap without sources",
        regimen(
            products=(
                attrs.evolve(
                    _ref_regimen.products[0], caps=(attrs.evolve(_label_cap, sources=()),)
                ),
            )
        ),
        [P(f"{REG}.products[0].caps[0].sources", "needs at least one source")],
    ),
    (
        "product cap per day in weeks",
        regimen(
            products=(
                attrs.evolve(
                    _ref_regimen.products[0], caps=(attrs.evolve(_label_cap, max=q(480, "mg/wk")),)
                ),
            )
        ),
        [
            P(
                f"{REG}.products[0].caps[0].max.unit",
                "unit 'mg/wk' is a amount/week; this field needs amount/day or amount/weight/day",
            )
        ],
    ),
    (
        "product with neither",
        regimen(products=(Product("tablet", sources=SOURCES),)),
        [P(f"{REG}.products[0]", "a product needs strengths or a concentration")],
    ),
    (
        "course interval in mg",
        regimen(course=Course(interval=q(14, "mg"))),
        [P(f"{REG}.course.interval.unit", "unit 'mg' is a amount; this field needs time")],
    ),
    (
        "course repeat in kg",
        regimen(course=Course(repeat_every=q(4, "kg"))),
        [P(f"{REG}.course.repeat_every.unit", "unit 'kg' is a weight; this field needs time")],
    ),
    (
        "course of 0 administrations",
        regimen(course=Course(administrations=0)),
        [P(f"{REG}.course.administrations", "must be at least 1")],
    ),
    ("course of 1 administration", regimen(course=Course(administrations=1)), []),
    (
        "course min 0 days",
        regimen(course=Course(min_days=0, max_days=3)),
        [P(f"{REG}.course", "min_days and max_days must be at least 1")],
    ),
    (
        "course max 0 days",
        regimen(course=Course(max_days=0)),
        [P(f"{REG}.course", "min_days and max_days must be at least 1")],
    ),
    ("course of 1 day", regimen(course=Course(min_days=1, max_days=1)), []),
    (
        "course min above max",
        regimen(course=Course(min_days=3, max_days=2)),
        [P(f"{REG}.course", "min_days must not exceed max_days")],
    ),
    # dose ranges
    (
        "dose without sources",
        dose_range(sources=()),
        [P(f"{REG}.dose.sources", "needs at least one source")],
    ),
    (
        "weekly dose scaled by weight",
        dose_range(basis="per-week"),
        [P(f"{REG}.dose", "basis 'per-week' cannot be scaled by 'weight'")],
    ),
    (
        "dose unit not UCUM",
        dose_range(low=q(2, "mg/kg/day")),
        [P(f"{REG}.dose.low.unit", "unit 'mg/kg/day' is not an accepted UCUM code")],
    ),
    (
        "dose per day fixed on a weight scale",
        dose_range(low=q(2, "mg/d"), high=q(4, "mg/d")),
        [
            P(
                f"{REG}.dose.low.unit",
                "unit 'mg/d' is a amount/day; this field needs amount/weight/day",
            ),
            P(
                f"{REG}.dose.high.unit",
                "unit 'mg/d' is a amount/day; this field needs amount/weight/day",
            ),
        ],
    ),
    (
        "dose value True",
        dose_range(low=q(True, "mg/kg/d")),  # type: ignore[arg-type]
        [P(f"{REG}.dose.low.value", "True is not a number")],
    ),
    (
        "dose value NaN",
        dose_range(high=q(float("nan"), "mg/kg/d")),
        [P(f"{REG}.dose.high.value", "nan is not a number")],
    ),
    (
        "dose value text",
        dose_range(high=q("4", "mg/kg/d")),  # type: ignore[arg-type]
        [P(f"{REG}.dose.high.value", "'4' is not a number")],
    ),
    (
        "dose value zero",
        dose_range(low=q(0, "mg/kg/d")),
        [P(f"{REG}.dose.low.value", "0 must be greater than zero")],
    ),
    ("dose at the plausibility ceiling", dose_range(high=q(1000, "mg/kg/d")), []),
    (
        "dose above the plausibility ceiling",
        dose_range(high=q(1000.5, "mg/kg/d")),
        [
            P(
                f"{REG}.dose.high.value",
                "1000.5 mg/kg/d is outside the plausibility window for "
                "amount/weight/day (at most 1,000 in canonical units)",
            )
        ],
    ),
    (
        "low and high in different units",
        dose_range(high=q(4000, "ug/kg/d")),
        [P(f"{REG}.dose.high.unit", "low and high must use the same unit")],
    ),
    (
        "low above high",
        dose_range(low=q(5, "mg/kg/d")),
        [P(f"{REG}.dose.low", "low must not exceed high")],
    ),
    (
        "per-day regimen given weekly",
        regimen(frequencies=("three-times-daily", "once-weekly")),
        [P(f"{REG}.frequencies", "'once-weekly' is not daily; a per-day regimen cannot use it")],
    ),
    (
        "per-day regimen without frequencies",
        regimen(frequencies=(), products=()),
        [P(f"{REG}.frequencies", "a per-day regimen needs its frequencies")],
    ),
    (
        "per-week regimen without frequencies",
        weekly(frequencies=(), products=()),
        [
            P(
                f"{REG}.frequencies",
                "a per-week regimen needs its frequencies",
                "weeklydrug",
                "weeklydrug",
            )
        ],
    ),
    (
        "per-administration regimen without frequencies",
        regimen(
            frequencies=(),
            products=(),
            caps=(),
            dose=attrs.evolve(
                _ref_regimen.dose, basis="per-administration", low=q(2, "mg/kg"), high=q(4, "mg/kg")
            ),
        ),
        [],
    ),
    (
        "per-week regimen given daily",
        weekly(frequencies=("once-daily",), products=()),
        [
            P(
                f"{REG}.frequencies",
                "'once-daily' is not weekly; a per-week regimen cannot use it",
                "weeklydrug",
                "weeklydrug",
            )
        ],
    ),
    # caps
    (
        "cap without sources",
        regimen(caps=(attrs.evolve(_label_cap, sources=()),)),
        [P(f"{REG}.caps[0].sources", "needs at least one source")],
    ),
    (
        "cap per day in mg",
        regimen(caps=(attrs.evolve(_label_cap, max=q(480, "mg")),)),
        # a cap per day may be per kg too (issue 10 section 2: 4 mg/kg/day), so both are named
        [
            P(
                f"{REG}.caps[0].max.unit",
                "unit 'mg' is a amount; this field needs amount/day or amount/weight/day",
            )
        ],
    ),
    (
        "weekly cap on a daily regimen",
        regimen(caps=(Cap("label", "week", q(480, "mg/wk"), SOURCES),)),
        [P(f"{REG}.caps[0].per", "a weekly cap on a regimen that is not weekly")],
    ),
    (
        "daily cap on a weekly regimen",
        weekly(caps=(*_weekly_regimen.caps, Cap("label", "day", q(5, "mg/d"), SOURCES))),
        [P(f"{REG}.caps[1].per", "a daily cap on a weekly regimen", "weeklydrug", "weeklydrug")],
    ),
    (
        "weekly cap below a fixed weekly range",
        weekly(caps=(Cap("label", "week", q(5, "mg/wk"), SOURCES),)),
        [
            P(
                f"{REG}.caps[0].max",
                "the cap is below the low end of the range",
                "weeklydrug",
                "weeklydrug",
            )
        ],
    ),
    (
        "daily cap below a weight-scaled range is not compared",
        regimen(caps=(attrs.evolve(_label_cap, max=q(1, "mg/d")),)),
        [],
    ),
    (
        "cap of another basis is not compared",
        weekly(caps=(*_weekly_regimen.caps, Cap("policy", "administration", q(1, "mg"), SOURCES))),
        [],
    ),
    # rules
    (
        "rule without sources",
        rule(sources=()),
        [P("$.rules[0].sources", "needs at least one source")],
    ),
    ("rule message blank", rule(message=" "), [P("$.rules[0].message", "must not be empty")]),
    (
        "rule management blank",
        rule(management=""),
        [P("$.rules[0].management", "must not be empty")],
    ),
    (
        "rule unknown regimen",
        rule(regimens=("oral", "iv")),
        [P("$.rules[0].regimens[1]", "unknown regimen 'iv'")],
    ),
    (
        "dose adjustment without limits",
        rule(kind="dose-adjustment"),
        [P("$.rules[0].adjust", "a dose-adjustment rule needs at least one limit")],
    ),
    (
        "separation without interval",
        rule(kind="separation"),
        [P("$.rules[0].separate", "a separation rule needs the interval")],
    ),
    (
        "separation in mg",
        rule(kind="separation", separate=q(2, "mg")),
        [P("$.rules[0].separate.unit", "unit 'mg' is a amount; this field needs time")],
    ),
    ("separation of 2 h", rule(kind="separation", separate=q(2, "h")), []),
    (
        "adjustment without sources",
        rule(adjust=(RuleAdjustment("day", q(100, "mg/d"), ()),)),
        [P("$.rules[0].adjust[0].sources", "needs at least one source")],
    ),
    (
        "adjustment in mg per day",
        rule(adjust=(RuleAdjustment("day", q(100, "mg"), SOURCES),)),
        [
            P(
                "$.rules[0].adjust[0].max.unit",
                "unit 'mg' is a amount; this field needs amount/day or amount/weight/day",
            )
        ],
    ),
    (
        "duplicate rule id across drugs",
        _replace(
            attrs.evolve(
                REF.drugs["weeklydrug"], rules=(attrs.evolve(REF.drugs["refdrug"].rules[0]),)
            )
        ),
        [
            P(
                "$.rules[0].id",
                "rule id 'ref-block' also used in refdrug",
                "weeklydrug",
                "weeklydrug",
            )
        ],
    ),
    # predicates
    ("empty predicate", when({}), [P("$.rules[0].when", "a predicate must be a non-empty table")]),
    (
        "predicate not a table",
        when(["condition"]),
        [P("$.rules[0].when", "a predicate must be a non-empty table")],
    ),
    (
        "all with a leaf beside it",
        when({"all": [{"always": True}], "condition": "ref-block"}),
        [P("$.rules[0].when", "'all'/'any' must stand alone in their table")],
    ),
    (
        "any empty",
        when({"any": []}),
        [P("$.rules[0].when.any", "must be a non-empty list of predicates")],
    ),
    (
        "all not a list",
        when({"all": {"always": True}}),
        [P("$.rules[0].when.all", "must be a non-empty list of predicates")],
    ),
    (
        "nested unknown condition",
        when({"all": [{"always": True}, {"condition": "nope"}]}),
        [
            P(
                "$.rules[0].when.all[1].condition",
                "unknown condition 'nope' (not in conditions.toml)",
            )
        ],
    ),
    (
        "not with a leaf beside it",
        when({"not": {"always": True}, "sex": "male"}),
        [P("$.rules[0].when", "'not' must stand alone in its table")],
    ),
    (
        "not of an unknown class",
        when({"not": {"taking_class": "nope"}}),
        [P("$.rules[0].when.not.taking_class", "unknown class 'nope' (not in substances.toml)")],
    ),
    (
        "lab unknown",
        when({"lab": "hiv", "equals": "positive"}),
        [P("$.rules[0].when.lab", "unknown lab 'hiv'; known: hbsag, anti-hbc, tb-screen")],
    ),
    (
        "lab value",
        when({"lab": "hbsag", "equals": "pos"}),
        [P("$.rules[0].when.equals", "hbsag takes positive, negative")],
    ),
    (
        "two leaves",
        when({"condition": "ref-block", "pregnant": True}),
        [P("$.rules[0].when", "one leaf per table, got condition, pregnant")],
    ),
    (
        "unknown leaf",
        when({"kidney": "bad"}),
        [P("$.rules[0].when.kidney", f"unknown predicate 'kidney'; known: {LEAVES}")],
    ),
    (
        "quantity leaf without unit",
        when({"age_below": {"value": 12}}),
        [P("$.rules[0].when.age_below", "must be a quantity { value = ..., unit = ... }")],
    ),
    (
        "quantity leaf as a number",
        when({"crcl_below": 30}),
        [P("$.rules[0].when.crcl_below", "must be a quantity { value = ..., unit = ... }")],
    ),
    (
        "quantity leaf in the wrong unit",
        when({"weight_below": {"value": 40, "unit": "a"}}),
        [P("$.rules[0].when.weight_below.unit", "unit 'a' is a time; this field needs weight")],
    ),
    (
        "condition not text",
        when({"condition": 5}),
        [P("$.rules[0].when.condition", "must be a str")],
    ),
    ("always not a bool", when({"always": "yes"}), [P("$.rules[0].when.always", "must be a bool")]),
    ("always false", when({"always": False}), [P("$.rules[0].when.always", "always must be true")]),
    (
        "pregnant false",
        when({"pregnant": False}),
        [P("$.rules[0].when.pregnant", "write { not = { pregnant = true } } instead of false")],
    ),
    (
        "lactating false",
        when({"lactating": False}),
        [P("$.rules[0].when.lactating", "write { not = { lactating = true } } instead of false")],
    ),
    (
        "childbearing_potential false",
        when({"childbearing_potential": False}),
        [
            P(
                "$.rules[0].when.childbearing_potential",
                "write { not = { childbearing_potential = true } } instead of false",
            )
        ],
    ),
    ("childbearing_potential true", when({"childbearing_potential": True}), []),
    (
        "unknown substance",
        when({"taking": "nope"}),
        [P("$.rules[0].when.taking", "unknown drug or substance 'nope'")],
    ),
    ("taking a catalog drug", when({"taking": "weeklydrug"}), []),
    ("taking a substance", when({"taking": "ref-harmless"}), []),
    ("sex f", when({"sex": "f"}), [P("$.rules[0].when.sex", "sex is 'female' or 'male'")]),
    ("sex female and male", when({"any": [{"sex": "female"}, {"sex": "male"}]}), []),
    (
        "lab and every leaf well formed",
        when(
            {
                "all": [
                    {"lab": "tb-screen", "equals": "positive"},
                    {"age_at_least": {"value": 65, "unit": "a"}},
                    {"egfr_below": {"value": 30, "unit": "mL/min/{1.73_m2}"}},
                    {"lactating": True},
                    {"weight_at_least": {"value": 100, "unit": "kg"}},
                    {"crcl_at_least": {"value": 10, "unit": "mL/min"}},
                ]
            }
        ),
        [],
    ),
]


@pytest.mark.parametrize(
    ("catalog", "expected"),
    [pytest.param(c, e, id=name) for name, c, e in SEMANTIC],
)
def test_semantic_checks(catalog: Catalog, expected: list[TableProblem]) -> None:
    assert validate_catalog(catalog, LABELS) == expected


def test_semantic_catalog_has_no_shared_state() -> None:
    """The checker starts from an empty file and entry: a problem found first is still placed."""
    catalog = vocab(
        sources={**REF.sources, "ref-paper": attrs.evolve(REF.sources["ref-paper"], citation="")}
    )
    assert validate_catalog(catalog, {}) == [
        P("$.citation", "must not be empty", "sources.toml", "ref-paper")
    ]
    assert validate_catalog(rule(sources=()), {}) == [
        P("$.rules[0].sources", "needs at least one source", "refdrug")
    ]


def _nested(kind: str, depth: int) -> Any:
    node: Any = {"condition": "ref-block"}
    for _ in range(depth):
        node = {"not": node} if kind == "not" else {kind: [{"always": True}, node]}
    return node


@pytest.mark.parametrize("kind", ["not", "all", "any"])
def test_predicate_depth_limit(kind: str) -> None:
    """MAX_PREDICATE_DEPTH = 16: a leaf 16 levels down is fine, 17 is refused where it is."""
    from calcidose.catalog.validate import MAX_PREDICATE_DEPTH

    assert MAX_PREDICATE_DEPTH == 16
    assert validate_catalog(when(_nested(kind, 16)), LABELS) == []
    too_deep = "predicates nest at most 16 levels deep"
    if kind == "not":
        expected = [P("$.rules[0].when" + ".not" * 17, too_deep)]
    else:  # level 17 holds both the {always = true} and the deeper node
        prefix = "$.rules[0].when" + f".{kind}[1]" * 16
        expected = [P(f"{prefix}.{kind}[0]", too_deep), P(f"{prefix}.{kind}[1]", too_deep)]
    assert validate_catalog(when(_nested(kind, 17)), LABELS) == expected


def test_caps_of_a_not_dosable_regimen_are_checked() -> None:
    catalog = _replace(
        attrs.evolve(
            REF.drugs["notdosable"],
            regimens=(
                attrs.evolve(
                    REF.drugs["notdosable"].regimens[0], caps=(Cap("label", "day", q(5, "mg"), ()),)
                ),
            ),
        )
    )
    assert validate_catalog(catalog, {"notdosable": "drugs/notdosable.toml"}) == [
        P(
            "$.regimens[0].caps[0].sources",
            "needs at least one source",
            "drugs/notdosable.toml",
            "notdosable",
        ),
        P(
            "$.regimens[0].caps[0].max.unit",
            "unit 'mg' is a amount; this field needs amount/day or amount/weight/day",
            "drugs/notdosable.toml",
            "notdosable",
        ),
    ]


def test_rule_limits_per_kg_and_per_administration() -> None:
    ok = rule(
        kind="dose-adjustment",
        adjust=(
            RuleAdjustment("day", q(5, "mg/kg/d"), SOURCES),
            RuleAdjustment("administration", q(50, "mg"), SOURCES),
            RuleAdjustment("week", q(50, "mg/wk"), SOURCES),
        ),
    )
    assert validate_catalog(ok, LABELS) == []
    bad = rule(
        kind="dose-adjustment", adjust=(RuleAdjustment("administration", q(5, "mg/d"), SOURCES),)
    )
    assert validate_catalog(bad, LABELS) == [
        P(
            "$.rules[0].adjust[0].max.unit",
            "unit 'mg/d' is a amount/day; this field needs amount or amount/weight or volume",
        )
    ]


def test_vocabulary_problems_use_the_file_they_come_from() -> None:
    catalog = vocab(
        classes={"ref-inhibitor": attrs.evolve(REF.classes["ref-inhibitor"], sources=("nope",))}
    )
    where = {("classes", "ref-inhibitor"): "overlay/substances.toml"}
    assert validate_catalog(catalog, LABELS, where) == [
        P(
            "$.sources[0]",
            "unknown source 'nope' (not in sources.toml)",
            "overlay/substances.toml",
            "ref-inhibitor",
        )
    ]


def test_a_table_problem_is_a_named_tuple() -> None:
    # where and what, as a tuple with names: equal by value, shown with its fields, pickled
    import pickle

    from calcidose.errors import TableProblem

    problem = TableProblem("drugs/x.toml", "x", "regimens[0]", "no dose")
    assert problem == ("drugs/x.toml", "x", "regimens[0]", "no dose")
    assert (problem.file, problem.entry, problem.field) == ("drugs/x.toml", "x", "regimens[0]")
    assert str(problem) == "drugs/x.toml:x:regimens[0]: no dose"
    assert repr(problem) == (
        "TableProblem(file='drugs/x.toml', entry='x', field='regimens[0]', message='no dose')"
    )
    copy = pickle.loads(pickle.dumps(problem))
    assert copy == problem and type(copy) is TableProblem
    assert problem._replace(message="other").message == "other"
