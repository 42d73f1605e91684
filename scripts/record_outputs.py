#!/usr/bin/env python3
"""Record the JSON output of many dose, check and options calls, and compare two recordings.

For refactors that must not change behaviour (docs/reliability.md, section 6): record on the
tree before the change, record again after it, and compare; every output must be identical
byte for byte (the JSON text of ``to_dict()`` as ``--format json`` prints it).

    python scripts/record_outputs.py record before.json       # on the old tree
    python scripts/record_outputs.py record after.json        # on the new tree
    python scripts/record_outputs.py compare before.json after.json
    python scripts/record_outputs.py compare before.json      # record now, compare with it

The calls are built from the tables' TOML files alone (read here with tomllib, not through
calcidose), so the same tables give the same calls whatever the code does: every entry, with
no regimen and with each of its regimens, for a set of patients chosen to reach every status
(adults, a child, a heavy patient for the caps, renal impairment, pregnancy, missing weight,
the conditions and medications the rules name); orders at each regimen's frequencies (and one
it does not list) with amounts from its product strengths, its caps and its range, to reach
every verdict; ``options`` for every patient and calcinosis type; and the same through two
institution overlays written to a temporary directory (a lower policy cap, a local rule
wording). An input that calcidose refuses is recorded as its error class and message.

``record`` prints what the recording covers (calls by kind, statuses, verdicts, capped plans,
distinct finding codes) and exits 1 if a verdict or status was never reached. ``compare``
prints each differing call with a diff of its JSON and exits 1 when anything differs.
Recordings are not committed: they belong to one tree.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import tempfile
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "tables"
FORMAT = "calcidose-recording/1"

VERDICTS = (
    "contraindicated",
    "cannot-check",
    "exceeds-maximum",
    "above-range",
    "below-range",
    "within-range",
)
STATUSES = ("ok", "caution", "contraindicated", "cannot-check", "not-dosable")
CALCINOSIS_TYPES = (None, "dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis")
OFF_SCHEDULE = ("four-times-daily", "once-weekly")  # one of them is not the regimen's own
CHECK_PEOPLE = ("adult-female", "child", "elderly-renal", "pregnant", "no-weight")
TYPED_OPTIONS = ("adult-female", "child", "dialysis", "conditions-1")

LOWER_CAP = """
id = "diltiazem"
[[regimens]]
id = "oral-weight-based"
[[regimens.caps]]
kind = "policy"
per = "day"
max = { value = 360, unit = "mg/d" }
sources = ["calcidose-policy"]
note = "institution cap (recording overlay)"
"""
LOCAL_WORDING = """
id = "diltiazem"
[[rules]]
id = "diltiazem-hypotension"
message = "Local wording (recording overlay)."
"""


def _toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def _drugs() -> list[dict[str, Any]]:
    return [_toml(p) for p in sorted((TABLES / "drugs").glob("*.toml"))]


def patients() -> dict[str, dict[str, Any]]:
    """Patient keyword arguments by name (the rules' conditions and medications from the tables)."""
    conditions = sorted(_toml(TABLES / "conditions.toml").get("conditions", {}))
    vocabulary = _toml(TABLES / "substances.toml")
    by_class: dict[str, str] = {}
    for sid, entry in sorted(vocabulary.get("substances", {}).items()):
        for cls in entry.get("classes", []):
            by_class.setdefault(cls, sid)
    for drug in _drugs():
        for cls in drug.get("classes", []):
            by_class.setdefault(cls, drug["id"])
    medications = sorted(set(by_class.values()))
    adult = {"age": "54 years", "sex": "female", "pregnant": False, "lactating": False}
    people: dict[str, dict[str, Any]] = {
        "adult-female": {**adult, "weight": "70 kg", "height": "165 cm", "scr": "0.9 mg/dL"},
        "adult-male-heavy": {
            "weight": "150 kg", "age": "60 years", "sex": "male", "crcl": "95 mL/min",
        },
        "adult-lb-no-renal": {**adult, "weight": "154 lb"},
        "child": {"weight": "30 kg", "height": "135 cm", "age": "10 years", "sex": "male"},
        "infant": {"weight": "8 kg", "age": "9 months", "sex": "female"},
        "elderly-renal": {**adult, "age": "82 years", "weight": "58 kg", "crcl": "25 mL/min"},
        "dialysis": {"weight": "72 kg", "age": "66 years", "sex": "male", "crcl": "8 mL/min"},
        "pregnant": {"weight": "68 kg", "age": "31 years", "sex": "female", "pregnant": True},
        "lactating": {**adult, "age": "29 years", "weight": "61 kg", "lactating": True},
        "no-weight": {"age": "50 years", "sex": "female", "pregnant": False},
        "nothing-known": {},
    }  # fmt: skip
    for k in range(3):
        people[f"conditions-{k + 1}"] = {
            "weight": "75 kg", "age": "58 years", "sex": "male", "crcl": "70 mL/min",
            "conditions": conditions[k::3],
        }  # fmt: skip
        people[f"medications-{k + 1}"] = {
            "weight": "64 kg", "age": "47 years", "sex": "female", "pregnant": False,
            "crcl": "80 mL/min", "medications": medications[k::3],
        }  # fmt: skip
    people["unknown-medication"] = {**people["adult-female"], "medications": ["not-a-drug"]}
    people["labs-positive"] = {
        **people["adult-female"],
        "labs": {"hbsag": "positive", "anti-hbc": "positive", "tb-screen": "positive"},
    }
    return people


def _amounts(regimen: dict[str, Any]) -> list[str]:
    """Order amounts for a regimen: its strengths, a tenth of the smallest and ten times the
    largest, its caps' values, and its range's values (per kg values for 70 kg)."""
    values: set[tuple[float, str]] = set()
    strengths = [
        (float(s["value"]), s["unit"])
        for product in regimen.get("products", [])
        for s in product.get("strengths", [])
    ]
    values.update(strengths)
    if strengths:
        low, high = min(strengths), max(strengths)
        values.update({(low[0] / 10, low[1]), (high[0] * 10, high[1])})
    for cap in regimen.get("caps", []):
        values.add((float(cap["max"]["value"]), cap["max"]["unit"].split("/")[0]))
    dose = regimen.get("dose") or {}
    for end in ("low", "high"):
        if end in dose:
            unit = dose[end]["unit"]
            factor = 70 if "/kg" in unit else 1.7 if "/m2" in unit else 1
            values.add((float(dose[end]["value"]) * factor, unit.split("/")[0]))
    return [f"{v:g} {u}" for v, u in sorted(values, key=lambda x: (x[1], x[0]))]


def calls() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(id, kind, arguments) of every call, in a fixed order, each once (two regimens of one
    drug give the same order when calcidose chooses the regimen)."""
    seen: set[str] = set()
    for call in _all_calls():
        if call[0] not in seen:
            seen.add(call[0])
            yield call


def _all_calls() -> Iterator[tuple[str, str, dict[str, Any]]]:
    people = patients()
    drugs = _drugs()
    for drug in drugs:
        regimens = [None, *(r["id"] for r in drug.get("regimens", []))]
        for person in people:
            for regimen in regimens:
                yield (f"dose {drug['id']} {regimen} {person}", "dose",
                       {"drug": drug["id"], "regimen": regimen, "patient": person})  # fmt: skip
    for drug in drugs:
        for regimen in drug.get("regimens", []):
            if regimen.get("dosable"):
                yield from _checks(drug["id"], regimen)
        unknown = {"drug": drug["id"], "regimen": "no-such-regimen", "patient": "adult-female"}
        yield f"dose {drug['id']} no-such-regimen adult-female", "dose", unknown
        for amount in ("90 mg/kg", "ninety mg", "-5 mg"):  # refused: the error is recorded
            args = {"drug": drug["id"], "amount": amount, "frequency": "once-daily",
                    "regimen": None, "route": None, "patient": "adult-female"}  # fmt: skip
            yield f"check {drug['id']} {amount} once-daily None adult-female", "check", args
    for person in people:
        for kind in CALCINOSIS_TYPES if person in TYPED_OPTIONS else (None,):
            yield f"options {kind} {person}", "options", {"type": kind, "patient": person}


def _checks(drug: str, regimen: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Orders of one regimen: its first two frequencies and one it does not list, each amount,
    for the CHECK_PEOPLE with the regimen chosen by calcidose, and for the first of them with
    the regimen and its route named."""
    own = regimen.get("frequencies", [])[:2]
    other = [f for f in OFF_SCHEDULE if f not in regimen.get("frequencies", [])][:1]
    for frequency in own + other:
        for amount in _amounts(regimen):
            for n, person in enumerate(CHECK_PEOPLE):
                for chosen in (None, regimen["id"]) if n == 0 else (None,):
                    args = {
                        "drug": drug,
                        "amount": amount,
                        "frequency": frequency,
                        "regimen": chosen,
                        "route": regimen.get("route") if chosen else None,
                        "patient": person,
                    }
                    yield f"check {drug} {amount} {frequency} {chosen} {person}", "check", args


def overlay_calls() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The calls made again through each overlay catalog."""
    for person in ("adult-female", "adult-male-heavy", "elderly-renal", "conditions-1"):
        yield f"dose diltiazem None {person}", "dose", {"drug": "diltiazem", "regimen": None,
                                                         "patient": person}  # fmt: skip
        for amount in ("120 mg", "150 mg", "180 mg"):
            yield (f"check diltiazem {amount} three-times-daily {person}", "check",
                   {"drug": "diltiazem", "amount": amount, "frequency": "three-times-daily",
                    "regimen": None, "route": None, "patient": person})  # fmt: skip
        yield f"options None {person}", "options", {"type": None, "patient": person}


def _run(kind: str, args: dict[str, Any], catalog: Any, people: dict[str, Any]) -> Any:
    import calcidose

    result: Any
    try:
        patient = calcidose.Patient(**people[args["patient"]])
        if kind == "dose":
            result = calcidose.dose(args["drug"], patient, args["regimen"], catalog=catalog)
        elif kind == "check":
            result = calcidose.check(
                args["drug"], args["amount"], args["frequency"], patient,
                args["regimen"], args["route"], catalog=catalog,
            )  # fmt: skip
        else:
            result = calcidose.options(patient, args["type"], catalog=catalog)
        return result.to_dict()
    except calcidose.CalcidoseError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}


def record() -> dict[str, Any]:
    """Every call's output (the parsed JSON, in the order ``to_dict()`` gives its keys)."""
    import calcidose

    os.environ.pop("CALCIDOSE_TABLES", None)
    people = patients()
    cases: dict[str, Any] = {}
    catalogs: list[tuple[str, Any, Callable[[], Iterator[tuple[str, str, dict[str, Any]]]]]]
    catalogs = [("", calcidose.get_catalog(), calls)]
    with tempfile.TemporaryDirectory(prefix="calcidose-record-") as tmp:
        for name, text in (("lower-cap", LOWER_CAP), ("local-wording", LOCAL_WORDING)):
            (Path(tmp) / name / "drugs").mkdir(parents=True)
            (Path(tmp) / name / "drugs" / "diltiazem.toml").write_text(text, encoding="utf-8")
            try:
                overlay: Any = calcidose.load_tables(Path(tmp) / name, use_env=False)
            except calcidose.CalcidoseError as exc:
                cases[f"overlay {name}"] = {"error": type(exc).__name__, "message": str(exc)}
                continue
            catalogs.append((f"[{name}] ", overlay, overlay_calls))
        for prefix, catalog, make in catalogs:
            for ident, kind, args in make():
                output = _run(kind, args, catalog, people)
                cases[prefix + ident] = {"kind": kind, "call": args, "output": output}
    return {"format": FORMAT, "patients": people, "cases": cases}


def coverage(recording: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Lines saying what the recording covers, and what it should cover but does not."""
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    codes: set[str] = set()
    capped = errors = 0
    for case in recording["cases"].values():
        if "kind" not in case:
            errors += 1
            continue
        kinds[case["kind"]] += 1
        out = case["output"]
        if "error" in out:
            errors += 1
            continue
        if case["kind"] == "dose":
            statuses[out.get("status", "?")] += 1
            capped += bool((out.get("dose") or {}).get("capped"))
        elif case["kind"] == "check":
            verdicts[out.get("verdict", "?")] += 1
        codes.update(f.get("code", "?") for f in out.get("findings", []))
    lines = [
        f"calls: {sum(kinds.values())} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})"
        f", refused inputs {errors}",
        f"dose statuses: {dict(sorted(statuses.items()))}; capped plans: {capped}",
        f"check verdicts: {dict(sorted(verdicts.items()))}",
        f"distinct finding codes: {len(codes)}",
    ]
    missing = [f"status {s}" for s in STATUSES if not statuses[s]]
    missing += [f"verdict {v}" for v in VERDICTS if not verdicts[v]]
    missing += ["a capped plan"] if not capped else []
    return lines, missing


def _text(output: Any) -> str:
    # the text `calcidose ... --format json` prints (calcidose.render.to_json)
    return json.dumps(output, indent=2, ensure_ascii=False)


def compare(old: dict[str, Any], new: dict[str, Any], limit: int = 40) -> int:
    """Print the differences between two recordings; the number of differing calls."""
    a, b = old["cases"], new["cases"]
    differing = 0
    for ident in [*a, *(k for k in b if k not in a)]:
        if ident not in b or ident not in a:
            differing += 1
            print(f"only in the {'first' if ident in a else 'second'} recording: {ident}")
            continue
        before, after = _text(a[ident]["output"]), _text(b[ident]["output"])
        if before == after:
            continue
        differing += 1
        print(f"differs: {ident}")
        diff = difflib.unified_diff(
            before.splitlines(), after.splitlines(), "before", "after", n=1, lineterm=""
        )
        lines = list(diff)
        print(
            "\n".join(
                lines[:limit]
                + ([f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else [])
            )
        )
    print(f"{len(a)} and {len(b)} calls; {differing} differ")
    return differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record every call's output to FILE")
    rec.add_argument("file", type=Path)
    cmp_ = sub.add_parser("compare", help="compare two recordings (or one with the tree now)")
    cmp_.add_argument("first", type=Path)
    cmp_.add_argument("second", type=Path, nargs="?")
    args = parser.parse_args(argv)
    if args.command == "record":
        recording = record()
        args.file.write_text(_text(recording) + "\n", encoding="utf-8")
        lines, missing = coverage(recording)
        print("\n".join(lines))
        print(f"wrote {args.file} ({args.file.stat().st_size:,} bytes)")
        if missing:
            print(f"not covered: {', '.join(missing)}")
            return 1
        return 0
    first = json.loads(args.first.read_text(encoding="utf-8"))
    second = json.loads(args.second.read_text(encoding="utf-8")) if args.second else record()
    return 1 if compare(first, second) else 0


if __name__ == "__main__":
    sys.exit(main())
