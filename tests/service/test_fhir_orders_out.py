"""Draft MedicationRequests -> orders; findings -> DetectedIssue; refusals -> OperationOutcome;
plans -> Dosage; R4 round trips. Expectations: label figures and hand calculations beside them."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("fhir.resources")

from fhir_builders import NOW, bundle, draft, med, patient, quantity_obs
from hypothesis import given
from hypothesis import strategies as st

import calcidose
from calcidose.catalog import get_catalog
from calcidose.frequency import FREQUENCIES
from calcidose.io.fhir import (
    check_record,
    detected_issue,
    dosage,
    issue_code,
    operation_outcome,
    read_bundle,
)
from calcidose.io.fhir.orders import _frequency
from calcidose.io.fhir.write import _timing

CAT = get_catalog()
ADULT = (
    patient(gender="male", birth="1976-01-10"),  # 50 years old
    quantity_obs("w", "29463-7", 70, "kg"),
    quantity_obs("s", "2160-0", 0.8, "mg/dL"),
)


def record(*resources: dict[str, Any]):
    return read_bundle(bundle(*ADULT, *resources), now=NOW)


def one_order(*resources: dict[str, Any]):
    (result,) = check_record(record(*resources), CAT)
    return result


@given(st.sampled_from([f for f in FREQUENCIES if f.id != "once"]))
def test_every_frequency_round_trips_through_fhir_timing(f) -> None:
    assert _frequency(_timing(f.id)) == f.id


@pytest.mark.parametrize(
    ("count", "period", "unit", "expected"),
    [
        (3, 1, "d", "three-times-daily"),
        (1, 8, "h", "every-8-hours"),  # 24 / 8 = 3 a day, written as an interval
        (2, 1, "d", "twice-daily"),
        (1, 12, "h", "every-12-hours"),
        (1, 2, "d", "every-other-day"),
        (3, 1, "wk", "three-times-weekly"),
        (1, 1, "wk", "once-weekly"),
        (1, 4, "wk", "every-4-weeks"),
        (1, 1, "mo", "once-monthly"),
        (1, 24, "h", "once-daily"),
    ],
)
def test_timing_repeat_to_frequency(count: int, period: float, unit: str, expected: str) -> None:
    assert _frequency({"repeat": {"frequency": count, "period": period, "periodUnit": unit}}) == (
        expected
    )


def test_draft_order_fields_and_bounds_duration() -> None:
    boundsed = draft(
        "d1",
        "3443",
        90,
        "mg",
        3,
        1,
        "d",
        boundsDuration={
            "value": 12,
            "unit": "wk",
            "system": "http://unitsofmeasure.org",
            "code": "wk",
        },
    )
    (order,) = record(boundsed).orders
    assert (order.drug, order.amount, order.frequency, order.route) == (
        "diltiazem",
        "90 mg",
        "three-times-daily",
        "oral",
    )
    assert order.duration_days == 84.0  # 12 weeks x 7 days
    assert order.problem is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"repeat": {"frequency": 5, "period": 1, "periodUnit": "d"}}, "not a frequency"),
        ({"repeat": {"frequency": 1, "period": 5, "periodUnit": "h"}}, "whole number"),  # 4.8/d
        ({"repeat": {"frequency": 1, "frequencyMax": 2, "period": 1, "periodUnit": "d"}}, "range"),
        ({}, "no timing"),
    ],
)
def test_unreadable_timing_is_a_named_problem(change: dict, words: str) -> None:
    r = draft("d1", "3443", 90, "mg")
    r["dosageInstruction"][0]["timing"] = change
    result = one_order(r)
    assert result.check is None and words in (result.error or "")


def test_dose_range_prn_and_two_instructions_are_not_checked_as_one_order() -> None:
    ranged = draft("d1", "3443", 90, "mg")
    ranged["dosageInstruction"][0]["doseAndRate"] = [
        {"doseRange": {"low": {"value": 60, "unit": "mg"}, "high": {"value": 90, "unit": "mg"}}}
    ]
    prn = draft("d2", "2683", 0.6, "mg")
    prn["dosageInstruction"][0]["asNeededBoolean"] = True
    twice = draft("d3", "11289", 5, "mg")
    twice["dosageInstruction"].append(twice["dosageInstruction"][0])
    results = check_record(record(ranged, prn, twice), CAT)
    assert [r.check for r in results] == [None, None, None]
    assert ["doseQuantity" in r.error for r in results] == [True, False, False]
    assert "as-needed" in results[1].error and "2 dosage instructions" in results[2].error


def test_unmapped_drug_is_named_never_guessed() -> None:
    result = one_order(draft("d1", "6980", 100, "mg"))  # not in the map (not verified here)
    assert result.check is None and "RxNorm 6980" in result.error


def test_timing_code_bid() -> None:
    r = draft("d1", "2683", 0.6, "mg")
    r["dosageInstruction"][0]["timing"] = {"code": {"coding": [{"code": "BID"}]}}
    assert record(r).orders[0].frequency == "twice-daily"


def test_interaction_with_an_active_medication_is_a_drg_issue() -> None:
    # colchicine label: strong CYP3A4 inhibitors (clarithromycin) need a dose reduction
    result = one_order(
        draft("d1", "2683", 0.6, "mg", 2, 1, "d"), med("MedicationStatement", "m1", "21212")
    )
    drg = [f for f in result.check.findings if issue_code(f, CAT.drugs["colchicine"]) == "DRG"]
    assert drg, [f.code for f in result.check.findings]
    issue = detected_issue(
        drg[0],
        catalog=CAT,
        drug=CAT.drugs["colchicine"],
        patient_ref="Patient/p1",
        implicated=["MedicationRequest/d1"],
    )
    assert issue["code"]["coding"][0]["code"] == "DRG"
    assert issue["severity"] == {"contraindicated": "high", "major": "high"}.get(
        drg[0].severity, "moderate"
    )
    assert issue["implicated"] == [{"reference": "MedicationRequest/d1"}]


def test_another_draft_order_counts_as_taken() -> None:
    # clarithromycin drafted with colchicine: the colchicine order sees it (PDDI IG scenario)
    results = check_record(
        record(
            draft("d1", "2683", 0.6, "mg", 2, 1, "d"), draft("d2", "21212", 500, "mg", 2, 1, "d")
        ),
        CAT,
    )
    codes = [issue_code(f, CAT.drugs["colchicine"]) for f in results[0].check.findings]
    assert "DRG" in codes
    assert results[1].check is None and "clarithromycin" in results[1].error


def test_duplicate_therapy() -> None:
    result = one_order(
        draft("d1", "3443", 90, "mg", 3, 1, "d"), med("MedicationStatement", "m1", "3443")
    )
    (dup,) = result.extra
    assert (dup.severity, issue_code(dup, None)) == ("moderate", "DUPTHPY")


def test_above_label_maximum_is_doseh_high() -> None:
    # 300 mg three times daily = 900 mg/day, above the diltiazem label maximum (480 mg/day)
    result = one_order(draft("d1", "3443", 300, "mg", 3, 1, "d"))
    assert result.check.verdict == "exceeds-maximum"
    top = [f for f in result.check.findings if issue_code(f, CAT.drugs["diltiazem"]) == "DOSEH"]
    assert top and detected_issue(top[0], catalog=CAT)["severity"] == "high"


def test_below_range_is_dosel() -> None:
    # 30 mg once daily for 70 kg: the range is 2-4 mg/kg/day = 140-280 mg/day
    result = one_order(draft("d1", "3443", 30, "mg", 1, 1, "d"))
    assert result.check.verdict == "below-range"
    codes = {issue_code(f, CAT.drugs["diltiazem"]) for f in result.check.findings}
    assert "DOSEL" in codes


def test_operation_outcome_for_refusals() -> None:
    with pytest.raises(calcidose.UnknownDrugError) as caught:
        calcidose.check("nonsense", "1 mg", "daily", calcidose.Patient())
    out = operation_outcome(caught.value)
    assert out["resourceType"] == "OperationOutcome"
    assert out["issue"][0]["code"] == "not-found" and "nonsense" in out["issue"][0]["diagnostics"]


def test_dosage_prefill_for_diltiazem() -> None:
    # 70 kg x 2-4 mg/kg/day = 140-280 mg/day; three times daily 46.7-93.3 mg, in 30 mg tablets
    # inward: 60-90 mg (label strengths 30, 60, 90, 120 mg)
    plan = calcidose.dose("diltiazem", record().patient)
    tid = [
        d
        for d in dosage(plan)
        if d["timing"]["repeat"] == {"frequency": 3, "period": 1, "periodUnit": "d"}
    ]
    assert tid, dosage(plan)
    rng = tid[0]["doseAndRate"][0]["doseRange"]
    assert (rng["low"]["value"], rng["high"]["value"], rng["low"]["code"]) == (60, 90, "mg")
    assert tid[0]["route"]["coding"][0]["code"] == "26643006"


def test_contraindicated_plan_gives_no_dosage() -> None:
    p = calcidose.Patient(
        weight="70 kg", age="50 y", sex="male", conditions=["sick-sinus-syndrome"]
    )
    assert dosage(calcidose.dose("diltiazem", p)) == []


def _round_trip(resource: dict[str, Any], type_name: str) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class(type_name).model_validate(resource)
    assert json.loads(model.model_dump_json()) == json.loads(json.dumps(resource))


def test_r4_examples_round_trip() -> None:
    # shaped like the R4 specification's examples (observation-example: body weight 185 lbs;
    # medicationrequest with doseQuantity and timing.repeat; a searchset Bundle)
    weight = quantity_obs("example", "29463-7", 185, "[lb_av]", when="2016-03-28")
    request = draft("medrx0302", "3443", 90, "mg", 3, 1, "d")
    searchset = bundle(patient(), weight, request, kind="searchset")
    for resource, kind in (
        (weight, "Observation"),
        (request, "MedicationRequest"),
        (searchset, "Bundle"),
        (patient(), "Patient"),
    ):
        _round_trip(resource, kind)


def test_outputs_round_trip() -> None:
    result = one_order(draft("d1", "3443", 300, "mg", 3, 1, "d"))
    for f in result.check.findings:
        _round_trip(
            detected_issue(f, catalog=CAT, drug=CAT.drugs["diltiazem"], patient_ref="Patient/p1"),
            "DetectedIssue",
        )
    _round_trip(operation_outcome("bad input"), "OperationOutcome")
    for d in dosage(calcidose.dose("diltiazem", record().patient)):
        _round_trip(d, "Dosage")
