"""The patient of a command: its options, a ``--patient`` JSON file, or a ``--fhir`` Bundle."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import Any

__all__ = ["patient_from_args"]


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
