"""Small helpers shared by the FHIR readers: validation through the R4B models, codings,
dates and UCUM units. Only this module and :mod:`.write` import fhir.resources."""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from ...errors import InputError

__all__ = [
    "LOINC",
    "RXNORM",
    "SNOMED",
    "UCUM",
    "FhirInputError",
    "codings",
    "parse_datetime",
    "ref_of",
    "ucum_to_calcidose",
    "validate",
]

LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM: Final = "http://unitsofmeasure.org"

#: UCUM codes -> the calcidose unit spelling (calcidose/units.py). UCUM definitions; anything
#: else is refused by the unit whitelist with its own message.
_UCUM_SPELLING: Final = {"[lb_av]": "lb", "[oz_av]": "oz", "[in_i]": "in", "[ft_i]": "ft"}


class FhirInputError(InputError):
    """A FHIR resource that is not valid R4 or cannot be read (becomes an OperationOutcome)."""


#: Fingerprints (canonical JSON) of resources already found valid: an EHR sends the same
#: prefetch for many calls of one patient (order-select, then order-sign). Bounded, thread-safe.
_VALID: OrderedDict[str, None] = OrderedDict()
_VALID_MAX: Final = 4096
_LOCK: Final = threading.Lock()


def validate(resource: Mapping[str, Any]) -> None:
    """Check ``resource`` against its FHIR R4B model (R4-compatible for the resources read).

    A resource identical to one validated before (same canonical JSON) is not validated again.
    """
    try:
        key = json.dumps(resource, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        key = None
    if key is not None:
        with _LOCK:
            if key in _VALID:
                _VALID.move_to_end(key)
                return
    _validate_model(resource)
    if key is not None:
        with _LOCK:
            _VALID[key] = None
            while len(_VALID) > _VALID_MAX:
                _VALID.popitem(last=False)


def _validate_model(resource: Mapping[str, Any]) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise FhirInputError("a FHIR resource needs a resourceType")
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        raise FhirInputError(f"{kind!r} is not a FHIR R4 resource type") from None
    try:
        model.model_validate(dict(resource))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        first = str(exc).splitlines()
        detail = "; ".join(line.strip() for line in first[1:3]) if len(first) > 1 else str(exc)
        raise FhirInputError(
            f"{kind}/{resource.get('id', '?')} is not valid FHIR R4: {detail}"
        ) from None


def ref_of(resource: Mapping[str, Any]) -> str:
    """``Type/id`` of a resource (``Type/?`` without an id)."""
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def codings(concept: object) -> Iterator[tuple[str, str, str]]:
    """(system, code, display) of every coding of a CodeableConcept."""
    if not isinstance(concept, Mapping):
        return
    for coding in concept.get("coding") or ():
        if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
            yield (
                str(coding.get("system", "")),
                coding["code"],
                str(coding.get("display") or concept.get("text") or ""),
            )


def parse_datetime(text: object) -> tuple[datetime, datetime] | None:
    """A FHIR date or dateTime -> (earliest, latest) instants it may mean (UTC).

    ``2024`` spans the whole year, ``2024-05`` the month, a date the day; a dateTime is exact
    (a dateTime without a zone is read as UTC).
    """
    if not isinstance(text, str) or not text:
        return None
    try:
        if len(text) == 4:
            y = int(text)
            return datetime(y, 1, 1, tzinfo=UTC), datetime(y, 12, 31, 23, 59, 59, tzinfo=UTC)
        if len(text) == 7:
            y, m = int(text[:4]), int(text[5:7])
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            last = datetime.combine(nxt, datetime.min.time(), UTC).timestamp() - 1
            return datetime(y, m, 1, tzinfo=UTC), datetime.fromtimestamp(last, UTC)
        if len(text) == 10:
            d = date.fromisoformat(text)
            start = datetime.combine(d, datetime.min.time(), UTC)
            return start, start.replace(hour=23, minute=59, second=59)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FhirInputError(f"{text!r} is not a FHIR date or dateTime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, moment


def ucum_to_calcidose(quantity: Mapping[str, Any]) -> str:
    """A FHIR Quantity -> calcidose text (``"154 lb"``), the UCUM code preferred to ``unit``.

    Refused: no value, a comparator (``<``, ``>=``: a bound is not a value), no unit.
    """
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FhirInputError("a Quantity without a numeric value")
    if quantity.get("comparator"):
        raise FhirInputError(
            f"{quantity['comparator']}{value} is a bound, not a value; calcidose does not use it"
        )
    code = quantity.get("code") if quantity.get("system") == UCUM else None
    unit = code or quantity.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise FhirInputError(f"the quantity {value} has no unit")
    return f"{_plain_number(value)} {_UCUM_SPELLING.get(unit, unit)}"


def _plain_number(value: int | float | str) -> str:
    """A FHIR decimal as calcidose text: every digit, never an exponent (``1e-05`` is
    ``0.00001``); infinity, NaN and integers too large for a float are refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and value.bit_length() > 1000:
        raise FhirInputError("the quantity is too large to be a real quantity")
    if isinstance(value, float) and not math.isfinite(value):
        raise FhirInputError(f"the quantity value {value!r} is not a finite number")
    text = format(Decimal(repr(value)), "f") if isinstance(value, float) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text
