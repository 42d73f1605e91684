"""Text (ISMP) and JSON renderings of results.

The text view puts the verdict first (a contraindicated result says so first and loudest, and
its arithmetic is marked as not a dose to give), then the dose, then the findings, then the
calculation step by step, then the sources. Numbers are written by
:func:`calcidose.units.format_quantity` (leading zero, no trailing zero, mcg, separators).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from ..catalog.model import Catalog
from ..engine.dispense import units_text
from ..results import DISCLAIMER, Administration, DosePlan, Finding
from ..units import format_amount, format_quantity

if TYPE_CHECKING:
    from ..engine.orders import OrderCheck

__all__ = [
    "DISCLAIMER",
    "amount_text",
    "cited_sources",
    "finding_lines",
    "order_text",
    "plan_text",
    "span_text",
    "to_json",
]

_HEADLINE: Final = {
    "ok": "OK",
    "caution": "CAUTION",
    "major": "MAJOR FINDING - DO NOT GIVE WITHOUT REVIEW",
    "contraindicated": "CONTRAINDICATED - DO NOT GIVE",
    "cannot-check": "CANNOT CHECK - information is missing",
    "not-dosable": "NOT DOSABLE - calcidose has no sourced dose",
}
#: Statuses said loudest (between bars), and the findings shown before the dose.
_LOUD: Final = ("contraindicated", "major")
_FIRST: Final = ("contraindicated", "major", "cannot-check")
_BASIS_TEXT: Final = {
    "per-day": "per day",
    "per-administration": "per administration",
    "per-week": "per week",
    "per-course": "per course",
    "per-session": "per session",
}


def to_json(data: Any) -> str:
    """Stable, readable JSON (sorted keys are not used: the schema's order is the reading order)."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def amount_text(value: float, code: str, ceiling: float | None = None) -> str:
    """An amount in the unit it is dispensed in (:func:`calcidose.units.format_amount`): from
    1,000 mg on in grams (``2 g``, not ``2,000 mg``), to the milligram; ``ceiling`` (a cap in
    ``code``) is never passed."""
    return format_amount(value, code, ceiling)


def span_text(low: float, high: float, code: str, ceiling: float | None = None) -> str:
    """A range as text; one value when both ends read the same (``2 g/day``, never
    ``2 g/day to 2 g/day``)."""
    a, b = amount_text(low, code, ceiling), amount_text(high, code, ceiling)
    return a if a == b else f"{a} to {b}"


def dispense_text(a: Administration) -> str:
    """What the practical amounts are given as: whole units of the product's strengths
    (``1 x 60 mg to 1 x 90 mg immediate-release tablet``), or the measured volume of its
    concentration (``20 mL of 100 mg/mL``); empty when the tables give neither."""
    if a.units_low and a.units_high:
        low = units_text(a.units_low, lambda s: amount_text(s, a.unit))
        high = units_text(a.units_high, lambda s: amount_text(s, a.unit))
        span = low if low == high else f"{low} to {high}"
        return f"{span} {a.form}".rstrip()
    if a.volume_low is not None and a.volume_high is not None:
        text = span_text(a.volume_low, a.volume_high, "mL")
        if a.concentration is not None:
            text += f" of {format_quantity(a.concentration, 'mg/mL')}"
        return text
    return ""


def given_as_lines(result: OrderCheck) -> list[str]:
    """What the ordered amount is given as with each product of the regimen
    (``Given as: 90 mg = 1 x 90 mg immediate-release tablet``), or that no product gives it."""
    if result.per_administration is None or not result.dispensed:
        return []
    value, unit = result.per_administration
    amount = amount_text(value, unit)
    given = [d for d in result.dispensed if d.given]
    lines = []
    for d in given:
        if d.units:
            made = units_text(d.units, lambda x, u=d.unit: amount_text(x, u))
            lines.append(f"Given as: {amount} = {made} {d.form}".rstrip())
        else:
            shown = format_quantity(d.volume or 0.0, "mL", places=3)
            conc = format_quantity(d.concentration or 0.0, "mg/mL")
            lines.append(f"Given as: {amount} = {shown} of {conc}")
    if given:
        return lines
    products = []
    for d in result.dispensed:
        if d.concentration is not None:
            step = format_quantity(d.volume_step or 0.0, "mL", places=3)
            products.append(
                f"{d.form} of {format_quantity(d.concentration, 'mg/mL')}: "
                f"{format_quantity(d.volume or 0.0, 'mL', places=3)}, not a whole number of its "
                f"{step} steps"
            )
        else:
            sizes = ", ".join(amount_text(x, d.unit) for x in d.strengths)
            products.append(f"{d.form}: {sizes}")
    return [f"Given as: no product gives exactly {amount} ({'; '.join(products)})"]


def practical_text(a: Administration) -> str:
    """The practical amounts of one administration and what they are dispensed as."""
    if a.rounded_low is None or a.rounded_high is None:
        return ""
    text = span_text(a.rounded_low, a.rounded_high, a.unit)
    shown = dispense_text(a)
    return f"{text} = {shown}" if shown else text


def cited_sources(result: Any) -> list[str]:
    """The ids the output cites, in order of first citation: every trace step's and every
    finding's sources; the result's own sources only when nothing else cites any."""
    seen: dict[str, None] = {}
    for step in result.trace:
        seen.update(dict.fromkeys(step.sources))
    for finding in result.findings:
        seen.update(dict.fromkeys(finding.sources))
    return list(seen) or list(result.sources)


def _tail(result: Any, blocking: list[Finding], catalog: Catalog | None) -> list[str]:
    """What every result ends with: the other findings, the calculation step by step, the
    sources with their citations, the evidence and tables version, and the disclaimer.

    ``result`` is a DosePlan or an OrderCheck (both carry findings, trace, sources, evidence,
    range_origin and tables_version)."""
    lines: list[str] = []
    shown_first = set(blocking)  # a set: list membership made 10,000 findings quadratic
    others = [f for f in result.findings if f not in shown_first]
    if others:
        lines += ["", "Findings:"]
        lines += finding_lines(others)
    if result.trace:
        lines += ["", "Calculation:"]
        for n, step in enumerate(result.trace, 1):
            cited = f" [{', '.join(step.sources)}]" if step.sources else ""
            lines.append(f"  {n}. {step.label}: {step.text()}{cited}")
    lines += ["", "Sources:"]
    for source_id in cited_sources(result):
        source = catalog.sources.get(source_id) if catalog is not None else None
        lines.append(f"  {source_id}: {source.citation}" if source else f"  {source_id}")
    origin = (result.range_origin or "").replace("-", " ")
    evidence = f"evidence {result.evidence}, range from {origin}; " if result.evidence else ""
    lines += ["", f"{evidence}tables {result.tables_version}", DISCLAIMER]
    return lines


def finding_lines(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    """One block per finding: severity first, then what, then what to do."""
    lines = []
    for f in findings:
        lines.append(f"  [{f.severity.upper()}] {f.message}")
        if f.management:
            lines.append(f"      what to do: {f.management}")
        if f.sources:
            lines.append(f"      sources: {', '.join(f.sources)}")
    return lines


def incomplete_text(result: Any) -> str | None:
    """The line under a contraindicated or major headline when the check is incomplete: a known
    worse finding outranks the unknowns (docs/checking.md), but the unknowns are still said.
    None when the check is complete or its headline already says it could not check."""
    if result.complete or result.status not in _LOUD:
        return None
    missing = list(
        dict.fromkeys(m for f in result.findings if f.severity == "cannot-check" for m in f.missing)
    )
    parts = []
    if any(f.severity == "cannot-check" for f in result.findings):
        parts.append("not everything could be checked")
    if result.dose is None if isinstance(result, DosePlan) else result.expected_unit is None:
        parts.append("no sourced range to compare with")
    needs = f" (needs {', '.join(missing)})" if missing else ""
    return f"CHECK INCOMPLETE: {' and '.join(parts) or 'not everything could be checked'}{needs}"


def plan_text(plan: DosePlan, catalog: Catalog | None = None, *, brief: bool = False) -> str:
    """The dose plan for a pharmacist to read, verdict first. ``brief``: the headline, the range,
    the practical amounts and the findings (one line each), without the calculation."""
    lines: list[str] = []
    headline = _HEADLINE[plan.status]
    if plan.status in _LOUD:
        bar = "!" * (len(headline) + 8)
        lines += [bar, f"!!! {headline} !!!", bar]
    else:
        lines.append(f"STATUS: {headline}")
    incomplete = incomplete_text(plan)
    if incomplete:
        lines.append(incomplete)
    regimen = f", {plan.regimen_title}" if plan.regimen_title else ""
    lines.append(f"{plan.drug_name}{regimen}")
    blocking = [f for f in plan.findings if f.severity in _FIRST]
    if blocking:
        lines.append("")
        lines += finding_lines(blocking)
    lines.append("")
    if plan.dose is None:
        lines.append("Dose: none computed")
    else:
        if plan.status == "contraindicated":
            lines.append("Arithmetic for reference only. This is NOT a dose to give.")
        lines += _dose_lines(plan)
    if brief:
        return "\n".join(lines + _brief_tail(plan, blocking))
    lines += _tail(plan, blocking, catalog)
    return "\n".join(lines)


def _dose_lines(plan: DosePlan) -> list[str]:
    """The range, then each frequency and product: exact amounts, then the practical ones."""
    dose = plan.dose
    assert dose is not None
    cap = " (capped)" if dose.capped else ""
    span = span_text(dose.low, dose.high, dose.unit, dose.cap)
    lines = [f"Dose {_BASIS_TEXT[dose.basis]}: {span}{cap}"]
    for a in plan.administrations:
        form = f", {a.form}" if a.form else ""
        text = f"  {a.frequency_text}{form}: {span_text(a.low, a.high, a.unit)} each time"
        if a.rounded_low is not None and a.rounded_high is not None and a.step is not None:
            text += f"; practical: {practical_text(a)}"
            text += f" ({amount_text(a.step, a.unit)} steps)"
        lines.append(text)
    return lines


def _brief_tail(result: Any, blocking: list[Finding]) -> list[str]:
    """``--brief``: the other findings one line each, and where the rest is."""
    shown_first = set(blocking)
    lines = [
        f"  [{f.severity.upper()}] {f.message}" for f in result.findings if f not in shown_first
    ]
    if lines:
        lines[:0] = ["", "Findings:"]
    more = "the calculation, sources and advice: without --brief"
    return [*lines, f"tables {result.tables_version}; {more}"]


_VERDICT_HEADLINE: Final = {
    "within-range": "WITHIN RANGE",
    "below-range": "BELOW RANGE - below the calcinosis range for this patient",
    "above-range": "ABOVE RANGE - above the calcinosis range for this patient",
    "exceeds-maximum": "EXCEEDS MAXIMUM - DO NOT GIVE AS WRITTEN",
    "contraindicated": "CONTRAINDICATED - DO NOT GIVE",
    "cannot-check": "CANNOT CHECK - this order has not been verified",
}


def order_text(result: OrderCheck, catalog: Catalog | None = None, *, brief: bool = False) -> str:
    """An order check for a pharmacist to read: the verdict first and loudest.

    A contraindicated order (and one above a maximum) is framed as not to be given: the order is
    shown as what was written, never as a dose, and the expected range is marked as arithmetic
    for reference only.
    """
    lines: list[str] = []
    headline = _VERDICT_HEADLINE[result.verdict]
    if result.verdict not in ("contraindicated", "exceeds-maximum") and result.status in _LOUD:
        headline = _HEADLINE[result.status]  # the worst finding, not the range, leads
    blocked = result.verdict in ("contraindicated", "exceeds-maximum") or result.status in _LOUD
    if blocked:
        bar = "!" * (len(headline) + 8)
        lines += [bar, f"!!! {headline} !!!", bar]
    else:
        lines.append(f"VERDICT: {headline}")
    incomplete = incomplete_text(result)
    if incomplete:
        lines.append(incomplete)
    if headline != _VERDICT_HEADLINE[result.verdict]:
        lines.append(f"Range verdict: {_VERDICT_HEADLINE[result.verdict]}")
    alert = " (ISMP high-alert medication)" if result.high_alert else ""
    if result.verdict == "contraindicated":
        lines.append(
            f"Order as written, NOT to be given: {result.drug_name} {result.order_text}{alert}"
        )
    else:
        lines.append(f"Order: {result.drug_name} {result.order_text}{alert}")
    if result.regimen_title:
        lines.append(f"Checked against: {result.regimen_title} [{result.regimen}]")
    blocking = [f for f in result.findings if f.severity in _FIRST]
    if blocking:
        lines.append("")
        lines += finding_lines(blocking)
    lines.append("")
    ordered = [
        (label, pair)
        for label, pair in (
            (" per administration", result.per_administration),
            ("", result.per_day),  # mg/day says it
            ("", result.per_week),  # mg/week says it
            (" per course", result.per_course),
        )
        if pair is not None
    ]
    written = "; ".join(f"{amount_text(v, u)}{label}" for label, (v, u) in ordered)
    prefix = "Ordered (NOT a dose to give)" if result.verdict == "contraindicated" else "Ordered"
    lines.append(f"{prefix}: {written}")
    if result.verdict != "contraindicated" and result.per_administration is not None:
        lines += given_as_lines(result)
    if result.expected_unit is not None and result.expected_basis is not None:
        span = span_text(
            result.expected_low or 0.0, result.expected_high or 0.0, result.expected_unit
        )
        note = " (arithmetic for reference only)" if result.verdict == "contraindicated" else ""
        basis = _BASIS_TEXT.get(result.expected_basis, result.expected_basis)
        lines.append(f"Expected for this patient ({basis}): {span}{note}")
    else:
        lines.append("Expected for this patient: no sourced range")
    for m in result.maxima:
        state = {True: "EXCEEDED", False: "not exceeded", None: "not comparable"}[m.exceeded]
        per = "" if m.per in ("day", "week") else f" per {m.per}"
        lines.append(f"Maximum ({m.kind}): {amount_text(m.value, m.unit)}{per} - {state}")
    lines += _brief_tail(result, blocking) if brief else _tail(result, blocking, catalog)
    if blocked:
        lines += ["", f"!!! {headline} !!!"]
    return "\n".join(lines)
