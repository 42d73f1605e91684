"""The limits a firing dose-adjustment rule imposes (:class:`_Limits`): the strictest per basis,
per kg scaled by the weight, and the conflicts between its sources."""

from __future__ import annotations

from typing import Any, Final

from ... import units
from ...catalog.model import Rule
from ...results import ChangedBy, Finding, Step
from ..limits import Limit

# --- compiled rules ----------------------------------------------------------------------------


def _q(value: float, code: str) -> str:
    return units.format_amount(value, code)


#: Weight-scaled limit units -> the unit of the limit once multiplied by the body weight.
_PER_KG: Final[dict[str, str]] = {
    "mg/kg/d": "mg/d",
    "ug/kg/d": "ug/d",
    "mg/kg": "mg",
    "g/kg": "g",
}


class _Limits:
    """A firing rule's limits for one body weight: the strictest per basis, the conflicts
    between its sources, the trace, and the text added to the rule's message."""

    __slots__ = ("conflicts", "limits", "steps", "text")

    def __init__(
        self,
        rule: Rule,
        drug_name: str,
        weight: float | None,
        changed_by: ChangedBy | None = None,
    ) -> None:
        limits: list[Limit] = []
        conflicts: list[Finding] = []
        steps: list[Step] = []
        texts: list[str] = []
        by_per: dict[str, list[tuple[float, str, str, Any]]] = {}
        for adj in rule.adjust:
            code = adj.max.unit
            scaled = _PER_KG.get(code)
            if scaled is not None:
                assert weight is not None  # per-kg limits are built only for a known weight
                value = adj.max.value * units.UCUM[code].factor * weight
                shown = (
                    f"{_q(adj.max.value, code)} x {_q(weight, 'kg')} = "
                    f"{_q(value / units.UCUM[scaled].factor, scaled)}"
                )
                steps.append(
                    Step(
                        f"limit per kg ({rule.id})",
                        "{rate} x {weight} = {limit}",
                        (
                            ("rate", adj.max.value, code),
                            ("weight", weight, "kg"),
                            ("limit", value / units.UCUM[scaled].factor, scaled),
                        ),
                        sources=adj.sources,
                    )
                )
                code = scaled
            else:
                value = adj.max.value * units.UCUM[code].factor
                shown = _q(adj.max.value, code)
            by_per.setdefault(adj.per, []).append((value, code, shown, adj))
        for per, entries in by_per.items():
            entries.sort(key=lambda e: e[0])
            value, code, shown, best = entries[0]
            limits.append(
                Limit(f"rule {rule.id}", per, value, code, best.sources, best.note, changed_by)
            )
            texts.append(f"at most {shown} ({', '.join(best.sources)})")
            if len({e[0] for e in entries}) > 1:
                listing = "; ".join(f"{e[2]} ({', '.join(e[3].sources)})" for e in entries)
                sources = tuple(src for e in entries for src in e[3].sources)
                conflicts.append(
                    Finding(
                        "info",
                        f"{rule.id}:source-conflict",
                        f"sources disagree on the {drug_name} limit per {per} ({rule.id}): "
                        f"{listing}; the strictest, {shown}, is applied",
                        "Apply the strictest limit unless a prescriber documents a reason "
                        "(an institution table can choose another source).",
                        sources,
                    )
                )
                steps.append(
                    Step(
                        f"source conflict ({rule.id})",
                        f"per {per}: {listing}; strictest applied: {{limit}}",
                        (("limit", value / units.UCUM[code].factor, code),),
                        sources=sources,
                    )
                )
        self.limits: tuple[Limit, ...] = tuple(limits)
        self.conflicts: tuple[Finding, ...] = tuple(conflicts)
        self.steps: tuple[Step, ...] = tuple(steps)
        self.text = f" Limit: {'; '.join(texts)}." if texts else ""
