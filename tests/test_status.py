"""Issue 10 section 4: nothing major reads as safe.

The overall answer of a dose plan and of an order check (status, text headline, exit code)
reflects the worst finding. The mapping is written once in calcidose.results (STATUSES,
EXIT_CODES) and calcidose.engine.orders (VERDICT_EXIT, order_exit_code); these tests check it on the
shipped tables over every drug and a grid of patients, and on the four orders of the issue.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import calcidose
from calcidose.catalog import get_catalog
from calcidose.engine.orders import VERDICTS, order_exit_code, order_status
from calcidose.frequency import by_id
from calcidose.results import EXIT_CODES, STATUSES, Finding, exit_code, is_complete, status_of

SCHEMAS = Path(calcidose.__file__).parent / "schemas"
PLAN_SCHEMA = json.loads((SCHEMAS / "dose-plan.schema.json").read_text())
ORDER_SCHEMA = json.loads((SCHEMAS / "order-check.schema.json").read_text())

ADULT: dict[str, Any] = {
    "weight": "70 kg",
    "height": "170 cm",
    "age": "54 years",
    "sex": "male",
    "labs": {"hbsag": "negative", "anti-hbc": "negative", "tb-screen": "negative"},
}

#: A grid of patients: renal bands (by clearance and by haemodialysis), a child, interacting
#: medications and conditions that the tables name, positive hepatitis B serology.
GRID: list[dict[str, Any]] = [
    {},
    {"crcl": "90 mL/min"},
    {"crcl": "55 mL/min"},
    {"crcl": "40 mL/min"},
    {"crcl": "34 mL/min"},
    {"crcl": "25 mL/min"},
    {"crcl": "12 mL/min"},
    {"conditions": ["hemodialysis"]},
    {"age": "10 years", "weight": "30 kg", "height": "135 cm"},
    {"sex": "female", "age": "30 years", "pregnant": True},
    {"medications": ["beta-blocker", "aspirin", "clarithromycin"]},
    {"conditions": ["heart-failure-nyha-3-4", "hypotension"]},
    {"labs": {"hbsag": "positive", "anti-hbc": "positive", "tb-screen": "negative"}},
]


def patient(**changes: Any) -> calcidose.Patient:
    data = {**ADULT, **changes}
    return calcidose.Patient(**{k: v for k, v in data.items() if v is not None})


DRUGS = sorted(get_catalog().drugs)


# --- the mapping itself ----------------------------------------------------------------------


def test_status_precedence_and_exit_codes_are_the_documented_table() -> None:
    # docs/checking.md "Status, headline and exit code": worst known first; a known major
    # finding is not hidden behind an unknown (verdict lane decision, 2026-12-03)
    assert STATUSES == ("contraindicated", "major", "not-dosable", "cannot-check", "caution", "ok")
    assert EXIT_CODES == {
        "ok": 0,
        "caution": 0,
        "major": 1,
        "contraindicated": 1,
        "not-dosable": 3,
        "cannot-check": 3,
    }


@pytest.mark.parametrize(
    ("severity", "status"),
    [
        ("contraindicated", "contraindicated"),
        ("cannot-check", "cannot-check"),
        ("major", "major"),
        ("moderate", "caution"),
        ("minor", "ok"),
        ("info", "ok"),
    ],
)
def test_each_severity_alone_gives_its_status(severity: Any, status: str) -> None:
    assert status_of((Finding(severity, "x", "m"),)) == status


def test_major_beside_lesser_findings_is_major_and_never_exits_0() -> None:
    findings = tuple(Finding(s, s, "m") for s in ("info", "minor", "moderate", "major"))
    assert status_of(findings) == "major"
    assert exit_code(status_of(findings)) == 1


@pytest.mark.parametrize("verdict", VERDICTS)
def test_a_major_finding_never_exits_0_whatever_the_verdict(verdict: str) -> None:
    findings = [Finding("major", "x", "m")]
    status = order_status(verdict, findings)
    assert status not in ("ok", "caution")
    assert order_exit_code(status, verdict) != 0


def test_exceeds_maximum_is_at_least_major_and_out_of_range_exits_1() -> None:
    assert order_status("exceeds-maximum", []) == "major"
    # below or above the calcinosis range: the finding is moderate (caution) but the order is
    # not given as written: exit 1, as before issue 10
    assert order_exit_code("caution", "below-range") == 1
    assert order_exit_code("ok", "above-range") == 1
    assert order_exit_code("ok", "within-range") == 0
    assert order_exit_code("caution", "within-range") == 0
    assert order_exit_code("cannot-check", "cannot-check") == 3
    assert order_exit_code("major", "cannot-check") == 1


# --- the four orders of the issue ------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "calcidose.cli", *args], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout


ADULT_ARGS = ("--weight", "70kg", "--height", "170cm", "--age", "54y", "--sex", "male")
NEG_LABS = ("--lab", "anti-hbc=negative", "--lab", "tb-screen=negative")


@pytest.mark.parametrize(
    ("order", "extra"),
    [
        # rituximab label boxed warning: HBV reactivation in HBsAg-positive patients
        (("rituximab", "1000mg", "every 2 weeks"), ("--lab", "hbsag=positive", *NEG_LABS)),
        # alendronate label: not recommended at CrCl below 35 mL/min
        (("alendronate", "70mg", "weekly"), ("--crcl", "34mL/min")),
        # diltiazem label: additive AV-conduction effects with beta-blockers
        (("diltiazem", "90mg", "tid"), ("--taking", "beta-blocker")),
        # probenecid label: salicylates antagonise the uricosuric action
        (("probenecid", "500mg", "bid"), ("--taking", "aspirin", "--crcl", "90mL/min")),
    ],
)
def test_the_issue_orders_do_not_exit_0(order: tuple[str, ...], extra: tuple[str, ...]) -> None:
    rc, out = _cli("check", *order, *ADULT_ARGS, *extra, "--format", "json")
    data = json.loads(out)
    jsonschema.validate(data, ORDER_SCHEMA)
    majors = [f for f in data["findings"] if f["severity"] in ("major", "contraindicated")]
    assert majors, data["findings"]
    assert data["status"] in ("major", "contraindicated", "cannot-check")
    assert rc != 0
    rc_text, text = _cli("check", *order, *ADULT_ARGS, *extra)
    assert rc_text == rc
    first = text.splitlines()[:4]
    assert not any(line == "VERDICT: WITHIN RANGE" for line in first)
    if data["status"] == "major":
        assert "!!! MAJOR FINDING - DO NOT GIVE WITHOUT REVIEW !!!" in first
        assert "Range verdict: WITHIN RANGE" in first or data["verdict"] != "within-range"


def test_a_major_plan_exits_1_with_the_major_headline() -> None:
    rc, out = _cli("dose", "diltiazem", *ADULT_ARGS, "--taking", "beta-blocker")
    assert out.splitlines()[1] == "!!! MAJOR FINDING - DO NOT GIVE WITHOUT REVIEW !!!"
    assert rc == 1


# --- properties over every drug x a grid of patients -----------------------------------------


@pytest.mark.parametrize("drug", DRUGS)
def test_plans_reflect_the_worst_finding(drug: str) -> None:
    validator = jsonschema.Draft202012Validator(PLAN_SCHEMA)
    for changes in GRID:
        plan = calcidose.dose(drug, patient(**changes))
        severities = {f.severity for f in plan.findings}
        validator.validate(plan.to_dict())
        if "contraindicated" in severities:
            assert plan.status == "contraindicated"  # contraindicated never passes as ok
        if "major" in severities:
            assert plan.status not in ("ok", "caution"), (drug, changes)
            assert plan.exit_code == 1  # never 0, and never 3: a known major is not hidden
        if plan.status in ("ok", "caution"):
            assert severities <= {"moderate", "minor", "info"}
        not_dosable = any(f.code == "not-dosable" for f in plan.findings)
        assert plan.complete == ("cannot-check" not in severities and not not_dosable)
        assert plan.to_dict()["complete"] is plan.complete


def _orders(drug: str) -> list[tuple[str | None, str, list[str]]]:
    """(regimen, frequency text, amounts spanning 1000-fold) for every regimen frequency."""
    out = []
    for regimen in get_catalog().drugs[drug].regimens:
        for freq_id in regimen.frequencies or ("once-daily",):
            out.append((regimen.id, by_id(freq_id).text, ["1 mg", "100 mg", "1000 mg"]))
    return out


@pytest.mark.parametrize("drug", DRUGS)
def test_orders_reflect_the_worst_finding(drug: str) -> None:
    validator = jsonschema.Draft202012Validator(ORDER_SCHEMA)
    for (regimen, freq, amounts), changes in itertools.product(_orders(drug), GRID[::3]):
        for amount in amounts:
            r = calcidose.check(drug, amount, freq, patient(**changes), regimen)
            validator.validate(r.to_dict())
            severities = {f.severity for f in r.findings}
            if "contraindicated" in severities:
                assert (r.status, r.verdict) == ("contraindicated", "contraindicated")
                assert r.exit_code == 1
            if "major" in severities:
                assert r.status not in ("ok", "caution"), (drug, amount, freq, changes)
                assert r.exit_code == 1
            if "cannot-check" in severities or r.verdict == "cannot-check":
                assert r.complete is False
            if r.exit_code == 0:
                assert r.verdict == "within-range"
                assert r.status in ("ok", "caution")


# --- a known major finding beside an unknown (verdict lane, 2026-12-03) ------------------------


def test_major_beside_cannot_check_is_major_and_incomplete() -> None:
    findings = (Finding("cannot-check", "x:cannot-check", "m"), Finding("major", "y", "m"))
    assert status_of(findings) == "major"
    assert exit_code("major") == 1
    # not dosable (no sourced range) does not hide a known major finding either
    assert status_of((Finding("major", "y", "m"),), dosable=False) == "major"
    # contraindicated still outranks everything
    assert status_of((*findings, Finding("contraindicated", "z", "m"))) == "contraindicated"
    assert not is_complete(findings)
    assert is_complete((Finding("major", "y", "m"),))
    assert not is_complete((Finding("major", "y", "m"),), dosable=False)


@pytest.mark.parametrize(
    ("line", "missing_word"),
    [
        # diltiazem label: beta-blocker (major); a woman of 30 with pregnancy status unknown
        # (the pregnancy rule cannot be decided)
        (
            "check diltiazem 60mg tid --weight 60kg --age 30y --sex female --taking atenolol",
            "pregnan",
        ),
        # probenecid label: salicylates antagonise it (major); no renal data, so the
        # "30 mL/minute or less" rule cannot be decided
        (
            "dose probenecid --weight 80kg --age 45y --sex male --taking aspirin",
            "crcl",
        ),
        # rituximab label boxed warning: HBsAg positive (major); anti-HBc not given
        (
            "check rituximab 375mg weekly --weight 80kg --height 180cm --age 45y --sex male"
            " --lab hbsag=positive --lab tb-screen=negative",
            "anti-hbc",
        ),
    ],
)
def test_a_known_major_finding_is_not_hidden_behind_an_unknown(
    line: str, missing_word: str
) -> None:
    args = tuple(line.split())
    rc, out = _cli(*args, "--format", "json")
    data = json.loads(out)
    jsonschema.validate(data, PLAN_SCHEMA if args[0] == "dose" else ORDER_SCHEMA)
    severities = {f["severity"] for f in data["findings"]}
    assert {"major", "cannot-check"} <= severities, data["findings"]
    assert (data["status"], data["complete"], rc) == ("major", False, 1)
    # the worst known finding is listed first, before what could not be checked
    assert data["findings"][0]["severity"] == "major"
    rc_text, text = _cli(*args)
    assert rc_text == 1
    head = text.splitlines()[:5]
    assert "!!! MAJOR FINDING - DO NOT GIVE WITHOUT REVIEW !!!" in head
    incomplete = [line for line in head if line.startswith("CHECK INCOMPLETE")]
    assert incomplete and missing_word in incomplete[0], head


def test_a_major_finding_on_a_drug_with_no_sourced_dose_exits_1() -> None:
    # aluminium hydroxide: KDIGO CKD-MBD 2017 advises against aluminium binders in CKD; CrCl
    # 20 mL/min is below the 60 of the rule. The table gives no calcinosis dose (not dosable).
    p = patient(crcl="20 mL/min")
    plan = calcidose.dose("aluminium-hydroxide", p)
    assert (plan.status, plan.complete, plan.exit_code) == ("major", False, 1)
    r = calcidose.check("aluminium-hydroxide", "300 mg", "tid", p)
    assert (r.verdict, r.status, r.complete, r.exit_code) == ("cannot-check", "major", False, 1)
    rc, text = _cli("dose", "aluminium-hydroxide", *ADULT_ARGS, "--crcl", "20mL/min")
    assert rc == 1 and "CHECK INCOMPLETE: no sourced range to compare with" in text
