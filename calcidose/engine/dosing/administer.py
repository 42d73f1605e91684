"""A range split per frequency into administrations and rounded to the products' practical
amounts (:mod:`calcidose.engine.rounding`), with the trace of each rounding."""

from __future__ import annotations

from typing import Final

from ... import units
from ...catalog.model import Catalog, Drug, Regimen
from ...results import (
    Administration,
    Finding,
    Step,
)
from ..dispense import fewest_units
from ..limits import Limit
from ..rounding import Practical, practical_amounts
from .compiled import _compiled, _Split


class _Rules:
    """What rounding needs from the catalog and the drug: the tolerance for a single value
    (a fraction), its sources, whether rounding up is allowed (not for a
    narrow-therapeutic-index drug), and the catalog (its compiled regimens)."""

    __slots__ = ("allow_up", "catalog", "sources", "tolerance")

    def __init__(self, catalog: Catalog, drug: Drug) -> None:
        self.catalog = catalog
        policy = catalog.meta.rounding
        self.tolerance = policy.tolerance
        self.sources = policy.sources
        self.allow_up = not drug.narrow_therapeutic_index


def _method(split: _Split) -> str:
    if split.measure == "volume":
        return "measured in {volume} steps of {conc} ({step} each)"
    return "multiples of {step}"


def _rounding_step(
    split: _Split,
    practical: Practical,
    per: tuple[float, float],
    ceiling: float | None,
    rules: _Rules,
    code: str,
) -> Step:
    """The trace step of one rounding: the exact amounts, the method, the result."""
    f = units.UCUM[code].factor
    assert split.step is not None
    terms: list[tuple[str, float, str]] = [
        ("low", per[0] / f, code),
        ("high", per[1] / f, code),
        ("step", split.step / f, code),
    ]
    if split.concentration is not None:
        terms += [
            ("volume", split.step / split.concentration, "mL"),
            ("conc", split.concentration, "mg/mL"),
        ]
    single = practical.outcome == "nearest" or per[1] - per[0] <= 1e-9 * max(1.0, per[1])
    amounts = "{high} per administration" if single else "{low} to {high} per administration"
    if single:
        how = f"the nearest of the {_method(split)} within {rules.tolerance:.0%}"
        how += "" if rules.allow_up else ", never up (narrow therapeutic index)"
    else:
        how = f"rounded inward to {_method(split)}"
    how += ", not past the cap" if ceiling is not None else ""
    if practical.low is None or practical.high is None:
        result = f"none ({practical.reason})"
    elif practical.outcome == "nearest":
        change = (practical.high - per[1]) / per[1]
        sign = "+" if change > 0 else "-"
        shown = units.format_number(abs(change) * 100)
        result = "{r_high}" + (f" ({sign}{shown}%)" if shown != "0" else " (exact)")
        terms.append(("r_high", practical.high / f, code))
    else:
        result = "{r_low} to {r_high}" if practical.low != practical.high else "{r_high}"
        terms += [("r_low", practical.low / f, code), ("r_high", practical.high / f, code)]
    return Step(
        split.label,
        f"{split.freq.text}: {amounts}, {how}: {result}",
        tuple(terms),
        sources=split.sources + (rules.sources if single or split.measure == "volume" else ()),
    )


def _no_practical(
    split: _Split, practical: Practical, per: tuple[float, float], code: str
) -> Finding:
    """The finding when no practical amount fits: what was asked, what is nearest, why."""
    f = units.UCUM[code].factor
    if per[1] < split.smallest - 1e-9 * max(1.0, split.smallest):
        return Finding(
            "info",
            "below-smallest-strength",
            message=f"{split.freq.text} with {split.form}: the computed amount per "
            "administration is below the smallest strength ({smallest})",
            management="Use another product or frequency; do not round up past the range.",
            sources=split.sources,
            terms=(("smallest", split.smallest / f, code),),
        )
    nearest = [v for v in (practical.below, practical.above) if v is not None]
    near = ""
    terms: list[tuple[str, float, str]] = [("low", per[0] / f, code), ("high", per[1] / f, code)]
    for n, value in enumerate(nearest):
        terms.append((f"n{n}", value / f, code))
    if nearest:
        verb = "is" if len(nearest) == 1 else "are"
        near = f"; the nearest {verb} " + " and ".join(f"{{n{n}}}" for n in range(len(nearest)))
    exact = "{high}" if per[1] - per[0] <= 1e-9 * max(1.0, per[1]) else "{low} to {high}"
    return Finding(
        "info",
        "no-practical-amount",
        message=f"{split.freq.text} with {split.form}: no practical amount for the exact "
        f"{exact} per administration: {practical.reason}{near}",
        management="Do not round past the range: give the exact amount another way (another "
        "product, strength or frequency) or ask the prescriber.",
        sources=split.sources,
        terms=tuple(terms),
    )


def _administrations(
    regimen: Regimen,
    basis: str,
    low: float,
    high: float,
    out_code: str,
    limits: list[Limit],
    period_cap: float | None,
    rules: _Rules,
    steps: list[Step],
    findings: list[Finding],
) -> list[Administration]:
    """Split a per-day/per-week range per frequency and round to each product's practical
    amounts (module :mod:`calcidose.engine.rounding`: inward, within the tolerance, never past
    a cap)."""
    amount_code = out_code.split("/")[0]
    amount_factor = units.UCUM[amount_code].factor
    admin_cap = min((lim.value for lim in limits if lim.per == "administration"), default=None)
    out: list[Administration] = []
    splits, _ = _compiled(rules.catalog, regimen)
    for split in splits:
        freq = split.freq
        count = freq.count if basis in ("per-day", "per-week") else 1
        per_low, per_high = low / count, high / count
        if admin_cap is not None and per_high > admin_cap + 1e-9:
            findings.append(
                Finding(
                    "info" if per_low <= admin_cap + 1e-9 else "major",
                    "capped-per-administration",
                    message=f"{freq.text}: {{high}} each time exceeds the cap of {{cap}} per "
                    "administration; the amount each time is capped",
                    management="Do not exceed the cap per administration; "
                    "consider a more frequent schedule.",
                    terms=(
                        ("high", per_high / amount_factor, amount_code),
                        ("cap", admin_cap / amount_factor, amount_code),
                    ),
                )
            )
            per_low, per_high = min(per_low, admin_cap), admin_cap
        per_low, per_high, own = _product_cap(
            split, basis, count, per_low, per_high, amount_code, findings
        )
        practical: Practical | None = None
        if split.step is not None:
            ceiling = period_cap / count if period_cap is not None else None
            if admin_cap is not None:
                ceiling = admin_cap if ceiling is None else min(ceiling, admin_cap)
            if own is not None:
                ceiling = own if ceiling is None else min(ceiling, own)
            practical = practical_amounts(
                per_low,
                per_high,
                split.step,
                split.smallest,
                ceiling,
                rules.tolerance,
                rules.allow_up,
            )
            per = (per_low, per_high)
            steps.append(_rounding_step(split, practical, per, ceiling, rules, amount_code))
            if practical.outcome == "none":
                findings.append(_no_practical(split, practical, per, amount_code))
        elif split.measure == "vials-not-rounded":
            steps.append(
                Step(
                    split.label,
                    f"{freq.text}: {{low}} to {{high}} per administration, measured by volume "
                    "after reconstitution (the tables give no concentration to round to)",
                    (
                        ("low", per_low / amount_factor, amount_code),
                        ("high", per_high / amount_factor, amount_code),
                    ),
                    sources=split.sources,
                )
            )
        out.append(_administration(split, per_low, per_high, amount_code, practical))
    return out


#: The basis of a range -> the ``per`` of a product cap that bounds each administration once
#: divided by the administrations in that period.
_PRODUCT_PER: Final = {"per-day": "day", "per-week": "week"}


def _product_cap(
    split: _Split,
    basis: str,
    count: int,
    per_low: float,
    per_high: float,
    code: str,
    findings: list[Finding],
) -> tuple[float, float, float | None]:
    """The amounts each time bounded by the product label's own maxima (a per-administration
    cap, or a per-day (per-week) cap over the administrations of a day (week)): the exact
    amounts shown and the ceiling of the practical ones. A bounded amount is a finding: info,
    or moderate when even the low end is above it (this product cannot give the range within
    its label; another product of the regimen may)."""
    ceilings = [
        lim.value / (count if lim.per != "administration" else 1)
        for lim in split.caps
        if lim.per == "administration" or lim.per == _PRODUCT_PER.get(basis)
    ]
    if not ceilings:
        return per_low, per_high, None
    own = min(ceilings)
    if per_high > own + 1e-9:
        best = min(split.caps, key=lambda lim: lim.value)
        factor = units.UCUM[code].factor
        findings.append(
            Finding(
                "info" if per_low <= own + 1e-9 else "moderate",
                "capped-by-product-label",
                message=f"{split.freq.text} with {split.form}: {{high}} each time exceeds "
                f"what its label allows, {{cap}} each time; the amount each time is capped"
                + (f" ({best.note})" if best.note else ""),
                management="Do not exceed the product's label maximum; another product or "
                "schedule of the regimen may give the range.",
                sources=tuple(s for lim in split.caps for s in lim.sources),
                terms=(("high", per_high / factor, code), ("cap", own / factor, code)),
            )
        )
        per_low, per_high = min(per_low, own), own
    return per_low, per_high, own


def _administration(
    split: _Split, per_low: float, per_high: float, code: str, practical: Practical | None
) -> Administration:
    f = units.UCUM[code].factor
    r_low = r_high = v_low = v_high = None
    u_low: tuple[tuple[int, float], ...] = ()
    u_high: tuple[tuple[int, float], ...] = ()
    if practical is not None and practical.low is not None and practical.high is not None:
        r_low, r_high = practical.low / f, practical.high / f
        if split.concentration is not None:
            v_low = practical.low / split.concentration
            v_high = practical.high / split.concentration
        if split.measure == "strengths" and split.strengths:
            u_low = tuple((n, s / f) for n, s in fewest_units(practical.low, split.strengths))
            u_high = tuple((n, s / f) for n, s in fewest_units(practical.high, split.strengths))
    return Administration(
        split.freq.id,
        split.freq.text,
        split.form,
        per_low / f,
        per_high / f,
        code,
        r_low,
        r_high,
        None if split.step is None else split.step / f,
        v_low,
        v_high,
        u_low,
        u_high,
        split.concentration,
    )


def _course_days(regimen: Regimen, low: float, high: float, out_code: str) -> list[Administration]:
    course = regimen.course
    if course is None or course.min_days is None:
        return []
    factor = units.UCUM[out_code].factor
    days = sorted({course.min_days, course.max_days or course.min_days})
    return [
        Administration(
            "once-daily",
            f"once daily for {n} consecutive days",
            "",
            low / n / factor,
            high / n / factor,
            out_code,
            None,
            None,
            None,
        )
        for n in days
    ]
