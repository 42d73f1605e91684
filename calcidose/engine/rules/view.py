"""What is derived once from one patient for one catalog (:class:`_View`: the medications
read, their classes, the renal function, the unknown names), kept for the last patients."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final

from ... import safeio
from ...catalog.model import Catalog
from ...catalog.vocabulary import display, lookup, suggest
from ...patient import Patient
from ...results import Finding
from .. import renal
from ..renal import RenalFunction


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


class _Views:
    """The derived values of the last :data:`_VIEWS_MAX` patients of one catalog, kept with it
    (``catalog.derived(_Views)``): two catalogs never share them; filled under a lock, so
    threads sharing a catalog make one view per patient."""

    __slots__ = ("_lock", "_views")

    def __init__(self, catalog: Catalog) -> None:
        self._lock = threading.Lock()
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


def _view(catalog: Catalog, patient: Patient) -> _View:
    return catalog.derived(_Views).view(catalog, patient)


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
