"""What the FHIR edge reads out of a record: the patient, the draft orders, and notes.

Plain attrs data (no FHIR library), so the service and the CLI can use it without touching
fhir.resources again.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ...patient import Patient
from ...results import Finding

__all__ = ["DraftOrder", "FhirRecord", "Observed"]


@attrs.frozen
class Observed:
    """One observation calcidose read (or chose not to use), with its date.

    ``kind`` is weight, height, scr, egfr, pregnancy or lactation; ``value`` the text given to
    the patient (``"70 kg"``, ``"true"``); ``used`` False when it was superseded, stale and
    ignored, or not readable.
    """

    kind: str
    value: str
    code: str
    date: datetime | None
    resource: str
    used: bool
    note: str = ""


@attrs.frozen
class DraftOrder:
    """A draft MedicationRequest read as a calcidose order.

    ``drug`` is the calcidose id (None when the medication code is not mapped: ``medication``
    names it); ``amount`` and ``frequency`` are calcidose texts (``"90 mg"``,
    ``"three-times-daily"``);
    ``problem`` says why the order cannot be checked (then some fields are None).
    """

    resource: str
    medication: str
    drug: str | None
    amount: str | None
    frequency: str | None
    route: str | None
    duration_days: float | None
    problem: str | None = None
    request: dict[str, object] | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class FhirRecord:
    """A patient record read from FHIR at time ``now`` (ages and staleness are relative to it)."""

    patient: Patient
    patient_ref: str | None
    orders: tuple[DraftOrder, ...]
    findings: tuple[Finding, ...]
    observations: tuple[Observed, ...]
    now: datetime

    def notes(self) -> list[str]:
        """One line per observation read, with its date (for the text views)."""
        lines = []
        for o in self.observations:
            when = o.date.date().isoformat() if o.date else "no date"
            state = "used" if o.used else "not used"
            extra = f"; {o.note}" if o.note else ""
            lines.append(f"{o.kind} {o.value} ({o.code}, {when}, {o.resource}): {state}{extra}")
        return lines
