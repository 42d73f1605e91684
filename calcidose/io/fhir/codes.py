"""The code maps of the FHIR edge: LOINC, SNOMED CT and RxNorm tables in ``tables/codes/``.

Plain TOML read with :mod:`tomllib` (no FHIR library needed), so ``calcidose tables validate``
checks them on any install. Each code names the calcidose id it maps to, its display, its source
(a URL) and what it was verified against. A code that is not in a table is never matched by
name or guessed: the reader passes it on as an id the rules report as unknown.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any, Final

import attrs

from ...errors import TableError, TableProblem

__all__ = ["CODE_FILES", "CodeMaps", "Kind", "load_code_maps", "validate_code_maps"]

CODE_FILES: Final = ("loinc.toml", "snomed.toml", "rxnorm.toml")
_SYSTEMS: Final = {
    "loinc.toml": "http://loinc.org",
    "snomed.toml": "http://snomed.info/sct",
    "rxnorm.toml": "http://www.nlm.nih.gov/research/umls/rxnorm",
}
_KINDS: Final = ("weight", "height", "scr", "egfr", "pregnancy", "lactation")
_CODE_KEYS: Final = {
    "loinc.toml": ({"display", "kind", "source", "verified"}, {"formula"}),
    "snomed.toml": ({"display", "maps_to", "source", "verified"}, set()),
    "rxnorm.toml": ({"display", "tty", "maps_to", "source", "verified"}, set()),
}


@attrs.frozen
class Kind:
    """How an observation kind ages: older than ``stale_days`` is stale; ``use`` keeps it."""

    stale_days: float
    use_when_stale: bool
    why: str


@attrs.frozen
class CodeMaps:
    """The three maps, by code."""

    loinc: Mapping[str, str]  # code -> kind
    loinc_display: Mapping[str, str]
    loinc_formula: Mapping[str, str]
    loinc_not_read: Mapping[str, str]  # code -> reason
    kinds: Mapping[str, Kind]
    pregnancy_answers: Mapping[str, bool]
    snomed: Mapping[str, str]  # code -> condition id
    rxnorm: Mapping[str, str]  # code -> drug or substance id
    allergy_classes: Mapping[str, str]  # interaction class -> allergy condition id


def _codes_dir() -> Traversable:
    from ...catalog import default_tables

    return default_tables().joinpath("codes")


def _read(node: Traversable, label: str, problems: list[TableProblem]) -> dict[str, Any]:
    try:
        return tomllib.loads(node.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(TableProblem(label, "", "", f"cannot read: {exc}"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(TableProblem(label, "", "", f"not valid TOML: {exc}"))
    return {}


def _check_entries(
    name: str, data: Mapping[str, Any], known_ids: set[str] | None, problems: list[TableProblem]
) -> None:
    label = f"codes/{name}"
    if data.get("system") != _SYSTEMS[name]:
        problems.append(TableProblem(label, "", "system", f"must be {_SYSTEMS[name]!r}"))
    required, optional = _CODE_KEYS[name]
    codes = data.get("codes")
    if not isinstance(codes, dict) or not codes:
        problems.append(TableProblem(label, "", "codes", 'no [codes."CODE"] entries'))
        return
    for code, entry in codes.items():
        where = f"codes.{code}"
        if not isinstance(entry, dict):
            problems.append(TableProblem(label, where, "", "must be a table"))
            continue
        for key in sorted(required - set(entry)):
            problems.append(TableProblem(label, where, key, "missing"))
        for key in sorted(set(entry) - required - optional):
            problems.append(TableProblem(label, where, key, "unknown field"))
        for key, value in entry.items():
            if not isinstance(value, str) or not value.strip():
                problems.append(TableProblem(label, where, key, "must be non-empty text"))
        source = entry.get("source", "")
        if isinstance(source, str) and not source.startswith("https://"):
            problems.append(TableProblem(label, where, "source", "must be an https:// URL"))
        _check_code_shape(name, code, label, where, problems)
        if name == "loinc.toml" and entry.get("kind") not in _KINDS:
            problems.append(TableProblem(label, where, "kind", f"must be one of {_KINDS}"))
        target = entry.get("maps_to")
        if known_ids is not None and target is not None and target not in known_ids:
            problems.append(
                TableProblem(label, where, "maps_to", f"unknown calcidose id {target!r}")
            )


def _check_code_shape(
    name: str, code: str, label: str, where: str, problems: list[TableProblem]
) -> None:
    if name == "loinc.toml":
        number, dash, check = code.partition("-")
        ok = bool(dash) and number.isdigit() and check.isdigit() and len(check) == 1
        ok = ok and _loinc_check_digit(number) == int(check)
    else:
        ok = code.isdigit() and not code.startswith("0")
        if ok and name == "snomed.toml":
            ok = 6 <= len(code) <= 18 and _verhoeff_ok(code)
    if not ok:
        problems.append(TableProblem(label, where, "", f"{code!r} is not a well-formed code"))


def _loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit (Luhn-like, as LOINC publishes it)."""
    digits = [int(d) for d in number]
    total = 0
    for n, d in enumerate(reversed(digits)):
        if n % 2 == 0:
            d *= 2
            d = d // 10 + d % 10
        total += d
    return (10 - total % 10) % 10


_VERHOEFF_D: Final = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]  # fmt: skip
_VERHOEFF_P: Final = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]  # fmt: skip


def _verhoeff_ok(code: str) -> bool:
    """SNOMED CT identifiers end in a Verhoeff check digit."""
    c = 0
    for n, ch in enumerate(reversed(code)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[n % 8][int(ch)]]
    return c == 0


def _check_loinc_extra(data: Mapping[str, Any], problems: list[TableProblem]) -> None:
    label = "codes/loinc.toml"
    kinds = data.get("kinds", {})
    for kind in _KINDS:
        entry = kinds.get(kind) if isinstance(kinds, dict) else None
        if not isinstance(entry, dict):
            problems.append(TableProblem(label, f"kinds.{kind}", "", "missing"))
            continue
        days = entry.get("stale_days")
        if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
            problems.append(TableProblem(label, f"kinds.{kind}", "stale_days", "must be > 0"))
        if entry.get("when_stale") not in ("use", "ignore"):
            problems.append(
                TableProblem(label, f"kinds.{kind}", "when_stale", "must be 'use' or 'ignore'")
            )
        if not isinstance(entry.get("why"), str) or not entry["why"].strip():
            problems.append(TableProblem(label, f"kinds.{kind}", "why", "must say why"))
    for code, entry in data.get("not_read", {}).items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("display", "reason", "source", "verified")
        ):
            problems.append(
                TableProblem(
                    label, f"not_read.{code}", "", "needs display, reason, source and verified"
                )
            )
        elif code in data.get("codes", {}):
            problems.append(TableProblem(label, f"not_read.{code}", "", "also in [codes]"))
    answers = data.get("answers", {}).get("pregnancy", {})
    if answers.get("system") != "http://snomed.info/sct":
        problems.append(TableProblem(label, "answers.pregnancy", "system", "must be SNOMED CT"))
    for code, value in answers.items():
        if code != "system" and not isinstance(value, bool):
            problems.append(TableProblem(label, f"answers.pregnancy.{code}", "", "true or false"))


def validate_code_maps(
    directory: Traversable | None = None, known_ids: set[str] | None = None
) -> list[TableProblem]:
    """Every problem of the code maps (``tables validate`` runs this on the shipped tables).

    ``known_ids`` (calcidose condition, drug and substance ids) checks every ``maps_to``.
    """
    root = directory if directory is not None else _codes_dir()
    problems: list[TableProblem] = []
    if not root.is_dir():
        return [TableProblem("codes", "", "", "the code maps directory is missing")]
    for child in root.iterdir():
        if child.name not in CODE_FILES and child.name != "README.md":
            problems.append(TableProblem(f"codes/{child.name}", "", "", "unexpected file"))
    for name in CODE_FILES:
        node = root.joinpath(name)
        if not node.is_file():
            problems.append(TableProblem(f"codes/{name}", "", "", "missing"))
            continue
        data = _read(node, f"codes/{name}", problems)
        if not data:
            continue
        _check_entries(name, data, known_ids, problems)
        if name == "loinc.toml":
            _check_loinc_extra(data, problems)
        for cls, target in data.get("allergy_classes", {}).items():
            if not isinstance(target, str) or (known_ids is not None and target not in known_ids):
                problems.append(
                    TableProblem(f"codes/{name}", f"allergy_classes.{cls}", "", "unknown condition")
                )
    return problems


@cache
def load_code_maps() -> CodeMaps:
    """The shipped code maps (read once; they are validated in CI by ``tables validate``)."""
    root = _codes_dir()
    problems = validate_code_maps(root)
    if problems:
        raise TableError(problems)
    raw = {
        name: tomllib.loads(root.joinpath(name).read_text(encoding="utf-8")) for name in CODE_FILES
    }
    loinc = raw["loinc.toml"]
    answers = dict(loinc["answers"]["pregnancy"])
    answers.pop("system")
    return CodeMaps(
        loinc={c: e["kind"] for c, e in loinc["codes"].items()},
        loinc_display={c: e["display"] for c, e in loinc["codes"].items()},
        loinc_formula={c: e["formula"] for c, e in loinc["codes"].items() if "formula" in e},
        loinc_not_read={c: e["reason"] for c, e in loinc.get("not_read", {}).items()},
        kinds={
            k: Kind(float(e["stale_days"]), e["when_stale"] == "use", e["why"])
            for k, e in loinc["kinds"].items()
        },
        pregnancy_answers=answers,
        snomed={c: e["maps_to"] for c, e in raw["snomed.toml"]["codes"].items()},
        rxnorm={c: e["maps_to"] for c, e in raw["rxnorm.toml"]["codes"].items()},
        allergy_classes=dict(raw["rxnorm.toml"].get("allergy_classes", {})),
    )
