"""One tables directory read and parsed (:class:`_Layer`), before the layers are combined; the
merge of an overlay's drug into the drug below it."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ..errors import InputError, TableProblem
from .convert import _keyed, _parse_toml
from .model import (
    Condition,
    Source,
    Substance,
    SubstanceClass,
)
from .tablefiles import layout_problems, read_file

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable


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
