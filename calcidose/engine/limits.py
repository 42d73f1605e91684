"""A dose limit: a maximum in canonical units with where it comes from.

The dose engine builds them from caps (:func:`calcidose.engine.dosing.cap_limits`), the rules
from a firing rule's ``limit``; both the plan and the order check compare against them. Kept
apart so that the rules and the dose engine both import it and neither imports the other's
module to get it.
"""

from __future__ import annotations

from ..results import ChangedBy

__all__ = ["Limit"]


class Limit:
    """A maximum in canonical units, where it comes from, and its sources."""

    __slots__ = ("changed_by", "kind", "note", "per", "sources", "unit", "value")

    def __init__(
        self,
        kind: str,
        per: str,
        value: float,
        unit: str,
        sources: tuple[str, ...],
        note: str,
        changed_by: ChangedBy | None = None,
    ) -> None:
        self.kind = kind
        self.per = per
        self.value = value  # canonical (mg, mg/d, mg/wk or mL)
        self.unit = unit  # the UCUM code the table wrote
        self.sources = sources
        self.note = note
        self.changed_by = changed_by  # the overlay that changed it (None: the tables)
