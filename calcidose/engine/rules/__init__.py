"""Safety rules as data, evaluated against the patient (and an order) with three-valued logic.

A rule's ``when`` predicate (tables/README.md) is evaluated to True, False or None (unknown).

* **True**: the rule fires and its finding is reported with its severity, its message and what
  to do. An interaction names the patient's medications that triggered it. A dose-adjustment
  rule also imposes its limits: one per source, the strictest applies, and when the sources
  disagree the conflict is reported with both (a ``source-conflict`` finding and a trace step).
  A separation rule says the interval and what to separate the drug from.
* **Unknown**: a ``cannot-check`` finding names the missing inputs (e.g. age for minocycline,
  the HBsAg result for rituximab); it never passes silently.
* Unknown medication or condition ids give ``cannot-check`` findings naming them.

Patient-state-conditional severity is data: two rules on the same interaction with different
predicates (colchicine with a strong CYP3A4 or P-gp inhibitor is ``contraindicated`` when renal
or hepatic function is impaired, and a ``major`` dose reduction otherwise); the three-valued
logic makes the contraindication ``cannot-check`` when renal function is unknown while the
reduction still applies.

Renal predicates (``crcl_below``, ``crcl_at_least``, ``egfr_below``, the ``renal = { ... }``
band, and ``condition`` on a renal condition such as ``renal-impairment`` or ``hemodialysis``)
all read one notion of renal function, derived once per patient by
:mod:`calcidose.engine.renal` from every input (CrCl given, Cockcroft-Gault, eGFR, the
conditions); its steps go to the trace.

Order predicates (``order_per_day_at_most``, ``order_per_day_above``) read the written order
(:class:`OrderFacts`); rules that use them are evaluated only when an order is checked, and their
findings are kept apart (:attr:`Outcome.order_findings`).

Speed: each drug's rules are compiled once (predicate trees into closures with thresholds in
canonical units, findings prebuilt or cached) and reused for every patient.

The package, one job a module (each imports only the ones listed after it):

* ``run``: :func:`evaluate`, every rule of a drug against a patient (and an order);
* ``compiled``: each rule compiled once (``_CompiledRule``), kept per drug and regimen on the
  catalog (``_Compiled``);
* ``rule_limits``: the limits a firing rule imposes (``_Limits``), per kg, source conflicts;
* ``predicates``: a ``when`` tree compiled into one predicate (the leaf keys, all/any/not);
* ``leaves``: the leaves (age, weight, renal bands, conditions, medications, order, pregnancy
  and lactation with the childbearing-potential window);
* ``context``: :class:`Context`, :class:`OrderFacts`, how a missing input is named;
* ``view``: what is derived once per patient and catalog (``_View``), kept for the last
  patients (``_Views``).

A new rule kind (a leaf the tables can name) is a closure in ``leaves`` and its builder in
``predicates._LEAVES``.
"""

from __future__ import annotations

# the caches kept on a catalog, reached by the tests (not part of the API)
from .compiled import _Compiled as _Compiled
from .compiled import _compiled as _compiled
from .context import Context, OrderFacts, missing_text
from .leaves import ORDER_LEAVES, reproductive_state
from .predicates import compile_predicate, evaluate_predicate, rule_uses_order
from .run import Outcome, evaluate
from .view import _VIEWS_MAX as _VIEWS_MAX
from .view import _Views as _Views

__all__ = [
    "ORDER_LEAVES",
    "Context",
    "OrderFacts",
    "Outcome",
    "compile_predicate",
    "evaluate",
    "evaluate_predicate",
    "missing_text",
    "reproductive_state",
    "rule_uses_order",
]
