"""One notion of renal function per patient, read by every renal rule.

:func:`derive` reads every renal input of a :class:`~calcidose.patient.Patient` once and gives
a :class:`RenalFunction`: what calcidose knows of the patient's creatinine clearance, in mL/min,
as a *state*, the interval the clearance is known to lie in:

* a **measured or estimated value** ``[v, v]``, by priority: the CrCl given; else
  Cockcroft-Gault from serum creatinine (adults; the weight used is shown in the trace: total
  body weight unless the patient's ``crcl_weight`` asks for ``ideal`` or ``adjusted``; an obese
  patient, BMI 30 kg/m2 or more, on total body weight is flagged, since Cockcroft-Gault then
  overestimates clearance); else the CKD-EPI 2021 eGFR (mL/min/1.73 m2) from serum creatinine,
  age and sex, taken as the clearance when Cockcroft-Gault cannot be computed (calcidose
  product decision, said in the trace);
* a **band a listed condition implies**: ``conditions.toml`` gives a renal condition
  ``implies_crcl_below`` (``hemodialysis``: end-stage, CrCl below 15 mL/min;
  ``renal-impairment``: below 60 mL/min; product decisions written beside them), so the state
  is ``[0, H)``; a treatment (``implied_by_crcl = false``: haemodialysis) bounds the
  clearance so, but a ``condition`` leaf on it is true only when it is listed;
* both: when the value lies in the condition's band, the value (the more precise); when it does
  not, the two **disagree** and the worse band wins (fail safe): the state is the condition's
  band, and a trace step and an ``info`` finding say so;
* neither: unknown.

A renal predicate leaf (:func:`band_truth`) asks whether the clearance lies in a band: True
when the whole state lies inside it, False when the state lies wholly outside, unknown (None)
when nothing is known or the state straddles the boundary (a listed ``renal-impairment`` asked
"below 30 mL/min?"). Values within 1e-9 (relative) of a boundary count as on it: a clearance
computed from a creatinine that was itself computed from that clearance must land on the same
side as the clearance given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from .. import units
from ..errors import CalcidoseError
from ..results import Finding, Severity, Step

if TYPE_CHECKING:
    from ..catalog.model import Catalog
    from ..patient import Patient

__all__ = [
    "OBESE_BMI",
    "RenalFunction",
    "alternative",
    "band_truth",
    "crcl_of",
    "derive",
    "weight_choice_finding",
]

#: Body mass index (kg/m2) from which Cockcroft-Gault on total body weight is flagged as
#: overestimating clearance (WHO obesity threshold; calcidose product decision to flag there).
OBESE_BMI: Final = 30.0
_EPS: Final = 1e-9

Truth = bool | None


@attrs.frozen(slots=True)
class RenalFunction:
    """What calcidose knows of one patient's renal function (CrCl in mL/min).

    ``low``/``high`` bound the clearance (``high_open``: the upper bound is excluded); both
    None when nothing is known. ``value`` is the measured or estimated clearance (or None),
    ``condition`` the listed condition whose band applies (or None). ``steps`` and
    ``findings`` go into the result of every drug whose rules read renal function;
    ``missing`` names what to give when a rule cannot be decided.
    """

    low: float | None
    high: float | None
    high_open: bool
    value: float | None
    condition: str | None
    steps: tuple[Step, ...]
    findings: tuple[Finding, ...]
    missing: str
    #: Cockcroft-Gault on the other body weights of an obese patient (BMI 30 kg/m2 or more):
    #: ``(basis, weight kg, clearance mL/min)`` for ``total`` and ``adjusted``, whichever was
    #: not used; empty otherwise. Rules whose band they fall on the other side of get a
    #: finding (:func:`weight_choice_finding`).
    alternatives: tuple[tuple[str, float, float], ...] = ()
    #: the basis and weight (kg) of the clearance used, when it is Cockcroft-Gault
    used: tuple[str, float] | None = None

    @property
    def known(self) -> bool:
        """True when something bounds the clearance."""
        return self.low is not None


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= _EPS * max(1.0, abs(a), abs(b))


def band_truth(
    state: RenalFunction,
    below: float | None = None,
    at_most: float | None = None,
    at_least: float | None = None,
    above: float | None = None,
) -> Truth:
    """Is the clearance (mL/min) in the band? ``below``: < T, ``at_most``: <= T,
    ``at_least``: >= T, ``above``: > T (any combination, all must hold).

    True when every value the state allows is in the band, False when none is, None when
    unknown (nothing known, or the state straddles a boundary).
    """
    if state.low is None or state.high is None:
        return None
    results = []
    for bound, upper, closed in (
        (below, True, False),
        (at_most, True, True),
        (at_least, False, True),
        (above, False, False),
    ):
        if bound is not None:
            results.append(_side(state, bound, upper, closed))
    if False in results:
        return False
    if None in results:
        return None
    return True


def _side(state: RenalFunction, t: float, upper: bool, closed: bool) -> Truth:
    """One boundary: value <= t (upper, closed), < t, >= t (lower, closed) or > t."""
    low, high = state.low, state.high
    assert low is not None and high is not None
    if state.value is not None and not state.high_open and low == high:
        if _near(low, t):
            return closed
        return (low < t) if upper else (low > t)
    # an interval [low, high) or [low, high]: only condition bands, with low = 0
    if upper:
        if high < t or (_near(high, t) and (state.high_open or closed)):
            return True  # every value is below t (or at it, when t is allowed)
        if low > t or (_near(low, t) and not closed):
            return False
        return None
    if low > t or (_near(low, t) and closed):
        return True
    if high < t or (_near(high, t) and (state.high_open or not closed)):
        return False
    return None


def _q(value: float, unit: str) -> str:
    return units.format_quantity(value, unit)


def derive(catalog: Catalog, patient: Patient) -> RenalFunction:
    """The renal function of ``patient`` from every input (see the module text)."""
    value, steps, findings, missing = _measured(patient)
    band: tuple[float, str] | None = None
    for cond in patient.conditions:
        entry = catalog.conditions.get(cond)
        limit = None if entry is None else entry.implies_crcl_below
        if limit is None:
            continue
        bound = float(limit.value) * units.UCUM[limit.unit].factor
        if band is None or bound < band[0]:
            band = (bound, cond)
    if band is None:
        if value is None:
            return RenalFunction(None, None, False, None, None, steps, findings, missing)
        used, others = _other_weights(patient, value)
        return RenalFunction(value, value, False, value, None, steps, findings, "", others, used)
    high, cond = band
    name = catalog.conditions[cond].name
    band_text = f"below {_q(high, 'mL/min')}"
    if value is None:
        step = Step(
            "renal function",
            f"from the condition {cond} ({name}): creatinine clearance {band_text}",
            (("bound", high, "mL/min"),),
            sources=catalog.conditions[cond].sources,
        )
        need = f"a creatinine clearance ({cond} is listed; its degree is not known)"
        return RenalFunction(
            0.0, high, True, None, cond, (*steps, step), findings, need + "; " + missing
        )
    if value < high and not _near(value, high):
        return RenalFunction(value, value, False, value, cond, steps, findings, "")
    text = (
        f"the measured or estimated clearance {_q(value, 'mL/min')} disagrees with the "
        f"listed condition {cond} ({name}: {band_text}); the worse band is used (fail safe)"
    )
    step = Step(
        "renal function conflict",
        text + ": creatinine clearance below {bound}",
        (("crcl", value, "mL/min"), ("bound", high, "mL/min")),
    )
    finding = Finding(
        "info",
        "renal-function-conflict",
        f"Renal function: {text}.",
        "Check which is current (a clearance estimated on dialysis is not valid) and give "
        "the patient's renal function again.",
        catalog.conditions[cond].sources,
    )
    return RenalFunction(0.0, high, True, value, cond, (*steps, step), (*findings, finding), "")


def _measured(p: Patient) -> tuple[float | None, tuple[Step, ...], tuple[Finding, ...], str]:
    """The clearance given, or Cockcroft-Gault, or eGFR; its steps, flags, and what is missing."""
    value, steps, findings, missing = crcl_of(p)
    if value is None and p.weight_kg is None and missing == "crcl or weight":
        return _from_egfr(p, missing)
    return value, steps, findings, missing


def crcl_of(p: Patient) -> tuple[float | None, tuple[Step, ...], tuple[Finding, ...], str]:
    """The creatinine clearance (mL/min) given, or by Cockcroft-Gault; with its trace step,
    the obesity flag, and (when None) the name of what is missing."""
    if p.crcl_ml_min is not None:
        step = Step(
            "creatinine clearance",
            "as given: {crcl}",
            (("crcl", p.crcl_ml_min, "mL/min"),),
            p.crcl_ml_min,
            "mL/min",
        )
        return p.crcl_ml_min, (step,), (), ""
    if p.scr_mg_dl is None:
        return None, (), (), "crcl or serum creatinine"
    if p.age_years is not None and p.age_years < 18:
        return None, (), (), "crcl (Cockcroft-Gault is for adults)"
    age, weight, sex = p.age_years, p.weight_kg, p.sex
    if age is None or weight is None or sex is None:
        absent = [n for n, v in (("age", age), ("weight", weight), ("sex", sex)) if v is None]
        return None, (), (), "crcl or " + ", ".join(absent)
    return _cockcroft_gault(p, age, weight, sex)


def _from_egfr(
    p: Patient, missing: str
) -> tuple[float | None, tuple[Step, ...], tuple[Finding, ...], str]:
    from ..measures import egfr_2021

    assert p.scr_mg_dl is not None and p.age_years is not None and p.sex is not None
    try:
        value = egfr_2021(p.age_years, p.sex, p.scr_mg_dl)
    except CalcidoseError:
        return None, (), (), missing
    step = Step(
        "renal function from eGFR",
        "CKD-EPI 2021 eGFR {egfr} (from serum creatinine {scr}), used as the creatinine "
        "clearance because Cockcroft-Gault needs the weight (product decision)",
        (("egfr", value, "mL/min/{1.73_m2}"), ("scr", p.scr_mg_dl, "mg/dL")),
        value,
        "mL/min",
        ("inker-2021", "calcidose-policy"),
    )
    return value, (step,), (), ""


def _cockcroft_gault(
    p: Patient, age: float, weight: float, sex: str
) -> tuple[float | None, tuple[Step, ...], tuple[Finding, ...], str]:
    from ..measures import basis_weight_kg, crcl_ml_min

    assert p.scr_mg_dl is not None
    basis = p.crcl_weight or "total"
    try:
        used = basis_weight_kg(weight, p.height_cm, sex, basis)
        value = crcl_ml_min(age, used, sex, p.scr_mg_dl)
    except CalcidoseError as exc:  # outside a formula's domain: never extrapolated
        if basis != "total" and p.height_cm is None:
            return None, (), (), f"crcl or height (for the {basis} body weight)"
        del exc
        return None, (), (), "crcl (Cockcroft-Gault does not apply to these values)"
    female = " x 0.85" if sex == "female" else ""
    label = {"total": "total", "ideal": "ideal (Devine)", "adjusted": "adjusted (Bauer, 0.4)"}
    step = Step(
        "creatinine clearance",
        f"Cockcroft-Gault, {label[basis]} body weight: (140 - {{age}}) x {{weight}} / "
        f"(72 x {{scr}}){female} = {{crcl}}",
        (
            ("age", age, "a"),
            ("weight", used, "kg"),
            ("scr", p.scr_mg_dl, "mg/dL"),
            ("crcl", value, "mL/min"),
        ),
        value,
        "mL/min",
        ("cockcroft-gault-1976",) + (() if basis == "total" else (f"{_FORMULA[basis]}",)),
    )
    findings: tuple[Finding, ...] = ()
    if basis == "total" and p.height_cm is not None:
        bmi = weight / (p.height_cm / 100.0) ** 2
        if bmi >= OBESE_BMI:
            findings = (_obesity(bmi),)
    return value, (step,), findings, ""


_FORMULA: Final = {"ideal": "devine-1974", "adjusted": "bauer-1983"}


def _obesity(bmi: float) -> Finding:
    shown = units.format_number(bmi)
    return Finding(
        "info",
        "crcl-obesity",
        f"Body mass index {shown} kg/m2 (30 or more): Cockcroft-Gault on total body weight "
        "overestimates creatinine clearance in obesity.",
        "Consider an adjusted body weight for the clearance (patient option crcl_weight = "
        "adjusted, CLI --crcl-weight adjusted) or a measured clearance.",
        ("cockcroft-gault-1976", "bauer-1983"),
    )


#: The body weights compared for an obese patient's Cockcroft-Gault clearance.
_COMPARED: Final = ("total", "adjusted")
_BASIS_TEXT: Final = {
    "total": "total",
    "ideal": "ideal (Devine)",
    "adjusted": "adjusted (Bauer, 0.4)",
}


def _other_weights(
    p: Patient, value: float
) -> tuple[tuple[str, float] | None, tuple[tuple[str, float, float], ...]]:
    """For a clearance computed by Cockcroft-Gault for an obese adult (BMI 30 kg/m2 or more,
    height given): the basis and weight used, and the clearance on total and on adjusted
    body weight, whichever was not used."""
    from ..measures import basis_weight_kg, crcl_ml_min

    age, weight, sex, height, scr = p.age_years, p.weight_kg, p.sex, p.height_cm, p.scr_mg_dl
    if p.crcl_ml_min is not None or None in (age, weight, sex, height, scr):
        return None, ()
    assert age is not None and weight is not None and sex is not None and height is not None
    assert scr is not None
    basis = p.crcl_weight or "total"
    try:
        used = (basis, basis_weight_kg(weight, height, sex, basis))
        if weight / (height / 100.0) ** 2 < OBESE_BMI:
            return used, ()
        others = []
        for other in _COMPARED:
            if other != basis:
                kg = basis_weight_kg(weight, height, sex, other)
                others.append((other, kg, crcl_ml_min(age, kg, sex, scr)))
    except CalcidoseError:  # outside a formula's domain: nothing to compare
        return None, ()
    del value
    return used, tuple(others)


def alternative(state: RenalFunction, value: float) -> RenalFunction:
    """The renal function were the clearance ``value`` (mL/min): the state a rule is tried
    against for another body weight."""
    return RenalFunction(value, value, False, value, state.condition, (), (), "")


def weight_choice_finding(
    state: RenalFunction,
    rule_id: str,
    rule_severity: str,
    fires_used: bool,
    basis: str,
    weight: float,
    other: float,
) -> Finding:
    """A renal rule whose band the clearances on two body weights fall on different sides of
    (a product decision, docs/checking.md): ``major`` when the other weight's clearance would
    make a major or contraindicated rule apply that the clearance used does not (the answer
    shown is the less cautious one), else ``moderate`` (the stricter answer is applied)."""
    assert state.value is not None and state.used is not None
    used_basis, used_kg = state.used
    severity: Severity = (
        "major" if not fires_used and rule_severity in ("major", "contraindicated") else "moderate"
    )
    applies, does_not = (
        ("applies", "would not apply") if fires_used else ("does not apply", "would apply")
    )
    return Finding(
        severity,
        f"{rule_id}:crcl-weight",
        f"Cockcroft-Gault depends on the body weight for this obese patient: on "
        f"{_BASIS_TEXT[used_basis]} body weight ({{used_kg}}) the clearance is {{used}} and "
        f"{rule_id} {applies}; on {_BASIS_TEXT[basis]} body weight ({{other_kg}}) it is "
        f"{{other}} and {rule_id} {does_not}.",
        "Measure the creatinine clearance, or declare the body weight for Cockcroft-Gault "
        "(--crcl-weight total | ideal | adjusted, patient option crcl_weight), then check again.",
        ("cockcroft-gault-1976", "bauer-1983"),
        terms=(
            ("used_kg", used_kg, "kg"),
            ("used", state.value, "mL/min"),
            ("other_kg", weight, "kg"),
            ("other", other, "mL/min"),
        ),
    )
