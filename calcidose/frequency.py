"""Frequencies: the words people type, mapped to a count per period, and rendered the ISMP way.

A :class:`Frequency` says how many administrations fall in a period of days (``bid`` is 2 per
1 day, ``three times weekly`` is 3 per 7 days, ``every 4 weeks`` is 1 per 28 days). Daily and
weekly frequencies are never converted into each other silently: the dose engine keeps the
regimen's basis and refuses a frequency whose period does not fit it.

Abbreviations on the ISMP list of error-prone abbreviations (``qd``, ``qod``, ``tiw``, ``qw``,
``biw``) are refused with a message saying what to write instead.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from .errors import FrequencyError

__all__ = ["FREQUENCIES", "Frequency", "by_id", "parse_frequency"]


@attrs.frozen
class Frequency:
    """``count`` administrations every ``period_days`` days; ``text`` is the ISMP rendering."""

    id: str
    count: int
    period_days: float
    text: str
    words: tuple[str, ...]

    @property
    def per_day(self) -> float:
        """Administrations per day (for a daily frequency, an integer).

        A single administration (``once``) has no rate: asking for one is a FrequencyError.
        """
        if self.period_days <= 0:
            raise FrequencyError(f"{self.text} has no per-day rate")
        return self.count / self.period_days

    @property
    def is_daily(self) -> bool:
        """True when the period is one day (or the schedule repeats at least daily)."""
        return 0 < self.period_days <= 1.0


FREQUENCIES: Final[tuple[Frequency, ...]] = (
    Frequency(
        "once-daily",
        1,
        1.0,
        "once daily",
        ("daily", "once daily", "once a day", "every day", "every 24 hours", "q24h"),
    ),
    Frequency(
        "twice-daily",
        2,
        1.0,
        "twice daily",
        ("bid", "b.i.d.", "twice daily", "twice a day", "two times daily"),
    ),
    Frequency(
        "three-times-daily",
        3,
        1.0,
        "three times daily",
        ("tid", "t.i.d.", "three times daily", "three times a day", "3 times daily"),
    ),
    Frequency(
        "four-times-daily",
        4,
        1.0,
        "four times daily",
        ("qid", "q.i.d.", "four times daily", "four times a day", "4 times daily"),
    ),
    Frequency("every-12-hours", 2, 1.0, "every 12 hours", ("q12h", "every 12 hours")),
    Frequency("every-8-hours", 3, 1.0, "every 8 hours", ("q8h", "every 8 hours")),
    Frequency("every-6-hours", 4, 1.0, "every 6 hours", ("q6h", "every 6 hours")),
    Frequency("every-other-day", 1, 2.0, "every other day", ("every other day", "every 48 hours")),
    Frequency(
        "three-times-weekly",
        3,
        7.0,
        "three times weekly",
        ("three times weekly", "three times a week", "3 times weekly", "3 times a week"),
    ),
    Frequency(
        "twice-weekly",
        2,
        7.0,
        "twice weekly",
        ("twice weekly", "twice a week", "2 times weekly", "2 times a week", "two times weekly"),
    ),
    Frequency(
        "once-weekly", 1, 7.0, "once weekly", ("weekly", "once weekly", "once a week", "every week")
    ),
    # rituximab 1000 mg "on days 1 and 15": two infusions 14 days apart, the every-2-weeks
    # schedule (how many infusions a course has is the regimen's course, not the frequency)
    Frequency(
        "every-2-weeks",
        1,
        14.0,
        "every 2 weeks",
        (
            "every 2 weeks",
            "every two weeks",
            "on days 1 and 15",
            "days 1 and 15",
            "day 1 and day 15",
            "on day 1 and day 15",
        ),
    ),
    Frequency("every-4-weeks", 1, 28.0, "every 4 weeks", ("every 4 weeks", "every four weeks")),
    # infliximab (US label): infusions at weeks 0, 2 and 6, then every 8 weeks
    Frequency("every-6-weeks", 1, 42.0, "every 6 weeks", ("every 6 weeks", "every six weeks")),
    Frequency("every-8-weeks", 1, 56.0, "every 8 weeks", ("every 8 weeks", "every eight weeks")),
    Frequency(
        "once-monthly",
        1,
        365.25 / 12,
        "once monthly",
        ("monthly", "once monthly", "once a month", "every month"),
    ),
    Frequency("once", 1, 0.0, "once (single administration)", ("once", "single dose", "stat")),
)

_BY_ID: Final[dict[str, Frequency]] = {f.id: f for f in FREQUENCIES}
_BY_WORDS: Final[dict[str, Frequency]] = {w: f for f in FREQUENCIES for w in (f.id, *f.words)}

#: ISMP error-prone abbreviations, refused with what to write instead.
_ISMP_REFUSED: Final[dict[str, str]] = {
    "qd": "write 'daily' (qd is mistaken for qid)",
    "q.d.": "write 'daily' (q.d. is mistaken for q.i.d.)",
    "od": "write 'daily' (OD is read as 'right eye')",
    "qod": "write 'every other day' (qod is mistaken for qd or qid)",
    "q.o.d.": "write 'every other day'",
    "tiw": "write 'three times weekly' (TIW is read as three times a day or twice weekly)",
    "biw": "write 'twice weekly' (BIW is read as twice daily)",
    "qw": "write 'once weekly'",
    "qwk": "write 'once weekly'",
    "hs": "write 'at bedtime' with a frequency",
}


def by_id(frequency_id: str) -> Frequency:
    """The frequency with this id (as the tables name it)."""
    try:
        return _BY_ID[frequency_id]
    except KeyError:
        raise FrequencyError(
            f"unknown frequency id {frequency_id!r}; known ids: {', '.join(_BY_ID)}"
        ) from None


def parse_frequency(text: str) -> Frequency:
    """Read a frequency as people write it (``tid``, ``three times daily``, ``q8h``, ``weekly``).

    Matching is exact after lower-casing and collapsing spaces; nothing fuzzier. ISMP
    error-prone abbreviations are refused with the wording to use instead.
    """
    if not isinstance(text, str):
        raise FrequencyError(f"frequency must be text, not {type(text).__name__}")
    key = re.sub(r"\s+", " ", text.strip().lower())
    found = _BY_WORDS.get(key)
    if found is not None:
        return found
    if key in _ISMP_REFUSED:
        raise FrequencyError(
            f"frequency {text!r} is an ISMP error-prone abbreviation: {_ISMP_REFUSED[key]}"
        )
    accepted = sorted({w for f in FREQUENCIES for w in f.words})
    raise FrequencyError(f"frequency {text!r} is not recognised; accepted: {', '.join(accepted)}")
