"""Reading an order: its route, its amount (with the unit it was written in), and the order
in canonical units with its totals per day and per week (:class:`_Order`)."""

from __future__ import annotations

import math
import re
from typing import Final

from ... import units
from ...catalog.model import ROUTES
from ...errors import OrderError, UnitError
from ...frequency import Frequency
from ...safeio import shown as _shown

#: unambiguous abbreviations. "SC"/"SQ" are refused: ISMP lists them as error-prone.
ROUTE_WORDS: Final[dict[str, str]] = {
    **{r: r for r in ROUTES if r != "none"},
    "iv": "intravenous",
    "po": "oral",
}
_ROUTE_REFUSED: Final = {
    "sc": "write 'subcutaneous' (SC is mistaken for SL, sublingual)",
    "sq": "write 'subcutaneous' (SQ is mistaken for '5 every')",
}

#: cannot-check codes whose missing input cannot make the order contraindicated nor change its
#: regimen: they do not hide ``exceeds-maximum``. Every other cannot-check (an unknown
_AMOUNT_SPELLINGS: Final = {"g": "g", "mg": "mg", "mcg": "ug", "ug": "ug", "mL": "mL", "ml": "mL"}
_PINT_SPELLINGS: Final = {
    "gram": "g",
    "milligram": "mg",
    "microgram": "ug",
    "milliliter": "mL",
}
_EPS: Final = 1e-9

# --- reading the order -------------------------------------------------------------------------


def parse_route(text: str | None) -> str | None:
    """A route word (``oral``, ``intravenous``, ``iv``, ``po``, ...) -> the table's route id."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise OrderError(f"route must be text, not {type(text).__name__}")
    key = text.strip().lower()
    found = ROUTE_WORDS.get(key)
    if found is not None:
        return found
    if key in _ROUTE_REFUSED:
        raise OrderError(
            f"route {text!r} is an ISMP error-prone abbreviation: {_ROUTE_REFUSED[key]}"
        )
    raise OrderError(f"route {text!r} is not recognised; accepted: {', '.join(ROUTE_WORDS)}")


def _given_code(value: object) -> str:
    """The UCUM code of the unit the order was written in (for the output).

    Called only after :func:`calcidose.units.parse` accepted ``value``, so its unit is one of
    the whitelist's; anything else is an error, never a unit guessed for the output.
    """
    if isinstance(value, str):
        match = re.fullmatch(r"\s*[0-9.]+\s*(\S+)\s*", value)
        found = _AMOUNT_SPELLINGS.get(match.group(1)) if match is not None else None
    else:
        found = _PINT_SPELLINGS.get(units.pint_unit_name(value))
    if found is None:
        raise OrderError(f"amount {value!r}: the unit it was written in is not recognised")
    return found


def _parse_amount(value: object) -> tuple[float, str, str]:
    """(canonical magnitude, kind ``amount`` (mg) or ``volume`` (mL), UCUM code as given)."""
    try:
        return units.parse(value, "amount"), "amount", _given_code(value)
    except UnitError:
        pass
    try:
        return units.parse(value, "volume"), "volume", _given_code(value)
    except UnitError:
        raise OrderError(
            f"amount {value!r}: the unit is not accepted; accepted: "
            f"{', '.join(units.ACCEPTED['amount'])} (amounts) or "
            f"{', '.join(units.ACCEPTED['volume'])} (volumes)"
        ) from None


# --- the check ---------------------------------------------------------------------------------


class _Order:
    """The order in canonical units."""

    def __init__(self, amount: float, kind: str, freq: Frequency) -> None:
        self.amount = amount  # mg, or mL for a volume not converted
        self.kind = kind  # amount | volume
        self.freq = freq
        self.converted_mg: float | None = amount if kind == "amount" else None

    @property
    def daily(self) -> bool:
        return 0.0 < self.freq.period_days <= 1.0

    @property
    def once(self) -> bool:
        return self.freq.period_days == 0.0

    def per_day(self) -> float | None:
        """Per day for a daily order (a single administration counts as one day)."""
        if self.converted_mg is None:
            return None
        if self.once:
            return self.converted_mg
        if self.daily:
            return self.converted_mg * self.freq.count / self.freq.period_days
        return None

    def dosing_day(self) -> float | None:
        """The most given on any one day (one administration a day for non-daily schedules)."""
        if self.converted_mg is None:
            return None
        if self.daily:
            return self.converted_mg * self.freq.count / self.freq.period_days
        return self.converted_mg

    def week_average(self) -> float | None:
        if self.converted_mg is None:
            return None
        if self.once:
            return self.converted_mg
        return self.converted_mg * self.freq.count * 7.0 / self.freq.period_days

    def busiest_week(self) -> float | None:
        """The most given in any 7 days (every other day: 4 administrations in some weeks)."""
        if self.converted_mg is None:
            return None
        if self.once:
            return self.converted_mg
        per_week = self.freq.count * 7.0 / self.freq.period_days
        return self.converted_mg * max(1, math.ceil(per_week - _EPS))

    def require_finite(self, given: object) -> None:
        """Refuse an order whose totals overflow a float (1e305 g qid is infinite mg per day):
        an infinite total would be compared, displayed and written as if it were a dose."""
        totals = (
            self.converted_mg,
            self.per_day(),
            self.dosing_day(),
            self.week_average(),
            self.busiest_week(),
        )
        if any(total is not None and not math.isfinite(total) for total in totals):
            raise OrderError(
                f"amount {_shown(given)} {self.freq.text}: the total is too large to be a real "
                "quantity (it overflows); check the amount and its unit"
            )


def _amount_code(code: str) -> str:
    return code if code in ("g", "mg", "ug") else "mg"


def _per_day_code(code: str) -> str:
    return {"g": "g/d", "ug": "ug/d"}.get(code, "mg/d")


def _per_week_code(code: str) -> str:
    return "g/wk" if code == "g" else "mg/wk"


def _out(value: float | None, code: str) -> tuple[float, str] | None:
    return None if value is None else (value / units.UCUM[code].factor, code)
