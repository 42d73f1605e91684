"""Check every draft order of a FHIR record with :func:`calcidose.check`.

Each order is checked for the record's patient, with the record's active medications and the
other draft orders (a drug ordered together with another is taken together with it) as the
medications. The same drug ordered twice, or ordered while already taken, is a ``moderate``
duplicate-therapy finding.
"""

from __future__ import annotations

from collections import Counter

import attrs

from ...catalog.model import Catalog
from ...engine.orders import OrderCheck, check
from ...errors import CalcidoseError
from ...patient import Patient
from ...results import Finding
from .model import DraftOrder, FhirRecord

__all__ = ["OrderResult", "check_record"]


@attrs.frozen
class OrderResult:
    """One draft order and what calcidose says about it: ``check`` (None when the order could
    not be read or checked: ``error`` says why), plus findings of the record level
    (``extra``: duplicates)."""

    order: DraftOrder
    check: OrderCheck | None
    error: str | None
    extra: tuple[Finding, ...] = ()


def _with_medications(patient: Patient, medications: list[str]) -> Patient:
    if sorted(set(medications)) == list(patient.medications):
        return patient
    data = patient.to_dict()
    data["medications"] = sorted(set(medications))
    return Patient.from_dict(data)


def check_record(
    record: FhirRecord, catalog: Catalog, only: str | None = None
) -> list[OrderResult]:
    """Check each draft order of ``record`` (in order; ``only`` the one with that resource
    reference); never raises for one bad order."""
    drafted = Counter(o.drug for o in record.orders if o.drug is not None)
    taking = list(record.patient.medications)
    results = []
    patients: dict[tuple[str, ...], Patient] = {}
    for order in record.orders:
        if only is not None and order.resource != only:
            continue
        extra = []
        if order.drug is not None and (drafted[order.drug] > 1 or order.drug in taking):
            where = "ordered more than once" if drafted[order.drug] > 1 else "already taken"
            extra.append(
                Finding(
                    "moderate",
                    "duplicate-therapy",
                    f"{order.drug} is {where} ({order.medication}): duplicate therapy",
                    "Keep one order; check the total amount of the drug.",
                )
            )
        if order.problem is not None or order.drug is None:
            results.append(OrderResult(order, None, order.problem, tuple(extra)))
            continue
        others = [o.drug for o in record.orders if o is not order and o.drug is not None]
        meds = [m for m in taking if m != order.drug] + [d for d in others if d != order.drug]
        try:
            key = tuple(sorted(set(meds)))
            patient = patients.get(key) or _with_medications(record.patient, meds)
            patients[key] = patient
            result = check(
                order.drug,
                order.amount,
                order.frequency or "",
                patient,
                route=order.route,
                catalog=catalog,
            )
        except CalcidoseError as exc:
            results.append(OrderResult(order, None, " ".join(str(exc).split()), tuple(extra)))
            continue
        results.append(OrderResult(order, result, None, tuple(extra)))
    return results
