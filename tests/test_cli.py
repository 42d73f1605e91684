"""The command line: verdict first, JSON = to_dict(), one-line errors with exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import calcidose
from calcidose.cli import main

ADULT = [
    "--weight",
    "154lb",
    "--age",
    "54y",
    "--sex",
    "female",
    "--not-pregnant",
    "--not-lactating",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dose_text_verdict_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dose", "diltiazem", *ADULT)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "STATUS: OK"
    # 2-4 mg/kg/day x 69.853 kg = 139.7-279.4 mg/day, ISMP text
    assert "Dose per day: 139.7 mg/day to 279.4 mg/day" in out
    assert out.index("Dose per day") < out.index("Calculation:") < out.index("Sources:")


def test_dose_json_is_to_dict(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dose", "diltiazem", *ADULT, "--format", "json")
    assert code == 0
    p = calcidose.Patient(weight="154lb", age="54y", sex="female", pregnant=False, lactating=False)
    assert json.loads(out) == calcidose.dose("diltiazem", p).to_dict()


def test_cannot_check_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dose", "diltiazem", "--age", "54y")
    assert code == 3
    assert out.startswith("STATUS: CANNOT CHECK")


@pytest.mark.parametrize(
    "argv",
    [
        ["dose", "diltiazem", "--weight", "70"],
        ["dose", "diltiazem", "--weight", "5 Mg"],
        ["dose", "nodrug", "--weight", "70kg"],
        ["dose", "diltiazem", "--regimen", "nope", "--weight", "70kg"],
        ["dose", "diltiazem", "--sex", "other"],
        ["dose"],
        ["frobnicate"],
        ["dose", "diltiazem", "--patient", "/nonexistent.json"],
    ],
)
def test_bad_input_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors exit through SystemExit
        code = exc.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("calcidose: error:")


def test_patient_file_and_conflict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"weight": {"value": 70, "unit": "kg"}, "age": "54 y", "sex": "male"}))
    code, out, _ = run(capsys, "dose", "diltiazem", "--patient", str(f), "--format", "json")
    assert code == 0
    assert json.loads(out)["dose"]["low"] == {"value": 140, "unit": "mg/d"}  # 2 x 70
    code, _, err = run(capsys, "dose", "diltiazem", "--patient", str(f), "--weight", "80kg")
    assert code == 2 and "both" in err


def test_tables_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tables", "validate")
    assert code == 0, out
    assert out.startswith("valid:")


def test_drugs_show_conditions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "drugs", "--format", "json")
    assert code == 0 and "diltiazem" in [d["id"] for d in json.loads(out)["drugs"]]
    code, out, _ = run(capsys, "show", "diltiazem")
    assert code == 0 and "480 mg/day" in out
    code, out, _ = run(capsys, "conditions")
    assert code == 0 and "av-block-2nd-3rd-degree" in out


#: The console script installed beside this interpreter (the venv's bin/), else on PATH.
SCRIPT = Path(sys.executable).with_name("calcidose")
EXE = str(SCRIPT) if SCRIPT.exists() else shutil.which("calcidose")


@pytest.mark.skipif(EXE is None, reason="console script not installed")
def test_console_script_no_traceback_and_help_without_pint() -> None:
    exe = EXE
    assert exe is not None
    bad = subprocess.run(
        [exe, "dose", "diltiazem", "--weight", "-5kg"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    code = (
        "import sys\nfrom calcidose.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "assert 'pint' not in sys.modules"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ},
    )
    start = time.perf_counter()
    subprocess.run([exe, "--help"], check=True, capture_output=True, timeout=60)
    assert time.perf_counter() - start < 30  # a hang guard, not a speed test (see benchmarks/)


def _subcommand(parser: object, name: str) -> Any:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--help"], ""),
        (["--version"], ""),
        (["dose", "diltiazem", "--weight", "70kg"], "dose"),
        (["check", "diltiazem", "90", "mg", "tid"], "check"),
        (["show", "diltiazem"], "show"),
        (["tables", "validate", "x"], "tables"),
        (["drugs", "--format", "json"], "drugs"),
    ],
)
def test_the_parser_builds_only_the_command_run(argv: list[str], command: str) -> None:
    # the command is the first word that is not an option; every other command is listed
    # with its help but not built, and what is built reads and prints as the whole parser
    import argparse

    from calcidose.cli.parser import build_parser, command_of

    assert command_of(argv) == command
    whole, lazy = build_parser(), build_parser(only={command})
    assert lazy.format_help() == whole.format_help()
    listed = ("dose", "check", "options", "drugs", "show", "conditions", "serve", "audit")
    for name in (*listed, "tables", "completion"):
        assert f"    {name}" in lazy.format_help()  # listed, as 'calcidose --help' shows it
    if command:
        built = _subcommand(lazy, command)
        assert built.format_help() == _subcommand(whole, command).format_help()
        assert vars(lazy.parse_args(argv)) == vars(whole.parse_args(argv))
        other = _subcommand(lazy, "serve" if command != "serve" else "dose")
        assert not isinstance(other, argparse.ArgumentParser)  # listed, not built


def test_a_name_that_is_no_command_builds_every_command() -> None:
    from calcidose.cli.parser import build_parser

    lazy = build_parser(only={"dosage"})
    assert "--weight" in _subcommand(lazy, "dose").format_help()
    assert "--weight" in _subcommand(lazy, "options").format_help()


@pytest.mark.parametrize("columns", ["57", "0", "-3", "wide", None])
def test_help_width_is_the_one_shutil_gives(
    monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    # the help is wrapped to the width argparse would ask shutil for, without importing it
    import shutil

    from calcidose.cli.parser import _columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("LINES", "40")
    assert _columns() == shutil.get_terminal_size().columns
    if columns == "57":
        assert _columns() == 57


def test_help_imports_neither_the_engine_nor_shutil_json_or_typing() -> None:
    # what --help loads is what it costs: argparse and the parser, nothing a command needs
    code = (
        "import sys\n"
        "from calcidose.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('shutil', 'json', 'typing', 'attrs', 'calcidose.catalog', 'calcidose.engine')\n"
        "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stderr.strip() == ""
    assert done.stdout.startswith("usage: calcidose")
