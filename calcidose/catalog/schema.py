"""The published JSON Schema of the tables, checked on every layer (overlay drugs merged over
the drugs below them first)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..errors import TableProblem
from .layers import _Layer, _overlay_drug

if TYPE_CHECKING:
    pass


def _too_deep_rules(data: Mapping[str, Any]) -> list[tuple[int, str]]:
    """Rules whose predicate nests deeper than validate.MAX_PREDICATE_DEPTH (checked without
    recursion, so a hostile table cannot exhaust the stack).

    Levels are counted as validate counts them: each ``all``/``any`` part and each ``not`` is
    one level down. These are the only places the JSON Schema's predicate recurses into."""
    from .validate import MAX_PREDICATE_DEPTH

    out = []
    rules = data.get("rules")
    for n, rule in enumerate(rules if isinstance(rules, list) else []):
        stack = [(rule.get("when") if isinstance(rule, Mapping) else None, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_PREDICATE_DEPTH:
                out.append((n, f"predicates nest at most {MAX_PREDICATE_DEPTH} levels deep"))
                break
            if not isinstance(node, Mapping):
                continue
            children: list[Any] = [node["not"]] if "not" in node else []
            for key in ("all", "any"):
                if isinstance(node.get(key), list):
                    children.extend(node[key])
            stack.extend((child, depth + 1) for child in children)
    return out


def _schema_problems(layers: Sequence[_Layer], start: int) -> list[TableProblem]:
    """Problems the published JSON Schema finds in the raw files of ``layers[start:]``; an
    overlay drug file that changes a drug of a layer below is checked merged with it."""
    if start >= len(layers):
        return []  # nothing to check: jsonschema is not even imported
    import json

    import jsonschema

    text = resources.files("calcidose").joinpath("schemas/tables.schema.json").read_text()
    schema = json.loads(text)
    problems: list[TableProblem] = []

    defs = schema["$defs"]
    # an overlay gives only what it changes: its vocabulary files and meta.toml need no section
    overlay_defs = {
        **defs,
        **{
            f"overlay_{name}": {**defs[name], "required": []}
            for name in ("meta_file", "sources_file", "conditions_file", "substances_file")
        },
    }

    def check(definition: str, data: Any, label: str, entry: str, overlay: bool = False) -> None:
        if overlay and f"overlay_{definition}" in overlay_defs:
            definition = f"overlay_{definition}"
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"#/$defs/{definition}", "$defs": overlay_defs}
        )
        try:
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        except RecursionError:
            problems.append(TableProblem(label, entry, "$", "nested too deeply to be checked"))
            return
        for error in errors:
            path = "$" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
            )
            problems.append(TableProblem(label, entry, path, error.message))

    for at in range(start, len(layers)):
        layer = layers[at]
        for label, (definition, data) in layer.raw.items():
            check(definition, data, label, "", overlay=at > 0)
        for drug_id, (label, data) in layer.drugs.items():
            deep = _too_deep_rules(data)
            if deep:
                problems.extend(
                    TableProblem(label, drug_id, f"$.rules[{n}].when", message)
                    for n, message in deep
                )
                continue
            merged: dict[str, Any] | None = None
            for below in layers[:at]:
                if drug_id in below.drugs:
                    base = below.drugs[drug_id][1]
                    merged = base if merged is None else _overlay_drug(merged, base, label, [])
            if merged is not None:
                merged = _overlay_drug(merged, data, label, problems)
            check("drug_file", merged if merged is not None else data, label, drug_id)
    return problems
