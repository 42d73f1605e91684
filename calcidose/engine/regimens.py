"""What every regimen chooser shares (the dose plan's ``select_regimen``, the order check's
choice, the options list): whether a regimen's population fits an age, whether regimens differ
by population, and whether a frequency fits a regimen's schedule."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .. import units
from ..catalog.model import Regimen
from ..frequency import Frequency, by_id
from ..vocab import DAYS_PER_YEAR


def restricted(regimen: Regimen) -> bool:
    """True when the regimen's population has an age bound."""
    return regimen.population.min_age is not None or regimen.population.max_age is not None


def age_fit(regimen: Regimen, age_years: float | None) -> bool | None:
    """Whether a patient of ``age_years`` is in the regimen's population (from its lower age
    bound, below its upper one): True, False, or None when the age is not given and the
    population has an age bound."""
    pop = regimen.population
    if pop.min_age is None and pop.max_age is None:
        return True
    if age_years is None:
        return None
    days = age_years * DAYS_PER_YEAR
    if pop.min_age is not None and days < pop.min_age.value * units.UCUM[pop.min_age.unit].factor:
        return False
    return not (
        pop.max_age is not None and days >= pop.max_age.value * units.UCUM[pop.max_age.unit].factor
    )


def populations_differ(regimens: Iterable[Regimen]) -> bool:
    """True when the regimens are for different age bounds (the age decides between them)."""
    return len({(r.population.min_age, r.population.max_age) for r in regimens}) > 1


def population_labels(regimens: Iterable[Regimen]) -> str:
    """``id (population); ...`` for a finding that lists regimens by population."""
    return "; ".join(f"{r.id} ({r.population.label})" for r in regimens)


def same_schedule(a: Frequency, b: Frequency) -> bool:
    """The same number of administrations per period (``q12h`` is ``twice daily``)."""
    return a.count == b.count and math.isclose(a.period_days, b.period_days)


def frequency_fit(regimen: Regimen, freq: Frequency) -> int:
    """2: the frequency is the regimen's (or the same schedule); 1: its basis can take it;
    0: it cannot."""
    listed = [by_id(f) for f in regimen.frequencies]
    if any(same_schedule(freq, f) for f in listed):
        return 2
    if regimen.dose is None:  # not dosable: nothing but its own schedule fits
        return 0
    basis = regimen.dose.basis
    if basis == "per-day":
        return 1 if freq.period_days <= 1.0 else 0
    if basis == "per-week":
        return 1 if math.isclose(freq.period_days, 7.0) or freq.id == "once" else 0
    if freq.id == "once":
        return 1
    return 1 if not listed else 0
