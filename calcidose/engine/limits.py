"""A dose limit: a maximum in canonical units with where it comes from; and how the finding of
a rule whose clinical content is a dose limit reads once the limit is known to be respected.

The dose engine builds limits from caps (:func:`calcidose.engine.dosing.cap_limits`), the rules
from a firing rule's ``limit``; both the plan and the order check compare against them. Kept
apart so that the rules and the dose engine both import it and neither imports the other's
module to get it.

**Limit rules** (issue 10, a product decision documented in docs/checking.md and
tables/README.md): a rule of kind ``dose-adjustment`` (the validator requires it to carry
``[[rules.adjust]]`` limits) whose severity is ``major`` says one thing, "at most this much".
When the limit is applied and respected (the plan's range and practical amounts are within it,
or the ordered amount is), its finding is :data:`RESPECTED_SEVERITY` (``moderate``, status
``caution``, exit 0) and says the limit applies and was respected; when the order exceeds it,
or the amount cannot be put in the limit's basis, it stays ``major``. A contraindication, an
interaction or warning (even one carrying a limit: colchicine with a strong CYP3A4 inhibitor,
where a source advises avoiding it at any dose) is never downgraded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from ..catalog.model import Drug, Rule
from ..results import ChangedBy, Finding

__all__ = ["RESPECTED_SEVERITY", "Limit", "is_limit_rule", "respected_by", "settle"]

#: The severity of a limit rule's finding once its limit is applied and respected.
RESPECTED_SEVERITY: Final = "moderate"

#: What the respected finding says, by where the limit was checked.
_RESPECTED_TEXT: Final = {
    "plan": "the range and the practical amounts shown are within it",
    "order": "the ordered amount is within it",
}
_EPS: Final = 1e-9


class Limit:
    """A maximum in canonical units, where it comes from, and its sources."""

    __slots__ = ("changed_by", "kind", "note", "per", "sources", "unit", "value")

    def __init__(
        self,
        kind: str,
        per: str,
        value: float,
        unit: str,
        sources: tuple[str, ...],
        note: str,
        changed_by: ChangedBy | None = None,
    ) -> None:
        self.kind = kind
        self.per = per
        self.value = value  # canonical (mg, mg/d, mg/wk or mL)
        self.unit = unit  # the UCUM code the table wrote
        self.sources = sources
        self.note = note
        self.changed_by = changed_by  # the overlay that changed it (None: the tables)


def is_limit_rule(rule: Rule) -> bool:
    """A rule whose clinical content is only a dose limit (module docstring): kind
    ``dose-adjustment``, severity ``major``, with limits."""
    return rule.kind == "dose-adjustment" and rule.severity == "major" and bool(rule.adjust)


def respected_by(compared: Iterable[tuple[str, bool | None]]) -> dict[str, bool | None]:
    """Rule id -> whether every limit of that rule was respected (True), one was exceeded
    (False), or one could not be compared (None). ``compared`` gives, for each limit compared,
    its :attr:`Limit.kind` and whether the amount was within it (None: not comparable);
    limits that are not a rule's are ignored."""
    out: dict[str, bool | None] = {}
    for kind, this in compared:
        if not kind.startswith("rule "):
            continue
        rule_id = kind[5:]
        seen = out.get(rule_id, True)
        if seen is False or this is False:
            out[rule_id] = False
        elif seen is None or this is None:
            out[rule_id] = None
        else:
            out[rule_id] = True
    return out


def _respected(original: Finding, where: str) -> Finding:
    return attrs.evolve(
        original,
        severity=RESPECTED_SEVERITY,
        message=f"caution, dose limit applied and respected ({original.code}): "
        f"{original.template} The limit applies; {_RESPECTED_TEXT[where]}.",
    )


def settle(
    findings: list[Finding],
    drug: Drug,
    verdicts: Mapping[str, bool | None],
    where: str,
    originals: Mapping[str, Finding] | None = None,
) -> None:
    """Rewrite, in place, the finding of each limit rule of ``drug``: the respected form when
    ``verdicts`` says all its limits were respected, else the rule's own finding (``originals``,
    by code, gives it when ``findings`` may hold an already settled one)."""
    rules = {r.id: r for r in drug.rules if is_limit_rule(r)}
    if not rules:
        return
    for i, found in enumerate(findings):
        rule = rules.get(found.code)
        if rule is None:
            continue
        original = found if originals is None else originals.get(found.code, found)
        if original.severity != rule.severity:
            continue  # not the rule's own finding (already settled and no original given)
        findings[i] = _respected(original, where) if verdicts.get(rule.id) is True else original
