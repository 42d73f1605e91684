"""The verdicts of an order check: their precedence, their scale as the amount grows, and the
exit code and least status each implies."""

from __future__ import annotations

from typing import Final, Literal

from ...results import (
    STATUSES,
    Finding,
    Status,
    exit_code,
    status_of,
)

Verdict = Literal[
    "contraindicated",
    "cannot-check",
    "exceeds-maximum",
    "above-range",
    "below-range",
    "within-range",
]
#: Every verdict, in precedence order.
VERDICTS: Final = (
    "contraindicated",
    "cannot-check",
    "exceeds-maximum",
    "above-range",
    "below-range",
    "within-range",
)

#: The verdicts an amount can earn, from best to worst as the ordered amount grows. Verdicts
#: are monotone (issue 10 section 3): for the same drug, patient, frequency and route (and
#: regimen, when named) a larger amount never has a lower rank. ``cannot-check`` is not on the
#: scale (it says the amount could not be judged).
AMOUNT_ORDER: Final = (
    "below-range",
    "within-range",
    "above-range",
    "exceeds-maximum",
    "contraindicated",
)


def amount_rank(verdict: str) -> int | None:
    """The verdict's place in :data:`AMOUNT_ORDER` (None for ``cannot-check``)."""
    return AMOUNT_ORDER.index(verdict) if verdict in AMOUNT_ORDER else None


#: The exit code a range verdict alone asks for (the overall exit also reads the status).
VERDICT_EXIT: Final[dict[str, int]] = {
    "within-range": 0,
    "below-range": 1,
    "above-range": 1,
    "exceeds-maximum": 1,
    "contraindicated": 1,
    "cannot-check": 3,
}
#: The least overall status a verdict implies (above a label maximum is at least ``major``).
VERDICT_STATUS: Final[dict[str, Status]] = {
    "contraindicated": "contraindicated",
    "exceeds-maximum": "major",
    "cannot-check": "cannot-check",
    "above-range": "ok",
    "below-range": "ok",
    "within-range": "ok",
}


def order_status(verdict: str, findings: tuple[Finding, ...] | list[Finding]) -> Status:
    """The overall status of an order: the worst of its findings' statuses and of the status
    its verdict implies (:data:`calcidose.results.STATUSES` order)."""
    found = status_of(tuple(findings))
    floor = VERDICT_STATUS[verdict]
    return found if STATUSES.index(found) <= STATUSES.index(floor) else floor


def order_exit_code(status: str, verdict: str) -> int:
    """1 when the status (contraindicated, major) or the range verdict (out of range, above a
    maximum) says not to give as written; else 3 when either is not verified; else 0."""
    codes = {exit_code(status), VERDICT_EXIT[verdict]}
    return 1 if 1 in codes else (3 if 3 in codes else 0)
