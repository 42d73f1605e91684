"""Safety rules as data, evaluated against the patient (and an order) with three-valued logic.

A rule's ``when`` predicate (tables/README.md) is evaluated to True, False or None (unknown).

* **True**: the rule fires and its finding is reported with its severity, its message and what
  to do. An interaction names the patient's medications that triggered it. A dose-adjustment
  rule also imposes its limits: one per source, the strictest applies, and when the sources
  disagree the conflict is reported with both (a ``source-conflict`` finding and a trace step).
  A separation rule says the interval and what to separate the drug from.
* **Unknown**: a ``cannot-check`` finding names the missing inputs (e.g. age for minocycline,
  the HBsAg result for rituximab); it never passes silently.
* Unknown medication or condition ids give ``cannot-check`` findings naming them.

Patient-state-conditional severity is data: two rules on the same interaction with different
predicates (colchicine with a strong CYP3A4 or P-gp inhibitor is ``contraindicated`` when renal
or hepatic function is impaired, and a ``major`` dose reduction otherwise); the three-valued
logic makes the contraindication ``cannot-check`` when renal function is unknown while the
reduction still applies.

Renal predicates (``crcl_below``, ``crcl_at_least``, ``egfr_below``, the ``renal = { ... }``
band, and ``condition`` on a renal condition such as ``renal-impairment`` or ``hemodialysis``)
all read one notion of renal function, derived once per patient by
:mod:`calcidose.engine.renal` from every input (CrCl given, Cockcroft-Gault, eGFR, the
conditions); its steps go to the trace.

Order predicates (``order_per_day_at_most``, ``order_per_day_above``) read the written order
(:class:`OrderFacts`); rules that use them are evaluated only when an order is checked, and their
findings are kept apart (:attr:`Outcome.order_findings`).

Speed: each drug's rules are compiled once (predicate trees into closures with thresholds in
canonical units, findings prebuilt or cached) and reused for every patient.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from .. import safeio, units
from ..catalog.model import Catalog, Drug, Regimen, Rule
from ..catalog.vocabulary import display, lookup, names_of, suggest
from ..patient import Patient
from ..results import Finding, Step
from . import renal
from .limits import Limit
from .renal import RenalFunction

__all__ = [
    "ORDER_LEAVES",
    "Context",
    "OrderFacts",
    "Outcome",
    "compile_predicate",
    "evaluate",
    "evaluate_predicate",
    "missing_text",
    "reproductive_state",
    "rule_uses_order",
]

Truth = bool | None
Predicate = Callable[["Context"], Truth]

#: Predicate leaves that read the order rather than the patient.
ORDER_LEAVES: Final = frozenset(
    {"order_per_day_at_most", "order_per_day_above", "order_per_kg_at_most", "order_per_kg_above"}
)

_DAYS_PER_YEAR: Final = 365.25

#: How a missing input is named in a message (the ``missing`` field keeps the short name).
_MISSING_TEXT: Final[dict[str, str]] = {
    "age": "the patient's age",
    "weight": "the patient's weight",
    "sex": "the patient's sex",
    "pregnancy status": "pregnancy status (pregnant or not)",
    "lactation status": "lactation status (breastfeeding or not)",
    "lab hbsag": "the HBsAg result (hepatitis B status)",
    "lab anti-hbc": "the anti-HBc result (hepatitis B status)",
    "lab tb-screen": "a tuberculosis screening result",
    "ordered amount per day": "the ordered amount per day",
    "ordered amount per administration": "the ordered amount per administration",
}


def missing_text(names: Iterable[str]) -> str:
    """The missing inputs as words for a message (``"the patient's age and ..."``)."""
    words = [_MISSING_TEXT.get(n, n) for n in sorted(names)]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


@attrs.frozen(slots=True)
class OrderFacts:
    """What a written order gives, in canonical units, for order predicates.

    ``per_day`` (mg/d) is None when the order is not daily (a weekly order has no per-day
    amount: calcidose does not average it).
    """

    per_administration: float | None = None
    per_day: float | None = None
    per_week: float | None = None


@attrs.define
class Outcome:
    """What the rules say for one drug, regimen and patient (and order)."""

    findings: list[Finding] = attrs.field(factory=list)
    steps: list[Step] = attrs.field(factory=list)
    limits: list[Limit] = attrs.field(factory=list)
    #: Findings of rules that read the order (only when an order is given).
    order_findings: list[Finding] = attrs.field(factory=list)


class _View:
    """What is derived from one patient for one catalog, computed once and shared by every
    evaluation for that patient (a dose plan, an order check, the options list)."""

    __slots__ = (
        "_by_class",
        "_renal",
        "_resolved",
        "_shown",
        "_taking",
        "_unknown",
        "catalog",
        "patient",
    )

    def __init__(self, catalog: Catalog, patient: Patient) -> None:
        self.catalog = catalog
        self.patient = patient
        self._renal: RenalFunction | None = None
        self._taking: frozenset[str] | None = None
        self._resolved: dict[str, str | None] | None = None
        self._shown: dict[str, str] | None = None
        self._by_class: dict[str, tuple[str, ...]] | None = None
        self._unknown: tuple[Finding, ...] | None = None

    def taking(self) -> frozenset[str]:
        if self._taking is None:
            resolved = self.resolved()
            self._taking = frozenset(i for i in resolved.values() if i is not None)
        return self._taking

    def resolved(self) -> dict[str, str | None]:
        """Each medication as given -> the id it names (exact, normalised), or None."""
        if self._resolved is None:
            self._resolved = {m: lookup(self.catalog, m) for m in self.patient.medications}
        return self._resolved

    def shown(self) -> dict[str, str]:
        """id -> how the patient's medication is named in a finding (``Biaxin (clarithromycin)``
        when the patient's list names it by a brand or synonym)."""
        if self._shown is None:
            shown: dict[str, list[str]] = {}
            for given, ident in sorted(self.resolved().items()):
                if ident is not None:
                    shown.setdefault(ident, []).append(display(self.catalog, given, ident))
            self._shown = {i: "; ".join(dict.fromkeys(v)) for i, v in shown.items()}
        return self._shown

    def by_class(self) -> dict[str, tuple[str, ...]]:
        if self._by_class is None:
            found: dict[str, list[str]] = {}
            cat = self.catalog
            for ident in sorted(self.taking()):
                drug = cat.drugs.get(ident)
                substance = cat.substances.get(ident)
                classes = (drug.classes if drug is not None else ()) + (
                    substance.classes if substance is not None else ()
                )
                for klass in classes:
                    found.setdefault(klass, []).append(ident)
            self._by_class = {k: tuple(v) for k, v in found.items()}
        return self._by_class

    def renal(self) -> RenalFunction:
        if self._renal is None:
            self._renal = renal.derive(self.catalog, self.patient)
        return self._renal

    def unknown(self) -> tuple[Finding, ...]:
        if self._unknown is None:
            self._unknown = tuple(_unknown_ids(self.catalog, self.patient, self.resolved()))
        return self._unknown


#: The views of the last patients seen, per catalog (the oldest is dropped past this).
_VIEWS_MAX: Final = 64


def _view(catalog: Catalog, patient: Patient) -> _View:
    return catalog.derived(_Compiled).view(catalog, patient)


class Context:
    """The patient (and order) as the predicates see them, derived values computed once.

    While a predicate is evaluated, ``missing`` collects the inputs that made a leaf unknown and
    ``matched`` the medications that made a ``taking``/``taking_class`` leaf true.
    """

    __slots__ = (
        "catalog",
        "class_map",
        "conditions",
        "matched",
        "missing",
        "order",
        "patient",
        "renal_read",
        "taking_ids",
        "view",
        "window_used",
    )

    def __init__(self, catalog: Catalog, patient: Patient, order: OrderFacts | None = None) -> None:
        self.catalog = catalog
        self.patient = patient
        self.order = order
        self.view = view = _view(catalog, patient)
        self.conditions = patient.conditions
        self.taking_ids = view.taking()
        self.class_map = view.by_class()
        self.missing: set[str] = set()
        self.matched: list[str] = []
        self.renal_read = False
        #: the pregnancy and lactation leaves ("pregnant", "lactating") the childbearing-potential
        #: window decided
        self.window_used: set[str] = set()

    def taking(self) -> frozenset[str]:
        """Catalog drug or substance ids the patient takes (exact names, synonyms resolved)."""
        return self.view.taking()

    def by_class(self) -> dict[str, tuple[str, ...]]:
        """Class id -> the ids of what the patient takes in that class."""
        return self.view.by_class()

    def classes(self) -> set[str]:
        """Every class of everything the patient takes."""
        return set(self.view.by_class())

    def crcl(self) -> tuple[float | None, Step | None]:
        """CrCl in mL/min: given, or Cockcroft-Gault from serum creatinine; None if neither.
        (Rules read :meth:`renal`, which also counts eGFR and the renal conditions.)"""
        value, steps, _, _ = renal.crcl_of(self.patient)
        return value, (steps[0] if steps else None)

    def crcl_missing(self) -> str:
        """The name of what is missing when :meth:`crcl` is None."""
        return renal.crcl_of(self.patient)[3]

    def renal(self) -> RenalFunction:
        """The patient's renal function (:mod:`calcidose.engine.renal`), derived once."""
        self.renal_read = True
        return self.view.renal()


# --- compiling predicates ----------------------------------------------------------------------


def _canonical(node: Any) -> float:
    return float(node["value"]) * units.UCUM[node["unit"]].factor


def _true(ctx: Context) -> Truth:
    return True


def _compare(
    below: bool,
    threshold: float,
    get: Callable[[Context], float | None],
    missing: Callable[[Context], str],
) -> Predicate:
    def leaf(ctx: Context) -> Truth:
        value = get(ctx)
        if value is None:
            ctx.missing.add(missing(ctx))
            return None
        return (value < threshold) if below else (value >= threshold)

    return leaf


def _const(name: str) -> Callable[[Context], str]:
    return lambda ctx: name


def _age_days(ctx: Context) -> float | None:
    age = ctx.patient.age_years
    return None if age is None else age * _DAYS_PER_YEAR


def _weight(ctx: Context) -> float | None:
    return ctx.patient.weight_kg


def _height(ctx: Context) -> float | None:
    return ctx.patient.height_cm


def _bmi_above(threshold: float) -> Predicate:
    """Body mass index (kg/m2, from weight and height) strictly above ``threshold``; the weight
    or height that is not given is missing (cannot-check)."""

    def leaf(ctx: Context) -> Truth:
        weight, height = ctx.patient.weight_kg, ctx.patient.height_cm
        if weight is None or height is None:
            ctx.missing.update(
                name for name, value in (("weight", weight), ("height", height)) if value is None
            )
            return None
        bmi = weight / (height / 100.0) ** 2
        # "above" as the source words it: a BMI equal to the threshold up to float rounding
        # (86.7 kg at 170 cm is 30.000000000000004) is not above it
        return bmi > threshold and abs(bmi - threshold) > 1e-9 * threshold

    return leaf


def _renal_band(bounds: Mapping[str, float], egfr: bool = False) -> Predicate:
    """A renal band leaf (bounds in mL/min: ``below``, ``at_most``, ``at_least``, ``above``)."""
    below, at_most = bounds.get("below"), bounds.get("at_most")
    at_least, above = bounds.get("at_least"), bounds.get("above")

    def band(ctx: Context) -> Truth:
        state = ctx.renal()
        value = renal.band_truth(state, below, at_most, at_least, above)
        if value is None:
            ctx.missing.add(_egfr_missing(ctx) if egfr and not state.known else state.missing)
        return value

    return band


_BOUND_KEYS: Final = {
    "crcl_below": "below",
    "crcl_at_most": "at_most",
    "crcl_at_least": "at_least",
    "crcl_above": "above",
}


def _condition(condition: str) -> Predicate:
    """A ``condition`` leaf; on a renal condition (one that implies a clearance band) it reads
    the renal notion, so a measured clearance in the band counts as the condition, except for
    a treatment (``implied_by_crcl = false``: haemodialysis), which only the listing makes true."""

    def leaf(ctx: Context) -> Truth:
        entry = ctx.catalog.conditions.get(condition)
        limit = None if entry is None else entry.implies_crcl_below
        if entry is None or limit is None or not entry.implied_by_crcl:
            # a treatment (haemodialysis) is true only when listed; its band still bounds the
            # clearance the renal leaves read (calcidose.engine.renal.derive)
            return condition in ctx.conditions
        state = ctx.renal()
        value = renal.band_truth(state, below=_canonical(attrs.asdict(limit)))
        if value is None:
            ctx.missing.add(state.missing)
        return value

    return leaf


def _egfr_missing(ctx: Context) -> str:
    p = ctx.patient
    if p.age_years is not None and p.age_years < 18:
        return "eGFR (CKD-EPI 2021 is for adults)"
    return "serum creatinine, age and sex (for eGFR)"


def _order_per_day(ctx: Context) -> float | None:
    return None if ctx.order is None else ctx.order.per_day


def _order_leaf(key: str, threshold: float) -> Predicate:
    """An order leaf: the order per day (``order_per_day_*``, mg/d) or per administration per
    kg of body weight (``order_per_kg_*``, mg/kg), at most / above the threshold."""
    at_most = key.endswith("_at_most")
    per_kg = key.startswith("order_per_kg")

    def order_leaf(ctx: Context) -> Truth:
        if per_kg:
            amount = None if ctx.order is None else ctx.order.per_administration
            weight = ctx.patient.weight_kg
            if amount is None:
                ctx.missing.add("ordered amount per administration")
            if weight is None:
                ctx.missing.add("weight")
            if amount is None or weight is None:
                return None
            amount = amount / weight
        else:
            amount = _order_per_day(ctx)
            if amount is None:
                ctx.missing.add("ordered amount per day")
                return None
        tolerance = 1e-9 * max(1.0, threshold)
        return (amount <= threshold + tolerance) if at_most else (amount > threshold + tolerance)

    return order_leaf


class _Flags:
    __slots__ = ("crcl", "order")

    def __init__(self) -> None:
        self.crcl = False
        self.order = False


def _window_of(catalog: Catalog) -> tuple[float, float] | None:
    """The childbearing-potential window of the tables in years: (from, below), or None."""
    window = catalog.meta.childbearing_potential
    if window is None:
        return None
    low, high = window.min_age, window.max_age
    per_year = units.UCUM["a"].factor
    return (
        low.value * units.UCUM[low.unit].factor / per_year,
        high.value * units.UCUM[high.unit].factor / per_year,
    )


def reproductive_state(catalog: Catalog, patient: Patient, key: str) -> tuple[Truth, bool]:
    """Pregnancy (``key="pregnant"``) or lactation (``"lactating"``) as a rule sees it, and
    whether the childbearing-potential window decided it.

    A stated flag is the answer. Not stated: false for a male patient; false for a female
    patient, or one whose sex is not given (both sexes are considered: the male answer is false
    anyway), whose age is known and outside the window of ``tables/meta.toml``; otherwise
    unknown (a woman of 30, or a woman whose age is not given).
    """
    stated = patient.pregnant if key == "pregnant" else patient.lactating
    if stated is not None:
        return stated, False
    if patient.sex == "male":
        return False, False
    window = _window_of(catalog)
    age = patient.age_years
    if window is None or age is None or window[0] <= age < window[1]:
        return None, False
    return False, True


_REPRODUCTIVE_MISSING: Final = {"pregnant": "pregnancy status", "lactating": "lactation status"}


def _reproductive_leaf(key: str) -> Predicate:
    missing = _REPRODUCTIVE_MISSING[key]

    def leaf(ctx: Context) -> Truth:
        state, by_window = reproductive_state(ctx.catalog, ctx.patient, key)
        if state is None:
            ctx.missing.add(missing)
        elif by_window:
            ctx.window_used.add(key)
        return state

    return leaf


def _leaf(key: str, value: Any, flags: _Flags) -> Predicate:
    if key == "always":
        return _true
    if key == "condition":
        flags.crcl = True  # may be a renal condition (known only with the catalog)
        return _condition(str(value))
    if key == "taking":
        target = str(value)

        def taking(ctx: Context) -> Truth:
            if target in ctx.taking_ids:
                ctx.matched.append(target)
                return True
            return False

        return taking
    if key == "taking_class":
        klass = str(value)

        def taking_class(ctx: Context) -> Truth:
            found = ctx.class_map.get(klass)
            if found:
                ctx.matched.extend(found)
                return True
            return False

        return taking_class
    if key in ("age_below", "age_at_least"):
        return _compare(key == "age_below", _canonical(value), _age_days, _const("age"))
    if key in ("weight_below", "weight_at_least"):
        return _compare(key == "weight_below", _canonical(value), _weight, _const("weight"))
    if key == "height_at_least":
        return _compare(False, _canonical(value), _height, _const("height"))
    if key == "bmi_above":
        return _bmi_above(_canonical(value))
    if key in ("crcl_below", "crcl_at_least"):
        flags.crcl = True
        return _renal_band({_BOUND_KEYS[key]: _canonical(value)})
    if key == "egfr_below":
        flags.crcl = True
        return _renal_band({"below": _canonical(value)}, egfr=True)
    if key == "renal":
        flags.crcl = True
        return _renal_band({_BOUND_KEYS[k]: _canonical(q) for k, q in value.items()})
    if key in ORDER_LEAVES:
        flags.order = True
        return _order_leaf(key, _canonical(value))
    if key in ("pregnant", "lactating"):
        return _reproductive_leaf(key)
    if key == "sex":
        sex = str(value)

        def sex_leaf(ctx: Context) -> Truth:
            if ctx.patient.sex is None:
                ctx.missing.add("sex")
                return None
            return ctx.patient.sex == sex

        return sex_leaf
    raise ValueError(f"unknown predicate {key!r}")  # validated tables never get here


def _compile(node: Mapping[str, Any], flags: _Flags) -> Predicate:
    if "all" in node:
        parts = tuple(_compile(part, flags) for part in node["all"])

        def all_of(ctx: Context) -> Truth:
            result: Truth = True
            for part in parts:
                value = part(ctx)
                if value is False:
                    return False
                if value is None:
                    result = None
            return result

        return all_of
    if "any" in node:
        parts = tuple(_compile(part, flags) for part in node["any"])

        def any_of(ctx: Context) -> Truth:
            result: Truth = False
            for part in parts:
                value = part(ctx)
                if value is True:
                    return True
                if value is None:
                    result = None
            return result

        return any_of
    if "not" in node:
        inner = _compile(node["not"], flags)

        def negation(ctx: Context) -> Truth:
            mark = len(ctx.matched)
            value = inner(ctx)
            del ctx.matched[mark:]  # what a negated leaf matched did not trigger the rule
            return None if value is None else not value

        return negation
    if "lab" in node:
        lab, expected = str(node["lab"]), node["equals"]
        name = f"lab {lab}"

        def lab_leaf(ctx: Context) -> Truth:
            result = ctx.patient.lab(lab)
            if result is None:
                ctx.missing.add(name)
                return None
            return bool(result == expected)

        return lab_leaf
    if len(node) != 1:
        raise ValueError(f"a predicate leaf has one key, got {sorted(node)}")
    ((key, value),) = node.items()
    return _leaf(key, value, flags)


def compile_predicate(node: Mapping[str, Any]) -> Predicate:
    """A predicate tree compiled into one callable: ``compile_predicate(when)(ctx)``."""
    return _compile(node, _Flags())


def evaluate_predicate(node: Mapping[str, Any], ctx: Context) -> Truth:
    """Kleene three-valued evaluation of a predicate tree (True, False or None for unknown).

    Compiles the tree on every call; :func:`evaluate` compiles each rule once.
    """
    return compile_predicate(node)(ctx)


def rule_uses_order(rule: Rule) -> bool:
    """True when the rule's predicate reads the order (it is skipped without an order)."""
    flags = _Flags()
    _compile(rule.when, flags)
    return flags.order


# --- compiled rules ----------------------------------------------------------------------------


def _q(value: float, code: str) -> str:
    return units.format_amount(value, code)


#: Weight-scaled limit units -> the unit of the limit once multiplied by the body weight.
_PER_KG: Final[dict[str, str]] = {
    "mg/kg/d": "mg/d",
    "ug/kg/d": "ug/d",
    "mg/kg": "mg",
    "g/kg": "g",
}


class _Limits:
    """A firing rule's limits for one body weight: the strictest per basis, the conflicts
    between its sources, the trace, and the text added to the rule's message."""

    __slots__ = ("conflicts", "limits", "steps", "text")

    def __init__(self, rule: Rule, drug_name: str, weight: float | None) -> None:
        limits: list[Limit] = []
        conflicts: list[Finding] = []
        steps: list[Step] = []
        texts: list[str] = []
        by_per: dict[str, list[tuple[float, str, str, Any]]] = {}
        for adj in rule.adjust:
            code = adj.max.unit
            scaled = _PER_KG.get(code)
            if scaled is not None:
                assert weight is not None  # per-kg limits are built only for a known weight
                value = adj.max.value * units.UCUM[code].factor * weight
                shown = (
                    f"{_q(adj.max.value, code)} x {_q(weight, 'kg')} = "
                    f"{_q(value / units.UCUM[scaled].factor, scaled)}"
                )
                steps.append(
                    Step(
                        f"limit per kg ({rule.id})",
                        "{rate} x {weight} = {limit}",
                        (
                            ("rate", adj.max.value, code),
                            ("weight", weight, "kg"),
                            ("limit", value / units.UCUM[scaled].factor, scaled),
                        ),
                        sources=adj.sources,
                    )
                )
                code = scaled
            else:
                value = adj.max.value * units.UCUM[code].factor
                shown = _q(adj.max.value, code)
            by_per.setdefault(adj.per, []).append((value, code, shown, adj))
        for per, entries in by_per.items():
            entries.sort(key=lambda e: e[0])
            value, code, shown, best = entries[0]
            limits.append(Limit(f"rule {rule.id}", per, value, code, best.sources, best.note))
            texts.append(f"at most {shown} ({', '.join(best.sources)})")
            if len({e[0] for e in entries}) > 1:
                listing = "; ".join(f"{e[2]} ({', '.join(e[3].sources)})" for e in entries)
                sources = tuple(src for e in entries for src in e[3].sources)
                conflicts.append(
                    Finding(
                        "info",
                        f"{rule.id}:source-conflict",
                        f"sources disagree on the {drug_name} limit per {per} ({rule.id}): "
                        f"{listing}; the strictest, {shown}, is applied",
                        "Apply the strictest limit unless a prescriber documents a reason "
                        "(an institution table can choose another source).",
                        sources,
                    )
                )
                steps.append(
                    Step(
                        f"source conflict ({rule.id})",
                        f"per {per}: {listing}; strictest applied: {{limit}}",
                        (("limit", value / units.UCUM[code].factor, code),),
                        sources=sources,
                    )
                )
        self.limits: tuple[Limit, ...] = tuple(limits)
        self.conflicts: tuple[Finding, ...] = tuple(conflicts)
        self.steps: tuple[Step, ...] = tuple(steps)
        self.text = f" Limit: {'; '.join(texts)}." if texts else ""


class _CompiledRule:
    """A rule ready to evaluate: its predicate, prebuilt findings, limits and trace."""

    __slots__ = (
        "_by_weight",
        "_cannot",
        "_static",
        "_triggered",
        "drug_name",
        "names",
        "per_kg",
        "rule",
        "test",
        "uses_crcl",
        "uses_order",
    )

    def __init__(self, rule: Rule, drug: Drug, catalog_names: Mapping[str, str] | None) -> None:
        flags = _Flags()
        self.rule = rule
        self.drug_name = drug.name
        self.test = _compile(rule.when, flags)
        self.uses_order = flags.order
        self.uses_crcl = flags.crcl
        self.names = catalog_names
        self._cannot: dict[frozenset[str], Finding] = {}
        self._triggered: dict[tuple[str, ...], Finding] = {}
        self.per_kg = any(a.max.unit in _PER_KG for a in rule.adjust)
        self._by_weight: dict[float, _Limits] = {}
        # per-kg limits depend on the patient's weight: built per weight by limits_for
        self._static = None if self.per_kg else _Limits(rule, drug.name, None)

    def limits_for(self, weight: float | None) -> _Limits | None:
        """The limits for this body weight; None when they are per kg and weight is missing."""
        if not self.per_kg:
            return self._static
        if weight is None:
            return None
        found = self._by_weight.get(weight)
        if found is None:
            if len(self._by_weight) > 256:
                self._by_weight.clear()
            found = self._by_weight[weight] = _Limits(self.rule, self.drug_name, weight)
        return found

    def _separation(self, names: str) -> str:
        sep = self.rule.separate
        if sep is None:
            return ""
        interval = _q(sep.value, sep.unit)
        if names:
            return f" Separate {self.drug_name} from {names} by at least {interval}."
        return f" Separate by at least {interval}."

    def _names(self, ids: tuple[str, ...], shown: Mapping[str, str]) -> str:
        names = self.names or {}
        return ", ".join(shown.get(i) or names.get(i, i) for i in ids)

    def fired(
        self, matched: list[str], limits: _Limits, shown: Mapping[str, str] | None = None
    ) -> Finding:
        """The finding of the rule, naming the medications that triggered it (as the patient's
        list names them, with the substance they resolved to: ``Biaxin (clarithromycin)``)."""
        ids = tuple(sorted(set(matched)))
        names = self._names(ids, shown or {})
        key = (*ids, "\0", names)
        found = self._triggered.get(key)  # per-kg findings are never stored
        if found is None:
            rule = self.rule
            text = rule.message + limits.text + self._separation(names)
            if ids and rule.separate is None:
                text += f" (patient takes: {names})"
            found = Finding(rule.severity, rule.id, text, rule.management, rule.sources)
            if not self.per_kg:  # per-kg limits differ by patient: not cached
                if len(self._triggered) > 256:
                    self._triggered.clear()
                self._triggered[key] = found
        return found

    def cannot(self, missing: set[str]) -> Finding:
        key = frozenset(missing)
        found = self._cannot.get(key)
        if found is None:
            rule = self.rule
            needed = missing_text(key)
            found = Finding(
                "cannot-check",
                f"{rule.id}:cannot-check",
                f"cannot check {rule.id} ({rule.severity} when it applies): {rule.message} "
                f"Missing: {needed}.",
                f"Give {needed}, then check again. Until then: {rule.management}",
                rule.sources,
                tuple(sorted(key)),
            )
            self._cannot[key] = found
        return found


class _Compiled:
    """What the rules derive from one catalog, kept with it (``catalog.derived(_Compiled)``):
    the rules of each of its drugs compiled once (all of them, and those of each regimen), and
    the derived values of the last :data:`_VIEWS_MAX` patients. Two catalogs never share it (a
    catalog made with ``attrs.evolve`` gets its own); filled under a lock, so threads sharing a
    catalog compile each drug once and read the same objects."""

    __slots__ = ("_lock", "_rules", "_views")

    def __init__(self, catalog: Catalog) -> None:
        self._lock = threading.Lock()
        #: drug id -> regimen id (None: no regimen, "\0all": every rule) -> compiled rules
        self._rules: dict[str, dict[str | None, tuple[_CompiledRule, ...]]] = {}
        self._views: dict[Patient, _View] = {}

    def view(self, catalog: Catalog, patient: Patient) -> _View:
        found = self._views.get(patient)
        if found is None:
            with self._lock:
                found = self._views.get(patient)
                if found is None:
                    if len(self._views) >= _VIEWS_MAX:
                        del self._views[next(iter(self._views))]  # the oldest
                    found = self._views[patient] = _View(catalog, patient)
        return found

    def rules(
        self, catalog: Catalog, drug: Drug, regimen: Regimen | None
    ) -> tuple[_CompiledRule, ...]:
        key = regimen.id if regimen is not None else None
        if catalog.drugs.get(drug.id) is not drug:
            # a drug this catalog does not hold (a caller's own): compiled for this call only
            return _select(_compile_rules(names_of(catalog), drug), key)
        per_drug = self._rules.get(drug.id)
        found = per_drug.get(key) if per_drug is not None else None
        if found is None:
            names = names_of(catalog)  # before the lock: only this lock is held below
            with self._lock:
                per_drug = self._rules.setdefault(drug.id, {})
                all_rules = per_drug.get("\0all")
                if all_rules is None:
                    all_rules = per_drug["\0all"] = _compile_rules(names, drug)
                found = per_drug.setdefault(key, _select(all_rules, key))
        return found


def _compile_rules(names: Mapping[str, str], drug: Drug) -> tuple[_CompiledRule, ...]:
    return tuple(_CompiledRule(rule, drug, names) for rule in drug.rules)


def _select(all_rules: tuple[_CompiledRule, ...], key: str | None) -> tuple[_CompiledRule, ...]:
    """The rules that apply to the regimen ``key`` (None: only those limited to no regimen)."""
    return tuple(
        c for c in all_rules if not c.rule.regimens or (key is not None and key in c.rule.regimens)
    )


def _compiled(catalog: Catalog, drug: Drug, regimen: Regimen | None) -> tuple[_CompiledRule, ...]:
    return catalog.derived(_Compiled).rules(catalog, drug, regimen)


#: Unknown medication names that get "did you mean" suggestions (the first ones of the list).
_SUGGEST_AT_MOST: Final = 20


def _unknown_ids(
    catalog: Catalog, patient: Patient, resolved: Mapping[str, str | None]
) -> list[Finding]:
    out = []
    suggested = 0
    for med in patient.medications:
        if resolved.get(med) is None:
            # suggestions for the first few unknown names only: bounded work for a long list
            close = suggest(catalog, med) if suggested < _SUGGEST_AT_MOST else ()
            suggested += 1
            hint = f"; did you mean {' or '.join(close)}? (not applied)" if close else ""
            out.append(
                Finding(
                    "cannot-check",
                    "unknown-medication",
                    f"medication {safeio.shown(med)} is not known to calcidose; its "
                    f"interactions cannot be checked{hint}",
                    "Check interactions for it by another means, or use its exact id.",
                    missing=(f"medication {med}",),
                )
            )
    for cond in patient.conditions:
        if cond not in catalog.conditions:
            out.append(
                Finding(
                    "cannot-check",
                    "unknown-condition",
                    f"condition {safeio.shown(cond)} is not known to calcidose; "
                    "it cannot be checked",
                    "Check it by another means, or use its exact id (calcidose conditions).",
                    missing=(f"condition {cond}",),
                )
            )
    return out


def evaluate(
    catalog: Catalog,
    drug: Drug,
    regimen: Regimen | None,
    patient: Patient,
    order: OrderFacts | None = None,
) -> Outcome:
    """Every rule of ``drug`` (for ``regimen``) against ``patient`` (and ``order``).

    Rules limited to other regimens are skipped (all regimen-limited rules when ``regimen`` is
    None). Rules that read the order are evaluated only when ``order`` is given; their findings
    go to :attr:`Outcome.order_findings`.
    """
    outcome = Outcome()
    ctx = Context(catalog, patient, order)
    view = ctx.view
    if patient.medications or patient.conditions:
        outcome.findings.extend(view.unknown())
    findings = outcome.findings
    for compiled in _compiled(catalog, drug, regimen):
        if compiled.uses_order:
            if order is None:
                continue
            target = outcome.order_findings
        else:
            target = findings
        if ctx.missing:
            ctx.missing = set()
        if ctx.matched:
            ctx.matched = []
        truth = compiled.test(ctx)
        if truth is None:
            target.append(compiled.cannot(ctx.missing))
            continue
        if not truth:
            continue
        limits = compiled.limits_for(patient.weight_kg)
        if limits is None:
            target.append(compiled.cannot({"weight"}))
            continue
        target.append(compiled.fired(ctx.matched, limits, view.shown()))
        if limits.conflicts:
            target.extend(limits.conflicts)
        if limits.steps:
            outcome.steps.extend(limits.steps)
        if limits.limits:
            outcome.limits.extend(limits.limits)
    if ctx.renal_read:
        state = view.renal()
        outcome.steps[0:0] = state.steps
        findings.extend(state.findings)
    if ctx.window_used:
        outcome.steps.append(_window_step(catalog, patient, ctx.window_used))
    if patient.medications:
        step = _medications_step(view)
        if step is not None:
            outcome.steps.append(step)
    return outcome


def _medications_step(view: _View) -> Step | None:
    """The trace of the names of the patient's medication list that were read as another
    name (a brand, a synonym, another case or spacing): each as given, and the substance it
    names. None when every name was given as its id (unknown names are findings)."""
    parts = [
        f"{' '.join(given.split())} = {display(view.catalog, ident, ident)}"
        for given, ident in sorted(view.resolved().items())
        if ident is not None and given != ident
    ]
    if not parts:
        return None
    return Step("medications", "read as: " + "; ".join(parts))


def _window_step(catalog: Catalog, patient: Patient, keys: set[str]) -> Step:
    """The trace of a pregnancy or lactation question not asked: the patient is outside the
    childbearing-potential window (nothing is skipped silently). It names only what the window
    decided: a stated pregnancy is not "not asked"."""
    window = catalog.meta.childbearing_potential
    assert window is not None and patient.age_years is not None  # only set by the window
    low, high = window.min_age, window.max_age
    who = "female patient" if patient.sex == "female" else "patient (sex not given)"
    what = " and ".join(
        word for key, word in (("pregnant", "pregnancy"), ("lactating", "lactation")) if key in keys
    )
    return Step(
        f"{what} not asked",
        f"{who} aged {{age}}, outside the childbearing-potential window {{from}} to under "
        f"{{below}} (tables/meta.toml, a product decision): {what}, not stated, "
        f"{'are' if ' and ' in what else 'is'} taken as no",
        (
            ("age", patient.age_years, "a"),
            ("from", low.value, low.unit),
            ("below", high.value, high.unit),
        ),
        sources=window.sources,
    )
