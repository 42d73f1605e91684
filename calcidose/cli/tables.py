"""``calcidose drugs``, ``show``, ``conditions``, ``tables validate`` and ``tables diff``: the
catalog's commands."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import Any

__all__ = ["cmd_conditions", "cmd_diff", "cmd_drugs", "cmd_show", "cmd_validate"]


def cmd_drugs(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..render import to_json

    catalog = get_catalog()
    rows = []
    for drug in catalog.drugs.values():
        dosable = [r.id for r in drug.regimens if r.dosable]
        rows.append(
            {
                "id": drug.id,
                "name": drug.name,
                "kind": drug.kind,
                "synonyms": list(drug.synonyms),
                "dosable_regimens": dosable,
                "regimens": [r.id for r in drug.regimens],
            }
        )
    if args.format == "json":
        print(
            to_json(
                {
                    "schema": "calcidose/drugs/1",
                    "tables_version": catalog.tables_version,
                    "drugs": rows,
                }
            )
        )
    else:
        for row in rows:
            status = ", ".join(row["dosable_regimens"]) or "not dosable"
            print(f"{row['id']:<28} {row['kind']:<10} {status}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog, resolve_drug
    from ..render import to_json
    from ..render.monograph import monograph, monograph_text

    catalog = get_catalog()
    drug = resolve_drug(catalog, args.drug)
    if args.format == "json":
        print(to_json(monograph(catalog, drug)))
    else:
        print(monograph_text(catalog, drug))
    return 0


def cmd_conditions(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..render import to_json

    catalog = get_catalog()
    if args.format == "json":
        print(
            to_json(
                {
                    "schema": "calcidose/conditions/1",
                    "conditions": [
                        {"id": c.id, "name": c.name, "description": c.description}
                        for c in catalog.conditions.values()
                    ],
                }
            )
        )
    else:
        for c in catalog.conditions.values():
            print(f"{c.id:<34} {c.name}")
    return 0


def _code_map_problems(path: str) -> list[Any]:
    """The FHIR code maps (``codes/`` of a tables directory), their ``maps_to`` checked against
    the ids of the catalog the directory gives (shipped tables merged under an overlay)."""
    from pathlib import Path

    from ..catalog import default_tables, load_catalog
    from ..io.fhir.codes import validate_code_maps

    directory = Path(path)
    shipped = Path(str(default_tables())).resolve() == directory.resolve()
    if not directory.joinpath("codes").is_dir() and not shipped:
        return []  # an institution's tables need not carry code maps
    catalog = load_catalog(use_env=False) if shipped else load_catalog(directory, use_env=False)
    known = set(catalog.conditions) | set(catalog.aliases)
    return validate_code_maps(directory.joinpath("codes"), known)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..catalog import default_tables, validate_directory
    from ..render import to_json

    targets = args.paths or [str(default_tables())]
    problems = []
    for path in targets:
        found = validate_directory(path)
        problems.extend(found)
        if not found:
            problems.extend(_code_map_problems(path))
    if args.format == "json":
        print(
            to_json(
                {
                    "schema": "calcidose/validation/1",
                    "valid": not problems,
                    "problems": [
                        {"file": p.file, "entry": p.entry, "field": p.field, "message": p.message}
                        for p in problems
                    ],
                }
            )
        )
    else:
        for p in problems:
            print(str(p))
        if not problems:
            print(f"valid: {', '.join(targets)}")
    return 1 if problems else 0


def cmd_diff(args: argparse.Namespace) -> int:
    """``tables diff [BASE] OVERLAY...``: exit 0 when nothing clinically meaningful changes, 1
    when something does (as diff(1)), 0 either way with ``--exit-zero``; tables that do not
    load are bad input (exit 2)."""
    from ..catalog.diff import diff_catalogs
    from ..catalog.overlays import load_pair
    from ..render import to_json
    from ..render.tables_diff import diff_dict, diff_text

    base, new, base_name, overlays = load_pair(args.paths)
    data = diff_dict(diff_catalogs(base, new), base, new, base_name)
    if args.format == "json":
        print(to_json(data))
    else:
        print(diff_text(data, [base_name, *overlays]))
    return 1 if data["changes"] and not args.exit_zero else 0
