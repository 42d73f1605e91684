"""An order of a per-course regimen: compared with the course range itself (a per-course order),
or a daily order with the daily share of the course over its days."""

from __future__ import annotations

from ... import units
from ...catalog.model import Regimen
from ...frequency import by_id
from ...results import Finding, Step
from ..regimens import same_schedule
from .parse import _Order, _out, _per_day_code


def _course_days(r: Regimen) -> tuple[int | None, int | None]:
    """The fewest and most days of the regimen's course (None when not given)."""
    course = r.course
    days_min = course.min_days if course is not None else None
    days_max = (course.max_days or days_min) if course is not None else None
    return days_min, days_max


def _whole_course(o: _Order, r: Regimen) -> bool:
    """True when the order is compared with the course range itself: an order at one of the
    regimen's frequencies (a per-course order), or a course whose days are not known."""
    days_min, days_max = _course_days(r)
    listed = [by_id(f) for f in r.frequencies]
    per_course_order = any(same_schedule(o.freq, f) for f in listed)
    return per_course_order or days_min is None or days_max is None


def _course_days_finding(mg: float, r: Regimen, unit: str) -> Finding | None:
    """How a course total is given over the course's days (None when they are not known)."""
    days_min, days_max = _course_days(r)
    if days_min is None or days_max is None:
        return None
    factor = units.UCUM[unit].factor
    if days_min != days_max:
        return Finding(
            "info",
            "course-days",
            f"the course is given over {days_min} to {days_max} consecutive days: "
            f"{units.format_amount(mg / days_max / factor, unit)} to "
            f"{units.format_amount(mg / days_min / factor, unit)} per day",
            "Write the daily amount and the number of days on the order.",
            r.sources,
        )
    return Finding(
        "info",
        "course-days",
        f"the course is given over {days_min} consecutive days: "
        f"{units.format_amount(mg / days_min / factor, unit)} per day",
        "Write the daily amount and the number of days on the order.",
        r.sources,
    )


def _daily_share(
    o: _Order,
    r: Regimen,
    unit: str,
    low: float,
    high: float,
    code: str,
    steps: list[Step],
    findings: list[Finding],
) -> tuple[tuple[float, str] | None, tuple[float, float, float, str]]:
    """A daily (or single-day) order of a course regimen whose days are known (not
    :func:`_whole_course`): (the course it makes, or None when no number of the course's days
    makes the course range; (ordered per day, daily low, daily high, per-day unit)), all
    canonical; the course total in ``code``."""
    days_min, days_max = _course_days(r)
    assert days_min is not None and days_max is not None
    factor = units.UCUM[unit].factor
    per_day = o.dosing_day()
    assert per_day is not None
    day_unit = _per_day_code(unit)
    day_factor = units.UCUM[day_unit].factor
    day_low, day_high = low / days_max, high / days_min
    steps.append(
        Step(
            "daily share of the course",
            f"{{low}} / {days_max} days to {{high}} / {days_min} days = "
            "{day_low} to {day_high}",
            (
                ("low", low / factor, unit),
                ("high", high / factor, unit),
                ("day_low", day_low / day_factor, day_unit),
                ("day_high", day_high / day_factor, day_unit),
            ),
            sources=r.dose.sources if r.dose is not None else (),
        )
    )
    fitting = [
        n
        for n in range(days_min, days_max + 1)
        if low * (1 - 1e-6) <= per_day * n <= high * (1 + 1e-6)
    ]
    per_course = None
    if fitting:
        n = fitting[0]
        per_course = _out(per_day * n, code)
        findings.append(
            Finding(
                "info",
                "course-days",
                f"{units.format_amount(per_day / day_factor, day_unit)} for {n} days gives "
                f"the course of {units.format_amount(per_day * n / factor, unit)}"
                + (
                    f" (also {', '.join(str(k) for k in fitting[1:])} days)"
                    if len(fitting) > 1
                    else ""
                )
                + "; stop after the course",
                "Write the number of days on the order.",
                r.sources,
            )
        )
    return per_course, (per_day, day_low, day_high, day_unit)
