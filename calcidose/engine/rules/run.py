"""Every rule of a drug against a patient (and an order): :func:`evaluate`."""

from __future__ import annotations

import attrs

from ...catalog.model import Catalog, Drug, Regimen
from ...catalog.vocabulary import display
from ...patient import Patient
from ...results import Finding, Step
from .. import renal
from ..limits import Limit
from ..renal import RenalFunction
from .compiled import _compiled, _CompiledRule
from .context import Context, OrderFacts
from .view import _View


@attrs.define
class Outcome:
    """What the rules say for one drug, regimen and patient (and order)."""

    findings: list[Finding] = attrs.field(factory=list)
    steps: list[Step] = attrs.field(factory=list)
    limits: list[Limit] = attrs.field(factory=list)
    #: Findings of rules that read the order (only when an order is given).
    order_findings: list[Finding] = attrs.field(factory=list)


def evaluate(
    catalog: Catalog,
    drug: Drug,
    regimen: Regimen | None,
    patient: Patient,
    order: OrderFacts | None = None,
) -> Outcome:
    """Every rule of ``drug`` (for ``regimen``) against ``patient`` (and ``order``).

    Rules limited to other regimens are skipped (all regimen-limited rules when ``regimen`` is
    None). Rules that read the order are evaluated only when ``order`` is given; their findings
    go to :attr:`Outcome.order_findings`.
    """
    outcome = Outcome()
    ctx = Context(catalog, patient, order)
    view = ctx.view
    if patient.medications or patient.conditions:
        outcome.findings.extend(view.unknown())
    findings = outcome.findings
    for compiled in _compiled(catalog, drug, regimen):
        if compiled.uses_order:
            if order is None:
                continue
            target = outcome.order_findings
        else:
            target = findings
        _apply(compiled, ctx, outcome, target)
    if ctx.renal_read:
        state = view.renal()
        outcome.steps[0:0] = state.steps
        findings.extend(state.findings)
        if state.alternatives:
            findings.extend(_weight_choice(catalog, drug, regimen, ctx, state))
    if ctx.window_used:
        outcome.steps.append(_window_step(catalog, patient, ctx.window_used))
    if patient.medications:
        step = _medications_step(view)
        if step is not None:
            outcome.steps.append(step)
    return outcome


def _apply(compiled: _CompiledRule, ctx: Context, outcome: Outcome, target: list[Finding]) -> None:
    """One compiled rule against the context: its finding (fired, or cannot-check naming what
    is missing) to ``target``, and the limits, conflicts and steps of a rule that fired."""
    if ctx.missing:
        ctx.missing = set()
    if ctx.matched:
        ctx.matched = []
    truth = compiled.test(ctx)
    if truth is None:
        target.append(compiled.cannot(ctx.missing))
        return
    if not truth:
        return
    limits = compiled.limits_for(ctx.patient.weight_kg)
    if limits is None:
        target.append(compiled.cannot({"weight"}))
        return
    target.append(compiled.fired(ctx.matched, limits, ctx.view.shown()))
    if limits.conflicts:
        target.extend(limits.conflicts)
    if limits.steps:
        outcome.steps.extend(limits.steps)
    if limits.limits:
        outcome.limits.extend(limits.limits)


class _OtherClearance(Context):
    """The context with the clearance another body weight gives (the rest unchanged)."""

    __slots__ = ("_state",)

    def __init__(self, ctx: Context, state: RenalFunction) -> None:
        super().__init__(ctx.catalog, ctx.patient, ctx.order)
        self._state = state

    def renal(self) -> RenalFunction:
        self.renal_read = True
        return self._state


def _weight_choice(
    catalog: Catalog, drug: Drug, regimen: Regimen | None, ctx: Context, state: RenalFunction
) -> list[Finding]:
    """Each renal rule whose band the Cockcroft-Gault clearances on total and on adjusted body
    weight of an obese patient fall on different sides of (:mod:`calcidose.engine.renal`)."""
    out: list[Finding] = []
    for compiled in _compiled(catalog, drug, regimen):
        if not compiled.uses_crcl or (compiled.uses_order and ctx.order is None):
            continue
        used = compiled.test(ctx)
        for basis, kg, value in state.alternatives:
            other = compiled.test(_OtherClearance(ctx, renal.alternative(state, value)))
            if used is None or other is None or used == other:
                continue
            rule = compiled.rule
            out.append(
                renal.weight_choice_finding(state, rule.id, rule.severity, used, basis, kg, value)
            )
    ctx.missing, ctx.matched = set(), []
    return out


def _medications_step(view: _View) -> Step | None:
    """The trace of the names of the patient's medication list that were read as another
    name (a brand, a synonym, another case or spacing): each as given, and the substance it
    names. None when every name was given as its id (unknown names are findings)."""
    parts = [
        f"{' '.join(given.split())} = {display(view.catalog, ident, ident)}"
        for given, ident in sorted(view.resolved().items())
        if ident is not None and given != ident
    ]
    if not parts:
        return None
    return Step("medications", "read as: " + "; ".join(parts))


def _window_step(catalog: Catalog, patient: Patient, keys: set[str]) -> Step:
    """The trace of a pregnancy or lactation question not asked: the patient is outside the
    childbearing-potential window (nothing is skipped silently). It names only what the window
    decided: a stated pregnancy is not "not asked"."""
    window = catalog.meta.childbearing_potential
    assert window is not None and patient.age_years is not None  # only set by the window
    low, high = window.min_age, window.max_age
    who = "female patient" if patient.sex == "female" else "patient (sex not given)"
    what = " and ".join(
        word for key, word in (("pregnant", "pregnancy"), ("lactating", "lactation")) if key in keys
    )
    return Step(
        f"{what} not asked",
        f"{who} aged {{age}}, outside the childbearing-potential window {{from}} to under "
        f"{{below}} (tables/meta.toml, a product decision): {what}, not stated, "
        f"{'are' if ' and ' in what else 'is'} taken as no",
        (
            ("age", patient.age_years, "a"),
            ("from", low.value, low.unit),
            ("below", high.value, high.unit),
        ),
        sources=window.sources,
    )
