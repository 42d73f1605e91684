"""The patient (and an order) as the predicates see them (:class:`Context`), and how a missing
input is named."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

import attrs

from ...catalog.model import Catalog
from ...patient import Patient
from ...results import Step
from .. import renal
from ..renal import RenalFunction
from .view import _view

Truth = bool | None
Predicate = Callable[["Context"], Truth]

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
