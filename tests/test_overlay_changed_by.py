"""Every cap, limit or rule an overlay changed is marked in results as changed by that overlay
(issue 12 §3), in the trace, the findings and the order check's maxima, text and JSON.

The overlay (St Elsewhere) caps oral diltiazem at 360 mg/day, where the shipped tables give a
calcidose policy cap of 480 mg/day, and raises diltiazem-beta-blocker from major to
contraindicated. 130 mg three times daily is 390 mg/day (3 x 130), above 360."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import calcidose
from calcidose.catalog import load_catalog
from calcidose.cli import main
from calcidose.render import order_text, plan_text

SOURCE = """
[sources.st-elsewhere-formulary]
kind = "policy"
title = "St Elsewhere formulary: oral diltiazem"
citation = "St Elsewhere Hospital drug and therapeutics committee, decision 2026-10."
checked = "The committee's minute."
"""

DRUG = """
id = "diltiazem"

[[regimens]]
id = "oral-weight-based"

[[regimens.caps]]
kind = "policy"
per = "day"
max = {{ value = {cap}, unit = "mg/d" }}
sources = ["st-elsewhere-formulary"]

[[rules]]
id = "diltiazem-beta-blocker"
severity = "{severity}"
"""

CAP = "drugs.diltiazem.regimens.oral-weight-based.caps.day"
RULE_SEVERITY = "drugs.diltiazem.rules.diltiazem-beta-blocker.severity"


def overlay(root: Path, cap: int = 360, severity: str = "contraindicated", meta: str = "") -> Path:
    (root / "drugs").mkdir(parents=True)
    (root / "sources.toml").write_text(SOURCE, encoding="utf-8")
    (root / "drugs" / "diltiazem.toml").write_text(
        DRUG.format(cap=cap, severity=severity), encoding="utf-8"
    )
    if meta:
        (root / "meta.toml").write_text(meta, encoding="utf-8")
    return root


MAN = {"weight": "70 kg", "age": "54 years", "sex": "male", "medications": ["metoprolol"]}


def schema(name: str) -> Any:
    text = resources.files("calcidose").joinpath(f"schemas/{name}.schema.json").read_text()
    return json.loads(text)


def test_an_overlay_cap_is_named_as_the_overlay_s_in_the_order_check(tmp_path: Path) -> None:
    site = overlay(tmp_path / "st-elsewhere")
    catalog = load_catalog(site, use_env=False)
    # 390 mg once daily (extended-release capsule): 130 mg tid would also exceed the
    # immediate-release tablets' own 360 mg/day label maximum (a product cap, issue 10)
    result = calcidose.check(
        "diltiazem", "390 mg", "daily", calcidose.Patient(**MAN), catalog=catalog
    )
    data = result.to_dict()
    jsonschema.validate(data, schema("order-check"))
    assert data["schema"] == "calcidose/order-check/3"
    mark = {"overlay": "st-elsewhere", "change": CAP, "sources": []}
    (maximum,) = [m for m in data["maxima"] if m["kind"] == "policy"]
    assert (maximum["max"], maximum["changed_by"]) == ({"value": 360, "unit": "mg/d"}, mark)
    # (the shipped immediate-release label maximum, 360 mg/day, is exceeded too: not marked)
    (exceeds,) = [f for f in data["findings"] if "policy maximum" in f["message"]]
    assert exceeds["changed_by"] == mark
    others = [f for f in data["findings"] if f["code"] == "order-exceeds-maximum" and f != exceeds]
    assert all("changed_by" not in f for f in others)  # a shipped maximum is not the overlay's
    assert "calcidose policy" not in exceeds["message"]
    assert (
        "above the policy maximum of 360 mg/day, set by overlay st-elsewhere" in exceeds["message"]
    )
    steps = [s for s in data["trace"] if "changed_by" in s]
    assert [s["step"] for s in steps] == [
        "cap (policy, changed by overlay st-elsewhere)",  # the range for the patient
        "maximum (policy, changed by overlay st-elsewhere)",  # the order against it
    ]
    # the rule the overlay raised to contraindicated says so too
    (rule,) = [f for f in data["findings"] if f["code"] == "diltiazem-beta-blocker"]
    assert rule["severity"] == "contraindicated"
    assert rule["changed_by"] == {"overlay": "st-elsewhere", "change": RULE_SEVERITY, "sources": []}
    text = order_text(result, catalog)
    assert "set by overlay st-elsewhere" in text
    assert "rule changed by overlay st-elsewhere" in text


def test_the_dose_plan_trace_marks_the_cap(tmp_path: Path) -> None:
    site = overlay(tmp_path / "st-elsewhere")
    catalog = load_catalog(site, use_env=False)
    plan = calcidose.dose("diltiazem", calcidose.Patient(**MAN), catalog=catalog)
    data = plan.to_dict()
    jsonschema.validate(data, schema("dose-plan"))
    assert data["schema"] == "calcidose/dose-plan/3"
    (cap,) = [s for s in data["trace"] if s["step"].startswith("cap (")]
    assert cap["step"] == "cap (policy, changed by overlay st-elsewhere)"
    assert cap["terms"]["cap"] == {"value": 360, "unit": "mg/d"}
    assert cap["changed_by"]["change"] == CAP
    assert "cap (policy, changed by overlay st-elsewhere)" in plan_text(plan, catalog)


def test_a_justified_weakening_carries_its_sources(tmp_path: Path) -> None:
    """540 mg/day raises the 480 cap: justified, the marks cite the justification's source;
    130 mg tid (390 mg/day) is then under every maximum."""
    meta = (
        f'[[justifications]]\nchange = "{CAP}"\nreason = "ER products, 540 mg/day label."\n'
        'sources = ["st-elsewhere-formulary"]\n'
    )
    site = overlay(tmp_path / "st-elsewhere", cap=540, severity="major", meta=meta)
    catalog = load_catalog(site, use_env=False)
    result = calcidose.check(
        "diltiazem", "130 mg", "tid", calcidose.Patient(**MAN), catalog=catalog
    )
    data = result.to_dict()
    (maximum,) = [m for m in data["maxima"] if m["kind"] == "policy"]
    assert maximum["changed_by"] == {
        "overlay": "st-elsewhere",
        "change": CAP,
        "sources": ["st-elsewhere-formulary"],
    }
    assert maximum["exceeded"] is False
    # severity "major" is the shipped one: the rule is unchanged, not marked
    (rule,) = [f for f in data["findings"] if f["code"] == "diltiazem-beta-blocker"]
    assert "changed_by" not in rule


def test_without_an_overlay_nothing_is_marked(capsys: pytest.CaptureFixture[str]) -> None:
    ours = load_catalog(use_env=False)
    result = calcidose.check("diltiazem", "130 mg", "tid", calcidose.Patient(**MAN), catalog=ours)
    data = result.to_dict()
    assert all(m["changed_by"] is None for m in data["maxima"])
    assert not any("changed_by" in f for f in data["findings"])
    assert not any("changed_by" in s for s in data["trace"])
    assert "changed by overlay" not in order_text(result, ours)


def test_the_command_line_names_the_overlay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = overlay(tmp_path / "st-elsewhere")
    monkeypatch.setenv("CALCIDOSE_TABLES", str(site))
    code = main(
        [
            "check",
            "diltiazem",
            "130 mg",
            "tid",
            "--weight",
            "70kg",
            "--age",
            "54y",
            "--sex",
            "male",
            "--format",
            "json",
        ]
    )
    assert code == 1  # above the overlay's maximum: do not give as written
    data = json.loads(capsys.readouterr().out)
    assert any(f.get("changed_by", {}).get("overlay") == "st-elsewhere" for f in data["findings"])
