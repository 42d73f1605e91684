"""One maximum (a cap of the regimen or the drug, or a limit a rule imposes) against the order."""

from __future__ import annotations

from ... import units
from ...results import Finding, Step
from ..limits import Limit
from .parse import _EPS
from .result import Maximum


def _per_text(per: str) -> str:
    """' per session' where the unit does not say it (mg/day and mg/week do)."""
    return "" if per in ("day", "week") else f" per {per}"


def _kind_text(kind: str, changed: bool = False) -> str:
    """How a finding names a maximum: an overlay's policy cap is not calcidose's policy."""
    if kind.startswith("rule "):
        return f"interaction/renal ({kind[5:]})"
    policy = "policy" if changed else "calcidose policy"
    return {"policy": policy, "regimen": "reported"}.get(kind, kind)  # label: as is


def _by_label(lim: Limit) -> str:
    by = lim.changed_by
    return f", changed by {by.text()}" if by is not None else ""


def _by_message(lim: Limit) -> str:
    by = lim.changed_by
    return f", set by {by.text()}" if by is not None else ""


def _maximum(lim: Limit, ordered: float | None) -> tuple[Maximum, Step, Finding | None]:
    """The order (canonical, in the limit's basis; None when it cannot be put in it) against
    one limit: the :class:`Maximum`, its step in the trace and the finding when exceeded."""
    factor = units.UCUM[lim.unit].factor
    exceeded = None if ordered is None else ordered > lim.value * (1 + _EPS) + _EPS
    m = Maximum(
        lim.per,
        lim.value / factor,
        lim.unit,
        lim.kind,
        lim.sources,
        lim.note,
        None if ordered is None else ordered / factor,
        exceeded,
        lim.changed_by,
    )
    if ordered is None:
        step = Step(
            f"maximum ({lim.kind}{_by_label(lim)})",
            f"at most {{max}}{_per_text(lim.per)}: the order cannot be put per {lim.per}",
            (("max", m.value, lim.unit),),
            sources=lim.sources,
            changed_by=lim.changed_by,
        )
        return m, step, None
    sign = ">" if exceeded else "<="
    step = Step(
        f"maximum ({lim.kind}{_by_label(lim)})",
        f"ordered {{ordered}} {sign} {{max}}{_per_text(lim.per)}",
        (("ordered", ordered / factor, lim.unit), ("max", m.value, lim.unit)),
        sources=lim.sources,
        changed_by=lim.changed_by,
    )
    if not exceeded:
        return m, step, None
    finding = Finding(
        "major",
        "order-exceeds-maximum" if m.hard else "order-above-reported-maximum",
        f"the order gives {units.format_amount(ordered / factor, lim.unit)}"
        f"{_per_text(lim.per)}, above the {_kind_text(lim.kind, lim.changed_by is not None)} "
        f"maximum of {units.format_amount(m.value, lim.unit)}{_by_message(lim)}"
        + (f" ({lim.note})" if lim.note else ""),
        "Do not give as written; at most "
        f"{units.format_amount(m.value, lim.unit)}{_per_text(lim.per)}.",
        lim.sources,
        changed_by=lim.changed_by,
    )
    return m, step, finding
