"""The pharmacist's page: what the answer shows, taken from the library's own result objects.

Nothing is computed here: the status, the verdict, the range, the amounts, the findings and the
calculation are those of :func:`calcidose.dose` and :func:`calcidose.check` (their ``to_dict()``
is the JSON contract, and the numbers are written by :func:`calcidose.units.format_quantity`,
as the text view does). This module only decides how loud each answer is and in which order
it is read: the headline first, then the range, the amounts, the findings, the calculation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..catalog.model import Catalog
from ..engine.orders import OrderCheck
from ..render import _HEADLINE as _STATUS_HEADLINE
from ..render import _VERDICT_HEADLINE, amount_text, practical_text
from ..results import DosePlan

__all__ = ["STATUS_WORDS", "TONES", "VERDICT_WORDS", "answer_view", "headline", "worst_severity"]

#: The words of the headline: the text view's own (:mod:`calcidose.render`), so the page and the
#: terminal say the same thing. A value the page does not know (a newer schema) is shown in
#: capitals as it is, never hidden.
STATUS_WORDS: Final[Mapping[str, str]] = _STATUS_HEADLINE
VERDICT_WORDS: Final[Mapping[str, str]] = _VERDICT_HEADLINE
#: danger (red), warning (amber) or ok (green), by status or verdict.
TONES: Final[dict[str, str]] = {
    "contraindicated": "danger",
    "exceeds-maximum": "danger",
    "major": "danger",
    "caution": "warning",
    "cannot-check": "warning",
    "not-dosable": "warning",
    "above-range": "warning",
    "below-range": "warning",
    "ok": "ok",
    "within-range": "ok",
}
_LOUD: Final = ("contraindicated", "major")
_SEVERITY_ORDER: Final = ("contraindicated", "major", "cannot-check", "moderate", "minor", "info")
_SEVERITY_WORDS: Final = {
    "contraindicated": "Contraindicated",
    "major": "Major",
    "cannot-check": "Cannot check",
    "moderate": "Moderate",
    "minor": "Minor",
    "info": "Information",
}
_BASIS_WORDS: Final = {
    "per-day": "per day",
    "per-administration": "per administration",
    "per-week": "per week",
    "per-course": "per course",
    "per-session": "per session",
}


def worst_severity(findings: Sequence[Mapping[str, Any]]) -> str | None:
    """The most severe finding's severity (contraindicated, major, cannot-check, ...), or None."""
    present = {f["severity"] for f in findings}
    return next((s for s in _SEVERITY_ORDER if s in present), None)


def _words(words: Mapping[str, str], value: str) -> str:
    return words.get(value, value.replace("-", " ").upper())


def headline(status: str, verdict: str | None, worst: str | None) -> tuple[str, str, str | None]:
    """(words, tone, range verdict shown under them) of an answer.

    A plan is headed by its status. An order is headed as the text view heads it: by its verdict
    when that is contraindicated or exceeds-maximum, else by a contraindicated or major overall
    status (with the range verdict under it), else by its verdict. The tone is red whenever a
    contraindicated or major finding is there, whatever the range says: nothing major reads as
    safe.
    """
    shown_verdict = None
    if verdict is None:
        words, key = _words(STATUS_WORDS, status), status
    elif verdict not in ("contraindicated", "exceeds-maximum") and status in _LOUD:
        words, key = _words(STATUS_WORDS, status), status
        shown_verdict = _words(VERDICT_WORDS, verdict)
    else:
        words, key = _words(VERDICT_WORDS, verdict), verdict
    tone = TONES.get(key, "warning")
    if (worst in _LOUD or status in _LOUD) and tone != "danger":
        tone = "danger"
        words += f" - BUT A {(worst or status).upper()} FINDING APPLIES: read it before giving"
    return words, tone, shown_verdict


def _q(value: float | None, unit: str | None, ceiling: float | None = None) -> str | None:
    """ISMP text of an exact value of the result (never of its 9-decimal JSON copy)."""
    if value is None or unit is None:
        return None
    return amount_text(value, unit, ceiling)


def _span(low: str | None, high: str | None) -> str:
    if low is None or high is None:
        return low or high or ""
    return low if low == high else f"{low} to {high}"


def _cite(catalog: Catalog, ids: Sequence[str]) -> list[dict[str, str]]:
    out = []
    for source_id in ids:
        source = catalog.sources.get(source_id)
        out.append(
            {
                "id": source_id,
                "citation": source.citation if source is not None else "",
                "url": (source.url or "") if source is not None else "",
            }
        )
    return out


def _all_sources(data: Mapping[str, Any]) -> list[str]:
    """The result's sources, then those only its findings and steps cite, each once."""
    ids = list(data.get("sources", ()))
    for item in (*data.get("findings", ()), *data.get("trace", ())):
        ids += [s for s in item.get("sources", ()) if s not in ids]
    return ids


def _findings(catalog: Catalog, findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    ordered = sorted(findings, key=lambda f: _SEVERITY_ORDER.index(f["severity"]))
    return [
        {
            "severity": f["severity"],
            "severity_words": _SEVERITY_WORDS.get(f["severity"], f["severity"]),
            "loud": f["severity"] in ("contraindicated", "major"),
            "message": f["message"],
            "management": f.get("management", ""),
            "missing": list(f.get("missing", ())),
            "sources": _cite(catalog, f.get("sources", ())),
        }
        for f in ordered
    ]


def _trace(catalog: Catalog, trace: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"label": s["step"], "text": s["text"], "sources": _cite(catalog, s.get("sources", ()))}
        for s in trace
    ]


def _tables(catalog: Catalog, data: Mapping[str, Any]) -> dict[str, Any]:
    """The tables edition and every overlay layer the catalog was built from, by name."""
    layers = list(catalog.origin)
    return {
        "version": data.get("tables_version", catalog.tables_version),
        "overlays": layers[1:],
        "provenance": data.get("provenance") or data.get("tables"),
    }


def _plan(plan: DosePlan) -> dict[str, Any]:
    dose = plan.dose
    if dose is None:
        return {"range": None, "administrations": []}
    rows = []
    for a in plan.administrations:
        rounded = a.rounded_low is not None and a.rounded_high is not None
        rows.append(
            {
                "frequency": a.frequency_text,
                "form": a.form,
                "exact": _span(_q(a.low, a.unit), _q(a.high, a.unit)),
                "rounded": practical_text(a) if rounded else "",
                "step": _q(a.step, a.unit) if rounded else "",
            }
        )
    return {
        "range": _span(_q(dose.low, dose.unit, dose.cap), _q(dose.high, dose.unit, dose.cap)),
        "basis": _BASIS_WORDS.get(dose.basis, dose.basis),
        "capped": dose.capped,
        "cap": _q(dose.cap, dose.unit),
        "administrations": rows,
    }


_MAX_STATE: Final = {True: "EXCEEDED", False: "not exceeded", None: "not comparable"}


def _order(result: OrderCheck) -> dict[str, Any]:
    labels = (
        (result.per_administration, "per administration"),
        (result.per_day, "per day"),
        (result.per_week, "per week"),
        (result.per_course, "per course"),
    )
    written = [(words, _q(pair[0], pair[1])) for pair, words in labels if pair is not None]
    expected = None
    if result.expected_unit is not None:
        expected = _span(
            _q(result.expected_low, result.expected_unit),
            _q(result.expected_high, result.expected_unit),
        )
    maxima = []
    for m in result.maxima:
        per = "" if m.per in ("day", "week") else f" per {m.per}"
        maxima.append(
            {
                "kind": m.kind,
                "max": f"{_q(m.value, m.unit)}{per}",
                "state": _MAX_STATE[m.exceeded],
                "exceeded": m.exceeded is True,
            }
        )
    return {
        "order_text": result.order_text,
        "ordered": written,
        "expected": expected,
        "expected_basis": _BASIS_WORDS.get(result.expected_basis or "", ""),
        "maxima": maxima,
        "high_alert": result.high_alert,
    }


def answer_view(result: DosePlan | OrderCheck, catalog: Catalog) -> dict[str, Any]:
    """What the answer section shows, from a DosePlan or an OrderCheck.

    The headline is :func:`headline` of the result's own ``status`` (and ``verdict``)."""
    kind = "check" if isinstance(result, OrderCheck) else "dose"
    data: dict[str, Any] = result.to_dict()
    findings = data.get("findings", [])
    worst = worst_severity(findings)
    verdict = data.get("verdict") if kind == "check" else None
    overall = data["status"]
    words, tone, shown_verdict = headline(overall, verdict, worst)
    # a contraindicated answer's arithmetic is shown as what it is: not a dose to give
    blocked = "contraindicated" in (overall, verdict)
    view: dict[str, Any] = {
        "kind": kind,
        "overall": overall,
        "headline": words,
        "tone": tone,
        "verdict": shown_verdict,
        "reference_only": blocked,
        "drug_name": data["drug_name"],
        "regimen_title": data.get("regimen_title"),
        "regimen": data.get("regimen"),
        "route": data.get("route"),
        "evidence": data.get("evidence"),
        "range_origin": (data.get("range_origin") or "").replace("-", " "),
        "findings": _findings(catalog, findings),
        "trace": _trace(catalog, data.get("trace", ())),
        "sources": _cite(catalog, _all_sources(data)),
        "tables": _tables(catalog, data),
        "schema": data.get("schema"),
    }
    view.update(_order(result) if isinstance(result, OrderCheck) else _plan(result))
    return view
