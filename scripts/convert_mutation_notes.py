#!/usr/bin/env python3
"""Convert mutation notes keyed by mutmut's names to notes keyed by fingerprints.

The old form (``[mutant."calcidose.units.x__places__mutmut_3"]``, and ``[[group]]`` with
``mutants = [NAMES]``) is read from ``--old`` and every name is looked up in the mutated sources
of a gate work directory made *from the tree the names were written for* (``--workdir``, as many
as needed; its ``mutants/`` may come from a full run or from mutant generation alone). The new
form (scripts/mutation_notes.py) is written to ``--out``, in the old order, with the section
comments and every ``why`` kept word for word.

A name that is not in any work directory, or that the run there detected (killed), stops the
conversion: the numbering of that tree is not the one the notes were written for.

    python scripts/convert_mutation_notes.py --old OLD.toml --workdir W1 W2 --out NEW.toml
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

import mutation_notes as mn

HEADER = """\
# Surviving mutants of scripts/mutation_gate.py, each explained. A mutant is listed here only
# when no test can kill it: the program's output is the same (equivalent mutant) or mutmut
# cannot switch it on. Any other survivor needs a test, not a note.
#
# A note names its mutant by what it changes, not by mutmut's numbered name (which reshuffles
# on every edit of the function): `function` is the qualified name inside its module, without
# the module (`format_number`, `_Checker.__init__`), so a move to another module keeps it;
# `original` is the line the mutant removes and `mutated` the line it puts instead, with the
# whitespace normalised (a list when several lines change); `why` says why no test can kill it.
# `count = N` when the same change of the same function appears N times. Notes match survivors
# by (function, original, mutated); a function renamed since is still matched by its change
# alone when exactly one note has that change (the gate prints it, to update `function`).
#
# Two forms: a `[[mutant]]` with its `why`, or a `[[group]]` with one `why` for its
# `[[group.mutant]]` list (the same equivalence seen several times). The gate writes the
# survivors it cannot match to WORKDIR/unexplained.toml in this form, ready for their why.
# See docs/reliability.md, section 3.
"""

STATUS_UNDETECTED = {0, 5, 33, 35, -11, -9, None}  # survived, no tests, suspicious, not run

Sources = dict[str, tuple[str, dict[str, int | None]]]


def _sources(workdirs: list[Path]) -> Sources:
    """Module (dotted) -> (mutated source, exit code by mutant) from each work directory."""
    found: Sources = {}
    for work in workdirs:
        for meta in sorted((work / "mutants").rglob("*.py.meta")):
            path = meta.with_suffix("")
            module = path.relative_to(work / "mutants").with_suffix("").as_posix()
            codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
            found.setdefault(module.replace("/", "."), (path.read_text(encoding="utf-8"), codes))
    return found


def _fingerprint(
    name: str, sources: dict[str, tuple[str, dict[str, int | None]]]
) -> mn.Fingerprint:
    module, _, _ = mn.split_name(name)
    if module not in sources:
        raise SystemExit(f"{name}: no mutated source of {module} in the work directories")
    source, codes = sources[module]
    if name not in codes:
        raise SystemExit(f"{name}: not a mutant of that tree (numbering differs)")
    if codes[name] not in STATUS_UNDETECTED:
        raise SystemExit(f"{name}: detected in that run (exit {codes[name]}): numbering differs")
    fp = mn.fingerprints(source, [name])[name]
    if fp is None or not (fp.original or fp.mutated):
        raise SystemExit(f"{name}: no change found in the mutated source")
    return fp


def _read(old_text: str, sources: Sources) -> list[tuple[str, str | None, list[mn.Fingerprint]]]:
    """The old file in order: ("section", comment, []), ("mutant", why, [fp]) or
    ("group", why, [fps]); each name and its fingerprint printed, tab-separated."""
    data = tomllib.loads(old_text)
    named = data.get("mutant", {})
    groups = iter(data.get("group", []))
    items: list[tuple[str, str | None, list[mn.Fingerprint]]] = []
    heading = re.compile(r'^\[mutant\."(?P<name>[^"]+)"\]\s*$|^\[\[group\]\]\s*$')
    for line in old_text.splitlines():
        hit = heading.match(line)
        if line.startswith("# ---"):
            items.append(("section", line, []))
        elif hit is not None:
            group = None if hit["name"] else next(groups)
            names = [hit["name"]] if group is None else group["mutants"]
            why = named[hit["name"]]["why"] if group is None else group["why"]
            prints = [_fingerprint(name, sources) for name in names]
            for name, fp in zip(names, prints, strict=True):
                print(f"{name}\t{fp.function}\t{fp.original}\t{fp.mutated}")
            items.append(("mutant" if group is None else "group", why, prints))
    return items


def convert(old_text: str, sources: Sources) -> str:
    """The new notes file for the old one. Two old names with the same fingerprint (the same
    line twice in one function, mutated the same way) become one note with ``count = 2``."""
    items = _read(old_text, sources)
    counts = Counter(fp for _, _, prints in items for fp in prints)
    whys: dict[mn.Fingerprint, str | None] = {}
    for _, why, prints in items:
        for fp in prints:
            if whys.setdefault(fp, why) != why:
                raise SystemExit(f"{fp}: the same mutant is given two different reasons")
    done: set[mn.Fingerprint] = set()
    out = [HEADER]
    for kind, why, prints in items:
        if kind == "section":
            out.append(f"\n{why}\n")
            continue
        fresh = [fp for fp in dict.fromkeys(prints) if fp not in done]
        done.update(fresh)
        if kind == "mutant" and fresh:
            out.append(mn.render_note(fresh[0], why, count=counts[fresh[0]]))
        elif fresh:
            block = [f"[[group]]\nwhy = {mn.toml_string(str(why))}\n"]
            block += [
                mn.render_note(fp, None, table="group.mutant", count=counts[fp]) for fp in fresh
            ]
            out.append("\n".join(block))
    text = "\n".join(out)
    mn.parse_notes(text)  # the result must load, with no change explained twice
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="notes keyed by mutant name")
    parser.add_argument("--workdir", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    text = convert(args.old.read_text(encoding="utf-8"), _sources(args.workdir))
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(mn.parse_notes(text))} notes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
