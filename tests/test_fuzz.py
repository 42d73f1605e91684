"""Fuzzing of the parsers and of the table loader, with Hypothesis (fast, in the test suite).

The long runs use the same targets through atheris (``scripts/fuzz.py``, docs/reliability.md).
The contract under fuzz is the same everywhere: an input is either accepted (and the result is
sane: finite, positive, inside the plausibility window) or refused with a typed
:class:`~calcidose.errors.CalcidoseError`; the CLI answers with exit 0-3 and, on exit 2, one
line on stderr. Never another exception, never a hang.

Crashes found by fuzzing are kept below as regression tests (``test_regression_*``), each with
the exact input (all fixed; a bug still open would be ``xfail(strict=True)``).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import strategies as S
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from calcidose import units
from calcidose.catalog import load_catalog, validate_directory
from calcidose.cli import main
from calcidose.engine.dosing import dose
from calcidose.errors import CalcidoseError, TableError, TableProblem
from calcidose.frequency import parse_frequency
from calcidose.patient import PLAUSIBLE, Patient

BASE = Path(__file__).parent / "fixtures" / "bad_tables" / "_base"
REF = S.reference_catalog()
KINDS = ("weight", "height", "age", "amount", "volume", "scr", "crcl")

#: Characters that matter to the quantity grammar, to steer the fuzzer towards near-misses.
ALPHABET = st.sampled_from(list("0123456789.,+-eE _/\t\nkgmlbozcinydaywkmoLdLuµμ%#'\"\x00"))
NEAR_MISS = st.text(ALPHABET, max_size=16)
ANY_TEXT = st.text(max_size=40)
SPELLINGS = sorted({s for kind in units.ACCEPTED.values() for s in kind})


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    with S.hang_guard(120):
        yield


# --- quantity parser -----------------------------------------------------------------------------


@st.composite
def mutated_quantities(draw: st.DrawFn) -> str:
    """A valid quantity text, then a few random edits (insert, delete, replace a character)."""
    number = draw(S.decimals("0", "100000", 4))
    space = draw(st.sampled_from(["", " ", "  "]))
    text = f"{S.plain(number)}{space}{draw(st.sampled_from(SPELLINGS))}"
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.characters())
        if action == "insert":
            text = text[:at] + char + text[at:]
        elif action == "delete" and at < len(text):
            text = text[:at] + text[at + 1 :]
        elif at < len(text):
            text = text[:at] + char + text[at + 1 :]
    return text


def check_parse(text: str, kind: str) -> None:
    try:
        value = units.parse(text, kind)  # type: ignore[arg-type]
    except CalcidoseError:
        return
    assert isinstance(value, float)
    assert math.isfinite(value)
    assert value > 0 or (kind == "age" and value == 0)
    # what was accepted is exactly a number and a whitelisted spelling
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(\S+)\s*", text)
    assert match is not None, f"accepted {text!r}"
    assert match.group(2) in units.ACCEPTED[kind]


@given(st.one_of(ANY_TEXT, NEAR_MISS, mutated_quantities()), st.sampled_from(KINDS))
def test_fuzz_quantity_parser(text: str, kind: str) -> None:
    check_parse(text, kind)


@given(st.one_of(ANY_TEXT, NEAR_MISS, mutated_quantities()))
def test_fuzz_patient_weight(text: str) -> None:
    try:
        patient = Patient(weight=text)
    except CalcidoseError:
        return
    low, high = PLAUSIBLE["weight"]
    assert patient.weight_kg is not None and low <= patient.weight_kg <= high


# --- frequency parser ----------------------------------------------------------------------------

FREQUENCY_WORDS = sorted({w for f in S.FREQUENCIES for w in f.words} | {"qd", "qod", "tiw"})


@st.composite
def mutated_frequencies(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(FREQUENCY_WORDS))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.characters()) + text[at + 1 :]
    return text


@given(st.one_of(ANY_TEXT, mutated_frequencies()))
def test_fuzz_frequency_parser(text: str) -> None:
    try:
        frequency = parse_frequency(text)
    except CalcidoseError:
        return
    key = re.sub(r"\s+", " ", text.strip().lower())
    assert key in (frequency.id, *frequency.words), f"{text!r} read as {frequency.id}"


# --- patient JSON --------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | mutated_quantities(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
PATIENT_KEYS = st.sampled_from(
    [
        "weight",
        "height",
        "age",
        "sex",
        "scr",
        "crcl",
        "pregnant",
        "lactating",
        "conditions",
        "medications",
        "labs",
        "value",
        "unit",
    ]
)


@st.composite
def patient_objects(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key in draw(st.lists(PATIENT_KEYS, unique=True, max_size=4)):
        if key in ("weight", "height", "age", "scr", "crcl") and draw(st.booleans()):
            obj[key] = {"value": draw(JSON_VALUES), "unit": draw(st.sampled_from(SPELLINGS))}
        else:
            obj[key] = draw(JSON_VALUES)
    return obj


@given(patient_objects())
def test_fuzz_patient_from_dict(data: dict[str, Any]) -> None:
    try:
        patient = Patient.from_dict(data)
    except CalcidoseError:
        return
    # accepted: every known key kept its meaning, nothing was dropped
    assert set(patient.to_dict()) <= set(data)


# --- the command line ----------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    option=st.sampled_from(["--weight", "--age", "--height", "--scr", "--crcl"]),
    text=st.one_of(NEAR_MISS, mutated_quantities()),
)
def test_fuzz_cli_patient_options(
    option: str, text: str, capsys: pytest.CaptureFixture[str], cli_reads: Callable[[Any], None]
) -> None:
    assume("\x00" not in text)
    cli_reads(REF)
    try:
        code = main(["dose", "refdrug", f"{option}={text}"])
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert code in (0, 1, 2, 3)
    if code == 2:
        assert out == "" and err.startswith("calcidose: error: ") and err.count("\n") == 1, err


# --- table loader --------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A tiny TOML writer (inline forms only) for the fuzzed tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        escaped = "".join(
            c
            if c not in '"\\' and (c == "\t" or ord(c) >= 0x20) and ord(c) != 0x7F
            else f"\\u{ord(c):04x}"
            for c in value
            if not 0xD800 <= ord(c) <= 0xDFFF
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def toml_key(key: object) -> str:
    # the mutation strategies can draw a non-text key (an int): TOML keys are text
    key = str(key)
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def toml_document(data: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in data.items())


BASE_DRUG: dict[str, Any] = tomllib.loads((BASE / "drugs" / "fixdrug.toml").read_text())
TOML_VALUES = st.recursive(
    st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
    | st.sampled_from(["mg", "mg/d", "mg/kg/d", "ug", "g/d", "once-daily", "fix-label", "oral"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _paths(value, (*prefix, n))


ALL_PATHS = [p for p in _paths(BASE_DRUG) if p]


@st.composite
def mutated_drugs(draw: st.DrawFn) -> dict[str, Any]:
    """The valid base drug with 1 to 3 random changes: a value replaced, a key deleted or added."""
    data = json.loads(json.dumps(BASE_DRUG))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(TOML_VALUES)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(TOML_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the path
    return data


def _tables_with(drug_text: str | bytes) -> Path:
    work = Path(tempfile.mkdtemp(prefix="calcidose-fuzz-"))
    shutil.copytree(BASE, work, dirs_exist_ok=True)
    target = work / "drugs" / "fixdrug.toml"
    if isinstance(drug_text, bytes):
        target.write_bytes(drug_text)
    else:
        target.write_text(drug_text, encoding="utf-8")
    return work


def check_tables(work: Path) -> None:
    """validate_directory lists problems or none; load_catalog agrees when there are none."""
    try:
        problems = validate_directory(work)
        assert isinstance(problems, list)
        for problem in problems:
            assert isinstance(problem, TableProblem)
            assert all(isinstance(part, str) for part in problem)
            assert problem.message.strip()
        if problems:
            return
        catalog = load_catalog(work, use_env=False)  # valid for the validator: must load
        if "fixdrug" in catalog.drugs:
            patient = Patient(weight="70 kg", age="54 years", sex="female", scr="0.9 mg/dL")
            plan = dose("fixdrug", patient, catalog=catalog)  # and must dose without a crash
            assert plan.status in (
                "ok",
                "caution",
                "major",
                "contraindicated",
                "cannot-check",
                "not-dosable",
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_drugs())
def test_fuzz_table_loader_structured(data: dict[str, Any]) -> None:
    check_tables(_tables_with(toml_document(data)))


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_fuzz_table_loader_raw(content: bytes | str) -> None:
    check_tables(_tables_with(content))


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_table_loader_text_edits(data: st.DataObject) -> None:
    text = (BASE / "drugs" / "fixdrug.toml").read_text()
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + data.draw(st.sampled_from(list('=[]{}",.0123456789\n#ab-')))
            + text[at + 1 :]
        )
    check_tables(_tables_with(text))


# --- regressions: crashes found by the fuzzers ---------------------------------------------------
# Each is the exact input the fuzzer found (minimised by Hypothesis), kept as a test.


def test_regression_huge_weight_text() -> None:
    with pytest.raises(CalcidoseError):
        Patient(weight="10000000000000000000000000000 kg")


def test_regression_huge_json_integer() -> None:
    with pytest.raises(CalcidoseError):
        Patient.from_dict({"weight": {"value": 10**309, "unit": "kg"}})


def test_regression_conditions_not_a_list() -> None:
    with pytest.raises(CalcidoseError):
        Patient.from_dict({"conditions": 0})


def test_regression_labs_not_an_object() -> None:
    with pytest.raises(CalcidoseError):
        Patient.from_dict({"labs": []})


def test_regression_deeply_nested_toml() -> None:
    work = _tables_with("x = " + "[" * 1000 + "]" * 1000 + "\n")
    try:
        problems = validate_directory(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert problems and problems[0].message.startswith("not valid TOML")


@pytest.mark.parametrize(
    ("text", "kind"),
    [("1" + "0" * 306 + " g", "amount"), ("1" + "0" * 307 + " m", "height")],
    ids=["1e306 g as an amount", "1e307 m as a height"],
)
def test_regression_parse_never_infinite(text: str, kind: str) -> None:
    # 1e306 g x 1000 mg/g and 1e307 m x 100 cm/m are above the largest float (1.8e308)
    try:
        value = units.parse(text, kind)  # type: ignore[arg-type]
    except CalcidoseError:
        return
    pytest.fail(f"{text[:8]}... {kind} accepted as {value}")


def test_regression_nul_and_surrogates_in_quantities() -> None:
    """Found while building the fuzzers: NUL, lone surrogates and bidi marks are refused."""
    for text in ("70\x00kg", "70 kg\ud800", "\u202e70 kg", "70 k\u0261"):
        with pytest.raises(CalcidoseError):
            units.parse(text, "weight")


def test_regression_table_error_is_not_empty() -> None:
    work = _tables_with(b"\xff\xfe")
    try:
        with pytest.raises(TableError) as info:
            load_catalog(work, use_env=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert "not UTF-8" in str(info.value)
