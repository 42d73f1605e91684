"""A drug's monograph (``calcidose show``): regimens, caps, rules and sources, as JSON and text."""

from __future__ import annotations

from typing import Any

from ..catalog.model import Catalog, Drug, Product, TQuantity
from ..units import format_quantity
from . import amount_text, span_text

__all__ = ["monograph", "monograph_text"]


def _q(q: TQuantity | None) -> dict[str, Any] | None:
    return None if q is None else {"value": q.value, "unit": q.unit}


def monograph(catalog: Catalog, drug: Drug) -> dict[str, Any]:
    """The whole catalog entry as JSON (UCUM quantities), with its sources resolved."""
    regimens = []
    for r in drug.regimens:
        regimens.append(
            {
                "id": r.id,
                "title": r.title,
                "route": r.route,
                "dosable": r.dosable,
                "not_dosable_reason": r.not_dosable_reason,
                "evidence": r.evidence,
                "range_origin": r.range_origin,
                "calcinosis_types": list(r.calcinosis_types),
                "population": {
                    "label": r.population.label,
                    "min_age": _q(r.population.min_age),
                    "max_age": _q(r.population.max_age),
                },
                "dose": None
                if r.dose is None
                else {
                    "basis": r.dose.basis,
                    "scale": r.dose.scale,
                    "low": _q(r.dose.low),
                    "high": _q(r.dose.high),
                    "sources": list(r.dose.sources),
                },
                "frequencies": list(r.frequencies),
                "caps": [
                    {
                        "kind": c.kind,
                        "per": c.per,
                        "max": _q(c.max),
                        "sources": list(c.sources),
                        "note": c.note,
                    }
                    for c in r.caps
                ],
                "products": [
                    {
                        "form": p.form,
                        "frequencies": list(p.frequencies),
                        "strengths": [_q(s) for s in p.strengths],
                        "concentration": _q(p.concentration),
                    }
                    for p in r.products
                ],
                "duration": r.duration,
                "notes": list(r.notes),
                "sources": list(r.sources),
            }
        )
    rules = [
        {
            "id": rule.id,
            "kind": rule.kind,
            "severity": rule.severity,
            "message": rule.message,
            "management": rule.management,
            "when": rule.when,
            "sources": list(rule.sources),
            "product_decision": rule.product_decision,
        }
        for rule in drug.rules
    ]
    cited = sorted(set(_all_sources(drug)))
    return {
        "schema": "calcidose/monograph/1",
        "tables_version": catalog.tables_version,
        "id": drug.id,
        "name": drug.name,
        "kind": drug.kind,
        "synonyms": list(drug.synonyms),
        "classes": list(drug.classes),
        "high_alert": drug.high_alert,
        "summary": drug.summary,
        "indications": list(drug.indications),
        "counselling": list(drug.counselling),
        "regimens": regimens,
        "rules": rules,
        "sources": [
            {
                "id": s,
                "citation": catalog.sources[s].citation,
                "checked": catalog.sources[s].checked,
            }
            for s in cited
            if s in catalog.sources
        ],
    }


def _all_sources(drug: Drug) -> list[str]:
    out = list(drug.sources)
    for r in drug.regimens:
        out += r.sources
        out += r.dose.sources if r.dose else ()
        for c in r.caps:
            out += c.sources
        for p in r.products:
            out += p.sources
    for rule in drug.rules:
        out += rule.sources
        for a in rule.adjust:
            out += a.sources
    return out


def _dispensed_as(p: Product) -> str:
    """A product as it is dispensed: whole units of its strengths, or a volume of its
    concentration measured in its volume step."""
    strengths = ", ".join(amount_text(s.value, s.unit) for s in p.strengths)
    parts = [p.form]
    if strengths:
        parts.append(f"strengths {strengths}")
    if p.concentration is not None:
        conc = format_quantity(p.concentration.value, p.concentration.unit)
        step = p.volume_step
        measured = f", measured in {format_quantity(step.value, step.unit)} steps" if step else ""
        parts.append(f"{conc}{measured}")
    if p.frequencies:
        parts.append(f"for {', '.join(f.replace('-', ' ') for f in p.frequencies)}")
    return "; ".join(parts)


def monograph_text(catalog: Catalog, drug: Drug) -> str:
    """The monograph for people."""
    lines = [f"{drug.name} ({drug.kind})" + (" - ISMP HIGH-ALERT" if drug.high_alert else "")]
    lines.append(" ".join(drug.summary.split()))
    for item in drug.indications:
        lines.append(f"  indication: {item}")
    for r in drug.regimens:
        lines += ["", f"Regimen {r.id}: {r.title}"]
        lines.append(
            f"  route {r.route}; {r.population.label}; evidence {r.evidence}; "
            f"range from {r.range_origin.replace('-', ' ')}"
        )
        if not r.dosable:
            lines.append(f"  NOT DOSABLE: {r.not_dosable_reason}")
        if r.dose is not None:
            d = r.dose
            if d.low.unit == d.high.unit:
                span = span_text(d.low.value, d.high.value, d.low.unit)
            else:
                span = f"{amount_text(d.low.value, d.low.unit)} to "
                span += amount_text(d.high.value, d.high.unit)
            lines.append(f"  dose {d.basis} ({d.scale}): {span} [{', '.join(d.sources)}]")
        for c in r.caps:
            lines.append(
                f"  cap ({c.kind}) per {c.per}: {amount_text(c.max.value, c.max.unit)}"
                f" [{', '.join(c.sources)}]"
            )
        for p in r.products:
            lines.append(f"  product: {_dispensed_as(p)}")
        for note in r.notes:
            lines.append(f"  note: {note}")
    if drug.rules:
        lines += ["", "Rules:"]
        for rule in drug.rules:
            lines.append(f"  [{rule.severity.upper()}] {rule.message} [{', '.join(rule.sources)}]")
    lines += ["", "Sources:"]
    for s in sorted(set(_all_sources(drug))):
        src = catalog.sources.get(s)
        lines.append(f"  {s}: {src.citation if src else '?'}")
    return "\n".join(lines)
