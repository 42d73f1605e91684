"""Fingerprints of mutmut's mutants, and the notes that explain the surviving ones.

mutmut names a mutant ``calcidose.units.x__places__mutmut_3``: the module, the function and a
number. The number reshuffles whenever the function is edited (a mutation added or removed
before it) and the module changes when code moves, so a note keyed by that name goes stale on
any edit. A note here names the mutant by what it changes instead (its *fingerprint*):

``function``
    the function's qualified name inside its module, without the module path: ``format_number``,
    ``_Checker.__init__``. Moving the function to another module keeps it.
``original`` / ``mutated``
    the lines the mutant removes and the lines it puts instead, each whitespace-normalised
    (runs of blanks made one space, ends stripped): one string for one line, a list for several.
    Editing other lines of the function keeps them.

Fallback for a renamed function: a survivor that no note names is still explained by a note with
the same ``original`` and ``mutated`` lines when that is the only such note and its function no
longer exists in the modules of the run (the gate prints it as renamed, to be updated).

``count`` (default 1) is for a change that is the same text at several places of one function:
the note then covers that many survivors. See scripts/mutation_notes.toml and docs/reliability.md.
"""

from __future__ import annotations

import ast
import difflib
import json
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEPARATOR = "ǁ"  # mutmut's separator in a method's mangled name: xǁClassǁmethod
MARKER = "# type: ignore # mutmut generated"


@dataclass(frozen=True)
class Fingerprint:
    """What a mutant changes: the function (qualified, no module) and the lines removed/added."""

    function: str
    original: tuple[str, ...]
    mutated: tuple[str, ...]

    @property
    def change(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.original, self.mutated


@dataclass(frozen=True)
class Note:
    """One explained mutant (or ``count`` identical ones) and why no test can kill it."""

    fingerprint: Fingerprint
    why: str
    count: int = 1
    where: str = field(default="", compare=False)


def normalise(line: str) -> str:
    """A source line with mutmut's marker removed and whitespace made canonical."""
    text = line.rstrip()
    text = text.removesuffix(MARKER)
    return " ".join(text.split())


def split_name(mutant: str) -> tuple[str, str, str]:
    """``pkg.mod.x_f__mutmut_3`` -> (``pkg.mod``, mangled ``x_f``, ``3``)."""
    module, _, generated = mutant.rpartition(".")
    mangled, sep, number = generated.rpartition("__mutmut_")
    if not sep or not mangled:
        raise ValueError(f"not a mutmut mutant name: {mutant!r}")
    return module, mangled, number


def function_name(mangled: str) -> str:
    """mutmut's mangled name -> the qualified name: ``x__places`` -> ``_places``,
    ``xǁ_Checkerǁ__init__`` -> ``_Checker.__init__``."""
    if mangled.startswith("x" + SEPARATOR):
        _, cls, method = mangled.split(SEPARATOR, 2)
        return f"{cls}.{method}"
    if mangled.startswith("x_"):
        return mangled[2:]
    raise ValueError(f"not a mutmut function name: {mangled!r}")


def _generated_functions(source: str) -> dict[str, list[str]]:
    """Name -> source lines of every function mutmut generated (``...__mutmut_...``)."""
    lines = source.splitlines()
    found: dict[str, list[str]] = {}
    nodes: list[ast.stmt] = list(ast.parse(source).body)
    for node in list(nodes):
        if isinstance(node, ast.ClassDef):
            nodes.extend(node.body)
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            assert node.end_lineno is not None
            found[node.name] = lines[node.lineno - 1 : node.end_lineno]
    return found


def functions_of(source: str) -> set[str]:
    """The qualified names of the functions mutmut mutated in one mutated module."""
    return {
        function_name(name.removesuffix("__mutmut_orig"))
        for name in _generated_functions(source)
        if name.endswith("__mutmut_orig")
    }


def _normalised(lines: list[str], generated: str) -> list[str]:
    out = (normalise(line.replace(generated, "FUNCTION", 1)) for line in lines)
    return [line for line in out if line]


def fingerprints(source: str, mutants: list[str]) -> dict[str, Fingerprint | None]:
    """The fingerprint of each named mutant of one mutated module (``mutants/PKG/MOD.py``);
    None for a mutant whose functions are not in ``source``."""
    generated = _generated_functions(source)
    result: dict[str, Fingerprint | None] = {}
    for mutant in mutants:
        _, mangled, _ = split_name(mutant)
        variant = mutant.rpartition(".")[2]
        orig_name = f"{mangled}__mutmut_orig"
        if orig_name not in generated or variant not in generated:
            result[mutant] = None
            continue
        a = _normalised(generated[orig_name], orig_name)
        b = _normalised(generated[variant], variant)
        removed: list[str] = []
        added: list[str] = []
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                removed += a[i1:i2]
                added += b[j1:j2]
        result[mutant] = Fingerprint(function_name(mangled), tuple(removed), tuple(added))
    return result


def _lines(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (normalise(value),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(normalise(v) for v in value)
    raise ValueError(f"{where}: original/mutated must be a string or a list of strings")


def _note(entry: Any, why: str | None, where: str) -> Note:
    if not isinstance(entry, dict) or "function" not in entry:
        raise ValueError(
            f"{where}: a note needs function, original, mutated and why "
            "(a mutant-name note is the old form: convert it with "
            "scripts/convert_mutation_notes.py)"
        )
    reason = entry.get("why", why)
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"{where}: no `why`")
    count = entry.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"{where}: count must be a whole number >= 1")
    fp = Fingerprint(
        str(entry["function"]),
        _lines(entry.get("original", []), where),
        _lines(entry.get("mutated", []), where),
    )
    return Note(fp, reason, count, where)


def parse_notes(text: str, name: str = "mutation_notes.toml") -> list[Note]:
    """The notes of a notes file: ``[[mutant]]`` tables, and ``[[group]]`` tables that give one
    ``why`` to their ``[[group.mutant]]`` list. A fingerprint explained twice is an error."""
    data = tomllib.loads(text)
    mutants = data.get("mutant", [])
    groups = data.get("group", [])
    if not isinstance(mutants, list) or not isinstance(groups, list):
        raise ValueError(f"{name}: old form (notes keyed by mutant name): convert it with "
                         "scripts/convert_mutation_notes.py")  # fmt: skip
    notes = [_note(e, None, f"{name}: mutant #{i + 1}") for i, e in enumerate(mutants)]
    for g, group in enumerate(groups):
        members = group.get("mutant")
        if not isinstance(members, list) or not members:
            raise ValueError(f"{name}: group #{g + 1} has no [[group.mutant]] (old form?)")
        notes += [
            _note(e, group.get("why"), f"{name}: group #{g + 1} mutant #{i + 1}")
            for i, e in enumerate(members)
        ]
    seen: dict[Fingerprint, str] = {}
    for note in notes:
        if note.fingerprint in seen:
            raise ValueError(f"{note.where} explains the same mutant as {seen[note.fingerprint]}")
        seen[note.fingerprint] = note.where
    return notes


@dataclass
class Matching:
    """The result of matching a run's survivors with the notes."""

    explained: dict[str, Note]
    renamed: dict[str, Note]  # explained through the fallback (function renamed)
    stale: list[Note]  # notes of a function in the run that explain fewer survivors than count


def match(
    survivors: dict[str, Fingerprint | None], notes: list[Note], functions: set[str]
) -> Matching:
    """Explain each survivor (mutant name -> fingerprint) by a note.

    ``functions`` are the functions mutated in this run: a note of one of them is never used
    for a renamed function, and one that explains less than its ``count`` is reported stale.
    """
    by_fp = {note.fingerprint: note for note in notes}
    used: Counter[Fingerprint] = Counter()
    explained: dict[str, Note] = {}
    renamed: dict[str, Note] = {}
    rest: list[tuple[str, Fingerprint]] = []
    for mutant, fp in sorted(survivors.items()):
        if fp is None:
            continue
        note = by_fp.get(fp)
        if note is not None and used[fp] < note.count:
            used[fp] += 1
            explained[mutant] = note
        elif note is None:
            rest.append((mutant, fp))
    for mutant, fp in rest:
        candidates = [
            n
            for n in notes
            if n.fingerprint.change == fp.change and n.fingerprint.function not in functions
        ]
        if len(candidates) == 1 and used[candidates[0].fingerprint] < candidates[0].count:
            used[candidates[0].fingerprint] += 1
            explained[mutant] = renamed[mutant] = candidates[0]
    stale = [
        n for n in notes if n.fingerprint.function in functions and used[n.fingerprint] < n.count
    ]
    return Matching(explained, renamed, stale)


def toml_string(text: str) -> str:
    """``text`` as a TOML string: literal ('...') when it can be, else basic with escapes."""
    if "'" not in text and all(c == "\t" or (c >= " " and c != "\x7f") for c in text):
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def toml_lines(lines: tuple[str, ...]) -> str:
    if len(lines) == 1:
        return toml_string(lines[0])
    return "[" + ", ".join(toml_string(line) for line in lines) + "]"


def render_note(fp: Fingerprint, why: str | None, table: str = "mutant", count: int = 1) -> str:
    """One note as TOML (``why=None`` for a member of a group)."""
    out = [f"[[{table}]]", f"function = {toml_string(fp.function)}"]
    out.append(f"original = {toml_lines(fp.original)}")
    out.append(f"mutated = {toml_lines(fp.mutated)}")
    if count != 1:
        out.append(f"count = {count}")
    if why is not None:
        out.append(f"why = {toml_string(why)}")
    return "\n".join(out) + "\n"


def read_notes(path: Path) -> list[Note]:
    if not path.is_file():
        return []
    return parse_notes(path.read_text(encoding="utf-8"), path.name)
