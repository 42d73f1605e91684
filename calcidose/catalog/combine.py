"""The layers combined into one :class:`~calcidose.catalog.model.Catalog` (later layers win by
id), with the aliases of its drug names."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TableProblem
from .convert import _structure
from .layers import _Layer, _overlay_drug
from .model import (
    Catalog,
    Condition,
    Drug,
    Meta,
    Overlay,
    Source,
    Substance,
    SubstanceClass,
)
from .vocabulary import normalise

if TYPE_CHECKING:
    pass


def _labels(layers: Sequence[_Layer]) -> dict[str, str]:
    """drug id -> the file label it was last defined in (for error messages)."""
    out: dict[str, str] = {}
    for layer in layers:
        for drug_id, (label, _) in layer.drugs.items():
            out[drug_id] = label
    return out


def _combine(
    layers: Sequence[_Layer],
    problems: list[TableProblem],
    vocab_labels: dict[tuple[str, str], str],
) -> Catalog | None:
    """Merge the layers into one catalog; ``vocab_labels`` gets (section, id) -> file label."""
    meta_data: dict[str, Any] | None = None
    meta_label = layers[0]._label("meta.toml")
    sources: dict[str, Source] = {}
    conditions: dict[str, Condition] = {}
    classes: dict[str, SubstanceClass] = {}
    substances: dict[str, Substance] = {}
    raw_drugs: dict[str, tuple[str, dict[str, Any]]] = {}
    for layer in layers:
        if layer.meta is not None:
            # an overlay's justifications are its own (catalog.overlays), never merged
            own = {k: v for k, v in layer.meta.items() if k != "justifications"}
            meta_data = {**(meta_data or {}), **own}
            meta_label = layer._label("meta.toml")
        sources.update(layer.sources)
        conditions.update(layer.conditions)
        classes.update(layer.classes)
        substances.update(layer.substances)
        for drug_id, (label, data) in layer.drugs.items():
            if drug_id in raw_drugs:
                merged = _overlay_drug(raw_drugs[drug_id][1], data, label, problems)
                raw_drugs[drug_id] = (label, merged)
            else:
                raw_drugs[drug_id] = (label, data)
    if meta_data is None:
        problems.append(TableProblem(meta_label, "", "", "missing"))
        return None
    meta = _structure(meta_data, Meta, meta_label, "", problems)
    drugs: dict[str, Drug] = {}
    for drug_id, (label, data) in sorted(raw_drugs.items()):
        if data.get("id") != drug_id:
            problems.append(
                TableProblem(label, drug_id, "$.id", f"must equal the file name {drug_id!r}")
            )
            continue
        drug = _structure(data, Drug, label, drug_id, problems)
        if drug is not None:
            drugs[drug_id] = drug
    if meta is None:
        return None
    for layer in layers:
        for section, entries in (
            ("sources", layer.sources),
            ("conditions", layer.conditions),
            ("classes", layer.classes),
            ("substances", layer.substances),
        ):
            file = "substances.toml" if section == "classes" else f"{section}.toml"
            for key in entries:
                vocab_labels[(section, key)] = layer._label(file)
        for key, label in layer.substance_files.items():
            vocab_labels[("substances", key)] = label
    vocab_labels[("meta", "")] = meta_label
    aliases = _aliases(drugs, substances, problems, _labels(layers), vocab_labels)
    return Catalog(
        meta=meta,
        sources=sources,
        conditions=conditions,
        classes=classes,
        substances=substances,
        drugs=drugs,
        aliases=aliases,
        origin=tuple(layer.name for layer in layers),
        edition=str((layers[0].meta or {}).get("tables_version", "")),
        overlays=tuple(_overlay_of(layer) for layer in layers if not layer.shipped),
    )


def _overlay_of(layer: _Layer) -> Overlay:
    """An overlay's provenance: name, its meta.toml's tables_version, content hash."""
    digest = hashlib.sha256()
    for relative in sorted(layer.files):
        content = layer.files[relative]
        # path, NUL, length, bytes: no two different sets of files hash alike by concatenation
        digest.update(relative.encode("utf-8") + b"\0" + str(len(content)).encode() + b"\0")
        digest.update(content)
    version = (layer.meta or {}).get("tables_version")
    return Overlay(
        name=Path(layer.name).name or layer.name,
        path=layer.name,
        version=version if isinstance(version, str) else None,
        sha256=digest.hexdigest(),
    )


def _aliases(
    drugs: Mapping[str, Drug],
    substances: Mapping[str, Substance],
    problems: list[TableProblem],
    labels: Mapping[str, str],
    vocab_labels: Mapping[tuple[str, str], str],
) -> dict[str, str]:
    """Names (id, synonyms, brands), normalised (:func:`calcidose.catalog.vocabulary.normalise`) ->
    drug or substance id; two entries sharing a name is an error, named at the file of the
    entry that collides (``labels``: drug id -> file, as from _labels)."""
    aliases: dict[str, str] = {}

    def add(name: str, target: str, where: str, field: str) -> None:
        key = normalise(name)
        if not key:
            problems.append(TableProblem(where, target, field, f"{name!r} is not a name"))
            return
        if key in aliases and aliases[key] != target:
            problems.append(
                TableProblem(where, target, field, f"{name!r} already names {aliases[key]!r}")
            )
            return
        aliases[key] = target

    entries: list[tuple[Drug | Substance, str]] = [(d, labels[d.id]) for d in drugs.values()]
    entries += [(s, vocab_labels[("substances", s.id)]) for s in substances.values()]
    for entry, where in entries:
        add(entry.id, entry.id, where, "$.id")
        for n, synonym in enumerate(entry.synonyms):
            add(synonym, entry.id, where, f"$.synonyms[{n}]")
        for n, brand in enumerate(entry.brands):
            add(brand, entry.id, where, f"$.brands[{n}]")
    return aliases
