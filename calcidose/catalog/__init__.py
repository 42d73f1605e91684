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

import os
import threading
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from ..errors import TableError, TableProblem
from .combine import _combine as _combine  # (re-exported: catalog.overlays reaches it here)
from .combine import _labels
from .convert import _exact as _exact  # (the tests reach it here)
from .convert import _structure as _structure  # (catalog.overlays and the tests)
from .layers import _Files
from .layers import _Layer as _Layer  # (catalog.overlays)
from .model import Catalog, TablesRef
from .resolve import resolve_drug
from .schema import _schema_problems
from .tablefiles import content_hash

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


def default_tables() -> Traversable:
    """The tables shipped with calcidose (inside the wheel, or ``tables/`` in a checkout)."""
    packaged = resources.files("calcidose").joinpath("tables")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "tables"
    if checkout.is_dir():
        return checkout
    raise TableError([TableProblem("tables", "", "", "the shipped tables are missing")])


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


@cache
def _cached_catalog(env: str | None) -> Catalog:
    return load_catalog(use_env=True)


def get_catalog() -> Catalog:
    """The catalog in use (shipped tables plus ``CALCIDOSE_TABLES`` overlays), loaded once."""
    return _cached_catalog(os.environ.get(ENV_VAR))
