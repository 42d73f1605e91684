"""FHIR R4 in: Patient, Observations, Conditions, medications -> a calcidose Patient.

Expected values are hand calculations written beside each assertion (dates: the request time
is 2026-12-02T12:00Z; lb = 0.45359237 kg exactly; creatinine 88.4 umol/L = 1 mg/dL).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("fhir.resources")

from fhir_builders import (
    NOW,
    RXNORM,
    SNOMED,
    bundle,
    coded_obs,
    condition,
    med,
    patient,
    quantity_obs,
)

import calcidose
from calcidose.io.fhir import read_bundle, read_resources
from calcidose.io.fhir._common import FhirInputError


def read(*resources: dict, now: datetime = NOW):
    return read_bundle(bundle(*resources), now=now)


@pytest.mark.parametrize(
    ("birth", "years"),
    [
        ("1970-06-15", 56.0),  # birthday in June already passed by 2 December 2026
        ("1970-12-02", 56.0),  # birthday today
        ("1970-12-03", 55.0),  # birthday tomorrow
        ("2020-12-03", 5.0),  # a day short of 6
        ("2026-03-10", 8 / 12),  # 8 completed months (10 March -> 10 November)
        ("2026-11-20", 12 / 365.25),  # 12 days old
    ],
)
def test_birth_date_gives_completed_age_at_request_time(birth: str, years: float) -> None:
    record = read(patient(birth=birth))
    assert record.patient.age_years == pytest.approx(years)


def test_now_is_injectable_and_changes_age() -> None:
    # 1970-06-15 at 2000-06-14 is 29 completed years; at 2000-06-15 it is 30
    early = read(patient(), now=datetime(2000, 6, 14, tzinfo=UTC))
    late = read(patient(), now=datetime(2000, 6, 15, tzinfo=UTC))
    assert (early.patient.age_years, late.patient.age_years) == (29.0, 30.0)


def test_year_only_birth_date_of_an_adult_uses_the_younger_age_and_says_so() -> None:
    # born in 1970: on 2026-12-02 the patient is 55 (birthday after 2 Dec) or 56
    record = read(patient(birth="1970"))
    assert record.patient.age_years == 55.0
    assert [f.code for f in record.findings] == ["fhir-age-partial-date"]


def test_year_only_birth_date_of_a_child_leaves_age_unknown() -> None:
    record = read(patient(birth="2020"))  # 5 or 6 years old: pediatric bands may differ
    assert record.patient.age_years is None
    assert record.findings[0].severity == "cannot-check"


@pytest.mark.parametrize(
    ("gender", "sex"), [("female", "female"), ("male", "male"), ("other", None), ("unknown", None)]
)
def test_gender_to_sex(gender: str, sex: str | None) -> None:
    record = read(patient(gender=gender))
    assert record.patient.sex == sex
    assert bool(record.findings) == (sex is None)


def test_weight_in_pounds_and_creatinine_in_micromol() -> None:
    record = read(
        patient(),
        quantity_obs("w", "29463-7", 154, "[lb_av]"),
        quantity_obs("h", "8302-2", 67, "[in_i]"),
        quantity_obs("s", "14682-9", 88.4, "umol/L"),
    )
    p = record.patient
    assert p.weight_kg == pytest.approx(154 * 0.45359237)  # 69.853 kg
    assert p.height_cm == pytest.approx(67 * 2.54)  # 170.18 cm
    assert p.scr_mg_dl == pytest.approx(1.0)  # 88.4 umol/L / 88.4
    assert {o.kind for o in record.observations if o.used} == {"weight", "height", "scr"}


def test_newest_observation_wins_whatever_the_bundle_order() -> None:
    old = quantity_obs("old", "29463-7", 80, "kg", when="2026-11-01")
    new = quantity_obs("new", "29463-7", 72, "kg", when="2026-11-30T08:00:00Z")
    for order in ((old, new), (new, old)):
        record = read(patient(), *order)
        assert record.patient.weight_kg == 72.0
        used = [o for o in record.observations if o.used]
        assert [o.resource for o in used] == ["Observation/new"]
        assert used[0].date == datetime(2026, 11, 30, 8, tzinfo=UTC)


def test_stale_weight_is_used_and_reported_with_its_date() -> None:
    # 2026-10-01 to 2026-12-02 12:00 is 62.5 days, beyond the 30-day weight limit
    record = read(patient(), quantity_obs("w", "29463-7", 70, "kg", when="2026-10-01"))
    assert record.patient.weight_kg == 70.0
    (finding,) = record.findings
    assert finding.code == "fhir-observation-stale"
    assert "2026-10-01" in finding.message and "30-day" in finding.message


def test_fresh_weight_is_not_reported_stale() -> None:
    record = read(patient(), quantity_obs("w", "29463-7", 70, "kg", when="2026-11-20"))
    assert record.findings == ()


def test_stale_pregnancy_status_is_not_used() -> None:
    record = read(patient(), coded_obs("pg", "82810-3", SNOMED, "60001007", when="2026-08-01"))
    assert record.patient.pregnant is None
    assert record.findings[0].code == "fhir-observation-stale"


@pytest.mark.parametrize(
    ("code", "flag"), [("77386006", True), ("60001007", False), ("261665006", None)]
)
def test_pregnancy_status_answers(code: str, flag: bool | None) -> None:
    record = read(patient(), coded_obs("pg", "82810-3", SNOMED, code))
    assert record.patient.pregnant is flag


def test_lactation_as_boolean() -> None:
    obs = coded_obs("bf", "63895-7", SNOMED, "x")
    del obs["valueCodeableConcept"]
    obs["valueBoolean"] = True
    assert read(patient(), obs).patient.lactating is True


def test_egfr_with_a_comparator_is_a_bound_and_not_used() -> None:
    obs = quantity_obs("e", "98979-8", 60, "mL/min/{1.73_m2}", comparator=">")
    record = read(patient(), obs)
    (seen,) = record.observations
    assert not seen.used and "bound" in seen.note


def test_mdrd_egfr_is_named_not_used() -> None:
    record = read(patient(), quantity_obs("e", "33914-3", 45, "mL/min/{1.73_m2}"))
    assert record.observations == ()
    assert "MDRD" in record.findings[0].message


def test_preliminary_observation_is_ignored() -> None:
    obs = quantity_obs("w", "29463-7", 70, "kg")
    obs["status"] = "preliminary"
    assert read(patient(), obs).patient.weight_kg is None


def test_future_observation_is_not_used() -> None:
    when = (NOW + timedelta(days=3)).date().isoformat()
    record = read(patient(), quantity_obs("w", "29463-7", 70, "kg", when=when))
    assert record.patient.weight_kg is None
    assert record.findings[0].code == "fhir-observation-future"


def test_active_mapped_condition_becomes_its_id_and_fires_the_rule() -> None:
    # diltiazem is contraindicated in sick sinus syndrome without a pacemaker (label)
    record = read(patient(), condition("c", "36083008"))
    assert record.patient.conditions == ("sick-sinus-syndrome",)
    plan = calcidose.dose("diltiazem", record.patient)
    assert plan.status == "contraindicated"


@pytest.mark.parametrize("status", ["resolved", "inactive", "remission"])
def test_inactive_condition_is_not_read(status: str) -> None:
    assert read(patient(), condition("c", "36083008", status=status)).patient.conditions == ()


def test_refuted_condition_is_not_read() -> None:
    c = condition("c", "36083008")
    c["verificationStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "refuted",
            }
        ]
    }
    assert read(patient(), c).patient.conditions == ()


def test_unmapped_condition_is_named_in_a_cannot_check_finding() -> None:
    record = read(patient(), condition("c", "38341003", display="Hypertensive disorder"))
    (named,) = record.patient.conditions
    assert named == "SNOMED CT 38341003 (Hypertensive disorder)"
    plan = calcidose.dose("diltiazem", record.patient)
    unknown = [f for f in plan.findings if f.code == "unknown-condition"]
    assert unknown and "38341003" in unknown[0].message and unknown[0].severity == "cannot-check"


def test_active_medications_by_rxnorm_and_unmapped_ones_named() -> None:
    record = read(
        patient(),
        med("MedicationStatement", "m1", "21212"),  # clarithromycin
        med("MedicationRequest", "m2", "11289"),  # warfarin
        med("MedicationStatement", "m3", "3443", status="stopped"),  # not taken any more
        med("MedicationStatement", "m4", "999999", display="something else"),
    )
    assert record.patient.medications == tuple(
        sorted(["clarithromycin", "warfarin", "RxNorm 999999 (something else)"])
    )


def test_medication_reference_to_a_contained_medication() -> None:
    statement = med("MedicationStatement", "m1", "0")
    del statement["medicationCodeableConcept"]
    statement["contained"] = [
        {
            "resourceType": "Medication",
            "id": "med",
            "code": {"coding": [{"system": RXNORM, "code": "2683"}]},
        }
    ]
    statement["medicationReference"] = {"reference": "#med"}
    assert read(patient(), statement).patient.medications == ("colchicine",)


def test_allergy_to_a_tetracycline_by_rxnorm_is_the_tetracycline_allergy() -> None:
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": RXNORM, "code": "3640", "display": "doxycycline"}]},
        "patient": {"reference": "Patient/p1"},
    }
    record = read(patient(), allergy)
    assert record.patient.conditions == ("tetracycline-allergy",)
    assert calcidose.dose("minocycline", record.patient).status == "contraindicated"


def test_resources_one_by_one_equal_the_bundle() -> None:
    items = [patient(), quantity_obs("w", "29463-7", 70, "kg")]
    assert read_resources(items, now=NOW).patient == read(*items).patient


@pytest.mark.parametrize(
    "bad",
    [
        {"resourceType": "Observation", "status": "final"},  # no code: invalid R4
        {"resourceType": "NotAThing"},
        {"id": "x"},
    ],
)
def test_invalid_resources_are_refused(bad: dict) -> None:
    with pytest.raises(FhirInputError):
        read(patient(), bad)


def test_implausible_value_is_refused_with_the_record_named() -> None:
    with pytest.raises(calcidose.CalcidoseError, match="unusable patient"):
        read(patient(), quantity_obs("w", "29463-7", 7000, "kg"))


def test_not_a_bundle_is_refused() -> None:
    with pytest.raises(FhirInputError):
        read_bundle({"resourceType": "Patient"}, now=NOW)
    assert math.isfinite(1.0)
