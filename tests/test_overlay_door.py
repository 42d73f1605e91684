"""Overlays go through one door (issue 12 §2): what `tables validate` refuses never loads.

Each case is an overlay a careless or hostile author could write; load_catalog (and so
CALCIDOSE_TABLES) must refuse it exactly when validate_directory does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from calcidose import Patient, dose
from calcidose.catalog import load_catalog, validate_directory
from calcidose.catalog.tablefiles import content_hash
from calcidose.errors import TableError
from calcidose.safeio import MAX_TABLE_BYTES

CYRILLIC_E = "\u0435"  # looks like the Latin "e"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def assert_one_door(root: Path, needle: str) -> None:
    problems = validate_directory(root)
    assert problems and any(needle in str(p) for p in problems), problems
    with pytest.raises(TableError) as info:
        load_catalog(root, use_env=False)
    assert info.value.problems


def test_a_homoglyph_condition_id_is_refused_by_load_too(tmp_path: Path) -> None:
    """An overlay that re-points diltiazem's AV-block rule at a look-alike condition id would
    silently disconnect the contraindication: a patient with the real id gets no finding."""
    fake = f"av-block-2nd-3rd-d{CYRILLIC_E}gree"
    root = write(
        tmp_path / "site",
        {
            "conditions.toml": f'[conditions."{fake}"]\nname = "AV block"\n'
            'description = "look-alike"\nsources = ["calcidose-policy"]\n',
            "drugs/diltiazem.toml": 'id = "diltiazem"\n[[rules]]\nid = "diltiazem-av-block"\n'
            f'when = {{ condition = "{fake}" }}\n',
        },
    )
    assert_one_door(root, "does not match")  # the schema pattern
    with pytest.raises(TableError, match="not a lowercase ASCII slug"):
        load_catalog(root, use_env=False)


@pytest.mark.parametrize(
    "ident", ["Pacemaker", "pace maker", "pace/maker", "pace..maker", "pacemaker-", "x\n"]
)
def test_ids_are_lowercase_ascii_slugs(tmp_path: Path, ident: str) -> None:
    root = write(
        tmp_path / "site",
        {
            "conditions.toml": f'[conditions."{ident.encode("unicode_escape").decode()}"]\n'
            'name = "n"\ndescription = "d"\n'
        },
    )
    assert validate_directory(root)
    with pytest.raises(TableError):
        load_catalog(root, use_env=False)


@pytest.mark.parametrize(
    "layout",
    ["Drugs/diltiazem.toml", "drug/diltiazem.toml", "sub/drugs/diltiazem.toml", "notes.txt"],
)
def test_files_outside_the_layout_are_errors(tmp_path: Path, layout: str) -> None:
    root = write(tmp_path / "site", {layout: 'id = "diltiazem"\n'})
    assert_one_door(root, "unexpected")


def test_a_symlink_leaving_the_overlay_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", {"d.toml": 'id = "diltiazem"\n'})
    root = tmp_path / "site"
    (root / "drugs").mkdir(parents=True)
    (root / "drugs" / "diltiazem.toml").symlink_to(outside / "d.toml")
    assert_one_door(root, "leaves the tables directory")


def test_a_symlink_inside_the_overlay_is_read(tmp_path: Path) -> None:
    root = write(tmp_path / "site", {"README.md": "our site tables\n"})
    (root / "drugs").mkdir()
    (root / "drugs" / "diltiazem.toml").symlink_to(root / "README.md")  # inside: allowed
    (root / "README.md").write_text("", encoding="utf-8")
    (root / "README.md").unlink()
    (root / "README.md").write_text('id = "diltiazem"\n', encoding="utf-8")
    assert validate_directory(root) == []


def test_a_fifo_and_a_device_are_refused_without_blocking(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "drugs").mkdir(parents=True)
    os.mkfifo(root / "drugs" / "diltiazem.toml")
    assert_one_door(root, "not a regular file")
    other = tmp_path / "dev"
    (other / "drugs").mkdir(parents=True)
    (other / "drugs" / "diltiazem.toml").symlink_to("/dev/zero")
    # /dev/zero is outside the overlay: refused before anything is read
    assert_one_door(other, "leaves the tables directory")


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    root = write(tmp_path / "site", {"drugs/diltiazem.toml": "# x\n" * (MAX_TABLE_BYTES // 4 + 1)})
    assert_one_door(root, f"{MAX_TABLE_BYTES:,} bytes")


def test_overlay_meta_is_treated_the_same_by_validate_and_load(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad", {"meta.toml": "schema_version = 2\n"})
    assert_one_door(bad, "schema_version")
    good = write(tmp_path / "good", {"meta.toml": 'tables_version = "2026.11.0-site"\n'})
    assert validate_directory(good) == []
    assert load_catalog(good, use_env=False).tables_version == "2026.11.0-site"


def test_a_valid_overlay_still_changes_the_answer(tmp_path: Path) -> None:
    """The door lets a correct overlay through: the real AV-block id, unchanged, still fires."""
    root = write(tmp_path / "site", {"README.md": "our site tables\n"})
    catalog = load_catalog(root, use_env=False)
    patient = Patient(
        weight="70 kg", age="60 y", sex="male", conditions=["av-block-2nd-3rd-degree"]
    )
    assert dose("diltiazem", patient, catalog=catalog).status == "contraindicated"


def test_content_hash_is_deterministic_and_sensitive() -> None:
    a = content_hash({"drugs/x.toml": b"a = 1\n", "meta.toml": b""})
    # the same files in another order: the same hash
    assert a == content_hash({"meta.toml": b"", "drugs/x.toml": b"a = 1\n"})
    assert a != content_hash({"drugs/x.toml": b"a = 2\n", "meta.toml": b""})
    # moving bytes between name and content is a different set of files
    assert content_hash({"ab": b"c"}) != content_hash({"a": b"bc"})
    assert a.startswith("sha256:") and len(a) == len("sha256:") + 64


def test_an_overlay_medications_file_goes_through_the_door(tmp_path: Path) -> None:
    """medications.toml is part of the layout: an overlay's copy is read confined and
    schema-checked like the other vocabulary files (a capital in an id is refused)."""
    root = write(tmp_path / "site", {"medications.toml": '[medications.Warfarinx]\nname = "W"\n'})
    assert_one_door(root, "does not match")
    outside = write(tmp_path / "elsewhere", {"m.toml": '[medications.x]\nname = "X"\n'})
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "medications.toml").symlink_to(outside / "m.toml")
    assert_one_door(linked, "leaves the tables directory")
