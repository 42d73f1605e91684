"""Issue 10: missing data gives cannot-check only where it can change the answer.

An unknown that decides a rule carrying a dose limit can change the range verdict (the limit
could bound the range): the verdict is cannot-check. An unknown that decides only a rule with
no dose limit cannot: the range verdict stands, the status is cannot-check (exit 3) and the
unknown is reported.
"""

from __future__ import annotations

import calcidose


def test_an_unknown_renal_limit_leaves_the_range_open() -> None:
    # etidronate, 70 kg, no renal data: 600 mg/day is within 5 to 10 mg/kg/day x 70 kg = 350 to
    # 700 mg/day, but at CrCl 20 to 50 mL/min the limit is 5 mg/kg/day x 70 kg = 350 mg/day
    # (UK Renal Drug Handbook): the unknown could make it exceed a maximum
    p = calcidose.Patient(weight="70 kg", age="60 years", sex="male")
    r = calcidose.check("etidronate", "600 mg", "daily", p)
    assert r.verdict == "cannot-check"
    assert "etidronate-renal-20-50:cannot-check" in {f.code for f in r.findings}
    # with the renal function known the same order is decided: 600 > 350 at CrCl 40
    known = calcidose.Patient(weight="70 kg", age="60 years", sex="male", crcl="40 mL/min")
    assert calcidose.check("etidronate", "600 mg", "daily", known).verdict == "exceeds-maximum"


def test_an_unknown_warning_without_a_limit_leaves_the_range_verdict_standing() -> None:
    # rituximab 1000 mg on days 1 and 15 (the label's course) with no hepatitis B results: the
    # HBV rule is a major warning with no dose limit
    p = calcidose.Patient(weight="70 kg", height="170 cm", age="54 years", sex="male")
    r = calcidose.check("rituximab", "1000 mg", "every 2 weeks", p)
    assert (r.verdict, r.status, r.complete, r.exit_code) == (
        "within-range",
        "cannot-check",
        False,
        3,
    )
    assert {"lab hbsag"} <= {m for f in r.findings for m in f.missing}
    # a larger order is still judged on its amount: 2000 mg per infusion is above the label's
    # 1000 mg per infusion (rituximab.toml, regimen cap, RA label)
    above = calcidose.check("rituximab", "2000 mg", "every 2 weeks", p)
    assert above.verdict == "exceeds-maximum"
