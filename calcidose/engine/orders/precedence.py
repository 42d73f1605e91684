"""The verdict of an order check, by precedence (the package docstring)."""

from __future__ import annotations

from typing import Final

from ...catalog.model import Drug, Regimen
from ...results import (
    Finding,
)
from .compare import _Comparison
from .verdicts import Verdict

#: contraindication, medication, condition or age, no regimen for the route or the age) does.
_NOT_BLOCKING_CODES: Final = frozenset(
    {"missing-weight", "missing-height", "volume-needs-concentration", "no-sourced-range"}
)


def _blocking(drug: Drug, finding: Finding) -> bool:
    """A cannot-check finding whose missing input could make the order contraindicated or
    change its regimen (it beats ``exceeds-maximum``)."""
    code = finding.code
    if code.endswith(":cannot-check"):
        rule_id = code[: -len(":cannot-check")]
        return any(r.id == rule_id and r.severity == "contraindicated" for r in drug.rules)
    return code not in _NOT_BLOCKING_CODES  # any other code: fail closed


def _may_change_range(drug: Drug, finding: Finding) -> bool:
    """A cannot-check finding whose missing input could change the range verdict: a rule
    that carries a dose limit (its limit could bound the range), or anything that is not a
    rule's (a missing weight, a volume without concentration: fail closed). A rule with no
    limit (a warning, a major interaction not yet decided) cannot change the range: the range
    verdict stands, while the status stays cannot-check and the unknown is reported."""
    code = finding.code
    if code.endswith(":cannot-check"):
        rule_id = code[: -len(":cannot-check")]
        return any(r.id == rule_id and bool(r.adjust) for r in drug.rules)
    return True


def _verdict(
    drug: Drug, regimen: Regimen | None, findings: list[Finding], comparison: _Comparison
) -> Verdict:
    """The verdict by precedence (module docstring); adds the finding that explains a
    cannot-check the other findings do not."""
    if regimen is not None and not regimen.dosable:
        findings.append(
            Finding(
                "cannot-check",
                "no-sourced-range",
                f"{regimen.title}: calcidose has no sourced range to check this order "
                f"against ({regimen.not_dosable_reason})",
                "Check the order against the prescriber's plan and the product label.",
                regimen.sources,
            )
        )
    if any(f.severity == "contraindicated" for f in findings):
        return "contraindicated"
    unknown = [f for f in findings if f.severity == "cannot-check"]
    if regimen is None or any(_blocking(drug, f) for f in unknown):
        return "cannot-check"
    exceeded = [m for m in comparison.maxima if m.exceeded]
    if any(m.hard for m in exceeded):
        return "exceeds-maximum"
    if exceeded:
        return "above-range"
    if any(_may_change_range(drug, f) for f in unknown):
        return "cannot-check"
    if comparison.range_result is None:
        findings.append(
            Finding(
                "cannot-check",
                "order-not-comparable",
                f"{regimen.title}: the order cannot be put in the regimen's basis "
                f"({regimen.dose.basis if regimen.dose else 'none'}), so it cannot be compared",
                "Write the order as the regimen is dosed.",
                regimen.sources,
            )
        )
        return "cannot-check"
    if comparison.range_result == "above":
        return "above-range"
    if comparison.range_result == "below":
        return "below-range"
    return "within-range"
