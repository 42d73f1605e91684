"""The command line people expect (issue 11 §5): ``python -m calcidose``, ``--version`` with the
tables edition, shell completion, and drug ids that ignore case with suggestions never applied.

Expected values are read independently of the code under test: the version from the installed
package metadata, the tables edition from ``tables/meta.toml`` with tomllib, the drug ids from
the table files' names.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import calcidose
from calcidose.cli import main
from calcidose.errors import UnknownDrugError

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "tables"
ADULT = calcidose.Patient(weight="70 kg", age="54 years", sex="male")


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calcidose", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_python_dash_m_runs_the_command_with_its_exit_codes() -> None:
    # diltiazem for 70 kg: 2 x 70 = 140 to 4 x 70 = 280 mg/day; a male patient: exit 0
    ok = _run("dose", "diltiazem", "--weight", "70kg", "--age", "54y", "--sex", "male")
    assert ok.returncode == 0, ok.stderr
    assert "140 mg/day" in ok.stdout and "280 mg/day" in ok.stdout
    bad = _run("dose", "no-such-drug", "--weight", "70kg")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1


def test_version_shows_the_package_version_and_the_tables_edition() -> None:
    meta = tomllib.loads((TABLES / "meta.toml").read_text(encoding="utf-8"))
    expected = (
        f"calcidose {importlib.metadata.version('calcidose')} (tables {meta['tables_version']})"
    )
    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == expected


def test_version_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    meta = tomllib.loads((TABLES / "meta.toml").read_text(encoding="utf-8"))
    assert capsys.readouterr().out.endswith(f"(tables {meta['tables_version']})\n")


def _drug_ids() -> list[str]:
    return sorted(p.stem for p in (TABLES / "drugs").glob("*.toml"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_subcommands_drug_ids_and_condition_ids(
    tmp_path: Path,
) -> None:
    script = _run("completion", "bash")
    assert script.returncode == 0, script.stderr
    path = tmp_path / "calcidose.bash"
    path.write_text(script.stdout, encoding="utf-8")

    def complete(*words: str) -> list[str]:
        line = " ".join(("calcidose", *words))
        probe = (
            f"source {path}; COMP_WORDS=(calcidose {' '.join(words)}); "
            f"COMP_CWORD={len(words)}; COMP_LINE='{line}'; COMP_POINT={len(line)}; "
            '_shtab_calcidose; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
        return sorted(w for w in out.stdout.split("\n") if w)

    assert complete("do") == ["dose"]
    # the drug tables whose file names start with "mi": minocycline only; "d": diet, diltiazem
    assert complete("dose", "mi") == [d for d in _drug_ids() if d.startswith("mi")]
    assert complete("show", "d") == [d for d in _drug_ids() if d.startswith("d")]
    assert complete("dose", "diltiazem", "--condition", "av-") == ["av-block-2nd-3rd-degree"]


def test_zsh_completion_lists_the_drug_ids() -> None:
    script = _run("completion", "zsh")
    assert script.returncode == 0, script.stderr
    assert script.stdout.startswith("#compdef calcidose")
    assert f"({' '.join(_drug_ids())})" in script.stdout


def test_completion_needs_a_known_shell() -> None:
    done = _run("completion", "powershell")
    assert done.returncode == 2


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Diltiazem", "diltiazem"),
        ("DILTIAZEM", "diltiazem"),
        ("Minocycline", "minocycline"),
        ("sodium thiosulfate", "sodium-thiosulfate"),  # a space for the id's hyphen
        ("Sodium_Thiosulfate", "sodium-thiosulfate"),
        ("  Colchicine  ", "colchicine"),
    ],
)
def test_drug_ids_ignore_case_and_separators(written: str, expected: str) -> None:
    plan = calcidose.dose(written, ADULT)
    assert plan.drug == expected


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("diltiazme", "'diltiazem'"),  # two letters swapped
        ("Colchicin", "'colchicine'"),  # a letter missing, any case
        ("minocyclin", "'minocycline'"),
        ("probenecide", "'probenecid'"),
    ],
)
def test_unknown_drug_suggests_but_never_applies(written: str, suggested: str) -> None:
    with pytest.raises(UnknownDrugError) as err:
        calcidose.dose(written, ADULT)
    message = str(err.value)
    assert f"did you mean {suggested}? (not applied)" in message
    assert message.startswith(f"unknown drug {written!r}")


def test_far_names_get_no_suggestion_and_the_cli_says_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(UnknownDrugError) as err:
        calcidose.dose("xyzzy", ADULT)
    assert "did you mean" not in str(err.value)
    assert main(["show", "Diltiazme"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "did you mean 'diltiazem'? (not applied)" in lines[0]


# --- regimen ids ignore case too, and a misspelt one gets suggestions never applied ------------


def test_regimen_ids_ignore_case() -> None:
    # colchicine.toml has one adult regimen, id "oral-fixed"; minocycline's are "oral-fixed" and
    # "oral-fixed-pediatric"
    man = calcidose.Patient(weight="70 kg", age="54 years", sex="male", crcl="90 mL/min")
    assert calcidose.dose("colchicine", man, regimen="ORAL-FIXED").regimen == "oral-fixed"
    r = calcidose.check("minocycline", "100 mg", "daily", man, regimen="Oral-Fixed")
    assert r.regimen == "oral-fixed"


def test_a_misspelt_regimen_id_is_refused_with_suggestions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["dose", "colchicine", "--regimen", "oral-fixd", "--weight", "70kg", "--age", "54y"]
    assert main([*argv, "--sex", "male"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "calcidose: error: colchicine has no regimen 'oral-fixd'; did you mean 'oral-fixed'?"
        " (not applied); its regimens: oral-fixed"
    )
