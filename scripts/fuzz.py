#!/usr/bin/env python3
"""Long fuzzing runs with atheris (coverage-guided libFuzzer) on calcidose's parsers and loader.

Usage (from the repository root, with the ``mutation`` extra, which installs atheris)::

    python scripts/fuzz.py quantity  --seconds 600     # calcidose.units.parse, every kind
    python scripts/fuzz.py frequency --seconds 600     # calcidose.frequency.parse_frequency
    python scripts/fuzz.py patient   --seconds 600     # Patient.from_dict(json.loads(bytes))
    python scripts/fuzz.py tables    --seconds 600   # a drug file -> validate_directory, load
    python scripts/fuzz.py all --seconds 600           # each target in turn

The contract is the one of tests/test_fuzz.py: accepted and sane, or a CalcidoseError. Any
other exception is a crash: atheris stops, prints the traceback and writes the input to
``crash-*`` in ``--artifacts DIR`` (default: the corpus directory). Every crash found becomes a
regression test in tests/test_fuzz.py (with the exact input). Exceptions already pinned there
as xfail bugs are listed in KNOWN below and do not stop the run (``--no-known`` to see them).
The corpus of each target is kept under ``--corpus`` (default: calcidose-fuzz in the system
temporary directory, one sub-directory per target) between runs, outside the checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("weight", "height", "age", "amount", "volume", "scr", "crcl")
SEEDS = {
    "quantity": [
        b"70 kg",
        b"154 lb",
        b"0.5 mg",
        b"1.2 mg/dL",
        b"106 umol/L",
        b"45 mL/min",
        b"18 mo",
        b"170 cm",
        b"500 mcg",
        b".5 kg",
        b"1,000 g",
        b"-1 y",
    ],
    "frequency": [b"tid", b"three times daily", b"q8h", b"every 4 weeks", b"qd", b"weekly"],
    "patient": [
        b'{"weight": "70 kg", "age": "54 years", "sex": "female"}',
        b'{"weight": {"value": 70, "unit": "kg"}, "conditions": ["hypotension"]}',
        b'{"labs": {"hbsag": "negative"}, "medications": ["clarithromycin"]}',
    ],
}

#: Known bugs (pinned as xfail in tests/test_fuzz.py), as (exception type name, target), which
#: do not stop a run; remove an entry when its bug is fixed.
KNOWN: set[tuple[str, str]] = set()  # no known bug: every crash found is fixed


class InfiniteResult(AssertionError):
    """An accepted quantity whose canonical value is not finite."""


_seen_known: dict[str, int] = {}


def _known(exc: BaseException, target: str, allow_known: bool) -> bool:
    name = type(exc).__name__
    if allow_known and (name, target) in KNOWN:
        _seen_known[name] = _seen_known.get(name, 0) + 1
        return True
    return False


def make_quantity(allow_known: bool) -> Callable[[bytes], None]:
    from calcidose import units
    from calcidose.errors import CalcidoseError
    from calcidose.patient import Patient

    def one(data: bytes) -> None:
        if not data:
            return
        kind = KINDS[data[0] % len(KINDS)]
        text = data[1:].decode("utf-8", errors="replace")
        try:
            value = units.parse(text, kind)  # type: ignore[arg-type]
            if not math.isfinite(value):
                raise InfiniteResult((kind, text, value))
            assert value > 0 or kind == "age", (text, value)
            if kind in ("weight", "height", "age", "scr", "crcl"):
                Patient(**{kind: text})
        except CalcidoseError:
            pass
        except Exception as exc:
            if not _known(exc, "quantity", allow_known):
                raise

    return one


def make_frequency(allow_known: bool) -> Callable[[bytes], None]:
    from calcidose.errors import CalcidoseError
    from calcidose.frequency import parse_frequency

    def one(data: bytes) -> None:
        with contextlib.suppress(CalcidoseError):
            parse_frequency(data.decode("utf-8", errors="replace"))

    return one


def make_patient(allow_known: bool) -> Callable[[bytes], None]:
    from calcidose.errors import CalcidoseError
    from calcidose.patient import Patient

    def one(data: bytes) -> None:
        try:
            loaded = json.loads(data.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError):
            return  # the CLI's JSON reading is fuzzed through the bad-input files
        if not isinstance(loaded, dict):
            return
        try:
            Patient.from_dict(loaded)
        except CalcidoseError:
            pass
        except Exception as exc:
            if not _known(exc, "patient", allow_known):
                raise

    return one


def make_tables(allow_known: bool) -> Callable[[bytes], None]:
    from calcidose.catalog import load_catalog, validate_directory
    from calcidose.errors import CalcidoseError, TableError

    base = ROOT / "tests" / "fixtures" / "bad_tables" / "_base"
    work = Path(tempfile.mkdtemp(prefix="calcidose-atheris-"))
    shutil.copytree(base, work, dirs_exist_ok=True)
    target = work / "drugs" / "fixdrug.toml"
    SEEDS["tables"] = [(base / "drugs" / "fixdrug.toml").read_bytes()]

    def one(data: bytes) -> None:
        target.write_bytes(data)
        try:
            problems = validate_directory(work)
            assert all(p.message for p in problems)
            if not problems:
                load_catalog(work, use_env=False)
        except TableError:
            pass
        except CalcidoseError:
            pass
        except Exception as exc:
            if not _known(exc, "tables", allow_known):
                raise

    return one


TARGETS = {
    "quantity": make_quantity,
    "frequency": make_frequency,
    "patient": make_patient,
    "tables": make_tables,
}


def run(target: str, seconds: int, corpus: Path, artifacts: Path, allow_known: bool) -> None:
    import atheris

    with atheris.instrument_imports():
        pass
    one = TARGETS[target](allow_known)
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    for n, seed in enumerate(SEEDS.get(target, [])):
        path = corpus / f"seed-{n}"
        if not path.exists():
            path.write_bytes(seed)
    argv = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={seconds}",
        f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1",
        "-max_len=4096",
        "-timeout=20",
    ]
    started = time.monotonic()
    atheris.Setup(argv, one)
    try:
        atheris.Fuzz()
    finally:  # atheris exits the process at the end of the run; this prints on a crash
        print(f"[{target}] {time.monotonic() - started:.0f} s; known bugs hit: {_seen_known}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=[*TARGETS, "all"])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument(
        "--corpus", type=Path, default=Path(tempfile.gettempdir()) / "calcidose-fuzz"
    )
    parser.add_argument("--artifacts", type=Path, help="where crash files go (default: corpus)")
    parser.add_argument("--no-known", action="store_true", help="stop on known bugs too")
    args = parser.parse_args()
    targets = list(TARGETS) if args.target == "all" else [args.target]
    if len(targets) > 1:  # atheris.Fuzz() never returns: one process per target
        status = 0
        for target in targets:
            command = [
                sys.executable,
                __file__,
                target,
                "--seconds",
                str(args.seconds),
                "--corpus",
                str(args.corpus),
                "--artifacts",
                str(args.artifacts),
            ]
            if args.no_known:
                command.append("--no-known")
            status |= os.spawnv(os.P_WAIT, sys.executable, command)
        return 1 if status else 0
    artifacts = args.artifacts or args.corpus
    run(targets[0], args.seconds, args.corpus / targets[0], artifacts, not args.no_known)
    return 0


if __name__ == "__main__":
    sys.exit(main())
