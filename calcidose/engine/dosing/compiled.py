"""Each regimen compiled once per catalog: its (frequency, product) pairs with what rounding
needs (:class:`_Split`) and its caps as limits (``catalog.derived(_Regimens)``)."""

from __future__ import annotations

import math
import threading
from decimal import Decimal
from functools import reduce
from typing import Final

from ... import frequency as freq_mod
from ... import units
from ...catalog.model import Cap, Catalog, Product, Regimen
from ...results import ChangedBy
from ..limits import Limit

#: Per-kg cap units -> the unit of the cap once multiplied by the body weight.
_PER_KG_CAP: Final = {"mg/kg/d": "mg/d", "ug/kg/d": "ug/d", "mg/kg": "mg", "g/kg": "g"}


#: Routes whose product strengths are container sizes (vials), not amounts given whole.
_PARENTERAL: Final = frozenset({"intravenous", "subcutaneous", "intralesional"})


class _Split:
    """One (frequency, product) pair of a regimen, with what rounding needs precomputed.

    ``measure`` says how the product gives an amount: ``strengths`` (whole tablets, capsules or,
    when the regimen says so, whole vials), ``volume`` (a solution measured to ``volume_step``
    mL of its concentration: the step is that volume's amount), ``vials-not-rounded`` (a
    parenteral product with strengths but no measurable volume: never rounded to whole vials)
    or ``none`` (nothing to round to).
    """

    __slots__ = (
        "caps",
        "concentration",
        "form",
        "freq",
        "label",
        "measure",
        "smallest",
        "sources",
        "step",
        "strengths",
    )

    def __init__(self, freq: freq_mod.Frequency, product: Product | None, route: str) -> None:
        self.freq = freq
        self.form = product.form if product is not None else ""
        self.sources = product.sources if product is not None else ()
        self.step: float | None = None
        self.smallest = 0.0
        self.concentration: float | None = None
        self.strengths: tuple[float, ...] = ()
        self.measure = "none"
        self.label = f"round to {self.form} strengths"
        #: the product label's own maxima (:attr:`Product.caps`), canonical
        self.caps: tuple[Limit, ...] = ()
        if product is None:
            return
        self.caps = tuple(_fixed_limit(c) for c in product.caps)
        conc = product.concentration
        if product.volume_step is not None and conc is not None and conc.unit == "mg/mL":
            self.concentration = _canonical(conc.value, conc.unit)
            volume = _canonical(product.volume_step.value, product.volume_step.unit)
            self.step = self.smallest = float(
                Decimal(repr(volume)) * Decimal(repr(self.concentration))
            )
            self.measure = "volume"
            self.label = f"measure {self.form} by volume"
        elif product.strengths and (route not in _PARENTERAL or product.whole_vials):
            strengths = [_canonical(s.value, s.unit) for s in product.strengths]
            self.strengths = tuple(strengths)
            self.step = _gcd_step(strengths)
            self.smallest = min(strengths)
            self.measure = "strengths"
        elif product.strengths:
            self.measure = "vials-not-rounded"
            self.label = f"{self.form}: not rounded to whole vials"


class _Regimens:
    """The compiled regimens of one catalog, kept with it (``catalog.derived(_Regimens)``):
    each regimen's splits (per frequency and product) and its caps as limits, built once,
    under a lock. Keyed by the regimen object, which the catalog holds (so the key stays its
    own); a regimen the catalog does not hold (a caller's own) is compiled for the call only."""

    __slots__ = ("_held", "_lock", "_regimens")

    def __init__(self, catalog: Catalog) -> None:
        self._lock = threading.Lock()
        self._regimens: dict[int, tuple[list[_Split], list[Limit]]] = {}
        self._held = {id(r) for d in catalog.drugs.values() for r in d.regimens}

    def get(self, regimen: Regimen) -> tuple[list[_Split], list[Limit]]:
        key = id(regimen)
        if key not in self._held:
            return _compile_regimen(regimen)
        hit = self._regimens.get(key)
        if hit is None:
            with self._lock:
                hit = self._regimens.get(key)
                if hit is None:
                    hit = self._regimens[key] = _compile_regimen(regimen)
        return hit


def _compiled(catalog: Catalog, regimen: Regimen) -> tuple[list[_Split], list[Limit]]:
    return catalog.derived(_Regimens).get(regimen)


def _compile_regimen(regimen: Regimen) -> tuple[list[_Split], list[Limit]]:
    splits: list[_Split] = []
    for freq_id in regimen.frequencies:
        freq = freq_mod.by_id(freq_id)
        products: list[Product | None] = [
            p
            for p in regimen.products
            if freq_id in p.frequencies and (p.strengths or p.volume_step is not None)
        ] or [None]
        splits.extend(_Split(freq, product, regimen.route) for product in products)
    return splits, _limits(regimen)


def _canonical(value: float, code: str) -> float:
    return value * units.UCUM[code].factor


def _limits(regimen: Regimen) -> list[Limit]:
    """The regimen's caps in fixed amounts (per-kg caps are scaled per patient)."""
    return [_fixed_limit(cap) for cap in regimen.caps if cap.max.unit not in _PER_KG_CAP]


def _fixed_limit(cap: Cap, changed_by: ChangedBy | None = None) -> Limit:
    return Limit(
        cap.kind,
        cap.per,
        _canonical(cap.max.value, cap.max.unit),
        cap.max.unit,
        cap.sources,
        cap.note,
        changed_by,
    )


def _gcd_step(strengths: list[float]) -> float:
    """The largest amount every strength (canonical mg or mL) is a whole multiple of, taken on
    the strengths' decimal values: 0.25 and 0.5 mcg give 0.25 mcg, 2.5 and 5 mcg 2.5 mcg.
    (Whole micrograms were assumed before, so a 0.25 mcg strength gave a step of 0.)"""
    decimals = [Decimal(repr(s)) for s in strengths]
    places = max(0, *(-int(d.as_tuple().exponent) for d in decimals))
    scale: int = 10**places
    whole: int = reduce(math.gcd, (int(d.scaleb(places)) for d in decimals))
    return whole / scale
