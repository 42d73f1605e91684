"""The bad-input catalogue: every bad input ends in a typed error, never a dose or a traceback.

The inputs are data (``tests/data/bad_inputs/*.toml`` and the patient files beside them), each
with the exact :mod:`calcidose.errors` class it must raise and, for the classic medication-error
shapes (lb read as kg, mg vs mcg, per-dose vs per-day, daily vs weekly, a 10x slip, a unit of
the wrong dimension), the hand reasoning of why calcidose can catch it.

Every case goes through the Python API (the exact error class) and, where it can be typed on a
command line, through ``calcidose.cli.main`` in-process: exit code 2, nothing on stdout, exactly
one line on stderr starting with ``calcidose: error:``. A handful also run the installed
console script in a subprocess to prove that no traceback reaches the user.

The in-process CLI cases run against :func:`strategies.reference_catalog` (a catalog whose
numbers the tests chose), so they do not change when the clinical tables do; the subprocess
cases use the shipped tables.

A hang guard (SIGALRM, 20 s) turns a hang into a failure.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from strategies import hang_guard, reference_catalog

import calcidose
import calcidose.catalog
from calcidose import errors, units
from calcidose.cli import main
from calcidose.frequency import parse_frequency
from calcidose.patient import Patient

DATA = Path(__file__).parent / "data" / "bad_inputs"
HANG_SECONDS = 20
REF = reference_catalog()
ADULT = {"age": "54 years", "sex": "female", "pregnant": False, "scr": "0.9 mg/dL"}


def _load(name: str) -> list[dict[str, Any]]:
    with open(DATA / name, "rb") as handle:
        cases: list[dict[str, Any]] = tomllib.load(handle)["case"]
    return cases


WEIGHTS = _load("weights.toml")
AGES = _load("ages.toml")
UNITS = _load("units.toml")
AMOUNTS = _load("amounts.toml")
FREQUENCIES = _load("frequencies.toml")
PATIENTS = _load("patients.toml")


def _params(cases: list[dict[str, Any]], *, cli: bool = False) -> list[Any]:
    out = []
    for n, case in enumerate(cases):
        if cli and (case.get("cli") is False or not isinstance(case["input"], str)):
            continue
        marks = []
        if "xfail" in case:
            marks.append(pytest.mark.xfail(strict=True, reason=case["xfail"]))
        label = case.get("file") or f"{n:02d}-{case.get('input')!r}"[:60]
        out.append(pytest.param(case, id=label, marks=marks))
    return out


def _expect(case: dict[str, Any]) -> type[errors.CalcidoseError]:
    cls = getattr(errors, case["error"])
    assert issubclass(cls, errors.CalcidoseError)
    return cls  # type: ignore[no-any-return]


def _assert_error(exc: BaseException, case: dict[str, Any]) -> None:
    expected = _expect(case)
    if expected is errors.CalcidoseError:
        assert isinstance(exc, errors.CalcidoseError), repr(exc)
    else:
        assert type(exc) is expected, f"{type(exc).__name__} raised, {expected.__name__} expected"
    assert str(exc).strip(), "an error must say what is wrong"


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    with hang_guard(HANG_SECONDS):
        yield


@pytest.fixture
def ref_catalog(cli_reads: Callable[[Any], None]) -> None:
    """The CLI reads the reference catalog instead of the shipped tables."""
    cli_reads(REF)


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse errors exit through SystemExit
        code = exit_.code if isinstance(exit_.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2, (code, out, err)
    assert out == "", f"nothing may be printed on stdout (no dose): {out!r}"
    assert err.endswith("\n") and err.count("\n") == 1, f"exactly one line on stderr: {err!r}"
    assert err.startswith("calcidose: error: "), err
    assert "Traceback" not in err
    return err


# --- the catalogue's size is part of the contract -------------------------------------------------


def test_catalogue_sizes() -> None:
    """Issue 6 asks for at least 40 weights, 50 units, 20 ages, 20 amounts, 15 frequencies."""
    assert len(WEIGHTS) >= 40
    assert len(UNITS) >= 50
    assert len(AGES) >= 20
    assert len(AMOUNTS) >= 20
    assert len(FREQUENCIES) >= 15
    files = {p.name for p in (DATA / "patients").iterdir()}
    assert files == {c["file"] for c in PATIENTS}, "every patient file has a manifest entry"
    for case in (*WEIGHTS, *AGES, *UNITS, *AMOUNTS, *FREQUENCIES, *PATIENTS):
        _expect(case)


def test_classic_shapes_are_covered() -> None:
    shapes = " | ".join(
        str(c.get("shape", "")) for c in (*WEIGHTS, *AGES, *UNITS, *AMOUNTS, *FREQUENCIES)
    )
    for shape in (
        "lb read as kg",
        "decimal slip (10x)",
        "per-day where per-dose",
        "daily vs weekly",
        "dose unit of the wrong dimension",
        "µg (ISMP",
    ):
        assert shape in shapes, shape


# --- weights --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params(WEIGHTS))
def test_bad_weight_api(case: dict[str, Any]) -> None:
    with pytest.raises(errors.CalcidoseError) as info:
        Patient(weight=case["input"], age="54 years")
    _assert_error(info.value, case)


@pytest.mark.parametrize("case", _params(WEIGHTS, cli=True))
def test_bad_weight_cli(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    code, out, err = run_cli(capsys, ["dose", "refdrug", f"--weight={case['input']}", "--age=54y"])
    assert_one_line_error(code, out, err)
    assert "weight" in err


# --- ages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params(AGES))
def test_bad_age_api(case: dict[str, Any]) -> None:
    with pytest.raises(errors.CalcidoseError) as info:
        Patient(weight="70 kg", age=case["input"])
    _assert_error(info.value, case)


@pytest.mark.parametrize("case", _params(AGES, cli=True))
def test_bad_age_cli(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    code, out, err = run_cli(capsys, ["dose", "refdrug", "--weight=70kg", f"--age={case['input']}"])
    assert_one_line_error(code, out, err)
    assert "age" in err


# --- unit strings ---------------------------------------------------------------------------------

PATIENT_KINDS = ("weight", "height", "age", "scr", "crcl")


@pytest.mark.parametrize("case", _params(UNITS))
def test_bad_unit_parse(case: dict[str, Any]) -> None:
    with pytest.raises(errors.CalcidoseError) as info:
        units.parse(case["input"], case["kind"])
    _assert_error(info.value, case)


@pytest.mark.parametrize(
    "case", [p for p in _params(UNITS) if p.values[0]["kind"] in PATIENT_KINDS]
)
def test_bad_unit_patient(case: dict[str, Any]) -> None:
    with pytest.raises(errors.CalcidoseError) as info:
        Patient(**{case["kind"]: case["input"]})
    _assert_error(info.value, case)


@pytest.mark.parametrize(
    "case", [p for p in _params(UNITS, cli=True) if p.values[0]["kind"] in PATIENT_KINDS]
)
def test_bad_unit_cli(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    argv = ["dose", "refdrug", f"--{case['kind']}={case['input']}"]
    code, out, err = run_cli(capsys, argv)
    assert_one_line_error(code, out, err)
    assert case["kind"] in err


# --- order amounts and frequencies ----------------------------------------------------------------


@pytest.mark.parametrize("case", _params(AMOUNTS))
def test_bad_amount_parse(case: dict[str, Any]) -> None:
    with pytest.raises(errors.CalcidoseError) as info:
        units.parse(case["input"], "amount")
    _assert_error(info.value, case)


@pytest.mark.parametrize("case", _params(FREQUENCIES))
def test_bad_frequency_parse(case: dict[str, Any]) -> None:
    with pytest.raises(errors.CalcidoseError) as info:
        parse_frequency(case["input"])
    _assert_error(info.value, case)


def _check() -> Any:
    import calcidose

    return calcidose.check


@pytest.mark.parametrize("case", _params([c for c in AMOUNTS if c.get("order", True)]))
def test_bad_amount_order(case: dict[str, Any]) -> None:
    check = _check()
    patient = Patient(weight="70 kg", **ADULT)
    with pytest.raises(errors.CalcidoseError) as info:
        check("refdrug", case["input"], "three times daily", patient, catalog=REF)
    assert isinstance(info.value, errors.CalcidoseError)


@pytest.mark.parametrize("case", _params(FREQUENCIES))
def test_bad_frequency_order(case: dict[str, Any]) -> None:
    check = _check()
    patient = Patient(weight="70 kg", **ADULT)
    with pytest.raises(errors.CalcidoseError) as info:
        check("refdrug", "90 mg", case["input"], patient, catalog=REF)
    _assert_error(info.value, {**case, "error": case.get("order_error", case["error"])})


ADULT_OPTIONS = ["--weight=70kg", "--age=54y", "--sex=female", "--not-pregnant", "--scr=0.9mg/dL"]


@pytest.mark.parametrize("case", _params([c for c in AMOUNTS if c.get("order", True)], cli=True))
def test_bad_amount_cli(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    argv = ["check", "refdrug", case["input"], "three times daily", *ADULT_OPTIONS]
    assert_one_line_error(*run_cli(capsys, argv))


@pytest.mark.parametrize("case", _params(FREQUENCIES, cli=True))
def test_bad_frequency_cli(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    argv = ["check", "refdrug", "90 mg", case["input"], *ADULT_OPTIONS]
    assert_one_line_error(*run_cli(capsys, argv))


# --- patient JSON files ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params([c for c in PATIENTS if c.get("api", True)]))
def test_bad_patient_json_api(case: dict[str, Any]) -> None:
    data = json.loads((DATA / "patients" / case["file"]).read_text(encoding="utf-8"))
    with pytest.raises(errors.CalcidoseError) as info:
        Patient.from_dict(data)
    _assert_error(info.value, case)


@pytest.mark.parametrize("case", _params(PATIENTS))
def test_bad_patient_json_cli(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    path = DATA / "patients" / case["file"]
    code, out, err = run_cli(capsys, ["dose", "refdrug", "--patient", str(path)])
    assert_one_line_error(code, out, err)


def test_patient_file_missing_and_directory(
    capsys: pytest.CaptureFixture[str], ref_catalog: None, tmp_path: Path
) -> None:
    for path in (tmp_path / "absent.json", tmp_path):
        code, out, err = run_cli(capsys, ["dose", "refdrug", "--patient", str(path)])
        assert "cannot read patient file" in assert_one_line_error(code, out, err)


def test_patient_given_twice(
    capsys: pytest.CaptureFixture[str], ref_catalog: None, tmp_path: Path
) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"weight": "70 kg"}))
    argv = ["dose", "refdrug", "--patient", str(path), "--weight=70kg"]
    assert "both" in assert_one_line_error(*run_cli(capsys, argv))


@pytest.mark.parametrize("lab", ["hbsag", "hbsag=", "hbsag=pos", "hiv=positive", "=positive"])
def test_bad_lab_option(lab: str, capsys: pytest.CaptureFixture[str], ref_catalog: None) -> None:
    assert_one_line_error(*run_cli(capsys, ["dose", "refdrug", "--weight=70kg", f"--lab={lab}"]))


# --- pint quantities (API only) -------------------------------------------------------------------


def _pint_cases() -> list[tuple[str, Any, type[errors.CalcidoseError]]]:
    ureg = calcidose.ureg
    return [
        ("negative kg", ureg.Quantity(-70, "kg"), errors.QuantityError),
        ("NaN kg", ureg.Quantity(math.nan, "kg"), errors.QuantityError),
        ("inf kg", ureg.Quantity(math.inf, "kg"), errors.QuantityError),
        ("mg for weight", ureg.Quantity(70, "mg"), errors.UnitError),
        ("cm for weight", ureg.Quantity(70, "cm"), errors.UnitError),
        ("700 kg", ureg.Quantity(700, "kg"), errors.ImplausibleValueError),
        ("1540 lb", ureg.Quantity(1540, "lb"), errors.ImplausibleValueError),
        # a complex magnitude is not a real number (a Fraction is, and is converted exactly)
        ("complex magnitude", ureg.Quantity(complex(70, 0), "kg"), errors.QuantityTypeError),
        ("kg/m**2", ureg.Quantity(70, "kg/m**2"), errors.UnitError),
    ]


@pytest.mark.parametrize("label", [c[0] for c in _pint_cases()])
def test_bad_pint_weight(label: str) -> None:
    _, value, expected = next(c for c in _pint_cases() if c[0] == label)
    with pytest.raises(errors.CalcidoseError) as info:
        Patient(weight=value)
    assert type(info.value) is expected


def test_pint_default_registry_quantity_is_read_exactly() -> None:
    """A quantity of another pint registry is read by unit name with calcidose's own factor."""
    import pint

    other = pint.UnitRegistry()
    # 154 lb x 0.45359237 = 69.85322498 kg (exact factor, by hand)
    assert Patient(weight=other.Quantity(154, "lb")).weight_kg == pytest.approx(69.85322498)
    with pytest.raises(errors.UnitError):
        Patient(weight=other.Quantity(70, "stone"))


# --- names ----------------------------------------------------------------------------------------

BAD_DRUGS = ["ref drug", "refdrugg", "", "ref-interactor", "ref_drug", "refdrugs"]
#: issue 11 §5: drug ids ignore case and surrounding spaces; these name refdrug
SAME_DRUG = ["REFDRUG", "refdrug ", " refdrug", "RefDrug"]


@pytest.mark.parametrize("name", SAME_DRUG)
def test_drug_id_case_and_spaces_do_not_matter(name: str, ref_catalog: None) -> None:
    assert calcidose.dose(name, Patient(weight="70 kg"), catalog=REF).drug == "refdrug"


@pytest.mark.parametrize("name", BAD_DRUGS)
def test_unknown_drug(name: str, capsys: pytest.CaptureFixture[str], ref_catalog: None) -> None:
    with pytest.raises(errors.UnknownDrugError):
        calcidose.dose(name, Patient(weight="70 kg"), catalog=REF)
    assert_one_line_error(*run_cli(capsys, ["dose", name, "--weight=70kg"]))


def test_unknown_regimen(capsys: pytest.CaptureFixture[str], ref_catalog: None) -> None:
    # refdrug has one regimen, "oral": ids are lowercase slugs, so "ORAL" names it (issue 11
    # §5, ids ignore case); "rectal" and "or al" name nothing
    assert calcidose.dose("refdrug", Patient(weight="70 kg"), "ORAL", catalog=REF).regimen == "oral"
    for name in ("rectal", "or al"):
        with pytest.raises(errors.UnknownRegimenError):
            calcidose.dose("refdrug", Patient(weight="70 kg"), name, catalog=REF)
    assert_one_line_error(*run_cli(capsys, ["dose", "refdrug", "--regimen", "iv"]))


@pytest.mark.parametrize(
    "argv",
    [
        ["dose"],
        ["dose", "refdrug", "--sex", "f"],
        ["dose", "refdrug", "--weight"],
        ["dose", "refdrug", "--format", "xml"],
        ["dose", "refdrug", "--pregnant", "--not-pregnant"],
        ["dose", "refdrug", "--wieght=70kg"],
        ["frobnicate"],
        [],
    ],
    ids=lambda argv: " ".join(argv) or "(nothing)",
)
def test_bad_command_line(
    argv: list[str], capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    assert_one_line_error(*run_cli(capsys, argv))


# --- the installed console script: no traceback ---------------------------------------------------


def _script() -> str:
    path = Path(sys.executable).with_name("calcidose")
    if not path.exists():
        pytest.skip("the calcidose console script is not installed beside this Python")
    return str(path)


@pytest.mark.parametrize(
    "argv",
    [
        ["dose", "diltiazem", "--weight", "700kg", "--age", "54y"],  # 10x slip
        ["dose", "diltiazem", "--weight", "154", "--age", "54y"],  # bare number
        ["dose", "diltiazem", "--weight", "70mg", "--age", "54y"],  # wrong dimension
        ["dose", "diltiazem", "--weight", "70kg", "--age", "540y"],  # 10x slip in age
        ["dose", "diltiazem", "--weight", "70kg", "--sex", "F"],  # argparse
        ["dose", "no-such-drug", "--weight", "70kg"],
    ],
    ids=lambda argv: " ".join(argv[1:]),
)
def test_console_script_one_line_no_traceback(argv: list[str]) -> None:
    done = subprocess.run(
        [_script(), *argv], capture_output=True, text=True, timeout=60, check=False
    )
    assert_one_line_error(done.returncode, done.stdout, done.stderr)


def test_console_script_huge_weight_no_traceback() -> None:
    done = subprocess.run(
        [_script(), "dose", "diltiazem", "--weight", "1" + "0" * 29 + "kg"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_one_line_error(done.returncode, done.stdout, done.stderr)


def test_console_script_deep_patient_json_no_traceback() -> None:
    done = subprocess.run(
        [_script(), "dose", "diltiazem", "--patient", str(DATA / "patients" / "deep-nesting.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_one_line_error(done.returncode, done.stdout, done.stderr)


def test_console_script_bad_tables_env(tmp_path: Path) -> None:
    """CALCIDOSE_TABLES naming a broken overlay: one line, exit 2, the overlay named."""
    overlay = Path(__file__).parent / "fixtures" / "bad_tables" / "dose-unit-wrong-dimension"
    env = {"CALCIDOSE_TABLES": str(overlay), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [_script(), "drugs"], capture_output=True, text=True, timeout=60, check=False, env=env
    )
    err = assert_one_line_error(done.returncode, done.stdout, done.stderr)
    assert str(overlay) in err


# --- the classic shapes that no parser can refuse: caught by the dose arithmetic ------------------


def test_lb_read_as_kg_plausible_value_is_not_refused_but_visible() -> None:
    """154 kg for a 154 lb patient is a plausible weight: calcidose cannot refuse it.

    What it does instead: the dose doubles and the cap shows it. Hand calculation with refdrug
    (2-4 mg/kg/day, cap 480 mg/day): 154 lb = 69.853 kg -> 139.7 to 279.4 mg/day; 154 kg ->
    308 to 616 mg/day, capped at 480 mg/day with a 'capped' finding, and the trace repeats the
    weight as typed so the pharmacist sees '154 kg'.
    """
    right = calcidose.dose("refdrug", Patient(weight="154 lb", **ADULT), catalog=REF)
    wrong = calcidose.dose("refdrug", Patient(weight="154 kg", **ADULT), catalog=REF)
    assert right.dose is not None and wrong.dose is not None
    assert right.dose.high == pytest.approx(4 * 154 * 0.45359237)
    assert wrong.dose.low == pytest.approx(2 * 154) and wrong.dose.high == 480
    assert any(f.code == "capped" for f in wrong.findings)
    assert any("154 kg" in step.text() for step in wrong.trace)


# --- weight with height: a body mass index no human has -------------------------------------------

BUILDS = [
    ("70 kg", "17 cm", "decimal slip: 170 cm typed 17 cm, outside 30-250 cm"),
    ("70 kg", "30 cm", "BMI 70 / 0.3^2 = 778 > 250"),
    ("7 kg", "170 cm", "BMI 7 / 1.7^2 = 2.4 < 3 (70 kg with a slipped decimal)"),
    ("400 kg", "100 cm", "BMI 400 / 1^2 = 400 > 250"),
    ("154 kg", "67 cm", "lb read as kg and in read as cm: BMI 154 / 0.67^2 = 343"),
]


@pytest.mark.parametrize(("weight", "height", "why"), BUILDS, ids=[b[2][:30] for b in BUILDS])
def test_implausible_build(
    weight: str, height: str, why: str, capsys: pytest.CaptureFixture[str], ref_catalog: None
) -> None:
    with pytest.raises(errors.ImplausibleValueError):
        Patient(weight=weight, height=height)
    argv = ["dose", "refdrug", f"--weight={weight}", f"--height={height}"]
    assert_one_line_error(*run_cli(capsys, argv))


# --- the classic shapes in written orders: refused, or caught by the verdict ----------------------
# refdrug: 2 to 4 mg/kg/day, label cap 480 mg/day. For 70 kg: 140 to 280 mg/day.
# weeklydrug: 10 to 25 mg once weekly, label cap 25 mg/week.

ORDER_SHAPES = [
    # (drug, amount, frequency, verdict, hand calculation)
    ("refdrug", "90 mg", "three times daily", "within-range", "90 x 3 = 270 mg/day, in 140-280"),
    (
        "refdrug",
        "90 mcg",
        "three times daily",
        "below-range",
        "mg vs mcg: 0.09 x 3 = 0.27 mg/day < 140",
    ),
    (
        "refdrug",
        "900 mg",
        "three times daily",
        "exceeds-maximum",
        "decimal slip (10x): 900 x 3 = 2,700 mg/day > 480 (label)",
    ),
    (
        "refdrug",
        "270 mg",
        "three times daily",
        "exceeds-maximum",
        "per-day written as per-dose: 270 x 3 = 810 mg/day > 480",
    ),
    ("refdrug", "90 g", "tid", "exceeds-maximum", "mg vs g: 90,000 x 3 mg/day > 480"),
    ("refdrug", "9 mg", "tid", "below-range", "decimal slip (1/10): 9 x 3 = 27 mg/day < 140"),
    (
        "weeklydrug",
        "10 mg",
        "daily",
        "exceeds-maximum",
        "daily vs weekly: 10 x 7 = 70 mg/week > 25 (label)",
    ),
    ("weeklydrug", "10 mg", "weekly", "within-range", "10 mg/week, in 10-25"),
    ("weeklydrug", "2.5 mg", "once weekly", "below-range", "2.5 < 10 mg/week"),
]


@pytest.mark.parametrize(
    ("drug", "amount", "frequency", "verdict", "why"),
    ORDER_SHAPES,
    ids=[f"{s[0]} {s[1]} {s[2]}" for s in ORDER_SHAPES],
)
def test_order_shapes_are_caught(
    drug: str, amount: str, frequency: str, verdict: str, why: str
) -> None:
    check = _check()
    patient = Patient(weight="70 kg", **ADULT)
    result = check(drug, amount, frequency, patient, catalog=REF)
    assert result.verdict == verdict, why


@pytest.mark.parametrize(
    ("drug", "amount", "frequency", "verdict", "why"),
    ORDER_SHAPES,
    ids=[f"{s[0]} {s[1]} {s[2]}" for s in ORDER_SHAPES],
)
def test_order_shapes_exit_codes(
    drug: str,
    amount: str,
    frequency: str,
    verdict: str,
    why: str,
    capsys: pytest.CaptureFixture[str],
    ref_catalog: None,
) -> None:
    """The CLI's verdict: exit 0 within range, 1 out of range or above a maximum (never 2)."""
    code, out, err = run_cli(capsys, ["check", drug, amount, frequency, *ADULT_OPTIONS])
    assert code == (0 if verdict == "within-range" else 1), (why, out, err)
    assert err == ""


# --- the one-line messages: what the user reads ---------------------------------------------------
# The message is the contract of a refusal: it names the field, repeats the input and says what
# would be accepted. Pinned in full (the lists are built from the public whitelists), so a
# message that loses its field, its input or its list of accepted spellings fails here.

WEIGHT_UNITS = "kg, g, lb, lbs, oz"  # calcidose.units.ACCEPTED["weight"], in order
NOT_A_NUMBER = "is not a number followed by a unit"
MESSAGES = [
    (
        "70",
        f"weight '70' {NOT_A_NUMBER} (a bare number has no unit); accepted units: {WEIGHT_UNITS}",
    ),
    (
        ".5 kg",
        f"weight '.5 kg' {NOT_A_NUMBER} (write a leading zero: 0.5, not .5); "
        f"accepted units: {WEIGHT_UNITS}",
    ),
    (
        "70,5 kg",
        f"weight '70,5 kg' {NOT_A_NUMBER} (no thousands separators or decimal commas: "
        f"write 1000 or 1.5); accepted units: {WEIGHT_UNITS}",
    ),
    (
        "-70 kg",
        f"weight '-70 kg' {NOT_A_NUMBER} (the value must not be negative); "
        f"accepted units: {WEIGHT_UNITS}",
    ),
    ("seventy kg", f"weight 'seventy kg' {NOT_A_NUMBER}; accepted units: {WEIGHT_UNITS}"),
    ("70 KG", f"weight '70 KG': unit 'KG' is not accepted; accepted units: {WEIGHT_UNITS}"),
    ("0 kg", "weight '0 kg': the value must be greater than zero"),
    (
        "700 kg",
        "weight '700 kg' (700 kg) is outside the plausible range 0.3 to 500 kg; check "
        "the value and its unit",
    ),
]


@pytest.mark.parametrize(("text", "message"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_weight_messages(text: str, message: str) -> None:
    with pytest.raises(errors.CalcidoseError) as info:
        Patient(weight=text)
    assert str(info.value) == message


def test_quantity_type_messages() -> None:
    with pytest.raises(errors.QuantityError) as info:
        units.parse(5, "weight")
    assert str(info.value) == (
        f"weight 5 is a bare number: give it with a unit, e.g. '5 kg'; accepted units: "
        f"{WEIGHT_UNITS}"
    )
    with pytest.raises(errors.QuantityError) as info:
        units.parse([70, "kg"], "weight")
    assert str(info.value) == "weight must be a string with a unit or a pint quantity, not list"
    with pytest.raises(ValueError, match=r"^unknown quantity kind 'mass'$") as plain:
        units.parse("70 kg", "mass")  # type: ignore[arg-type]
    assert not isinstance(plain.value, errors.CalcidoseError), "a programming error, not input"


def test_pint_messages() -> None:
    ureg = calcidose.ureg
    cases = [
        (ureg.Quantity(-70, "kg"), "the value must not be negative"),
        (ureg.Quantity(math.nan, "kg"), "the value must be a finite number"),
        (
            ureg.Quantity(complex(70, 0), "kg"),
            "the magnitude must be a single real number, not complex",
        ),
        (
            ureg.Quantity(70, "mg"),
            "unit 'milligram' is not accepted; accepted units: kilogram, gram, pound, ounce",
        ),
    ]
    for quantity, tail in cases:
        with pytest.raises(errors.CalcidoseError) as info:
            units.parse(quantity, "weight")
        assert str(info.value) == f"weight {quantity!r}: {tail}"


def test_ucum_message() -> None:
    with pytest.raises(errors.UnitError) as info:
        units.ucum("mg/day")
    assert str(info.value) == (
        f"unit 'mg/day' is not accepted; accepted UCUM codes: {', '.join(units.UCUM)}"
    )
    assert units.ucum_display("ug") == "mcg" and units.ucum_display("mg/d") == "mg/day"


def test_frequency_messages() -> None:
    from calcidose.frequency import FREQUENCIES as ALL
    from calcidose.frequency import by_id

    words = ", ".join(sorted({w for f in ALL for w in f.words}))
    ids = ", ".join(f.id for f in ALL)
    cases = [
        (lambda: parse_frequency(3), "frequency must be text, not int"),
        (
            lambda: parse_frequency("qd"),
            "frequency 'qd' is an ISMP error-prone abbreviation: write 'daily' (qd is mistaken "
            "for qid)",
        ),
        (
            lambda: parse_frequency("thrice daily"),
            f"frequency 'thrice daily' is not recognised; accepted: {words}",
        ),
        (lambda: by_id("tid"), f"unknown frequency id 'tid'; known ids: {ids}"),
        (lambda: by_id("once").per_day, "once (single administration) has no per-day rate"),
    ]
    for call, message in cases:
        with pytest.raises(errors.FrequencyError) as info:
            call()
        assert str(info.value) == message


KNOWN_FIELDS = (
    "age, conditions, crcl, crcl_weight, height, labs, lactating, medications, pregnant, scr, "
    "sex, weight"
)
PATIENT_MESSAGES: list[tuple[str, Any, str]] = [
    ("sex", lambda: Patient(sex="F"), "sex must be 'female' or 'male', not 'F'"),
    (
        "pregnant",
        lambda: Patient(pregnant="yes"),
        "pregnant must be true, false or not given (unknown), not 'yes'",
    ),
    (
        "lactating",
        lambda: Patient(lactating=1),
        "lactating must be true, false or not given (unknown), not 1",
    ),
    (
        "male lactating",
        lambda: Patient(sex="male", lactating=True),
        "a male patient cannot be recorded as pregnant or lactating",
    ),
    (
        "male pregnant",
        lambda: Patient(sex="male", pregnant=True),
        "a male patient cannot be recorded as pregnant or lactating",
    ),
    (
        "empty condition",
        lambda: Patient(conditions=["ref-block", " "]),
        "conditions must be a list of non-empty ids, got ' '",
    ),
    (
        "medication None",
        lambda: Patient(medications=[None]),
        "medications must be a list of non-empty ids, got None",
    ),
    (
        "unknown lab",
        lambda: Patient(labs={"hiv": "positive"}),
        "unknown lab 'hiv'; known labs: hbsag, anti-hbc, tb-screen",
    ),
    (
        "lab value",
        lambda: Patient(labs={"hbsag": "pos"}),
        "lab hbsag must be one of positive, negative, not 'pos'",
    ),
    (
        "not an object",
        lambda: Patient.from_dict([]),
        "a patient must be a JSON object (a mapping), not list",
    ),  # type: ignore[arg-type]
    (
        "unknown fields",
        lambda: Patient.from_dict({"wieght": "70 kg", "foo": 1}),
        f"unknown patient field(s) foo, wieght; known: {KNOWN_FIELDS}",
    ),
    (
        "value without unit",
        lambda: Patient.from_dict({"height": {"value": 170}}),
        "height must be {'value': number, 'unit': text}, got {'value': 170}",
    ),
    (
        "value as text",
        lambda: Patient.from_dict({"scr": {"value": "1.2", "unit": "mg/dL"}}),
        "scr value must be a number, got '1.2'",
    ),
    (
        "value NaN",
        lambda: Patient.from_dict({"crcl": {"value": math.nan, "unit": "mL/min"}}),
        "crcl value must be finite, got nan",
    ),
    (
        "unit not text",
        lambda: Patient.from_dict({"age": {"value": 54, "unit": 5}}),
        "age unit must be text, got 5",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"), [pytest.param(c, m, id=n) for n, c, m in PATIENT_MESSAGES]
)
def test_patient_messages(call: Any, message: str) -> None:
    with pytest.raises(errors.PatientError) as info:
        call()
    assert str(info.value) == message


# --- the edges of the plausibility windows are inside them ----------------------------------------
# calcidose.patient.PLAUSIBLE: weight 0.3-500 kg, height 30-250 cm, age 0-130 years,
# creatinine 0.1-25 mg/dL, CrCl 1-250 mL/min, all bounds inclusive.

EDGES = [
    ("weight", "0.3 kg", "0.29 kg", 0.3),
    ("weight", "500 kg", "500.01 kg", 500.0),
    ("height", "30 cm", "29.9 cm", 30.0),
    ("height", "250 cm", "250.1 cm", 250.0),
    ("age", "0 d", None, 0.0),
    ("age", "130 years", "130.01 years", 130.0),
    ("scr", "0.1 mg/dL", "0.09 mg/dL", 0.1),
    ("scr", "25 mg/dL", "25.1 mg/dL", 25.0),
    ("crcl", "1 mL/min", "0.9 mL/min", 1.0),
    ("crcl", "250 mL/min", "250.1 mL/min", 250.0),
]


@pytest.mark.parametrize(("kind", "inside", "outside", "value"), EDGES)
def test_window_edges(kind: str, inside: str, outside: str | None, value: float) -> None:
    patient = Patient(**{kind: inside})
    suffix = {"weight": "kg", "height": "cm", "age": "years", "scr": "mg_dl", "crcl": "ml_min"}
    assert getattr(patient, f"{kind}_{suffix[kind]}") == pytest.approx(value)
    if outside is not None:
        with pytest.raises(errors.ImplausibleValueError):
            Patient(**{kind: outside})
