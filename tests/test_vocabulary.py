"""The vocabulary of common medications (issue 11, section 2): brands and synonyms resolve
exactly (case and separators aside) to substances whose classes make the rules fire; a
medication with no rule-relevant class screens clean; an unknown name stays cannot-check with
suggestions that are never applied; names are validated (a name of two entries is refused).

Expected firings are written from the sources the classes cite: the FDA table of CYP3A and P-gp
inhibitors (clarithromycin and ritonavir strong CYP3A inhibitors; fluconazole and ciprofloxacin
moderate), the WHO ATC index (carvedilol C07AG02 a beta-blocker, digoxin C01AA05, isotretinoin
D10BA01, amoxicillin-clavulanate J01CR02, cefalexin J01DB01, etanercept L04AB01) and
Perazella 2018 Table 1 (NSAIDs nephrotoxic). The colchicine US label limits prophylaxis to
0.3 mg/day with a strong CYP3A4 inhibitor and to 0.6 mg/day with a moderate one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calcidose
from calcidose.catalog import default_tables, get_catalog, load_catalog, vocabulary
from calcidose.engine import rules
from calcidose.errors import TableError
from calcidose.patient import Patient

CAT = get_catalog()
TABLES = Path(str(default_tables()))


def adult(**kw: Any) -> Patient:
    base: dict[str, Any] = {
        "weight": "70 kg",
        "age": "60 years",
        "sex": "male",
        "crcl": "90 mL/min",
        "labs": {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
    }
    return Patient(**{**base, **kw})


def codes(drug: str, p: Patient) -> dict[str, str]:
    outcome = rules.evaluate(CAT, CAT.drugs[drug], None, p)
    return {f.code: f.message for f in outcome.findings}


# --- brand -> substance -> class -> rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "given", "rule", "shown"),
    [
        ("colchicine", "Klaricid", "colchicine-strong-inhibitor", "Klaricid (clarithromycin)"),
        ("colchicine", "Biaxin", "colchicine-strong-inhibitor", "Biaxin (clarithromycin)"),
        (
            "colchicine",
            "Paxlovid",
            "colchicine-strong-inhibitor",
            "Paxlovid (nirmatrelvir and ritonavir)",
        ),
        ("colchicine", "Diflucan", "colchicine-moderate-cyp3a4", "Diflucan (fluconazole)"),
        ("colchicine", "Cipro", "colchicine-moderate-cyp3a4", "Cipro (ciprofloxacin)"),
        ("diltiazem", "Coreg", "diltiazem-beta-blocker", "Coreg (carvedilol)"),
        ("diltiazem", "Bystolic", "diltiazem-beta-blocker", "Bystolic (nebivolol)"),
        ("diltiazem", "Lanoxin", "diltiazem-digoxin", "Lanoxin (digoxin)"),
        ("minocycline", "Roaccutane", "minocycline-retinoid", "Roaccutane (isotretinoin)"),
        ("minocycline", "Coumadin", "minocycline-anticoagulant", "Coumadin (warfarin)"),
        ("minocycline", "Rennie", "minocycline-polyvalent-cation", "Rennie (calcium carbonate"),
        ("minocycline", "Fergon", "minocycline-polyvalent-cation", "Fergon (ferrous gluconate)"),
        ("probenecid", "Augmentin", "probenecid-beta-lactam", "Augmentin (amoxicillin and"),
        ("probenecid", "Ecotrin", "probenecid-salicylate", "Ecotrin (aspirin)"),
        ("warfarin", "Keflex", "warfarin-cephalosporin", "Keflex (cefalexin)"),
        ("rituximab", "Enbrel", "rituximab-tnf-inhibitor", "Enbrel (etanercept)"),
        ("immune-globulin", "Nurofen", "immune-globulin-renal-risk", "Nurofen (ibuprofen)"),
    ],
)
def test_a_brand_makes_the_rule_fire_and_is_named(
    drug: str, given: str, rule: str, shown: str
) -> None:
    found = codes(drug, adult(age="50 years", medications=[given]))
    assert rule in found, sorted(found)
    assert shown in found[rule]
    assert "unknown-medication" not in found


def test_biaxin_with_colchicine_caps_the_plan_at_the_label_limit() -> None:
    # colchicine US label, prophylaxis with a strong CYP3A4 inhibitor: at most 0.3 mg/day
    plan = calcidose.dose("colchicine", adult(medications=["BIAXIN"]))
    assert plan.status != "cannot-check"
    assert plan.dose.high == pytest.approx(0.3)
    assert any(
        s.label == "medications" and "BIAXIN = clarithromycin" in s.text() for s in plan.trace
    )


def test_a_moderate_inhibitor_brand_gives_the_moderate_limit() -> None:
    # colchicine US label, moderate CYP3A4 inhibitors: 0.6 mg/day at most
    plan = calcidose.dose("colchicine", adult(medications=["diflucan"]))
    assert plan.dose.high == pytest.approx(0.6)


def test_class_meanings_are_kept() -> None:
    # "anticoagulant" is the vitamin K antagonists the INR rules are about: apixaban is known,
    # in its own class, and does not fire the warfarin-type rules
    found = codes("minocycline", adult(medications=["Eliquis"]))
    assert "minocycline-anticoagulant" not in found
    assert "unknown-medication" not in found
    assert CAT.substances["apixaban"].classes == ("direct-oral-anticoagulant",)
    # topical tretinoin is not a systemic retinoid; bare "tretinoin" is ambiguous: unknown
    assert "minocycline-retinoid" not in codes("minocycline", adult(medications=["Retin-A"]))
    assert "unknown-medication" in codes("minocycline", adult(medications=["tretinoin"]))


def test_common_medications_without_a_rule_screen_clean() -> None:
    p = adult(age="54 years", medications=["lisinopril", "Metformin", "atorvastatin", "Synthroid"])
    plan = calcidose.dose("diltiazem", p)
    assert plan.status == "ok"
    assert not any(f.code == "unknown-medication" for f in plan.findings)


# --- exact names, case and separators aside -------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "metoprolol",
        "Metoprolol",
        "METOPROLOL",
        "  metoprolol ",
        "Toprol-XL",
        "toprol xl",
        "TOPROL_XL",
        "Toprol  -  XL",
        "metoprolol succinate",
        "Lopressor",
        "Betaloc",
    ],
)
def test_case_and_separator_variants_resolve(given: str) -> None:
    assert vocabulary.lookup(CAT, given) == "metoprolol"
    assert "diltiazem-beta-blocker" in codes("diltiazem", adult(medications=[given]))


NAMES = sorted(
    {n for s in CAT.substances.values() for n in (s.id, *s.synonyms, *s.brands)}
    | {n for d in CAT.drugs.values() for n in (d.id, *d.synonyms, *d.brands)}
)


@settings(max_examples=300)
@given(st.sampled_from(NAMES), st.randoms(use_true_random=False))
def test_every_name_resolves_in_any_case_and_spacing(name: str, rnd: Any) -> None:
    """Every id, synonym and brand of the tables resolves, whatever its case, and with any of
    its separators written as spaces, hyphens or underscores."""
    target = vocabulary.lookup(CAT, name)
    assert target is not None
    cased = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in name)
    spaced = "".join(rnd.choice([" ", "-", "_", "  "]) if c in " -_" else c for c in cased)
    assert vocabulary.lookup(CAT, spaced) == target
    assert vocabulary.lookup(CAT, f"  {spaced} ") == target


@pytest.mark.parametrize(
    "given", ["metoprolo", "metoprololl", "Biaxn", "meto prolol", "lisinopril hctz tablets"]
)
def test_near_names_are_never_resolved(given: str) -> None:
    assert vocabulary.lookup(CAT, given) is None


# --- unknown names: fail closed, with suggestions that are never applied ----------------------


def test_unknown_name_is_cannot_check_with_suggestions() -> None:
    plan = calcidose.dose("colchicine", adult(medications=["Biaxn"]))
    assert plan.status == "cannot-check"
    unknown = next(f for f in plan.findings if f.code == "unknown-medication")
    assert "'Biaxn'" in unknown.message
    assert "did you mean Biaxin (clarithromycin)" in unknown.message
    assert "(not applied)" in unknown.message
    assert unknown.missing == ("medication Biaxn",)
    # not applied: the strong-inhibitor limit is not imposed from a guess
    assert not any(f.code == "colchicine-strong-inhibitor" for f in plan.findings)


def test_suggestions() -> None:
    assert vocabulary.suggest(CAT, "lisnopril")[0] == "lisinopril"
    assert vocabulary.suggest(CAT, "atorvastatine")[0] == "atorvastatin"
    assert vocabulary.suggest(CAT, "zzzzqqq") == ()
    assert vocabulary.suggest(CAT, "x" * 500) == ()  # no quadratic work on long input


# --- the vocabulary file, validated as a whole ------------------------------------------------


def test_the_vocabulary_holds_the_commonly_prescribed_medications() -> None:
    data = tomllib.loads((TABLES / "medications.toml").read_text(encoding="utf-8"))
    meds = data["medications"]
    assert len(meds) >= 300
    for ident, entry in meds.items():
        assert "clincalc-drugstats-top300" in entry["sources"], ident
        assert ident in CAT.substances
    # every one of these commonly prescribed medications is known (ClinCalc top of the list)
    for name in (
        "lisinopril",
        "metformin",
        "atorvastatin",
        "levothyroxine",
        "amlodipine",
        "omeprazole",
        "losartan",
        "gabapentin",
        "sertraline",
        "albuterol",
    ):
        assert vocabulary.lookup(CAT, name) is not None, name


def test_every_class_of_every_substance_is_sourced() -> None:
    for substance in CAT.substances.values():
        for klass in substance.classes:
            assert set(CAT.classes[klass].sources) & set(substance.sources), (substance.id, klass)


def test_rules_reference_only_classes_and_substances_that_exist() -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "taking_class" in node:
                assert node["taking_class"] in CAT.classes
            if "taking" in node:
                assert node["taking"] in CAT.substances or node["taking"] in CAT.drugs
            for key in ("all", "any"):
                for part in node.get(key, []):
                    walk(part)
            if "not" in node:
                walk(node["not"])

    for drug in CAT.drugs.values():
        for rule in drug.rules:
            walk(rule.when)


def _overlay(tmp_path: Path, body: str) -> Path:
    (tmp_path / "medications.toml").write_text(body, encoding="utf-8")
    return tmp_path


def test_a_name_of_two_substances_is_refused_naming_both(tmp_path: Path) -> None:
    body = (
        '[medications.fake-macrolide]\nname = "fake macrolide"\nbrands = ["BIAXIN"]\n'
        'sources = ["clincalc-drugstats-top300"]\n'
    )
    with pytest.raises(TableError) as info:
        load_catalog(_overlay(tmp_path, body), use_env=False)
    text = str(info.value)
    assert "fake-macrolide" in text and "'clarithromycin'" in text and "BIAXIN" in text


def test_a_separator_variant_is_the_same_name(tmp_path: Path) -> None:
    body = (
        '[medications.fake-beta]\nname = "fake"\nbrands = ["Toprol XL"]\n'
        'sources = ["clincalc-drugstats-top300"]\n'
    )
    with pytest.raises(TableError, match="already names 'metoprolol'"):
        load_catalog(_overlay(tmp_path, body), use_env=False)


def test_an_unsourced_class_membership_is_refused(tmp_path: Path) -> None:
    body = (
        '[medications.fake-azole]\nname = "fake azole"\nclasses = ["strong-cyp3a4-inhibitor"]\n'
        'sources = ["clincalc-drugstats-top300"]\n'
    )
    with pytest.raises(TableError, match="class 'strong-cyp3a4-inhibitor' is not sourced"):
        load_catalog(_overlay(tmp_path, body), use_env=False)


def test_an_overlay_medication_is_screened(tmp_path: Path) -> None:
    body = (
        '[medications.fake-azole]\nname = "fake azole"\nclasses = ["strong-cyp3a4-inhibitor"]\n'
        'brands = ["Fakazole"]\nsources = ["fda-ddi-table"]\n'
    )
    cat = load_catalog(_overlay(tmp_path, body), use_env=False)
    outcome = rules.evaluate(cat, cat.drugs["colchicine"], None, adult(medications=["fakazole"]))
    assert "colchicine-strong-inhibitor" in {f.code for f in outcome.findings}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('[medications.Bad_Id]\nname = "x"\nsources = ["fda-ddi-table"]\n', "does not match"),
        ('[medications.x]\nname = "x"\nsources = ["no-such"]\n', "unknown source 'no-such'"),
        (
            '[medications.x]\nname = "x"\nclasses = ["no-class"]\nsources = ["fda-ddi-table"]\n',
            "unknown class 'no-class'",
        ),
        (
            '[medications.x]\nname = "x"\nbrands = [" - "]\nsources = ["fda-ddi-table"]\n',
            "is not a name",
        ),
    ],
)
def test_bad_vocabulary_entries_are_refused(tmp_path: Path, body: str, problem: str) -> None:
    from calcidose.catalog import validate_directory

    overlay = _overlay(tmp_path, body)
    problems = validate_directory(overlay)
    if not problems:  # structural problems are found by the loader of a combined catalog
        with pytest.raises(TableError, match=problem):
            load_catalog(overlay, use_env=False)
    else:
        assert any(problem in p.message for p in problems), problems


def test_an_id_in_both_vocabulary_files_of_one_directory_is_refused(tmp_path: Path) -> None:
    import shutil

    from calcidose.catalog import validate_directory

    copy = tmp_path / "tables"
    shutil.copytree(TABLES, copy)
    with (copy / "medications.toml").open("a", encoding="utf-8") as f:
        f.write('\n[medications.metoprolol]\nname = "x"\nsources = ["fda-ddi-table"]\n')
    problems = validate_directory(copy)
    assert [(p.entry, p.message) for p in problems] == [
        ("metoprolol", f"also defined in {copy}/substances.toml")
    ]


def test_suggestions_are_bounded_for_a_long_list() -> None:
    # 25 unknown near-names: the first 20 (in the patient's sorted list) get suggestions, the
    # rest are still reported, without (bounded work for a very long list)
    names = [f"lisinopril{chr(97 + n)}" for n in range(25)]
    found = [
        f
        for f in rules.evaluate(
            CAT, CAT.drugs["diltiazem"], None, adult(medications=names)
        ).findings
        if f.code == "unknown-medication"
    ]
    assert len(found) == 25
    assert sum("did you mean" in f.message for f in found) == 20


@pytest.mark.parametrize(
    ("given", "target"),
    [("Metformin ER", "metformin"), ("metformin XR", "metformin"), ("Bupropion XL", "bupropion")],
)
def test_release_forms_written_in_records_resolve(given: str, target: str) -> None:
    # listed synonyms, not a rule that strips suffixes: "Toprol XL" is a brand, not "Toprol"
    assert vocabulary.lookup(CAT, given) == target
    assert vocabulary.lookup(CAT, "Toprol") is None
