"""What a practical amount is dispensed as: whole tablets or capsules of the product's strengths.

:func:`fewest_units` writes an amount as the fewest whole units of the strengths a product is
marketed in (``240 mg`` of 120/180/240 mg capsules is one 240 mg capsule; ``150 mg`` of 30/60/
90/120 mg tablets is 1 x 90 mg + 1 x 60 mg). Exact arithmetic on a grid of 0.001 of the unit,
so 0.5 mg and 0.6 mg tablets are counted without float error. When no whole number of units
makes the amount, the answer is empty and nothing is claimed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

__all__ = ["fewest_units", "units_text"]

_GRID: Final = 1000  # thousandths of the unit
_MAX_UNITS: Final = 50  # beyond this many tablets an amount is not a dispensing answer


def fewest_units(amount: float, strengths: Sequence[float]) -> tuple[tuple[int, float], ...]:
    """``((count, strength), ...)``, largest strength first: the fewest whole units of
    ``strengths`` adding up to ``amount`` exactly (ties: more of the larger strengths), or
    ``()`` when no combination of at most 50 units makes it."""
    target = round(amount * _GRID)
    sizes = sorted({n for n in (round(s * _GRID) for s in strengths) if n > 0}, reverse=True)
    if target <= 0 or not sizes or abs(target - amount * _GRID) > 1e-6 * max(1.0, target):
        return ()
    g = math.gcd(*sizes)
    if target % g:
        return ()
    steps, units = target // g, [s // g for s in sizes]
    if steps > _MAX_UNITS * units[0] * 4:
        return ()
    inf = _MAX_UNITS + 1
    best = [0] + [inf] * steps
    pick = [0] * (steps + 1)
    for total in range(1, steps + 1):
        for u in units:  # larger first: on a tie the larger strength is kept
            if u <= total and best[total - u] + 1 < best[total]:
                best[total], pick[total] = best[total - u] + 1, u
    if best[steps] > _MAX_UNITS:
        return ()
    counts: dict[int, int] = {}
    left = steps
    while left:
        counts[pick[left]] = counts.get(pick[left], 0) + 1
        left -= pick[left]
    return tuple((counts[u], u * g / _GRID) for u in units if u in counts)


def units_text(units: tuple[tuple[int, float], ...], write: object) -> str:
    """``1 x 300 mg + 1 x 120 mg``: ``write`` turns one strength into text."""
    assert callable(write)
    return " + ".join(f"{n} x {write(s)}" for n, s in units)
