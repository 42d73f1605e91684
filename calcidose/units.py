"""The unit boundary: the one pint registry, the whitelist of spellings, UCUM out, ISMP text out.

Everything that reads a unit string lives here; nothing above this module parses units.

* **Input** (:func:`parse`): a user quantity, either a string such as ``"154 lb"`` or a pint
  quantity, for one *kind* of field (``weight``, ``height``, ``age``, ``amount``, ``volume``,
  ``scr``, ``crcl``). The spelling must be on that kind's whitelist (:data:`ACCEPTED`); the value
  must be a plain decimal number (no sign, no exponent, no thousands separator, leading zero
  required), finite and positive. The result is a float in the kind's *canonical unit*
  (:data:`CANONICAL`), converted with exact factors (1 lb = 0.45359237 kg).
* **Tables and JSON** use UCUM codes (:data:`UCUM`): each code has a dimension and a factor to the
  canonical unit of that dimension.
* **Text for people** (:func:`format_quantity`) follows ISMP: leading zero, no trailing zero,
  ``mcg`` never ``ug``/``µg``, ``units`` never ``U``, thousands separators, Decimal half-up.

pint itself is imported lazily (on first use of :data:`ureg` or a pint quantity), so importing
calcidose and ``calcidose --help`` stay fast.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final, Literal

from .errors import QuantityError, QuantityTypeError, UnitError
from .safeio import shown

if TYPE_CHECKING:
    import pint

__all__ = [
    "ACCEPTED",
    "CANONICAL",
    "CREATININE_MG_DL_PER_UMOL_L",
    "LB_KG",
    "UCUM",
    "Kind",
    "UcumUnit",
    "format_amount",
    "format_number",
    "format_quantity",
    "get_registry",
    "is_quantity",
    "parse",
    "to_quantity",
    "ucum",
    "ucum_display",
]

#: Exact: the international avoirdupois pound (1959).
LB_KG: Final = 0.45359237
#: Serum creatinine: 1 mg/dL = 88.4 umol/L (molar mass 113.12 g/mol), the factor labs use.
CREATININE_MG_DL_PER_UMOL_L: Final = 1 / 88.4
_DAYS_PER_YEAR: Final = 365.25  # Julian year, as pint and UCUM (`a`) define it

Kind = Literal["weight", "height", "age", "amount", "volume", "scr", "crcl"]

#: Canonical unit of each input kind, as a UCUM code.
CANONICAL: Final[dict[str, str]] = {
    "weight": "kg",
    "height": "cm",
    "age": "a",
    "amount": "mg",
    "volume": "mL",
    "scr": "mg/dL",
    "crcl": "mL/min",
}

#: The whitelist: for each input kind, each accepted spelling and its factor to the canonical
#: unit. Case matters (``Mg`` is a megagram, ``MG`` is not a unit); nothing else is accepted.
ACCEPTED: Final[dict[str, dict[str, float]]] = {
    "weight": {
        "kg": 1.0,
        "g": 0.001,
        "lb": LB_KG,
        "lbs": LB_KG,
        "oz": LB_KG / 16,
    },
    "height": {"cm": 1.0, "m": 100.0, "in": 2.54, "ft": 30.48},
    "age": {
        **dict.fromkeys(("y", "yr", "yrs", "year", "years", "a"), 1.0),
        **dict.fromkeys(("mo", "month", "months"), 1 / 12),
        **dict.fromkeys(("wk", "week", "weeks"), 7 / _DAYS_PER_YEAR),
        **dict.fromkeys(("d", "day", "days"), 1 / _DAYS_PER_YEAR),
    },
    "amount": {"g": 1000.0, "mg": 1.0, "mcg": 0.001, "ug": 0.001},
    "volume": {"mL": 1.0, "ml": 1.0},
    "scr": {
        "mg/dL": 1.0,
        "mg/dl": 1.0,
        "umol/L": CREATININE_MG_DL_PER_UMOL_L,
        "umol/l": CREATININE_MG_DL_PER_UMOL_L,
        "µmol/L": CREATININE_MG_DL_PER_UMOL_L,
        "μmol/L": CREATININE_MG_DL_PER_UMOL_L,
    },
    "crcl": {"mL/min": 1.0, "ml/min": 1.0},
}

#: Names pint gives to the units of the whitelist, for pint quantities handed in by callers
#: (from :data:`calcidose.ureg` or from any other pint registry), each mapped to the spelling
#: of :data:`ACCEPTED` whose factor it takes, so every factor is written once.
_PINT_SPELLINGS: Final[dict[str, dict[str, str]]] = {
    "weight": {"kilogram": "kg", "gram": "g", "pound": "lb", "ounce": "oz"},
    "height": {"centimeter": "cm", "meter": "m", "inch": "in", "foot": "ft"},
    "age": {"year": "year", "month": "month", "week": "week", "day": "day"},
    "amount": {"gram": "g", "milligram": "mg", "microgram": "mcg"},
    "volume": {"milliliter": "mL"},
    "scr": {"milligram / deciliter": "mg/dL", "micromole / liter": "umol/L"},
    "crcl": {"milliliter / minute": "mL/min"},
}
_PINT_NAMES: Final[dict[str, dict[str, float]]] = {
    kind: {name: ACCEPTED[kind][spelling] for name, spelling in names.items()}
    for kind, names in _PINT_SPELLINGS.items()
}

_NUMBER_UNIT = re.compile(r"(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[^\s0-9.,+-][^\s]*)")


def _accepted_text(kind: str) -> str:
    return ", ".join(ACCEPTED[kind])


def _check_magnitude(value: float, kind: str, raw: object) -> float:
    if not math.isfinite(value):
        raise QuantityError(f"{kind} {shown(raw)}: the value must be a finite number")
    if value == 0 and math.copysign(1.0, value) < 0:
        # -0.0 is what a subtraction or a sign flip leaves behind, not a measured age or amount
        raise QuantityError(
            f"{kind} {shown(raw)}: a signed zero (-0) is not a value; "
            + ("write 0 for a newborn" if kind == "age" else "give the measured value")
        )
    if value < 0:
        raise QuantityError(f"{kind} {shown(raw)}: the value must not be negative")
    if value == 0 and kind != "age":
        raise QuantityError(f"{kind} {shown(raw)}: the value must be greater than zero")
    return value


def _finite(canonical: float, kind: str) -> float:
    """The converted value must still be a real number (1e306 g is 1e309 mg: infinite)."""
    if not math.isfinite(canonical):
        raise QuantityError(f"{kind}: the value is too large to be a real quantity")
    return canonical


def _parse_text(text: str, kind: str) -> float:
    stripped = text.strip()
    match = _NUMBER_UNIT.fullmatch(stripped)
    if match is None:
        hint = ""
        if re.match(r"\s*\.[0-9]", stripped):
            hint = " (write a leading zero: 0.5, not .5)"
        elif "," in stripped:
            hint = " (no thousands separators or decimal commas: write 1000 or 1.5)"
        elif re.match(r"-0+(?:\.0*)?(?![0-9.])", stripped):
            hint = " (a signed zero, -0, is not a value)"
        elif stripped.startswith("-"):
            hint = " (the value must not be negative)"
        elif re.fullmatch(r"[0-9.]+", stripped):
            hint = " (a bare number has no unit)"
        raise QuantityError(
            f"{kind} {shown(text)} is not a number followed by a unit{hint}; "
            f"accepted units: {_accepted_text(kind)}"
        )
    spelling = match.group("unit")
    factor = ACCEPTED[kind].get(spelling)
    if factor is None:
        raise UnitError(
            f"{kind} {shown(text)}: unit {shown(spelling)} is not accepted; "
            f"accepted units: {_accepted_text(kind)}"
        )
    return _finite(_check_magnitude(float(match.group("num")), kind, text) * factor, kind)


def is_quantity(value: object) -> bool:
    """True for a pint quantity of any registry (checked by shape, without importing pint)."""
    return hasattr(value, "magnitude") and hasattr(value, "units") and hasattr(value, "to")


def pint_unit_name(value: Any) -> str:
    """The quantity's unit by its structure (pint's unit names and exponents), never by its
    display text: a registry with a custom default format writes ``mg/dl`` for milligram /
    deciliter, and a quantity of another registry is read the same way."""
    try:
        items = [(str(name), exponent) for name, exponent in value.unit_items()]
    except (AttributeError, TypeError):
        return format(value.units, "D")
    above = [name for name, exponent in items if exponent == 1]
    below = [name for name, exponent in items if exponent == -1]
    if len(above) + len(below) != len(items) or not above:
        return format(value.units, "D")
    return " * ".join(above) + "".join(f" / {name}" for name in below)


def _parse_pint(value: Any, kind: str) -> float:
    unit_name = pint_unit_name(value)
    factor = _PINT_NAMES[kind].get(unit_name)
    if factor is None:
        raise UnitError(
            f"{kind} {shown(value)}: unit {shown(unit_name)} is not accepted; "
            f"accepted units: {', '.join(_PINT_NAMES[kind])}"
        )
    magnitude = value.magnitude
    if not _is_real(magnitude):
        raise QuantityTypeError(
            f"{kind} {shown(value)}: the magnitude must be a single real number, "
            f"not {type(magnitude).__name__}"
        )
    try:
        number = float(magnitude)
    except OverflowError:
        raise QuantityError(f"{kind}: the value is too large to be a real quantity") from None
    return _finite(_check_magnitude(number, kind, value) * factor, kind)


def _is_real(value: object) -> bool:
    """A single real number: int, float, Decimal, Fraction, numpy integer or floating scalar
    (registered as :class:`numbers.Real`); never a bool (numpy's bool_ is not a Real either),
    a complex number, an array or text."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real | Decimal)


def parse(value: object, kind: Kind) -> float:
    """Read a user quantity of the given kind and return its canonical magnitude.

    ``value`` is a string with a whitelisted unit (``"154 lb"``, ``"70kg"``) or a pint quantity.
    The result is in the canonical unit of ``kind`` (:data:`CANONICAL`: kg, cm, years, mg, mL,
    mg/dL, mL/min). A bare number, an unlisted spelling, a negative, zero (except an age), NaN or
    infinity raises :class:`~calcidose.errors.QuantityError` or
    :class:`~calcidose.errors.UnitError`, whose message names the accepted units.
    """
    if kind not in ACCEPTED:
        raise ValueError(f"unknown quantity kind {kind!r}")
    if isinstance(value, str):
        return _parse_text(value, kind)
    if is_quantity(value):
        return _parse_pint(value, kind)
    if _is_real(value) and not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise QuantityError(f"{kind} {shown(value)} is a bare number and not a finite one")
    if _is_real(value):
        raise QuantityError(
            f"{kind} {shown(value)} is a bare number: give it with a unit, "
            f"e.g. '{value} {next(iter(ACCEPTED[kind]))}'; accepted units: {_accepted_text(kind)}"
        )
    raise QuantityTypeError(
        f"{kind} must be a string with a unit or a pint quantity, not {type(value).__name__}"
    )


# --- UCUM units of the tables and the JSON output --------------------------------------------


class UcumUnit:
    """A UCUM code known to calcidose: its dimension, factor to canonical, and ISMP display."""

    __slots__ = ("code", "dimension", "display", "factor")

    def __init__(self, code: str, dimension: str, factor: float, display: str) -> None:
        self.code = code
        self.dimension = dimension
        self.factor = factor
        self.display = display

    def __repr__(self) -> str:
        return f"UcumUnit({self.code!r}, {self.dimension!r}, {self.factor!r})"


def _u(code: str, dimension: str, factor: float, display: str | None = None) -> UcumUnit:
    return UcumUnit(code, dimension, factor, display if display is not None else code)


#: Every UCUM code calcidose reads from tables or writes to JSON. Dimension names are calcidose's
#: own (a drug's mass per day is not a body mass per day); the canonical unit of each dimension
#: is the one with factor 1.0.
UCUM: Final[dict[str, UcumUnit]] = {
    u.code: u
    for u in (
        # drug amounts (canonical mg)
        _u("mg", "amount", 1.0),
        _u("g", "amount", 1000.0),
        _u("ug", "amount", 0.001, "mcg"),
        # drug amount per day / per week (canonical mg/d, mg/wk): never converted into each other
        _u("mg/d", "amount/day", 1.0, "mg/day"),
        _u("g/d", "amount/day", 1000.0, "g/day"),
        _u("ug/d", "amount/day", 0.001, "mcg/day"),
        _u("mg/wk", "amount/week", 1.0, "mg/week"),
        _u("g/wk", "amount/week", 1000.0, "g/week"),
        # per body weight (canonical mg/kg/d, mg/kg)
        _u("mg/kg/d", "amount/weight/day", 1.0, "mg/kg/day"),
        _u("ug/kg/d", "amount/weight/day", 0.001, "mcg/kg/day"),
        _u("mg/kg", "amount/weight", 1.0, "mg/kg"),
        _u("g/kg", "amount/weight", 1000.0, "g/kg"),
        _u("mg/kg/min", "amount/weight/minute", 1.0, "mg/kg/minute"),
        # per body surface area (canonical mg/m2)
        _u("mg/m2", "amount/area", 1.0, "mg/m2"),
        _u("g/m2", "amount/area", 1000.0, "g/m2"),
        # volumes and concentrations
        _u("mL", "volume", 1.0),
        _u("mL/cm2", "volume/skin-area", 1.0, "mL/cm2"),
        _u("mg/mL", "concentration", 1.0),
        _u("mg/g", "content", 1.0),
        # patient measures
        _u("kg", "weight", 1.0),
        _u("cm", "height", 1.0),
        _u("m2", "bsa", 1.0),
        _u("kg/m2", "bmi", 1.0, "kg/m2"),
        # time: ages and durations alike (canonical day; a = 365.25 d, mo = a/12, as UCUM)
        _u("a", "time", _DAYS_PER_YEAR, "years"),
        _u("mo", "time", _DAYS_PER_YEAR / 12, "months"),
        _u("wk", "time", 7.0, "weeks"),
        _u("d", "time", 1.0, "days"),
        _u("mg/dL", "scr", 1.0),
        _u("umol/L", "scr", CREATININE_MG_DL_PER_UMOL_L, "micromol/L"),
        _u("mL/min", "crcl", 1.0),
        _u("mL/min/{1.73_m2}", "egfr", 1.0, "mL/min/1.73 m2"),
        _u("h", "time", 1 / 24, "hours"),
        _u("min", "time", 1 / 1440, "minutes"),
    )
}


def ucum(code: str) -> UcumUnit:
    """The :class:`UcumUnit` for a UCUM code, or :class:`UnitError` naming the accepted codes."""
    unit = UCUM.get(code)
    if unit is None:
        raise UnitError(f"unit {code!r} is not accepted; accepted UCUM codes: {', '.join(UCUM)}")
    return unit


def ucum_display(code: str) -> str:
    """ISMP display text for a UCUM code (``ug`` -> ``mcg``, ``mg/d`` -> ``mg/day``)."""
    return ucum(code).display


# --- ISMP text ---------------------------------------------------------------------------------


def _places(value: Decimal) -> int:
    magnitude = abs(value)
    if magnitude >= 1:
        return 1 if magnitude < 1000 else 0
    if magnitude >= Decimal("0.1"):
        return 2
    return 3


def format_number(
    value: float | Decimal, ceiling: float | Decimal | None = None, places: int | None = None
) -> str:
    """A number as ISMP-safe text: Decimal half-up, never past ``ceiling``.

    Precision: 0 decimals from 1,000; 1 decimal from 1; 2 decimals from 0.1; 3 decimals below.
    A leading zero is always written (``0.5``), a trailing zero never (``1``, not ``1.0``), and
    thousands are separated (``12,500``). If half-up rounding would go past ``ceiling`` (a cap),
    the value is rounded down instead. ``places`` overrides the number of decimals.
    """
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if not exact.is_finite():
        return str(exact)
    digits = places if places is not None else _places(exact)
    with localcontext() as ctx:
        # enough precision for any finite float (1e308 has 309 digits), so quantize never fails
        ctx.prec = max(28, exact.adjusted() + 1 + 12)
        quantum = Decimal(1).scaleb(-digits)
        rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
        # a positive amount is never written as zero: add decimals until it shows (0.0004)
        # (no limit short of the smallest float, 5e-324: 1e-15 mg is refused elsewhere or shown)
        while rounded == 0 and exact != 0 and digits < 330:
            digits += 1
            quantum = Decimal(1).scaleb(-digits)
            rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
        if ceiling is not None:
            cap = ceiling if isinstance(ceiling, Decimal) else Decimal(repr(float(ceiling)))
            if rounded > cap >= exact:
                rounded = exact.quantize(quantum, rounding=ROUND_DOWN)
    text = f"{rounded:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_quantity(
    value: float | Decimal,
    code: str,
    ceiling: float | Decimal | None = None,
    places: int | None = None,
) -> str:
    """``value`` (in the unit ``code``) as ISMP text, e.g. ``format_quantity(0.5, "mg/d")`` is
    ``"0.5 mg/day"`` and ``format_quantity(12500, "mg")`` is ``"12,500 mg"``."""
    return f"{format_number(value, ceiling, places)} {ucum_display(code)}"


def format_amount(
    value: float | Decimal,
    code: str,
    ceiling: float | Decimal | None = None,
    places: int | None = None,
) -> str:
    """An amount in the unit it is dispensed in: from 1,000 mg on in grams (``2 g``, not
    ``2,000 mg``; ``12.5 g/day``), written to the milligram (three decimals of a gram), so no
    precision is lost; below that, and for every other unit, as :func:`format_quantity` writes
    it. ``ceiling`` (a cap in ``code``) is never passed. Every view (text, trace, findings)
    writes amounts this way; JSON keeps the exact value in ``code``."""
    numerator, slash, rest = code.partition("/")
    grams = "g" + slash + rest
    if numerator == "mg" and abs(float(value)) >= 1000 and grams in UCUM:
        cap = ceiling / 1000 if ceiling is not None else None
        return format_quantity(value / 1000, grams, cap, places=3)
    return format_quantity(value, code, ceiling, places)


# --- pint, lazily ------------------------------------------------------------------------------


@cache
def get_registry() -> pint.UnitRegistry[Any]:
    """The one pint registry of calcidose, built from ``calcidose/units.txt`` on first use."""
    import pint

    registry: pint.UnitRegistry[Any] = pint.UnitRegistry(None)
    with resources.as_file(resources.files("calcidose").joinpath("units.txt")) as path:
        registry.load_definitions(str(path))
    return registry


#: UCUM code -> pint expression understood by the registry built from units.txt.
_UCUM_TO_PINT: Final[dict[str, str]] = {
    "mg/d": "mg/d",
    "g/d": "g/d",
    "ug/d": "ug/d",
    "mg/wk": "mg/wk",
    "g/wk": "g/wk",
    "mg/kg/d": "mg/kg/d",
    "ug/kg/d": "ug/kg/d",
    "mg/m2": "mg/m**2",
    "g/m2": "g/m**2",
    "m2": "m**2",
    "mL/cm2": "mL/cm**2",
    "mL/min/{1.73_m2}": "mL/min",
}


def to_quantity(value: float, code: str) -> pint.Quantity[Any]:
    """A pint quantity of :func:`get_registry` for ``value`` in the UCUM unit ``code``.

    eGFR (mL/min/1.73 m2) is returned in mL/min: the 1.73 m2 is a normalisation, not a unit
    pint can carry; its JSON and text keep the UCUM code.
    """
    ucum(code)
    expression = _UCUM_TO_PINT.get(code, code)
    return get_registry().Quantity(value, expression)
