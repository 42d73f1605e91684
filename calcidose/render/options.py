"""The therapy options as text for a pharmacist or clinician (the view of
:func:`calcidose.engine.options.options`): one entry per line with its status, evidence level,
regimen, range for this patient in the dispensing unit, practical amounts and why."""

from __future__ import annotations

from typing import Final

from ..engine.options import OptionsReport
from ..results import DISCLAIMER
from . import practical_text, span_text

__all__ = ["options_text"]

#: The short status word of each entry (the full headlines of a plan are too long for a list).
_HEADLINE: Final = {
    "ok": "OK",
    "caution": "CAUTION",
    "major": "MAJOR",
    "cannot-check": "CANNOT CHECK",
    "not-dosable": "NOT DOSABLE",
    "contraindicated": "CONTRAINDICATED",
}


def options_text(report: OptionsReport) -> str:
    """The options for a pharmacist or clinician to read, ranked by evidence level."""
    kind = report.calcinosis_type or "any type (none given)"
    lines = [
        f"Therapy options for this patient (calcinosis type: {kind}), ranked by level of "
        "evidence (Traineau et al. 2020); contraindicated entries last",
        "",
    ]
    width = max(len(h) for h in _HEADLINE.values()) + 2
    for n, o in enumerate(report.options, 1):
        head = f"[{_HEADLINE[o.status]}]".ljust(width)
        evidence = f"evidence {o.evidence}" if o.evidence else "evidence not graded"
        extra = []
        if o.reported_for_type is False:
            extra.append(f"not reported for {report.calcinosis_type} calcinosis")
        if o.not_indicated:
            extra.append("not indicated or advised against for this patient")
        route = f", {o.route}" if o.route and o.route != "none" else ""
        lines.append(f"{n:>2}. {head} {o.name} ({o.kind}{route}; {evidence})")
        if o.regimen_title:
            lines.append(f"      regimen: {o.regimen_title}")
        if o.dose is not None and o.status in ("ok", "caution", "major"):
            span = span_text(o.dose.low, o.dose.high, o.dose.unit, o.dose.cap)
            lines.append(f"      range for this patient: {span} ({o.dose.basis})")
            for a in o.administrations:
                practical = practical_text(a)
                if practical:
                    lines.append(f"      practical, {a.frequency_text}: {practical}")
        lines.append(f"      why: {o.reason}")
        for note in extra:
            lines.append(f"      note: {note}")
    lines += ["", f"tables {report.tables_version}", DISCLAIMER]
    return "\n".join(lines)
