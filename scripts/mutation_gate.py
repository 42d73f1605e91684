#!/usr/bin/env python3
"""Mutation gate: run mutmut on calcidose's core modules and fail under 90% killed.

Usage (from the repository root, with the ``mutation`` extra installed)::

    python scripts/mutation_gate.py                      # every module of [tool.mutmut] only_mutate
    python scripts/mutation_gate.py --modules units frequency patient validate
    python scripts/mutation_gate.py --fast               # the CI subset (see docs/reliability.md)
    python scripts/mutation_gate.py --report mutation.json --survivors survivors.txt
    python scripts/mutation_gate.py --modules predicates --workdir W \
        --only 'calcidose.engine.rules.predicates.x__leaf*'

The tree is copied to a scratch directory first (``--workdir``; default a new temporary
directory), so mutmut's ``mutants/`` never lands in the checkout and edits made during a run do
not change what is measured. Hypothesis runs with the derandomized ``ci`` profile, so two runs
of the same tree give the same score.

Score of a module = detected / (detected + survived + no tests + suspicious), where detected
is killed, timed out or caught by the type checker (mutmut's own statuses). Mutants that were
not run (skipped) are left out. A surviving mutant that is explained in
``scripts/mutation_notes.toml`` (an equivalent mutant, with the reason) still counts as
survived in the score; ``--strict`` also fails when a survivor has no note.

A note names its mutant by a fingerprint that survives edits and moves (the function's name
inside its module, the line(s) the mutant removes and the line(s) it puts instead; see
``scripts/mutation_notes.py``), never by mutmut's numbered name. The survivors without a note
are written, ready to complete with their ``why``, to ``unexplained.toml`` in the work directory.

A module is named as in ``[tool.mutmut] only_mutate``: its path inside ``calcidose/`` without
``.py``, dotted (``units``, ``engine.dosing.run``), or its bare file name when that is unique.

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

import mutation_notes as mn

ROOT = Path(__file__).resolve().parent.parent
COPY = ("calcidose", "tests", "tables", "docs", "scripts", "README.md", "pyproject.toml")
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


def configured_paths() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def module_name(path: str) -> str:
    """``calcidose/units.py`` -> ``units``; ``calcidose/engine/dosing.py`` -> ``engine.dosing``."""
    return Path(path).relative_to("calcidose").with_suffix("").as_posix().replace("/", ".")


def resolve(names: list[str] | None) -> dict[str, str]:
    """Module name -> its path (``calcidose/....py``), for the names given (default: all)."""
    configured = {module_name(p): p for p in configured_paths()}
    if not names:
        return configured
    chosen: dict[str, str] = {}
    for name in names:
        if name in configured:
            chosen[name] = configured[name]
            continue
        stems = [m for m in configured if m.rpartition(".")[2] == name]
        if len(stems) == 1:
            chosen[stems[0]] = configured[stems[0]]
            continue
        path = "calcidose/" + name.replace(".", "/") + ".py"
        if len(stems) > 1 or not (ROOT / path).is_file():
            raise SystemExit(f"unknown or ambiguous module {name!r} (known: {sorted(configured)})")
        chosen[name] = path
    return chosen


def prepare(work: Path, modules: dict[str, str], tests: list[str] | None) -> None:
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
    only = ", ".join(f'"{path}"' for path in modules.values())
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


def collect(work: Path, modules: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per module: counts by status, the mutants not detected (name, status, fingerprint) and
    the functions mutated."""
    results: dict[str, dict[str, Any]] = {}
    for module, path in modules.items():
        meta = work / "mutants" / f"{path}.meta"
        mutated = work / "mutants" / path
        if not meta.is_file() or not mutated.is_file():
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
        source = mutated.read_text(encoding="utf-8")
        prints = mn.fingerprints(source, [name for name, _ in undetected])
        results[module] = {
            "counts": dict(counts),
            "undetected": [(name, status, prints[name]) for name, status in undetected],
            "functions": mn.functions_of(source),
            "missing": False,
        }
    return results


def score(counts: dict[str, int]) -> tuple[int, int, float | None]:
    detected = sum(n for s, n in counts.items() if s in DETECTED)
    judged = detected + sum(n for s, n in counts.items() if s in UNDETECTED)
    return detected, judged, (detected / judged if judged else None)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
    parser.add_argument("--notes", type=Path, default=NOTES, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _survivor_json(name: str, status: str, fp: mn.Fingerprint | None, note: Any) -> Any:
    return {
        "mutant": name,
        "status": status,
        "function": fp and fp.function,
        "original": fp and list(fp.original),
        "mutated": fp and list(fp.mutated),
        "note": note.why if note else None,
    }


def explain(results: dict[str, dict[str, Any]], notes: list[mn.Note]) -> mn.Matching:
    """Match every module's survivors with the notes (one matching over the whole run)."""
    survivors = {n: fp for r in results.values() for n, _, fp in r["undetected"]}
    functions = {f for r in results.values() for f in r.get("functions", ())}
    return mn.match(survivors, notes, functions)


def table(results: dict[str, dict[str, Any]], threshold: float, work: Path) -> tuple[bool, Any]:
    """Print the score table; return (a module failed, the per-module report)."""
    failed = False
    modules: dict[str, Any] = {}
    print(f"{'module':<14} {'mutants':>7} {'killed':>7} {'survived':>8} {'score':>7}")
    total_detected = total_judged = 0
    for module, result in results.items():
        if result["missing"]:
            print(f"{module:<14} no mutants (no results in {work}/mutants)")
            failed = True
            continue
        detected, judged, ratio = score(result["counts"])
        total_detected += detected
        total_judged += judged
        shown = "n/a" if ratio is None else f"{ratio:.1%}"
        mutants = sum(result["counts"].values())
        print(f"{module:<14} {mutants:>7} {detected:>7} {judged - detected:>8} {shown:>7}")
        failed = failed or (ratio is not None and ratio < threshold)
        modules[module] = {
            "counts": result["counts"],
            "detected": detected,
            "judged": judged,
            "score": ratio,
        }
    overall = total_detected / total_judged if total_judged else None
    if overall is not None:
        lost = total_judged - total_detected
        print(f"{'overall':<14} {'':>7} {total_detected:>7} {lost:>8} {overall:.1%}")
    return failed, {"modules": modules, "overall": overall}


def unexplained_notes(results: dict[str, dict[str, Any]], matching: mn.Matching) -> list[str]:
    """The survivors without a note, as note skeletons to complete (TOML)."""
    out = []
    for result in results.values():
        for name, status, fp in result["undetected"]:
            if name in matching.explained:
                continue
            if fp is None:
                out.append(f"# {name} ({status}): its function is not in the mutated source\n")
                continue
            head = f"# {name} ({status}; python -m mutmut show {name})\n"
            out.append(head + mn.render_note(fp, "TODO: why no test can kill it"))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modules = resolve(list(FAST_MODULES) if args.fast else args.modules)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="calcidose-mutation-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "mutmut.log"
    started = time.monotonic()
    notes = mn.read_notes(args.notes)  # a bad notes file stops the gate before the long run
    if not args.reuse:
        prepare(work, modules, args.tests)
        code = run_mutmut(work, args.max_children, log, args.only)
        if code != 0:
            print(f"mutmut run failed (exit {code}); log: {log}", file=sys.stderr)
            print("".join(log.read_text(encoding="utf-8", errors="replace")[-3000:]))
            return 2
    elapsed = time.monotonic() - started

    results = collect(work, modules)
    matching = explain(results, notes)
    failed, report = table(results, args.threshold, work)
    print(f"time: {elapsed / 60:.1f} min; work directory: {work}")
    missing = unexplained_notes(results, matching)
    (work / "unexplained.toml").write_text("\n".join(missing), encoding="utf-8")
    report = {"threshold": args.threshold, "seconds": round(elapsed), **report}
    for module, result in results.items():
        if module in report["modules"]:
            report["modules"][module]["undetected"] = [
                _survivor_json(n, s, fp, matching.explained.get(n))
                for n, s, fp in result["undetected"]
            ]
    report["stale_notes"] = [n.where for n in matching.stale]
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.survivors:
        why = {n: note.why for n, note in matching.explained.items()}
        lines = [
            f"{n}\t{s}\t{fp and fp.function}\t{why.get(n, '')}"
            for r in results.values()
            for n, s, fp in r["undetected"]
        ]
        args.survivors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return verdict(args, failed, matching, missing, work)


def verdict(
    args: argparse.Namespace, failed: bool, matching: mn.Matching, missing: list[str], work: Path
) -> int:
    """Print what the notes did and the verdict; the exit status."""
    for name, note in sorted(matching.renamed.items()):
        print(
            f"renamed? {name} is explained by the note of {note.fingerprint.function!r} "
            f"({note.where}; same change, that function is gone): update its `function`"
        )
    for note in matching.stale:
        print(
            f"stale note: {note.where} ({note.fingerprint.function}: "
            f"{' / '.join(note.fingerprint.original)}) explains no survivor of this run"
        )
    print(f"notes: {len(matching.explained)} survivor(s) explained, {len(missing)} not")
    if missing:
        print(
            f"{len(missing)} surviving mutant(s) without a note in {args.notes.name}; "
            f"skeletons in {work / 'unexplained.toml'} (complete the why, or write a test)"
        )
    if failed:
        print(f"FAIL: a module is under {args.threshold:.0%} killed")
        return 1
    if args.strict and missing:
        print("FAIL: surviving mutants without a note (--strict)")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
