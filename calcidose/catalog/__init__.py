"""Loading the tables: TOML -> frozen attrs models, validated as a whole, all-or-nothing.

``load_catalog()`` reads the tables shipped with calcidose; ``load_catalog(path, ...)`` adds
institution overlays (also from the ``CALCIDOSE_TABLES`` environment variable, a list of
directories separated by ``os.pathsep``). Any problem in any file raises one
:class:`~calcidose.errors.TableError` listing every problem with file, entry and field; nothing
is skipped and nothing half-loaded is ever returned.

Structure is checked by cattrs (``forbid_extra_keys``, Literal values, types) with JSONPath-like
field paths; meaning is checked by :mod:`calcidose.catalog.validate` (units and their dimensions,
ranges, caps, references, plausibility).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import attrs

from ..errors import InputError, InputTypeError, TableError, TableProblem, UnknownDrugError
from .model import (
    Catalog,
    Condition,
    Drug,
    Meta,
    Overlay,
    Source,
    Substance,
    SubstanceClass,
    TablesRef,
)
from .tablefiles import content_hash, layout_problems, read_file
from .vocabulary import normalise

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "ENV_VAR",
    "default_tables",
    "get_catalog",
    "load_catalog",
    "load_ref",
    "resolve_drug",
    "validate_directory",
]

#: Environment variable naming institution overlay directories (os.pathsep-separated).
ENV_VAR: Final = "CALCIDOSE_TABLES"

T = TypeVar("T")


class _WrongType(TypeError):
    """A value of the wrong JSON type, raised by the structure hooks below; its message (what
    was expected, and what was found) is what the table's author reads."""


def _format_error(exc: BaseException, kind: type | None) -> str:
    """cattrs' wording of a structuring error, except that a hook's own message is kept (cattrs
    would replace it with the bare "invalid value for type, expected float")."""
    import cattrs.v

    if isinstance(exc, _WrongType):
        return str(exc)
    return cattrs.v.format_exception(exc, kind)


def _exact(kind: type, name: str) -> Any:
    """A structure hook that accepts only values already of the right JSON type: cattrs would
    otherwise turn "false" into True, 1.5 into 1 and "2" into 2.0."""

    def hook(value: Any, _: Any) -> Any:
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind)
        if not ok:
            raise _WrongType(f"must be {name}, not {type(value).__name__} {value!r}")
        return kind(value)

    return hook


def _string_list(value: Any, _: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _WrongType(f"must be a list of strings, not {type(value).__name__} {value!r}")
    return tuple(value)


@cache
def _converter() -> Any:
    """The cattrs converter of the tables (imported on first use: a catalog read from the
    cache needs none)."""
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(bool, _exact(bool, "true or false"))
    converter.register_structure_hook(int, _exact(int, "a whole number"))
    converter.register_structure_hook(float, _exact(float, "a number"))
    converter.register_structure_hook(str, _exact(str, "text"))
    converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _string_list)
    return converter


def default_tables() -> Traversable:
    """The tables shipped with calcidose (inside the wheel, or ``tables/`` in a checkout)."""
    packaged = resources.files("calcidose").joinpath("tables")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "tables"
    if checkout.is_dir():
        return checkout
    raise TableError([TableProblem("tables", "", "", "the shipped tables are missing")])


def _parse_toml(data: bytes, label: str, problems: list[TableProblem]) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(TableProblem(label, "", "", f"not valid TOML: {exc}"))
    except RecursionError:
        problems.append(TableProblem(label, "", "", "not valid TOML: nested too deeply to read"))
    except UnicodeDecodeError as exc:
        problems.append(TableProblem(label, "", "", f"not UTF-8 text: {exc}"))
    return {}


def _structure(
    data: Any, cls: type[T], label: str, entry: str, problems: list[TableProblem]
) -> T | None:
    import cattrs

    try:
        return cast(T, _converter().structure(data, cls))
    except cattrs.BaseValidationError as exc:
        for message in cattrs.transform_error(exc, path="$", format_exception=_format_error):
            text, _, path = message.rpartition(" @ ")
            problems.append(TableProblem(label, entry, path or "$", text or message))
    except (TypeError, ValueError) as exc:
        problems.append(TableProblem(label, entry, "$", str(exc)))
    return None


def _keyed(
    data: Mapping[str, Any],
    section: str,
    cls: type[T],
    label: str,
    problems: list[TableProblem],
) -> dict[str, T]:
    table = data.get(section, {})
    if not isinstance(table, Mapping):
        problems.append(TableProblem(label, "", section, "must be a table of entries"))
        return {}
    out: dict[str, T] = {}
    for key, value in table.items():
        if not isinstance(value, Mapping):
            problems.append(TableProblem(label, key, "$", "must be a table"))
            continue
        if "id" in value:
            problems.append(TableProblem(label, key, "$.id", "the id is the table key; remove it"))
            continue
        item = _structure({"id": key, **value}, cls, label, key, problems)
        if item is not None:
            out[key] = item
    return out


#: What reading one file of a tables directory gave: its bytes, or the problem that stopped it.
_Read = bytes | TableProblem

#: The vocabulary files of a tables directory, in the order they are read.
_VOCABULARY: Final = (
    "meta.toml",
    "sources.toml",
    "conditions.toml",
    "substances.toml",
    "medications.toml",
)


class _Files:
    """Everything one tables directory holds, read (confined and bounded) before any of it is
    parsed: the layout's problems, then relative path -> bytes or the problem reading it, in the
    order the files are parsed. The same bytes give the content hash (the catalog cache's key)
    and the catalog, so a file changed in between cannot give a catalog another content's key
    names."""

    def __init__(self, root: Traversable, name: str, shipped: bool = False) -> None:

        self.root = root
        self.name = name
        self.shipped = shipped
        self.layout: list[TableProblem] = layout_problems(root, name, shipped)
        self.entries: dict[str, _Read] = {}
        self.readme: bytes | None = None
        readme = root.joinpath("README.md")
        if readme.is_file():
            with contextlib.suppress(InputError, OSError):
                self.readme = read_file(readme, root, f"{name}/README.md")
        for file in _VOCABULARY:
            node = root.joinpath(file)
            if node.is_file():
                self.entries[file] = self._read(node, file)
        drugs = root.joinpath("drugs")
        if drugs.is_dir():
            for child in sorted(drugs.iterdir(), key=lambda c: c.name):
                relative = f"drugs/{child.name}"
                if not child.name.endswith(".toml"):
                    self.entries[relative] = TableProblem(
                        f"{name}/{relative}", "", "", "drug files must end in .toml"
                    )
                    continue
                self.entries[relative] = self._read(child, relative)

    def _read(self, node: Traversable, relative: str) -> _Read:

        label = f"{self.name}/{relative}"
        try:
            return read_file(node, self.root, label)
        except InputError as exc:
            return TableProblem(label, "", "", str(exc))
        except OSError as exc:
            return TableProblem(label, "", "", f"cannot be read: {exc}")
        except UnicodeDecodeError as exc:
            return TableProblem(label, "", "", f"not UTF-8 text: {exc}")

    @property
    def clean(self) -> bool:
        """True when the layout is right and every file was read."""
        return not self.layout and all(isinstance(v, bytes) for v in self.entries.values())

    def contents(self) -> dict[str, bytes]:
        """relative path -> bytes of every file read (README.md included), for the hash."""
        out = {k: v for k, v in self.entries.items() if isinstance(v, bytes)}
        if self.readme is not None:
            out["README.md"] = self.readme
        return out


class _Layer:
    """The raw content of one tables directory (ours, or an overlay)."""

    def __init__(
        self,
        root: Traversable,
        name: str,
        problems: list[TableProblem],
        shipped: bool = False,
        files: _Files | None = None,
    ) -> None:
        self.name = name
        self.shipped = shipped
        self.root = root
        read = files if files is not None else _Files(root, name, shipped)
        #: relative path -> bytes of every file read (for the content hash)
        self.files: dict[str, bytes] = read.contents()
        self.meta: dict[str, Any] | None = None
        self.sources: dict[str, Source] = {}
        self.conditions: dict[str, Condition] = {}
        self.classes: dict[str, SubstanceClass] = {}
        self.substances: dict[str, Substance] = {}
        #: substance id -> the file label it is defined in (substances or medications.toml)
        self.substance_files: dict[str, str] = {}
        self.drugs: dict[str, tuple[str, dict[str, Any]]] = {}
        #: label -> (JSON Schema definition, raw data) of every vocabulary file read
        self.raw: dict[str, tuple[str, dict[str, Any]]] = {}
        self._parse(read, problems)

    def _label(self, *parts: str) -> str:
        return "/".join((self.name, *parts))

    @staticmethod
    def _toml(read: _Read, label: str, problems: list[TableProblem]) -> dict[str, Any]:
        """One file's TOML, or {} with its problem (reading or parsing) in ``problems``."""
        if isinstance(read, TableProblem):
            problems.append(read)
            return {}
        return _parse_toml(read, label, problems)

    def _parse(self, read: _Files, problems: list[TableProblem]) -> None:
        problems.extend(read.layout)
        entries = read.entries
        if "meta.toml" in entries:
            self.meta = self._toml(entries["meta.toml"], self._label("meta.toml"), problems)
            self.raw[self._label("meta.toml")] = ("meta_file", self.meta)
        if "sources.toml" in entries:
            label = self._label("sources.toml")
            data = self._toml(entries["sources.toml"], label, problems)
            self.raw[label] = ("sources_file", data)
            self._only(data, {"sources"}, label, problems)
            self.sources = _keyed(data, "sources", Source, label, problems)
        if "conditions.toml" in entries:
            label = self._label("conditions.toml")
            data = self._toml(entries["conditions.toml"], label, problems)
            self.raw[label] = ("conditions_file", data)
            self._only(data, {"conditions"}, label, problems)
            self.conditions = _keyed(data, "conditions", Condition, label, problems)
        if "substances.toml" in entries:
            label = self._label("substances.toml")
            data = self._toml(entries["substances.toml"], label, problems)
            self.raw[label] = ("substances_file", data)
            self._only(data, {"classes", "substances"}, label, problems)
            self.classes = _keyed(data, "classes", SubstanceClass, label, problems)
            self.substances = _keyed(data, "substances", Substance, label, problems)
            self.substance_files = dict.fromkeys(self.substances, label)
        if "medications.toml" in entries:
            self._medications(entries["medications.toml"], problems)
        for relative, content in entries.items():
            if not relative.startswith("drugs/"):
                continue
            label = self._label(relative)
            if isinstance(content, TableProblem) and not relative.endswith(".toml"):
                problems.append(content)
                continue
            data = self._toml(content, label, problems)
            if data:
                name = relative.removeprefix("drugs/")
                self.drugs[name.removesuffix(".toml")] = (label, data)

    def _medications(self, read: _Read, problems: list[TableProblem]) -> None:
        """The vocabulary of common medications: substances of their own file."""
        label = self._label("medications.toml")
        data = self._toml(read, label, problems)
        self.raw[label] = ("medications_file", data)
        self._only(data, {"medications"}, label, problems)
        for key, item in _keyed(data, "medications", Substance, label, problems).items():
            if key in self.substances:
                where = self.substance_files[key]
                problems.append(TableProblem(label, key, "$", f"also defined in {where}"))
                continue
            self.substances[key] = item
            self.substance_files[key] = label

    @staticmethod
    def _only(
        data: Mapping[str, Any], allowed: set[str], label: str, problems: list[TableProblem]
    ) -> None:
        for key in data:
            if key not in allowed:
                problems.append(TableProblem(label, "", key, "unexpected top-level key"))


def _merge_by_id(
    base: Sequence[Mapping[str, Any]],
    overlay: Sequence[Any],
    label: str,
    field: str,
    problems: list[TableProblem],
) -> list[dict[str, Any]]:
    merged = [dict(item) for item in base]
    index = {item.get("id"): n for n, item in enumerate(merged)}
    for pos, item in enumerate(overlay):
        if not isinstance(item, Mapping) or "id" not in item:
            problems.append(TableProblem(label, "", f"$.{field}[{pos}]", "needs an id"))
            continue
        at = index.get(item["id"])
        if at is None:
            merged.append(dict(item))
            index[item["id"]] = len(merged) - 1
        else:
            merged[at] = {**merged[at], **item}
    return merged


def _overlay_drug(
    base: Mapping[str, Any], overlay: Mapping[str, Any], label: str, problems: list[TableProblem]
) -> dict[str, Any]:
    """An overlay drug file changes fields of our entry; regimens and rules merge by id."""
    merged = {**base}
    for key, value in overlay.items():
        if key in ("regimens", "rules") and isinstance(value, list):
            merged[key] = _merge_by_id(base.get(key, []), value, label, key, problems)
        else:
            merged[key] = value
    return merged


def load_catalog(*overlays: str | os.PathLike[str], use_env: bool = True) -> Catalog:
    """Load and validate the shipped tables plus any overlay directories, or raise TableError.

    Overlays apply in order (later wins): vocabulary entries with the same id replace ours; a
    drug file with the id of one of ours changes the fields it gives, with regimens and rules
    merged by id (so an institution can change strengths, caps or thresholds, or add regimens);
    a new id adds a drug. Each overlay goes through the one door ``tables validate`` uses
    (:func:`_check_layers`): layout and confined reads, the published JSON Schema, then the
    merge and the meaning checks of the merged whole.
    """
    extra: list[str | os.PathLike[str]] = list(overlays)
    if use_env and os.environ.get(ENV_VAR):
        extra.extend(p for p in os.environ[ENV_VAR].split(os.pathsep) if p)
    read = [_Files(default_tables(), "tables", shipped=True)]
    for path in extra:
        directory = Path(path)
        if not directory.is_dir():
            raise TableError([TableProblem(str(path), "", "", "not a tables directory")])
        read.append(_Files(directory, str(directory)))
    from . import diskcache

    ref = TablesRef(
        (str(read[0].root), *(str(Path(p).resolve()) for p in extra)),
        tuple(content_hash(files.contents()) for files in read),
    )
    key = None
    if diskcache.cache_dir() is not None and all(files.clean for files in read):
        key = diskcache.cache_key([(files.name, files.contents()) for files in read])
        cached = diskcache.load(key) if key is not None else None
        if cached is not None:
            return _knows(cached, ref)
    problems: list[TableProblem] = []
    layers = [_Layer(f.root, f.name, problems, f.shipped, files=f) for f in read]
    # the shipped tables are schema-checked by `tables validate` (and the suite), not per load
    catalog = _check_layers(layers, 1, problems)
    if problems:
        raise TableError(problems)
    assert catalog is not None
    if key is not None:
        diskcache.store(key, catalog)
    return _knows(catalog, ref)


def _knows(catalog: Catalog, ref: TablesRef) -> Catalog:
    """``catalog``, told where it was loaded from (the one place a catalog learns it)."""
    object.__setattr__(catalog, "_ref", ref)  # a frozen class; _ref is no init field
    return catalog


#: Catalogs loaded again from a reference in this process (a worker unpickles one per task).
_REBUILT: dict[TablesRef, Catalog] = {}
_REBUILT_MAX: Final = 8
_REBUILT_LOCK = threading.Lock()


def load_ref(ref: TablesRef) -> Catalog:
    """The catalog ``ref`` describes, loaded on this machine from its overlay directories
    (``ref.directories[1:]``, without ``CALCIDOSE_TABLES``) over this installation's shipped
    tables, once per process; refused (:class:`~calcidose.errors.TableError`, naming the
    directory) when the files read in a directory do not have the hash ``ref`` holds, so a
    worker never checks against other tables than the ones its catalog was sent from."""
    with _REBUILT_LOCK:
        found = _REBUILT.get(ref)
    if found is not None:
        return found
    catalog = load_catalog(*ref.directories[1:], use_env=False)
    assert catalog.ref is not None
    problems = [
        TableProblem(
            directory, "", "", f"its tables have content hash {here}, not {expected} as sent"
        )
        for directory, here, expected in zip(
            ref.directories, catalog.ref.hashes, ref.hashes, strict=True
        )
        if here != expected
    ]
    if problems:
        raise TableError(problems)
    with _REBUILT_LOCK:
        if len(_REBUILT) >= _REBUILT_MAX:
            del _REBUILT[next(iter(_REBUILT))]
        found = _REBUILT.setdefault(ref, catalog)
    return found


def _check_layers(
    layers: Sequence[_Layer],
    schema_from: int,
    problems: list[TableProblem],
    schema_first: bool = False,
    justify: bool = True,
) -> Catalog | None:
    """The one door of every tables directory, for loading and for ``tables validate``.

    Every check runs on every call: reading (layout, confined reads, TOML, already in
    ``problems``), the published JSON Schema on ``layers[schema_from:]``, the structure
    (cattrs) and the meaning checks of the merged whole; the tables are accepted only when all
    of them find nothing, so what ``tables validate`` refuses never loads. Only the report
    differs: ``schema_first`` (validate) reports the schema's problems when there are any,
    otherwise (loading) the structure and meaning problems, which name the value found.

    What each overlay changes is compared with the layers below it
    (:func:`calcidose.catalog.overlays.overlay_changes`) and kept on the catalog; a change that
    weakens safety without a justification is a problem, unless ``justify`` is False (``tables
    diff`` shows such changes instead)."""
    from .overlays import overlay_changes
    from .validate import validate_catalog

    schema = _schema_problems(layers, schema_from)
    meaning: list[TableProblem] = []
    vocab: dict[tuple[str, str], str] = {}
    catalog = _combine(layers, meaning, vocab)
    if catalog is not None and not meaning:
        meaning.extend(validate_catalog(catalog, _labels(layers), vocab))
    if catalog is not None and not meaning and len(layers) > 1:
        changes = overlay_changes(layers, catalog, meaning, justify)
        catalog = attrs.evolve(catalog, changes=changes)
    if schema_first:
        problems.extend(schema if problems or schema else meaning)
    else:
        problems.extend(meaning)
        if not problems:
            problems.extend(schema)
    return catalog if not problems else None


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


def validate_directory(path: str | os.PathLike[str]) -> list[TableProblem]:
    """Every problem of one tables directory, validated on its own (``tables validate PATH``).

    A directory that holds meta.toml and every vocabulary file (sources, conditions,
    substances) is a complete set of tables, validated alone; any other
    is an overlay, validated merged over the shipped tables by the very code that loads it.
    """
    directory = Path(path)
    if not directory.is_dir():
        return [TableProblem(str(path), "", "", "not a directory")]
    problems: list[TableProblem] = []
    if is_complete_set(directory):
        shipped = str(default_tables()) == str(directory)
        layers = [_Layer(directory, str(directory), problems, shipped=shipped)]
        _check_layers(layers, 0, problems, schema_first=True)
    else:
        layers = [
            _Layer(default_tables(), "tables", problems, shipped=True),
            _Layer(directory, str(directory), problems),
        ]
        _check_layers(layers, 1, problems, schema_first=True)
    return problems


def is_complete_set(directory: Traversable) -> bool:
    """True for a complete set of tables (meta.toml and every vocabulary file: sources,
    conditions, substances), validated alone; False for an overlay, which changes ours."""
    return all(directory.joinpath(f).is_file() for f in _COMPLETE)


_COMPLETE: Final = ("meta.toml", "sources.toml", "conditions.toml", "substances.toml")


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


@cache
def _cached_catalog(env: str | None) -> Catalog:
    return load_catalog(use_env=True)


def get_catalog() -> Catalog:
    """The catalog in use (shipped tables plus ``CALCIDOSE_TABLES`` overlays), loaded once."""
    return _cached_catalog(os.environ.get(ENV_VAR))


def _fold(name: str) -> str:
    """A drug name as looked up: NFKC, case folded, runs of spaces, hyphens and underscores as
    one hyphen (``"Diltiazem"``, ``"DILTIAZEM"`` and ``"sodium thiosulfate"`` find their ids)."""
    import re
    import unicodedata

    return re.sub(r"[\s_\-]+", "-", unicodedata.normalize("NFKC", name).casefold()).strip("-")


def resolve_drug(catalog: Catalog, name: str) -> Drug:
    """The catalog drug ``name`` names: an id or a synonym, exactly after case folding and
    separator normalisation (no fuzzy match). An unknown name is an UnknownDrugError with up
    to three "did you mean" suggestions (difflib), which are never applied."""
    if not isinstance(name, str):
        raise InputTypeError(f"a drug must be named by text, not {type(name).__name__}")
    target = catalog.aliases.get(name)
    if target is None:
        key = _fold(name)
        target = next((t for alias, t in catalog.aliases.items() if _fold(alias) == key), None)
    drug = catalog.drugs.get(target) if target is not None else None
    if drug is None:
        hint = ""
        if target is not None:
            hint = f" ({name!r} is a substance the rules know, not a catalog therapy)"
        else:
            hint = _did_you_mean(catalog, name)
        raise UnknownDrugError(
            f"unknown drug {name!r}{hint}; catalog drugs: {', '.join(sorted(catalog.drugs))}"
        )
    return drug


def _did_you_mean(catalog: Catalog, name: str) -> str:
    """``"; did you mean 'diltiazem'? (not applied)"``, or "" when nothing is close (difflib
    ratio 0.75 or more against the drugs' ids and synonyms; names over 80 characters get none)."""
    import difflib

    key = _fold(name)
    if not key or len(key) > 80:
        return ""
    spellings: dict[str, str] = {}
    for drug in catalog.drugs.values():
        for spelling in (drug.id, *drug.synonyms):
            spellings.setdefault(_fold(spelling), drug.id)
    close = difflib.get_close_matches(key, list(spellings), n=6, cutoff=0.75)
    ids = list(dict.fromkeys(spellings[c] for c in close))[:3]
    if not ids:
        return ""
    return f"; did you mean {' or '.join(repr(i) for i in ids)}? (not applied)"
