"""Semantic validation of a structured catalog: what the schema alone cannot say.

Each check yields :class:`~calcidose.errors.TableProblem` with file, entry and field path:
units known and of the right dimension for their field, low <= high, positive values inside
plausibility windows, caps consistent with ranges and frequencies, every reference resolving
(sources, conditions, classes, substances, frequencies, regimens), dosable regimens sourced,
predicates well formed, no duplicate ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from .. import frequency, units
from ..errors import TableProblem
from .model import EVIDENCE_GRADES, Cap, Catalog, Course, Drug, Product, Regimen, Rule, TQuantity

__all__ = [
    "CALCINOSIS_TYPES",
    "CAP_DIMENSIONS",
    "DOSE_DIMENSIONS",
    "PLAUSIBLE_MAX",
    "PREDICATE_LEAVES",
    "validate_catalog",
]

CALCINOSIS_TYPES: Final = ("dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis")

#: (basis, scale) -> dimensions the range's unit may have.
DOSE_DIMENSIONS: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("per-day", "fixed"): frozenset({"amount/day"}),
    ("per-day", "weight"): frozenset({"amount/weight/day"}),
    ("per-administration", "fixed"): frozenset({"amount", "volume"}),
    ("per-administration", "weight"): frozenset({"amount/weight"}),
    ("per-administration", "bsa"): frozenset({"amount/area"}),
    ("per-week", "fixed"): frozenset({"amount/week"}),
    ("per-course", "fixed"): frozenset({"amount"}),
    ("per-course", "weight"): frozenset({"amount/weight"}),
    ("per-course", "bsa"): frozenset({"amount/area"}),
    ("per-session", "fixed"): frozenset({"amount", "volume"}),
}

#: cap ``per`` -> dimensions its ``max`` may have.
CAP_DIMENSIONS: Final[dict[str, frozenset[str]]] = {
    "day": frozenset({"amount/day"}),
    "administration": frozenset({"amount", "volume"}),
    "course": frozenset({"amount", "volume"}),
    "session": frozenset({"amount", "volume"}),
    "week": frozenset({"amount/week"}),
}

_BASIS_OF_CAP: Final = {
    "per-day": "day",
    "per-administration": "administration",
    "per-week": "week",
    "per-course": "course",
    "per-session": "session",
}

#: Plausibility windows: the largest believable value of each dimension, in its canonical
#: unit (a calcidose product decision to catch slips such as g for mg; not clinical limits).
PLAUSIBLE_MAX: Final[dict[str, float]] = {
    "amount": 300_000.0,  # mg: 300 g (an IVIG course for a 150 kg adult)
    "amount/day": 100_000.0,  # mg/d: 100 g/day
    "amount/week": 300_000.0,  # mg/wk
    "amount/weight/day": 1_000.0,  # mg/kg/d
    "amount/weight": 5_000.0,  # mg/kg (IVIG 2 g/kg per course)
    "amount/weight/minute": 20.0,  # mg/kg/min (IVIG infusion rates)
    "amount/area": 50_000.0,  # mg/m2 (STS 25 g/1.73 m2 = 14.5 g/m2)
    "volume": 1_000.0,  # mL
    "volume/skin-area": 10.0,  # mL/cm2
    "concentration": 1_000.0,  # mg/mL
    "content": 1_000.0,  # mg/g
    "weight": 500.0,  # kg
    "height": 250.0,  # cm
    "bsa": 5.0,  # m2
    "bmi": 250.0,  # kg/m2 (the patient plausibility window of calcidose.measures)
    "time": 130 * 365.25,  # d
    "scr": 25.0,  # mg/dL
    "crcl": 250.0,  # mL/min
    "egfr": 250.0,  # mL/min/1.73 m2
}

#: Predicate leaves: key -> the dimension of its quantity, or the Python type of its value.
PREDICATE_LEAVES: Final[dict[str, str | type]] = {
    "always": bool,
    "condition": str,
    "taking": str,
    "taking_class": str,
    "age_below": "time",
    "age_at_least": "time",
    "weight_below": "weight",
    "weight_at_least": "weight",
    "bmi_above": "bmi",
    "height_at_least": "height",
    "crcl_below": "crcl",
    "crcl_at_least": "crcl",
    "egfr_below": "egfr",
    "pregnant": bool,
    "lactating": bool,
    "childbearing_potential": bool,
    "sex": str,
    "lab": str,
    "order_per_day_at_most": "amount/day",
    "order_per_day_above": "amount/day",
    "order_per_kg_at_most": "amount/weight",
    "order_per_kg_above": "amount/weight",
    "renal": dict,
}

#: The bounds a ``renal = { ... }`` band may give (creatinine clearance, mL/min).
RENAL_BOUNDS: Final = ("crcl_below", "crcl_at_most", "crcl_at_least", "crcl_above")

#: A rule's limit may also be per kg of body weight: calcidose.engine.rules multiplies it by the
#: patient's weight (cannot-check without it).
_PER_KG_LIMIT: Final[dict[str, frozenset[str]]] = {
    "day": frozenset({"amount/weight/day"}),
    "administration": frozenset({"amount/weight"}),
    "course": frozenset({"amount/weight"}),
    "session": frozenset({"amount/weight"}),
}

#: A cap may be per kg of body weight too (calcidose.engine.dosing multiplies it by the weight): a
#: label maximum of 4 mg/kg/day, a course of at most 2 g/kg.
CAP_PER_KG: Final[dict[str, frozenset[str]]] = {
    "day": frozenset({"amount/weight/day"}),
    "administration": frozenset({"amount/weight"}),
    "course": frozenset({"amount/weight"}),
    "session": frozenset({"amount/weight"}),
}

_RULE_KIND_NEEDS: Final = {"dose-adjustment": "adjust", "separation": "separate"}


def _cap_dimensions(per: str) -> frozenset[str]:
    return CAP_DIMENSIONS[per] | CAP_PER_KG.get(per, frozenset())


class _Checker:
    def __init__(
        self,
        catalog: Catalog,
        labels: Mapping[str, str],
        vocab: Mapping[tuple[str, str], str],
    ) -> None:
        self.catalog = catalog
        self.labels = labels
        self.vocab = vocab
        self.problems: list[TableProblem] = []
        self.file = ""
        self.entry = ""

    def fail(self, field: str, message: str) -> None:
        self.problems.append(TableProblem(self.file, self.entry, field, message))

    # --- references -----------------------------------------------------------------------

    def sources(self, ids: tuple[str, ...], field: str, required: bool = False) -> None:
        if required and not ids:
            self.fail(field, "needs at least one source")
        for n, source in enumerate(ids):
            if source not in self.catalog.sources:
                self.fail(f"{field}[{n}]", f"unknown source {source!r} (not in sources.toml)")

    def quantity(self, q: TQuantity, field: str, dimensions: frozenset[str] | str) -> float | None:
        """Check unit and dimension; return the canonical value, or None on a problem."""
        allowed = frozenset({dimensions}) if isinstance(dimensions, str) else dimensions
        unit = units.UCUM.get(q.unit)
        if unit is None:
            self.fail(f"{field}.unit", f"unit {q.unit!r} is not an accepted UCUM code")
            return None
        if unit.dimension not in allowed:
            want = " or ".join(sorted(allowed))
            self.fail(
                f"{field}.unit", f"unit {q.unit!r} is a {unit.dimension}; this field needs {want}"
            )
            return None
        value = q.value
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.fail(f"{field}.value", f"{value!r} is not a number")
            return None
        canonical = value * unit.factor
        if canonical <= 0:
            self.fail(f"{field}.value", f"{value} must be greater than zero")
            return None
        ceiling = PLAUSIBLE_MAX.get(unit.dimension)
        if ceiling is not None and canonical > ceiling:
            self.fail(
                f"{field}.value",
                f"{value} {q.unit} is outside the plausibility window for {unit.dimension} "
                f"(at most {units.format_number(ceiling)} in canonical units)",
            )
            return None
        return canonical

    # --- the parts ------------------------------------------------------------------------

    def vocabularies(self) -> None:
        cat = self.catalog
        for source in cat.sources.values():
            self.file, self.entry = (
                self.vocab.get(("sources", source.id), "sources.toml"),
                source.id,
            )
            for name in ("title", "citation", "checked"):
                if not getattr(source, name).strip():
                    self.fail(f"$.{name}", "must not be empty")
        for condition in cat.conditions.values():
            self.file = self.vocab.get(("conditions", condition.id), "conditions.toml")
            self.entry = condition.id
            self.sources(condition.sources, "$.sources")
            if condition.implies_crcl_below is not None:
                self.quantity(condition.implies_crcl_below, "$.implies_crcl_below", "crcl")
            elif not condition.implied_by_crcl:
                self.fail("$.implied_by_crcl", "only a renal condition (implies_crcl_below) has it")
        for klass in cat.classes.values():
            self.file = self.vocab.get(("classes", klass.id), "substances.toml")
            self.entry = klass.id
            self.sources(klass.sources, "$.sources")
        for substance in cat.substances.values():
            self.file = self.vocab.get(("substances", substance.id), "substances.toml")
            self.entry = substance.id
            self.sources(substance.sources, "$.sources")
            self.classes(substance.classes, "$.classes")
            self.memberships(substance.classes, substance.sources)
            if substance.id in cat.drugs:
                self.fail("$.id", "is a catalog drug id; give its classes in the drug file")

    def meta(self) -> None:
        """The childbearing-potential window: ages, min below max, sourced."""
        window = self.catalog.meta.childbearing_potential
        if window is None:
            return
        self.file = self.vocab.get(("meta", ""), "meta.toml")
        self.entry = "childbearing_potential"
        self.sources(window.sources, "$.childbearing_potential.sources", required=True)
        low = self.quantity(window.min_age, "$.childbearing_potential.min_age", "time")
        high = self.quantity(window.max_age, "$.childbearing_potential.max_age", "time")
        if low is not None and high is not None and low >= high:
            self.fail("$.childbearing_potential", "min_age must be below max_age")

    def memberships(self, classes: tuple[str, ...], sources: tuple[str, ...]) -> None:
        """Each class of a substance is sourced: one of the substance's sources is also a
        source of the class (e.g. the FDA table for a CYP3A4 inhibitor)."""
        for n, klass in enumerate(classes):
            found = self.catalog.classes.get(klass)
            known = [s for s in found.sources if s in self.catalog.sources] if found else []
            if known and not set(known) & set(sources):
                self.fail(
                    f"$.classes[{n}]",
                    f"class {klass!r} is not sourced: cite one of its sources "
                    f"({', '.join(known)}) in $.sources",
                )

    def classes(self, ids: tuple[str, ...], field: str) -> None:
        for n, klass in enumerate(ids):
            if klass not in self.catalog.classes:
                self.fail(f"{field}[{n}]", f"unknown class {klass!r} (not in substances.toml)")

    def drug(self, drug: Drug) -> None:
        self.file, self.entry = self.labels.get(drug.id, drug.id), drug.id
        self.sources(drug.sources, "$.sources", required=True)
        self.classes(drug.classes, "$.classes")
        if not drug.summary.strip():
            self.fail("$.summary", "must not be empty")
        if not drug.regimens:
            self.fail("$.regimens", "needs at least one regimen (a not-dosable one says why)")
        seen: set[str] = set()
        for n, regimen in enumerate(drug.regimens):
            field = f"$.regimens[{n}]"
            if regimen.id in seen:
                self.fail(f"{field}.id", f"duplicate regimen id {regimen.id!r}")
            seen.add(regimen.id)
            self.regimen(regimen, field)
        for n, rule in enumerate(drug.rules):
            self.rule(rule, f"$.rules[{n}]", seen)
        for n, cap in enumerate(drug.caps):
            self.cap(cap, f"$.caps[{n}]")

    def cap(self, cap: Cap, field: str) -> float | None:
        """A cap's sources (required) and its ``max`` in a dimension its ``per`` allows."""
        self.sources(cap.sources, f"{field}.sources", required=True)
        return self.quantity(cap.max, f"{field}.max", _cap_dimensions(cap.per))

    def regimen(self, regimen: Regimen, field: str) -> None:
        """One regimen: sources, grade, types, population, frequencies, dose or its absence,
        products and course, checked in that order (the order of the problems reported)."""
        self.sources(regimen.sources, f"{field}.sources", required=regimen.dosable)
        if regimen.evidence not in EVIDENCE_GRADES:
            self.fail(
                f"{field}.evidence",
                f"{regimen.evidence!r} is not a grade; use one of {', '.join(EVIDENCE_GRADES)}",
            )
        for n, kind in enumerate(regimen.calcinosis_types):
            if kind not in CALCINOSIS_TYPES:
                self.fail(f"{field}.calcinosis_types[{n}]", f"unknown calcinosis type {kind!r}")
        self.population(regimen, field)
        freq_ids = self.frequencies(regimen, field)
        if regimen.dosable:
            self.dosable(regimen, field, freq_ids)
        else:
            self.not_dosable(regimen, field)
        for n, product in enumerate(regimen.products):
            self.product(product, f"{field}.products[{n}]", freq_ids)
        if regimen.course is not None:
            self.course(regimen.course, f"{field}.course")

    def population(self, regimen: Regimen, field: str) -> None:
        """The population's ages are times, min_age below max_age."""
        pop = regimen.population
        low = (
            self.quantity(pop.min_age, f"{field}.population.min_age", "time")
            if (pop.min_age)
            else None
        )
        high = (
            self.quantity(pop.max_age, f"{field}.population.max_age", "time")
            if (pop.max_age)
            else None
        )
        if low is not None and high is not None and low >= high:
            self.fail(f"{field}.population", "min_age must be below max_age")

    def frequencies(self, regimen: Regimen, field: str) -> set[str]:
        """The regimen's frequency ids that exist (each unknown one reported)."""
        freq_ids = set()
        for n, freq in enumerate(regimen.frequencies):
            try:
                freq_ids.add(frequency.by_id(freq).id)
            except ValueError as exc:
                self.fail(f"{field}.frequencies[{n}]", str(exc))
        return freq_ids

    def dosable(self, regimen: Regimen, field: str, freq_ids: set[str]) -> None:
        """A dosable regimen has a dose range and no not-dosable reason."""
        if regimen.not_dosable_reason:
            self.fail(f"{field}.not_dosable_reason", "a dosable regimen has no such reason")
        if regimen.dose is None:
            self.fail(f"{field}.dose", "a dosable regimen needs a dose range")
        else:
            self.dose(regimen, field, freq_ids)

    def not_dosable(self, regimen: Regimen, field: str) -> None:
        """A not-dosable regimen says why, carries no range; its caps are still checked."""
        for n, cap in enumerate(regimen.caps):
            self.cap(cap, f"{field}.caps[{n}]")
        if not (regimen.not_dosable_reason or "").strip():
            self.fail(f"{field}.not_dosable_reason", "a not-dosable regimen must say why")
        if regimen.dose is not None:
            self.fail(f"{field}.dose", "a not-dosable regimen must not carry a dose range")

    def product(self, product: Product, pfield: str, freq_ids: set[str]) -> None:
        """A product: sourced, on the regimen's frequencies, strengths (amount or volume) or a
        concentration, and its own caps."""
        self.sources(product.sources, f"{pfield}.sources", required=True)
        for m, freq in enumerate(product.frequencies):
            if freq not in freq_ids:
                self.fail(
                    f"{pfield}.frequencies[{m}]",
                    f"{freq!r} is not one of the regimen's frequencies",
                )
        for m, strength in enumerate(product.strengths):
            self.quantity(strength, f"{pfield}.strengths[{m}]", frozenset({"amount", "volume"}))
        if product.concentration is not None:
            self.quantity(
                product.concentration,
                f"{pfield}.concentration",
                frozenset({"concentration", "content"}),
            )
        if not product.strengths and product.concentration is None:
            self.fail(pfield, "a product needs strengths or a concentration")
        for m, cap in enumerate(product.caps):
            self.cap(cap, f"{pfield}.caps[{m}]")

    def course(self, course: Course, cfield: str) -> None:
        """A course: intervals are times, at least one administration and one day, min <= max."""
        for name in ("interval", "repeat_every"):
            value = getattr(course, name)
            if value is not None:
                self.quantity(value, f"{cfield}.{name}", "time")
        if course.administrations is not None and course.administrations < 1:
            self.fail(f"{cfield}.administrations", "must be at least 1")
        lo, hi = course.min_days, course.max_days
        if (lo is not None and lo < 1) or (hi is not None and hi < 1):
            self.fail(cfield, "min_days and max_days must be at least 1")
        if lo is not None and hi is not None and lo > hi:
            self.fail(cfield, "min_days must not exceed max_days")

    def dose(self, regimen: Regimen, field: str, freq_ids: set[str]) -> None:
        dose = regimen.dose
        assert dose is not None
        dfield = f"{field}.dose"
        self.sources(dose.sources, f"{dfield}.sources", required=True)
        allowed = DOSE_DIMENSIONS.get((dose.basis, dose.scale))
        if allowed is None:
            self.fail(dfield, f"basis {dose.basis!r} cannot be scaled by {dose.scale!r}")
            return
        low = self.quantity(dose.low, f"{dfield}.low", allowed)
        high = self.quantity(dose.high, f"{dfield}.high", allowed)
        if low is not None and high is not None:
            if dose.low.unit != dose.high.unit:
                self.fail(f"{dfield}.high.unit", "low and high must use the same unit")
            if low > high:
                self.fail(f"{dfield}.low", "low must not exceed high")
        for freq in freq_ids:
            f = frequency.by_id(freq)
            if dose.basis == "per-day" and not f.is_daily:
                self.fail(
                    f"{field}.frequencies",
                    f"{freq!r} is not daily; a per-day regimen cannot use it",
                )
            if dose.basis == "per-week" and f.period_days != 7.0:
                self.fail(
                    f"{field}.frequencies",
                    f"{freq!r} is not weekly; a per-week regimen cannot use it",
                )
        if dose.basis in ("per-day", "per-week") and not freq_ids:
            self.fail(f"{field}.frequencies", f"a {dose.basis} regimen needs its frequencies")
        for n, cap in enumerate(regimen.caps):
            cfield = f"{field}.caps[{n}]"
            value = self.cap(cap, cfield)
            if value is not None and units.UCUM[cap.max.unit].dimension.startswith("amount/wei"):
                value = None  # a per-kg cap: compared with the range only once scaled
            if cap.per == "week" and dose.basis != "per-week":
                self.fail(f"{cfield}.per", "a weekly cap on a regimen that is not weekly")
            if dose.basis == "per-week" and cap.per == "day":
                self.fail(f"{cfield}.per", "a daily cap on a weekly regimen")
            same_basis = _BASIS_OF_CAP[dose.basis] == cap.per and dose.scale == "fixed"
            if value is not None and low is not None and same_basis and value < low:
                self.fail(f"{cfield}.max", "the cap is below the low end of the range")

    def rule(self, rule: Rule, field: str, regimen_ids: set[str]) -> None:
        self.sources(rule.sources, f"{field}.sources", required=True)
        for name in ("message", "management"):
            if not getattr(rule, name).strip():
                self.fail(f"{field}.{name}", "must not be empty")
        for n, regimen_id in enumerate(rule.regimens):
            if regimen_id not in regimen_ids:
                self.fail(f"{field}.regimens[{n}]", f"unknown regimen {regimen_id!r}")
        needed = _RULE_KIND_NEEDS.get(rule.kind)
        if needed == "adjust" and not rule.adjust:
            self.fail(f"{field}.adjust", "a dose-adjustment rule needs at least one limit")
        if needed == "separate" and rule.separate is None:
            self.fail(f"{field}.separate", "a separation rule needs the interval")
        for n, adjust in enumerate(rule.adjust):
            afield = f"{field}.adjust[{n}]"
            self.sources(adjust.sources, f"{afield}.sources", required=True)
            allowed = CAP_DIMENSIONS[adjust.per] | _PER_KG_LIMIT.get(adjust.per, frozenset())
            self.quantity(adjust.max, f"{afield}.max", allowed)
        if rule.separate is not None:
            self.quantity(rule.separate, f"{field}.separate", "time")
        self.predicate(rule.when, f"{field}.when")

    def predicate(self, node: Any, field: str, depth: int = 0) -> None:
        if depth > MAX_PREDICATE_DEPTH:
            self.fail(field, f"predicates nest at most {MAX_PREDICATE_DEPTH} levels deep")
            return
        if not isinstance(node, Mapping) or not node:
            self.fail(field, "a predicate must be a non-empty table")
            return
        keys = set(node)
        if keys & {"all", "any"}:
            if len(keys) != 1:
                self.fail(field, "'all'/'any' must stand alone in their table")
                return
            (key,) = keys
            parts = node[key]
            if not isinstance(parts, list) or not parts:
                self.fail(f"{field}.{key}", "must be a non-empty list of predicates")
                return
            for n, part in enumerate(parts):
                self.predicate(part, f"{field}.{key}[{n}]", depth + 1)
            return
        if "not" in keys:
            if len(keys) != 1:
                self.fail(field, "'not' must stand alone in its table")
                return
            self.predicate(node["not"], f"{field}.not", depth + 1)
            return
        if keys == {"lab", "equals"}:
            self.lab(node, field)
            return
        if len(keys) != 1:
            self.fail(field, f"one leaf per table, got {', '.join(sorted(keys))}")
            return
        (key,) = keys
        self.leaf(key, node[key], f"{field}.{key}")

    def lab(self, node: Mapping[str, Any], field: str) -> None:
        from ..patient import LAB_VALUES

        lab, value = node["lab"], node["equals"]
        if lab not in LAB_VALUES:
            self.fail(f"{field}.lab", f"unknown lab {lab!r}; known: {', '.join(LAB_VALUES)}")
        elif value not in LAB_VALUES[lab]:
            self.fail(f"{field}.equals", f"{lab} takes {', '.join(LAB_VALUES[lab])}")

    def leaf(self, key: str, value: Any, field: str) -> None:
        kind = PREDICATE_LEAVES.get(key)
        if kind is None:
            self.fail(field, f"unknown predicate {key!r}; known: {', '.join(PREDICATE_LEAVES)}")
            return
        if isinstance(kind, str):
            if not isinstance(value, Mapping) or set(value) != {"value", "unit"}:
                self.fail(field, "must be a quantity { value = ..., unit = ... }")
                return
            self.quantity(TQuantity(value["value"], value["unit"]), field, kind)
            return
        if key == "renal":
            self.renal(value, field)
            return
        if not isinstance(value, kind):
            self.fail(field, f"must be a {kind.__name__}")
            return
        cat = self.catalog
        if key == "always" and value is not True:
            self.fail(field, "always must be true")
        elif key in ("pregnant", "lactating", "childbearing_potential") and value is not True:
            self.fail(field, f"write {{ not = {{ {key} = true }} }} instead of false")
        elif key == "condition" and value not in cat.conditions:
            self.fail(field, f"unknown condition {value!r} (not in conditions.toml)")
        elif key == "taking" and value not in cat.drugs and value not in cat.substances:
            self.fail(field, f"unknown drug or substance {value!r}")
        elif key == "taking_class" and value not in cat.classes:
            self.fail(field, f"unknown class {value!r} (not in substances.toml)")
        elif key == "sex" and value not in ("female", "male"):
            self.fail(field, "sex is 'female' or 'male'")

    def renal(self, value: Any, field: str) -> None:
        if not isinstance(value, Mapping) or not value:
            self.fail(field, f"must be a table of one or more of {', '.join(RENAL_BOUNDS)}")
            return
        for bound, q in value.items():
            if bound not in RENAL_BOUNDS:
                self.fail(f"{field}.{bound}", f"unknown bound; known: {', '.join(RENAL_BOUNDS)}")
            elif not isinstance(q, Mapping) or set(q) != {"value", "unit"}:
                self.fail(f"{field}.{bound}", "must be a quantity { value = ..., unit = ... }")
            else:
                self.quantity(TQuantity(q["value"], q["unit"]), f"{field}.{bound}", "crcl")


def drug_rule_ids(catalog: Catalog) -> Iterator[tuple[str, str, int]]:
    """(drug id, rule id, position) for every rule."""
    for drug in catalog.drugs.values():
        for n, rule in enumerate(drug.rules):
            yield drug.id, rule.id, n


#: Predicates nested deeper than this are refused (they are never needed, and the evaluator
#: and the JSON Schema validator recurse).
MAX_PREDICATE_DEPTH: Final = 16


#: Every id is a lowercase ASCII slug (the tables' JSON Schema says the same): a Cyrillic
#: "е", a capital, a space or a slash would make an id that no patient input ever matches.
SLUG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_slugs(
    checker: _Checker,
    catalog: Catalog,
    labels: Mapping[str, str],
    vocab: Mapping[tuple[str, str], str],
) -> None:
    from ..safeio import shown

    def check(ident: str, file: str, entry: str, field: str) -> None:
        if not SLUG.fullmatch(ident):
            checker.file, checker.entry = file, entry
            checker.fail(field, f"id {shown(ident)} is not a lowercase ASCII slug (a-z, 0-9, -)")

    for section, entries in (
        ("sources", catalog.sources),
        ("conditions", catalog.conditions),
        ("classes", catalog.classes),
        ("substances", catalog.substances),
    ):
        for ident in entries:
            check(ident, vocab.get((section, ident), f"{section}.toml"), ident, "$.id")
    for drug in catalog.drugs.values():
        file = labels.get(drug.id, drug.id)
        check(drug.id, file, drug.id, "$.id")
        for n, regimen in enumerate(drug.regimens):
            check(regimen.id, file, drug.id, f"$.regimens[{n}].id")
        for n, rule in enumerate(drug.rules):
            check(rule.id, file, drug.id, f"$.rules[{n}].id")


def validate_catalog(
    catalog: Catalog,
    labels: Mapping[str, str],
    vocab: Mapping[tuple[str, str], str] | None = None,
) -> list[TableProblem]:
    """Every semantic problem of the catalog; an empty list when it is valid.

    ``labels`` maps drug ids to their file, ``vocab`` maps (section, id) to the file of a
    vocabulary entry, so every problem names the file it is in."""
    checker = _Checker(catalog, labels, vocab or {})
    _check_slugs(checker, catalog, labels, vocab or {})
    checker.vocabularies()
    checker.meta()
    for drug in catalog.drugs.values():
        checker.drug(drug)
    seen: dict[str, str] = {}
    for drug_id, rule_id, n in drug_rule_ids(catalog):
        if rule_id in seen:
            checker.file, checker.entry = labels.get(drug_id, drug_id), drug_id
            checker.fail(f"$.rules[{n}].id", f"rule id {rule_id!r} also used in {seen[rule_id]}")
        seen[rule_id] = drug_id
    return checker.problems
