"""Checking a written order: drug, amount, frequency (and route) against the regimen and the rules.

:func:`check` reads the order (an amount with its unit, a frequency as people write it), picks
the regimen that fits its route, frequency and the patient, never by the ordered amount (the
choice is in the trace), asks
the dose engine (:func:`calcidose.engine.dosing.dose`) for the patient's expected range and
findings,
compares the order per administration, per day, per week or per course (in the regimen's own
basis: a weekly regimen is never turned into a daily one) with that range and with every
maximum (label, policy, calcinosis reports, and the limits interaction rules impose), and gives
one verdict:

========================  =============================================================  ====
verdict                   meaning                                                        exit
========================  =============================================================  ====
``contraindicated``       a contraindication applies to this patient                     1
``cannot-check``          an input that could change the verdict is missing, or there    3
                          is no sourced range (not dosable)
``exceeds-maximum``       above a label, policy or interaction maximum                    1
``above-range``           above the calcinosis range for this patient, or more often      1
                          than the regimen
``below-range``           below the calcinosis range, or less often than the regimen      1
``within-range``          within the range and the maxima                                 0
========================  =============================================================  ====

Precedence (first that applies): contraindicated; cannot-check when what is missing could
still make it contraindicated or change the regimen (an unknown contraindication, medication,
condition or age); exceeds-maximum (a maximum that is exceeded whatever the missing data);
above-range for a maximum from the calcinosis reports; cannot-check for anything else missing
that can change the range (not a rule without a dose limit: its unknown makes the status
cannot-check, not the range verdict) or when the regimen is not dosable; then the range
verdict.

The package, one job a module (each imports only the ones listed after it):

* ``run``: :func:`check`, the orchestration (read, choose, dose, compare, decide);
* ``precedence``: the verdict by the precedence above;
* ``mix_up``: a probable unit mix-up (1,000 times or 1/1,000 of the range);
* ``compare``: :class:`_Comparison`, the order against the range and the maxima, with
  ``maxima`` (one maximum), ``course`` (a per-course regimen) and ``schedule`` (an order more or
  less often than its regimen);
* ``products``: what the ordered amount is given as, a volume turned into an amount;
* ``choose``: the regimen for the order (route, age, frequency; never the amount);
* ``parse``: the route, the amount and the order in canonical units (:class:`_Order`);
* ``result``: :class:`OrderCheck`, :class:`Maximum`, :class:`Dispensed`;
* ``verdicts``: the verdicts, their scale, exit codes and least statuses.
"""

from __future__ import annotations

from .parse import ROUTE_WORDS, parse_route
from .result import ORDER_CHECK_SCHEMA, Dispensed, Maximum, OrderCheck
from .run import check
from .verdicts import (
    AMOUNT_ORDER,
    VERDICT_EXIT,
    VERDICT_STATUS,
    VERDICTS,
    Verdict,
    amount_rank,
    order_exit_code,
    order_status,
)

__all__ = [
    "AMOUNT_ORDER",
    "ORDER_CHECK_SCHEMA",
    "ROUTE_WORDS",
    "VERDICTS",
    "VERDICT_EXIT",
    "VERDICT_STATUS",
    "Dispensed",
    "Maximum",
    "OrderCheck",
    "Verdict",
    "amount_rank",
    "check",
    "order_exit_code",
    "order_status",
    "parse_route",
]
