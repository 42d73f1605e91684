"""The files of a tables directory: its layout, confined and bounded reads, its content hash.

A tables directory (ours or an institution overlay) holds exactly::

    meta.toml  sources.toml  conditions.toml  substances.toml  medications.toml  README.md
    drugs/ID.toml  codes/

Anything else (``Drugs/``, ``drug/``, ``sub/drugs/``, a stray file, a subdirectory of
``drugs/``) is an error, never ignored: a file calcidose does not read is a change its author
believes is in force. Every file is read only if it is a regular file of at most
:data:`~calcidose.safeio.MAX_TABLE_BYTES` bytes whose real path (symlinks resolved) stays
inside the directory; a FIFO or device is refused before it is read.

The content hash of a directory is SHA-256 over its files' relative paths and bytes, in sorted
order (``sha256:`` and 64 hex digits): the same files give the same hash on every machine.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ..errors import InputError, TableProblem
from ..safeio import MAX_TABLE_BYTES, read_bounded

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["ROOT_FILES", "content_hash", "layout_problems", "read_file"]

#: The files a tables directory may hold at its root (besides the ``drugs/`` directory).
ROOT_FILES: Final = frozenset(
    {
        "meta.toml",
        "sources.toml",
        "conditions.toml",
        "substances.toml",
        "medications.toml",
        "README.md",
    }
)


def layout_problems(root: Traversable, label: str, shipped: bool) -> list[TableProblem]:
    """Every entry of ``root`` outside the layout (``label``: the directory's name).

    ``codes/`` holds the FHIR edge's code maps, checked by ``tables validate`` through
    :mod:`calcidose.io.fhir.codes` (``shipped`` is kept for callers that tell the layers
    apart)."""
    out: list[TableProblem] = []
    for child in sorted(root.iterdir(), key=lambda c: c.name):
        where = f"{label}/{child.name}"
        if child.name == "codes" and child.is_dir():
            continue  # validated by `tables validate` (calcidose.io.fhir.codes)
        if child.name == "drugs" and child.is_dir():
            continue  # each entry of drugs/ is read, and what cannot be is named then
        if child.is_dir():
            out.append(
                TableProblem(
                    where, "", "", "unexpected directory in tables (drug files go in drugs/)"
                )
            )
        elif child.name not in ROOT_FILES:
            out.append(TableProblem(where, "", "", "unexpected file in tables"))
    return out


def read_file(node: Traversable, root: Traversable, label: str) -> bytes:
    """The bytes of one table file, or :class:`~calcidose.errors.InputError` saying why not.

    For a file on disk: its real path must stay under the real path of ``root`` (a symlink to
    ``/etc/...`` or ``../other`` is refused), it must be a regular file, and at most
    :data:`MAX_TABLE_BYTES` long. Files inside a wheel (not on disk) are ours and read as is.
    """
    if not isinstance(node, Path) or not isinstance(root, Path):
        return node.read_text(encoding="utf-8").encode("utf-8")
    real, base = node.resolve(), root.resolve()
    if not real.is_relative_to(base):
        raise InputError("a symbolic link that leaves the tables directory")
    mode = os.stat(real).st_mode  # OSError: reported as "cannot be read"
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(node))
    if not stat.S_ISREG(mode):
        raise InputError("not a regular file (a FIFO, device or directory)")
    return read_bounded(real, MAX_TABLE_BYTES, label)


def content_hash(files: Mapping[str, bytes]) -> str:
    """``sha256:HEX`` over the files (relative path -> bytes), in sorted path order; each path
    and each content is length-prefixed, so no two different sets of files give one stream."""
    digest = hashlib.sha256()
    for path in sorted(files):
        data = files[path]
        name = path.encode("utf-8")
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(data).to_bytes(8, "big") + data)
    return f"sha256:{digest.hexdigest()}"
