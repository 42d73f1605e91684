"""Reading untrusted input safely: bounded reads, strict JSON, and safe echoes of what was read.

* :func:`read_bounded` reads a regular file (or stdin) of at most ``limit`` bytes. A FIFO, a
  device such as ``/dev/zero``, a directory or a file larger than the limit is refused with a
  clear error, never read forever.
* :func:`loads_strict` is ``json.loads`` that refuses duplicate keys at any depth (the last one
  would silently win otherwise) and the non-JSON constants ``NaN``, ``Infinity``, ``-Infinity``.
* :func:`shown` is how calcidose echoes a value a user gave in a message: terminal control
  characters and lone surrogates escaped, and long values shortened (their length stated).
"""

from __future__ import annotations

import math
import os
import re
import stat
import sys

from .errors import InputError

TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import Any, BinaryIO, Final

__all__ = [
    "MAX_ECHO",
    "MAX_PATIENT_BYTES",
    "MAX_TABLE_BYTES",
    "DuplicateKeyError",
    "escape_text",
    "loads_strict",
    "read_bounded",
    "shown",
]

#: The largest patient JSON (file or stdin) calcidose reads: 8 MiB, room for about 200,000
#: condition or medication ids (a real patient has tens).
MAX_PATIENT_BYTES: Final = 8 * 1024 * 1024
#: The largest table file (TOML) of an overlay calcidose reads: 1 MiB (our largest is 24 kB).
MAX_TABLE_BYTES: Final = 1024 * 1024
#: Echoed values longer than this many characters are shortened.
MAX_ECHO: Final = 60


class DuplicateKeyError(InputError):
    """A JSON object gives the same key twice."""


class ReadError(InputError):
    """A file or stream that cannot be read within calcidose's limits."""


def _check_regular(fd: int, label: str) -> None:
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a directory"
            if stat.S_ISDIR(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file"
        )
        raise ReadError(f"cannot read {label}: it is {kind}; calcidose reads regular files only")


def _read_limited(stream: BinaryIO, limit: int, label: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = stream.read(min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise ReadError(f"{label} is larger than the limit of {limit:,} bytes")
    return b"".join(chunks)


def read_bounded(path: str | os.PathLike[str], limit: int, label: str | None = None) -> bytes:
    """The bytes of the regular file ``path`` (``"-"``: standard input), at most ``limit``.

    Raises :class:`ReadError` (an :class:`~calcidose.errors.InputError`) for a file that is not
    regular (FIFO, device, directory), cannot be opened, or holds more than ``limit`` bytes.
    Standard input may be a pipe; it is read up to the limit and no further.
    """
    name = label or str(path)
    if str(path) == "-":
        return _read_limited(sys.stdin.buffer, limit, name)
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer; fstat then refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ReadError(f"cannot read {name}: {exc.strerror}") from None
    try:
        _check_regular(fd, name)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return _read_limited(stream, limit, name)
    except OSError as exc:
        raise ReadError(f"cannot read {name}: {exc.strerror}") from None
    finally:
        os.close(fd)


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    # 1e400 is valid JSON that float() turns into infinity: refused here, at the one door, so no
    # reader (patient JSON, FHIR, service) ever sees an infinite weight or dose
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {shown(text)} is too large to be a real quantity")
    return number


def loads_strict(text: str | bytes, what: str = "JSON") -> Any:
    """``json.loads`` that refuses duplicate keys (at any depth), NaN/Infinity, and numbers
    that overflow a float (``1e400``).

    Raises :class:`DuplicateKeyError` naming the key, or :class:`~calcidose.errors.InputError`
    for text that is not JSON (``what`` names the input in the message)."""
    import json  # here: the CLI writes every line through this module, and --help reads no JSON

    try:
        return json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_finite_float
        )
    except _Duplicate as exc:
        raise DuplicateKeyError(
            f"{what} gives the key {shown(exc.key)} twice in one object; "
            "calcidose does not choose between them"
        ) from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text") from None
    except ValueError as exc:  # JSONDecodeError, NaN, integers longer than Python accepts
        raise InputError(f"{what} is not valid JSON: {exc}") from None


#: What a terminal could act on, or an encoder choke on: C0/C1 control characters (except
#: newline and tab), DEL, lone surrogates, and the bidi embedding/override/isolate characters.
_UNSAFE: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    """``text`` with every character of :data:`_UNSAFE` written as an escape (``\\x1b``,
    ``\\udcff``); everything else (accents, mu, CJK, newlines) kept as is."""
    return _UNSAFE.sub(_escape_char, text)


def shown(value: object, limit: int = MAX_ECHO) -> str:
    """How a value a user gave is echoed in a message: quoted, escaped, at most ``limit``
    characters of it (``'7777...' (100,004 characters)`` for a longer one)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        head = escape_text(text[:limit]).replace("\n", "\\n")
        return f"'{head}...' ({len(text):,} characters)"
    body = escape_text(text).replace("\n", "\\n").replace("\t", "\\t")
    return f"'{body}'" if isinstance(value, str) else body
