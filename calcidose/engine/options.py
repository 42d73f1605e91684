"""Every therapy in the catalog, with its status for one patient, ranked by evidence.

:func:`options` runs the dose engine (regimen choice, rules, range) for every catalog entry,
drugs and non-drug options alike, and ranks them by the level of evidence of the regimen shown
for the calcinosis type (the modified Oxford CEBM levels graded by Traineau et al., J Am Acad
Dermatol 2020;82:317-25, doi:10.1016/j.jaad.2019.07.006). The ranking orders the evidence; it
never calls an entry the best one for a patient:

1. contraindicated entries last, whatever else is true;
2. entries reported for the calcinosis type asked for (``calcinosis_type``) before the others;
3. entries the tables say are not indicated for this patient, or advised against (an
   ``indication`` rule of moderate or major severity fired: low-dose warfarin, graded IB
   *against* its use), after the others;
4. by evidence level: IA, IB, IIA, IIB, III, IV, then label, animal, not-graded;
5. by status within a level: ``ok``, ``caution``, ``major``, ``cannot-check``,
   ``not-dosable``; then by name.

Each entry says why it has its status: the contraindication, the missing inputs, the reason
no dose is given, or the caution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from ..catalog import get_catalog
from ..catalog.model import EVIDENCE_GRADES, Catalog, Drug, Regimen
from ..errors import InputError
from ..patient import Patient
from ..results import Administration, DosePlan, DoseRange, Finding, Status
from .dosing import dose
from .regimens import age_fit

__all__ = [
    "CALCINOSIS_TYPES",
    "OPTIONS_SCHEMA",
    "Option",
    "OptionsReport",
    "options",
]

OPTIONS_SCHEMA: Final = "calcidose/options/1"
#: The calcinosis types ``--type`` accepts (as the tables name them).
CALCINOSIS_TYPES: Final = ("dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis")

_STATUS_RANK: Final = {
    "ok": 0,
    "caution": 1,
    "major": 2,
    "cannot-check": 3,
    "not-dosable": 4,
    "contraindicated": 5,
}
_EVIDENCE_RANK: Final = {grade: n for n, grade in enumerate(EVIDENCE_GRADES)}


@attrs.frozen(slots=True)
class Option:
    """One catalog entry for this patient."""

    id: str
    name: str
    kind: str
    status: Status
    evidence: str | None
    regimen: str | None
    regimen_title: str | None
    route: str | None
    reason: str
    reported_for_type: bool | None
    not_indicated: bool
    findings: tuple[Finding, ...]
    sources: tuple[str, ...]
    dose: DoseRange | None = None
    administrations: tuple[Administration, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "evidence": self.evidence,
            "regimen": self.regimen,
            "regimen_title": self.regimen_title,
            "route": self.route,
            "reason": self.reason,
            "reported_for_type": self.reported_for_type,
            "not_indicated": self.not_indicated,
            "dose": self.dose.to_dict() if self.dose is not None else None,
            "administrations": [a.to_dict() for a in self.administrations],
            "findings": [f.to_dict() for f in self.findings],
            "sources": list(self.sources),
        }


@attrs.frozen(slots=True)
class OptionsReport:
    """Every therapy with its status for one patient, ranked by evidence level."""

    calcinosis_type: str | None
    options: tuple[Option, ...]
    tables_version: str
    #: the tables used (:meth:`calcidose.catalog.model.Catalog.provenance`): shipped edition
    #: and each overlay's name, version and content hash
    tables: Mapping[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (schema ``calcidose/options/1``)."""
        return {
            "schema": OPTIONS_SCHEMA,
            "calcinosis_type": self.calcinosis_type,
            "options": [o.to_dict() for o in self.options],
            "tables_version": self.tables_version,
            "tables": dict(self.tables),
        }


def _pick(drug: Drug, patient: Patient, kind: str | None) -> tuple[Regimen | None, bool | None]:
    """The regimen to show for this patient and type (None: let the engine choose)."""
    pool = [
        r
        for r in drug.regimens
        if kind is None or not r.calcinosis_types or kind in r.calcinosis_types
    ]
    reported = bool(pool) if kind is not None else None
    if not pool:
        pool = list(drug.regimens)
    age = patient.age_years
    if (
        age is not None
        and all(age_fit(r, age) is False for r in pool if r.dosable)
        and any(r.dosable for r in pool)
    ):
        return None, reported  # the engine reports that no regimen covers this age
    ranked = sorted(
        pool,
        key=lambda r: (
            age_fit(r, age) is False,
            not r.dosable,
            _EVIDENCE_RANK.get(r.evidence, len(_EVIDENCE_RANK)),
        ),
    )
    return ranked[0], reported


def _reason(plan: DosePlan, regimen: Regimen | None) -> str:
    findings = plan.findings
    status = plan.status
    if status == "contraindicated":
        return next(f.message for f in findings if f.severity == "contraindicated")
    if status == "not-dosable":
        reason = regimen.not_dosable_reason if regimen is not None else None
        return reason or next(
            (f.message for f in findings if f.code == "not-dosable"), "no sourced dose"
        )
    if status == "cannot-check":
        # dict.fromkeys keeps the first-seen order without a quadratic list membership test
        missing = list(
            dict.fromkeys(m for f in findings if f.severity == "cannot-check" for m in f.missing)
        )
        first = next(f.message for f in findings if f.severity == "cannot-check")
        return f"needs {', '.join(missing)}: {first}" if missing else first
    if status == "major":
        return next(f.message for f in findings if f.severity == "major")
    if status == "caution":
        return next(f.message for f in findings if f.severity in ("major", "moderate"))
    return "no contraindication or caution found for this patient"


def options(
    patient: Patient, calcinosis_type: str | None = None, *, catalog: Catalog | None = None
) -> OptionsReport:
    """Every therapy in the catalog with its status for ``patient``, ranked by evidence.

    ``calcinosis_type`` (dystrophic, metastatic, idiopathic, iatrogenic, calciphylaxis) puts
    the therapies reported for that type first and picks their regimen for that type.
    """
    if calcinosis_type is not None and calcinosis_type not in CALCINOSIS_TYPES:
        raise InputError(
            f"unknown calcinosis type {calcinosis_type!r}; known: {', '.join(CALCINOSIS_TYPES)}"
        )
    cat = catalog if catalog is not None else get_catalog()
    entries: list[Option] = []
    for drug in cat.drugs.values():
        regimen, reported = _pick(drug, patient, calcinosis_type)
        plan = dose(drug.id, patient, regimen.id if regimen is not None else None, catalog=cat)
        chosen = drug.regimen(plan.regimen) if plan.regimen is not None else None
        rule_kinds = {r.id: r.kind for r in drug.rules}
        not_indicated = any(
            rule_kinds.get(f.code) == "indication" and f.severity in ("major", "moderate")
            for f in plan.findings
        )
        entries.append(
            Option(
                id=drug.id,
                name=drug.name,
                kind=drug.kind,
                status=plan.status,
                evidence=plan.evidence,
                regimen=plan.regimen,
                regimen_title=plan.regimen_title,
                route=plan.route,
                reason=_reason(plan, chosen),
                reported_for_type=reported,
                not_indicated=not_indicated,
                findings=plan.findings,
                sources=plan.sources,
                dose=plan.dose,
                administrations=plan.administrations,
            )
        )
    entries.sort(
        key=lambda o: (
            o.status == "contraindicated",
            o.reported_for_type is False,
            o.not_indicated,
            _EVIDENCE_RANK.get(o.evidence or "", len(_EVIDENCE_RANK)),
            _STATUS_RANK[o.status],
            o.name,
        )
    )
    return OptionsReport(
        calcinosis_type, tuple(entries), cat.tables_version, tables=cat.provenance()
    )
