"""Caps: every cap that bounds a regimen for a patient (per-kg ones scaled by the weight), and
the strictest of them per basis, with the conflicts between sources."""

from __future__ import annotations

from typing import Final

from ... import units
from ...catalog.diff import cap_target
from ...catalog.model import Cap, Catalog, Drug, Regimen
from ...catalog.overlays import change_of
from ...results import (
    ChangedBy,
    Finding,
    Step,
)
from ..limits import Limit
from .compiled import _PER_KG_CAP, _canonical, _compiled, _fixed_limit

#: The basis of a range -> the ``per`` of the caps that limit it directly.
_CAP_PER: Final = {
    "per-day": "day",
    "per-administration": "administration",
    "per-week": "week",
    "per-course": "course",
    "per-session": "session",
}


def cap_limits(
    catalog: Catalog, drug: Drug | None, regimen: Regimen, weight_kg: float | None
) -> tuple[list[Limit], list[Step], list[Cap]]:
    """Every cap that bounds ``regimen`` for a patient of ``weight_kg``: the regimen's own and
    the drug's (which bound every regimen), as canonical limits (mg, mg/d, mg/wk or mL).

    A per-kg cap (``4 mg/kg/d``, ``2 g/kg`` per course) is multiplied by the weight, with a
    trace step; without a weight it is returned in the third list (it cannot be applied).
    """
    limits = list(_compiled(catalog, regimen)[1])
    steps: list[Step] = []
    unscaled: list[Cap] = []
    drug_caps = drug.caps if drug is not None else ()
    limits.extend(_fixed_limit(c) for c in drug_caps if c.max.unit not in _PER_KG_CAP)
    changed = _changed_caps(catalog, drug, regimen)
    if changed:  # an overlay changed some of these caps: their limits say so
        fixed = [c for c in (*regimen.caps, *drug_caps) if c.max.unit not in _PER_KG_CAP]
        limits = [
            _fixed_limit(cap, changed[n]) if n in changed else lim
            for n, (lim, cap) in enumerate(zip(limits, fixed, strict=True))
        ]
    drug_scope = f"drugs.{drug.id}" if drug is not None else ""
    scoped = [(f"{drug_scope}.regimens.{regimen.id}", c) for c in regimen.caps]
    for scope, cap in [*scoped, *((drug_scope, c) for c in drug_caps)]:
        scaled = _PER_KG_CAP.get(cap.max.unit)
        if scaled is None:  # fixed: compiled (the regimen's) or added above (the drug's)
            continue
        if weight_kg is None:
            unscaled.append(cap)
            continue
        by = _cap_changed_by(catalog, drug, scope, cap)
        value = _canonical(cap.max.value, cap.max.unit) * weight_kg
        shown = value / units.UCUM[scaled].factor
        steps.append(
            Step(
                f"cap per kg ({cap.kind})",
                "{rate} x {weight} = {cap}" + _note(cap.note),
                (
                    ("rate", cap.max.value, cap.max.unit),
                    ("weight", weight_kg, "kg"),
                    ("cap", shown, scaled),
                ),
                sources=cap.sources,
                changed_by=by,
            )
        )
        limits.append(Limit(cap.kind, cap.per, value, scaled, cap.sources, cap.note, by))
    return limits, steps, unscaled


def _changed_caps(catalog: Catalog, drug: Drug | None, regimen: Regimen) -> dict[int, ChangedBy]:
    """Position in (regimen caps, drug caps) with a fixed unit -> the overlay that changed
    the bound that cap belongs to (:func:`calcidose.catalog.diff.cap_target`)."""
    if not catalog.changes or drug is None or catalog.drugs.get(drug.id) is not drug:
        return {}
    scopes = [f"drugs.{drug.id}.regimens.{regimen.id}"] * len(regimen.caps)
    scopes += [f"drugs.{drug.id}"] * len(drug.caps)
    out: dict[int, ChangedBy] = {}
    fixed = 0
    for scope, cap in zip(scopes, (*regimen.caps, *drug.caps), strict=True):
        if cap.max.unit in _PER_KG_CAP:
            continue
        by = ChangedBy.of(change_of(catalog, cap_target(scope, cap)))
        if by is not None:
            out[fixed] = by
        fixed += 1
    return out


def _cap_changed_by(catalog: Catalog, drug: Drug | None, scope: str, cap: Cap) -> ChangedBy | None:
    if not catalog.changes or drug is None or catalog.drugs.get(drug.id) is not drug:
        return None
    return ChangedBy.of(change_of(catalog, cap_target(scope, cap)))


def _by_text(by: ChangedBy | None) -> str:
    """', changed by overlay NAME' for a step's label, or ''."""
    return f", changed by {by.text()}" if by is not None else ""


def _note(note: str) -> str:
    """': note' for a step template (braces escaped: the note is text, not a template)."""
    return f": {note.replace('{', '{{').replace('}', '}}')}" if note else ""


def _unscaled_finding(regimen: Regimen, caps: list[Cap]) -> Finding:
    listed = "; ".join(
        units.format_amount(c.max.value, c.max.unit) + f" ({c.kind}, per {c.per})" for c in caps
    )
    return Finding(
        "cannot-check",
        "missing-weight",
        f"the {regimen.id} maxima per kg of body weight ({listed}) cannot be applied: the "
        "patient's weight is not given",
        "Give the patient's weight with its unit.",
        tuple(s for c in caps for s in c.sources),
        ("weight",),
    )


def _strictest(
    limits: list[Limit], per: str, out_code: str, steps: list[Step], findings: list[Finding]
) -> Limit | None:
    relevant = [lim for lim in limits if lim.per == per]
    if not relevant:
        return None
    for lim in relevant:
        steps.append(
            Step(
                f"cap ({lim.kind}{_by_text(lim.changed_by)})",
                "at most {cap}" + (f": {lim.note}" if lim.note else ""),
                (("cap", lim.value / units.UCUM[out_code].factor, out_code),),
                sources=lim.sources,
                changed_by=lim.changed_by,
            )
        )
    best = min(relevant, key=lambda lim: lim.value)
    distinct = {lim.value for lim in relevant}
    if len(distinct) > 1:
        listing = "; ".join(
            f"{units.format_amount(lim.value / units.UCUM[out_code].factor, out_code)} "
            f"({lim.kind}: {', '.join(lim.sources)})"
            for lim in sorted(relevant, key=lambda lim: lim.value)
        )
        findings.append(
            Finding(
                "info",
                "source-conflict",
                f"sources give different maxima per {per}: {listing}; the strictest is applied",
                "Apply the strictest unless a prescriber documents a reason.",
                tuple(s for lim in relevant for s in lim.sources),
            )
        )
    return best


def product_limits(regimen: Regimen, frequency: str) -> list[Limit]:
    """The product label maxima that bound an order of ``regimen`` at ``frequency``: per
    ``per``, when every product given at that frequency has one, the loosest of them (the order
    may be given with any of those products); none when one of them has none."""
    products = [p for p in regimen.products if frequency in p.frequencies]
    out: list[Limit] = []
    if not products:
        return out
    pers = {c.per for c in products[0].caps}
    for per in sorted(pers):
        each = [[c for c in p.caps if c.per == per] for p in products]
        if all(each):
            loosest = max(
                (min(cs, key=lambda c: _canonical(c.max.value, c.max.unit)) for cs in each),
                key=lambda c: _canonical(c.max.value, c.max.unit),
            )
            out.append(_fixed_limit(loosest))
    return out
