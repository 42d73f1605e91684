"""CDS Hooks cards from what calcidose found: one card per problem.

Indicator from severity (docs/service.md): contraindicated and major -> ``critical``; moderate ->
``warning``; minor and cannot-check -> ``info``. Information findings (how amounts were rounded)
make no card: a plain order within its range gets no card at all, and never a critical one.
Each order's cannot-check findings are one card (what calcidose could not check, and why).
A dose above a maximum or outside the range comes with a suggestion when a safe alternative
exists: the order at the nearest amount of the regimen's rounded range, proposed as an update
action only after calcidose has checked that amount and found it within range.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from typing import Any, Final

import attrs

from .. import __version__
from ..catalog import get_catalog
from ..catalog.model import Catalog
from ..engine.dosing import dose
from ..errors import CalcidoseError
from ..io.fhir import OrderResult, check_record, issue_code
from ..render import amount_text, dispense_text
from ..results import Finding
from .hooks import Outcome

__all__ = ["INDICATOR", "cards_for"]

INDICATOR: Final = {"contraindicated": "critical", "major": "critical", "moderate": "warning"}
_CARD_SEVERITIES: Final = ("contraindicated", "major", "moderate", "minor")
_OVERRIDE: Final = [
    {"system": "urn:calcidose:override-reason", "code": code, "display": display}
    for code, display in (
        ("benefit-outweighs-risk", "Benefit outweighs the risk (prescriber aware)"),
        ("monitored", "The patient will be monitored as advised"),
        ("data-out-of-date", "The patient data calcidose used is out of date or wrong"),
    )
]
_RANGE_CODES: Final = frozenset(
    {
        "order-exceeds-maximum",
        "order-above-reported-maximum",
        "order-above-range",
        "order-below-range",
    }
)


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 140 else text[:139].rstrip() + "…"


def _source(catalog: Catalog, base_url: str) -> dict[str, Any]:
    return {
        "label": f"calcidose {__version__} (tables {catalog.tables_version})",
        "url": f"{base_url}/cds-services/docs",
    }


def _sources_md(catalog: Catalog, ids: Iterable[str]) -> list[str]:
    lines = []
    for sid in ids:
        s = catalog.sources.get(sid)
        if s is None:
            continue
        link = f" <{s.url}>" if s.url else ""
        lines.append(f"- {s.title}. {s.citation}{link}")
    return lines


def _calculation(result: OrderResult, cache: dict[int, str]) -> str:
    """The order and its calculation as markdown (written once per order)."""
    check = result.check
    if check is None:
        return ""
    if id(result) not in cache:
        parts = [
            f"*Order:* {check.order_text} ({result.order.resource}); verdict **{check.verdict}**"
        ]
        steps = [f"{n}. {s.label}: {s.text()}" for n, s in enumerate(check.trace, 1)]
        if steps:
            parts.append("*Calculation:*\n\n" + "\n".join(steps))
        cache[id(result)] = "\n\n".join(parts)
    return cache[id(result)]


def _detail(
    catalog: Catalog, result: OrderResult, findings: list[Finding], cache: dict[int, str]
) -> str:
    parts = []
    for f in findings:
        parts.append(f"**{f.severity}**: {f.message}")
        if f.management:
            parts.append(f"*What to do:* {f.management}")
    calculation = _calculation(result, cache)
    if calculation:
        parts.append(calculation)
    cited = _sources_md(catalog, dict.fromkeys(s for f in findings for s in f.sources))
    if cited:
        parts.append("*Sources:*\n\n" + "\n".join(cited))
    return "\n\n".join(parts)


def _card(summary: str, indicator: str, detail: str, source: dict[str, Any]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(summary),
        "indicator": indicator,
        "detail": detail,
        "source": source,
    }
    if indicator != "info":
        card["overrideReasons"] = _OVERRIDE
    return card


def _suggestion(result: OrderResult, outcome: Outcome, catalog: Catalog) -> dict[str, Any] | None:
    """The order at the nearest rounded amount of the range, if calcidose finds it within."""
    check, order, record = result.check, result.order, outcome.record
    if check is None or record is None or order.request is None or check.regimen is None:
        return None
    try:
        plan = dose(check.drug, record.patient, check.regimen, catalog=catalog)
    except CalcidoseError:
        return None
    admin = next((a for a in plan.administrations if a.frequency == check.frequency), None)
    if admin is None or admin.rounded_low is None or admin.rounded_high is None:
        return None
    target = admin.rounded_high if check.verdict != "below-range" else admin.rounded_low
    request: dict[str, Any] = copy.deepcopy(order.request)
    quantity = request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    quantity.update(
        {
            "value": round(target, 6),
            "unit": admin.unit,
            "system": "http://unitsofmeasure.org",
            "code": admin.unit,
        }
    )
    again = _recheck(result, outcome, request, catalog)
    if again is None or again.verdict != "within-range":
        return None
    units = admin.units_high if target == admin.rounded_high else admin.units_low
    volume = admin.volume_high if target == admin.rounded_high else admin.volume_low
    one = attrs.evolve(
        admin,
        rounded_low=target,
        rounded_high=target,
        units_low=units,
        units_high=units,
        volume_low=volume,
        volume_high=volume,
    )
    given = dispense_text(one)
    given = f" ({given})" if given else ""
    text = f"Change to {amount_text(target, admin.unit)}{given} {admin.frequency_text}"
    return {
        "label": _summary(text),
        "uuid": str(uuid.uuid4()),
        "isRecommended": True,
        "actions": [{"type": "update", "description": text, "resource": request}],
    }


def _recheck(
    result: OrderResult, outcome: Outcome, request: dict[str, Any], catalog: Catalog
) -> Any:
    """The check of the changed order, with the other orders as before (the request was
    validated when it was read; only its amount changed)."""
    from ..io.fhir.codes import load_code_maps
    from ..io.fhir.model import FhirRecord
    from ..io.fhir.orders import read_order

    record = outcome.record
    assert record is not None
    changed = read_order(load_code_maps(), request, {})
    orders = tuple(changed if o.resource == result.order.resource else o for o in record.orders)
    again = FhirRecord(record.patient, record.patient_ref, orders, (), (), record.now)
    found = check_record(again, catalog, only=changed.resource)
    return found[0].check if found else None


def _order_cards(
    result: OrderResult, outcome: Outcome, catalog: Catalog, source: dict[str, Any]
) -> list[dict[str, Any]]:
    cards = []
    cache: dict[int, str] = {}
    name = result.order.medication
    if result.check is None:
        text = f"calcidose cannot check {name}: {result.error}"
        cards.append(_card(text, "info", text, source))
    findings = [*result.extra, *(result.check.findings if result.check else ())]
    drug = catalog.drugs.get(result.check.drug) if result.check else None
    for f in (f for f in findings if f.severity in _CARD_SEVERITIES):
        card = _card(
            f"{(result.check.drug_name if result.check else name)}: {f.message}",
            INDICATOR.get(f.severity, "info"),
            _detail(catalog, result, [f], cache),
            source,
        )
        code = issue_code(f, drug)
        if code:
            card["detail"] += f"\n\n*Detected issue:* v3 ActCode {code}"
        if f.code in _RANGE_CODES:
            suggestion = _suggestion(result, outcome, catalog)
            if suggestion is not None:
                card["suggestions"] = [suggestion]
                card["selectionBehavior"] = "at-most-one"
        cards.append(card)
    unknown = [f for f in findings if f.severity == "cannot-check"]
    if unknown:
        head = result.check.drug_name if result.check else name
        cards.append(
            _card(
                f"{head}: calcidose could not check everything "
                f"({len(unknown)} item{'s' * (len(unknown) > 1)})",
                "info",
                _detail(catalog, result, unknown, cache),
                source,
            )
        )
    return cards


def cards_for(
    outcome: Outcome, base_url: str, catalog: Catalog | None = None
) -> list[dict[str, Any]]:
    """The cards of one call."""
    cat = catalog if catalog is not None else get_catalog()
    source = _source(cat, base_url)
    cards: list[dict[str, Any]] = []
    if outcome.refusal is not None:
        cards.append(
            _card(
                f"calcidose could not read the record: {outcome.refusal}",
                "info",
                outcome.refusal,
                source,
            )
        )
    if outcome.missing:
        names = ", ".join(outcome.missing)
        text = (
            f"calcidose did not receive: {names} (no prefetch, and no FHIR server it could "
            "read); checks that need them say they cannot check"
        )
        cards.append(_card(text, "info", text, source))
    if outcome.record is not None:
        notes = [f for f in outcome.record.findings if f.severity != "info"]
        if notes:
            lines = "\n".join(f"- **{f.severity}**: {f.message}" for f in notes)
            seen = "\n".join(f"- {line}" for line in outcome.record.notes())
            cards.append(
                _card(
                    f"About the patient data: {notes[0].message}",
                    "info",
                    f"{lines}\n\n*Observations read:*\n\n{seen}",
                    source,
                )
            )
    for result in outcome.results:
        cards.extend(_order_cards(result, outcome, cat, source))
    return cards
