"""The mutation gate's notes: a note names its mutant by a fingerprint (function + the lines it
changes), so editing, renumbering or moving code keeps it (scripts/mutation_notes.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
mn = importlib.import_module("mutation_notes")
convert = importlib.import_module("convert_mutation_notes")
gate = importlib.import_module("mutation_gate")

# A mutated module as mutmut writes it: for each function an unmutated copy (__mutmut_orig)
# and one function per mutant (__mutmut_N); methods stay in their class.
V1 = """
def x__places__mutmut_orig(value: Decimal) -> int:
    magnitude = abs(value)
    if magnitude >= 1:
        return 1 if magnitude < 1000 else 0
    return 3


def x__places__mutmut_1(value: Decimal) -> int:
    magnitude = abs(value)
    if magnitude > 1:
        return 1 if magnitude < 1000 else 0
    return 3


def x__places__mutmut_2(value: Decimal) -> int:
    magnitude = abs(value)
    if magnitude >= 1:
        return 1 if magnitude <= 1000 else 0
    return 3


class _Checker:
    def xǁ_Checkerǁ__init____mutmut_orig(self) -> None:
        self.file = ""
        self.entry = ""

    def xǁ_Checkerǁ__init____mutmut_1(self) -> None:
        self.file = "XXXX"
        self.entry = ""
"""

# The same function after an edit: a line added before the mutated one, the body indented in a
# block, so mutmut numbers the same mutation 4 instead of 1, with other spacing.
V2 = """
def x__places__mutmut_orig(value: Decimal) -> int:
    magnitude = abs(value)
    with localcontext():
        checked = magnitude
        if magnitude  >=  1:
            return 1 if magnitude < 1000 else 0
    return 3


def x__places__mutmut_4(value: Decimal) -> int:
    magnitude = abs(value)
    with localcontext():
        checked = magnitude
        if magnitude > 1:
            return 1 if magnitude < 1000 else 0
    return 3
"""

PLACES_GE = mn.Fingerprint("_places", ("if magnitude >= 1:",), ("if magnitude > 1:",))


def test_fingerprint_is_the_function_and_the_changed_lines() -> None:
    names = [
        "calcidose.units.x__places__mutmut_1",
        "calcidose.units.x__places__mutmut_2",
        "calcidose.catalog.validate.xǁ_Checkerǁ__init____mutmut_1",
    ]
    prints = mn.fingerprints(V1, [*names, "calcidose.units.x__places__mutmut_9"])
    assert prints[names[0]] == PLACES_GE
    assert prints[names[1]] == mn.Fingerprint(
        "_places",
        ("return 1 if magnitude < 1000 else 0",),
        ("return 1 if magnitude <= 1000 else 0",),
    )
    assert prints[names[2]] == mn.Fingerprint(
        "_Checker.__init__", ('self.file = ""',), ('self.file = "XXXX"',)
    )
    assert prints["calcidose.units.x__places__mutmut_9"] is None  # not in this source
    assert mn.functions_of(V1) == {"_places", "_Checker.__init__"}


def test_an_edit_renumbering_and_a_move_keep_the_note() -> None:
    note = mn.Note(PLACES_GE, "equivalent: magnitude 1 shows the same with 1 or 2 decimals")
    before = mn.fingerprints(V1, ["calcidose.units.x__places__mutmut_1"])
    # edited (mutant 4 now), reindented, and moved to another module
    after = mn.fingerprints(V2, ["calcidose.engine.format.x__places__mutmut_4"])
    assert after == {"calcidose.engine.format.x__places__mutmut_4": PLACES_GE}
    for survivors, functions in ((before, mn.functions_of(V1)), (after, mn.functions_of(V2))):
        matching = mn.match(survivors, [note], functions)
        assert list(matching.explained.values()) == [note]
        assert (matching.renamed, matching.stale) == ({}, [])


def test_another_change_of_the_same_line_is_not_explained() -> None:
    note = mn.Note(mn.Fingerprint("_places", ("if magnitude >= 1:",), ("if magnitude < 1:",)), "x")
    survivors = mn.fingerprints(V1, ["calcidose.units.x__places__mutmut_1"])
    matching = mn.match(survivors, [note], {"_places"})
    assert matching.explained == {}
    assert matching.stale == [note]  # its function is in the run and it explained nothing


def test_count_covers_the_same_change_at_several_places() -> None:
    survivors = {"m.x_f__mutmut_1": PLACES_GE, "m.x_f__mutmut_7": PLACES_GE}
    once = mn.match(survivors, [mn.Note(PLACES_GE, "why")], {"_places"})
    assert list(once.explained) == ["m.x_f__mutmut_1"]
    twice = mn.match(survivors, [mn.Note(PLACES_GE, "why", count=2)], {"_places"})
    assert sorted(twice.explained) == ["m.x_f__mutmut_1", "m.x_f__mutmut_7"]


def test_a_renamed_function_falls_back_to_the_change_alone() -> None:
    old = mn.Note(mn.Fingerprint("_decimals", PLACES_GE.original, PLACES_GE.mutated), "why")
    survivors = {"calcidose.units.x__places__mutmut_1": PLACES_GE}
    matching = mn.match(survivors, [old], {"_places"})
    assert matching.renamed == {"calcidose.units.x__places__mutmut_1": old}
    assert matching.explained == matching.renamed
    # not when the note's function still exists (the note is its own function's) ...
    assert mn.match(survivors, [old], {"_places", "_decimals"}).explained == {}
    # ... nor when two notes have that change (which one would be a guess)
    other = mn.Note(mn.Fingerprint("_digits", PLACES_GE.original, PLACES_GE.mutated), "why")
    assert mn.match(survivors, [old, other], {"_places"}).explained == {}


def test_a_survivor_without_source_is_never_explained() -> None:
    matching = mn.match({"m.x_f__mutmut_1": None}, [mn.Note(PLACES_GE, "w")], set())
    assert matching.explained == {}


NOTES = """
[[mutant]]
function = "_places"
original = "if magnitude  >= 1:"
mutated = 'if magnitude > 1:'
why = "equivalent: one"

[[group]]
why = "equivalent: shared"
[[group.mutant]]
function = "_Checker.__init__"
original = 'self.file = ""'
mutated = 'self.file = "XXXX"'
[[group.mutant]]
function = "f"
original = ["a = (1,", "2)"]
mutated = []
count = 2
"""


def test_notes_file_forms() -> None:
    notes = mn.parse_notes(NOTES)
    assert [(n.fingerprint, n.why, n.count) for n in notes] == [
        (PLACES_GE, "equivalent: one", 1),
        (
            mn.Fingerprint("_Checker.__init__", ('self.file = ""',), ('self.file = "XXXX"',)),
            "equivalent: shared",
            1,
        ),
        (mn.Fingerprint("f", ("a = (1,", "2)"), ()), "equivalent: shared", 2),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[mutant."calcidose.units.x__places__mutmut_3"]\nwhy = "w"\n', "old form"),
        ('[[group]]\nwhy = "w"\nmutants = ["calcidose.units.x_f__mutmut_1"]\n', "old form"),
        ('[[mutant]]\nfunction = "f"\noriginal = "a"\nmutated = "b"\n', "no `why`"),
        ('[[mutant]]\nfunction = "f"\noriginal = 1\nmutated = "b"\nwhy = "w"\n', "a string"),
        ('[[mutant]]\nfunction="f"\noriginal="a"\nmutated="b"\nwhy="w"\ncount=0\n', "count"),
        ("[[mutant]]\nwhy = 'w'\n", "needs function"),
        (
            '[[mutant]]\nfunction = "f"\noriginal = "a  b"\nmutated = "c"\nwhy = "w"\n'
            '[[mutant]]\nfunction = "f"\noriginal = "a b"\nmutated = "c"\nwhy = "v"\n',
            "explains the same mutant as",
        ),
    ],
)
def test_bad_notes_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mn.parse_notes(text)


@pytest.mark.parametrize(
    "line",
    ['x = "a"', "x = 'a'", """x = "it's" + 'q"'""", r"path = '\\0all'", "tab\there", ""],
)
def test_a_rendered_note_reads_back(line: str) -> None:
    fp = mn.Fingerprint("Cls.method", (mn.normalise(line),), ("a", "b"))
    [note] = mn.parse_notes(mn.render_note(fp, f"why: {line}"))
    assert (note.fingerprint, note.why) == (fp, f"why: {line}")


def test_the_shipped_notes_load() -> None:
    notes = mn.read_notes(ROOT / "scripts" / "mutation_notes.toml")
    assert len(notes) >= 60
    for note in notes:
        assert note.fingerprint.original != note.fingerprint.mutated, note.where
        # a function or Class.method, never a module path
        assert note.fingerprint.function.count(".") <= 1, note.where
        assert not note.fingerprint.function.startswith(("calcidose", "x_", "x\u01c1")), note.where
        assert note.why.startswith(("equivalent", "not killable")), note.where


OLD = """# header of the old file
# --- calcidose/units.py -----
[mutant."calcidose.units.x__places__mutmut_1"]
why = "equivalent: one"

# --- calcidose/validate.py -----
[[group]]
why = "equivalent: \\"shared\\""
mutants = ["calcidose.catalog.validate.xǁ_Checkerǁ__init____mutmut_1"]
"""


def _sources(code: int | None) -> dict[str, tuple[str, dict[str, int | None]]]:
    return {
        "calcidose.units": (V1, {"calcidose.units.x__places__mutmut_1": code}),
        "calcidose.catalog.validate": (
            V1,
            {"calcidose.catalog.validate.xǁ_Checkerǁ__init____mutmut_1": 0},
        ),
    }


def test_conversion_keeps_every_why_and_section() -> None:
    text = convert.convert(OLD, _sources(0))
    assert "# --- calcidose/units.py -----" in text and "# --- calcidose/validate.py" in text
    notes = mn.parse_notes(text)
    assert [(n.fingerprint, n.why) for n in notes] == [
        (PLACES_GE, "equivalent: one"),
        (
            mn.Fingerprint("_Checker.__init__", ('self.file = ""',), ('self.file = "XXXX"',)),
            'equivalent: "shared"',
        ),
    ]
    assert "mutmut_" not in text.split("See docs/reliability.md")[1]


@pytest.mark.parametrize(("code", "message"), [(1, "detected"), (None, None)])
def test_conversion_refuses_a_tree_of_other_numbering(code: int | None, message: str) -> None:
    if message is None:  # generated but not run: accepted
        assert convert.convert(OLD, _sources(code))
        return
    with pytest.raises(SystemExit, match=message):
        convert.convert(OLD, _sources(code))
    with pytest.raises(SystemExit, match="not a mutant of that tree"):
        convert.convert(OLD.replace("mutmut_1", "mutmut_8", 1), _sources(0))


def test_gate_modules_are_named_by_their_path_in_the_package() -> None:
    assert gate.module_name("calcidose/units.py") == "units"
    assert gate.module_name("calcidose/engine/dosing.py") == "engine.dosing"
    assert gate.resolve(["units", "patient"]) == {
        "units": "calcidose/units.py",
        "patient": "calcidose/patient.py",
    }
    with pytest.raises(SystemExit, match="unknown or ambiguous module 'nonesuch'"):
        gate.resolve(["nonesuch"])
