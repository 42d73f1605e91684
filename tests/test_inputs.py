"""Conflicting, oversized and hostile input is refused, never resolved silently (issue 12).

Duplicate JSON keys, repeated options with different values, a closed output pipe, reads
that would never end, echoed control characters, and time that grew with the square of the
number of conditions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import calcidose
from calcidose import render
from calcidose.cli import main
from calcidose.errors import InputError
from calcidose.safeio import (
    MAX_PATIENT_BYTES,
    DuplicateKeyError,
    escape_text,
    loads_strict,
    read_bounded,
    shown,
)

ADULT = ["--age", "54y", "--sex", "male"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- duplicate keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # top level: the second "conditions" would erase the AV block of the first
        (
            '{"weight": "80 kg", "conditions": ["second-degree-av-block"], "conditions": []}',
            "conditions",
        ),
        # nested in a quantity
        ('{"height": {"value": 180, "unit": "cm", "unit": "in"}}', "unit"),
        # nested in labs
        ('{"labs": {"tb-screen": "positive", "tb-screen": "negative"}}', "tb-screen"),
        # deep inside something that is refused later anyway: still named first
        ('[{"a": {"b": {"c": 1, "c": 2}}}]', "c"),
    ],
)
def test_duplicate_keys_are_refused_naming_the_key(text: str, key: str) -> None:
    with pytest.raises(DuplicateKeyError, match=f"'{key}' twice"):
        loads_strict(text, "patient")


def test_duplicate_keys_in_a_patient_file_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"weight": "80 kg", "medications": ["warfarin"], "medications": []}')
    code, out, err = run(capsys, "dose", "minocycline", "--patient", str(path), *ADULT)
    assert code == 2 and out == ""
    assert "'medications' twice" in err and err.count("\n") == 1


def test_non_json_constants_are_refused() -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(InputError, match="not a JSON number"):
            loads_strict(f'{{"weight": {{"value": {constant}, "unit": "kg"}}}}')


@given(st.dictionaries(st.text(max_size=5), st.integers(), min_size=1, max_size=5))
def test_json_without_duplicates_reads_as_json_does(data: dict[str, int]) -> None:
    text = json.dumps(data)
    assert loads_strict(text) == json.loads(text)


@given(st.lists(st.text(max_size=4), min_size=2, max_size=6).filter(lambda k: len(set(k)) < len(k)))
def test_any_repeated_key_is_refused(keys: list[str]) -> None:
    text = "{" + ", ".join(f"{json.dumps(k)}: {n}" for n, k in enumerate(keys)) + "}"
    with pytest.raises(DuplicateKeyError):
        loads_strict(text)


# --- repeated options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "first", "second"),
    [
        (["dose", "colchicine", "--weight", "60kg", "--weight", "95kg", *ADULT], "60kg", "95kg"),
        (["dose", "colchicine", "--weight", "60kg", "--age", "30y", "--age", "80y"], "30y", "80y"),
        (
            ["dose", "probenecid", "--weight", "60kg", "--sex", "male", "--sex", "female"],
            "male",
            "female",
        ),
        (["dose", "probenecid", "--scr", "1mg/dL", "--scr", "3mg/dL"], "1mg/dL", "3mg/dL"),
        (["check", "probenecid", "500mg", "bid", "--route", "oral", "--route", "iv"], "oral", "iv"),
        (["dose", "probenecid", "--format", "text", "--format", "json"], "text", "json"),
        (
            ["options", "--type", "dystrophic", "--type", "calciphylaxis"],
            "dystrophic",
            "calciphylaxis",
        ),
    ],
)
def test_a_single_valued_option_given_twice_differently_is_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], first: str, second: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"'{first}'" in err and f"'{second}'" in err and "twice" in err


def test_the_same_value_repeated_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    """Decision (docs/checking.md): an identical repeat cannot change the answer, so it is
    accepted; the plan is the one of the single option."""
    once = run(capsys, "dose", "colchicine", "--weight", "60kg", *ADULT, "--format", "json")
    twice = run(
        capsys,
        "dose",
        "colchicine",
        "--weight",
        "60kg",
        "--weight",
        "60kg",
        *ADULT,
        "--sex",
        "male",
        "--format",
        "json",
    )
    assert once == twice


def test_conflicting_lab_values_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "dose",
        "infliximab",
        "--weight",
        "70kg",
        *ADULT,
        "--lab",
        "anti-hbc=negative",
        "--lab",
        "anti-hbc=positive",
    )
    assert code == 2 and out == ""
    assert "'negative'" in err and "'positive'" in err and "anti-hbc" in err


def test_the_same_lab_value_repeated_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "dose",
        "infliximab",
        "--weight",
        "70kg",
        *ADULT,
        "--lab",
        "tb-screen=negative",
        "--lab",
        "tb-screen=negative",
        "--format",
        "json",
    )
    assert err == "" and code in (0, 1, 3)


# --- the exit code is the verdict's, whatever happens to stdout ----------------------------


def _cli(*argv: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from calcidose.cli import main; sys.exit(main())",
        *argv,
    ]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        # diltiazem 900 mg tid = 2,700 mg/day, far above 4 mg/kg/day x 70 kg = 280 mg/day
        (["check", "diltiazem", "900mg", "tid", "--weight", "70kg", *ADULT], 1),
        # no weight: a per-kg range cannot be computed
        (["dose", "diltiazem", "--age", "54y"], 3),
        # renal function given: minocycline is contraindicated in complete renal failure
        (["dose", "minocycline", "--weight", "70kg", "--crcl", "90mL/min", *ADULT], 0),
    ],
)
def test_a_closed_pipe_keeps_the_verdicts_exit_code(argv: list[str], code: int) -> None:
    """The reader closes its end before calcidose writes (as ``| grep -q`` does once it has
    matched): the write fails with EPIPE, and the exit code must still be the verdict's."""
    proc = subprocess.Popen(_cli(*argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == code
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_head_c1_through_a_shell_pipe_keeps_the_exit_code() -> None:
    script = " ".join(
        f"'{a}'" for a in _cli("check", "diltiazem", "900mg", "tid", "--weight", "70kg", *ADULT)
    )
    for _ in range(3):
        done = subprocess.run(
            ["bash", "-c", f"{script} | head -c1 > /dev/null; exit ${{PIPESTATUS[0]}}"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1, done.stderr


# --- bounded reads -------------------------------------------------------------------------


def test_devices_fifos_and_large_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a device"):
        read_bounded("/dev/zero", 1000)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(InputError, match="is a FIFO"):
        read_bounded(fifo, 1000)
    assert time.perf_counter() - start < 5  # refused at once, not waiting for a writer
    with pytest.raises(InputError, match="is a directory"):
        read_bounded(tmp_path, 1000)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 1001)
    with pytest.raises(InputError, match="larger than the limit of 1,000 bytes"):
        read_bounded(big, 1000)
    exact = tmp_path / "exact.json"
    exact.write_bytes(b"x" * 1000)
    assert read_bounded(exact, 1000) == b"x" * 1000


def test_a_100_mb_patient_file_is_refused_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "p.json"
    with big.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB of zero bytes
    code, _, err = run(capsys, "dose", "diltiazem", "--patient", str(big))
    assert code == 2 and f"{MAX_PATIENT_BYTES:,} bytes" in err


def test_stdin_from_dev_zero_is_refused() -> None:
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            _cli("dose", "diltiazem", "--patient", "-"),
            stdin=zero,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2 and b"larger than the limit" in done.stderr


def test_patient_fifo_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "dose", "diltiazem", "--patient", str(fifo))
    assert code == 2 and "FIFO" in err


# --- echoes --------------------------------------------------------------------------------


def test_control_characters_and_surrogates_are_escaped() -> None:
    assert escape_text("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert escape_text("\udcff") == "\\udcff"
    assert escape_text("\u202e") == "\\u202e"
    assert escape_text("r\rn\x85") == "r\\x0dn\\x85"
    assert escape_text("µg é 中\n\t") == "µg é 中\n\t"


def test_long_values_are_shortened() -> None:
    assert shown("7" * 100_004) == f"'{'7' * 60}...' (100,004 characters)"
    assert shown("ab") == "'ab'"


def test_cli_output_escapes_hostile_ids(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "dose",
        "diltiazem",
        "--weight",
        "70kg",
        *ADULT,
        "--condition",
        "x\x1b]0;pwned\x07\udcff",
    )
    assert code == 3  # an unknown condition cannot be checked
    assert "\x1b" not in out and "\x07" not in out and "\udcff" not in out
    assert "\\x1b]0;pwned\\x07" in out


def test_long_offending_value_is_echoed_short(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "dose", "diltiazem", "--weight", "7" * 100_000 + "kg")
    assert code == 2
    assert len(err) < 400 and "100,002 characters" in err


# --- time linear in the number of conditions and medications -------------------------------


def test_ten_thousand_conditions_and_medications_take_well_under_a_second() -> None:
    ids = [f"unknown-{n}" for n in range(10_000)]
    start = time.perf_counter()
    patient = calcidose.Patient(weight="70 kg", age="54 y", conditions=ids, medications=ids)
    plan = calcidose.dose("diltiazem", patient)
    render.plan_text(plan, calcidose.get_catalog())
    elapsed = time.perf_counter() - start
    # one cannot-check finding per unknown id: 10,000 conditions + 10,000 medications
    assert sum(f.code.startswith("unknown-") for f in plan.findings) == 20_000
    assert elapsed < 5.0  # about 0.3 s alone; was minutes before (quadratic)


def test_time_grows_linearly() -> None:
    def cost(n: int) -> float:
        ids = [f"c{k}" for k in range(n)]
        start = time.perf_counter()
        patient = calcidose.Patient(weight="70 kg", conditions=ids, medications=ids)
        render.plan_text(calcidose.dose("colchicine", patient), calcidose.get_catalog())
        return time.perf_counter() - start

    cost(100)
    small, large = min(cost(2_000) for _ in range(2)), min(cost(16_000) for _ in range(2))
    # 8 times the ids: linear is about 8x; quadratic would be 64x
    assert large < 25 * small + 0.5
