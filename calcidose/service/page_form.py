"""The pharmacist's page: what was typed in the form, and the refusal of bad input, by field.

Every field keeps the text as it was typed (it is shown again next to its error). A value is
refused by the library itself (:class:`calcidose.Patient`, :func:`calcidose.check`, ...); this
module only finds WHICH field caused the refusal, by asking again with that field alone (a value
that is wrong by itself) or without it (values that contradict each other, e.g. a male patient
recorded as pregnant, or a weight and height whose BMI is implausible). No clinical rule lives
here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

from ..errors import CalcidoseError
from ..patient import LAB_VALUES

__all__ = [
    "FIELDS",
    "LAB_FIELDS",
    "LAB_LABELS",
    "MAX_FIELD_CHARS",
    "FormData",
    "Refusal",
    "culprits",
    "field_of",
    "fields_of",
    "patient_kwargs",
    "read_form",
]

#: The words of the categorical laboratory results a rule can test (``Patient(labs=...)``); a
#: lab the tables add later is shown by its id until it is given words here.
LAB_LABELS: Final[dict[str, str]] = {
    "hbsag": "HBsAg (hepatitis B surface antigen)",
    "anti-hbc": "Anti-HBc (hepatitis B core antibody)",
    "tb-screen": "Tuberculosis screen",
}
#: Form field name of each laboratory result.
LAB_FIELDS: Final[dict[str, str]] = {f"lab-{lab}": lab for lab in LAB_VALUES}
#: Form field name -> the label the person reads (the page shows exactly these words).
FIELDS: Final[dict[str, str]] = {
    "drug": "Drug",
    "weight": "Weight",
    "height": "Height",
    "age": "Age",
    "sex": "Sex",
    "scr": "Serum creatinine",
    "crcl": "Creatinine clearance",
    "pregnant": "Pregnant",
    "lactating": "Lactating",
    "condition": "Conditions",
    "medications": "Current medications",
    **{name: LAB_LABELS.get(lab, lab) for name, lab in LAB_FIELDS.items()},
    "amount": "Ordered amount",
    "frequency": "Frequency",
}
#: Quantities a Patient takes as text with a unit ("70 kg", "154 lb", "54 y").
QUANTITIES: Final = ("weight", "height", "age", "scr", "crcl")
#: Choices of the three-way selects: "" is "not stated" (unknown, never defaulted).
CHOICES: Final[dict[str, dict[str, Any]]] = {
    "sex": {"": None, "female": "female", "male": "male"},
    "pregnant": {"": None, "yes": True, "no": False},
    "lactating": {"": None, "yes": True, "no": False},
}
#: Longer than any real entry: a longer field is refused in words, never cut.
MAX_FIELD_CHARS: Final = 200
_MAX_ITEMS: Final = 100
_SPLIT: Final = re.compile(r"[,;\n]+")


@attrs.frozen
class Refusal:
    """Input refused: a message per field name (and ``general`` for what belongs to none)."""

    fields: Mapping[str, str]
    general: str = ""


@attrs.frozen
class FormData:
    """The form as typed: one text per field, the ticked conditions and the button pressed."""

    values: Mapping[str, str]
    conditions: tuple[str, ...]
    action: str

    @property
    def submitted(self) -> bool:
        """True when a button was pressed (or a query asked for an answer)."""
        return self.action in ("dose", "check")

    def items(self, name: str) -> list[str]:
        """The comma-, semicolon- or line-separated entries of a list field, stripped."""
        return [part.strip() for part in _SPLIT.split(self.values.get(name, "")) if part.strip()]


def read_form(pairs: Sequence[tuple[str, str]]) -> tuple[FormData, dict[str, str]]:
    """The form from its (name, value) pairs, and the fields refused for their length alone.

    Unknown names are ignored (a browser sends only the form's own fields); a field given twice
    keeps its first value, as a browser sends each text field once.
    """
    values: dict[str, str] = {}
    conditions: list[str] = []
    action = ""
    too_long: dict[str, str] = {}
    for name, raw in pairs:
        value = raw.replace("\r\n", "\n")
        if name == "action":
            action = action or value
        elif name == "condition":
            if value and value not in conditions and len(conditions) < _MAX_ITEMS:
                conditions.append(value)
        elif name in FIELDS and name not in values:
            values[name] = value
            if len(value) > MAX_FIELD_CHARS:
                too_long[name] = (
                    f"{FIELDS[name]} is {len(value):,} characters long; at most "
                    f"{MAX_FIELD_CHARS} are read. Nothing was cut: shorten it."
                )
    for name in FIELDS:
        values.setdefault(name, "")
    if not action and values["drug"]:
        action = "check" if values["amount"].strip() else "dose"
    return FormData(values, tuple(conditions), action), too_long


def patient_kwargs(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """Keyword arguments of :class:`calcidose.Patient` from the form, and choice errors.

    An empty field is left out (unknown); nothing is defaulted.
    """
    kwargs: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in QUANTITIES:
        text = form.values[name].strip()
        if text:
            kwargs[name] = text
    for name, choices in CHOICES.items():
        text = form.values[name].strip().lower()
        if text not in choices:
            allowed = ", ".join(k for k in choices if k) + " or not stated"
            errors[name] = f"{FIELDS[name]} must be {allowed}, not {form.values[name]!r}"
        elif choices[text] is not None:
            kwargs[name] = choices[text]
    labs = {}
    for name, lab in LAB_FIELDS.items():
        text = form.values[name].strip().lower()
        if text in LAB_VALUES[lab]:
            labs[lab] = text
        elif text:
            allowed = ", ".join(LAB_VALUES[lab]) + " or not stated"
            errors[name] = f"{FIELDS[name]} must be {allowed}, not {form.values[name]!r}"
    if labs:
        kwargs["labs"] = labs
    if form.conditions:
        kwargs["conditions"] = list(form.conditions)
    medications = form.items("medications")
    if len(medications) > _MAX_ITEMS:
        errors["medications"] = f"{len(medications)} medications: at most {_MAX_ITEMS} are read"
    elif medications:
        kwargs["medications"] = medications
    return kwargs, errors


def culprits(build: Callable[[dict[str, Any]], object], kwargs: Mapping[str, Any]) -> list[str]:
    """The fields whose removal lets ``build`` succeed: the inputs that contradict each other.

    ``build`` raised a :class:`CalcidoseError` with every field of ``kwargs``; each field is
    left out in turn (so left unknown) and ``build`` asked again. Fields are named in the
    order they were given; none is named when no single removal helps.
    """
    found = []
    for name in kwargs:
        rest = {k: v for k, v in kwargs.items() if k != name}
        try:
            build(rest)
        except CalcidoseError:
            continue
        found.append(name)
    return found


def field_of(name: str) -> str:
    """The form field of a Patient keyword (``conditions`` is the ``condition`` checkboxes)."""
    return "condition" if name == "conditions" else name


def fields_of(name: str) -> list[str]:
    """The form fields behind a Patient keyword (``labs`` is one select per laboratory result)."""
    return list(LAB_FIELDS) if name == "labs" else [field_of(name)]
