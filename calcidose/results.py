"""Results: findings, trace steps, dose plans, and their JSON form (``to_dict``).

Quantities in results are floats with a UCUM code beside them (``value``/``unit``); JSON gives
each as ``{"value": number, "unit": "UCUM"}``. Text for people is made by
:mod:`calcidose.render`, never here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

if TYPE_CHECKING:
    from .catalog.model import OverlayChange

__all__ = [
    "DISCLAIMER",
    "DOSE_PLAN_SCHEMA",
    "EXIT_CODES",
    "SEVERITIES",
    "SEVERITY_RANK",
    "STATUSES",
    "Administration",
    "ChangedBy",
    "DosePlan",
    "DoseRange",
    "Finding",
    "Step",
    "exit_code",
    "is_complete",
    "quantity_dict",
    "status_of",
]

#: The last line of every text view (render, options): the tool supports a clinician, never
#: replaces one. Here, below the engine and render, so that both can print it.
DISCLAIMER: Final = (
    "calcidose supports, and never replaces, the judgement of the prescriber and pharmacist."
)

DOSE_PLAN_SCHEMA: Final = "calcidose/dose-plan/3"

Status = Literal["ok", "caution", "major", "contraindicated", "cannot-check", "not-dosable"]
Severity = Literal["contraindicated", "major", "moderate", "minor", "info", "cannot-check"]

#: Status precedence, strongest first. The one place the overall answer is defined
#: (docs/checking.md, "Status, headline and exit code"): the worst KNOWN finding decides, so a
#: ``major`` finding makes the status ``major`` (never ``caution`` or ``ok``), and a known
#: ``major`` finding is never hidden behind an unknown: ``major`` ranks above ``not-dosable``
#: and ``cannot-check``. What is missing could still make the answer contraindicated, so such
#: a result is marked incomplete (``complete`` false; the text headline says the check is
#: incomplete) and still exits non-zero (1, do not give without review).
STATUSES: Final[tuple[Status, ...]] = (
    "contraindicated",
    "major",
    "not-dosable",
    "cannot-check",
    "caution",
    "ok",
)
SEVERITIES: Final = ("contraindicated", "major", "moderate", "minor", "info", "cannot-check")

#: The order findings are shown in: the worst known finding first, then what could not be
#: checked, then by severity (the order of :data:`STATUSES`).
SEVERITY_RANK: Final[dict[str, int]] = {
    severity: n
    for n, severity in enumerate(
        ("contraindicated", "major", "cannot-check", "moderate", "minor", "info")
    )
}

_STATUS_OF_SEVERITY: Final[dict[str, str]] = {
    "contraindicated": "contraindicated",
    "cannot-check": "cannot-check",
    "major": "major",
    "moderate": "caution",
    "minor": "ok",
    "info": "ok",
}


#: Patient measures are shown with more decimals in the trace, so that a hand check matches
#: (154 lb = 69.853 kg).
_PLACES: Final[dict[str, int]] = {"kg": 3, "m2": 3, "cm": 1}


def quantity_dict(value: float | None, unit: str) -> dict[str, Any] | None:
    """``{"value": value, "unit": unit}``, or None for a missing value."""
    if value is None:
        return None
    return {"value": _clean(value), "unit": unit}


def _clean(value: float) -> float | int:
    if not math.isfinite(value):
        # JSON has no Infinity or NaN; every entry refuses them, so this is a bug, not an input
        raise ValueError(f"a non-finite number reached the output: {value!r}")
    rounded = round(value, 9)
    if rounded == 0 and value != 0:
        # a positive amount is never written as 0: 12 significant digits instead of 9 decimals
        return float(f"{value:.12g}")
    return int(rounded) if rounded == int(rounded) and abs(rounded) < 2**53 else rounded


def _fill(template: str, terms: tuple[tuple[str, float, str], ...]) -> str:
    """The template with its terms written as the views write amounts: in the dispensing unit
    (from 1,000 mg on in grams, to the milligram), measures to their precision."""
    if not terms:
        return template
    return template.format(**{n: amount_text(v, u, _PLACES.get(u)) for n, v, u in terms})


@lru_cache(maxsize=4096, typed=True)
def amount_text(value: float, unit: str, places: int | None = None) -> str:
    """:func:`calcidose.units.format_amount`, remembered: the text of an amount depends on
    nothing but the amount, its unit and its places, and the same amounts (a cap, a strength,
    a rate, a rounding step) come back in plan after plan. ``typed``: 1 and 1.0, or a Decimal,
    are kept apart; at most 4,096 texts are kept (the least recently used go first)."""
    from .units import format_amount

    return format_amount(value, unit, places=places)


@attrs.frozen(slots=True)
class ChangedBy:
    """An institution overlay changed the cap, limit or rule a step or finding is about
    (issue 12 §3): its name, the change's target (as ``calcidose tables diff`` names it) and
    the sources of its justification (empty for a change that needs none, such as a lower
    cap; the cap's or rule's own sources are the step's and finding's ``sources``)."""

    overlay: str
    change: str
    sources: tuple[str, ...] = ()

    @classmethod
    def of(cls, made: OverlayChange | None) -> ChangedBy | None:
        """From the catalog's record of an overlay's change (None stays None)."""
        if made is None:
            return None
        return cls(made.overlay, made.change.target, made.sources())

    def text(self) -> str:
        """``overlay st-elsewhere`` (``; justified by a, b`` when it gives sources)."""
        cited = f"; justified by {', '.join(self.sources)}" if self.sources else ""
        return f"overlay {self.overlay}{cited}"

    def to_dict(self) -> dict[str, Any]:
        return {"overlay": self.overlay, "change": self.change, "sources": list(self.sources)}


@attrs.frozen(slots=True)
class Finding:
    """Something the pharmacist must see: severity first, then what and what to do.

    The message may be a template whose ``{names}`` are ``terms`` (name, value, UCUM unit):
    it is written out (ISMP text) only when read, so computing a plan formats no numbers.
    Construct with ``message=``; read ``.message`` for the text.
    """

    severity: Severity
    code: str
    template: str = attrs.field(alias="message")
    management: str = ""
    sources: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    terms: tuple[tuple[str, float, str], ...] = ()
    #: the overlay that changed the rule or maximum this finding is about (None: the tables)
    changed_by: ChangedBy | None = None

    @property
    def message(self) -> str:
        """The message as text, numbers written the ISMP way."""
        return _fill(self.template, self.terms)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "sources": list(self.sources),
        }
        if self.management:
            out["management"] = self.management
        if self.missing:
            out["missing"] = list(self.missing)
        if self.changed_by is not None:
            out["changed_by"] = self.changed_by.to_dict()
        return out


@attrs.frozen(slots=True)
class Step:
    """One step of the calculation, kept as data until it is shown.

    ``formula`` is a template whose ``{names}`` are ``terms`` (name, value, UCUM unit), e.g.
    ``"{rate} x {weight} = {result}"``; :meth:`text` fills it with ISMP-formatted quantities.
    Keeping numbers as data makes the engine cheap and lets JSON consumers re-render them.
    """

    label: str
    formula: str
    terms: tuple[tuple[str, float, str], ...] = ()
    value: float | None = None
    unit: str | None = None
    sources: tuple[str, ...] = ()
    #: the overlay that changed the cap or limit of this step (None: the tables)
    changed_by: ChangedBy | None = None

    def text(self) -> str:
        """The formula with every term written as ISMP text (``139.7 mg/day``)."""
        return _fill(self.formula, self.terms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.label,
            "formula": self.formula,
            "terms": {n: quantity_dict(v, u) for n, v, u in self.terms},
            "text": self.text(),
            "result": quantity_dict(self.value, self.unit) if self.unit else None,
            "sources": list(self.sources),
            **({"changed_by": self.changed_by.to_dict()} if self.changed_by is not None else {}),
        }


@attrs.frozen(slots=True)
class DoseRange:
    """The computed range in the regimen's basis; ``unit`` agrees with ``basis``."""

    basis: str
    low: float
    high: float
    unit: str
    capped: bool
    cap: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "low": quantity_dict(self.low, self.unit),
            "high": quantity_dict(self.high, self.unit),
            "capped": self.capped,
            "cap": quantity_dict(self.cap, self.unit),
        }


@attrs.frozen(slots=True)
class Administration:
    """How a range is given at one frequency with one product: exact and rounded amounts."""

    frequency: str
    frequency_text: str
    form: str
    low: float
    high: float
    unit: str
    rounded_low: float | None
    rounded_high: float | None
    step: float | None
    #: the rounded amounts as volumes (mL) of a solution measured by volume, else None
    volume_low: float | None = None
    volume_high: float | None = None
    #: the rounded amounts as whole units of the product's strengths (``((count, strength in
    #: unit), ...)``, fewest units), empty when the product is not given in whole units
    units_low: tuple[tuple[int, float], ...] = ()
    units_high: tuple[tuple[int, float], ...] = ()
    #: the concentration (mg/mL) of a solution measured by volume, else None
    concentration: float | None = None

    def to_dict(self) -> dict[str, Any]:
        rounded: dict[str, Any] | None = None
        if self.rounded_low is not None:
            rounded = {
                "low": quantity_dict(self.rounded_low, self.unit),
                "high": quantity_dict(self.rounded_high, self.unit),
                "step": quantity_dict(self.step, self.unit),
            }
            if self.volume_low is not None:
                rounded["volume"] = {
                    "low": quantity_dict(self.volume_low, "mL"),
                    "high": quantity_dict(self.volume_high, "mL"),
                }
                if self.concentration is not None:
                    rounded["concentration"] = quantity_dict(self.concentration, "mg/mL")
            if self.units_low and self.units_high:
                rounded["dispense"] = {
                    "form": self.form,
                    "low": [
                        {"count": n, "strength": quantity_dict(s, self.unit)}
                        for n, s in self.units_low
                    ],
                    "high": [
                        {"count": n, "strength": quantity_dict(s, self.unit)}
                        for n, s in self.units_high
                    ],
                }
        return {
            "frequency": self.frequency,
            "frequency_text": self.frequency_text,
            "form": self.form,
            "per_administration": {
                "low": quantity_dict(self.low, self.unit),
                "high": quantity_dict(self.high, self.unit),
            },
            "rounded": rounded,
        }


#: Overall status -> exit code of the CLI (and of any pipeline that gates on it).
#: 0 may be given as written (ok, caution); 1 do not give as written (contraindicated, or a
#: major finding that needs action first); 3 not verified (cannot check, not dosable).
#: 2 is reserved for bad input. A ``major`` finding never exits 0.
EXIT_CODES: Final[dict[str, int]] = {
    "ok": 0,
    "caution": 0,
    "major": 1,
    "contraindicated": 1,
    "not-dosable": 3,
    "cannot-check": 3,
}


def exit_code(status: str) -> int:
    """The exit code of an overall status (:data:`EXIT_CODES`)."""
    return EXIT_CODES[status]


def is_complete(findings: tuple[Finding, ...], dosable: bool = True) -> bool:
    """True when nothing was left unchecked: no ``cannot-check`` finding and a dosable regimen.

    A result that is not complete may still carry a known ``contraindicated`` or ``major``
    status (which outranks the unknown); ``complete`` says the check did not cover everything.
    """
    return dosable and not any(f.severity == "cannot-check" for f in findings)


def status_of(findings: tuple[Finding, ...], dosable: bool = True) -> Status:
    """The plan status: the strongest of the findings' statuses (and not-dosable)."""
    present = {_STATUS_OF_SEVERITY[f.severity] for f in findings}
    if not dosable:
        present.add("not-dosable")
    for status in STATUSES:
        if status in present:
            return status
    return "ok"


@attrs.frozen(slots=True)
class DosePlan:
    """What calcidose computes for a drug and a patient. ``to_dict()`` is the CLI's JSON.

    Every amount is a magnitude beside its UCUM code: ``dose`` (a :class:`DoseRange`, in
    ``dose.unit``, which agrees with ``dose.basis``: ``mg/d`` per day, ``mg`` per
    administration), each of ``administrations`` in its ``unit``; trace steps and findings keep
    their terms with units. ``to_dict()`` writes every quantity as ``{"value", "unit"}``.
    """

    drug: str
    drug_name: str
    regimen: str | None
    regimen_title: str | None
    route: str | None
    status: Status
    #: False when something could not be checked (a cannot-check finding, or no sourced dose),
    #: even when a known worse finding gives the status (:func:`is_complete`)
    complete: bool
    dose: DoseRange | None
    administrations: tuple[Administration, ...]
    findings: tuple[Finding, ...]
    trace: tuple[Step, ...]
    sources: tuple[str, ...]
    evidence: str | None
    range_origin: str | None
    tables_version: str
    #: the tables used (:meth:`calcidose.catalog.model.Catalog.provenance`): shipped edition
    #: and each overlay's name, version and content hash
    tables: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this plan (:data:`EXIT_CODES`)."""
        return exit_code(self.status)

    def to_dict(self) -> dict[str, Any]:
        """The dose-plan JSON object (schema ``calcidose/dose-plan/3``)."""
        return {
            "schema": DOSE_PLAN_SCHEMA,
            "drug": self.drug,
            "drug_name": self.drug_name,
            "regimen": self.regimen,
            "regimen_title": self.regimen_title,
            "route": self.route,
            "status": self.status,
            "complete": self.complete,
            "evidence": self.evidence,
            "range_origin": self.range_origin,
            "dose": self.dose.to_dict() if self.dose is not None else None,
            "administrations": [a.to_dict() for a in self.administrations],
            "findings": [f.to_dict() for f in self.findings],
            "trace": [s.to_dict() for s in self.trace],
            "sources": list(self.sources),
            "tables_version": self.tables_version,
            "tables": dict(self.tables),
        }
