"""calcidose: sourced, unit-aware dose arithmetic and safety checks for calcinosis cutis.

calcidose supports, and never replaces, the judgement of a clinician and a pharmacist.

Public API (imported lazily, so ``import calcidose`` does no I/O and loads neither pint nor the
tables until they are used)::

    import calcidose
    p = calcidose.Patient(weight="154 lb", age="54 years", sex="female")
    plan = calcidose.dose("diltiazem", p)
    plan.to_dict()
"""

from __future__ import annotations

from importlib import import_module

from .errors import (
    CalcidoseError,
    FrequencyError,
    ImplausibleValueError,
    InputError,
    InputTypeError,
    MeasureError,
    OrderError,
    PatientError,
    QuantityError,
    TableError,
    UnitError,
    UnknownDrugError,
    UnknownNameError,
    UnknownRegimenError,
)

TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import Any

    import pint

    from .catalog import get_catalog, load_catalog
    from .catalog.model import Catalog
    from .engine.dosing import dose
    from .engine.options import options
    from .engine.orders import check
    from .patient import Patient
    from .results import DosePlan, Finding

__all__ = [
    "CalcidoseError",
    "Catalog",
    "DosePlan",
    "Finding",
    "FrequencyError",
    "ImplausibleValueError",
    "InputError",
    "InputTypeError",
    "MeasureError",
    "OrderError",
    "Patient",
    "PatientError",
    "QuantityError",
    "TableError",
    "UnitError",
    "UnknownDrugError",
    "UnknownNameError",
    "UnknownRegimenError",
    "__version__",
    "check",
    "dose",
    "get_catalog",
    "load_tables",
    "options",
    "ureg",
]

_LAZY: dict[str, tuple[str, str]] = {
    "Patient": ("calcidose.patient", "Patient"),
    "dose": ("calcidose.engine.dosing", "dose"),
    "DosePlan": ("calcidose.results", "DosePlan"),
    "Finding": ("calcidose.results", "Finding"),
    "Catalog": ("calcidose.catalog.model", "Catalog"),
    "get_catalog": ("calcidose.catalog", "get_catalog"),
    "load_tables": ("calcidose.catalog", "load_catalog"),
    "check": ("calcidose.engine.orders", "check"),
    "options": ("calcidose.engine.options", "options"),
}


def _version() -> str:
    """The installed distribution's version (``[project] version`` of pyproject.toml).

    Read from the package metadata, so it is written in one place only. Run from a source tree
    that was never installed there is no metadata; the version is then ``0+unknown`` (a PEP 440
    local version that says so) rather than a number that may be wrong.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("calcidose")
    except PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    if name == "ureg":
        from .units import get_registry

        return get_registry()
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'calcidose' has no attribute {name!r}")
    value = getattr(import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    __version__: str
    ureg: pint.UnitRegistry[Any]
    load_tables = load_catalog
