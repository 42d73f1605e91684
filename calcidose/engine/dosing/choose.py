"""The regimen of a dose plan: the one asked for, or the dosable regimen whose population fits
the patient."""

from __future__ import annotations

import math

from ... import units
from ...catalog.model import Drug, Regimen
from ...errors import UnknownRegimenError
from ...patient import Patient
from ...results import (
    Finding,
    Step,
)
from ..regimens import age_fit, population_labels, populations_differ, restricted


def _age_text(age_years: float) -> str:
    """An age in years with the decimals that decide: one, or more when one decimal would
    reach the next whole year (17.99 years is not "18 years", which another regimen covers)."""
    if age_years < 1:
        return units.format_quantity(age_years, "a")  # under a year: three decimals already
    places = 1
    while math.floor(round(age_years, places)) != math.floor(age_years) and places < 6:
        places += 1
    return units.format_quantity(age_years, "a", places=places)


def require_regimen(drug: Drug, regimen_id: str) -> Regimen:
    """The drug's regimen with this id (case aside: ``ORAL-FIXED`` is ``oral-fixed``), or
    UnknownRegimenError listing its regimens, with "did you mean" suggestions never applied."""
    chosen = drug.regimen(regimen_id)
    if chosen is None and isinstance(regimen_id, str):
        key = regimen_id.strip().casefold()
        chosen = next((r for r in drug.regimens if r.id.casefold() == key), None)
    if chosen is None:
        import difflib

        ids = [r.id for r in drug.regimens]
        close = difflib.get_close_matches(str(regimen_id).casefold(), ids, n=3, cutoff=0.75)
        hint = ""
        if close:
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}? (not applied)"
        raise UnknownRegimenError(
            f"{drug.id} has no regimen {regimen_id!r}{hint}; its regimens: {', '.join(ids)}"
        )
    return chosen


def select_regimen(
    drug: Drug, patient: Patient, regimen_id: str | None
) -> tuple[Regimen | None, list[Finding], list[Step]]:
    """The regimen to use, with the findings and trace of the choice."""
    findings: list[Finding] = []
    steps: list[Step] = []
    age = patient.age_years
    if regimen_id is not None:
        chosen = require_regimen(drug, regimen_id)
        steps.append(Step("regimen", f"{chosen.id}: asked for ({chosen.population.label})"))
        if restricted(chosen):
            if age is None:
                findings.append(
                    Finding(
                        "cannot-check",
                        "missing-age",
                        f"regimen {chosen.id} is for {chosen.population.label}; "
                        "the patient's age is not given, so the fit cannot be checked",
                        "Give the patient's age.",
                        missing=("age",),
                    )
                )
            elif not age_fit(chosen, age):
                findings.append(
                    Finding(
                        "major",
                        "population-mismatch",
                        f"regimen {chosen.id} is for {chosen.population.label}; "
                        f"this patient is {_age_text(age)} old",
                        "Check that this regimen is intended for this patient.",
                        chosen.sources,
                    )
                )
        return chosen, findings, steps
    dosable = [r for r in drug.regimens if r.dosable]
    if not dosable:
        first = drug.regimens[0]
        steps.append(Step("regimen", f"{first.id}: no dosable regimen in the tables"))
        return first, findings, steps
    if age is None:
        if populations_differ(dosable) or restricted(dosable[0]):
            labels = population_labels(dosable)
            findings.append(
                Finding(
                    "cannot-check",
                    "missing-age",
                    f"the regimens of {drug.id} depend on age ({labels}); age is not given",
                    "Give the patient's age, or name a regimen.",
                    missing=("age",),
                )
            )
            return None, findings, steps
        chosen = dosable[0]
        steps.append(
            Step("regimen", f"{chosen.id}: the only population ({chosen.population.label})")
        )
        return chosen, findings, steps
    fitting = [r for r in dosable if age_fit(r, age)]
    if not fitting:
        labels = population_labels(dosable)
        findings.append(
            Finding(
                "cannot-check",
                "no-regimen-for-age",
                f"no regimen of {drug.id} covers a patient of {_age_text(age)} ({labels})",
                "No sourced dose exists for this age; do not extrapolate.",
            )
        )
        return None, findings, steps
    chosen = fitting[0]
    others = f"; also fitting: {', '.join(r.id for r in fitting[1:])}" if len(fitting) > 1 else ""
    steps.append(
        Step(
            "regimen",
            f"{chosen.id} ({chosen.population.label}) chosen for age {_age_text(age)}{others}",
            (("age", age, "a"),),
        )
    )
    return chosen, findings, steps
