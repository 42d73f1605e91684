#!/usr/bin/env python3
"""Mutation gate: run mutmut on calcidose's core modules and fail under 90% killed.

Usage (from the repository root, with the ``mutation`` extra installed)::

    python scripts/mutation_gate.py                      # every module of [tool.mutmut] only_mutate
    python scripts/mutation_gate.py --modules units frequency patient validate
    python scripts/mutation_gate.py --fast               # the CI subset (see docs/reliability.md)
    python scripts/mutation_gate.py --report mutation.json --survivors survivors.txt
    python scripts/mutation_gate.py --modules rules --workdir W --only 'calcidose.rules.x__leaf*'

The tree is copied to a scratch directory first (``--workdir``; default a new temporary
directory), so mutmut's ``mutants/`` never lands in the checkout and edits made during a run do
not change what is measured. Hypothesis runs with the derandomized ``ci`` profile, so two runs
of the same tree give the same score.

Score of a module = detected / (detected + survived + no tests + suspicious), where detected
is killed, timed out or caught by the type checker (mutmut's own statuses). Mutants that were
not run (skipped) are left out. A surviving mutant that is explained in
``scripts/mutation_notes.toml`` (an equivalent mutant, with the reason) still counts as
survived in the score; ``--strict`` also fails when a survivor has no note.

Exit status: 0 when every module reaches the threshold (and, with --strict, every survivor is
explained); 1 otherwise; 2 when mutmut itself could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COPY = ("calcidose", "tests", "tables", "docs", "README.md", "pyproject.toml")
NOTES = ROOT / "scripts" / "mutation_notes.toml"

#: The CI subset: the modules whose tests are fast and which every input goes through.
FAST_MODULES = ("units", "frequency")

DETECTED = {"killed", "timeout", "caught by type check"}
UNDETECTED = {"survived", "no tests", "suspicious", "segfault"}
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
    None: "not checked",
}


def configured_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    paths = config["tool"]["mutmut"]["only_mutate"]
    return [Path(p).stem for p in paths]


def prepare(work: Path, modules: list[str], tests: list[str] | None) -> None:
    """Copy the tree into ``work`` and point [tool.mutmut] at the chosen modules."""
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "mutants", "*.pyc")
    for name in COPY:
        source = ROOT / name
        target = work / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy2(source, target)
    pyproject = work / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    only = ", ".join(f'"calcidose/{m}.py"' for m in modules)
    text = re.sub(r"(?ms)^only_mutate = \[.*?^\]", f"only_mutate = [{only}]", text, count=1)
    if tests:
        selection = ", ".join(json.dumps(t) for t in tests)
        text = re.sub(
            r"(?m)^pytest_add_cli_args_test_selection = .*$",
            f"pytest_add_cli_args_test_selection = [{selection}]",
            text,
            count=1,
        )
    pyproject.write_text(text, encoding="utf-8")


def run_mutmut(work: Path, max_children: int, log: Path, only: list[str] | None = None) -> int:
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci", "CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CALCIDOSE_TABLES", None)
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)]
    command += only or []
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    return done.returncode


def collect(work: Path, modules: list[str]) -> dict[str, dict[str, Any]]:
    """Per module: counts by status and the names of the mutants not detected."""
    results: dict[str, dict[str, Any]] = {}
    for module in modules:
        meta = work / "mutants" / "calcidose" / f"{module}.py.meta"
        if not meta.is_file():
            results[module] = {"counts": {}, "undetected": [], "missing": True}
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes: dict[str, int | None] = data.get("exit_code_by_key", {})
        counts: Counter[str] = Counter()
        undetected = []
        for name, code in sorted(codes.items()):
            status = STATUS.get(code, "suspicious")
            counts[status] += 1
            if status in UNDETECTED:
                undetected.append((name, status))
        results[module] = {"counts": dict(counts), "undetected": undetected, "missing": False}
    return results


def score(counts: dict[str, int]) -> tuple[int, int, float | None]:
    detected = sum(n for s, n in counts.items() if s in DETECTED)
    judged = detected + sum(n for s, n in counts.items() if s in UNDETECTED)
    return detected, judged, (detected / judged if judged else None)


def load_notes() -> dict[str, str]:
    """Mutant name -> why it survives, from ``[mutant."NAME"]`` tables and ``[[group]]`` lists.

    A group gives one reason for several mutants (``mutants = [...]``), for the same
    equivalence seen several times in one function.
    """
    if not NOTES.is_file():
        return {}
    data = tomllib.loads(NOTES.read_text(encoding="utf-8"))
    notes = {name: str(entry["why"]) for name, entry in data.get("mutant", {}).items()}
    for group in data.get("group", []):
        for name in group["mutants"]:
            if name in notes:
                raise SystemExit(f"{NOTES.name}: {name} is explained twice")
            notes[name] = str(group["why"])
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", help="module names (default: [tool.mutmut])")
    parser.add_argument("--fast", action="store_true", help=f"only {', '.join(FAST_MODULES)}")
    parser.add_argument("--tests", nargs="+", help="pytest selection (default: tests/)")
    parser.add_argument("--threshold", type=float, default=0.90)
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--workdir", type=Path, help="scratch directory (kept)")
    parser.add_argument("--reuse", action="store_true", help="reuse --workdir's mutants/ results")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these mutants (names or globs; with --workdir, the tree is copied over "
        "the earlier run and only these are run again, for checking new tests against survivors)",
    )
    parser.add_argument("--report", type=Path, help="write the scores as JSON here")
    parser.add_argument("--survivors", type=Path, help="write the undetected mutants here")
    parser.add_argument("--strict", action="store_true", help="fail on unexplained survivors")
    args = parser.parse_args(argv)

    modules = list(FAST_MODULES) if args.fast else (args.modules or configured_modules())
    work = args.workdir or Path(tempfile.mkdtemp(prefix="calcidose-mutation-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "mutmut.log"
    started = time.monotonic()
    if not args.reuse:
        prepare(work, modules, args.tests)
        code = run_mutmut(work, args.max_children, log, args.only)
        if code != 0:
            print(f"mutmut run failed (exit {code}); log: {log}", file=sys.stderr)
            print("".join(log.read_text(encoding="utf-8", errors="replace")[-3000:]))
            return 2
    elapsed = time.monotonic() - started

    results = collect(work, modules)
    notes = load_notes()
    failed = False
    unexplained: list[str] = []
    report: dict[str, Any] = {"threshold": args.threshold, "seconds": round(elapsed), "modules": {}}
    print(f"{'module':<12} {'mutants':>7} {'killed':>7} {'survived':>8} {'score':>7}")
    total_detected = total_judged = 0
    for module, result in results.items():
        if result["missing"]:
            print(f"{module:<12} no mutants (no results in {work}/mutants)")
            failed = True
            continue
        detected, judged, ratio = score(result["counts"])
        total_detected += detected
        total_judged += judged
        shown = "n/a" if ratio is None else f"{ratio:.1%}"
        mutants = sum(result["counts"].values())
        print(f"{module:<12} {mutants:>7} {detected:>7} {judged - detected:>8} {shown:>7}")
        if ratio is not None and ratio < args.threshold:
            failed = True
        for name, status in result["undetected"]:
            if name not in notes:
                unexplained.append(f"{name} ({status})")
        report["modules"][module] = {
            "counts": result["counts"],
            "detected": detected,
            "judged": judged,
            "score": ratio,
            "undetected": [
                {"mutant": n, "status": s, "note": notes.get(n)} for n, s in result["undetected"]
            ],
        }
    overall = total_detected / total_judged if total_judged else None
    report["overall"] = overall
    if overall is not None:
        print(
            f"{'overall':<12} {'':>7} {total_detected:>7} {total_judged - total_detected:>8} "
            f"{overall:.1%}"
        )
    print(f"time: {elapsed / 60:.1f} min; work directory: {work}")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.survivors:
        lines = [
            f"{n}\t{s}\t{notes.get(n, '')}"
            for r in results.values()
            for n, s in r.get("undetected", [])
        ]
        args.survivors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if unexplained:
        print(
            f"{len(unexplained)} surviving mutant(s) without a note in {NOTES.name}; "
            f"see them with: cd {work} && python -m mutmut show NAME"
        )
    if failed:
        print(f"FAIL: a module is under {args.threshold:.0%} killed")
        return 1
    if args.strict and unexplained:
        print("FAIL: surviving mutants without a note (--strict)")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
