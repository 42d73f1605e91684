"""FHIR R4 edge of calcidose (extra ``calcidose[service]``; fhir.resources R4B models).

In: :func:`read_bundle` / :func:`read_resources` -> :class:`FhirRecord` (a calcidose
:class:`~calcidose.Patient`, the draft orders, notes on what was read and its dates).
Out: :func:`detected_issue`, :func:`operation_outcome`, :func:`dosage`.
:func:`check_record` checks every draft order of a record.

Nothing here is imported by ``import calcidose``; fhir.resources is imported on first use.
"""

from __future__ import annotations

from .check import OrderResult, check_record
from .model import DraftOrder, FhirRecord, Observed
from .read import read_bundle, read_resources
from .write import detected_issue, dosage, issue_code, operation_outcome

__all__ = [
    "DraftOrder",
    "FhirRecord",
    "Observed",
    "OrderResult",
    "check_record",
    "detected_issue",
    "dosage",
    "issue_code",
    "operation_outcome",
    "read_bundle",
    "read_resources",
]
