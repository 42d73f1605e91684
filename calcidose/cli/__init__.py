"""The ``calcidose`` command.

Exit codes (the overall status, :data:`calcidose.results.EXIT_CODES`): 0 ok or caution; 1 do
not give as written (contraindicated, a major finding, above a maximum or out of range); 2 bad
input (one line on stderr, never a traceback); 3 cannot check, or not dosable (not verified).
A major finding never exits 0.

Only argparse is imported at start-up: the engine, the tables and pint are imported by the
subcommand that needs them, so ``calcidose --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

__all__ = ["build_parser", "main"]


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


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
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


def _patient_options(parser: argparse.ArgumentParser) -> None:
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


def _format_option(parser: argparse.ArgumentParser, brief: bool = False) -> None:
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
        "--engine", choices=("local", "dask", "spark"), default="local",
        help="local (this process, default), dask (a LocalCluster of 2 workers, or "
        "--scheduler ADDRESS) or spark (local[2], or --master URL; needs calcidose[spark])",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://host:8786)")
    p.add_argument("--master", metavar="URL", help="a Spark master (spark://host:7077)")
    p.set_defaults(handler=_cmd_audit)


def _tables_parser(sub: Any) -> None:
    """The tables subcommand group."""
    p = sub.add_parser("tables", help="table tools")
    tsub = p.add_subparsers(dest="tables_command", required=True, parser_class=_Parser)
    v = tsub.add_parser("validate", help="validate our tables, or institution table directories")
    v.add_argument("paths", nargs="*", metavar="PATH")
    _format_option(v)
    v.set_defaults(handler=_cmd_validate)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and the tests)."""
    parser = _Parser(
        prog="calcidose",
        description="Sourced, unit-aware dose arithmetic and safety checks for the treatments "
        "of calcinosis cutis. It supports, and never replaces, clinical judgement.",
        epilog="Exit codes: 0 ok/caution, 1 do not give as written (contraindicated, a major "
        "finding, above a maximum or out of range), 2 bad input, 3 cannot check or not dosable.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("dose", help="the dose plan of a drug for a patient")
    p.add_argument("drug")
    p.add_argument("--regimen", metavar="ID")
    _patient_options(p)
    _format_option(p, brief=True)
    p.set_defaults(handler=_cmd_dose)

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
    _patient_options(p)
    _format_option(p, brief=True)
    p.set_defaults(handler=_cmd_check)

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
    _patient_options(p)
    _format_option(p)
    p.set_defaults(handler=_cmd_options)

    p = sub.add_parser("drugs", help="list the catalog")
    _format_option(p)
    p.set_defaults(handler=_cmd_drugs)

    p = sub.add_parser("show", help="a drug's monograph: regimens, caps, rules, sources")
    p.add_argument("drug")
    _format_option(p)
    p.set_defaults(handler=_cmd_show)

    p = sub.add_parser("conditions", help="the condition ids --condition accepts")
    _format_option(p)
    p.set_defaults(handler=_cmd_conditions)

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
    p.set_defaults(handler=_cmd_serve)

    _audit_parser(sub)
    _tables_parser(sub)

    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print a completion script for your shell, with the catalog's drug and "
        "condition ids. bash: 'calcidose completion bash > ~/.local/share/bash-completion/"
        "completions/calcidose'; zsh: 'calcidose completion zsh > ~/.zfunc/_calcidose' (with "
        "~/.zfunc on fpath). Needs the small shtab package (installed with calcidose).",
    )
    p.add_argument("shell", choices=("bash", "zsh"))
    p.set_defaults(handler=_cmd_completion)
    return parser


def _words_action(words: Sequence[str], name: str) -> dict[str, str]:
    """A shtab completion spec offering ``words`` (bash: a compgen function; zsh: a list)."""
    return {"bash": f"_calcidose_{name}", "zsh": f"({' '.join(words)})"}


def _cmd_completion(args: argparse.Namespace) -> int:
    """Print the completion script; drug ids and condition ids complete from the catalog."""
    from ..catalog import get_catalog
    from ..errors import CalcidoseError

    try:
        import shtab
    except ImportError:  # pragma: no cover - shtab is a dependency; a broken install says so
        raise CalcidoseError(
            "shell completion needs the shtab package: pip install shtab"
        ) from None
    catalog = get_catalog()
    drugs, conditions = sorted(catalog.drugs), sorted(catalog.conditions)
    parser = build_parser()
    for action in _all_actions(parser):
        if action.dest == "drug":
            action.complete = _words_action(drugs, "drugs")  # type: ignore[attr-defined]
        elif action.dest == "condition":
            action.complete = _words_action(conditions, "conditions")  # type: ignore[attr-defined]
        elif action.dest == "patient":
            action.complete = shtab.FILE  # type: ignore[attr-defined]
    preamble = "\n".join(
        f'_calcidose_{name}() {{ compgen -W "{" ".join(words)}" -- "$1"; }}'
        for name, words in (("drugs", drugs), ("conditions", conditions))
    )
    script = shtab.complete(
        parser, shell=args.shell, preamble=preamble if args.shell == "bash" else ""
    )
    sys.stdout.write(script if script.endswith("\n") else script + "\n")
    return 0


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every action of the parser and of its subcommands, depth first."""
    found: list[argparse.Action] = []
    for action in parser._actions:
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.extend(_all_actions(child))
    return found


def _read_patient_file(path: str) -> Any:
    from ..errors import PatientError
    from ..safeio import MAX_PATIENT_BYTES, loads_strict, read_bounded

    label = "standard input" if path == "-" else f"patient file {path}"
    data = read_bounded(path, MAX_PATIENT_BYTES, label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PatientError(f"{label} is not UTF-8 text") from None
    return loads_strict(text, label)


def _fhir_patient(path: str) -> dict[str, Any]:
    """The patient of a FHIR Bundle file as patient JSON; what was read (and its date) goes to
    stderr, one line each."""
    from ..errors import PatientError

    try:
        import fhir.resources  # noqa: F401  (the extra this option needs)
    except ImportError:
        raise PatientError(
            "--fhir needs the service extra: pip install 'calcidose[service]'"
        ) from None
    from ..io.fhir import read_bundle

    record = read_bundle(_read_patient_file(path))
    for line in record.notes():
        print(f"fhir: {line}", file=sys.stderr)
    for finding in record.findings:
        print(f"fhir: {finding.severity}: {finding.message}", file=sys.stderr)
    data: dict[str, Any] = record.patient.to_dict()
    return data


def patient_from_args(args: argparse.Namespace) -> Any:
    """A Patient from the options and ``--patient`` file (a value given twice is an error)."""
    from ..errors import PatientError
    from ..patient import Patient
    from ..safeio import shown

    data: dict[str, Any] = {}
    if args.patient and getattr(args, "fhir", None):
        raise PatientError("give the patient by --patient or by --fhir, not both")
    if getattr(args, "fhir", None):
        data = _fhir_patient(args.fhir)
    if args.patient:
        loaded = _read_patient_file(args.patient)
        if not isinstance(loaded, dict):
            raise PatientError("the patient file must hold a JSON object")
        data = dict(loaded)
    flags: dict[str, Any] = {
        "weight": args.weight,
        "height": args.height,
        "age": args.age,
        "sex": args.sex,
        "scr": args.scr,
        "crcl": args.crcl,
        "crcl_weight": args.crcl_weight,
        "pregnant": args.pregnant,
        "lactating": args.lactating,
        "conditions": args.condition or None,
        "medications": args.taking or None,
    }
    labs: dict[str, str] = {}
    for item in args.lab:
        name, sep, value = item.partition("=")
        if not sep:
            raise PatientError(f"--lab {shown(item)}: write NAME=VALUE, e.g. hbsag=negative")
        name, value = name.strip(), value.strip()
        if name in labs and labs[name] != value:
            raise PatientError(
                f"--lab {shown(name)} is given twice with different values, "
                f"{shown(labs[name])} and {shown(value)}; give it once"
            )
        labs[name] = value
    flags["labs"] = labs or None
    for key, value in flags.items():
        if value is None:
            continue
        if key in data:
            raise PatientError(
                f"{key} is given both in the patient file (or FHIR record) and as an option"
            )
        data[key] = value
    return Patient.from_dict(data)


def _cmd_dose(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..engine.dosing import dose
    from ..render import plan_text, to_json

    catalog = get_catalog()
    plan = dose(args.drug, patient_from_args(args), args.regimen, catalog=catalog)
    if args.format == "json":
        print(to_json(plan.to_dict()))
    else:
        print(plan_text(plan, catalog, brief=args.brief))
    return plan.exit_code


def _split_order(words: Sequence[str]) -> tuple[str, str]:
    """AMOUNT FREQUENCY from the words after the drug: ``90mg tid``, ``"90 mg" "three times
    daily"`` or ``90 mg three times daily``."""
    from ..errors import OrderError

    items = [w for w in words if w.strip()]
    if len(items) >= 3 and items[0].replace(".", "", 1).isdigit():
        amount, rest = f"{items[0]} {items[1]}", items[2:]
    else:
        amount, rest = items[0] if items else "", items[1:]
    if not amount or not rest:
        raise OrderError(
            "an order is DRUG AMOUNT FREQUENCY, e.g. 'calcidose check diltiazem 90mg tid'"
        )
    return amount, " ".join(rest)


def _cmd_check(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..engine.orders import check
    from ..render import order_text, to_json

    catalog = get_catalog()
    amount, frequency = _split_order(args.order)
    result = check(
        args.drug,
        amount,
        frequency,
        patient_from_args(args),
        args.regimen,
        args.route,
        catalog=catalog,
    )
    if args.format == "json":
        print(to_json(result.to_dict()))
    else:
        print(order_text(result, catalog, brief=args.brief))
    return result.exit_code


def _cmd_options(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..engine.options import options
    from ..render import to_json
    from ..render.options import options_text

    report = options(patient_from_args(args), args.calcinosis_type, catalog=get_catalog())
    if args.format == "json":
        print(to_json(report.to_dict()))
    else:
        print(options_text(report))
    return 0


def _cmd_drugs(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..render import to_json

    catalog = get_catalog()
    rows = []
    for drug in catalog.drugs.values():
        dosable = [r.id for r in drug.regimens if r.dosable]
        rows.append(
            {
                "id": drug.id,
                "name": drug.name,
                "kind": drug.kind,
                "synonyms": list(drug.synonyms),
                "dosable_regimens": dosable,
                "regimens": [r.id for r in drug.regimens],
            }
        )
    if args.format == "json":
        print(
            to_json(
                {
                    "schema": "calcidose/drugs/1",
                    "tables_version": catalog.tables_version,
                    "drugs": rows,
                }
            )
        )
    else:
        for row in rows:
            status = ", ".join(row["dosable_regimens"]) or "not dosable"
            print(f"{row['id']:<28} {row['kind']:<10} {status}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog, resolve_drug
    from ..render import to_json
    from ..render.monograph import monograph, monograph_text

    catalog = get_catalog()
    drug = resolve_drug(catalog, args.drug)
    if args.format == "json":
        print(to_json(monograph(catalog, drug)))
    else:
        print(monograph_text(catalog, drug))
    return 0


def _cmd_conditions(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..render import to_json

    catalog = get_catalog()
    if args.format == "json":
        print(
            to_json(
                {
                    "schema": "calcidose/conditions/1",
                    "conditions": [
                        {"id": c.id, "name": c.name, "description": c.description}
                        for c in catalog.conditions.values()
                    ],
                }
            )
        )
    else:
        for c in catalog.conditions.values():
            print(f"{c.id:<34} {c.name}")
    return 0


def _code_map_problems(path: str) -> list[Any]:
    """The FHIR code maps (``codes/`` of a tables directory), their ``maps_to`` checked against
    the ids of the catalog the directory gives (shipped tables merged under an overlay)."""
    from pathlib import Path

    from ..catalog import default_tables, load_catalog
    from ..io.fhir.codes import validate_code_maps

    directory = Path(path)
    shipped = Path(str(default_tables())).resolve() == directory.resolve()
    if not directory.joinpath("codes").is_dir() and not shipped:
        return []  # an institution's tables need not carry code maps
    catalog = load_catalog(use_env=False) if shipped else load_catalog(directory, use_env=False)
    known = set(catalog.conditions) | set(catalog.aliases)
    return validate_code_maps(directory.joinpath("codes"), known)


def serve_settings(args: argparse.Namespace) -> Any:
    """The service settings from ``calcidose serve`` options (an InputError when malformed)."""
    from ..errors import InputError
    from ..service.settings import Settings

    trust = {}
    for item in args.trust:
        issuer, sep, url = item.partition("=")
        if not sep or not issuer.strip() or not url.strip().startswith(("https://", "http://")):
            raise InputError(f"--trust {item!r}: write ISSUER=JWKS_URL (an http(s) URL)")
        trust[issuer.strip()] = url.strip()
    return Settings(
        host=args.host,
        port=args.port,
        trust=trust,
        no_auth=args.no_auth,
        cors=tuple(args.cors),
        public_url=args.public_url,
    )


def _cmd_serve(args: argparse.Namespace) -> int:
    from ..errors import InputError

    try:
        import uvicorn

        from ..service.app import create_app
    except ImportError:
        raise InputError(
            "calcidose serve needs the service extra: pip install 'calcidose[service]'"
        ) from None
    settings = serve_settings(args)
    if settings.no_auth:
        print(
            "calcidose serve: WARNING: --no-auth: hook calls are accepted WITHOUT authentication; "
            "use it only on a trusted machine for testing",
            file=sys.stderr,
        )
    elif not settings.trust:
        print(
            "calcidose serve: no --trust issuer: every hook call will be refused (401)",
            file=sys.stderr,
        )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from ..errors import InputError

    try:
        from ..batch.run import Progress, render_report, run_audit, total_rows
    except ImportError:
        raise InputError(
            "calcidose audit needs the batch extra: pip install 'calcidose[batch]'"
        ) from None
    progress = Progress(None if args.quiet else total_rows(args.input))
    if args.quiet:
        progress.enabled = False
    summary = run_audit(
        args.input,
        args.out,
        progress=progress,
        engine=args.engine,
        scheduler=args.scheduler,
        master=args.master,
    )
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as handle:
                handle.write(render_report(summary, os.path.basename(args.input)))
        except OSError as exc:
            raise InputError(f"{args.report}: cannot be written: {exc.strerror}") from None
    if not args.quiet:
        print(summary.text())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..catalog import default_tables, validate_directory
    from ..render import to_json

    targets = args.paths or [str(default_tables())]
    problems = []
    for path in targets:
        found = validate_directory(path)
        problems.extend(found)
        if not found:
            problems.extend(_code_map_problems(path))
    if args.format == "json":
        print(
            to_json(
                {
                    "schema": "calcidose/validation/1",
                    "valid": not problems,
                    "problems": [
                        {"file": p.file, "entry": p.entry, "field": p.field, "message": p.message}
                        for p in problems
                    ],
                }
            )
        )
    else:
        for p in problems:
            print(str(p))
        if not problems:
            print(f"valid: {', '.join(targets)}")
    return 1 if problems else 0


class _Output:
    """Standard output for the length of one command: text goes through unchanged, except
    that lone surrogates and terminal control characters are escaped (safeio.escape_text), and
    a reader that has gone (``| head -c1``, ``| grep -q``) only stops the output: the exit
    code stays the verdict's, where Python would exit 0 or 120 with a traceback."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.closed_reader = False

    def write(self, text: str) -> int:
        from ..safeio import escape_text

        if not self.closed_reader:
            try:
                self.stream.write(escape_text(text))
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.closed_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self.closed_reader = True
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


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
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
