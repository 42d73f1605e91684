"""Loading the tables (calcidose.catalog): every problem named at its file, entry and field.

Each test builds a small set of tables in a temporary directory: an overlay over the shipped
tables, or a complete set copied from the broken-table fixtures' valid base
(``tests/fixtures/bad_tables/_base``). The expected problems are written from the defect put
in the files (the file, the entry, the field path and the message the table author reads),
not from running the loader.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from strategies import reference_catalog

from calcidose import catalog as catalog_module
from calcidose.catalog import default_tables, load_catalog, resolve_drug, validate_directory
from calcidose.errors import TableError, TableProblem, UnknownDrugError

BASE = Path(__file__).parent / "fixtures" / "bad_tables" / "_base"
SHIPPED = Path(__file__).parent.parent / "tables"
FIXDRUG = (BASE / "drugs" / "fixdrug.toml").read_text(encoding="utf-8")
DEEP = "predicates nest at most 16 levels deep"  # validate.MAX_PREDICATE_DEPTH = 16


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def overlay(tmp_path: Path, files: dict[str, str], name: str = "overlay") -> Path:
    """A directory without meta.toml: an overlay over the shipped tables."""
    return write(tmp_path / name, files)


def full_set(tmp_path: Path, files: dict[str, str] | None = None, name: str = "set") -> Path:
    """A complete set of tables: the fixtures' valid base, with ``files`` replaced."""
    root = tmp_path / name
    shutil.copytree(BASE, root)
    return write(root, files or {})


def vocabulary(tmp_path: Path, name: str = "overlay") -> Path:
    """An overlay holding the base's sources, conditions and substances (not its meta.toml)."""
    root = tmp_path / name
    root.mkdir()
    for file in ("sources.toml", "conditions.toml", "substances.toml"):
        shutil.copy(BASE / file, root / file)
    return root


def fixdrug(drug_id: str, *, extra: str = "", sources: str = '["fix-paper"]') -> str:
    """The base's fixdrug under another id, with ``extra`` top-level lines (its rule renamed,
    as rule ids are global)."""
    text = FIXDRUG.replace('id = "fixdrug"', f'id = "{drug_id}"\n{extra}'.rstrip())
    text = text.replace('id = "fixdrug-condition"', f'id = "{drug_id}-condition"')
    return text.replace(
        'sources = ["fix-paper"]\n\n[[regimens]]', f"sources = {sources}\n\n[[regimens]]"
    )


def refused(*overlays: Path) -> list[TableProblem]:
    with pytest.raises(TableError) as info:
        load_catalog(*overlays, use_env=False)
    return list(info.value.problems)


def nested(kind: str, depth: int) -> str:
    """A TOML inline predicate with the fixture condition ``depth`` levels down."""
    node = '{ condition = "fix-condition" }'
    for _ in range(depth):
        node = (
            f"{{ not = {node} }}"
            if kind == "not"
            else f"{{ {kind} = [{{ always = true }}, {node}] }}"
        )
    return node


def with_predicate(predicate: str) -> str:
    return FIXDRUG.replace('when = { condition = "fix-condition" }', f"when = {predicate}")


# --- the structure hooks: only values already of the right TOML type --------------------------


@pytest.mark.parametrize(
    ("kind", "name", "value", "expected"),
    [
        (float, "a number", 2, 2.0),  # a TOML integer is a number
        (float, "a number", 1.5, 1.5),
        (int, "a whole number", 3, 3),
        (bool, "true or false", True, True),
        (bool, "true or false", False, False),
        (str, "text", "mg/kg/d", "mg/kg/d"),
    ],
)
def test_exact_hook_accepts_the_right_type(
    kind: type, name: str, value: Any, expected: Any
) -> None:
    # The hooks are built once, when calcidose.catalog is imported; they are called here as
    # the converter calls them, (value, type).
    result = catalog_module._exact(kind, name)(value, kind)
    assert result == expected
    assert type(result) is kind


@pytest.mark.parametrize(
    ("kind", "name", "value", "message"),
    [
        (float, "a number", "2", "must be a number, not str '2'"),
        (float, "a number", True, "must be a number, not bool True"),
        (int, "a whole number", 1.5, "must be a whole number, not float 1.5"),
        (int, "a whole number", True, "must be a whole number, not bool True"),
        (int, "a whole number", "2", "must be a whole number, not str '2'"),
        (bool, "true or false", "false", "must be true or false, not str 'false'"),
        (bool, "true or false", 0, "must be true or false, not int 0"),
        (str, "text", 5, "must be text, not int 5"),
    ],
)
def test_exact_hook_refuses_what_cattrs_would_convert(
    kind: type, name: str, value: Any, message: str
) -> None:
    with pytest.raises(TypeError) as info:
        catalog_module._exact(kind, name)(value, kind)
    assert str(info.value) == message


def test_wrong_types_are_named_with_the_value_found(tmp_path: Path) -> None:
    """cattrs would say only "invalid value for type, expected float"; the author reads what
    was expected and what the file holds."""
    root = vocabulary(tmp_path)
    wrong = 'synonyms = "newname"\nhigh_alert = "false"\ncounselling = ["Take with food.", 5]'
    write(
        root,
        {
            "meta.toml": 'schema_version = "1"\n',
            "drugs/newdrug.toml": fixdrug("newdrug", extra=wrong),
        },
    )
    label = f"{root}/drugs/newdrug.toml"
    assert refused(root) == [
        TableProblem(
            f"{root}/meta.toml", "", "$.schema_version", "must be a whole number, not str '1'"
        ),
        # in the order of the fields of a drug entry (calcidose.catalog.model.Drug)
        TableProblem(
            label, "newdrug", "$.synonyms", "must be a list of strings, not str 'newname'"
        ),
        TableProblem(label, "newdrug", "$.high_alert", "must be true or false, not str 'false'"),
        TableProblem(
            label,
            "newdrug",
            "$.counselling",
            "must be a list of strings, not list ['Take with food.', 5]",
        ),
    ]


def test_a_quoted_dose_value_is_refused_where_it_is(tmp_path: Path) -> None:
    root = full_set(tmp_path, {"drugs/fixdrug.toml": FIXDRUG.replace("value = 2,", 'value = "2",')})
    assert refused(root) == [
        TableProblem(
            f"{root}/drugs/fixdrug.toml",
            "fixdrug",
            "$.regimens[0].dose.low.value",
            "must be a number, not str '2'",
        )
    ]


def test_the_field_path_is_split_at_the_last_at_sign(tmp_path: Path) -> None:
    """A value holding " @ " does not move the field path into the message."""
    root = vocabulary(tmp_path)
    write(root, {"drugs/newdrug.toml": fixdrug("newdrug", extra='high_alert = "a @ b"')})
    assert refused(root) == [
        TableProblem(
            f"{root}/drugs/newdrug.toml",
            "newdrug",
            "$.high_alert",
            "must be true or false, not str 'a @ b'",
        )
    ]


def test_an_entry_of_the_wrong_kind_names_the_kind_expected(tmp_path: Path) -> None:
    root = vocabulary(tmp_path)
    text = fixdrug("newdrug", extra="rules = [5]").split("[[rules]]", 1)[0]
    write(root, {"drugs/newdrug.toml": text})
    assert refused(root) == [
        TableProblem(
            f"{root}/drugs/newdrug.toml",
            "newdrug",
            "$.rules[0]",
            # a rule is a table (calcidose.catalog.model.Rule)
            "invalid value for type, expected Rule",
        )
    ]


def test_an_error_outside_any_entry_is_placed_at_the_root() -> None:
    # Every table entry is an attrs class, whose errors cattrs collects with their paths; a
    # bare value that fails is reported at "$" of the entry it was read for.
    problems: list[TableProblem] = []
    assert catalog_module._structure("2", int, "x/meta.toml", "entry", problems) is None
    assert problems == [
        TableProblem("x/meta.toml", "entry", "$", "must be a whole number, not str '2'")
    ]


# --- reading the files -------------------------------------------------------------------------


def test_every_vocabulary_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    broken = "name = \n"  # a key with no value
    root = overlay(
        tmp_path,
        dict.fromkeys(("meta.toml", "sources.toml", "conditions.toml", "substances.toml"), broken),
    )
    problems = refused(root)
    assert [(p.file, p.entry, p.field) for p in problems] == [
        (f"{root}/meta.toml", "", ""),
        (f"{root}/sources.toml", "", ""),
        (f"{root}/conditions.toml", "", ""),
        (f"{root}/substances.toml", "", ""),
    ]
    assert all(p.message.startswith("not valid TOML: ") for p in problems), problems


def test_a_drug_file_that_cannot_be_read(tmp_path: Path) -> None:
    root = overlay(tmp_path, {})
    (root / "drugs" / "broken.toml").mkdir(parents=True)  # a directory where a file should be
    path = root / "drugs" / "broken.toml"
    # the operating system's own words: "[Errno 21] Is a directory: '<path>'"
    reason = f"[Errno {errno.EISDIR}] {os.strerror(errno.EISDIR)}: '{path}'"
    assert refused(root) == [TableProblem(str(path), "", "", f"cannot be read: {reason}")]


def test_unexpected_keys_and_files_are_each_reported(tmp_path: Path) -> None:
    root = overlay(
        tmp_path,
        {
            "notes.txt": "not tables\n",
            "sources.toml": "[references]\n",
            "conditions.toml": "[extra]\n",
            "substances.toml": "[drugs]\n",
            "drugs/a.txt": "",
            "drugs/b.yaml": "",
        },
    )
    assert refused(root) == [
        TableProblem(f"{root}/notes.txt", "", "", "unexpected file in tables"),
        TableProblem(f"{root}/sources.toml", "", "references", "unexpected top-level key"),
        TableProblem(f"{root}/conditions.toml", "", "extra", "unexpected top-level key"),
        TableProblem(f"{root}/substances.toml", "", "drugs", "unexpected top-level key"),
        TableProblem(f"{root}/drugs/a.txt", "", "", "drug files must end in .toml"),
        TableProblem(f"{root}/drugs/b.yaml", "", "", "drug files must end in .toml"),
    ]


def test_vocabulary_entries_that_are_not_tables(tmp_path: Path) -> None:
    root = overlay(
        tmp_path,
        {
            "sources.toml": "sources = 5\n",
            "conditions.toml": "[conditions]\nc1 = 1\nc2 = 2\n",
            "substances.toml": "[classes]\nk1 = 1\n\n[substances]\ns1 = 1\n",
        },
    )
    assert refused(root) == [
        TableProblem(f"{root}/sources.toml", "", "sources", "must be a table of entries"),
        TableProblem(f"{root}/conditions.toml", "c1", "$", "must be a table"),
        TableProblem(f"{root}/conditions.toml", "c2", "$", "must be a table"),
        TableProblem(f"{root}/substances.toml", "k1", "$", "must be a table"),
        TableProblem(f"{root}/substances.toml", "s1", "$", "must be a table"),
    ]


def test_an_id_inside_an_entry_is_refused_for_every_entry(tmp_path: Path) -> None:
    entry = 'kind = "label"\ntitle = "T"\ncitation = "C"\nchecked = "K"\n'
    root = overlay(
        tmp_path,
        {"sources.toml": f'[sources.a]\nid = "a"\n{entry}\n[sources.b]\nid = "b"\n{entry}'},
    )
    remove = "the id is the table key; remove it"
    assert refused(root) == [
        TableProblem(f"{root}/sources.toml", "a", "$.id", remove),
        TableProblem(f"{root}/sources.toml", "b", "$.id", remove),
    ]


def test_files_without_their_section_add_nothing(tmp_path: Path) -> None:
    root = overlay(tmp_path, {"sources.toml": "", "conditions.toml": "", "substances.toml": ""})
    shipped = load_catalog(use_env=False)
    catalog = load_catalog(root, use_env=False)
    assert catalog.sources == shipped.sources
    assert catalog.conditions == shipped.conditions
    assert catalog.substances == shipped.substances


class Cp1252Dir:
    """A Traversable over a real directory whose read_text() without an encoding decodes as
    cp1252, as Path.read_text() does on a Windows machine with a Western-European locale."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def name(self) -> str:
        return self._path.name

    def iterdir(self) -> Iterator[Cp1252Dir]:
        return (Cp1252Dir(p) for p in self._path.iterdir())

    def is_dir(self) -> bool:
        return self._path.is_dir()

    def is_file(self) -> bool:
        return self._path.is_file()

    def joinpath(self, *parts: str) -> Cp1252Dir:
        return Cp1252Dir(self._path.joinpath(*parts))

    def read_text(self, encoding: str | None = None) -> str:
        return self._path.read_bytes().decode(encoding or "cp1252")


def test_tables_are_read_as_utf8_whatever_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "µg" is 0xC2 0xB5 0x67 in UTF-8, which cp1252 would read as "Âµg".
    summary = "A fixture drug dosed in µg per day."
    root = full_set(
        tmp_path,
        {
            "drugs/fixdrug.toml": FIXDRUG.replace(
                'summary = "A drug invented for the table tests."', f'summary = "{summary}"'
            ),
            "drugs/otherdrug.toml": fixdrug("otherdrug"),
        },
    )
    # the Traversable is not orderable: drug files are taken in the order of their names
    monkeypatch.setattr(catalog_module, "default_tables", lambda: Cp1252Dir(root))
    catalog = load_catalog(use_env=False)
    assert catalog.drugs["fixdrug"].summary == summary
    assert sorted(catalog.drugs) == ["fixdrug", "otherdrug"]


# --- shipped tables, overlays and the environment ------------------------------------------------


def test_the_catalog_records_where_it_came_from(tmp_path: Path) -> None:
    first = overlay(tmp_path, {}, "first")
    second = overlay(tmp_path, {}, "second")
    assert load_catalog(use_env=False).origin == ("tables",)
    assert load_catalog(first, second, use_env=False).origin == ("tables", str(first), str(second))


def test_environment_lists_several_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = overlay(tmp_path, {}, "first")
    second = overlay(tmp_path, {}, "second")
    # an empty part (a doubled or trailing separator) is skipped
    monkeypatch.setenv("CALCIDOSE_TABLES", f"{first}{os.pathsep}{os.pathsep}{second}{os.pathsep}")
    assert load_catalog().origin == ("tables", str(first), str(second))


def test_use_env_false_ignores_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALCIDOSE_TABLES", str(tmp_path / "absent"))
    assert load_catalog(use_env=False).origin == ("tables",)
    with pytest.raises(TableError) as info:
        load_catalog()
    assert info.value.problems == (
        TableProblem(str(tmp_path / "absent"), "", "", "not a tables directory"),
    )


def test_an_overlay_that_is_not_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "file.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(TableError) as info:
        load_catalog(path, use_env=False)
    assert info.value.problems == (TableProblem(str(path), "", "", "not a tables directory"),)
    assert str(info.value) == f"{path}: not a tables directory"


def test_packaged_tables_win_over_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "calcidose"
    (package / "tables").mkdir(parents=True)
    monkeypatch.setattr(catalog_module, "resources", SimpleNamespace(files=lambda _: package))
    assert default_tables() == package / "tables"


def test_a_checkout_uses_its_tables_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an editable install: no tables inside the package, the checkout's tables/ beside it
    checkout = tmp_path / "checkout"
    (checkout / "calcidose").mkdir(parents=True)
    (checkout / "tables").mkdir()
    monkeypatch.setattr(
        catalog_module, "resources", SimpleNamespace(files=lambda _: checkout / "calcidose")
    )
    monkeypatch.setattr(
        catalog_module, "__file__", str(checkout / "calcidose" / "catalog" / "__init__.py")
    )
    assert default_tables() == checkout / "tables"


def test_missing_shipped_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "calcidose"
    package.mkdir(parents=True)
    monkeypatch.setattr(catalog_module, "resources", SimpleNamespace(files=lambda _: package))
    monkeypatch.setattr(catalog_module, "__file__", str(package / "catalog" / "__init__.py"))
    with pytest.raises(TableError) as info:
        default_tables()
    assert info.value.problems == (
        TableProblem("tables", "", "", "the shipped tables are missing"),
    )


def test_shipped_tables_without_meta(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = full_set(tmp_path)
    (root / "meta.toml").unlink()
    monkeypatch.setattr(catalog_module, "default_tables", lambda: root)
    assert refused() == [TableProblem("tables/meta.toml", "", "", "missing")]
    # an overlay without meta.toml does not supply it either
    assert refused(overlay(tmp_path, {})) == [TableProblem("tables/meta.toml", "", "", "missing")]


def test_broken_shipped_tables_are_reported_under_their_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    shutil.copytree(SHIPPED, shipped)
    (shipped / "notes.txt").write_text("stray\n", encoding="utf-8")
    monkeypatch.setattr(catalog_module, "default_tables", lambda: shipped)
    root = overlay(tmp_path, {"drugs/diltiazem.toml": 'id = "diltiazem"\n'})
    assert validate_directory(root) == [
        TableProblem("tables/notes.txt", "", "", "unexpected file in tables")
    ]


def test_an_overlay_meta_error_names_the_overlay(tmp_path: Path) -> None:
    root = overlay(tmp_path, {"meta.toml": 'tables_version = "local-1"\nschema_version = 1.0\n'})
    assert refused(root) == [
        TableProblem(
            f"{root}/meta.toml", "", "$.schema_version", "must be a whole number, not float 1.0"
        )
    ]
    fine = overlay(tmp_path, {"meta.toml": 'tables_version = "local-1"\n'}, "fine")
    assert load_catalog(fine, use_env=False).tables_version == "local-1"


# --- drugs: ids, merging and names -------------------------------------------------------------


def test_every_drug_whose_id_is_not_its_file_name(tmp_path: Path) -> None:
    root = vocabulary(tmp_path)
    write(root, {"drugs/newa.toml": fixdrug("wronga"), "drugs/newb.toml": fixdrug("wrongb")})
    assert refused(root) == [
        TableProblem(f"{root}/drugs/newa.toml", "newa", "$.id", "must equal the file name 'newa'"),
        TableProblem(f"{root}/drugs/newb.toml", "newb", "$.id", "must equal the file name 'newb'"),
    ]


def test_a_drug_synonym_cannot_be_another_drugs_id(tmp_path: Path) -> None:
    root = vocabulary(tmp_path)
    write(
        root,
        {
            "drugs/aaa.toml": fixdrug("aaa", extra='synonyms = ["bbb"]'),
            "drugs/bbb.toml": fixdrug("bbb"),
        },
    )
    # drugs are named in the order of their ids: aaa takes "bbb" first, then drug bbb collides
    assert refused(root) == [
        TableProblem(f"{root}/drugs/bbb.toml", "bbb", "$.id", "'bbb' already names 'aaa'")
    ]


def test_substance_collisions_name_the_substances_file(tmp_path: Path) -> None:
    root = vocabulary(tmp_path)
    write(
        root,
        {
            "drugs/aaa.toml": fixdrug("aaa", extra='synonyms = ["aaa-brand"]'),
            "substances.toml": (
                '[classes.fix-class]\nname = "a fixture class"\nsources = ["fix-label"]\n\n'
                '[substances.fix-substance]\nname = "a fixture substance"\n'
                'synonyms = ["other-name", "aaa"]\nsources = ["fix-label"]\n\n'
                '[substances.aaa-brand]\nname = "a brand"\nsources = ["fix-label"]\n'
            ),
        },
    )
    label = f"{root}/substances.toml"
    assert refused(root) == [
        TableProblem(label, "fix-substance", "$.synonyms[1]", "'aaa' already names 'aaa'"),
        TableProblem(label, "aaa-brand", "$.id", "'aaa-brand' already names 'aaa'"),
    ]


def test_a_class_problem_names_the_overlay_substances_file(tmp_path: Path) -> None:
    root = overlay(
        tmp_path,
        {"substances.toml": '[classes.local-class]\nname = "a local class"\nsources = ["nope"]\n'},
    )
    assert refused(root) == [
        TableProblem(
            f"{root}/substances.toml",
            "local-class",
            "$.sources[0]",
            "unknown source 'nope' (not in sources.toml)",
        )
    ]


def test_overlay_changes_a_list_field_whole(tmp_path: Path) -> None:
    """Only regimens and rules merge by id; any other list is replaced as given."""
    table = 'id = "diltiazem"\nsources = ["araya-2006"]\n'
    root = overlay(tmp_path, {"drugs/diltiazem.toml": table})
    assert load_catalog(root, use_env=False).drugs["diltiazem"].sources == ("araya-2006",)


def test_overlay_rule_changes_one_field_of_our_rule(tmp_path: Path) -> None:
    text = 'id = "diltiazem"\n[[rules]]\nid = "diltiazem-hypotension"\nmessage = "Local wording."\n'
    root = overlay(tmp_path, {"drugs/diltiazem.toml": text})
    shipped = load_catalog(use_env=False).drugs["diltiazem"]
    drug = load_catalog(root, use_env=False).drugs["diltiazem"]
    [ours] = [r for r in shipped.rules if r.id == "diltiazem-hypotension"]
    [theirs] = [r for r in drug.rules if r.id == "diltiazem-hypotension"]
    assert theirs.message == "Local wording."
    assert (theirs.kind, theirs.severity, theirs.when) == (
        "contraindication",
        "contraindicated",
        ours.when,
    )
    assert len(drug.rules) == len(shipped.rules)


def test_overlay_adds_a_regimen_given_in_two_parts(tmp_path: Path) -> None:
    """A later entry with the same new id changes the one just added, not one of ours."""
    regimen = FIXDRUG.split("[[regimens]]", 1)[1].split("[[rules]]", 1)[0]
    regimen = regimen.replace('id = "oral"', 'id = "oral-local"').replace("fix-paper", "araya-2006")
    regimen = regimen.replace("fix-label", "araya-2006")
    text = (
        f'id = "diltiazem"\n[[regimens]]{regimen}'
        '[[regimens]]\nid = "oral-local"\ntitle = "Oral, local protocol"\n'
    )
    root = overlay(tmp_path, {"drugs/diltiazem.toml": text})
    shipped = load_catalog(use_env=False).drugs["diltiazem"]
    drug = load_catalog(root, use_env=False).drugs["diltiazem"]
    assert [r.id for r in drug.regimens] == [r.id for r in shipped.regimens] + ["oral-local"]
    assert drug.regimens[:-1] == shipped.regimens
    added = drug.regimens[-1]
    assert added.title == "Oral, local protocol"
    assert added.dose is not None
    # the first part's range, 2 to 4 mg/kg/d (base fixdrug), is kept
    assert (added.dose.low.value, added.dose.high.value, added.dose.low.unit) == (2, 4, "mg/kg/d")


def test_every_regimen_and_rule_without_id_is_reported(tmp_path: Path) -> None:
    text = (
        'id = "diltiazem"\n[[regimens]]\ntitle = "a"\n[[regimens]]\ntitle = "b"\n'
        '[[rules]]\nmessage = "c"\n'
    )
    root = overlay(tmp_path, {"drugs/diltiazem.toml": text})
    label = f"{root}/drugs/diltiazem.toml"
    assert refused(root) == [
        TableProblem(label, "", "$.regimens[0]", "needs an id"),
        TableProblem(label, "", "$.regimens[1]", "needs an id"),
        TableProblem(label, "", "$.rules[0]", "needs an id"),
    ]


def test_overlay_adds_rules_to_a_drug_that_had_none(tmp_path: Path) -> None:
    no_rules = FIXDRUG.split("[[rules]]", 1)[0]
    first = full_set(tmp_path, {"drugs/fixdrug.toml": no_rules}, "first")
    rule = "[[rules]]" + FIXDRUG.split("[[rules]]", 1)[1]
    second = overlay(tmp_path, {"drugs/fixdrug.toml": f'id = "fixdrug"\n{rule}'}, "second")
    assert load_catalog(first, use_env=False).drugs["fixdrug"].rules == ()
    drug = load_catalog(first, second, use_env=False).drugs["fixdrug"]
    assert [r.id for r in drug.rules] == ["fixdrug-condition"]


def test_structure_problems_name_the_drug(tmp_path: Path) -> None:
    root = vocabulary(tmp_path)
    write(root, {"drugs/newdrug.toml": fixdrug("newdrug", extra='dosage = "high"')})
    assert refused(root) == [
        TableProblem(f"{root}/drugs/newdrug.toml", "newdrug", "$", "extra fields found (dosage)")
    ]


# --- validate_directory ------------------------------------------------------------------------


def test_a_complete_set_is_validated_on_its_own(tmp_path: Path) -> None:
    """With meta.toml it is a whole set: a source only the shipped tables hold is unknown."""
    root = full_set(tmp_path, {"drugs/fixdrug.toml": fixdrug("fixdrug", sources='["araya-2006"]')})
    assert validate_directory(root) == [
        TableProblem(
            f"{root}/drugs/fixdrug.toml",
            "fixdrug",
            "$.sources[0]",
            "unknown source 'araya-2006' (not in sources.toml)",
        )
    ]
    (root / "meta.toml").unlink()  # the same files as an overlay: araya-2006 is ours
    assert validate_directory(root) == []


def test_a_regimen_without_id_in_a_complete_set(tmp_path: Path) -> None:
    root = full_set(tmp_path, {"drugs/fixdrug.toml": FIXDRUG.replace('id = "oral"\n', "", 1)})
    assert validate_directory(root) == [
        TableProblem(
            f"{root}/drugs/fixdrug.toml", "fixdrug", "$.regimens[0]", "'id' is a required property"
        )
    ]


def test_a_schema_check_that_recurses_too_deeply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(*_: Any, **__: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(jsonschema.Draft202012Validator, "iter_errors", exhausted)
    root = overlay(
        tmp_path,
        {
            "sources.toml": (BASE / "sources.toml").read_text(encoding="utf-8"),
            "drugs/diltiazem.toml": 'id = "diltiazem"\n',
        },
    )
    too_deep = "nested too deeply to be checked"
    assert validate_directory(root) == [
        TableProblem(f"{root}/sources.toml", "", "$", too_deep),
        TableProblem(f"{root}/drugs/diltiazem.toml", "diltiazem", "$", too_deep),
    ]


@pytest.mark.parametrize("kind", ["not", "all", "any"])
def test_predicates_sixteen_levels_deep_pass_both_checks(tmp_path: Path, kind: str) -> None:
    """The depth guard before the JSON Schema counts levels as validate does: a condition 16
    levels down is valid for `tables validate` as it is for load_catalog."""
    root = full_set(tmp_path, {"drugs/fixdrug.toml": with_predicate(nested(kind, 16))})
    assert validate_directory(root) == []
    assert load_catalog(root, use_env=False).drugs["fixdrug"].rules[0].id == "fixdrug-condition"


@pytest.mark.parametrize("kind", ["not", "all", "any"])
def test_predicates_seventeen_levels_deep_are_stopped_before_the_schema(
    tmp_path: Path, kind: str
) -> None:
    root = full_set(tmp_path, {"drugs/fixdrug.toml": with_predicate(nested(kind, 17))})
    # reported at the rule's predicate as a whole (the guard stops before walking it)
    assert validate_directory(root) == [
        TableProblem(f"{root}/drugs/fixdrug.toml", "fixdrug", "$.rules[0].when", DEEP)
    ]


def test_a_too_deep_part_beside_a_value_that_is_not_a_predicate(tmp_path: Path) -> None:
    """The guard walks on past a part that is not a table (the schema reports that one)."""
    predicate = f"{{ all = [{nested('not', 16)}, 5] }}"  # the condition is 17 levels down
    root = full_set(tmp_path, {"drugs/fixdrug.toml": with_predicate(predicate)})
    assert validate_directory(root) == [
        TableProblem(f"{root}/drugs/fixdrug.toml", "fixdrug", "$.rules[0].when", DEEP)
    ]


def test_every_drug_with_a_too_deep_rule_is_reported(tmp_path: Path) -> None:
    deep = nested("not", 17).replace('condition = "fix-condition"', 'condition = "pregnancy"')
    root = overlay(
        tmp_path,
        {
            f"drugs/{drug}.toml": f'id = "{drug}"\n[[rules]]\nid = "{rule}"\nwhen = {deep}\n'
            for drug, rule in (
                ("diltiazem", "diltiazem-hypotension"),
                ("warfarin", "warfarin-pregnancy"),
            )
        },
    )
    assert validate_directory(root) == [
        TableProblem(f"{root}/drugs/diltiazem.toml", "diltiazem", "$.rules[0].when", DEEP),
        TableProblem(f"{root}/drugs/warfarin.toml", "warfarin", "$.rules[0].when", DEEP),
    ]


def test_a_rule_that_is_not_a_table(tmp_path: Path) -> None:
    root = overlay(tmp_path, {"drugs/diltiazem.toml": 'id = "diltiazem"\nrules = [5]\n'})
    assert validate_directory(root) == [
        TableProblem(f"{root}/drugs/diltiazem.toml", "", "$.rules[0]", "needs an id")
    ]


# --- resolve_drug ------------------------------------------------------------------------------

REF = reference_catalog()
REF_DRUGS = "notdosable, refdrug, weeklydrug"  # tests/strategies.py reference_catalog, sorted


def test_unknown_drug_lists_the_catalog_drugs() -> None:
    with pytest.raises(UnknownDrugError) as info:
        resolve_drug(REF, "refdrugs")
    # issue 11 §5: a close id is suggested, never applied ('refdrugs' vs 'refdrug': difflib
    # ratio 2 x 7 / 15 = 0.93, over the 0.75 cutoff)
    assert str(info.value) == (
        "unknown drug 'refdrugs'; did you mean 'refdrug'? (not applied); "
        f"catalog drugs: {REF_DRUGS}"
    )
    with pytest.raises(UnknownDrugError) as far:
        resolve_drug(REF, "zzz")  # nothing close: no suggestion
    assert str(far.value) == f"unknown drug 'zzz'; catalog drugs: {REF_DRUGS}"


def test_a_substance_is_not_a_catalog_therapy() -> None:
    with pytest.raises(UnknownDrugError) as info:
        resolve_drug(REF, "ref-harmless")
    assert str(info.value) == (
        "unknown drug 'ref-harmless' ('ref-harmless' is a substance the rules know, not a "
        f"catalog therapy); catalog drugs: {REF_DRUGS}"
    )
    assert resolve_drug(REF, "refdrug-synonym").id == "refdrug"
