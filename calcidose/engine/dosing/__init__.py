"""The dose engine: a regimen and a patient -> a :class:`~calcidose.results.DosePlan`.

Steps, each recorded in the trace (and, where it changes the answer, as a finding):

1. the regimen: the one asked for, or the dosable regimen whose population (age bounds) fits the
   patient; an unknown age where populations differ gives ``cannot-check`` naming age;
2. the scale: total body weight (kg) or BSA (Mosteller, m2) or none; a missing input gives
   ``cannot-check`` naming it, never a default;
3. the range in the regimen's basis (per day, administration, week, course or session);
4. caps: every cap of the regimen and every limit a firing rule imposes; the strictest applies,
   and a conflict between sources is reported with both;
5. the split into administrations per frequency, and rounding to the strengths of the products
   (Decimal, half up, never past a cap, within one strength step of the exact amount);
6. the rules of :mod:`calcidose.engine.rules` (contraindications, interactions, cautions).

All arithmetic is on canonical floats (kg, m2, mg, mg/d, mg/wk, mL); units are attached only
to the result.

The package, one job a module (each imports only the ones listed after it): ``run`` (:func:`dose`,
the scale and the range) > ``administer`` (the split per frequency and the rounding), ``caps``
(the caps and the strictest), ``choose`` (the regimen) > ``compiled`` (each regimen compiled
once per catalog).
"""

from __future__ import annotations

from ..limits import Limit
from .caps import cap_limits, product_limits
from .choose import require_regimen, select_regimen

# reached by the order check and the tests (the regimens compiled once per catalog)
from .compiled import _compiled as _compiled
from .compiled import _gcd_step as _gcd_step
from .compiled import _Regimens as _Regimens
from .run import dose

__all__ = ["Limit", "cap_limits", "dose", "product_limits", "require_regimen", "select_regimen"]
