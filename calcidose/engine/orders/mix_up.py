"""A probable unit mix-up: the order about 1,000 times (or 1/1,000 of) the expected range."""

from __future__ import annotations

from typing import Final

from ... import units
from ...results import (
    Finding,
)
from .compare import _Comparison

#: A probable unit mix-up: the order, read 1,000 times smaller or larger, falls inside the
#: expected range widened by this fraction on each side (calcidose product decision).
_MIX_UP_SLACK: Final = 0.1


def _unit_mix_up(
    comparison: _Comparison,
    per_admin: tuple[float, str] | None,
    per_day: tuple[float, str] | None,
    per_week: tuple[float, str] | None,
    written: tuple[float, str],
) -> Finding | None:
    """A major finding when the order is about 1,000 times (g for mg, mg for mcg) or 1/1,000
    of (mcg for mg, mg for g) the expected range for this patient; None otherwise."""
    low, high, unit = comparison.expected_low, comparison.expected_high, comparison.expected_unit
    basis = comparison.expected_basis
    pair = {"per-day": per_day, "per-week": per_week, "per-course": comparison.per_course}.get(
        basis or "", per_admin
    )
    if low is None or high is None or unit is None or pair is None or high <= 0:
        return None
    if units.UCUM[pair[1]].dimension != units.UCUM[unit].dimension:
        return None
    ordered = pair[0] * units.UCUM[pair[1]].factor / units.UCUM[unit].factor
    lo, hi = low * (1 - _MIX_UP_SLACK), high * (1 + _MIX_UP_SLACK)
    if lo <= ordered / 1000 <= hi:
        how, slip = "1,000 times", "g written for mg, or mg for mcg"
    elif lo <= ordered * 1000 <= hi:
        how, slip = "one thousandth of", "mcg written for mg, or mg for g"
    else:
        return None
    return Finding(
        "major",
        "probable-unit-mix-up",
        message=f"the order ({{written}}, {{ordered}}) is {how} the expected {{low}} to {{high}}: "
        "a probable "
        f"unit mix-up ({slip})",
        management="Confirm the amount and its unit with the prescriber before dispensing.",
        terms=(
            ("written", written[0] / units.UCUM[written[1]].factor, written[1]),
            ("ordered", ordered, unit),
            ("low", low, unit),
            ("high", high, unit),
        ),
    )
