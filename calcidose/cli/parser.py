"""The ``calcidose`` argument parser: every subcommand, its options and its help.

Only argparse is imported here; each subcommand names its handler (``handler``, a key of
:data:`calcidose.cli.HANDLERS`), so building the parser (``--help``) imports no command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Collection, Sequence

TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import Any, NoReturn

__all__ = ["build_parser", "command_of", "format_option", "patient_options"]


class _Once(argparse.Action):
    """``store`` for a single-valued option that refuses a second, different value.

    ``--weight 70kg --weight 90kg`` is an error naming both values (argparse would keep the
    last one silently); the very same value repeated (``--sex female --sex female``) is
    accepted, since it cannot change the answer."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        from ..safeio import shown

        seen: dict[str, Any] = namespace.__dict__.setdefault("_given_once", {})
        if self.dest in seen and seen[self.dest] != values:
            raise argparse.ArgumentError(
                self,
                f"given twice with different values, {shown(seen[self.dest])} and "
                f"{shown(values)}; give it once",
            )
        seen[self.dest] = values
        setattr(namespace, self.dest, values)


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size().columns`` gives it (which argparse
    asks for): ``$COLUMNS`` when it is a positive number, else the width of the terminal on
    standard output, else 80. Read here, so --help does not import shutil (and with it the
    bz2, lzma and zlib modules), which took a sixth of its time."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, given the width as argparse would compute it (two columns
    less than the terminal's), without shutil."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        # every plain single-valued option of every (sub)parser and group refuses conflicts
        self.register("action", None, _Once)
        self.register("action", "store", _Once)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"calcidose: error: {message} (see '{self.prog} --help')\n")


class _Version(argparse.Action):
    """``--version``: the installed version, read from the package metadata only when asked
    (so building the parser, and ``--help``, do not load importlib.metadata), and the edition
    of the shipped tables (``tables_version`` of their ``meta.toml``)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version"
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        from .. import __version__

        sys.stdout.write(f"calcidose {__version__} (tables {_tables_edition()})\n")
        parser.exit(0)


def _tables_edition() -> str:
    """The ``tables_version`` of the shipped tables, read from their meta.toml alone (no
    catalog load); ``unknown`` when it cannot be read, which --version says rather than fail."""
    import tomllib

    from ..catalog import default_tables
    from ..errors import CalcidoseError

    try:
        meta = tomllib.loads(default_tables().joinpath("meta.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError, CalcidoseError):
        return "unknown"
    version = meta.get("tables_version")
    return version if isinstance(version, str) else "unknown"


def patient_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("patient")
    g.add_argument("--weight", help="body weight with unit: 70kg, 154lb")
    g.add_argument("--height", help="height with unit: 170cm, 67in")
    g.add_argument("--age", help="age with unit: 54y, 18mo, 10d")
    g.add_argument("--sex", choices=("female", "male"))
    g.add_argument("--scr", help="serum creatinine: 1.2mg/dL or 106umol/L")
    g.add_argument("--crcl", help="creatinine clearance: 45mL/min")
    g.add_argument(
        "--crcl-weight",
        choices=("total", "ideal", "adjusted"),
        help="body weight for Cockcroft-Gault (default: total; adjusted = Bauer, 0.4)",
    )
    preg = g.add_mutually_exclusive_group()
    preg.add_argument("--pregnant", dest="pregnant", action="store_true", default=None)
    preg.add_argument("--not-pregnant", dest="pregnant", action="store_false")
    lact = g.add_mutually_exclusive_group()
    lact.add_argument("--lactating", dest="lactating", action="store_true", default=None)
    lact.add_argument("--not-lactating", dest="lactating", action="store_false")
    g.add_argument(
        "--condition",
        action="append",
        default=[],
        metavar="ID",
        help="a condition id (repeatable; see 'calcidose conditions')",
    )
    g.add_argument(
        "--taking",
        action="append",
        default=[],
        metavar="DRUG",
        help="a current medication (repeatable)",
    )
    g.add_argument(
        "--lab",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a categorical lab result, e.g. hbsag=negative (repeatable)",
    )
    g.add_argument("--patient", metavar="FILE", help="patient JSON file, or - for stdin")
    g.add_argument(
        "--fhir",
        metavar="FILE",
        help="a FHIR R4 Bundle (JSON) as the patient source, or - for stdin "
        "(needs calcidose[service]; see docs/fhir.md)",
    )


def format_option(parser: argparse.ArgumentParser, brief: bool = False) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")
    if brief:
        parser.add_argument(
            "--brief",
            action="store_true",
            help="text in about 12 lines: headline, range, practical amounts, findings "
            "(the full calculation is the default)",
        )


def _audit_parser(sub: Any) -> None:
    """The audit subcommand (calcidose.batch)."""
    p = sub.add_parser(
        "audit",
        help="audit a table of orders (Parquet or CSV); needs calcidose[batch]",
        description="Check every order of INPUT (Parquet or CSV, the orders table of "
        "docs/batch.md) exactly as 'calcidose check' would and write one audit row per order, "
        "in input order, to OUTPUT (.parquet or .csv). Prints the counts per drug and verdict. "
        "Exit 0 when the audit is written (whatever the verdicts), 2 for a bad file.",
    )
    p.add_argument("input", metavar="INPUT")
    p.add_argument("-o", "--out", required=True, metavar="OUTPUT")
    p.add_argument("--report", metavar="REPORT.html", help="also write an HTML report")
    p.add_argument("--quiet", action="store_true", help="no summary and no progress bar")
    p.add_argument(
        "--engine",
        choices=("local", "dask", "spark"),
        default="local",
        help="local (this process, default), dask (a LocalCluster of 2 workers, or "
        "--scheduler ADDRESS) or spark (local[2], or --master URL; needs calcidose[spark])",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://host:8786)")
    p.add_argument("--master", metavar="URL", help="a Spark master (spark://host:7077)")
    p.set_defaults(handler="audit")


def _tables_parser(sub: Any) -> None:
    """The tables subcommand group."""
    p = sub.add_parser("tables", help="table tools")
    tsub = p.add_subparsers(dest="tables_command", required=True, parser_class=_Parser)
    v = tsub.add_parser("validate", help="validate our tables, or institution table directories")
    v.add_argument("paths", nargs="*", metavar="PATH")
    format_option(v)
    v.set_defaults(handler="validate")
    d = tsub.add_parser(
        "diff",
        help="the clinically meaningful changes overlays make",
        description="The clinically meaningful changes OVERLAY... make relative to BASE (a "
        "complete set of tables given first; default: the shipped tables): caps and ranges "
        "raised or lowered, regimens and rules added or removed, severities, conditions and "
        "classes changed; each says whether it weakens safety and how it is justified. "
        "CALCIDOSE_TABLES is not read. Exit codes: 0 no change, 1 changes found, 2 tables that "
        "do not load.",
    )
    d.add_argument("paths", nargs="+", metavar="[BASE] OVERLAY")
    d.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 when the tables load, changes or not (a report, e.g. in CI)",
    )
    format_option(d)
    d.set_defaults(handler="diff")


class _Listed:
    """The parser of a command that is not run: it stands in for an ``ArgumentParser`` (which
    costs more to make than the rest of ``--help``) and takes every call (``add_argument``,
    ``set_defaults``, ...) without building anything. It is never asked to parse: the command
    that is run is always built."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self


class _Outline:
    """The subcommands' action while a command that is not run is added: the command is
    listed with its help, exactly as ``calcidose --help`` shows it (its name among the
    choices, its line of help), and neither its parser nor its options are built."""

    def __init__(self, sub: Any) -> None:
        self._sub = sub

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        listed = {"help": kwargs["help"]} if "help" in kwargs else {}
        real, self._sub._parser_class = self._sub._parser_class, _Listed
        try:
            return self._sub.add_parser(name, **listed)
        finally:
            self._sub._parser_class = real


def command_of(argv: Sequence[str]) -> str:
    """The subcommand ``argv`` names: its first word that is not an option (the top level has
    no option that takes a value), or "" when there is none (``--help``, ``--version``)."""
    return next((arg for arg in argv if not arg.startswith("-")), "")


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and the tests).

    ``only``: the commands whose options are built (the one to be run); every other command
    is listed, with its help, but not built ("" builds none: ``--help``). None (the default)
    builds them all; so does a name that is not a command (an error, which lists them all)."""
    if only is not None and not set(only) - {""} <= _COMMANDS:
        only = None
    parser = _Parser(
        prog="calcidose",
        description="Sourced, unit-aware dose arithmetic and safety checks for the treatments "
        "of calcinosis cutis. It supports, and never replaces, clinical judgement.",
        epilog="Exit codes: 0 ok/caution, 1 do not give as written (contraindicated, a major "
        "finding, above a maximum or out of range), 2 bad input, 3 cannot check or not dosable.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    for names, add in _ADDERS:
        add(sub if only is None or names & set(only) else _Outline(sub))
    return parser


def _dose_parser(sub: Any) -> None:
    p = sub.add_parser("dose", help="the dose plan of a drug for a patient")
    p.add_argument("drug")
    p.add_argument("--regimen", metavar="ID")
    patient_options(p)
    format_option(p, brief=True)
    p.set_defaults(handler="dose")


def _check_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check a written order against the patient's range, the maxima and the rules",
        description="Check an order: DRUG AMOUNT FREQUENCY, e.g. "
        "'calcidose check diltiazem \"90 mg\" tid --weight 70kg --age 54y --sex male'. "
        "Exit codes: 0 within range with no major finding, 1 contraindicated, a major "
        "finding, above or below range or above a maximum, 2 bad input, 3 cannot check.",
    )
    p.add_argument("drug", metavar="DRUG")
    p.add_argument(
        "order",
        nargs="+",
        metavar="AMOUNT FREQUENCY",
        help="the amount with its unit (90mg, '12.5 g', '1 mL') then the frequency "
        "(daily, bid, tid, q8h, 'three times weekly', weekly, 'every 4 weeks')",
    )
    p.add_argument("--regimen", metavar="ID")
    p.add_argument("--route", metavar="R", help="oral, intravenous (iv), topical, intralesional")
    patient_options(p)
    format_option(p, brief=True)
    p.set_defaults(handler="check")


def _options_parser(sub: Any) -> None:
    p = sub.add_parser(
        "options",
        help="every therapy in the catalog with its status for the patient, ranked by "
        "level of evidence (Traineau et al. 2020)",
    )
    p.add_argument(
        "--type",
        dest="calcinosis_type",
        choices=("dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis"),
        help="the calcinosis type (therapies reported for it come first)",
    )
    patient_options(p)
    format_option(p)
    p.set_defaults(handler="options")


def _catalog_parsers(sub: Any) -> None:
    """drugs, show and conditions: what the catalog holds."""
    p = sub.add_parser("drugs", help="list the catalog")
    format_option(p)
    p.set_defaults(handler="drugs")

    p = sub.add_parser("show", help="a drug's monograph: regimens, caps, rules, sources")
    p.add_argument("drug")
    format_option(p)
    p.set_defaults(handler="show")

    p = sub.add_parser("conditions", help="the condition ids --condition accepts")
    format_option(p)
    p.set_defaults(handler="conditions")


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="the CDS Hooks 2.0 service (and the pharmacist's page); needs calcidose[service]",
        description="Serve CDS Hooks (order-select, order-sign) on HOST:PORT. Every hook call "
        "needs a bearer JWT of a --trust issuer, unless --no-auth (local testing only). "
        "See docs/service.md.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="ISSUER=JWKS_URL",
        help="an EHR allowed to call: its JWT issuer and the URL of its JWKS (repeatable)",
    )
    p.add_argument("--no-auth", action="store_true", help="accept calls without a token (unsafe)")
    p.add_argument("--cors", action="append", default=[], metavar="ORIGIN")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the base URL EHRs call (JWT aud); default http://HOST:PORT",
    )
    p.set_defaults(handler="serve")


def _completion_parser(sub: Any) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print a completion script for your shell, with the catalog's drug and "
        "condition ids. bash: 'calcidose completion bash > ~/.local/share/bash-completion/"
        "completions/calcidose'; zsh: 'calcidose completion zsh > ~/.zfunc/_calcidose' (with "
        "~/.zfunc on fpath). Needs the small shtab package (installed with calcidose).",
    )
    p.add_argument("shell", choices=("bash", "zsh"))
    p.set_defaults(handler="completion")


#: Each function that adds commands, with the names of the commands it adds (in order).
_ADDERS: tuple[tuple[frozenset[str], Any], ...] = (
    (frozenset({"dose"}), _dose_parser),
    (frozenset({"check"}), _check_parser),
    (frozenset({"options"}), _options_parser),
    (frozenset({"drugs", "show", "conditions"}), _catalog_parsers),
    (frozenset({"serve"}), _serve_parser),
    (frozenset({"audit"}), _audit_parser),
    (frozenset({"tables"}), _tables_parser),
    (frozenset({"completion"}), _completion_parser),
)
_COMMANDS: frozenset[str] = frozenset().union(*(names for names, _ in _ADDERS))
