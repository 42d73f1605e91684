"""The order against the expected range and every maximum (:class:`_Comparison`)."""

from __future__ import annotations

import math
from typing import Any

from ... import units
from ...catalog.model import Catalog, Drug, Regimen
from ...frequency import by_id
from ...results import DosePlan, Finding, Step, amount_text
from ..dosing import cap_limits, product_limits
from ..limits import Limit
from .course import _course_days_finding, _daily_share, _whole_course
from .maxima import _maximum
from .parse import _EPS, _Order, _out
from .result import Maximum
from .schedule import _daily_schedule, _not_daily, _rate_findings, _weekly_ordered_daily


def _displayed(value: float, code: str) -> float:
    """A bound as the pharmacist sees it (ISMP rounding), for a fair comparison."""
    return float(units.format_number(value).replace(",", "")) * units.UCUM[code].factor


class _Comparison:
    """The order against the expected range and every maximum."""

    def __init__(
        self,
        catalog: Catalog,
        order: _Order,
        regimen: Regimen | None,
        plan: DosePlan | None,
        code: str,
        drug: Drug | None = None,
        weight_kg: float | None = None,
    ):
        self.catalog = catalog
        self.drug = drug
        self.weight_kg = weight_kg
        self.order = order
        self.regimen = regimen
        self.plan = plan
        self.code = code
        self.maxima: list[Maximum] = []
        self.expected_basis: str | None = None
        self.expected_low: float | None = None
        self.expected_high: float | None = None
        self.expected_unit: str | None = None
        self.per_course: tuple[float, str] | None = None
        self.range_result: str | None = None  # above | below | within | None (not compared)

    # the order in the basis of a maximum (canonical), or None
    def _ordered_for(self, per: str, unit: str) -> float | None:
        o = self.order
        if per in ("administration", "session"):
            if units.UCUM[unit].dimension == "volume":
                return o.amount if o.kind == "volume" else None
            return o.converted_mg
        if per == "day":
            return o.dosing_day()
        if per == "week":
            return o.busiest_week()
        if per == "course":
            total = self._course_total()
            return total if total is not None else self._least_course()
        return None

    def _least_course(self) -> float | None:
        """A daily order of a course regimen: the least course it can make, the daily amount
        over the fewest days of the course (a course maximum below that is exceeded anyway)."""
        r, o = self.regimen, self.order
        day = o.dosing_day() if o.daily else None
        if r is None or r.course is None or r.course.min_days is None or day is None:
            return None
        return day * r.course.min_days

    def _course_total(self) -> float | None:
        r = self.regimen
        o = self.order
        if r is None or o.converted_mg is None or r.course is None:
            return None
        if r.course.administrations is not None:
            return o.converted_mg * r.course.administrations
        if r.dose is not None and r.dose.basis == "per-course" and not o.daily:
            return o.converted_mg
        return None

    def run(self, rule_limits: list[Any], steps: list[Step], findings: list[Finding]) -> None:
        r = self.regimen
        if r is None:
            return
        # the regimen's caps and the drug's (which bound every regimen), per-kg ones scaled by
        # the weight (without it they are a missing-weight finding of the plan)
        limits: list[Limit] = cap_limits(self.catalog, self.drug, r, self.weight_kg)[0]
        # the label maxima of the products given at the ordered frequency (issue 10)
        limits.extend(product_limits(r, self.order.freq.id))
        limits.extend(rule_limits)
        total = self._course_total()
        if total is not None:
            self.per_course = _out(total, self.code)
        for lim in limits:
            m, step, exceeded = _maximum(lim, self._ordered_for(lim.per, lim.unit))
            self.maxima.append(m)
            steps.append(step)
            if exceeded is not None:
                findings.append(exceeded)
        self._range(steps, findings)

    def _range(self, steps: list[Step], findings: list[Finding]) -> None:
        r, plan, o = self.regimen, self.plan, self.order
        assert r is not None
        if plan is None or plan.dose is None:  # dose() gives a range only if r.dose has one
            return
        dose = plan.dose
        basis = dose.basis
        factor = units.UCUM[dose.unit].factor
        low, high = dose.low * factor, dose.high * factor
        unit = dose.unit
        listed = [by_id(f) for f in r.frequencies]
        more = less = False
        ordered: float | None
        if basis == "per-day":
            ordered = o.dosing_day()  # the most on any one day (a daily order: its per-day total)
            less = not (o.daily or o.once)
            if less:
                findings.append(_not_daily(r, o.freq))
        elif basis == "per-week":
            ordered = o.week_average()
            if o.daily:
                findings.append(_weekly_ordered_daily(r, plan.drug_name, o.freq))
                more = True
        elif basis == "per-course":
            more, less = _rate_findings(o, r, listed, findings)
            window = self._course(r, low, high, unit, steps, findings, more, less)
            if window is None:
                return
            ordered, low, high, unit = window
            basis = "per-day"
        else:  # per-administration, per-session
            ordered = (
                o.converted_mg
                if units.UCUM[unit].dimension == "amount"
                else (o.amount if o.kind == "volume" else None)
            )
        if basis in ("per-week", "per-administration", "per-session") and not more:
            more, less = _rate_findings(o, r, listed, findings)
        schedule = _daily_schedule(o, r, dose.basis, listed)
        if schedule is not None:
            findings.append(schedule)
        if ordered is None:
            return
        self._compare_plain(ordered, low, high, unit, basis, steps, findings, r, more, less)

    def _course(
        self,
        r: Regimen,
        low: float,
        high: float,
        unit: str,
        steps: list[Step],
        findings: list[Finding],
        more: bool,
        less: bool,
    ) -> tuple[float, float, float, str] | None:
        """A per-course regimen: a per-course order is compared with the course range (None);
        a daily (or single-day) order gives the daily share of the course to compare with."""
        mg = self.order.converted_mg
        if mg is None:
            return None
        if _whole_course(self.order, r):
            self.per_course = _out(mg, self.code)
            days = _course_days_finding(mg, r, unit)
            if days is not None:
                findings.append(days)
            self._compare_plain(mg, low, high, unit, "per-course", steps, findings, r, more, less)
            return None
        per_course, window = _daily_share(
            self.order, r, unit, low, high, self.code, steps, findings
        )
        if per_course is not None:
            self.per_course = per_course
        return window

    def _compare_plain(
        self,
        ordered: float,
        low: float,
        high: float,
        unit: str,
        basis: str,
        steps: list[Step],
        findings: list[Finding],
        r: Regimen,
        more: bool = False,
        less: bool = False,
    ) -> None:
        """Compare a canonical amount with a canonical range (bounds as displayed, ISMP);
        an order given more (less) often than the regimen is never within range."""
        factor = units.UCUM[unit].factor
        self.expected_basis, self.expected_unit = basis, unit
        self.expected_low, self.expected_high = low / factor, high / factor
        shown_low, shown_high = _displayed(low / factor, unit), _displayed(high / factor, unit)
        if ordered > shown_high * (1 + _EPS) + _EPS:
            result = "above"
        elif ordered < shown_low * (1 - _EPS) - _EPS:
            result = "below"
        else:
            result = "within"
        # equal ends are one value ("2 g/day", never "2 g/day to 2 g/day"), as in every view
        same = amount_text(low / factor, unit) == amount_text(high / factor, unit)
        span = "{high}" if same else "{low} to {high}"
        steps.append(
            Step(
                f"compare ({basis})",
                f"ordered {{ordered}}: {result} the range {span}",
                (
                    ("ordered", ordered / factor, unit),
                    ("low", low / factor, unit),
                    ("high", high / factor, unit),
                ),
                sources=r.dose.sources if r.dose is not None else (),
            )
        )
        if result != "within":
            origin = "drug label" if r.range_origin == "label" else "calcinosis reports"
            findings.append(
                Finding(
                    "moderate",
                    f"order-{result}-range",
                    f"the order gives {amount_text(ordered / factor, unit)}, {result} "
                    f"the range for this patient ({_range_text(low / factor, high / factor, unit)}"
                    f", from the {origin})",
                    "Check the intended dose with the prescriber.",
                    r.dose.sources if r.dose is not None else (),
                )
            )
        elif more:
            result = "above"
        elif less:
            result = "below"
        self.range_result = result


def _range_text(low: float, high: float, unit: str) -> str:
    if math.isclose(low, high):
        return amount_text(low, unit)
    return f"{amount_text(low, unit)} to {amount_text(high, unit)}"
