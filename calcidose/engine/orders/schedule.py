"""An order given more or less often than its regimen: the findings on its schedule."""

from __future__ import annotations

import re
from typing import Final

from ...catalog.model import Regimen
from ...frequency import Frequency
from ...results import Finding
from ..regimens import same_schedule
from .parse import _EPS, _Order

#: Dosage-form words of a modified-release product (USP and EDQM Standard Terms: extended-,
#: prolonged-, delayed-, modified-, controlled-, sustained-release).
_MODIFIED_RELEASE: Final = re.compile(
    r"\b(extended|prolonged|delayed|modified|controlled|sustained)[- ]release\b", re.IGNORECASE
)


def _is_modified_release(form: str) -> bool:
    """True when a product's dosage form names a modified release (an ER or DR form)."""
    return _MODIFIED_RELEASE.search(form) is not None


def _rate(freq: Frequency) -> float:
    return freq.count / freq.period_days if freq.period_days > 0 else 0.0


def _listed_text(listed: list[Frequency]) -> str:
    return ", ".join(f.text for f in listed)


def _not_daily(r: Regimen, freq: Frequency) -> Finding:
    """A regimen dosed per day, every day, ordered less often than daily."""
    return Finding(
        "major",
        "less-often-than-regimen",
        f"{r.title}: the regimen is a dose per day, every day; the order is "
        f"{freq.text}. calcidose does not average a daily dose over longer "
        "periods; each dosing day is compared with the daily range",
        "Order the drug daily, as the regimen gives it, or document why not.",
        r.sources,
    )


def _weekly_ordered_daily(r: Regimen, drug_name: str, freq: Frequency) -> Finding:
    return Finding(
        "major",
        "weekly-regimen-ordered-daily",
        f"{r.title}: {drug_name} is given once a week; this order is "
        f"{freq.text}. A weekly dose is never given daily",
        "Rewrite the order once weekly.",
        r.sources,
    )


def _rate_findings(
    o: _Order, r: Regimen, listed: list[Frequency], findings: list[Finding]
) -> tuple[bool, bool]:
    """(more, less): an order repeated more (less) often than every schedule of the regimen
    is a finding and never within range (issue 10 section 5). A single administration has
    no rate; a per-course regimen is also given daily within its course (that is compared
    with the daily share of the course, not here)."""
    freq = o.freq
    assert r.dose is not None
    if not listed or o.once or (r.dose.basis == "per-course" and o.daily):
        return False, False
    top = max(_rate(f) for f in listed)
    bottom = min(_rate(f) for f in listed)
    rate = _rate(freq)
    if rate > top * (1 + _EPS):
        findings.append(
            Finding(
                "major",
                "more-often-than-regimen",
                f"{r.title}: ordered {freq.text}, more often than the regimen "
                f"({_listed_text(listed)})",
                "Check the frequency with the prescriber.",
                r.sources,
            )
        )
        return True, False
    if rate < bottom * (1 - _EPS):
        findings.append(
            Finding(
                "moderate",
                "less-often-than-regimen",
                f"{r.title}: ordered {freq.text}, less often than the regimen "
                f"({_listed_text(listed)})",
                "Check the frequency with the prescriber.",
                r.sources,
            )
        )
        return False, True
    return False, False


def _daily_schedule(o: _Order, r: Regimen, basis: str, listed: list[Frequency]) -> Finding | None:
    """A daily order of a regimen dosed per day, at a frequency the regimen does not list:
    its total per day is still compared (with every per-dose and per-day cap)."""
    freq = o.freq
    if basis != "per-day" or not listed or not o.daily:
        return None
    if _rate(freq) > max(_rate(f) for f in listed) * (1 + _EPS):
        # A daily total split into more doses is a schedule to confirm (moderate), unless the
        # regimen has a modified-release product: those are made for their own schedule
        # (an extended-release capsule once daily) and a split is a dosing error (major).
        modified = [p.form for p in r.products if _is_modified_release(p.form)]
        return Finding(
            "major" if modified else "moderate",
            "more-often-than-regimen",
            f"{r.title}: ordered {freq.text}, more often than the regimen "
            f"({_listed_text(listed)}); the total per day is compared"
            + (
                f"; a modified-release product ({', '.join(modified)}) is given only "
                "on its own schedule"
                if modified
                else ""
            ),
            "Check the frequency with the prescriber.",
            r.sources,
        )
    if not any(same_schedule(freq, f) for f in listed):
        return Finding(
            "minor",
            "frequency-not-in-regimen",
            f"{r.title}: {freq.text} is not one of the regimen's frequencies "
            f"({_listed_text(listed)}); the total per day is compared",
            "Check that a product exists for this frequency.",
            r.sources,
        )
    return None
