"""The one error hierarchy of calcidose.

Every error calcidose raises on purpose is a :class:`CalcidoseError`; each subclass is also
the builtin exception a caller would expect, so ``except ValueError`` keeps working::

    CalcidoseError (Exception)
    ├── InputError (ValueError)            input a caller or user gave is not acceptable
    │   ├── UnitError                      unit spelling not on the whitelist, or wrong dimension
    │   ├── QuantityError                  bare number, negative, zero, NaN/inf, malformed number
    │   │   ├── ImplausibleValueError      well-formed but outside the plausibility window
    │   │   └── QuantityTypeError (+ InputTypeError) not text with a unit nor a pint quantity
    │   ├── FrequencyError                 frequency text not recognised
    │   ├── OrderError                     a written order that cannot be read
    │   ├── PatientError                   patient data that contradicts itself or is malformed
    │   │   └── PatientTypeError (+ InputTypeError) a patient or patient field of the wrong type
    │   └── InputTypeError (TypeError)     a value of the wrong Python type (also a TypeError)
    ├── UnknownNameError (LookupError)     a drug, regimen or route id that is not in the catalog
    │   ├── UnknownDrugError
    │   └── UnknownRegimenError
    ├── MeasureError (ValueError)          a formula asked outside the domain it was published for
    └── TableError (ValueError)            tables that do not load or validate; ``problems`` lists
                                           every (file, entry, field, message) found

The CLI turns any :class:`CalcidoseError` into a one-line message and exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CalcidoseError",
    "FrequencyError",
    "ImplausibleValueError",
    "InputError",
    "InputTypeError",
    "MeasureError",
    "OrderError",
    "PatientError",
    "PatientTypeError",
    "QuantityError",
    "QuantityTypeError",
    "TableError",
    "TableProblem",
    "UnitError",
    "UnknownDrugError",
    "UnknownNameError",
    "UnknownRegimenError",
]


class CalcidoseError(Exception):
    """Base class of every error calcidose raises on purpose."""


class InputError(CalcidoseError, ValueError):
    """Input given by a caller or a user is not acceptable."""


class UnitError(InputError):
    """A unit spelling is not on the whitelist, or has the wrong dimension for the field."""


class QuantityError(InputError):
    """A quantity is malformed: bare number, not finite, not positive, or not a number."""


class ImplausibleValueError(QuantityError):
    """A well-formed quantity outside the plausibility window for its field."""


class FrequencyError(InputError):
    """A frequency text that is not in the accepted vocabulary."""


class OrderError(InputError):
    """A written order (amount, frequency, route) that cannot be read."""


class PatientError(InputError):
    """Patient data that is malformed or contradicts itself."""


class InputTypeError(InputError, TypeError):
    """A value of the wrong Python type (``None`` for a patient, a dict for a quantity): also a
    :class:`TypeError`, so ``except TypeError`` keeps working."""


class QuantityTypeError(QuantityError, InputTypeError):
    """A quantity that is neither text with a unit nor a pint quantity of a real number."""


class PatientTypeError(PatientError, InputTypeError):
    """A patient, or a patient field, of the wrong Python type."""


class UnknownNameError(CalcidoseError, LookupError):
    """A name (drug, regimen, route) that the catalog does not hold. No fuzzy matching is done."""


class UnknownDrugError(UnknownNameError):
    """A drug id or exact synonym that the catalog does not hold."""


class UnknownRegimenError(UnknownNameError):
    """A regimen id that the drug does not have."""


class MeasureError(CalcidoseError, ValueError):
    """A patient measure asked outside the domain its formula was published for."""


TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import NamedTuple

    class _Where(NamedTuple):
        file: str
        entry: str
        field: str
        message: str

else:
    from collections import namedtuple

    _Where = namedtuple("TableProblem", ("file", "entry", "field", "message"))


class TableProblem(_Where):
    """One problem found in the tables: where (file, entry, field) and what."""

    __slots__ = ()

    def __str__(self) -> str:
        where = ":".join(part for part in (self.file, self.entry, self.field) if part)
        return f"{where}: {self.message}"


class TableError(CalcidoseError, ValueError):
    """The tables did not load or validate. Nothing is loaded when this is raised."""

    def __init__(self, problems: Sequence[TableProblem]) -> None:
        self.problems: tuple[TableProblem, ...] = tuple(problems)
        count = len(self.problems)
        head = str(self.problems[0]) if self.problems else "no detail"
        more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
        super().__init__(f"{head}{more}")
