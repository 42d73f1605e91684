"""The patient: frozen, validated on construction, canonical magnitudes inside.

A :class:`Patient` is built from quantities with units (strings such as ``"154 lb"`` or pint
quantities); a bare number for a clinical quantity is refused. Values are converted once, here,
to canonical floats (kg, cm, years, mg/dL, mL/min) that the engine reads; the public properties
(``weight``, ``height``, ...) give them back as pint quantities. Anything not given stays
``None``: calcidose never fills in a default, and a rule that needs a missing value says it
cannot check.

Conditions and medications are ids (``tables/conditions.toml``, catalog drugs and
``tables/substances.toml``). They are taken as the list of what is known to be present; an id
the tables do not know is kept and reported by the rules as ``cannot-check``, never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from . import measures, units
from .errors import ImplausibleValueError, PatientError, PatientTypeError
from .safeio import shown

if TYPE_CHECKING:
    import pint

__all__ = ["LAB_VALUES", "PLAUSIBLE", "Patient", "Sex"]

Sex = Literal["female", "male"]

#: Plausibility windows (canonical units), shared with :mod:`calcidose.measures`: a calcidose
#: product decision to refuse likely entry errors (lb typed as kg, cm typed as m, a 10x slip),
#: not clinical limits. Weight and height together must also give a plausible BMI.
PLAUSIBLE: Final = measures.PLAUSIBLE

#: Categorical laboratory results a rule can test, with the values each may take.
LAB_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "hbsag": ("positive", "negative"),
    "anti-hbc": ("positive", "negative"),
    "tb-screen": ("positive", "negative"),
}

_FIELDS: Final = ("weight", "height", "age", "scr", "crcl")
_CANONICAL_CODE: Final = {
    "weight": "kg",
    "height": "cm",
    "age": "a",
    "scr": "mg/dL",
    "crcl": "mL/min",
}


def _measure(value: object, kind: units.Kind) -> float | None:
    if value is None:
        return None
    magnitude = units.parse(value, kind)
    low, high = PLAUSIBLE[kind]
    if not low <= magnitude <= high:
        canonical = units.format_quantity(magnitude, _CANONICAL_CODE[kind])
        raise ImplausibleValueError(
            f"{kind} {shown(value)} ({canonical}) is outside the plausible range "
            f"{units.format_number(low)} to {units.format_number(high)} "
            f"{units.ucum_display(_CANONICAL_CODE[kind])}; check the value and its unit"
        )
    return magnitude


class _QuantityText:
    """pint's display of a quantity the patient was given (``154 pound``), written the first
    time it is read, then kept: writing it costs pint more than reading the quantity, and the
    trace needs it for some doses only (the dosing weight).

    What is kept is a snapshot, the quantity's class, magnitude (a single real number, so
    immutable) and :class:`pint.Unit`: converting the caller's quantity in place afterwards
    (``q.ito("kg")``) does not change the text. The text is in the registry's display format
    of the time it is first read. A pickled patient carries the text itself."""

    __slots__ = ("_parts", "_text")

    def __init__(self, quantity: Any) -> None:
        self._parts: tuple[Any, Any, Any] = (
            type(quantity),
            quantity.magnitude,
            quantity.units,
        )
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            cls, magnitude, unit = self._parts
            self._text = str(cls(magnitude, unit))
        return self._text

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return (str, (str(self),))


def _given_text(value: object) -> str | _QuantityText:
    """The text of a value that was read: a string as it is, a pint quantity when needed."""
    return str(value) if isinstance(value, str) else _QuantityText(value)


def _flag(value: object, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise PatientError(f"{name} must be true, false or not given (unknown), not {shown(value)}")


def _ids(values: Iterable[str] | None, name: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = (values,)
    if isinstance(values, Mapping) or not isinstance(values, list | tuple | set | frozenset):
        raise PatientError(f"{name} must be a list of ids, not {type(values).__name__}")
    # a set, not a list: membership in a list made 40,000 ids take minutes (quadratic)
    result: set[str] = set()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise PatientError(f"{name} must be a list of non-empty ids, got {shown(value)}")
        result.add(value.strip())
    return tuple(sorted(result))


def _labs(values: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if values is None:
        return ()
    if not isinstance(values, Mapping):
        raise PatientError(f"labs must be an object of name: value, not {type(values).__name__}")
    result = []
    for lab, value in values.items():
        allowed = LAB_VALUES.get(lab)
        if allowed is None:
            raise PatientError(f"unknown lab {shown(lab)}; known labs: {', '.join(LAB_VALUES)}")
        if value not in allowed:
            raise PatientError(f"lab {lab} must be one of {', '.join(allowed)}, not {shown(value)}")
        result.append((lab, value))
    return tuple(sorted(result))


@attrs.frozen(init=False)
class Patient:
    """A patient, as far as calcidose knows them.

    Keyword arguments (all optional; what is not given stays unknown):

    * ``weight``, ``height``, ``age``: quantities with units (``"70 kg"``, ``"154 lb"``,
      ``"170 cm"``, ``"54 years"``, ``"18 mo"``) or pint quantities.
    * ``sex``: ``"female"`` or ``"male"``.
    * ``scr``: serum creatinine (``"1.2 mg/dL"`` or ``"106 umol/L"``); ``crcl``: a measured or
      already computed creatinine clearance (``"45 mL/min"``).
    * ``pregnant``, ``lactating``: True, False or None (not stated).
    * ``conditions``, ``medications``: ids; ``labs``: ``{"hbsag": "negative", ...}``.
    * ``crcl_weight``: the body weight Cockcroft-Gault uses, ``"total"`` (the default, also
      when not given), ``"ideal"`` (Devine) or ``"adjusted"`` (Bauer, 0.4); the weight used is
      shown in the trace (:mod:`calcidose.engine.renal`).

    Canonical magnitudes are kept in ``weight_kg``, ``height_cm``, ``age_years``,
    ``scr_mg_dl`` and ``crcl_ml_min``; ``inputs`` gives each value as it was given.
    """

    weight_kg: float | None
    height_cm: float | None
    age_years: float | None
    sex: Sex | None
    scr_mg_dl: float | None
    crcl_ml_min: float | None
    pregnant: bool | None
    lactating: bool | None
    conditions: tuple[str, ...]
    medications: tuple[str, ...]
    labs: tuple[tuple[str, str], ...]
    crcl_weight: str | None
    _given: tuple[tuple[str, str | _QuantityText], ...] = attrs.field(eq=False, repr=False)

    def __init__(
        self,
        *,
        weight: object = None,
        height: object = None,
        age: object = None,
        sex: str | None = None,
        scr: object = None,
        crcl: object = None,
        pregnant: bool | None = None,
        lactating: bool | None = None,
        conditions: Iterable[str] | None = None,
        medications: Iterable[str] | None = None,
        labs: Mapping[str, str] | None = None,
        crcl_weight: str | None = None,
    ) -> None:
        if sex is not None and sex not in ("female", "male"):
            raise PatientError(f"sex must be 'female' or 'male', not {shown(sex)}")
        checked_sex: Sex | None = "female" if sex == "female" else "male" if sex else None
        pregnant = _flag(pregnant, "pregnant")
        lactating = _flag(lactating, "lactating")
        if crcl_weight is not None and crcl_weight not in measures.WEIGHT_BASES:
            raise PatientError(
                f"crcl_weight must be one of {', '.join(measures.WEIGHT_BASES)}, "
                f"not {crcl_weight!r}"
            )
        if sex == "male" and (pregnant or lactating):
            raise PatientError("a male patient cannot be recorded as pregnant or lactating")
        given = {"weight": weight, "height": height, "age": age, "scr": scr, "crcl": crcl}
        weight_kg, height_cm = _measure(weight, "weight"), _measure(height, "height")
        if weight_kg is not None and height_cm is not None:
            measures.check_build(weight_kg, height_cm)
        age_years, scr_mg_dl = _measure(age, "age"), _measure(scr, "scr")
        crcl_ml_min = _measure(crcl, "crcl")
        # every value given has been read (a quantity of an accepted unit): its text is kept
        inputs = tuple((k, _given_text(v)) for k, v in given.items() if v is not None)
        self.__attrs_init__(
            weight_kg,
            height_cm,
            age_years,
            checked_sex,
            scr_mg_dl,
            crcl_ml_min,
            pregnant,
            lactating,
            _ids(conditions, "conditions"),
            _ids(medications, "medications"),
            _labs(labs),
            crcl_weight,
            inputs,
        )

    # --- pint views of the canonical values ----------------------------------------------------

    def _quantity(self, value: float | None, code: str) -> pint.Quantity[Any] | None:
        return None if value is None else units.to_quantity(value, code)

    @property
    def weight(self) -> pint.Quantity[Any] | None:
        """Body weight (kg), or None."""
        return self._quantity(self.weight_kg, "kg")

    @property
    def height(self) -> pint.Quantity[Any] | None:
        """Height (cm), or None."""
        return self._quantity(self.height_cm, "cm")

    @property
    def age(self) -> pint.Quantity[Any] | None:
        """Age (years), or None."""
        return self._quantity(self.age_years, "a")

    @property
    def scr(self) -> pint.Quantity[Any] | None:
        """Serum creatinine (mg/dL), or None."""
        return self._quantity(self.scr_mg_dl, "mg/dL")

    @property
    def crcl(self) -> pint.Quantity[Any] | None:
        """Creatinine clearance as given (mL/min), or None."""
        return self._quantity(self.crcl_ml_min, "mL/min")

    @property
    def inputs(self) -> tuple[tuple[str, str], ...]:
        """Each quantity given, by name, as it was given (a pint quantity as pint shows it)."""
        return tuple((key, str(text)) for key, text in self._given)

    def given(self, name: str) -> str | None:
        """The value of ``name`` exactly as it was given (for the trace), or None."""
        for key, text in self._given:
            if key == name:
                return str(text)
        return None

    def lab(self, name: str) -> str | None:
        """A categorical lab result, or None when not given."""
        for key, value in self.labs:
            if key == name:
                return value
        return None

    def is_pregnant(self) -> bool | None:
        """Pregnancy: True/False when stated or when sex is male, else None (unknown)."""
        if self.pregnant is not None:
            return self.pregnant
        return False if self.sex == "male" else None

    def is_lactating(self) -> bool | None:
        """Lactation: True/False when stated or when sex is male, else None (unknown)."""
        if self.lactating is not None:
            return self.lactating
        return False if self.sex == "male" else None

    # --- JSON -----------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Patient:
        """A patient from a JSON object (the CLI's ``--patient FILE``).

        Quantities are strings with units or ``{"value": number, "unit": "..."}``; unknown keys
        are refused (nothing is silently dropped).
        """
        if not isinstance(data, Mapping):
            raise PatientTypeError(
                f"a patient must be a JSON object (a mapping), not {type(data).__name__}"
            )
        odd = [key for key in data if not isinstance(key, str)]
        if odd:
            raise PatientTypeError(f"patient field names must be text, got {shown(odd[0])}")
        known = {
            "weight",
            "height",
            "age",
            "sex",
            "scr",
            "crcl",
            "pregnant",
            "lactating",
            "conditions",
            "medications",
            "labs",
            "crcl_weight",
        }
        extra = sorted(set(data) - known)
        if extra:
            raise PatientError(
                f"unknown patient field(s) {', '.join(extra)}; known: {', '.join(sorted(known))}"
            )
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in _FIELDS and isinstance(value, Mapping):
                value = _from_value_unit(value, key)
            kwargs[key] = value
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The patient as JSON (UCUM quantities; unknown values omitted)."""
        out: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, f"{name}_{_SUFFIX[name]}")
            if value is not None:
                out[name] = {"value": value, "unit": _CANONICAL_CODE[name]}
        for name in ("sex", "pregnant", "lactating", "crcl_weight"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.conditions:
            out["conditions"] = list(self.conditions)
        if self.medications:
            out["medications"] = list(self.medications)
        if self.labs:
            out["labs"] = dict(self.labs)
        return out


_SUFFIX: Final = {"weight": "kg", "height": "cm", "age": "years", "scr": "mg_dl", "crcl": "ml_min"}


def _from_value_unit(value: Mapping[str, Any], key: str) -> str:
    if set(value) != {"value", "unit"}:
        raise PatientError(
            f"{key} must be {{'value': number, 'unit': text}}, got {shown(dict(value))}"
        )
    number, unit = value["value"], value["unit"]
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise PatientError(f"{key} value must be a number, got {shown(number)}")
    if isinstance(number, int) and abs(number) > 10**300:
        raise PatientError(f"{key} value is too large to be a real quantity")
    if not math.isfinite(number):
        raise PatientError(f"{key} value must be finite, got {shown(number)}")
    if number == 0 and math.copysign(1.0, number) < 0:
        raise PatientError(f"{key} value -0.0: a signed zero is not a value (write 0)")
    if not isinstance(unit, str):
        raise PatientError(f"{key} unit must be text, got {shown(unit)}")
    # every digit the JSON number has, never an exponent (format(x, "f") would keep only 6)
    text = format(Decimal(repr(number)), "f") if isinstance(number, float) else str(number)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}"
