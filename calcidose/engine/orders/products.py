"""The order and the regimen's products: what the ordered amount is given as, the roundings of
the plan the order uses, and a volume order turned into an amount."""

from __future__ import annotations

from typing import Any, Final

from ... import units
from ...catalog.model import Catalog, Regimen
from ...results import (
    DosePlan,
    Finding,
    Step,
)
from ..dispense import fewest_units
from ..dosing import _compiled
from .parse import _Order
from .result import Dispensed


def _dispensed(
    catalog: Catalog, order: _Order, regimen: Regimen | None, out_code: str
) -> tuple[Dispensed, ...]:
    """What the ordered amount is given as, with each product of the regimen for the ordered
    frequency (every product of the regimen when none is for it): the fewest whole units of
    its strengths, or the volume of its concentration and whether it can be measured."""
    mg = order.converted_mg
    if regimen is None or mg is None:
        return ()
    splits, _ = _compiled(catalog, regimen)
    usable = [s for s in splits if s.measure in ("strengths", "volume")]
    chosen = [s for s in usable if s.freq.id == order.freq.id] or usable
    factor = units.UCUM[out_code].factor
    out: list[Dispensed] = []
    seen: set[tuple[object, ...]] = set()
    for split in chosen:
        key = (split.form, split.strengths, split.concentration, split.step)
        if key in seen:
            continue
        seen.add(key)
        if split.measure == "strengths":
            made = fewest_units(mg, split.strengths)
            out.append(
                Dispensed(
                    split.form,
                    out_code,
                    strengths=tuple(v / factor for v in split.strengths),
                    units=tuple((n, v / factor) for n, v in made),
                )
            )
        elif split.concentration is not None and split.step is not None:
            count = mg / split.step
            out.append(
                Dispensed(
                    split.form,
                    out_code,
                    concentration=split.concentration,
                    volume=mg / split.concentration,
                    volume_step=split.step / split.concentration,
                    measurable=abs(count - round(count)) <= 1e-6 * max(1.0, count),
                )
            )
    return tuple(out)


#: The dose plan's findings that belong to one rounding (one frequency and product).
_ROUNDING_FINDINGS: Final = frozenset(
    {"no-practical-amount", "below-smallest-strength", "capped-by-product-label"}
)


def _for_the_order(
    catalog: Catalog, plan: DosePlan, regimen: Regimen, order: _Order
) -> tuple[list[Step], list[Finding]]:
    """The plan's trace and findings without the roundings the order does not use.

    The plan rounds the range for every (frequency, product) pair of the regimen; an order is
    given at one frequency with one product, so only the roundings of the ordered frequency
    are kept, and of its products only those the ordered amount can be made of (a multiple of
    the product's step, at least its smallest strength). When the amount fits none of them
    (an amount no product gives), every product of the ordered frequency is kept, so the
    practical amounts stay in view.
    """
    splits, _ = _compiled(catalog, regimen)
    mg = order.converted_mg

    def fits(split: Any) -> bool:
        if mg is None or split.step is None:
            return True
        if mg < split.smallest * (1 - 1e-9):
            return False
        count = mg / split.step
        return bool(abs(count - round(count)) <= 1e-6 * max(1.0, count))

    same = [s for s in splits if s.freq.id == order.freq.id]
    kept = [s for s in same if fits(s)] or same
    dropped = [s for s in splits if s not in kept]

    def rounding_of(step: Step, split: Any) -> bool:
        return step.label == split.label and step.formula.startswith(f"{split.freq.text}: ")

    def finding_of(finding: Finding, split: Any) -> bool:
        return finding.code in _ROUNDING_FINDINGS and finding.message.startswith(
            f"{split.freq.text} with {split.form}:"
        )

    trace = [s for s in plan.trace if not any(rounding_of(s, d) for d in dropped)]
    found = [f for f in plan.findings if not any(finding_of(f, d) for d in dropped)]
    return trace, found


def _convert_volume(
    order: _Order, regimen: Regimen, steps: list[Step], findings: list[Finding]
) -> None:
    """A volume order of a drug dosed by amount: mL x the product's concentration."""
    wants_volume = regimen.dose is not None and regimen.dose.low.unit == "mL"
    if wants_volume or (regimen.dose is None and all(c.max.unit == "mL" for c in regimen.caps)):
        return
    concentrations = {
        (p.concentration.value * units.UCUM[p.concentration.unit].factor, p.form): p
        for p in regimen.products
        if p.concentration is not None
        and p.concentration.unit == "mg/mL"
        and (not p.frequencies or order.freq.id in p.frequencies)
    }
    distinct = {c for c, _ in concentrations}
    if len(distinct) != 1:
        listed = (
            ", ".join(units.format_quantity(c, "mg/mL") for c in sorted(distinct))
            or "none in the tables"
        )
        findings.append(
            Finding(
                "cannot-check",
                "volume-needs-concentration",
                f"the order is a volume ({units.format_quantity(order.amount, 'mL')}) and the "
                f"regimen is dosed by amount; the concentration is not known "
                f"(products: {listed})",
                "Write the order as an amount (mg or g), or name the product.",
                regimen.sources,
                ("the amount in mg, or the concentration",),
            )
        )
        return
    ((conc, form), product) = next(iter(concentrations.items()))
    order.converted_mg = order.amount * conc
    steps.append(
        Step(
            "volume to amount",
            f"{{volume}} x {{concentration}} ({form}) = {{amount}}",
            (
                ("volume", order.amount, "mL"),
                ("concentration", conc, "mg/mL"),
                ("amount", order.converted_mg, "mg"),
            ),
            sources=product.sources,
        )
    )
