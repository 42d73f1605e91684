"""Each rule compiled once (:class:`_CompiledRule`: its predicate and prebuilt findings), kept
per drug and regimen on the catalog (:class:`_Compiled`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from ...catalog.model import Catalog, Drug, Regimen, Rule
from ...catalog.overlays import change_of, prepare_changes
from ...catalog.vocabulary import names_of
from ...results import ChangedBy, Finding
from .context import missing_text
from .predicates import _compile, _Flags
from .rule_limits import _PER_KG, _Limits, _q


class _CompiledRule:
    """A rule ready to evaluate: its predicate, prebuilt findings, limits and trace."""

    __slots__ = (
        "_by_weight",
        "_cannot",
        "_static",
        "_triggered",
        "changed_by",
        "drug_name",
        "names",
        "per_kg",
        "rule",
        "test",
        "uses_crcl",
        "uses_order",
    )

    def __init__(
        self,
        rule: Rule,
        drug: Drug,
        catalog_names: Mapping[str, str] | None,
        changed_by: ChangedBy | None = None,
    ) -> None:
        flags = _Flags()
        self.rule = rule
        self.changed_by = changed_by  # the overlay that changed the rule (None: the tables)
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
        self._static = None if self.per_kg else _Limits(rule, drug.name, None, changed_by)

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
            found = self._by_weight[weight] = _Limits(
                self.rule, self.drug_name, weight, self.changed_by
            )
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
            if self.changed_by is not None:
                text += f" (rule changed by {self.changed_by.text()})"
            found = Finding(
                rule.severity,
                rule.id,
                text,
                rule.management,
                rule.sources,
                changed_by=self.changed_by,
            )
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
                changed_by=self.changed_by,
            )
            self._cannot[key] = found
        return found


class _Compiled:
    """What the rules derive from one catalog, kept with it (``catalog.derived(_Compiled)``):
    the rules of each of its drugs compiled once (all of them, and those of each regimen); the
    patients' derived values are kept beside it (:class:`~calcidose.engine.rules.view._Views`).
    Two catalogs never share it (a catalog made with ``attrs.evolve`` gets its own); filled
    under a lock, so threads sharing a catalog compile each drug once and read the same
    objects."""

    __slots__ = ("_lock", "_rules")

    def __init__(self, catalog: Catalog) -> None:
        self._lock = threading.Lock()
        #: drug id -> regimen id (None: no regimen, "\0all": every rule) -> compiled rules
        self._rules: dict[str, dict[str | None, tuple[_CompiledRule, ...]]] = {}

    def rules(
        self, catalog: Catalog, drug: Drug, regimen: Regimen | None
    ) -> tuple[_CompiledRule, ...]:
        key = regimen.id if regimen is not None else None
        if catalog.drugs.get(drug.id) is not drug:
            # a drug this catalog does not hold (a caller's own): compiled for this call only
            return _select(_compile_rules(names_of(catalog), drug, None), key)
        per_drug = self._rules.get(drug.id)
        found = per_drug.get(key) if per_drug is not None else None
        if found is None:
            names = names_of(catalog)  # before the lock: only this lock is held below
            prepare_changes(catalog)
            with self._lock:
                per_drug = self._rules.setdefault(drug.id, {})
                all_rules = per_drug.get("\0all")
                if all_rules is None:
                    all_rules = per_drug["\0all"] = _compile_rules(names, drug, catalog)
                found = per_drug.setdefault(key, _select(all_rules, key))
        return found


def _compile_rules(
    names: Mapping[str, str], drug: Drug, catalog: Catalog | None
) -> tuple[_CompiledRule, ...]:
    """The rules of ``drug``; those an overlay of ``catalog`` changed say which."""

    def changed(rule: Rule) -> ChangedBy | None:
        if catalog is None or not catalog.changes:
            return None
        return ChangedBy.of(change_of(catalog, f"drugs.{drug.id}.rules.{rule.id}"))

    return tuple(_CompiledRule(rule, drug, names, changed(rule)) for rule in drug.rules)


def _select(all_rules: tuple[_CompiledRule, ...], key: str | None) -> tuple[_CompiledRule, ...]:
    """The rules that apply to the regimen ``key`` (None: only those limited to no regimen)."""
    return tuple(
        c for c in all_rules if not c.rule.regimens or (key is not None and key in c.rule.regimens)
    )


def _compiled(catalog: Catalog, drug: Drug, regimen: Regimen | None) -> tuple[_CompiledRule, ...]:
    return catalog.derived(_Compiled).rules(catalog, drug, regimen)
