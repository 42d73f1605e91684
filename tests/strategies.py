"""Shared Hypothesis strategies and test catalogs for the reliability suite.

Everything here is built from the public attrs models (``calcidose.catalog.model``), so the property
and bad-input tests do not depend on the clinical tables in ``tables/`` (which change as the
tables are reviewed): the dose arithmetic is tested on catalogs whose numbers the tests chose,
and the expected values are derived by hand from those numbers.

* :func:`reference_catalog` is one fixed, valid catalog: ``refdrug`` (2 to 4 mg/kg/day, a
  480 mg/day cap, 30/60 mg tablets), ``weeklydrug`` (a per-week fixed dose) and
  ``notdosable``, with a contraindication, an interaction, a renal rule and an unknown-data rule.
* :func:`catalogs` draws valid one-drug catalogs with random ranges, caps, strengths and
  frequencies, for the invariants (caps never exceeded, rounding bounded, per-dose x frequency).
* Quantity strategies give exact decimal texts (``"154.25 lb"``), never floats printed with
  ``repr``, so that equivalences such as lb -> kg can be written exactly.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from calcidose.catalog.model import (
    Cap,
    Catalog,
    Condition,
    DoseRange,
    Drug,
    Meta,
    Population,
    Product,
    Regimen,
    Rule,
    RuleAdjustment,
    Source,
    Substance,
    SubstanceClass,
    TQuantity,
)
from calcidose.frequency import FREQUENCIES, by_id
from calcidose.patient import Patient

LB_KG = Decimal("0.45359237")  # exact, 1959 international pound
OZ_KG = LB_KG / 16

#: Exact factors to kg of the weight spellings calcidose accepts (calcidose.units.ACCEPTED).
WEIGHT_FACTORS: dict[str, Decimal] = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "lb": LB_KG,
    "lbs": LB_KG,
    "oz": OZ_KG,
}

# --- numbers as text -------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """A Decimal as the plain text calcidose accepts: no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def decimals(low: str, high: str, places: int = 3) -> st.SearchStrategy[Decimal]:
    """Finite decimals in [low, high] with at most ``places`` decimals."""
    return st.decimals(
        Decimal(low), Decimal(high), places=places, allow_nan=False, allow_infinity=False
    )


# --- patient quantities ----------------------------------------------------------------------


def weights_kg(low: str = "0.5", high: str = "499") -> st.SearchStrategy[Decimal]:
    """Body weights in kg inside calcidose's plausibility window (0.3 to 500 kg)."""
    return decimals(low, high, 3)


@st.composite
def equivalent_weights(draw: st.DrawFn) -> tuple[Decimal, list[str]]:
    """A weight in kg and several exact texts of it in different units.

    The value is drawn in a random unit (e.g. 154.25 lb) and converted exactly with Decimal
    (154.25 x 0.45359237 = 69.96662307... kg), so every text names the same mass.
    """
    unit = draw(st.sampled_from(sorted(WEIGHT_FACTORS)))
    factor = WEIGHT_FACTORS[unit]
    low = (Decimal("0.5") / factor).quantize(Decimal("0.01")) + Decimal("0.01")
    high = (Decimal("499") / factor).quantize(Decimal("0.01"))
    value = draw(decimals(str(low), str(high), 2))
    kg = value * factor
    texts = [f"{plain(value)} {unit}", f"{plain(kg)} kg", f"{plain(kg * 1000)} g"]
    if unit not in ("lb", "lbs", "oz"):
        # kg -> lb is not a finite decimal; only write lb when the draw was in lb or oz
        return kg, texts
    pounds = kg / LB_KG
    texts.append(f"{plain(pounds)} lb")
    texts.append(f"{plain(pounds * 16)} oz")
    return kg, texts


def weight_texts() -> st.SearchStrategy[str]:
    """A plausible weight as text, in any accepted unit."""
    return equivalent_weights().map(lambda kw: kw[1][0])


def heights_cm() -> st.SearchStrategy[Decimal]:
    return decimals("45", "220", 1)


def ages_years() -> st.SearchStrategy[Decimal]:
    return decimals("0", "110", 2)


def adult_ages_years() -> st.SearchStrategy[Decimal]:
    return decimals("18", "110", 2)


@st.composite
def patients(
    draw: st.DrawFn,
    *,
    weight: bool | None = None,
    age: st.SearchStrategy[Decimal] | None = None,
    conditions: Sequence[str] = (),
    medications: Sequence[str] = (),
) -> Patient:
    """Patients built with ``Patient(...)`` from texts with units.

    ``weight=True`` always gives a weight, ``False`` never, ``None`` sometimes. Conditions and
    medications are drawn as subsets of the ids given.
    """
    has_weight = draw(st.booleans()) if weight is None else weight
    kwargs: dict[str, Any] = {}
    kg: Decimal | None = None
    if has_weight:
        kg, texts = draw(equivalent_weights())
        kwargs["weight"] = texts[0]
    if draw(st.booleans()):
        cm = draw(heights_cm())
        # calcidose refuses a weight and height whose body mass index no human has (3 to 250)
        if kg is None or Decimal(4) <= kg / (cm / 100) ** 2 <= Decimal(240):
            kwargs["height"] = f"{plain(cm)} cm"
    years = draw(age if age is not None else st.one_of(st.none(), adult_ages_years()))
    if years is not None:
        kwargs["age"] = f"{plain(years)} years"
    sex = draw(st.sampled_from([None, "female", "male"]))
    kwargs["sex"] = sex
    if sex != "male":
        kwargs["pregnant"] = draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        kwargs["scr"] = f"{plain(draw(decimals('0.3', '8', 2)))} mg/dL"
    kwargs["conditions"] = (
        draw(st.lists(st.sampled_from(conditions), unique=True)) if conditions else ()
    )
    kwargs["medications"] = (
        draw(st.lists(st.sampled_from(medications), unique=True)) if medications else ()
    )
    return Patient(**kwargs)


def frequency_words() -> st.SearchStrategy[tuple[str, str]]:
    """(text a user may type, frequency id), with case and spacing variations."""
    pairs = [(word, f.id) for f in FREQUENCIES for word in f.words]

    @st.composite
    def vary(draw: st.DrawFn) -> tuple[str, str]:
        word, ident = draw(st.sampled_from(pairs))
        word = draw(st.sampled_from([word, word.upper(), word.title()]))
        gap = draw(st.sampled_from([" ", "  ", "\t"]))
        pad = draw(st.sampled_from(["", " ", "\n"]))
        return pad + gap.join(word.split(" ")) + pad, ident

    return vary()


# --- catalogs ------------------------------------------------------------------------------

SOURCES = ("ref-label", "ref-paper")


def q(value: float, unit: str) -> TQuantity:
    return TQuantity(value, unit)


def _vocabulary() -> dict[str, Any]:
    return {
        "meta": Meta("ref-1", 1, "reference catalog of the reliability tests"),
        "sources": {
            "ref-label": Source("ref-label", "label", "Reference label", "Test label.", "test"),
            "ref-paper": Source("ref-paper", "paper", "Reference paper", "Test paper.", "test"),
        },
        "conditions": {
            "ref-block": Condition("ref-block", "a contraindicating condition"),
            "ref-caution": Condition("ref-caution", "a condition needing caution"),
        },
        "classes": {
            "ref-inhibitor": SubstanceClass("ref-inhibitor", "an interacting class", "", SOURCES),
        },
        "substances": {
            "ref-interactor": Substance(
                "ref-interactor", "an interacting drug", ("ref-inhibitor",), (), SOURCES
            ),
            "ref-limiter": Substance("ref-limiter", "a drug that lowers the cap", (), (), SOURCES),
            "ref-harmless": Substance("ref-harmless", "a drug with no rule", (), (), SOURCES),
        },
    }


#: Rules of ``refdrug`` (hand-written, each with the finding it must give).
REF_RULES: tuple[Rule, ...] = (
    Rule(
        "ref-block",
        "contraindication",
        "contraindicated",
        {"condition": "ref-block"},
        "refdrug is contraindicated with ref-block.",
        "Do not give.",
        SOURCES,
    ),
    Rule(
        "ref-caution",
        "warning",
        "moderate",
        {"condition": "ref-caution"},
        "Use refdrug with care in ref-caution.",
        "Monitor.",
        SOURCES,
    ),
    Rule(
        "ref-interaction",
        "interaction",
        "major",
        {"taking_class": "ref-inhibitor"},
        "An inhibitor raises refdrug levels.",
        "Lower the dose.",
        SOURCES,
    ),
    Rule(
        "ref-limit",
        "dose-adjustment",
        "moderate",
        {"taking": "ref-limiter"},
        "ref-limiter: at most 100 mg/day of refdrug.",
        "Do not exceed 100 mg/day.",
        SOURCES,
        adjust=(RuleAdjustment("day", q(100, "mg/d"), SOURCES),),
    ),
    Rule(
        "ref-renal",
        "warning",
        "major",
        {"crcl_below": {"value": 30, "unit": "mL/min"}},
        "Severe renal impairment.",
        "Avoid.",
        SOURCES,
    ),
    Rule(
        "ref-pregnancy",
        "contraindication",
        "contraindicated",
        {"pregnant": True},
        "Not in pregnancy.",
        "Do not give in pregnancy.",
        SOURCES,
    ),
)

REF_MEDICATIONS = ("ref-interactor", "ref-limiter", "ref-harmless", "weeklydrug")
REF_CONDITIONS = ("ref-block", "ref-caution")


def reference_catalog() -> Catalog:
    """A small valid catalog whose numbers the tests know by hand.

    ``refdrug``: per-day, 2 to 4 mg/kg/day, three times daily or once daily, a 480 mg/day cap
    (label), 30 and 60 mg tablets for three times daily; adults (18 years and over).
    ``weeklydrug``: per-week, 10 to 25 mg/week fixed, once weekly, 2.5 mg tablets, cap 25 mg/wk.
    ``notdosable``: no sourced dose.
    """
    refdrug = Drug(
        "refdrug",
        "refdrug",
        "drug",
        "A reference drug for the tests.",
        SOURCES,
        synonyms=("refdrug-synonym",),
        regimens=(
            Regimen(
                "oral",
                "Oral, 2 to 4 mg/kg per day",
                "oral",
                True,
                "IV",
                "calcinosis-reports",
                SOURCES,
                population=Population("adults", min_age=q(18, "a")),
                dose=DoseRange("per-day", "weight", q(2, "mg/kg/d"), q(4, "mg/kg/d"), SOURCES),
                frequencies=("three-times-daily", "once-daily"),
                products=(
                    Product(
                        "tablet",
                        ("three-times-daily",),
                        (q(30, "mg"), q(60, "mg")),
                        sources=SOURCES,
                    ),
                ),
                caps=(Cap("label", "day", q(480, "mg/d"), SOURCES),),
            ),
        ),
        rules=REF_RULES,
    )
    weekly = Drug(
        "weeklydrug",
        "weeklydrug",
        "drug",
        "A weekly reference drug.",
        SOURCES,
        regimens=(
            Regimen(
                "weekly",
                "Oral, 10 to 25 mg once weekly",
                "oral",
                True,
                "label",
                "label",
                SOURCES,
                dose=DoseRange("per-week", "fixed", q(10, "mg/wk"), q(25, "mg/wk"), SOURCES),
                frequencies=("once-weekly",),
                products=(Product("tablet", ("once-weekly",), (q(2.5, "mg"),), sources=SOURCES),),
                caps=(Cap("label", "week", q(25, "mg/wk"), SOURCES),),
            ),
        ),
    )
    notdosable = Drug(
        "notdosable",
        "notdosable",
        "option",
        "An option with no sourced dose.",
        SOURCES,
        regimens=(
            Regimen(
                "none",
                "No sourced dose",
                "none",
                False,
                "not-graded",
                "none",
                SOURCES,
                not_dosable_reason="No source gives a dose.",
            ),
        ),
    )
    return _catalog([refdrug, weekly, notdosable])


def _catalog(drugs: Sequence[Drug], vocabulary: dict[str, Any] | None = None) -> Catalog:
    vocab = vocabulary or _vocabulary()
    aliases: dict[str, str] = {}
    for drug in drugs:
        aliases[drug.id] = drug.id
        for synonym in drug.synonyms:
            aliases[synonym] = drug.id
    for substance in vocab["substances"].values():
        aliases[substance.id] = substance.id
    return Catalog(
        meta=vocab["meta"],
        sources=vocab["sources"],
        conditions=vocab["conditions"],
        classes=vocab["classes"],
        substances=vocab["substances"],
        drugs={d.id: d for d in drugs},
        aliases=aliases,
        origin=("reference",),
    )


# --- random valid one-drug catalogs -------------------------------------------------------------

DAILY_FREQUENCIES = tuple(f.id for f in FREQUENCIES if f.period_days == 1.0)
WEEKLY_FREQUENCIES = tuple(f.id for f in FREQUENCIES if f.period_days == 7.0)

#: (basis, scale) -> (unit of low/high, unit of a cap of the same basis, cap per)
SHAPES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("per-day", "weight"): ("mg/kg/d", "mg/d", "day"),
    ("per-day", "fixed"): ("mg/d", "mg/d", "day"),
    ("per-administration", "fixed"): ("mg", "mg", "administration"),
    ("per-administration", "weight"): ("mg/kg", "mg", "administration"),
    ("per-week", "fixed"): ("mg/wk", "mg/wk", "week"),
}


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    """A valid catalog holding one dosable drug ``gen`` with a random regimen.

    Low and high are drawn as multiples of 0.5 (low <= high); a cap of the range's basis is
    present half the time (never below low, as the validator demands for a fixed scale); for
    per-day regimens a per-administration cap is sometimes added; products have 1 to 3
    strengths drawn as multiples of 0.5 mg.
    """
    basis, scale = draw(st.sampled_from(sorted(SHAPES)))
    unit, cap_unit, cap_per = SHAPES[(basis, scale)]
    top = 200 if scale == "weight" else 2000
    a = draw(st.integers(1, top * 2)) / 2
    b = draw(st.integers(1, top * 2)) / 2
    low, high = min(a, b), max(a, b)
    if basis == "per-week":
        freqs = (draw(st.sampled_from(WEEKLY_FREQUENCIES)),)
    elif basis == "per-day":
        freqs = tuple(
            draw(st.lists(st.sampled_from(DAILY_FREQUENCIES), min_size=1, max_size=3, unique=True))
        )
    else:
        freqs = tuple(
            draw(st.lists(st.sampled_from(DAILY_FREQUENCIES), min_size=0, max_size=2, unique=True))
        )
    caps: list[Cap] = []
    if draw(st.booleans()):
        floor = low if scale == "fixed" else 0.5
        cap_value = draw(st.integers(int(floor * 2), int(max(floor, high * 2) * 2) + 2)) / 2
        caps.append(Cap("label", cap_per, q(max(cap_value, floor), cap_unit), SOURCES))
    if basis == "per-day" and draw(st.booleans()):
        caps.append(
            Cap("policy", "administration", q(draw(st.integers(1, 4000)) / 2, "mg"), SOURCES)
        )
    products: list[Product] = []
    if freqs and draw(st.booleans()):
        strengths = draw(st.lists(st.integers(1, 2000), min_size=1, max_size=3, unique=True))
        products.append(
            Product(
                "tablet",
                tuple(draw(st.lists(st.sampled_from(freqs), min_size=1, unique=True))),
                tuple(q(s / 2, "mg") for s in sorted(strengths)),
                sources=SOURCES,
            )
        )
    regimen = Regimen(
        "gen",
        "generated regimen",
        "oral",
        True,
        "IV",
        "calcinosis-reports",
        SOURCES,
        dose=DoseRange(basis, scale, q(low, unit), q(high, unit), SOURCES),
        frequencies=freqs,
        products=tuple(products),
        caps=tuple(caps),
    )
    drug = Drug("gen", "gen", "drug", "A generated drug.", SOURCES, regimens=(regimen,))
    return _catalog([drug])


def count_per_period(frequency_id: str) -> int:
    """Administrations per period of a frequency (tid -> 3 per day, once weekly -> 1 per week)."""
    return by_id(frequency_id).count


def pick(items: Sequence[Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from(list(items))


@contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Turn a hang into a failure: SIGALRM raises TimeoutError after ``seconds``."""

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
