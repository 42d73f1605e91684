"""The pieces every regimen chooser shares (calcidose.engine.regimens): one age fit for the dose
plan, the order check and the options list, and the frequency fit of the order check.

Expected values are worked out by hand beside each case (a year is 365.25 days, UCUM's ``a``).
"""

from __future__ import annotations

import pytest
from strategies import SOURCES, q

from calcidose.catalog.model import DoseRange, Population, Regimen
from calcidose.engine import regimens
from calcidose.frequency import by_id
from calcidose.vocab import DAYS_PER_YEAR


def reg(pop: Population, basis: str = "per-day", freqs: tuple[str, ...] = ()) -> Regimen:
    unit = {"per-day": "mg/d", "per-week": "mg/wk", "per-administration": "mg"}[basis]
    return Regimen(
        "r",
        "r regimen",
        "oral",
        True,
        "IV",
        "calcinosis-reports",
        SOURCES,
        population=pop,
        dose=DoseRange(basis, "fixed", q(1, unit), q(2, unit), SOURCES),  # type: ignore[arg-type]
        frequencies=freqs,
    )


def test_the_year_is_the_julian_year() -> None:
    assert DAYS_PER_YEAR == 365.25  # UCUM: 1 a = 365.25 d


@pytest.mark.parametrize(
    ("pop", "age", "fits"),
    [
        (Population(), None, True),  # no age bound: any patient, age given or not
        (Population("adults", min_age=q(18, "a")), None, None),  # bounded, age unknown
        (Population("adults", min_age=q(18, "a")), 18.0, True),  # from 18 a (6574.5 d) on
        (Population("adults", min_age=q(18, "a")), 17.99, False),  # 6570.8 d < 6574.5 d
        (Population("children", max_age=q(18, "a")), 18.0, False),  # below 18 a only
        (Population("children", max_age=q(18, "a")), 17.99, True),
        # 6 months = 182.625 d; 0.5 years = 182.625 d: at the bound, so in the population
        (Population("infants", min_age=q(6, "mo")), 0.5, True),
        (Population("infants", min_age=q(6, "mo")), 0.49, False),  # 178.97 d < 182.625 d
    ],
)
def test_age_fit(pop: Population, age: float | None, fits: bool | None) -> None:
    assert regimens.age_fit(reg(pop), age) is fits
    assert regimens.restricted(reg(pop)) is (pop.min_age is not None or pop.max_age is not None)


def test_populations_differ_only_by_their_age_bounds() -> None:
    adults = reg(Population("adults", min_age=q(18, "a")))
    grown = reg(Population("grown-ups", min_age=q(18, "a")))  # other label, same bounds
    children = reg(Population("children", max_age=q(18, "a")))
    assert not regimens.populations_differ([adults, grown])
    assert regimens.populations_differ([adults, children])
    assert regimens.population_labels([adults, children]) == "r (adults); r (children)"


@pytest.mark.parametrize(
    ("basis", "freqs", "ordered", "fit"),
    [
        ("per-day", ("twice-daily",), "every-12-hours", 2),  # 2 a day: the same schedule
        ("per-day", ("twice-daily",), "three-times-daily", 1),  # daily: the basis takes it
        ("per-day", ("twice-daily",), "once-weekly", 0),  # a week apart: not a daily dose
        ("per-week", ("once-weekly",), "once", 1),  # a single dose of a weekly regimen
        ("per-week", (), "once-daily", 0),
        ("per-administration", ("once",), "once-daily", 0),  # listed, and not its schedule
        ("per-administration", (), "once-daily", 1),  # nothing listed: any schedule
    ],
)
def test_frequency_fit(basis: str, freqs: tuple[str, ...], ordered: str, fit: int) -> None:
    assert regimens.frequency_fit(reg(Population(), basis, freqs), by_id(ordered)) == fit
