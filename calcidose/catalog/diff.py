"""What one catalog changes relative to another: ``calcidose tables diff`` and the check that an
overlay weakening safety says why (issue 12 §3).

Pure data, no text: :func:`diff_catalogs` compares two loaded catalogs (models, never TOML
text) and returns :class:`Change` records. Each names its **target**, a dotted path of ids that
``tables diff`` prints and an overlay's ``[[justifications]]`` quotes
(``drugs.diltiazem.regimens.oral-weight-based.caps.day``), what changed, the old and new values
(JSON values: a quantity is ``{"value", "unit"}`` as the table wrote it) and whether the change
**weakens** safety. Weakening, by definition here:

* a cap, a dose range's maximum or a rule's dose limit raised, or removed;
* a rule removed, its severity lowered, its kind no longer a contraindication, its condition
  (``when``) narrowed or changed in a way not shown to cover every case it covered, or the
  regimens it applies to narrowed; a separation interval shortened or removed;
* a class removed from a drug or substance; a drug, substance, class or condition removed;
* a condition's implied creatinine-clearance band lowered or removed, or the condition no
  longer implied by a low clearance;
* a regimen made dosable, its dose basis changed, or its population widened (lower minimum
  age, higher maximum age);
* a drug no longer ``high_alert`` or ``narrow_therapeutic_index``;
* the rounding tolerance raised, or the childbearing-potential window narrowed (or set where
  the base asks every female patient).

Caps are compared as bounds, not one by one: the caps of one scope (the drug, or one regimen)
with the same ``per``, the same scaling (per kg or not) and the same force (a hard maximum, or a
``regimen`` cap reported as above range) form one bound, the lowest of them; replacing a
480 mg/d label cap with a 360 mg/d policy cap lowers the daily bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .. import units
from .model import Cap, Catalog, Change, Condition, Drug, Regimen, Rule, RuleAdjustment, TQuantity

__all__ = [
    "CHANGES",
    "SEVERITY_RANK",
    "Change",
    "cap_target",
    "diff_catalogs",
    "implies",
]

#: Severities from the least to the most severe.
SEVERITY_RANK: Final = {"info": 0, "minor": 1, "moderate": 2, "major": 3, "contraindicated": 4}

#: The words of :attr:`Change.change`.
CHANGES: Final = ("added", "removed", "raised", "lowered", "widened", "narrowed", "changed")

_EPS: Final = 1e-9


def _q(q: TQuantity | None) -> dict[str, Any] | None:
    return None if q is None else {"value": q.value, "unit": q.unit}


def _canonical(q: TQuantity) -> float | None:
    unit = units.UCUM.get(q.unit)
    if unit is None or isinstance(q.value, bool) or not isinstance(q.value, int | float):
        return None
    return float(q.value) * unit.factor


def _per_kg(q: TQuantity) -> bool:
    unit = units.UCUM.get(q.unit)
    return unit is not None and unit.dimension.startswith("amount/weight")


def _compare(old: float | None, new: float | None) -> str | None:
    """raised / lowered / None (equal, or not comparable: None)."""
    if old is None or new is None:
        return "changed" if (old is None) != (new is None) else None
    if new > old * (1 + _EPS) + _EPS:
        return "raised"
    if new < old * (1 - _EPS) - _EPS:
        return "lowered"
    return None


class _Diff:
    def __init__(self) -> None:
        self.out: list[Change] = []

    def add(self, target: str, aspect: str, change: str, old: Any, new: Any, weakens: bool) -> None:
        self.out.append(Change(target, aspect, change, old, new, weakens))

    # --- bounds (caps and rule limits) ------------------------------------------------------

    def bounds(
        self,
        target: str,
        aspect: str,
        old: Mapping[str, tuple[float, dict[str, Any]]],
        new: Mapping[str, tuple[float, dict[str, Any]]],
    ) -> None:
        """Bounds keyed by group: raised or removed weakens; lowered or added does not."""
        for key in sorted(set(old) | set(new)):
            where = f"{target}.{key}"
            if key not in new:
                self.add(where, aspect, "removed", old[key][1], None, True)
            elif key not in old:
                self.add(where, aspect, "added", None, new[key][1], False)
            else:
                moved = _compare(old[key][0], new[key][0])
                if moved is not None:
                    self.add(where, aspect, moved, old[key][1], new[key][1], moved == "raised")

    # --- drugs -------------------------------------------------------------------------------

    def drug(self, old: Drug, new: Drug) -> None:
        t = f"drugs.{old.id}"
        if old.name != new.name:
            self.add(f"{t}.name", "name", "changed", old.name, new.name, False)
        if old.kind != new.kind:
            self.add(f"{t}.kind", "entry kind", "changed", old.kind, new.kind, False)
        self.names(t, (old.synonyms, old.brands), (new.synonyms, new.brands))
        self.members(f"{t}.classes", "drug class", old.classes, new.classes)
        for flag in ("high_alert", "narrow_therapeutic_index"):
            was, now = getattr(old, flag), getattr(new, flag)
            if was != now:
                self.add(f"{t}.{flag}", "flag", "changed", was, now, was and not now)
        self.bounds(f"{t}.caps", "cap", _cap_bounds(old.caps), _cap_bounds(new.caps))
        olds = {r.id: r for r in old.regimens}
        news = {r.id: r for r in new.regimens}
        for rid in [*olds, *(r for r in news if r not in olds)]:
            where = f"{t}.regimens.{rid}"
            if rid not in news:
                self.add(where, "regimen", "removed", olds[rid].title, None, False)
            elif rid not in olds:
                self.add(where, "regimen", "added", None, news[rid].title, False)
            else:
                self.regimen(where, olds[rid], news[rid])
        oldr = {r.id: r for r in old.rules}
        newr = {r.id: r for r in new.rules}
        for rid in [*oldr, *(r for r in newr if r not in oldr)]:
            where = f"{t}.rules.{rid}"
            if rid not in newr:
                self.add(where, "rule", "removed", oldr[rid].severity, None, True)
            elif rid not in oldr:
                self.add(where, "rule", "added", None, newr[rid].severity, False)
            else:
                self.rule(where, oldr[rid], newr[rid])

    def names(
        self, t: str, old: tuple[tuple[str, ...], ...], new: tuple[tuple[str, ...], ...]
    ) -> None:
        was = sorted({n for names in old for n in names})
        now = sorted({n for names in new for n in names})
        if was != now:
            self.add(f"{t}.names", "synonyms and brands", "changed", was, now, False)

    def members(self, t: str, aspect: str, old: Sequence[str], new: Sequence[str]) -> None:
        for klass in old:
            if klass not in new:
                self.add(f"{t}.{klass}", aspect, "removed", klass, None, True)
        for klass in new:
            if klass not in old:
                self.add(f"{t}.{klass}", aspect, "added", None, klass, False)

    def regimen(self, t: str, old: Regimen, new: Regimen) -> None:
        if old.dosable != new.dosable:
            self.add(f"{t}.dosable", "dosable", "changed", old.dosable, new.dosable, new.dosable)
        self.dose(t, old, new)
        self.population(t, old, new)
        if sorted(old.frequencies) != sorted(new.frequencies):
            self.add(
                f"{t}.frequencies",
                "frequencies",
                "changed",
                list(old.frequencies),
                list(new.frequencies),
                False,
            )
        if old.products != new.products:
            self.add(
                f"{t}.products",
                "products",
                "changed",
                [p.form for p in old.products],
                [p.form for p in new.products],
                False,
            )
        if old.route != new.route:
            self.add(f"{t}.route", "route", "changed", old.route, new.route, False)
        self.bounds(f"{t}.caps", "cap", _cap_bounds(old.caps), _cap_bounds(new.caps))

    def dose(self, t: str, old: Regimen, new: Regimen) -> None:
        a, b = old.dose, new.dose
        if a is None or b is None:
            if a is not b:
                self.add(
                    f"{t}.dose",
                    "dose range",
                    "added" if a is None else "removed",
                    None if a is None else _q(a.high),
                    None if b is None else _q(b.high),
                    a is None,
                )
            return
        if (a.basis, a.scale) != (b.basis, b.scale):
            self.add(
                f"{t}.dose.basis",
                "dose basis",
                "changed",
                f"{a.basis} {a.scale}",
                f"{b.basis} {b.scale}",
                True,
            )
            return
        for end, weak in (("low", False), ("high", True)):
            qa, qb = getattr(a, end), getattr(b, end)
            moved = _compare(_canonical(qa), _canonical(qb))
            if moved is not None:
                self.add(
                    f"{t}.dose.{end}",
                    f"range {end}",
                    moved,
                    _q(qa),
                    _q(qb),
                    weak and moved != "lowered",
                )

    def population(self, t: str, old: Regimen, new: Regimen) -> None:
        for end, widening in (("min_age", "lowered"), ("max_age", "raised")):
            qa = getattr(old.population, end)
            qb = getattr(new.population, end)
            if qa is None or qb is None:
                if qa is qb:
                    continue
                # no minimum is the lowest, no maximum the highest: removing one widens
                moved: str | None = "removed" if qb is None else "added"
                wide = qb is None
            else:
                moved = _compare(_canonical(qa), _canonical(qb))
                wide = moved == widening
            if moved is not None:
                self.add(
                    f"{t}.population.{end}",
                    "population " + end.replace("_", " "),
                    moved,
                    _q(qa),
                    _q(qb),
                    wide,
                )

    def rule(self, t: str, old: Rule, new: Rule) -> None:
        if old.severity != new.severity:
            down = SEVERITY_RANK[new.severity] < SEVERITY_RANK[old.severity]
            self.add(
                f"{t}.severity",
                "severity",
                "lowered" if down else "raised",
                old.severity,
                new.severity,
                down,
            )
        if old.kind != new.kind:
            self.add(
                f"{t}.kind",
                "rule kind",
                "changed",
                old.kind,
                new.kind,
                old.kind == "contraindication",
            )
        if old.when != new.when:
            if implies(old.when, new.when):
                self.add(f"{t}.when", "rule condition", "widened", old.when, new.when, False)
            elif implies(new.when, old.when):
                self.add(f"{t}.when", "rule condition", "narrowed", old.when, new.when, True)
            else:  # not shown to cover every case the old one covered
                self.add(f"{t}.when", "rule condition", "changed", old.when, new.when, True)
        if sorted(old.regimens) != sorted(new.regimens):
            wider = not new.regimens or (
                bool(old.regimens) and set(old.regimens) <= set(new.regimens)
            )
            self.add(
                f"{t}.regimens",
                "rule regimens",
                "widened" if wider else "narrowed",
                list(old.regimens),
                list(new.regimens),
                not wider,
            )
        self.bounds(
            f"{t}.adjust", "rule limit", _limit_bounds(old.adjust), _limit_bounds(new.adjust)
        )
        if old.separate != new.separate:
            a = None if old.separate is None else _canonical(old.separate)
            b = None if new.separate is None else _canonical(new.separate)
            moved = "removed" if b is None else "added" if a is None else _compare(a, b)
            if moved is not None:
                self.add(
                    f"{t}.separate",
                    "separation",
                    moved,
                    _q(old.separate),
                    _q(new.separate),
                    moved in ("removed", "lowered"),
                )
        if (old.message, old.management) != (new.message, new.management):
            self.add(f"{t}.text", "rule message", "changed", old.message, new.message, False)

    # --- vocabularies and meta ---------------------------------------------------------------

    def entries(
        self,
        section: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        compare: Callable[[str, Any, Any], None],
    ) -> None:
        aspect = {"conditions": "condition", "classes": "class", "substances": "substance"}
        for key in [*old, *(k for k in new if k not in old)]:
            t = f"{section}.{key}"
            if key not in new:
                self.add(t, aspect[section], "removed", old[key].name, None, True)
            elif key not in old:
                self.add(t, aspect[section], "added", None, new[key].name, False)
            elif old[key] != new[key]:
                if old[key].name != new[key].name:
                    self.add(f"{t}.name", "name", "changed", old[key].name, new[key].name, False)
                compare(t, old[key], new[key])

    def substance(self, t: str, old: Any, new: Any) -> None:
        self.members(f"{t}.classes", "substance class", old.classes, new.classes)
        self.names(t, (old.synonyms, old.brands), (new.synonyms, new.brands))

    def condition(self, t: str, old: Condition, new: Condition) -> None:
        a, b = old.implies_crcl_below, new.implies_crcl_below
        if a is None or b is None:
            moved = None if a is b else "removed" if b is None else "added"
        else:
            moved = _compare(_canonical(a), _canonical(b))
        if moved is not None:
            self.add(
                f"{t}.implies_crcl_below",
                "implied CrCl band",
                moved,
                _q(a),
                _q(b),
                moved in ("removed", "lowered"),
            )
        if old.implied_by_crcl != new.implied_by_crcl:
            self.add(
                f"{t}.implied_by_crcl",
                "implied by CrCl",
                "changed",
                old.implied_by_crcl,
                new.implied_by_crcl,
                old.implied_by_crcl,
            )

    def meta(self, old: Catalog, new: Catalog) -> None:
        a, b = old.meta, new.meta
        if a.tables_version != b.tables_version:
            self.add(
                "meta.tables_version",
                "tables version",
                "changed",
                a.tables_version,
                b.tables_version,
                False,
            )
        ta, tb = a.rounding.tolerance, b.rounding.tolerance
        moved = _compare(ta, tb)
        if moved is not None:
            self.add(
                "meta.rounding.tolerance", "rounding tolerance", moved, ta, tb, moved == "raised"
            )
        wa, wb = a.childbearing_potential, b.childbearing_potential
        t = "meta.childbearing_potential"
        if wa is None or wb is None:
            if wa is not wb:  # no window: every female patient is asked (the widest)
                self.add(
                    t,
                    "childbearing window",
                    "added" if wa is None else "removed",
                    None,
                    None,
                    wa is None,
                )
            return
        for end, narrowing in (("min_age", "raised"), ("max_age", "lowered")):
            qa, qb = getattr(wa, end), getattr(wb, end)
            moved = _compare(_canonical(qa), _canonical(qb))
            if moved is not None:
                self.add(
                    f"{t}.{end}",
                    "childbearing window " + end.replace("_", " "),
                    moved,
                    _q(qa),
                    _q(qb),
                    moved == narrowing,
                )


def _cap_group(cap: Cap | RuleAdjustment) -> str:
    key = cap.per + ("-per-kg" if _per_kg(cap.max) else "")
    if isinstance(cap, Cap) and cap.kind == "regimen":
        key += "-reported"  # a cap from the reports: exceeding it is above-range, not a maximum
    return key


def cap_target(scope: str, cap: Cap) -> str:
    """The target of the bound ``cap`` belongs to: ``scope`` is ``drugs.<id>`` or
    ``drugs.<id>.regimens.<id>``."""
    return f"{scope}.caps.{_cap_group(cap)}"


def _bounds(
    caps: Sequence[Cap | RuleAdjustment],
) -> dict[str, tuple[float, dict[str, Any]]]:
    out: dict[str, tuple[float, dict[str, Any]]] = {}
    for cap in caps:
        value = _canonical(cap.max)
        if value is None:
            continue
        key = _cap_group(cap)
        if key not in out or value < out[key][0]:
            shown: dict[str, Any] = {"value": cap.max.value, "unit": cap.max.unit}
            if isinstance(cap, Cap):
                shown["kind"] = cap.kind
            out[key] = (value, shown)
    return out


_cap_bounds = _bounds
_limit_bounds = _bounds


def diff_catalogs(base: Catalog, new: Catalog) -> list[Change]:
    """Every clinically meaningful change ``new`` makes relative to ``base``, in a stable order
    (meta, conditions, classes, substances, then drugs by id)."""
    d = _Diff()
    d.meta(base, new)
    d.entries("conditions", base.conditions, new.conditions, d.condition)
    d.entries("classes", base.classes, new.classes, lambda *_: None)
    d.entries("substances", base.substances, new.substances, d.substance)
    for drug_id in sorted(set(base.drugs) | set(new.drugs)):
        t = f"drugs.{drug_id}"
        if drug_id not in new.drugs:
            d.add(t, "drug", "removed", base.drugs[drug_id].name, None, True)
        elif drug_id not in base.drugs:
            d.add(t, "drug", "added", None, new.drugs[drug_id].name, False)
        elif base.drugs[drug_id] != new.drugs[drug_id]:
            d.drug(base.drugs[drug_id], new.drugs[drug_id])
    return d.out


# --- predicates ---------------------------------------------------------------------------------

#: Leaves true below a threshold: ``x < v1`` implies ``x < v2`` when v1 <= v2.
_UPPER: Final = frozenset(
    {
        "age_below",
        "weight_below",
        "crcl_below",
        "egfr_below",
        "order_per_day_at_most",
        "order_per_kg_at_most",
    }
)
#: Leaves true above a threshold: ``x >= v1`` implies ``x >= v2`` when v1 >= v2.
_LOWER: Final = frozenset(
    {
        "age_at_least",
        "weight_at_least",
        "bmi_above",
        "height_at_least",
        "crcl_at_least",
        "order_per_day_above",
        "order_per_kg_above",
    }
)
#: The most steps :func:`implies` takes before answering "not shown" (a hostile predicate
#: cannot make it run for long; not shown counts as a change that may narrow).
_BUDGET: Final = 10_000


def implies(a: Any, b: Any) -> bool:
    """True when predicate ``a`` being true is shown to make ``b`` true (every patient ``a``
    fires for, ``b`` fires for). Sound, not complete: False means "not shown"."""
    budget = [_BUDGET]
    return _implies(a, b, budget)


def _parts(node: Any, key: str) -> list[Any] | None:
    if isinstance(node, Mapping) and set(node) == {key} and isinstance(node[key], list):
        return list(node[key])
    return None


def _implies(a: Any, b: Any, budget: list[int]) -> bool:
    budget[0] -= 1
    if budget[0] < 0:
        return False
    if a == b or b == {"always": True}:
        return True
    any_b, all_b = _parts(b, "any"), _parts(b, "all")
    any_a, all_a = _parts(a, "any"), _parts(a, "all")
    if any_a is not None and all(_implies(p, b, budget) for p in any_a):
        return True
    if all_b is not None and all(_implies(a, p, budget) for p in all_b):
        return True
    if any_b is not None and any(_implies(a, p, budget) for p in any_b):
        return True
    if all_a is not None and any(_implies(p, b, budget) for p in all_a):
        return True
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) == {"not"} and set(b) == {"not"}:
            return _implies(b["not"], a["not"], budget)
        return _leaf_implies(a, b)
    return False


def _leaf_implies(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if len(a) != 1 or set(a) != set(b):
        return False
    (key,) = a
    if key not in _UPPER and key not in _LOWER:
        return False
    qa, qb = a[key], b[key]
    if not (isinstance(qa, Mapping) and isinstance(qb, Mapping)):
        return False
    try:
        va = _canonical(TQuantity(qa["value"], qa["unit"]))
        vb = _canonical(TQuantity(qb["value"], qb["unit"]))
    except (KeyError, TypeError):
        return False
    if va is None or vb is None:
        return False
    return va <= vb if key in _UPPER else va >= vb
