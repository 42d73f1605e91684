"""The documentation site's generated pages (docs/_ext) say what the tables and the package say.

The expectations are read independently of the extension: the table files with tomllib (not
through calcidose's loader), the package's schema files from disk, ``calcidose.__all__``.
The full Sphinx build (warnings as errors) runs in .ci/run; these tests need no Sphinx.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import catalog_pages  # noqa: E402
import reference_pages  # noqa: E402


def _value(q: dict[str, object]) -> str:
    v = float(q["value"])  # type: ignore[arg-type]
    return f"{int(v) if v.is_integer() else v} {q['unit']}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the docs layout (srcdir beside tables/) with the generated pages written."""
    src = tmp_path_factory.mktemp("site") / "docs"
    src.mkdir()
    (src.parent / "tables").symlink_to(ROOT / "tables")
    catalog_pages.write_pages(src)
    reference_pages.write_pages(src)
    return src


DRUG_FILES = sorted((ROOT / "tables" / "drugs").glob("*.toml"))


@pytest.mark.parametrize("path", DRUG_FILES, ids=lambda p: p.stem)
def test_every_table_entry_has_its_page(site: Path, path: Path) -> None:
    """Every regimen, dose, cap, product strength, not-dosable reason and rule of the table file
    is on the entry's page, with the rule's severity beside its id."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    page = (site / "catalog" / f"{path.stem}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {catalog_pages.esc(table['name'])}\n")
    for cap in table.get("caps", []):
        assert f"`{_value(cap['max'])}` per {cap['per']}" in page
    for regimen in table.get("regimens", []):
        assert f"- id: `{regimen['id']}`" in page
        assert f"evidence level: **{regimen['evidence']}**" in page
        if not regimen["dosable"]:
            reason = catalog_pages.esc(regimen["not_dosable_reason"])
            assert f"**Not dosable.** {reason}" in page
        if "dose" in regimen:
            assert (
                _value(regimen["dose"]["low"]) in page and _value(regimen["dose"]["high"]) in page
            )
        for cap in regimen.get("caps", []):
            assert f"`{_value(cap['max'])}` per {cap['per']}, kind {cap['kind']}" in page
        for product in regimen.get("products", []):
            for strength in product.get("strengths", []):
                assert f"`{_value(strength)}`" in page
    rules = table.get("rules", [])
    for rule in rules:
        block = page.split(f"### {catalog_pages.esc(rule['id'])}\n", 1)[1]
        assert block.split("\n### ", 1)[0].count(f"severity: **{rule['severity']}**") == 1
        assert catalog_pages.esc(rule["message"]) in block
    for source in table.get("sources", []):
        assert f"<source-{source}>" in page


def test_index_lists_every_entry_and_no_other(site: Path) -> None:
    index = (site / "catalog" / "index.md").read_text(encoding="utf-8")
    listed = {
        line.split("](", 1)[1].split(".md)", 1)[0]
        for line in index.splitlines()
        if line.startswith("| [")
    }
    assert listed == {p.stem for p in DRUG_FILES}


def test_a_removed_entry_leaves_no_page(site: Path) -> None:
    """The catalog directory is rewritten, never added to: a stale page cannot survive."""
    stale = site / "catalog" / "no-such-drug.md"
    stale.write_text("# stale\n", encoding="utf-8")
    catalog_pages.write_pages(site)
    assert not stale.exists()


def test_every_source_has_an_anchor_and_its_link(site: Path) -> None:
    sources = tomllib.loads((ROOT / "tables" / "sources.toml").read_text(encoding="utf-8"))
    page = (site / "catalog" / "sources.md").read_text(encoding="utf-8")
    for sid, source in sources["sources"].items():
        assert f"(source-{sid})=" in page
        if "url" in source:
            assert f"<{source['url']}>" in page


_TABLE_WITH_NOTES = """\
# calcidose table: example
# Provenance: written for calcidose. Reviewed in the 2026-09 table review.
# Re-audit 2026-10-14 (issue 10): US label renal wording - confirmed;
#   encoded as <= 30.
#
# Interaction modelling (no date: not a check note).
id = "example"

# UK SmPC 4.3 (read 2026-11-20): lactation is a contraindication;
# the stricter is applied.
[[rules]]
id = "example-lactation"
"""


def test_check_notes_are_the_dated_comments_verbatim(tmp_path: Path) -> None:
    table = tmp_path / "example.toml"
    table.write_text(_TABLE_WITH_NOTES, encoding="utf-8")
    notes = catalog_pages.check_notes(table)
    # by hand: three dated comments; each note starts at the sentence holding its date and runs
    # over its continuation lines, stopping at the blank comment line and at the TOML
    assert [(n.date, n.text, n.checked) for n in notes] == [
        ("2026-09", "Reviewed in the 2026-09 table review.", True),
        (
            "2026-10-14",
            "Re-audit 2026-10-14 (issue 10): US label renal wording - confirmed; encoded as <= 30.",
            True,
        ),
        (
            "2026-11-20",
            "UK SmPC 4.3 (read 2026-11-20): lactation is a contraindication;"
            " the stricter is applied.",
            True,
        ),
    ]
    assert catalog_pages.last_checked(notes) == "2026-11-20"
    assert catalog_pages.check_notes(None) == []


def test_a_date_inside_a_continuation_line_starts_its_own_note(tmp_path: Path) -> None:
    table = tmp_path / "example.toml"
    table.write_text(
        "# Re-audit 2026-12-02 (issue 10): UK SmPC lactation contraindication (US label:\n"
        "#   nursing or drug; conflict reported); 2026-12-03: the lactation rule is below.\n"
        'id = "example"\n',
        encoding="utf-8",
    )
    # by hand: the clause before "; 2026-12-03" ends the 2026-12-02 note, the rest is a note
    # of its own dated 2026-12-03
    assert [(n.date, n.text) for n in catalog_pages.check_notes(table)] == [
        (
            "2026-12-02",
            "Re-audit 2026-12-02 (issue 10): UK SmPC lactation contraindication (US label:"
            " nursing or drug; conflict reported);",
        ),
        ("2026-12-03", "2026-12-03: the lactation rule is below."),
    ]


def test_a_note_saying_not_checked_does_not_count_as_a_check(tmp_path: Path) -> None:
    table = tmp_path / "example.toml"
    table.write_text(
        "# Reviewed in the 2026-11 table review.\n"
        "# Re-audit 2026-12-02 (issue 10): not re-checked against its label in this audit.\n"
        'id = "example"\n',
        encoding="utf-8",
    )
    notes = catalog_pages.check_notes(table)
    assert [n.checked for n in notes] == [True, False]
    # the 2026-12-02 audit says it did not check this table: the last check is the 2026-11 review
    assert catalog_pages.last_checked(notes) == "2026-11"
    assert "2026-11 (the note of 2026-12-02 says the table was not re-checked then)" in (
        catalog_pages._last_checked_text(notes)
    )
    table.write_text('# written for calcidose\nid = "example"\n', encoding="utf-8")
    assert catalog_pages.last_checked(catalog_pages.check_notes(table)) is None


_DATE = re.compile(r"\b20\d\d-\d\d(?:-\d\d)?\b")


@pytest.mark.parametrize("table", DRUG_FILES, ids=lambda p: p.stem)
def test_every_dated_comment_of_a_table_is_on_its_page(site: Path, table: Path) -> None:
    page = (site / "catalog" / f"{table.stem}.md").read_text(encoding="utf-8")
    comments = [
        line.lstrip().lstrip("#")
        for line in table.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("#")
    ]
    dates = {d for line in comments for d in _DATE.findall(line)}
    checks = page.split("### Checks recorded in the table", 1)
    if not dates:
        assert "- last checked: no check date recorded in the table" in page
        assert len(checks) == 1
        return
    for date in dates:
        assert f"\n- {date}" in checks[1], date
    shown = re.search(r"^- last checked: (\S+)", page, re.MULTILINE)
    assert shown is not None and shown.group(1) in dates
    index = (site / "catalog" / "index.md").read_text(encoding="utf-8")
    row = next(line for line in index.splitlines() if f"]({table.stem}.md)" in line)
    assert row.rstrip(" |").endswith(shown.group(1))


def test_api_page_documents_every_exported_name(site: Path) -> None:
    import calcidose

    page = (site / "reference" / "api.md").read_text(encoding="utf-8")
    for name in calcidose.__all__:
        assert f" calcidose.{name}\n" in page, name


def test_error_tree_holds_every_error_of_the_package(site: Path) -> None:
    import calcidose

    page = (site / "reference" / "errors.md").read_text(encoding="utf-8")
    for name in calcidose.__all__:
        obj = getattr(calcidose, name)
        if isinstance(obj, type) and issubclass(obj, calcidose.CalcidoseError):
            assert f"- `{name}`" in page, name
    # InputError is a ValueError and sits one level below CalcidoseError
    assert "\n  - `InputError` (also a `ValueError`)" in page


def test_every_published_schema_is_on_the_schemas_page(site: Path) -> None:
    page = (site / "reference" / "schemas.md").read_text(encoding="utf-8")
    shipped = sorted((ROOT / "calcidose").rglob("*.schema.json"))
    assert len(shipped) >= 5  # dose-plan, order-check, tables, batch orders, batch audit
    for path in shipped:
        rel = path.relative_to(ROOT / "calcidose").as_posix()
        assert f"`calcidose/{rel}`" in page
        copy = site / "reference" / "schemas" / rel.replace("/", "--")
        assert json.loads(copy.read_text(encoding="utf-8")) == json.loads(path.read_text("utf-8"))
