"""Practical amounts: the exact amount per administration -> amounts a product can give.

The policy (docs/rounding.md; the tolerance is declared in ``tables/meta.toml``):

* a **range** is rounded *inward*: its low end up and its high end down to multiples of the
  product's step, so every practical amount lies inside the exact range;
* a **single value** (a range whose ends are equal) goes to the nearest practical amount
  within the declared tolerance (10% by default, the threshold of the Hematology/Oncology
  Pharmacy Association position statement, Fahrenbruch R et al., J Oncol Pract
  2018;14(3):e130-e136, doi:10.1200/JOP.2017.025411); a tie goes up, as ISMP half-up
  rounding does, unless up is not allowed;
* never past a ceiling (a cap per administration, or a period cap divided by the count);
* never up for a narrow-therapeutic-index drug (``allow_up=False``): only down, within the
  tolerance;
* when no practical amount fits, the result says so (``low``/``high`` are None and
  ``reason`` says why); the caller turns that into a finding.

All amounts are canonical floats (mg or mL). Multiples of the step are computed in Decimal on
the amounts' decimal values, so 3 x 0.1 is 0.3, not 0.30000000000000004.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

import attrs

__all__ = ["Practical", "practical_amounts", "round_to_step"]

#: Relative slack for float noise when comparing amounts (1e-9 of the amount, at least 1e-9).
_EPS: Final = 1e-9

Outcome = Literal["inward", "nearest", "none"]


@attrs.frozen(slots=True)
class Practical:
    """What rounding gave: practical ``low``/``high`` (canonical), or None with a reason.

    ``outcome`` is ``inward`` (a range rounded inward), ``nearest`` (a single value to the
    nearest practical amount within the tolerance) or ``none`` (no practical amount fits).
    ``below``/``above`` are the nearest practical amounts under and over a single value
    that did not fit (for the message), when they exist.
    """

    low: float | None
    high: float | None
    outcome: Outcome
    reason: str = ""
    below: float | None = None
    above: float | None = None


def _slack(amount: float) -> float:
    return _EPS * max(1.0, abs(amount))


def _multiple(n: int, step: float) -> float:
    return float(Decimal(n) * Decimal(repr(step)))


def _count_up(amount: float, step: float) -> int:
    """The fewest steps reaching at least ``amount`` (float noise tolerated)."""
    return math.ceil(amount / step - _slack(amount / step))


def _count_down(amount: float, step: float) -> int:
    """The most steps not exceeding ``amount`` (float noise tolerated)."""
    return math.floor(amount / step + _slack(amount / step))


def round_to_step(
    amount: float, step: float, smallest: float, ceiling: float | None
) -> float | None:
    """Nearest multiple of ``step`` (half up), not below ``smallest``, never above ``ceiling``.

    Half up is decided in Decimal on the amounts' decimal values; away from a tie the nearest
    multiple is unambiguous and plain float gives the same answer, so Decimal is used only near
    a tie. "Near" is relative to the ratio (1e-9 of it, and at least 1e-9): the float quotient
    carries a relative error of a few 1e-16, which from a ratio of about 2**23 on exceeds a
    fixed 1e-9 (8389.5855 mg in 0.001 mg steps is the tie 8389585.5, not 8389585.499999998).
    """
    ratio = amount / step
    fraction = ratio - math.floor(ratio)
    if abs(fraction - 0.5) > 1e-9 * max(1.0, ratio):
        rounded = round(math.floor(ratio + 0.5) * step, 9)
    else:
        step_d = Decimal(repr(step))
        n = (Decimal(repr(amount)) / step_d).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        rounded = float(n * step_d)
    if ceiling is not None:
        while rounded > ceiling + 1e-9:
            rounded = float(Decimal(repr(rounded)) - Decimal(repr(step)))
    if rounded < smallest - 1e-9:
        return None
    return rounded


def _inward(
    low: float, high: float, step: float, smallest: float, ceiling: float | None
) -> Practical:
    top = high if ceiling is None else min(high, ceiling)
    r_low = _multiple(_count_up(max(low, smallest), step), step)
    r_high = _multiple(_count_down(top, step), step)
    if r_low > r_high + _slack(r_high):
        below = _multiple(_count_down(low, step), step)
        above = _multiple(_count_up(high, step), step)
        return Practical(
            None,
            None,
            "none",
            "none lies inside the range",
            below if below >= smallest - _slack(smallest) and below > 0 else None,
            above if ceiling is None or above <= ceiling + _slack(ceiling) else None,
        )
    return Practical(r_low, r_high, "inward")


def _nearest(
    amount: float,
    step: float,
    smallest: float,
    ceiling: float | None,
    tolerance: float,
    allow_up: bool,
) -> Practical:
    down = _multiple(_count_down(amount, step), step)
    up = _multiple(_count_up(amount, step), step)
    slack = _slack(amount)
    fits: list[float] = []
    for candidate in dict.fromkeys((down, up)):
        if candidate < smallest - slack or candidate <= 0:
            continue
        if ceiling is not None and candidate > ceiling + slack:
            continue
        if candidate > amount + slack and not allow_up:
            continue
        if abs(candidate - amount) > tolerance * amount + slack:
            continue
        fits.append(candidate)
    if fits:
        # nearest; on a tie the larger (half up), as ISMP rounding of a written number
        exact = Decimal(repr(amount))
        best = min(fits, key=lambda c: (abs(Decimal(repr(c)) - exact), -c))
        return Practical(best, best, "nearest")
    below = down if down >= smallest - slack and down > 0 else None
    above = up if ceiling is None or up <= ceiling + slack else None
    reasons = [f"none within {tolerance:.0%} of it"]
    if not allow_up:
        reasons.append("never rounded up (narrow therapeutic index)")
    if ceiling is not None and up > ceiling + slack:
        reasons.append("never past the cap")
    return Practical(None, None, "none", "; ".join(reasons), below, above if allow_up else None)


def practical_amounts(
    low: float,
    high: float,
    step: float,
    smallest: float,
    ceiling: float | None,
    tolerance: float,
    allow_up: bool = True,
) -> Practical:
    """Practical amounts for the exact ``low``-``high`` per administration (canonical units).

    ``step`` is the amount every practical amount is a multiple of (the strengths' common
    divisor, or a measurable volume's amount), ``smallest`` the least amount a product gives,
    ``ceiling`` the most allowed per administration (or None), ``tolerance`` the fraction a
    single value may move (0.1 = 10%), ``allow_up`` False for a narrow-therapeutic-index drug.
    """
    if high - low <= _slack(high):
        return _nearest(high, step, smallest, ceiling, tolerance, allow_up)
    return _inward(low, high, step, smallest, ceiling)
