"""scripts/record_outputs.py: the calls it records and its comparison (docs/reliability.md, 6)."""

from __future__ import annotations

import copy
import importlib
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
rec = importlib.import_module("record_outputs")


def _tables() -> list[dict[str, object]]:
    return [tomllib.loads(p.read_text("utf-8")) for p in (ROOT / "tables" / "drugs").glob("*.toml")]


def test_calls_cover_every_entry_and_dosable_regimen() -> None:
    calls = list(rec.calls())
    ids = [ident for ident, _, _ in calls]
    assert len(ids) == len(set(ids))  # one id per call: the comparison is by id
    assert len(calls) >= 200
    dosed = {(a["drug"], a["regimen"]) for _, kind, a in calls if kind == "dose"}
    checked = {(a["drug"], a["regimen"]) for _, kind, a in calls if kind == "check"}
    for drug in _tables():
        regimens = drug.get("regimens", [])
        assert isinstance(regimens, list)
        assert (drug["id"], None) in dosed
        for regimen in regimens:
            assert (drug["id"], regimen["id"]) in dosed
            if regimen.get("dosable"):
                assert (drug["id"], regimen["id"]) in checked
    types = {a["type"] for _, kind, a in calls if kind == "options"}
    assert types == set(rec.CALCINOSIS_TYPES)
    people = rec.patients()
    assert {a["patient"] for _, _, a in calls} == set(people)


def test_amounts_come_from_strengths_caps_and_range() -> None:
    regimen = {
        "products": [{"strengths": [{"value": 30, "unit": "mg"}, {"value": 120, "unit": "mg"}]}],
        "caps": [{"max": {"value": 480, "unit": "mg/d"}}],
        "dose": {"low": {"value": 2, "unit": "mg/kg/d"}, "high": {"value": 4, "unit": "mg/kg/d"}},
    }
    # 30/10 = 3 mg, 120 x 10 = 1200 mg; 2 and 4 mg/kg/d x 70 kg = 140 and 280 mg
    assert rec._amounts(regimen) == [
        "3 mg", "30 mg", "120 mg", "140 mg", "280 mg", "480 mg", "1200 mg",
    ]  # fmt: skip


def _recording() -> dict[str, object]:
    return {
        "cases": {
            "dose a": {"kind": "dose", "output": {"status": "ok", "dose": {"low": 140.0}}},
            "check b": {"kind": "check", "output": {"verdict": "within-range", "findings": []}},
        }
    }


def test_compare_finds_a_changed_value_a_reordered_key_and_a_missing_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = _recording()
    assert rec.compare(old, copy.deepcopy(old)) == 0
    assert "2 and 2 calls; 0 differ" in capsys.readouterr().out
    new = copy.deepcopy(old)
    new["cases"]["dose a"]["output"]["dose"]["low"] = 140.5  # type: ignore[index]
    assert rec.compare(old, new) == 1
    out = capsys.readouterr().out
    assert "differs: dose a" in out and '-    "low": 140.0' in out and '+    "low": 140.5' in out
    reordered = copy.deepcopy(old)
    output = reordered["cases"]["check b"]["output"]  # type: ignore[index]
    reordered["cases"]["check b"]["output"] = dict(reversed(list(output.items())))  # type: ignore[index]
    assert rec.compare(old, reordered) == 1  # byte-identical means the key order too
    del new["cases"]["check b"]  # type: ignore[attr-defined]
    assert rec.compare(old, new) == 2
    assert "only in the first recording: check b" in capsys.readouterr().out


def test_coverage_names_what_is_not_reached() -> None:
    lines, missing = rec.coverage(_recording())
    assert lines[0].startswith("calls: 2 (check 1, dose 1)")
    assert "verdict exceeds-maximum" in missing and "status ok" not in missing
    assert "a capped plan" in missing
