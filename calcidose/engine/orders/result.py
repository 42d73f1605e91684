"""What an order check returns: :class:`OrderCheck`, with the maxima it was compared with and
what the ordered amount is given as."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from ... import units
from ...results import (
    ChangedBy,
    Finding,
    Status,
    Step,
    is_complete,
    quantity_dict,
)
from .verdicts import Verdict, order_exit_code

ORDER_CHECK_SCHEMA: Final = "calcidose/order-check/3"

# --- results -----------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Maximum:
    """A maximum the order was compared with, in the unit the table wrote it in.

    ``kind`` is ``label``, ``guideline``, ``policy`` or ``regimen`` (a cap of the regimen or of
    the drug) or ``rule <id>``
    (a limit an interaction or renal rule imposes). ``ordered`` is the order in the same unit
    and basis (None when the order cannot be put in that basis, e.g. a course total of a daily
    order); ``exceeded`` is None then.
    """

    per: str
    value: float
    unit: str
    kind: str
    sources: tuple[str, ...]
    note: str
    ordered: float | None
    exceeded: bool | None
    #: the overlay that changed this maximum (None: the tables as shipped)
    changed_by: ChangedBy | None = None

    @property
    def hard(self) -> bool:
        """A label, policy or rule maximum (exceeding it is ``exceeds-maximum``); a cap from
        the calcinosis reports (``regimen``) makes the order ``above-range`` instead."""
        return self.kind != "regimen"

    def to_dict(self) -> dict[str, Any]:
        return {
            "per": self.per,
            "max": quantity_dict(self.value, self.unit),
            "kind": self.kind,
            "ordered": quantity_dict(self.ordered, self.unit),
            "exceeded": self.exceeded,
            "sources": list(self.sources),
            "note": self.note,
            "changed_by": self.changed_by.to_dict() if self.changed_by is not None else None,
        }


@attrs.frozen(slots=True)
class Dispensed:
    """What the ordered amount is given as with one product of the regimen.

    ``units``: the fewest whole tablets/capsules of ``strengths`` making the amount exactly
    (``((1, 90.0),)``), empty when no whole number of them does. For a solution measured by
    volume: ``volume`` (mL) of ``concentration`` (mg/mL), and ``measurable`` whether that volume
    is a whole number of the product's ``volume_step`` (mL). Strengths are in ``unit``.
    """

    form: str
    unit: str
    strengths: tuple[float, ...] = ()
    units: tuple[tuple[int, float], ...] = ()
    concentration: float | None = None
    volume: float | None = None
    volume_step: float | None = None
    measurable: bool = False

    @property
    def given(self) -> bool:
        """True when this product gives the ordered amount exactly."""
        return bool(self.units) or (self.volume is not None and self.measurable)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"form": self.form, "given": self.given}
        if self.concentration is not None:
            out["concentration"] = quantity_dict(self.concentration, "mg/mL")
            out["volume"] = quantity_dict(self.volume, "mL")
            out["volume_step"] = quantity_dict(self.volume_step, "mL")
        else:
            out["strengths"] = [quantity_dict(v, self.unit) for v in self.strengths]
            out["units"] = [
                {"count": n, "strength": quantity_dict(v, self.unit)} for n, v in self.units
            ]
        return out


@attrs.frozen(slots=True)
class OrderCheck:
    """The verdict on a written order, with everything it rests on. ``to_dict()`` is the JSON.

    Quantities are (value, UCUM code) pairs; ``per_day`` is None for an order that is not
    daily, ``per_week`` for an order that is neither weekly-type nor checked against a weekly
    regimen, ``per_course`` unless the regimen has courses.
    """

    drug: str
    drug_name: str
    regimen: str | None
    regimen_title: str | None
    route: str | None
    verdict: Verdict
    status: Status
    amount: tuple[float, str]
    frequency: str
    frequency_text: str
    ordered_route: str | None
    per_administration: tuple[float, str] | None
    per_day: tuple[float, str] | None
    per_week: tuple[float, str] | None
    per_course: tuple[float, str] | None
    expected_basis: str | None
    expected_low: float | None
    expected_high: float | None
    expected_unit: str | None
    maxima: tuple[Maximum, ...]
    findings: tuple[Finding, ...]
    trace: tuple[Step, ...]
    sources: tuple[str, ...]
    evidence: str | None
    range_origin: str | None
    high_alert: bool
    tables_version: str
    #: what the ordered amount is given as, per product of the regimen (:class:`Dispensed`)
    dispensed: tuple[Dispensed, ...] = ()
    #: the tables used (:meth:`calcidose.catalog.model.Catalog.provenance`): shipped edition
    #: and each overlay's name, version and content hash
    tables: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this order (:func:`order_exit_code`)."""
        return order_exit_code(self.status, self.verdict)

    @property
    def complete(self) -> bool:
        """False when something could not be checked (a cannot-check finding or verdict), even
        when a known contraindicated or major finding gives the status."""
        return self.verdict != "cannot-check" and is_complete(self.findings)

    @property
    def order_text(self) -> str:
        """The order as ISMP text: ``90 mg three times daily (oral)``."""
        value, code = self.amount
        route = f" ({self.ordered_route})" if self.ordered_route else ""
        return f"{units.format_quantity(value, code)} {self.frequency_text}{route}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (schema ``calcidose/order-check/3``, docs/checking.md)."""

        def q(pair: tuple[float, str] | None) -> dict[str, Any] | None:
            return None if pair is None else quantity_dict(pair[0], pair[1])

        expected = None
        if self.expected_unit is not None:
            expected = {
                "basis": self.expected_basis,
                "low": quantity_dict(self.expected_low, self.expected_unit),
                "high": quantity_dict(self.expected_high, self.expected_unit),
            }
        return {
            "schema": ORDER_CHECK_SCHEMA,
            "drug": self.drug,
            "drug_name": self.drug_name,
            "regimen": self.regimen,
            "regimen_title": self.regimen_title,
            "route": self.route,
            "verdict": self.verdict,
            "status": self.status,
            "complete": self.complete,
            "order": {
                "amount": q(self.amount),
                "frequency": self.frequency,
                "frequency_text": self.frequency_text,
                "route": self.ordered_route,
                "text": self.order_text,
            },
            "ordered": {
                "per_administration": q(self.per_administration),
                "per_day": q(self.per_day),
                "per_week": q(self.per_week),
                "per_course": q(self.per_course),
                "dispense": [d.to_dict() for d in self.dispensed],
            },
            "expected": expected,
            "maxima": [m.to_dict() for m in self.maxima],
            "evidence": self.evidence,
            "range_origin": self.range_origin,
            "high_alert": self.high_alert,
            "findings": [f.to_dict() for f in self.findings],
            "trace": [s.to_dict() for s in self.trace],
            "sources": list(self.sources),
            "tables_version": self.tables_version,
            "tables": dict(self.tables),
        }
