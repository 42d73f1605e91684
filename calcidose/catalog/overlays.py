"""What each overlay changes, and the rule that a change weakening safety says why.

Part of the one door of every tables directory (:func:`calcidose.catalog._check_layers`): the
catalog below an overlay and the catalog with it are compared (:mod:`calcidose.catalog.diff`);
every change that weakens safety needs a ``[[justifications]]`` entry in that overlay's
``meta.toml``::

    [[justifications]]
    change = "drugs.diltiazem.regimens.oral-weight-based.caps.day"   # as `tables diff` prints it
    reason = "Formulary decision: the 540 mg/day extended-release label maximum."
    sources = ["st-elsewhere-formulary"]                             # ids of sources.toml

A justification naming no change of its overlay, without a reason or without a known source,
is a problem too. The changes, with their justifications, stay on the catalog
(:attr:`~calcidose.catalog.model.Catalog.changes`), so results can say which overlay changed a
cap or a rule.

:func:`load_pair` loads the two catalogs ``calcidose tables diff`` compares.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TableError, TableProblem
from .diff import diff_catalogs
from .model import Catalog, Change, Justification, OverlayChange

if TYPE_CHECKING:
    from . import _Layer

__all__ = ["change_of", "load_pair", "overlay_changes", "prepare_changes", "shown_value"]


def shown_value(value: Any) -> str:
    """A change's old or new value in one short line (a quantity as ``480 mg/d``)."""
    if value is None:
        return "none"
    if isinstance(value, Mapping) and "value" in value and "unit" in value:
        from .. import units

        text = f"{units.format_number(float(value['value']))} {value['unit']}"
        return f"{text} ({value['kind']})" if "kind" in value else text
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(value) + "]"
    return json.dumps(value, ensure_ascii=True, separators=(", ", " = "))


def _file_of(layer: _Layer, target: str) -> str:
    """The file of ``layer`` that made the change ``target`` names."""
    section, _, rest = target.partition(".")
    entry = rest.partition(".")[0]
    if section == "drugs" and entry in layer.drugs:
        return layer.drugs[entry][0]
    if section == "substances":
        return layer.substance_files.get(entry, layer._label("substances.toml"))
    if section == "classes":
        return layer._label("substances.toml")
    if section == "conditions":
        return layer._label("conditions.toml")
    return layer._label("meta.toml")


def _justifications(layer: _Layer, problems: list[TableProblem]) -> list[tuple[int, Justification]]:
    from . import _structure

    label = layer._label("meta.toml")
    raw = (layer.meta or {}).get("justifications")
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(TableProblem(label, "justifications", "$", "must be [[justifications]]"))
        return []
    out = []
    for n, item in enumerate(raw):
        found = _structure(item, Justification, label, "justifications", problems)
        if found is not None:
            out.append((n, found))
    return out


def _check_justifications(
    layer: _Layer,
    changes: Sequence[Change],
    catalog: Catalog,
    problems: list[TableProblem],
) -> dict[str, Justification]:
    """target -> justification, each checked: it names a change of this overlay, gives a
    reason and at least one known source."""
    label = layer._label("meta.toml")
    targets = {c.target for c in changes}
    out: dict[str, Justification] = {}
    for n, item in _justifications(layer, problems):
        field = f"$.justifications[{n}]"
        before = len(problems)
        if item.change not in targets:
            problems.append(
                TableProblem(
                    label,
                    item.change,
                    f"{field}.change",
                    "justifies a change this overlay does not make (`calcidose tables diff` "
                    "lists the targets of its changes)",
                )
            )
        if not item.reason.strip():
            problems.append(
                TableProblem(label, item.change, f"{field}.reason", "must not be empty")
            )
        if not item.sources:
            problems.append(
                TableProblem(label, item.change, f"{field}.sources", "needs at least one source")
            )
        for m, source in enumerate(item.sources):
            if source not in catalog.sources:
                problems.append(
                    TableProblem(
                        label,
                        item.change,
                        f"{field}.sources[{m}]",
                        f"unknown source {source!r} (not in sources.toml)",
                    )
                )
        if item.change in out:
            problems.append(TableProblem(label, item.change, f"{field}.change", "justified twice"))
        if len(problems) == before:
            out[item.change] = item
    return out


def overlay_changes(
    layers: Sequence[_Layer],
    final: Catalog,
    problems: list[TableProblem],
    justify: bool = True,
) -> tuple[OverlayChange, ...]:
    """What each overlay (``layers[1:]``) changes relative to the layers below it, with its
    justifications; with ``justify``, every weakening change without one (and every faulty
    justification) is a problem naming the file that made the change, the change and what is
    missing."""
    from . import _combine

    out: list[OverlayChange] = []
    below: Catalog | None = None
    for at in range(len(layers)):
        if at == len(layers) - 1:
            here: Catalog | None = final
        else:
            scratch: list[TableProblem] = []
            here = _combine(layers[: at + 1], scratch, {})
            here = None if scratch else here
        if at == 0 or below is None or here is None:
            below = here if here is not None else below
            continue
        layer = layers[at]
        changes = diff_catalogs(below, here)
        found: list[TableProblem] = []
        given = _check_justifications(layer, changes, final, found)
        for change in changes:
            reason = given.get(change.target)
            out.append(OverlayChange(layer_name(layer), change, reason))
            if change.weakens and reason is None:
                found.append(_unjustified(layer, change))
        if justify:
            problems.extend(found)
        below = here
    return tuple(out)


def layer_name(layer: _Layer) -> str:
    """An overlay's name as results give it (its directory's name)."""
    return Path(layer.name).name or layer.name


def _unjustified(layer: _Layer, change: Change) -> TableProblem:
    entry = change.target.split(".")[1] if "." in change.target else change.target
    return TableProblem(
        _file_of(layer, change.target),
        entry,
        change.target,
        f"{change.aspect} {change.change} ({shown_value(change.old)} -> "
        f"{shown_value(change.new)}) weakens safety and has no justification: add to "
        f"{layer._label('meta.toml')} a [[justifications]] entry with "
        f'change = "{change.target}", a reason and sources',
    )


def load_pair(paths: Sequence[str]) -> tuple[Catalog, Catalog, str, tuple[str, ...]]:
    """The catalogs ``calcidose tables diff PATH...`` compares: (base, new, base name,
    overlay names).

    A first path that is a complete set of tables (meta.toml and every vocabulary file) is
    the base, and the other paths are overlays over it; otherwise the base is the shipped
    tables and every path is an overlay. A complete set given alone is compared with the
    shipped tables. ``CALCIDOSE_TABLES`` is not read. Weakening changes without a
    justification do not stop the load (the diff shows them); every other problem raises
    :class:`~calcidose.errors.TableError`."""
    from . import _check_layers, _Layer, default_tables, is_complete_set, load_catalog

    if not paths:
        raise TableError([TableProblem("tables diff", "", "", "name at least one directory")])
    for path in paths:
        if not Path(path).is_dir():
            raise TableError([TableProblem(str(path), "", "", "not a tables directory")])
    problems: list[TableProblem] = []
    overlays: tuple[str, ...]
    first = Path(paths[0])
    if is_complete_set(first) and len(paths) == 1:
        base = load_catalog(use_env=False)
        new_layers = [_Layer(first, str(first), problems)]
        base_name, overlays = "tables", (str(first),)
        new = _check_layers(new_layers, 0, problems, justify=False)
    else:
        if is_complete_set(first):
            base_layer = _Layer(first, str(first), problems)
            base_name, rest = str(first), paths[1:]
            base_cat = _check_layers([base_layer], 0, problems)
            if base_cat is None:
                raise TableError(problems or [TableProblem(str(first), "", "", "not loaded")])
            base = base_cat
        else:
            base_layer = _Layer(default_tables(), "tables", problems, shipped=True)
            base_name, rest = "tables", tuple(paths)
            base = load_catalog(use_env=False)
        layers = [base_layer, *(_Layer(Path(p), str(Path(p)), problems) for p in rest)]
        overlays = tuple(str(p) for p in rest)
        new = _check_layers(layers, 1, problems, justify=False)
    if problems or new is None:
        raise TableError(problems or [TableProblem(overlays[-1], "", "", "not loaded")])
    return base, new, base_name, overlays


def _by_target(catalog: Catalog) -> dict[str, OverlayChange]:
    return {made.change.target: made for made in catalog.changes}


def prepare_changes(catalog: Catalog) -> None:
    """Build what :func:`change_of` reads (for a caller about to hold a lock of its own)."""
    if catalog.changes:
        catalog.derived(_by_target)


def change_of(catalog: Catalog, target: str) -> OverlayChange | None:
    """The last overlay change of ``catalog`` whose target is ``target`` or lies under it
    (``drugs.colchicine.rules.colchicine-diltiazem`` finds its severity's change)."""
    if not catalog.changes:
        return None
    found = catalog.derived(_by_target)
    exact = found.get(target)
    if exact is not None:
        return exact
    prefix = target + "."
    return next((m for m in reversed(catalog.changes) if m.change.target.startswith(prefix)), None)
