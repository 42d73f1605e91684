"""Every answer names the tables it used (issue 12 §3): the shipped edition and each overlay's
name, version and content hash, in JSON (dose plan, order check), text and CDS Hooks cards."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
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


#: ``write(site, {relative path: text})`` -> (site, its content hash by hand) (tests/conftest.py).
Overlay = Callable[[Path, Mapping[str, str]], tuple[Path, str]]
#: ``ward_9(root, version)`` -> (the Ward 9 overlay in ``root/ward-9``, its content hash).
Ward9 = Callable[[Path, str | None], tuple[Path, str]]


@pytest.fixture
def ward_9(write_overlay: Overlay) -> Ward9:
    """The Ward 9 overlay (a 300 mg/day cap and its source), with ``meta.toml`` naming the
    version when there is one."""

    def write(root: Path, version: str | None) -> tuple[Path, str]:
        files = {"sources.toml": SOURCES, "drugs/diltiazem.toml": DILTIAZEM}
        if version is not None:
            files["meta.toml"] = f'tables_version = "{version}"\n'
        return write_overlay(root / "ward-9", files)

    return write


MAN = {"weight": "70 kg", "age": "54 years", "sex": "male"}


def test_the_shipped_tables_alone_name_their_edition() -> None:
    cat = calcidose.load_tables(use_env=False)
    plan = calcidose.dose("diltiazem", calcidose.Patient(**MAN), catalog=cat)
    assert plan.to_dict()["tables"] == {"edition": SHIPPED, "overlays": []}
    assert plan_text(plan, cat).count(f"tables {SHIPPED}") == 1


@pytest.mark.parametrize("version", ["ward-9-2026.2", None])
def test_an_overlay_is_named_with_version_and_hash(
    tmp_path: Path, version: str | None, ward_9: Ward9
) -> None:
    site, sha = ward_9(tmp_path, version)
    cat = calcidose.load_tables(site, use_env=False)
    man = calcidose.Patient(**MAN)
    expected = {
        "edition": SHIPPED,
        "overlays": [{"name": "ward-9", "version": version, "sha256": sha}],
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
    line = f"(shipped {SHIPPED} + {words} sha256 {sha[:12]})"
    assert line in plan_text(plan, cat)
    assert line in order_text(order, cat)


def test_an_edited_overlay_has_another_hash(tmp_path: Path, ward_9: Ward9) -> None:
    site, _ = ward_9(tmp_path, "v1")
    before = calcidose.load_tables(site, use_env=False).overlays[0].sha256
    path = site / "drugs" / "diltiazem.toml"
    path.write_text(path.read_text("utf-8").replace("300", "301"), "utf-8")
    after = calcidose.load_tables(site, use_env=False).overlays[0].sha256
    assert before != after


def test_two_overlays_in_order(tmp_path: Path, ward_9: Ward9) -> None:
    first, _ = ward_9(tmp_path / "a", "one")
    second = tmp_path / "later"
    second.mkdir()
    (second / "meta.toml").write_text('tables_version = "two"\n', "utf-8")
    cat = calcidose.load_tables(first, second, use_env=False)
    assert [o.name for o in cat.overlays] == ["ward-9", "later"]
    assert tables_words(cat.tables_version, cat.provenance()).startswith(
        f"tables two (shipped {SHIPPED} + overlay ward-9 version one sha256 "
    )


def test_cds_hooks_card_names_the_overlay(tmp_path: Path, ward_9: Ward9) -> None:
    pytest.importorskip("fastapi")
    from calcidose.service.cards import _source

    site, sha = ward_9(tmp_path, "ward-9-2026.2")
    cat = calcidose.load_tables(site, use_env=False)
    label = _source(cat, "https://x.example")["label"]
    assert f"overlay ward-9 version ward-9-2026.2 sha256 {sha[:12]}" in label
