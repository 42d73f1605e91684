"""One notion of renal function, read by every renal rule (calcidose.engine.renal).

Expected values are hand calculations written beside them (Cockcroft-Gault: Cockcroft DW, Gault
MH, Nephron 1976;16:31-41; Devine IBW: Devine 1974; adjusted weight: Bauer 1983, factor 0.4) or
the band wording of the source cited in the table. The renal-equivalence property iterates over
every renal rule discovered in the catalog (shipped tables and an institution overlay), never a
hand list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from calcidose.catalog import get_catalog, load_catalog
from calcidose.catalog.model import Catalog, Drug, Rule
from calcidose.engine import renal, rules
from calcidose.patient import Patient

CAT = get_catalog()

#: Everything but renal function known; female, 54 years, 70 kg, 170 cm (BMI 24.2, not obese).
KNOWN: dict[str, Any] = {
    "weight": "70 kg",
    "height": "170 cm",
    "age": "54 years",
    "sex": "female",
    "pregnant": False,
    "lactating": False,
    "labs": {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
}


def scr_for(crcl: float) -> float:
    """Serum creatinine (mg/dL) that gives ``crcl`` mL/min by Cockcroft-Gault for KNOWN,
    inverted by hand: CrCl = (140 - 54) x 70 / (72 x scr) x 0.85 -> scr = 5117 / (72 x CrCl)."""
    return (140 - 54) * 70 * 0.85 / (72 * crcl)


def codes(drug: str, p: Patient, regimen: str | None = None) -> dict[str, str]:
    entry = CAT.drugs[drug]
    out = rules.evaluate(CAT, entry, entry.regimen(regimen) if regimen else None, p)
    return {f.code: f.severity for f in out.findings}


# --- the band logic --------------------------------------------------------------------------


def state(p: Patient, catalog: Catalog = CAT) -> renal.RenalFunction:
    return renal.derive(catalog, p)


@pytest.mark.parametrize(
    ("crcl", "below", "at_most", "at_least", "above"),
    [
        # "30 mL/min or less" is <= 30: 30 is in, 30.5 is out; "below 30" leaves 30 out
        (30, False, True, True, False),
        (29.5, True, True, False, False),
        (30.5, False, False, True, True),
    ],
)
def test_band_boundaries_follow_the_wording(
    crcl: float, below: bool, at_most: bool, at_least: bool, above: bool
) -> None:
    s = state(Patient(crcl=f"{crcl} mL/min"))
    assert renal.band_truth(s, below=30) is below
    assert renal.band_truth(s, at_most=30) is at_most
    assert renal.band_truth(s, at_least=30) is at_least
    assert renal.band_truth(s, above=30) is above


def test_a_clearance_computed_onto_a_boundary_counts_as_on_it() -> None:
    # scr_for(30) = 5117 / 2160 = 2.3690 mg/dL gives back 30 mL/min up to float noise
    s = state(Patient(**{**KNOWN, "scr": f"{scr_for(30)!r} mg/dL"}))
    assert s.value == pytest.approx(30, rel=1e-12)
    assert renal.band_truth(s, at_most=30) is True
    assert renal.band_truth(s, below=30) is False


def test_nothing_known_is_unknown_and_names_what_to_give() -> None:
    s = state(Patient())
    assert not s.known
    assert renal.band_truth(s, below=30) is None
    assert s.missing == "crcl or serum creatinine"


def test_haemodialysis_is_end_stage_below_15() -> None:
    s = state(Patient(conditions=["hemodialysis"]))
    assert (s.low, s.high, s.high_open) == (0.0, 15.0, True)  # conditions.toml: KDIGO G5 < 15
    assert renal.band_truth(s, below=30) is True  # every value below 15 is below 30
    assert renal.band_truth(s, below=15) is True
    assert renal.band_truth(s, at_least=15) is False
    assert renal.band_truth(s, below=10) is None  # 12 or 8: the condition cannot tell


def test_renal_impairment_is_below_60_and_cannot_decide_a_lower_band() -> None:
    s = state(Patient(conditions=["renal-impairment"]))
    assert renal.band_truth(s, below=60) is True
    assert renal.band_truth(s, below=80) is True
    assert renal.band_truth(s, below=30) is None
    assert renal.band_truth(s, at_least=60) is False
    assert "renal-impairment is listed" in s.missing


def test_measured_value_inside_the_condition_band_is_used() -> None:
    s = state(Patient(crcl="40 mL/min", conditions=["renal-impairment"]))
    assert (s.low, s.high) == (40.0, 40.0)
    assert renal.band_truth(s, below=30) is False
    assert not s.findings


def test_disagreement_takes_the_worse_band_and_says_so() -> None:
    # CrCl 40 with haemodialysis listed: the haemodialysis band (below 15) wins
    s = state(Patient(crcl="40 mL/min", conditions=["hemodialysis"]))
    assert (s.low, s.high, s.high_open) == (0.0, 15.0, True)
    assert renal.band_truth(s, below=30) is True
    assert [f.code for f in s.findings] == ["renal-function-conflict"]
    assert "worse band" in s.findings[0].message
    assert any(step.label == "renal function conflict" for step in s.steps)


# --- derivation: Cockcroft-Gault weight, obesity, eGFR ---------------------------------------


def test_cockcroft_gault_shows_the_weight_used() -> None:
    # male, 60 years, 72 kg, SCr 1 mg/dL: (140 - 60) x 72 / (72 x 1) = 80 mL/min
    s = state(Patient(age="60 years", weight="72 kg", sex="male", scr="1 mg/dL"))
    assert s.value == pytest.approx(80)
    (step,) = s.steps
    assert "total body weight" in step.formula
    assert ("weight", 72.0, "kg") in step.terms


def test_obese_patient_on_total_body_weight_is_flagged() -> None:
    # 120 kg, 170 cm: BMI 120 / 1.7^2 = 41.5 kg/m2 (30 or more): flagged
    # (140 - 50) x 120 / (72 x 1) = 150 mL/min on total body weight
    p = Patient(age="50 years", weight="120 kg", height="170 cm", sex="male", scr="1 mg/dL")
    s = state(p)
    assert s.value == pytest.approx(150)
    assert [f.code for f in s.findings] == ["crcl-obesity"]
    assert "41.5" in s.findings[0].message


def test_adjusted_body_weight_is_a_declared_option() -> None:
    # 170 cm male: IBW = 50 + 2.3 x (170 / 2.54 - 60) = 50 + 2.3 x 6.9291 = 65.937 kg
    # AdjBW = 65.937 + 0.4 x (120 - 65.937) = 87.562 kg
    # CrCl = (140 - 50) x 87.562 / (72 x 1) = 109.45 mL/min
    p = Patient(
        age="50 years",
        weight="120 kg",
        height="170 cm",
        sex="male",
        scr="1 mg/dL",
        crcl_weight="adjusted",
    )
    s = state(p)
    assert s.value == pytest.approx(109.45, abs=0.01)
    assert not s.findings  # the adjusted weight was asked: no obesity flag
    (step,) = s.steps
    assert "adjusted" in step.formula
    assert {n: v for n, v, _ in step.terms}["weight"] == pytest.approx(87.562, abs=1e-3)
    assert "bauer-1983" in step.sources


def test_adjusted_weight_without_height_names_the_height() -> None:
    p = Patient(age="50 years", weight="120 kg", sex="male", scr="1 mg/dL", crcl_weight="adjusted")
    s = state(p)
    assert not s.known
    assert s.missing == "crcl or height (for the adjusted body weight)"


def test_crcl_weight_must_be_a_known_basis() -> None:
    from calcidose.errors import PatientError

    with pytest.raises(PatientError, match="crcl_weight must be one of total, ideal, adjusted"):
        Patient(crcl_weight="lean")


def test_egfr_stands_in_when_the_weight_is_missing() -> None:
    # female, 50 years, SCr 2.0 mg/dL: 142 x (2.0/0.7)^-1.2 x 0.9938^50 x 1.012 = 29.9
    s = state(Patient(age="50 years", sex="female", scr="2 mg/dL"))
    assert s.value == pytest.approx(29.9, abs=0.05)
    assert s.steps[0].label == "renal function from eGFR"
    assert renal.band_truth(s, below=30) is True


# --- the examples (and others of the same class) -------------------------------------


def test_aluminium_hydroxide_at_crcl_18_gets_the_renal_finding() -> None:
    # KDIGO 2017: avoid aluminium binders in CKD G3a-G5D (GFR below 60): 18 is inside
    assert (
        codes("aluminium-hydroxide", Patient(**KNOWN, crcl="18 mL/min"))[
            "aluminium-hydroxide-renal-toxicity"
        ]
        == "major"
    )
    assert "aluminium-hydroxide-renal-toxicity" not in codes(
        "aluminium-hydroxide", Patient(**KNOWN, crcl="75 mL/min")
    )


@pytest.mark.parametrize(
    "renal_input",
    [{"crcl": "20 mL/min"}, {"conditions": ["hemodialysis"]}, {"scr": f"{scr_for(45)!r} mg/dL"}],
)
def test_immune_globulin_renal_boxed_warning_reads_measured_function(
    renal_input: dict[str, Any],
) -> None:
    found = codes("immune-globulin", Patient(**{**KNOWN, **renal_input}))
    assert found["immune-globulin-renal-insufficiency"] == "major"


def test_colchicine_with_diltiazem_at_crcl_40_gets_the_organ_impairment_finding() -> None:
    found = codes("colchicine", Patient(**KNOWN, crcl="40 mL/min", medications=["diltiazem"]))
    assert found["colchicine-moderate-inhibitor-organ-impairment"] == "major"
    quiet = codes("colchicine", Patient(**KNOWN, crcl="95 mL/min", medications=["diltiazem"]))
    assert "colchicine-moderate-inhibitor-organ-impairment" not in quiet


def test_renal_steps_reach_the_trace_once() -> None:
    entry = CAT.drugs["colchicine"]
    out = rules.evaluate(CAT, entry, None, Patient(**KNOWN, scr="2 mg/dL"))
    labels = [s.label for s in out.steps]
    assert labels.count("creatinine clearance") == 1


# --- the renal-equivalence property over every renal rule ------------------------------------

_BOUNDS = ("crcl_below", "crcl_at_most", "crcl_at_least", "crcl_above")


def _renal_thresholds(node: Any, catalog: Catalog) -> Iterator[float]:
    """Every clearance threshold (mL/min) a predicate tree reads."""
    if not isinstance(node, Mapping):
        return
    for key, value in node.items():
        if key in ("all", "any"):
            for part in value:
                yield from _renal_thresholds(part, catalog)
        elif key == "not":
            yield from _renal_thresholds(value, catalog)
        elif key in ("crcl_below", "crcl_at_least", "egfr_below"):
            yield float(value["value"])
        elif key == "renal":
            yield from (float(q["value"]) for q in value.values())
        elif key == "condition":
            cond = catalog.conditions.get(value)
            # a treatment (haemodialysis) bounds the clearance but is not read from it
            if cond is not None and cond.implies_crcl_below is not None and cond.implied_by_crcl:
                yield float(cond.implies_crcl_below.value)


def _witnesses(node: Any, catalog: Catalog, positive: bool = True) -> Iterator[tuple[str, str]]:
    """(kind, id) of the medications and conditions that make positive leaves true."""
    if not isinstance(node, Mapping):
        return
    for key, value in node.items():
        if key in ("all", "any"):
            for part in value:
                yield from _witnesses(part, catalog, positive)
        elif key == "not":
            yield from _witnesses(value, catalog, not positive)
        elif not positive:
            continue
        elif key == "taking":
            yield ("medication", value)
        elif key == "taking_class":
            members = [d.id for d in catalog.drugs.values() if value in d.classes] + [
                s.id for s in catalog.substances.values() if value in s.classes
            ]
            if members:
                yield ("medication", sorted(members)[0])
        elif key == "condition":
            cond = catalog.conditions.get(value)
            if cond is not None and (cond.implies_crcl_below is None or not cond.implied_by_crcl):
                yield ("condition", value)


def renal_rules(catalog: Catalog) -> list[tuple[Drug, Rule]]:
    found = [
        (drug, rule)
        for drug in catalog.drugs.values()
        for rule in drug.rules
        if any(True for _ in _renal_thresholds(rule.when, catalog))
        and not rules.rule_uses_order(rule)
    ]
    return sorted(found, key=lambda dr: dr[1].id)


def _grid(catalog: Catalog) -> list[float]:
    points = {3.0, 250.0}
    for _, rule in renal_rules(catalog):
        for t in _renal_thresholds(rule.when, catalog):
            points.update({t - 0.5, t, t + 0.5})
    return sorted(p for p in points if 3.0 <= p <= 250.0)


def _result(catalog: Catalog, drug: Drug, rule: Rule, p: Patient) -> list[tuple[str, str, str]]:
    regimen = drug.regimen(rule.regimens[0]) if rule.regimens else None
    out = rules.evaluate(catalog, drug, regimen, p)
    return [
        (f.code, f.severity, f.message)
        for f in out.findings
        if f.code == rule.id or f.code.startswith(rule.id + ":")
    ]


def _contexts(catalog: Catalog, rule: Rule) -> list[dict[str, Any]]:
    found = sorted(set(_witnesses(rule.when, catalog)))
    meds = [i for k, i in found if k == "medication"]
    conds = [i for k, i in found if k == "condition"]
    out: list[dict[str, Any]] = [{"medications": meds}]
    if conds:
        out.append({"medications": meds, "conditions": conds})
    return out


def check_equivalence(catalog: Catalog) -> int:
    """For every renal rule: crcl = X, a creatinine giving X, and each renal condition agree.

    Returns how many rules were checked (each must depend on renal function somewhere)."""
    grid = _grid(catalog)
    renal_conditions = {
        c.id: float(c.implies_crcl_below.value)
        for c in catalog.conditions.values()
        if c.implies_crcl_below is not None
    }
    checked = 0
    for drug, rule in renal_rules(catalog):
        # a treatment condition (implied_by_crcl false: haemodialysis) named by the rule itself
        # ("below 10 or on haemodialysis") is decided by the rule, not by its implied band
        named = {
            i
            for k, i in _witnesses(rule.when, catalog)
            if k == "condition" and not catalog.conditions[i].implied_by_crcl
        }
        varies = False
        for ctx in _contexts(catalog, rule):
            by_x: dict[float, list[tuple[str, str, str]]] = {}
            for x in grid:
                given = _result(catalog, drug, rule, Patient(**KNOWN, **ctx, crcl=f"{x} mL/min"))
                scr = Patient(**KNOWN, **ctx, scr=f"{scr_for(x)!r} mg/dL")
                assert _result(catalog, drug, rule, scr) == given, (rule.id, x, ctx)
                by_x[x] = given
            varies = varies or len({tuple(v) for v in by_x.values()}) > 1
            for cond, high in renal_conditions.items():
                if cond in named:  # the rule decides this condition itself (e.g. "x or on
                    continue  # haemodialysis"): the context that lists it checks that answer
                inside = {tuple(v) for x, v in by_x.items() if x < high}
                conds = [*ctx.get("conditions", []), cond]
                p = Patient(**KNOWN, medications=ctx["medications"], conditions=conds)
                got = _result(catalog, drug, rule, p)
                if len(inside) == 1:  # every clearance the condition allows gives one answer
                    assert tuple(got) == next(iter(inside)), (rule.id, cond, ctx)
                else:  # the condition cannot tell: cannot-check, never a pass
                    assert [c for c, _, _ in got] == [f"{rule.id}:cannot-check"], (rule.id, cond)
        assert varies, f"{rule.id}: renal function never changes its finding"
        checked += 1
    return checked


def test_every_shipped_renal_rule_reads_one_renal_function() -> None:
    # every renal rule of the shipped tables (discovered, not listed): at least the ones
    # the issue names
    names = {rule.id for _, rule in renal_rules(CAT)}
    assert {
        "aluminium-hydroxide-renal-toxicity",
        "immune-globulin-renal-insufficiency",
        "colchicine-moderate-inhibitor-organ-impairment",
        "probenecid-crcl-below-30",
    } <= names
    assert check_equivalence(CAT) == len(names)


INSTITUTION_RULES = """\
[[rules]]
id = "inst-diltiazem-renal"
kind = "warning"
severity = "moderate"
when = { condition = "renal-impairment" }
message = "Institution rule written against the condition."
management = "Review."
sources = ["calcidose-policy"]

[[rules]]
id = "inst-diltiazem-band"
kind = "warning"
severity = "major"
message = "Institution band rule, 20 to 45 mL/min inclusive."
management = "Review."
sources = ["calcidose-policy"]

[[rules.when.all]]
taking = "aspirin"

[[rules.when.all]]
[rules.when.all.renal]
crcl_at_least = { value = 20, unit = "mL/min" }
crcl_at_most = { value = 45, unit = "mL/min" }
"""


def test_institution_renal_rules_are_covered_too(tmp_path: Path) -> None:
    (tmp_path / "drugs").mkdir()
    (tmp_path / "drugs" / "diltiazem.toml").write_text(INSTITUTION_RULES, encoding="utf-8")
    catalog = load_catalog(tmp_path, use_env=False)
    names = {rule.id for _, rule in renal_rules(catalog)}
    assert {"inst-diltiazem-renal", "inst-diltiazem-band"} <= names
    assert check_equivalence(catalog) == len(names)
    # the condition-written rule fires on a measured clearance: 40 < 60 (renal-impairment band)
    drug = catalog.drugs["diltiazem"]
    out = rules.evaluate(catalog, drug, None, Patient(**KNOWN, crcl="40 mL/min"))
    assert "inst-diltiazem-renal" in {f.code for f in out.findings}
    # the inclusive band: 45 is in, 45.5 is out
    p45 = Patient(**KNOWN, crcl="45 mL/min", medications=["aspirin"])
    p455 = Patient(**KNOWN, crcl="45.5 mL/min", medications=["aspirin"])
    found = {f.code for f in rules.evaluate(catalog, drug, None, p45).findings}
    assert "inst-diltiazem-band" in found
    assert "inst-diltiazem-band" not in {
        f.code for f in rules.evaluate(catalog, drug, None, p455).findings
    }
