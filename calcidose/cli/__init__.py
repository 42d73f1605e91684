"""The ``calcidose`` command.

Exit codes (the overall status, :data:`calcidose.results.EXIT_CODES`): 0 ok or caution; 1 do
not give as written (contraindicated, a major finding, above a maximum or out of range); 2 bad
input (one line on stderr, never a traceback); 3 cannot check, or not dosable (not verified).
A major finding never exits 0.

Only argparse is imported at start-up: the engine, the tables and pint are imported by the
subcommand that needs them, so ``calcidose --help`` is instant. The parser is
:mod:`calcidose.cli.parser`; each command is a function of its module (``clinical``: dose,
check, options; ``tables``: drugs, show, conditions, tables validate and diff; ``serve``; ``audit``;
``completion``), found here by the name the parser gives it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from .audit import cmd_audit
from .clinical import cmd_check, cmd_dose, cmd_options
from .completion import cmd_completion
from .parser import build_parser, command_of
from .serve import cmd_serve
from .tables import cmd_conditions, cmd_diff, cmd_drugs, cmd_show, cmd_validate

TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import Any, Final

__all__ = ["HANDLERS", "build_parser", "main"]

#: The parser's ``handler`` name of each command -> the function that runs it.
HANDLERS: Final[dict[str, Callable[[argparse.Namespace], int]]] = {
    "dose": cmd_dose,
    "check": cmd_check,
    "options": cmd_options,
    "drugs": cmd_drugs,
    "show": cmd_show,
    "conditions": cmd_conditions,
    "validate": cmd_validate,
    "diff": cmd_diff,
    "serve": cmd_serve,
    "audit": cmd_audit,
    "completion": cmd_completion,
}


class _Output:
    """Standard output for the length of one command: text goes through unchanged, except
    that lone surrogates and terminal control characters are escaped (safeio.escape_text), and
    an output that cannot be written only stops the output: the exit code stays the verdict's,
    where Python would exit 0 or 120 with a traceback. That covers a reader that has gone
    (``| head -c1``, ``| grep -q``: EPIPE, silently), a closed descriptor (``>&-``: Python has
    no sys.stdout at all) and a failing device (``>/dev/full``, EIO); the last two say so once
    on stderr, since nobody asked for the output to be lost."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.closed_reader = stream is None
        self.lost: str | None = "standard output is closed" if stream is None else None

    def write(self, text: str) -> int:
        from ..safeio import escape_text

        if not self.closed_reader:
            try:
                self.stream.write(escape_text(text))
            except BrokenPipeError:
                self._reader_gone()
            except (OSError, ValueError) as exc:
                self._reader_gone(exc)
        return len(text)

    def flush(self) -> None:
        if not self.closed_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()
            except (OSError, ValueError) as exc:
                self._reader_gone(exc)

    def _reader_gone(self, error: BaseException | None = None) -> None:
        self.closed_reader = True
        if error is not None:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            self.lost = f"standard output could not be written ({reason})"
        # what is still buffered goes nowhere, also at interpreter exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code. Errors become one line on stderr and exit 2.

    The exit code is the verdict's whatever happens to standard output (a closed pipe)."""
    real = sys.stdout
    out = _Output(real)
    sys.stdout = out
    try:
        return _run(argv)
    finally:
        out.flush()
        sys.stdout = real
        if out.lost is not None:
            _warn_lost(out.lost)


def _warn_lost(why: str) -> None:
    """One line on stderr when the output was lost (not for a reader that left on purpose)."""
    try:
        print(f"calcidose: warning: {why}; the exit code is unchanged", file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # stderr is gone too: the exit code is all that is left


def _run(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only={command_of(words)})
    args = parser.parse_args(words)
    handler = HANDLERS[args.handler]
    from ..errors import CalcidoseError
    from ..safeio import escape_text

    try:
        return handler(args)
    except CalcidoseError as exc:
        message = " ".join(str(exc).split())
        if len(message) > _MAX_MESSAGE:
            message = f"{message[:_MAX_MESSAGE]}... (message shortened)"
        print(f"calcidose: error: {escape_text(message)}", file=sys.stderr)
        return 2


#: A one-line error is at most this many characters (an echoed value is shortened before).
_MAX_MESSAGE = 1000
