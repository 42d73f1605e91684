"""The rule engine on small purpose-built catalogs: every predicate leaf on both sides of its
threshold and when its input is unknown, the three-valued combinators, the creatinine clearance
the renal leaves read, and the findings, limits, conflicts, separations and trace steps of a
firing rule, written out in full.

Every test builds its own catalog (``fresh``): the engine keeps compiled rules and derived
values with their catalog, so a new catalog is compiled and evaluated from scratch.
Sources are the reference catalog's (tests/strategies.py) plus ``ref-review``, added here.
Numbers are hand calculations written beside them.
"""

from __future__ import annotations

import gc
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import pytest
import strategies as S

from calcidose import measures
from calcidose.catalog.model import Catalog, Drug, Rule, RuleAdjustment, Source, TQuantity
from calcidose.catalog.vocabulary import names_of
from calcidose.engine import rules
from calcidose.errors import MeasureError
from calcidose.patient import Patient
from calcidose.results import Finding, Step

LABEL, PAPER, REVIEW = ("ref-label",), ("ref-paper",), ("ref-review",)
#: The reference catalog's names (tests/strategies.py, _vocabulary).
INTERACTOR = "an interacting drug"  # ref-interactor, class ref-inhibitor
LIMITER = "a drug that lowers the cap"  # ref-limiter


def fresh(*rule_list: Rule, regimens: tuple[str, ...] = ()) -> tuple[Catalog, Drug]:
    """A new reference catalog whose ``refdrug`` has exactly these rules (and, when asked, more
    regimens, copies of its oral regimen under other ids)."""
    cat = S.reference_catalog()
    base = cat.drugs["refdrug"]
    extra = tuple(attrs.evolve(base.regimens[0], id=r) for r in regimens)
    drug = attrs.evolve(base, rules=rule_list, regimens=base.regimens + extra)
    review = Source("ref-review", "paper", "Reference review", "Test review.", "test")
    cat = attrs.evolve(
        cat,
        drugs={**cat.drugs, "refdrug": drug},
        sources={**cat.sources, "ref-review": review},
    )
    return cat, drug


def rule(rid: str, when: dict[str, Any], **kw: Any) -> Rule:
    """A rule with a fixed message and management (``Message of ID.``, ``Manage ID.``)."""
    fields: dict[str, Any] = {
        "kind": "warning",
        "severity": "major",
        "message": f"Message of {rid}.",
        "management": f"Manage {rid}.",
        "sources": LABEL,
        **kw,
    }
    return Rule(
        rid,
        fields.pop("kind"),
        fields.pop("severity"),
        when,
        fields.pop("message"),
        fields.pop("management"),
        fields.pop("sources"),
        **fields,
    )


def run(p: Patient, *rule_list: Rule) -> rules.Outcome:
    """Every rule against ``p`` on a new catalog (no regimen, no order)."""
    cat, drug = fresh(*rule_list)
    return rules.evaluate(cat, drug, None, p)


def truth(
    node: dict[str, Any], p: Patient, order: rules.OrderFacts | None = None
) -> tuple[bool | None, set[str], list[str]]:
    """The predicate's value, what it found missing and what it matched, on a new catalog."""
    ctx = rules.Context(fresh()[0], p, order)
    value = rules.evaluate_predicate(node, ctx)
    return value, ctx.missing, ctx.matched


def Q(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit}


# --- missing_text --------------------------------------------------------------------------------


def test_missing_text_lists_the_inputs_in_words() -> None:
    assert rules.missing_text([]) == ""
    assert rules.missing_text(["age"]) == "the patient's age"
    # sorted by short name: age, sex
    assert rules.missing_text(["sex", "age"]) == "the patient's age and the patient's sex"
    # sorted: age, lab hbsag, weight
    assert rules.missing_text(["weight", "lab hbsag", "age"]) == (
        "the patient's age, the HBsAg result (hepatitis B status) and the patient's weight"
    )
    # a name with no words of its own is shown as it is
    assert rules.missing_text(["crcl or serum creatinine"]) == "crcl or serum creatinine"
    assert rules.missing_text(["crcl or serum creatinine", "lab tb-screen"]) == (
        "crcl or serum creatinine and a tuberculosis screening result"
    )


# --- leaves ------------------------------------------------------------------------------------


def test_condition_leaf() -> None:
    p = Patient(conditions=["ref-block"])
    assert truth({"condition": "ref-block"}, p) == (True, set(), [])
    assert truth({"condition": "ref-caution"}, p) == (False, set(), [])
    assert truth({"always": True}, Patient()) == (True, set(), [])


def test_taking_leaf_matches_the_catalog_id_also_through_a_synonym() -> None:
    p = Patient(medications=["ref-interactor", "refdrug-synonym"])
    assert truth({"taking": "ref-interactor"}, p) == (True, set(), ["ref-interactor"])
    assert truth({"taking": "refdrug"}, p) == (True, set(), ["refdrug"])  # via its synonym
    assert truth({"taking": "ref-limiter"}, p) == (False, set(), [])
    assert truth({"taking": "ref-limiter"}, Patient()) == (False, set(), [])


def test_taking_class_leaf_matches_every_member_taken() -> None:
    p = Patient(medications=["ref-harmless", "ref-interactor"])
    assert truth({"taking_class": "ref-inhibitor"}, p) == (True, set(), ["ref-interactor"])
    assert truth({"taking_class": "ref-inhibitor"}, Patient(medications=["ref-harmless"])) == (
        False,
        set(),
        [],
    )


def test_age_leaves_compare_in_canonical_days() -> None:
    below, at_least = {"age_below": Q(8, "a")}, {"age_at_least": Q(8, "a")}
    seven, eight = Patient(age="7 years"), Patient(age="8 years")
    assert truth(below, seven)[0] is True  # 7 years < 8 years
    assert truth(below, eight)[0] is False  # 8 years is not below 8 years
    assert truth(at_least, eight)[0] is True  # 8 years is at least 8 years
    assert truth(at_least, seven)[0] is False
    # 24 months = 730.5 days = 2 years; 18 months is below it, 3 years is not
    assert truth({"age_below": Q(24, "mo")}, Patient(age="18 months"))[0] is True
    assert truth({"age_below": Q(24, "mo")}, Patient(age="3 years"))[0] is False
    assert truth(below, Patient()) == (None, {"age"}, [])
    assert truth(at_least, Patient()) == (None, {"age"}, [])


def test_weight_leaves() -> None:
    below, at_least = {"weight_below": Q(50, "kg")}, {"weight_at_least": Q(50, "kg")}
    assert truth(below, Patient(weight="49.5 kg"))[0] is True
    assert truth(below, Patient(weight="50 kg"))[0] is False  # 50 kg is not below 50 kg
    assert truth(at_least, Patient(weight="50 kg"))[0] is True
    assert truth(at_least, Patient(weight="49.5 kg"))[0] is False
    assert truth(below, Patient()) == (None, {"weight"}, [])
    assert truth(at_least, Patient()) == (None, {"weight"}, [])


def test_crcl_leaves() -> None:
    below, at_least = {"crcl_below": Q(30, "mL/min")}, {"crcl_at_least": Q(30, "mL/min")}
    assert truth(below, Patient(crcl="29 mL/min"))[0] is True
    assert truth(below, Patient(crcl="30 mL/min"))[0] is False
    assert truth(at_least, Patient(crcl="30 mL/min"))[0] is True
    assert truth(at_least, Patient(crcl="29 mL/min"))[0] is False
    assert truth(below, Patient()) == (None, {"crcl or serum creatinine"}, [])
    assert truth(at_least, Patient(scr="1 mg/dL", sex="male")) == (
        None,
        {"crcl or age, weight"},
        [],
    )


def test_egfr_leaf_uses_ckd_epi_2021_for_adults_only() -> None:
    below = {"egfr_below": Q(60, "mL/min/{1.73_m2}")}
    # female, 50 years, SCr 2.0 mg/dL: 142 x (2.0/0.7)^-1.2 x 0.9938^50 x 1.012
    #   = 142 x 0.2837 x 0.7328 x 1.012 = 29.9, below 60
    assert truth(below, Patient(age="50 years", sex="female", scr="2 mg/dL")) == (True, set(), [])
    # female, 50 years, SCr 0.7 mg/dL: 142 x 1 x 0.7328 x 1.012 = 105.3, not below 60
    assert truth(below, Patient(age="50 years", sex="female", scr="0.7 mg/dL"))[0] is False
    # male, 50 years, SCr 3.0 mg/dL: 142 x (3.0/0.9)^-1.2 x 0.7328 = 142 x 0.2358 x 0.7328 = 24.5
    assert truth(below, Patient(age="50 years", sex="male", scr="3 mg/dL"))[0] is True
    # 18 years is an adult: female, SCr 0.7: 142 x 0.9938^18 x 1.012 = 142 x 0.8941 x 1.012
    #   = 128.5, not below 60 (computed, not unknown)
    assert truth(below, Patient(age="18 years", sex="female", scr="0.7 mg/dL")) == (
        False,
        set(),
        [],
    )
    adults_only = {"eGFR (CKD-EPI 2021 is for adults)"}
    assert truth(below, Patient(age="17 years", sex="female", scr="0.7 mg/dL")) == (
        None,
        adults_only,
        [],
    )
    assert truth(below, Patient(age="17 years")) == (None, adults_only, [])
    needs = {"serum creatinine, age and sex (for eGFR)"}
    assert truth(below, Patient()) == (None, needs, [])
    assert truth(below, Patient(age="18 years", sex="female")) == (None, needs, [])  # no SCr
    assert truth(below, Patient(sex="female", scr="2 mg/dL")) == (None, needs, [])  # no age
    assert truth(below, Patient(age="50 years", scr="2 mg/dL")) == (None, needs, [])  # no sex


def test_order_leaves_read_the_amount_per_day_with_a_tolerance() -> None:
    at_most = {"order_per_day_at_most": Q(1, "mg/d")}
    above = {"order_per_day_above": Q(1, "mg/d")}

    def daily(mg: float) -> rules.OrderFacts:
        return rules.OrderFacts(per_administration=mg, per_day=mg)

    assert truth(at_most, Patient(), daily(1.0))[0] is True  # 1 mg/day is at most 1 mg/day
    assert truth(above, Patient(), daily(1.0))[0] is False
    # the tolerance: 1 mg/day + 1e-9 still counts as 1 mg/day
    assert truth(at_most, Patient(), daily(1.0 + 1e-9))[0] is True
    assert truth(above, Patient(), daily(1.0 + 1e-9))[0] is False
    assert truth(at_most, Patient(), daily(1.5))[0] is False
    assert truth(above, Patient(), daily(1.5))[0] is True
    assert truth(above, Patient(), daily(0.5))[0] is False
    # 1 g/day = 1,000 mg/day
    assert truth({"order_per_day_at_most": Q(1, "g/d")}, Patient(), daily(999.0))[0] is True
    assert truth({"order_per_day_at_most": Q(1, "g/d")}, Patient(), daily(1001.0))[0] is False
    missing = {"ordered amount per day"}
    weekly = rules.OrderFacts(per_administration=5.0, per_week=5.0)  # no amount per day
    assert truth(at_most, Patient(), weekly) == (None, missing, [])
    assert truth(above, Patient(), weekly) == (None, missing, [])
    assert truth(at_most, Patient()) == (None, missing, [])  # no order at all


def test_pregnancy_and_lactation_leaves() -> None:
    for key, field, words in (
        ("pregnant", "pregnant", "pregnancy status"),
        ("lactating", "lactating", "lactation status"),
    ):
        node = {key: True}
        assert truth(node, Patient(sex="female", **{field: True})) == (True, set(), [])
        assert truth(node, Patient(sex="female", **{field: False})) == (False, set(), [])
        assert truth(node, Patient(sex="male")) == (False, set(), [])  # known: male
        assert truth(node, Patient(sex="female")) == (None, {words}, [])
        assert truth(node, Patient()) == (None, {words}, [])


def test_sex_leaf() -> None:
    node = {"sex": "female"}
    assert truth(node, Patient(sex="female")) == (True, set(), [])
    assert truth(node, Patient(sex="male")) == (False, set(), [])
    assert truth(node, Patient()) == (None, {"sex"}, [])


def test_lab_leaf() -> None:
    node = {"lab": "hbsag", "equals": "positive"}
    assert truth(node, Patient(labs={"hbsag": "positive"})) == (True, set(), [])
    assert truth(node, Patient(labs={"hbsag": "negative"})) == (False, set(), [])
    assert truth(node, Patient(labs={"anti-hbc": "positive"})) == (None, {"lab hbsag"}, [])


def test_malformed_predicates_are_refused_with_their_keys() -> None:
    with pytest.raises(ValueError, match=r"^unknown predicate 'bogus'$"):
        rules.compile_predicate({"bogus": 1})
    with pytest.raises(
        ValueError, match=r"^a predicate leaf has one key, got \['condition', 'taking'\]$"
    ):
        rules.compile_predicate({"taking": "x", "condition": "y"})


# --- combinators ---------------------------------------------------------------------------------

UNKNOWN = {"age_below": Q(8, "a")}
TRUE = {"always": True}
FALSE = {"condition": "ref-block"}


AGE = {"age"}


@pytest.mark.parametrize(
    ("node", "expected", "missing"),
    [
        ({"all": [TRUE, TRUE]}, True, set()),
        ({"all": [TRUE]}, True, set()),
        ({"all": [UNKNOWN, TRUE]}, None, AGE),
        ({"all": [TRUE, UNKNOWN]}, None, AGE),
        ({"all": [UNKNOWN, FALSE]}, False, AGE),  # false wins in all
        ({"all": [FALSE, UNKNOWN]}, False, set()),  # decided before the unknown is read
        ({"any": [FALSE, FALSE]}, False, set()),
        ({"any": [FALSE]}, False, set()),
        ({"any": [UNKNOWN, FALSE]}, None, AGE),
        ({"any": [FALSE, UNKNOWN]}, None, AGE),
        ({"any": [UNKNOWN, TRUE]}, True, AGE),  # true wins in any
        ({"any": [TRUE, UNKNOWN]}, True, set()),
        ({"not": TRUE}, False, set()),
        ({"not": FALSE}, True, set()),
        ({"not": UNKNOWN}, None, AGE),  # not keeps unknown unknown
        ({"not": {"all": [UNKNOWN, FALSE]}}, True, AGE),
    ],
)
def test_kleene_logic(node: dict[str, Any], expected: bool | None, missing: set[str]) -> None:
    assert truth(node, Patient(sex="female")) == (expected, missing, [])


def test_a_negated_leaf_never_counts_as_a_trigger() -> None:
    p = Patient(medications=["ref-interactor", "ref-limiter"])
    # what the negated leaf matched is dropped, what came before it is kept
    node = {"all": [{"taking": "ref-interactor"}, {"not": {"taking": "ref-harmless"}}]}
    assert truth(node, p) == (True, set(), ["ref-interactor"])
    assert truth({"not": {"taking": "ref-limiter"}}, p) == (False, set(), [])
    node = {"any": [{"not": {"taking": "ref-limiter"}}, {"taking": "ref-interactor"}]}
    assert truth(node, p) == (True, set(), ["ref-interactor"])


def test_order_and_renal_leaves_are_found_inside_all_any_and_not() -> None:
    deep_order = {"all": [TRUE, {"any": [FALSE, {"not": {"order_per_day_above": Q(1, "mg/d")}}]}]}
    assert rules.rule_uses_order(rule("t-deep", deep_order)) is True
    assert rules.rule_uses_order(rule("t-plain", {"all": [TRUE, FALSE]})) is False
    assert rules.compile_predicate(deep_order)(rules.Context(fresh()[0], Patient())) is None
    # a renal leaf deep inside puts the creatinine clearance in the trace
    deep_renal = {"all": [TRUE, {"any": [FALSE, {"not": {"crcl_at_least": Q(30, "mL/min")}}]}]}
    out = run(Patient(crcl="25 mL/min"), rule("t-deep-renal", deep_renal))
    assert [f.code for f in out.findings] == ["t-deep-renal"]
    assert [s.formula for s in out.steps] == ["as given: {crcl}"]


# --- creatinine clearance ------------------------------------------------------------------------


def _crcl(p: Patient) -> tuple[tuple[float | None, Step | None], str]:
    ctx = rules.Context(fresh()[0], p)
    return ctx.crcl(), ctx.crcl_missing()


def test_crcl_given_is_used_as_given() -> None:
    (value, step), missing = _crcl(Patient(crcl="45 mL/min", scr="2.5 mg/dL", age="60 years"))
    assert value == 45.0
    assert step == Step(
        "creatinine clearance", "as given: {crcl}", (("crcl", 45.0, "mL/min"),), 45.0, "mL/min"
    )
    assert step.text() == "as given: 45 mL/min"
    assert missing == ""


@pytest.mark.parametrize(
    ("sex", "expected", "factor"),
    [
        # (140 - 60) x 72 / (72 x 1) = 80 mL/min
        ("male", 80.0, ""),
        # 80 x 0.85 = 68 mL/min
        ("female", 68.0, " x 0.85"),
    ],
)
def test_crcl_by_cockcroft_gault(sex: str, expected: float, factor: str) -> None:
    p = Patient(age="60 years", weight="72 kg", sex=sex, scr="1 mg/dL")
    (value, step), missing = _crcl(p)
    assert value == pytest.approx(expected)
    assert step is not None and missing == ""
    assert step.label == "creatinine clearance"
    assert step.formula == (
        "Cockcroft-Gault, total body weight: (140 - {age}) x {weight} / (72 x {scr})"
        + factor
        + " = {crcl}"
    )
    assert [(n, u) for n, _, u in step.terms] == [
        ("age", "a"),
        ("weight", "kg"),
        ("scr", "mg/dL"),
        ("crcl", "mL/min"),
    ]
    assert [v for _, v, _ in step.terms] == pytest.approx([60.0, 72.0, 1.0, expected])
    assert step.value == pytest.approx(expected)
    assert step.unit == "mL/min"
    assert step.sources == ("cockcroft-gault-1976",)
    assert step.text() == (
        f"Cockcroft-Gault, total body weight: (140 - 60 years) x 72 kg / (72 x 1 mg/dL){factor}"
        f" = {expected:g} mL/min"
    )


@pytest.mark.parametrize(
    ("kw", "missing"),
    [
        ({}, "crcl or serum creatinine"),
        ({"age": "60 years", "weight": "72 kg", "sex": "male"}, "crcl or serum creatinine"),
        ({"scr": "1 mg/dL", "weight": "72 kg", "sex": "male"}, "crcl or age"),
        ({"scr": "1 mg/dL", "age": "60 years", "sex": "male"}, "crcl or weight"),
        ({"scr": "1 mg/dL", "age": "60 years", "weight": "72 kg"}, "crcl or sex"),
        ({"scr": "1 mg/dL"}, "crcl or age, weight, sex"),
        ({"scr": "1 mg/dL", "weight": "72 kg"}, "crcl or age, sex"),
        (
            {"scr": "0.5 mg/dL", "age": "10 years", "weight": "30 kg", "sex": "male"},
            "crcl (Cockcroft-Gault is for adults)",
        ),
        ({"scr": "0.5 mg/dL", "age": "17 years"}, "crcl (Cockcroft-Gault is for adults)"),
    ],
)
def test_crcl_unknown_names_what_is_missing(kw: dict[str, Any], missing: str) -> None:
    assert _crcl(Patient(**kw)) == ((None, None), missing)


def test_crcl_is_not_extrapolated_when_the_formula_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object) -> float:
        raise MeasureError("outside the domain of Cockcroft-Gault")

    monkeypatch.setattr(measures, "crcl_ml_min", refuse)
    p = Patient(age="60 years", weight="72 kg", sex="male", scr="1 mg/dL")
    assert _crcl(p) == ((None, None), "crcl (Cockcroft-Gault does not apply to these values)")


def test_crcl_step_heads_the_trace_only_for_drugs_that_read_it() -> None:
    renal = rule("t-renal", {"crcl_below": Q(50, "mL/min")})
    plain = rule("t-plain", {"condition": "ref-block"})
    cat, drug = fresh(renal)
    other = attrs.evolve(cat.drugs["weeklydrug"], rules=(plain,))
    cat = attrs.evolve(cat, drugs={**cat.drugs, "weeklydrug": other})
    p = Patient(crcl="35 mL/min", conditions=["ref-block"])
    given = Step(
        "creatinine clearance", "as given: {crcl}", (("crcl", 35.0, "mL/min"),), 35.0, "mL/min"
    )
    assert rules.evaluate(cat, drug, None, p).steps == [given]
    # the same patient and catalog (the clearance is already known): not in weeklydrug's trace
    out = rules.evaluate(cat, other, None, p)
    assert [f.code for f in out.findings] == ["t-plain"]
    assert out.steps == []


# --- Context and its cache -----------------------------------------------------------------------


def test_context_exposes_what_the_patient_takes() -> None:
    cat, _ = fresh()
    p = Patient(medications=["ref-interactor", "refdrug-synonym", "ref-harmless", "mystery"])
    ctx = rules.Context(cat, p)
    assert ctx.catalog is cat and ctx.patient is p and ctx.order is None
    assert ctx.taking() == frozenset({"ref-interactor", "refdrug", "ref-harmless"})
    assert ctx.by_class() == {"ref-inhibitor": ("ref-interactor",)}
    assert ctx.classes() == {"ref-inhibitor"}
    nothing = rules.Context(cat, Patient())
    assert nothing.taking() == frozenset() and nothing.classes() == set()


def test_derived_values_are_shared_per_catalog_and_patient() -> None:
    cat_a, _ = fresh()
    cat_b, _ = fresh()
    p = Patient(age="60 years", weight="72 kg")
    view = rules.Context(cat_a, p).view
    assert rules.Context(cat_a, p).view is view
    assert rules.Context(cat_a, Patient(age="60 years", weight="72 kg")).view is view  # equal
    other = rules.Context(cat_b, p).view
    assert other is not view and other.catalog is cat_b
    assert rules.Context(cat_a, p).view is view  # the other catalog did not replace it
    assert rules.Context(cat_b, p).view is other


def test_the_shared_values_are_bounded() -> None:
    cat, _ = fresh()
    first = rules.Context(cat, Patient(weight="40 kg")).view
    for kg in range(41, 111):  # 70 more patients
        rules.Context(cat, Patient(weight=f"{kg} kg"))
    assert len(cat.derived(rules._Views)._views) == rules._VIEWS_MAX == 64
    assert rules.Context(cat, Patient(weight="40 kg")).view is not first  # the oldest went


def test_threads_sharing_a_catalog_share_one_view_per_patient_and_keep_the_bound() -> None:
    cat, _ = fresh()
    people = [Patient(weight=f"{kg} kg") for kg in range(40, 120)]  # 80 patients > 64
    start, first_done = threading.Barrier(8), threading.Barrier(8)

    def views(_: int) -> list[Any]:
        start.wait()  # the eight threads ask at once for the same eight patients
        first = [rules.Context(cat, p).view for p in people[:8]]
        first_done.wait()  # then all of them for all 80, dropping the oldest past 64
        for p in people:
            rules.Context(cat, p)
        return first

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(views, range(8)))
    for n in range(8):  # one view per patient, whichever thread made it
        assert len({id(found[n]) for found in seen}) == 1
        assert seen[0][n].patient == people[n]
    kept = cat.derived(rules._Views)._views
    assert len(kept) == 64  # the bound held under contention
    assert all(view.patient == p and view.catalog is cat for p, view in kept.items())


# --- findings of a firing rule -------------------------------------------------------------------


def test_unknown_medications_and_conditions_are_named() -> None:
    p = Patient(medications=["ref-harmless", "mystery-drug"], conditions=["mystery-condition"])
    out = run(p, rule("t-block", {"condition": "ref-block"}))
    assert out.findings == [
        Finding(
            "cannot-check",
            "unknown-medication",
            message="medication 'mystery-drug' is not known to calcidose; its interactions "
            "cannot be checked",
            management="Check interactions for it by another means, or use its exact id.",
            missing=("medication mystery-drug",),
        ),
        Finding(
            "cannot-check",
            "unknown-condition",
            message="condition 'mystery-condition' is not known to calcidose; it cannot be checked",
            management="Check it by another means, or use its exact id (calcidose conditions).",
            missing=("condition mystery-condition",),
        ),
    ]


def test_interaction_names_what_the_patient_takes() -> None:
    inhibitor = rule(
        "t-inhibitor",
        {"taking_class": "ref-inhibitor"},
        kind="interaction",
        message="An inhibitor raises refdrug levels.",
        management="Lower the dose.",
        sources=(*LABEL, *PAPER),
    )
    out = run(Patient(medications=["ref-interactor"]), inhibitor)
    assert out.findings == [
        Finding(
            "major",
            "t-inhibitor",
            message="An inhibitor raises refdrug levels. (patient takes: an interacting drug)",
            management="Lower the dose.",
            sources=("ref-label", "ref-paper"),
        )
    ]
    # two triggers, named in id order; one matched twice (by id and by class) is named once
    both = rule(
        "t-both",
        {
            "all": [
                {"taking": "ref-limiter"},
                {"taking": "ref-interactor"},
                {"taking_class": "ref-inhibitor"},
            ]
        },
    )
    out = run(Patient(medications=["ref-limiter", "ref-interactor"]), both)
    assert [f.message for f in out.findings] == [
        f"Message of t-both. (patient takes: {INTERACTOR}, {LIMITER})"
    ]
    # a rule that fires on no medication names none
    out = run(Patient(conditions=["ref-block"]), rule("t-block", {"condition": "ref-block"}))
    assert [f.message for f in out.findings] == ["Message of t-block."]


def test_a_medication_without_a_name_is_shown_by_its_id() -> None:
    cat, drug = fresh(rule("t-ghost", {"taking": "ghost"}))
    cat = attrs.evolve(cat, aliases={**cat.aliases, "ghost": "ghost"})  # no substance entry
    out = rules.evaluate(cat, drug, None, Patient(medications=["ghost"]))
    assert [f.message for f in out.findings] == ["Message of t-ghost. (patient takes: ghost)"]


def test_separation_says_the_interval_and_from_what() -> None:
    chelation = rule(
        "t-chelation",
        {"taking": "ref-interactor"},
        kind="interaction",
        severity="moderate",
        separate=TQuantity(2, "h"),
    )
    first = rule("t-first", {"always": True}, severity="info", separate=TQuantity(30, "min"))
    out = run(Patient(medications=["ref-interactor"]), chelation, first)
    assert [f.message for f in out.findings] == [
        # the separation names the trigger; no "(patient takes: ...)" besides
        f"Message of t-chelation. Separate refdrug from {INTERACTOR} by at least 2 hours.",
        "Message of t-first. Separate by at least 30 minutes.",
    ]


def test_cannot_check_names_the_rule_its_severity_and_what_is_missing() -> None:
    young = rule(
        "t-young",
        {"age_below": Q(8, "a")},
        severity="contraindicated",
        message="Not under 8 years.",
        management="Use another drug.",
        sources=(*LABEL, *PAPER),
    )
    both = rule("t-both", {"all": [{"age_below": Q(8, "a")}, {"pregnant": True}]})
    out = run(Patient(), young, both)
    assert out.findings == [
        Finding(
            "cannot-check",
            "t-young:cannot-check",
            message="cannot check t-young (contraindicated when it applies): Not under 8 years. "
            "Missing: the patient's age.",
            management="Give the patient's age, then check again. Until then: Use another drug.",
            sources=("ref-label", "ref-paper"),
            missing=("age",),
        ),
        Finding(
            "cannot-check",
            "t-both:cannot-check",
            message="cannot check t-both (major when it applies): Message of t-both. Missing: "
            "the patient's age and pregnancy status (pregnant or not).",
            management="Give the patient's age and pregnancy status (pregnant or not), then "
            "check again. Until then: Manage t-both.",
            sources=("ref-label",),
            missing=("age", "pregnancy status"),
        ),
    ]


def test_every_rule_is_evaluated_whatever_the_ones_before_gave() -> None:
    """Unknown, false, per-kg without a weight, order-only without an order: the next rule is
    still evaluated, in table order."""
    rule_list = (
        rule("t-order", {"order_per_day_above": Q(1, "mg/d")}),
        rule("t-young", {"age_below": Q(8, "a")}),
        rule("t-caution", {"condition": "ref-caution"}),
        rule(
            "t-perkg",
            {"crcl_below": Q(50, "mL/min")},
            adjust=(RuleAdjustment("day", TQuantity(5, "mg/kg/d"), LABEL),),
        ),
        rule("t-block", {"condition": "ref-block"}, severity="contraindicated"),
    )
    out = run(Patient(conditions=["ref-block"], crcl="35 mL/min"), *rule_list)
    assert [(f.code, f.missing) for f in out.findings] == [
        ("t-young:cannot-check", ("age",)),
        ("t-perkg:cannot-check", ("weight",)),
        ("t-block", ()),
    ]
    assert out.findings[1].message == (
        "cannot check t-perkg (major when it applies): Message of t-perkg. Missing: the "
        "patient's weight."
    )
    assert out.order_findings == [] and out.limits == []


def test_order_rules_report_apart_and_only_with_an_order() -> None:
    low = rule("t-low", {"order_per_day_at_most": Q(1, "mg/d")}, kind="indication")
    block = rule("t-block", {"condition": "ref-block"})
    p = Patient(conditions=["ref-block"])
    cat, drug = fresh(low, block)
    out = rules.evaluate(cat, drug, None, p, rules.OrderFacts(1.0, 1.0))
    assert [f.code for f in out.order_findings] == ["t-low"]
    assert [f.code for f in out.findings] == ["t-block"]
    weekly = rules.evaluate(cat, drug, None, p, rules.OrderFacts(1.0, None, 1.0))
    assert [f.code for f in weekly.order_findings] == ["t-low:cannot-check"]
    assert weekly.order_findings[0].message.endswith("Missing: the ordered amount per day.")


def test_rules_limited_to_regimens() -> None:
    rule_list = (
        rule("t-all", TRUE),
        rule("t-oral", TRUE, regimens=("oral",)),
        rule("t-iv", TRUE, regimens=("iv",)),
    )
    cat, drug = fresh(*rule_list, regimens=("iv",))
    oral, iv = drug.regimens

    def codes(regimen: Any) -> list[str]:
        return [f.code for f in rules.evaluate(cat, drug, regimen, Patient()).findings]

    assert codes(None) == ["t-all"]  # no regimen: only the rules for every regimen
    assert codes(oral) == ["t-all", "t-oral"]
    assert codes(iv) == ["t-all", "t-iv"]
    assert codes(None) == ["t-all"]


# --- limits --------------------------------------------------------------------------------------


def test_a_limit_is_stated_in_the_message_with_its_sources() -> None:
    cap = rule(
        "t-cap",
        {"taking": "ref-limiter"},
        kind="dose-adjustment",
        adjust=(
            RuleAdjustment("day", TQuantity(100, "mg/d"), LABEL, "label maximum"),
            RuleAdjustment("week", TQuantity(0.5, "g/wk"), (*LABEL, *PAPER)),
        ),
    )
    out = run(Patient(medications=["ref-limiter"]), cap)
    assert [f.message for f in out.findings] == [
        "Message of t-cap. Limit: at most 100 mg/day (ref-label); at most 0.5 g/week "
        f"(ref-label, ref-paper). (patient takes: {LIMITER})"
    ]
    # canonical values: 100 mg/day; 0.5 g/week = 500 mg/week
    assert [(x.kind, x.per, x.value, x.unit, x.sources, x.note) for x in out.limits] == [
        ("rule t-cap", "day", 100.0, "mg/d", ("ref-label",), "label maximum"),
        ("rule t-cap", "week", 500.0, "g/wk", ("ref-label", "ref-paper"), ""),
    ]
    assert out.steps == []  # one source per basis: no conflict, nothing to trace


def test_sources_that_disagree_strictest_applies_and_the_conflict_is_reported() -> None:
    conflict = rule(
        "t-conflict",
        {"taking": "ref-limiter"},
        kind="dose-adjustment",
        adjust=(
            # per day: 1 g/day = 1,000 mg/day against 600 mg/day: 600 mg/day applies
            RuleAdjustment("day", TQuantity(1, "g/d"), PAPER),
            RuleAdjustment("day", TQuantity(600, "mg/d"), LABEL, "label"),
            # per administration: 800 mg against 0.5 g = 500 mg: 0.5 g applies
            RuleAdjustment("administration", TQuantity(800, "mg"), (*PAPER, *REVIEW)),
            RuleAdjustment("administration", TQuantity(0.5, "g"), LABEL),
        ),
    )
    out = run(Patient(medications=["ref-limiter"]), conflict)
    main, per_day, per_admin = out.findings
    assert main.message == (
        "Message of t-conflict. Limit: at most 600 mg/day (ref-label); at most 0.5 g "
        f"(ref-label). (patient takes: {LIMITER})"
    )
    management = (
        "Apply the strictest limit unless a prescriber documents a reason (an institution "
        "table can choose another source)."
    )
    assert per_day == Finding(
        "info",
        "t-conflict:source-conflict",
        message="sources disagree on the refdrug limit per day (t-conflict): 600 mg/day "
        "(ref-label); 1 g/day (ref-paper); the strictest, 600 mg/day, is applied",
        management=management,
        sources=("ref-label", "ref-paper"),
    )
    assert per_admin == Finding(
        "info",
        "t-conflict:source-conflict",
        message="sources disagree on the refdrug limit per administration (t-conflict): "
        "0.5 g (ref-label); 800 mg (ref-paper, ref-review); the strictest, 0.5 g, is applied",
        management=management,
        sources=("ref-label", "ref-paper", "ref-review"),
    )
    assert out.steps == [
        Step(
            "source conflict (t-conflict)",
            "per day: 600 mg/day (ref-label); 1 g/day (ref-paper); strictest applied: {limit}",
            (("limit", 600.0, "mg/d"),),
            sources=("ref-label", "ref-paper"),
        ),
        Step(
            "source conflict (t-conflict)",
            "per administration: 0.5 g (ref-label); 800 mg (ref-paper, ref-review); "
            "strictest applied: {limit}",
            (("limit", 0.5, "g"),),  # 500 mg shown in the unit the table wrote
            sources=("ref-label", "ref-paper", "ref-review"),
        ),
    ]
    assert out.steps[1].text().endswith("strictest applied: 0.5 g")
    assert [(x.per, x.value, x.unit, x.sources, x.note) for x in out.limits] == [
        ("day", 600.0, "mg/d", ("ref-label",), "label"),
        ("administration", 500.0, "g", ("ref-label",), ""),
    ]


def test_equal_limits_in_different_units_are_no_conflict_and_the_first_listed_is_shown() -> None:
    same = rule(
        "t-same",
        TRUE,
        kind="dose-adjustment",
        # 1,000 mg/day = 1 g/day: the same limit, written twice
        adjust=(
            RuleAdjustment("day", TQuantity(1000, "mg/d"), PAPER),
            RuleAdjustment("day", TQuantity(1, "g/d"), LABEL),
        ),
    )
    out = run(Patient(), same)
    assert [f.message for f in out.findings] == [
        # the first listed (1,000 mg/day) is shown, written in grams as every view writes it
        "Message of t-same. Limit: at most 1 g/day (ref-paper)."
    ]
    assert [(x.value, x.unit, x.sources) for x in out.limits] == [(1000.0, "mg/d", ("ref-paper",))]
    assert out.steps == []


PER_KG = rule(
    "t-perkg",
    {"crcl_below": Q(50, "mL/min")},
    kind="dose-adjustment",
    adjust=(
        RuleAdjustment("day", TQuantity(500, "ug/kg/d"), LABEL),
        RuleAdjustment("day", TQuantity(40, "mg/d"), PAPER),
    ),
)


def test_a_per_kg_limit_is_computed_for_the_patient_and_traced() -> None:
    # 500 mcg/kg/day x 70 kg = 35,000 mcg/day = 35 mg/day, stricter than 40 mg/day
    cat, drug = fresh(PER_KG)
    out = rules.evaluate(cat, drug, None, Patient(weight="70 kg", crcl="35 mL/min"))
    shown = "500 mcg/kg/day x 70 kg = 35,000 mcg/day"
    main, conflict = out.findings
    assert main.message == f"Message of t-perkg. Limit: at most {shown} (ref-label)."
    assert conflict.message == (
        f"sources disagree on the refdrug limit per day (t-perkg): {shown} (ref-label); "
        f"40 mg/day (ref-paper); the strictest, {shown}, is applied"
    )
    ((kind, per, value, unit),) = [(x.kind, x.per, x.value, x.unit) for x in out.limits]
    assert (kind, per, unit) == ("rule t-perkg", "day", "ug/d")
    assert value == pytest.approx(35.0)  # mg/day, canonical
    crcl, per_kg, source_conflict = out.steps
    assert crcl.label == "creatinine clearance"  # the clearance comes first
    assert (per_kg.label, per_kg.formula, per_kg.sources) == (
        "limit per kg (t-perkg)",
        "{rate} x {weight} = {limit}",
        ("ref-label",),
    )
    assert [(n, u) for n, _, u in per_kg.terms] == [
        ("rate", "ug/kg/d"),
        ("weight", "kg"),
        ("limit", "ug/d"),
    ]
    assert [v for _, v, _ in per_kg.terms] == pytest.approx([500.0, 70.0, 35000.0])
    assert per_kg.text() == "500 mcg/kg/day x 70 kg = 35,000 mcg/day"
    assert source_conflict.text() == (
        f"per day: {shown} (ref-label); 40 mg/day (ref-paper); strictest applied: 35,000 mcg/day"
    )
    # another patient, another weight: 500 mcg/kg/day x 60 kg = 30,000 mcg/day
    out = rules.evaluate(cat, drug, None, Patient(weight="60 kg", crcl="35 mL/min"))
    assert out.findings[0].message == (
        "Message of t-perkg. Limit: at most 500 mcg/kg/day x 60 kg = 30,000 mcg/day (ref-label)."
    )
    assert out.limits[0].value == pytest.approx(30.0)


def test_per_kg_limits_are_kept_for_a_bounded_number_of_weights() -> None:
    cat, drug = fresh(PER_KG)
    (compiled,) = rules._compiled(cat, drug, None)
    assert compiled.limits_for(None) is None  # no weight: the caller reports it missing
    first = compiled.limits_for(1.0)
    assert first is not None and compiled.limits_for(1.0) is first
    for kg in range(2, 258):  # 257 weights in all: all kept
        compiled.limits_for(float(kg))
    assert compiled.limits_for(1.0) is first
    compiled.limits_for(258.0)  # the 258th: the kept ones are dropped first
    assert compiled.limits_for(1.0) is not first


# --- compiled once -------------------------------------------------------------------------------


def test_rules_are_compiled_once_per_drug_and_findings_reused() -> None:
    rule_list = (
        rule("t-all", TRUE),
        rule("t-oral", TRUE, regimens=("oral",)),
        rule("t-young", {"age_below": Q(8, "a")}),
        rule("t-cap", TRUE, adjust=(RuleAdjustment("day", TQuantity(100, "mg/d"), LABEL),)),
    )
    cat, drug = fresh(*rule_list)
    (oral,) = drug.regimens
    a = rules.evaluate(cat, drug, None, Patient())
    b = rules.evaluate(cat, drug, oral, Patient())
    c = rules.evaluate(cat, drug, oral, Patient(sex="male"))
    assert [f.code for f in a.findings] == ["t-all", "t-young:cannot-check", "t-cap"]
    assert [f.code for f in b.findings] == ["t-all", "t-oral", "t-young:cannot-check", "t-cap"]
    assert b.findings[0] is a.findings[0] and c.findings[0] is a.findings[0]
    assert b.findings[2] is a.findings[1] and c.findings[2] is a.findings[1]
    assert c.findings[1] is b.findings[1]
    assert c.limits[0] is b.limits[0] is a.limits[0]


def test_compiled_rules_and_names_go_with_their_catalog() -> None:
    cat, drug = fresh(rule("t-all", TRUE))
    names = names_of(cat)
    assert names["ref-interactor"] == INTERACTOR and names["refdrug"] == "refdrug"
    assert names_of(cat) is names
    (compiled,) = rules._compiled(cat, drug, None)
    assert compiled.names is names
    gone = weakref.ref(cat)
    del cat, drug, names, compiled
    gc.collect()
    assert gone() is None  # nothing outside the catalog holds it (or what it derived)


def test_two_catalogs_holding_one_drug_never_share_its_compiled_rules() -> None:
    cat_a, drug = fresh(rule("t-all", TRUE))
    renamed = attrs.evolve(cat_a.substances["ref-interactor"], name="a renamed interactor")
    cat_b = attrs.evolve(cat_a, substances={**cat_a.substances, "ref-interactor": renamed})
    assert cat_b.drugs["refdrug"] is drug  # the same drug object in both
    (in_a,) = rules._compiled(cat_a, drug, None)
    (in_b,) = rules._compiled(cat_b, drug, None)
    assert in_a is not in_b
    assert in_a.names is not None and in_a.names["ref-interactor"] == INTERACTOR
    assert in_b.names is not None and in_b.names["ref-interactor"] == "a renamed interactor"
    assert rules._compiled(cat_a, drug, None)[0] is in_a  # each kept with its own catalog


def test_a_drug_the_catalog_does_not_hold_is_compiled_for_the_call_only() -> None:
    cat, drug = fresh(rule("t-all", TRUE))
    other = attrs.evolve(drug, rules=(rule("t-other", TRUE),))
    (first,) = rules._compiled(cat, other, None)
    assert first.rule.id == "t-other"
    assert rules._compiled(cat, other, None)[0] is not first  # not kept
    (own,) = rules._compiled(cat, drug, None)
    assert own.rule.id == "t-all"  # the catalog's own drug is not replaced by the other
    assert rules._compiled(cat, drug, None)[0] is own


def test_threads_compiling_one_drug_at_once_get_the_same_rules() -> None:
    cat, drug = fresh(rule("t-all", TRUE), rule("t-oral", TRUE, regimens=("oral",)))
    (oral,) = drug.regimens
    start = threading.Barrier(8)

    def compile_now(n: int) -> tuple[Any, ...]:
        start.wait()
        return rules._compiled(cat, drug, oral if n % 2 else None)

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(compile_now, range(8)))
    assert [c.rule.id for c in found[0]] == ["t-all"]
    assert [c.rule.id for c in found[1]] == ["t-all", "t-oral"]
    assert len({id(f) for f in found[0::2]}) == 1 and len({id(f) for f in found[1::2]}) == 1
    assert found[1][0] is found[0][0]  # each rule compiled once for both regimens
