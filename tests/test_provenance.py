"""Every answer names the tables it used (issue 12 §3): the shipped edition and each overlay's
name, version and content hash, in JSON (dose plan, order check), text and CDS Hooks cards."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

import calcidose
from calcidose.render import order_text, plan_text, tables_words

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = tomllib.loads((ROOT / "tables" / "meta.toml").read_text("utf-8"))["tables_version"]

SOURCES = """
[sources.ward-9-formulary]
kind = "policy"
title = "Ward 9 formulary: oral diltiazem"
citation = "Ward 9 drug committee, decision 2026-11."
checked = "The committee's minute: oral diltiazem at most 300 mg/day."
"""
DILTIAZEM = """
id = "diltiazem"

[[regimens]]
id = "oral-weight-based"

[[regimens.caps]]
kind = "policy"
per = "day"
max = { value = 300, unit = "mg/d" }
sources = ["ward-9-formulary"]
note = "Ward 9: at most 300 mg/day."
"""


def _overlay(tmp_path: Path, version: str | None) -> tuple[Path, dict[str, bytes]]:
    site = tmp_path / "ward-9"
    (site / "drugs").mkdir(parents=True)
    files = {"sources.toml": SOURCES.encode(), "drugs/diltiazem.toml": DILTIAZEM.encode()}
    if version is not None:
        files["meta.toml"] = f'tables_version = "{version}"\n'.encode()
    for rel, content in files.items():
        (site / rel).write_bytes(content)
    return site, files


def _expected_hash(files: dict[str, bytes]) -> str:
    # the documented recipe, computed here by hand: for each file in path order,
    # "path NUL length NUL" then the bytes
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + str(len(files[rel])).encode() + b"\0" + files[rel])
    return digest.hexdigest()


MAN = {"weight": "70 kg", "age": "54 years", "sex": "male"}


def test_the_shipped_tables_alone_name_their_edition() -> None:
    cat = calcidose.load_tables(use_env=False)
    plan = calcidose.dose("diltiazem", calcidose.Patient(**MAN), catalog=cat)
    assert plan.to_dict()["tables"] == {"edition": SHIPPED, "overlays": []}
    assert plan_text(plan, cat).count(f"tables {SHIPPED}") == 1


@pytest.mark.parametrize("version", ["ward-9-2026.2", None])
def test_an_overlay_is_named_with_version_and_hash(tmp_path: Path, version: str | None) -> None:
    site, files = _overlay(tmp_path, version)
    cat = calcidose.load_tables(site, use_env=False)
    man = calcidose.Patient(**MAN)
    expected = {
        "edition": SHIPPED,
        "overlays": [{"name": "ward-9", "version": version, "sha256": _expected_hash(files)}],
    }
    plan = calcidose.dose("diltiazem", man, catalog=cat)
    # 100 mg tid = 300 mg/day: at the ward's cap, not above it
    order = calcidose.check("diltiazem", "100 mg", "tid", man, catalog=cat)
    for result, schema in ((plan, "dose-plan"), (order, "order-check")):
        data = json.loads(json.dumps(result.to_dict()))
        assert data["tables"] == expected
        published = json.loads((ROOT / f"calcidose/schemas/{schema}.schema.json").read_text())
        jsonschema.validate(data, published)
    words = f"overlay ward-9{f' version {version}' if version else ''}"
    line = f"(shipped {SHIPPED} + {words} sha256 {_expected_hash(files)[:12]})"
    assert line in plan_text(plan, cat)
    assert line in order_text(order, cat)


def test_an_edited_overlay_has_another_hash(tmp_path: Path) -> None:
    site, _ = _overlay(tmp_path, "v1")
    before = calcidose.load_tables(site, use_env=False).overlays[0].sha256
    path = site / "drugs" / "diltiazem.toml"
    path.write_text(path.read_text("utf-8").replace("300", "301"), "utf-8")
    after = calcidose.load_tables(site, use_env=False).overlays[0].sha256
    assert before != after


def test_two_overlays_in_order(tmp_path: Path) -> None:
    first, _ = _overlay(tmp_path / "a", "one")
    second = tmp_path / "later"
    second.mkdir()
    (second / "meta.toml").write_text('tables_version = "two"\n', "utf-8")
    cat = calcidose.load_tables(first, second, use_env=False)
    assert [o.name for o in cat.overlays] == ["ward-9", "later"]
    assert tables_words(cat.tables_version, cat.provenance()).startswith(
        f"tables two (shipped {SHIPPED} + overlay ward-9 version one sha256 "
    )


def test_cds_hooks_card_names_the_overlay(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from calcidose.service.cards import _source

    site, files = _overlay(tmp_path, "ward-9-2026.2")
    cat = calcidose.load_tables(site, use_env=False)
    label = _source(cat, "https://x.example")["label"]
    assert f"overlay ward-9 version ward-9-2026.2 sha256 {_expected_hash(files)[:12]}" in label
