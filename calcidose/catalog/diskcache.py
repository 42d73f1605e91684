"""The catalog cache: a validated catalog kept on disk, keyed by what it was built from.

Loading the tables (TOML, structuring, the meaning checks) costs far more than a dose. Once a
set of tables has loaded without a problem, the catalog is written here, and the next process
that reads byte for byte the same tables with the same calcidose code gets it back without
parsing or checking again. Nothing else may give it back:

* **The key** is SHA-256 over this format's name, the Python version, the content of every
  file of the calcidose package (its code, schemas and unit definitions: a new version, or an
  edited source tree, is a new key) and, for each tables directory in order (ours, then each
  overlay), its name and the content hash of every file read from it
  (:func:`calcidose.catalog.tablefiles.content_hash`). The files are read (confined and
  bounded, as always) before the key is computed, and the same bytes are what a miss parses,
  so an edited overlay is a different key and a file changed in between cannot be cached
  under another content's key. Tables with any problem are never cached: every load of them
  runs every check and raises.
* **Where**: ``$CALCIDOSE_CACHE_DIR`` if set, otherwise ``$XDG_CACHE_HOME/calcidose``
  (an absolute ``XDG_CACHE_HOME`` only) or ``~/.cache/calcidose``; created with mode 0700.
  ``CALCIDOSE_CACHE=off`` (or ``0``, ``no``, ``false``) turns the cache off.
* **Trust**: a file is read only from a directory owned by the current user and writable by
  no one else, only if the file itself is a regular file (not a link) owned by the current
  user, not group- or world-writable, and at most :data:`MAX_BYTES` long. Its header must
  name this format and the key, and the SHA-256 of its payload must match the one it
  records (a truncated or corrupted file is refused). The payload is plain JSON, decoded
  into the catalog's own model classes only (a closed list, by name, with their exact
  number of fields); it can hold no code, and nothing in it is executed.
* **Never an error**: a missing, foreign, writable-by-others, corrupt or stale file is
  ignored, and the catalog is loaded from the tables and written again. A cache that cannot
  be written (a read-only home) is skipped silently: the cache only ever saves time.
* **Written atomically**: to a new file (mode 0600, exclusive create) in the same directory,
  then renamed over the old one, so a reader sees the old file or the new, never a part.
  At most :data:`KEEP` files are kept (the oldest beyond that are removed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final

import attrs

from . import model
from .tablefiles import content_hash

__all__ = ["DIR_VAR", "ENV_VAR", "KEEP", "MAX_BYTES", "cache_dir", "cache_key", "load", "store"]

#: Environment variable naming the cache directory (overrides the XDG location).
DIR_VAR: Final = "CALCIDOSE_CACHE_DIR"
#: Environment variable that turns the cache off (``off``, ``0``, ``no``, ``false``).
ENV_VAR: Final = "CALCIDOSE_CACHE"
#: The largest cache file read (the shipped catalog takes about 1 MB).
MAX_BYTES: Final = 64 * 1024 * 1024
#: How many cache files (one per set of tables) are kept.
KEEP: Final = 8

_FORMAT: Final = "calcidose-catalog-cache/1"
_OFF: Final = frozenset({"off", "0", "no", "false"})

#: The classes a payload may build, by name: the catalog's model, nothing else.
_CLASSES: Final[dict[str, type]] = {
    name: cls
    for name in model.__all__
    if isinstance(cls := getattr(model, name), type) and attrs.has(cls)
}
_FIELDS: Final[dict[type, tuple[str, ...]]] = {
    # the fields given to the class (a catalog's reference and what it derived are not kept)
    cls: tuple(f.name for f in attrs.fields(cls) if f.init)
    for cls in _CLASSES.values()
}
_SCALARS: Final = (str, int, float, bool, type(None))
_SCALAR_SET: Final = frozenset(_SCALARS)


class _Unsupported(ValueError):
    """A value the cache format cannot hold exactly: such a catalog is not cached."""


def cache_dir() -> Path | None:
    """The cache directory in use, or None when the cache is off (or cannot be placed)."""
    if os.environ.get(ENV_VAR, "").strip().lower() in _OFF:
        return None
    if not hasattr(os, "geteuid"):
        return None  # no owner to check the files against (Windows): no cache
    override = os.environ.get(DIR_VAR)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "calcidose"
    try:
        return Path.home() / ".cache" / "calcidose"
    except (RuntimeError, KeyError):
        return None


@cache
def _code_hash() -> str:
    """SHA-256 over every file of the calcidose package (not its tables, not bytecode), in
    sorted path order; "" when the package is not a directory on disk (then: no cache)."""
    package = Path(__file__).resolve().parent.parent
    if not (package / "__init__.py").is_file():
        return ""
    digest = hashlib.sha256()
    for directory, subdirs, files in os.walk(package):
        subdirs[:] = sorted(d for d in subdirs if d not in ("__pycache__", "tables"))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(directory, name)
            data = path.read_bytes()
            relative = path.relative_to(package).as_posix().encode("utf-8")
            digest.update(len(relative).to_bytes(8, "big") + relative)
            digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def cache_key(layers: Sequence[tuple[str, Mapping[str, bytes]]]) -> str | None:
    """The key of a catalog built from ``layers`` (each: the directory's name, relative path
    -> bytes of every file read from it) by this code; None when the code cannot be hashed."""
    try:
        code = _code_hash()
    except OSError:
        return None
    if not code:
        return None
    parts = [_FORMAT, f"python {sys.version_info[0]}.{sys.version_info[1]}", f"code {code}"]
    for name, files in layers:
        parts.append(f"layer {len(name)} {name} {content_hash(files)}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _encode(value: Any) -> Any:
    """A JSON value that gives ``value`` back exactly: every container is a list whose first
    item says what it was (``t`` tuple, ``l`` list, ``d`` dict, ``c`` a model class)."""
    kind = type(value)
    if kind in _SCALAR_SET:
        if kind is float and not (value - value == 0):  # nan, inf: not JSON
            raise _Unsupported("a number JSON cannot hold")
        return value
    if kind is tuple:
        return ["t", *[_encode(v) for v in value]]
    if kind is list:
        return ["l", *[_encode(v) for v in value]]
    if kind is dict:
        out: list[Any] = ["d"]
        for key, item in value.items():
            if type(key) is not str:
                raise _Unsupported("a key that is not text")
            out.append(key)
            out.append(_encode(item))
        return out
    fields = _FIELDS.get(kind)
    if fields is None:
        raise _Unsupported(f"a {kind.__name__}")
    return ["c", kind.__name__, *[_encode(getattr(value, f)) for f in fields]]


def _decode(value: Any) -> Any:
    """The value :func:`_encode` wrote; ValueError (or TypeError, KeyError) for anything else.

    (Scalars are passed through inline, not by a call each: most of a catalog is text.)"""
    if type(value) is not list:
        if type(value) not in _SCALAR_SET:
            raise ValueError("not a cached value")
        return value
    tag = value[0]
    if tag == "t":
        return tuple([v if type(v) in _SCALAR_SET else _decode(v) for v in value[1:]])
    if tag == "c":
        cls = _CLASSES[value[1]]  # KeyError: a class the catalog does not have
        if len(value) - 2 != len(_FIELDS[cls]):
            raise ValueError(f"{value[1]} with the wrong number of fields")
        return cls(*[v if type(v) in _SCALAR_SET else _decode(v) for v in value[2:]])
    if tag == "l":
        return [v if type(v) in _SCALAR_SET else _decode(v) for v in value[1:]]
    if tag == "d":
        if len(value) % 2 != 1:
            raise ValueError("a dict with an odd number of items")
        out = {}
        for at in range(1, len(value), 2):
            key, item = value[at], value[at + 1]
            if type(key) is not str:
                raise ValueError("a key that is not text")
            out[key] = item if type(item) in _SCALAR_SET else _decode(item)
        return out
    raise ValueError("an unknown tag")


def _trusted(st: os.stat_result, kind: int) -> bool:
    """Of that kind, owned by the current user, writable by no one else."""
    return (
        stat.S_IFMT(st.st_mode) == kind
        and st.st_uid == os.geteuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _file(directory: Path, key: str) -> Path:
    return directory / f"catalog-{key}.json"


def load(key: str) -> model.Catalog | None:
    """The cached catalog of ``key``, or None (no cache, or one that is not to be trusted)."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        if not _trusted(os.stat(directory), stat.S_IFDIR):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(_file(directory, key), flags | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not _trusted(st, stat.S_IFREG) or st.st_size > MAX_BYTES:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
    return _parse(data, key)


def _parse(data: bytes, key: str) -> model.Catalog | None:
    header, _, rest = data.partition(b"\n")
    recorded, _, payload = rest.partition(b"\n")
    if header != f"{_FORMAT} {key}".encode("ascii"):
        return None
    if recorded != hashlib.sha256(payload).hexdigest().encode("ascii"):
        return None
    try:
        catalog = _decode(json.loads(payload))
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None
    return catalog if type(catalog) is model.Catalog else None


def store(key: str, catalog: model.Catalog) -> None:
    """Write ``catalog`` under ``key``, atomically; silently nothing if it cannot be."""
    directory = cache_dir()
    if directory is None:
        return
    try:
        payload = json.dumps(
            _encode(catalog), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8", "surrogatepass")
    except (_Unsupported, ValueError, RecursionError):
        return
    digest = hashlib.sha256(payload).hexdigest()
    data = f"{_FORMAT} {key}\n{digest}\n".encode("ascii") + payload
    temporary: Path | None = None
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(os.stat(directory), stat.S_IFDIR):
            return
        temporary = directory / f".catalog-{os.getpid()}-{os.urandom(8).hex()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temporary, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temporary, _file(directory, key))
        temporary = None
        _prune(directory)
    except OSError:
        return
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


def _prune(directory: Path) -> None:
    """Keep the :data:`KEEP` most recently written cache files."""
    found = []
    for entry in os.scandir(directory):
        if entry.name.startswith("catalog-") and entry.name.endswith(".json"):
            try:
                found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
            except OSError:
                continue
    found.sort(reverse=True)
    for _, path in found[KEEP:]:
        try:
            os.unlink(path)
        except OSError:
            continue
