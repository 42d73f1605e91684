"""Choosing the regimen an order is checked against: by route, age and frequency, never by the
ordered amount."""

from __future__ import annotations

from ... import units
from ...catalog.model import Drug, Regimen
from ...errors import OrderError
from ...frequency import Frequency
from ...patient import Patient
from ...results import (
    Finding,
    Step,
    amount_text,
)
from ..dosing import require_regimen
from ..regimens import age_fit, frequency_fit, population_labels, populations_differ

# --- choosing the regimen ----------------------------------------------------------------------


def _population_text(age: float | None) -> str:
    return "age not given" if age is None else f"age {amount_text(age, 'a')}"


def _describe(regimen: Regimen, freq: Frequency, age: float | None) -> str:
    fit = age_fit(regimen, age)
    parts = [f"route {regimen.route}"]
    fq = frequency_fit(regimen, freq)
    parts.append(
        f"{freq.text} is one of its frequencies"
        if fq == 2
        else (f"{freq.text} is not one of its frequencies" if regimen.frequencies else "")
    )
    label = regimen.population.label
    parts.append(
        f"{label}: fits {_population_text(age)}"
        if fit
        else (f"{label}: {_population_text(age)}" if fit is None else f"{label}: does not fit")
    )
    if not regimen.dosable:
        parts.append("not dosable")
    return ", ".join(p for p in parts if p)


def _choose(
    drug: Drug,
    patient: Patient,
    freq: Frequency,
    route: str | None,
    regimen_id: str | None,
) -> tuple[Regimen | None, list[Finding], list[Step]]:
    findings: list[Finding] = []
    steps: list[Step] = []
    age = patient.age_years
    if regimen_id is not None:
        chosen = require_regimen(drug, regimen_id)
        if route is not None and chosen.route != route:
            raise OrderError(
                f"the order says route {route}, but regimen {chosen.id} is {chosen.route}"
            )
        steps.append(Step("regimen", f"{chosen.id}: asked for ({_describe(chosen, freq, age)})"))
        return chosen, findings, steps
    pool = list(drug.regimens)
    if route is not None:
        pool = [r for r in pool if r.route == route]
        if not pool:
            routes = ", ".join(sorted({r.route for r in drug.regimens}))
            findings.append(
                Finding(
                    "cannot-check",
                    "no-regimen-for-route",
                    f"{drug.name} has no {route} regimen in the tables (its routes: {routes}); "
                    "there is no sourced range to check this order against",
                    "Check the route; calcidose has no sourced dose for this one.",
                    drug.sources,
                    ("a regimen for this route",),
                )
            )
            return None, findings, steps

    # each regimen scored once (the best score, then the regimens that have it)
    scores = [(age_fit(r, age) is not False, frequency_fit(r, freq), r.dosable) for r in pool]
    best = max(scores)
    if not best[0]:
        labels = population_labels(pool)
        findings.append(
            Finding(
                "cannot-check",
                "no-regimen-for-age",
                f"no regimen of {drug.name} covers a patient of "
                f"{units.format_quantity(age or 0, 'a')} ({labels})",
                "No sourced dose exists for this age; do not extrapolate.",
                drug.sources,
            )
        )
        return None, findings, steps
    tied = [r for r, s in zip(pool, scores, strict=True) if s == best]
    if age is None and populations_differ(tied):
        labels = population_labels(tied)
        findings.append(
            Finding(
                "cannot-check",
                "missing-age",
                f"the order fits regimens of {drug.name} for different ages ({labels}); "
                "the patient's age is not given",
                "Give the patient's age, or name a regimen.",
                missing=("age",),
            )
        )
        return None, findings, steps
    # Never by the ordered amount: a choice by amount fit would pick a regimen because its
    # range (or its limits) are looser, and a larger amount could then read better than a
    # smaller one (issue 10 section 3). Between regimens still tied, the tables' order decides
    # (the first is the standard one); another regimen is named with regimen=.
    chosen = tied[0]
    others = [r for r in pool if r is not chosen]
    rest = (
        "; not chosen: " + "; ".join(f"{r.id} ({_describe(r, freq, age)})" for r in others)
        if others
        else ""
    )
    steps.append(
        Step(
            "regimen",
            f"{chosen.id} chosen for this order ({_describe(chosen, freq, age)}){rest}",
        )
    )
    return chosen, findings, steps
