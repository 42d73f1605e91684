"""The catalog's data model: frozen attrs classes that the TOML tables are structured into.

These classes are the table format (``tables/README.md`` describes the same thing for table
authors; ``calcidose/schemas/tables.schema.json`` is its published JSON Schema). Quantities are
kept as written in the table (:class:`TQuantity`, a value and a UCUM code) and converted to
canonical magnitudes by the code that uses them, through :mod:`calcidose.units`.

A :class:`Catalog` also carries what is derived from it (the engine's compiled rules and
regimens, the name lookups): :meth:`Catalog.derived` builds each once per catalog, under a
lock, and keeps it on the catalog, so two catalogs never share it and it goes when the catalog
goes. A catalog loaded from directories knows them (:attr:`Catalog.ref`: the paths and the
content hash of what was read there); pickled, it travels as that reference and is loaded again
on the other side, where the hashes are checked (:func:`calcidose.catalog.load_ref`), so a
worker process never receives compiled state and never checks against other tables.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple, TypeVar

import attrs

__all__ = [
    "EVIDENCE_GRADES",
    "ROUTES",
    "Cap",
    "Catalog",
    "Change",
    "ChildbearingWindow",
    "Condition",
    "Course",
    "DoseRange",
    "Drug",
    "Justification",
    "Meta",
    "Overlay",
    "OverlayChange",
    "Population",
    "Product",
    "Regimen",
    "RoundingPolicy",
    "Rule",
    "RuleAdjustment",
    "Source",
    "Substance",
    "SubstanceClass",
    "TQuantity",
    "TablesRef",
]

T = TypeVar("T")

Basis = Literal["per-day", "per-administration", "per-week", "per-course", "per-session"]
Scale = Literal["weight", "bsa", "fixed"]
Route = Literal["oral", "intravenous", "topical", "intralesional", "subcutaneous", "none"]
Severity = Literal["contraindicated", "major", "moderate", "minor", "info"]
RuleKind = Literal[
    "contraindication",
    "interaction",
    "warning",
    "dose-adjustment",
    "separation",
    "monitoring",
    "indication",
]
RangeOrigin = Literal["label", "calcinosis-reports", "none"]
SourceKind = Literal["seed", "label", "paper", "guideline", "secondary", "reference", "policy"]
EntryKind = Literal["drug", "procedure", "diet", "option"]

ROUTES: tuple[str, ...] = (
    "oral",
    "intravenous",
    "topical",
    "intralesional",
    "subcutaneous",
    "none",
)
#: Evidence levels as Traineau et al. (J Am Acad Dermatol 2020) grade calcinosis treatments,
#: plus ``label`` (the number is a drug-label number only), ``animal`` and ``not-graded``.
EVIDENCE_GRADES: tuple[str, ...] = (
    "IA",
    "IB",
    "IIA",
    "IIB",
    "III",
    "IV",
    "label",
    "animal",
    "not-graded",
)


@attrs.frozen
class TQuantity:
    """A quantity as a table writes it: ``{ value = 2, unit = "mg/kg/d" }`` (UCUM code)."""

    value: float
    unit: str


@attrs.frozen
class RoundingPolicy:
    """``[rounding]`` of ``tables/meta.toml``: how far a single value may move when it is
    rounded to a practical amount (a fraction: 0.1 = 10%), and why (docs/rounding.md)."""

    tolerance: float = 0.1
    sources: tuple[str, ...] = ()
    note: str = ""


@attrs.frozen
class ChildbearingWindow:
    """``[childbearing_potential]`` of ``tables/meta.toml``: the ages (``min_age`` inclusive,
    ``max_age`` exclusive, time units) at which a female patient's pregnancy or lactation, when
    not stated, can change a result. Outside it (and for a male patient) a ``pregnant`` or
    ``lactating`` predicate is false; inside it, or with age unknown, it is unknown. A product
    decision of calcidose, tunable by an institution overlay."""

    min_age: TQuantity
    max_age: TQuantity
    sources: tuple[str, ...] = ()
    note: str = ""
    product_decision: bool = True


@attrs.frozen
class Meta:
    """``tables/meta.toml``: the version every result carries, the rounding policy, and the
    childbearing-potential window the pregnancy and lactation predicates use (None: always
    asked)."""

    tables_version: str
    schema_version: int
    description: str = ""
    rounding: RoundingPolicy = RoundingPolicy()
    childbearing_potential: ChildbearingWindow | None = None


@attrs.frozen
class Source:
    """One entry of ``tables/sources.toml``: a seed, label, paper or guideline, cited once."""

    id: str
    kind: SourceKind
    title: str
    citation: str
    checked: str
    url: str | None = None


@attrs.frozen
class Condition:
    """A patient condition id of ``tables/conditions.toml``."""

    id: str
    name: str
    description: str = ""
    sources: tuple[str, ...] = ()
    #: A renal condition: the creatinine clearance band it implies (CrCl below this, mL/min);
    #: every renal rule reads it through :mod:`calcidose.engine.renal`.
    implies_crcl_below: TQuantity | None = None
    #: False for a treatment such as haemodialysis: its band still bounds the clearance every
    #: renal rule reads, but no clearance makes the condition itself true (a clearance below
    #: 15 mL/min is not dialysis; a rule on the condition asks whether the patient is on it).
    implied_by_crcl: bool = True


@attrs.frozen
class SubstanceClass:
    """A class an interaction rule can name (e.g. ``strong-cyp3a4-inhibitor``)."""

    id: str
    name: str
    description: str = ""
    sources: tuple[str, ...] = ()


@attrs.frozen
class Substance:
    """Something a patient can be taking that is not a catalog drug (``tables/substances.toml``
    and the vocabulary of common medications, ``tables/medications.toml``).

    ``classes`` are the interaction classes the rules use; each is backed by one of the entry's
    ``sources`` that is also a source of the class (validated). A medication with no class is
    known and screens clean. ``synonyms`` (ids) and ``brands`` (as spelled on the pack) name it
    exactly, case and separators aside (:mod:`calcidose.catalog.vocabulary`)."""

    id: str
    name: str
    classes: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()


@attrs.frozen
class Population:
    """Who a regimen is for: ``min_age`` inclusive, ``max_age`` exclusive (time units)."""

    label: str = "all ages"
    min_age: TQuantity | None = None
    max_age: TQuantity | None = None


@attrs.frozen
class DoseRange:
    """The sourced range of a regimen.

    ``basis`` is what the computed dose is per (day, administration, week, course, session);
    ``scale`` is what it is multiplied by (body weight in kg, BSA in m2, or nothing). The units of
    ``low``/``high`` must agree with both, e.g. per-day + weight -> ``mg/kg/d``.
    """

    basis: Basis
    scale: Scale
    low: TQuantity
    high: TQuantity
    sources: tuple[str, ...]
    note: str = ""


@attrs.frozen
class Cap:
    """A maximum on the computed dose, with its own sources.

    ``max`` may be per kg of body weight (``mg/kg/d``, ``mg/kg``, ``g/kg``): it is multiplied by
    the patient's weight (a trace step) and, without a weight, cannot be applied (cannot-check).

    ``kind`` says where it comes from: ``label`` (a drug label), ``guideline`` (a clinical
    guideline's maximum), ``regimen`` (the calcinosis reports) or ``policy`` (a calcidose
    product decision, documented as such). ``per`` is the basis it limits; the unit of ``max``
    must agree with it (``mg/d`` for day, ``mg`` for administration, course or session,
    ``mg/wk`` for week).
    """

    kind: Literal["label", "guideline", "regimen", "policy"]
    per: Literal["day", "administration", "week", "course", "session"]
    max: TQuantity
    sources: tuple[str, ...]
    note: str = ""


@attrs.frozen
class Product:
    """A marketed form: strengths (amounts) or concentration, and the frequencies it is for.

    ``volume_step`` (mL) makes a solution (or a reconstituted powder with its
    ``concentration``) measured by volume: amounts are rounded to multiples of that volume.
    The strengths of a parenteral product are container sizes; amounts are rounded to them
    only when ``whole_vials`` is true (the regimen gives whole vials).
    """

    form: str
    frequencies: tuple[str, ...] = ()
    strengths: tuple[TQuantity, ...] = ()
    concentration: TQuantity | None = None
    sources: tuple[str, ...] = ()
    volume_step: TQuantity | None = None
    whole_vials: bool = False
    #: The product label's own maxima (``per`` day, week or administration; fixed units, not
    #: per kg): they bound the amounts shown for this product (its practical amounts too) and
    #: an order at a frequency only such products give (diltiazem immediate-release tablets:
    #: 360 mg/day, below the regimen's 480 mg/day, which the extended-release capsule allows).
    caps: tuple[Cap, ...] = ()


@attrs.frozen
class Course:
    """A course: how many administrations, over how many days, repeated how often."""

    administrations: int | None = None
    min_days: int | None = None
    max_days: int | None = None
    interval: TQuantity | None = None
    repeat_every: TQuantity | None = None
    note: str = ""


@attrs.frozen
class Regimen:
    """One way of giving a drug for calcinosis (or a reason why it cannot be dosed)."""

    id: str
    title: str
    route: Route
    dosable: bool
    evidence: str
    range_origin: RangeOrigin
    sources: tuple[str, ...]
    population: Population = Population()
    calcinosis_types: tuple[str, ...] = ()
    dose: DoseRange | None = None
    not_dosable_reason: str | None = None
    frequencies: tuple[str, ...] = ()
    products: tuple[Product, ...] = ()
    caps: tuple[Cap, ...] = ()
    course: Course | None = None
    duration: str = ""
    notes: tuple[str, ...] = ()


@attrs.frozen
class RuleAdjustment:
    """A dose limit a rule imposes when it fires (e.g. colchicine with diltiazem)."""

    per: Literal["day", "administration", "week", "course", "session"]
    max: TQuantity
    sources: tuple[str, ...]
    note: str = ""


@attrs.frozen
class Rule:
    """A contraindication, interaction or other safety rule, as data.

    ``when`` is a predicate tree (see tables/README.md): leaves such as ``{condition = ID}``,
    ``{taking = SUBSTANCE}``, ``{taking_class = CLASS}``, ``{age_below = Q}``, ``{crcl_below = Q}``,
    ``{pregnant = true}``, ``{lab = ID, equals = VALUE}``, combined with ``all``, ``any``, ``not``.
    """

    id: str
    kind: RuleKind
    severity: Severity
    when: Mapping[str, Any]
    message: str
    management: str
    sources: tuple[str, ...]
    regimens: tuple[str, ...] = ()
    adjust: tuple[RuleAdjustment, ...] = ()
    separate: TQuantity | None = None
    product_decision: bool = False


@attrs.frozen
class Drug:
    """One ``tables/drugs/<id>.toml`` file: a drug, or a non-drug option (surgery, diet, ...)."""

    id: str
    name: str
    kind: EntryKind
    summary: str
    sources: tuple[str, ...]
    synonyms: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    high_alert: bool = False
    narrow_therapeutic_index: bool = False
    indications: tuple[str, ...] = ()
    counselling: tuple[str, ...] = ()
    regimens: tuple[Regimen, ...] = ()
    rules: tuple[Rule, ...] = ()
    #: Maxima of the drug itself (a label maximum per kg, a course maximum): they bound every
    #: regimen, the computed range and the order check alike.
    caps: tuple[Cap, ...] = ()
    #: brand names (US and UK), as spelled on the pack; looked up like synonyms
    brands: tuple[str, ...] = ()

    def regimen(self, regimen_id: str) -> Regimen | None:
        """The regimen with this id, or None."""
        for regimen in self.regimens:
            if regimen.id == regimen_id:
                return regimen
        return None


@attrs.frozen
class Overlay:
    """One institution overlay an answer was computed with (issue 12 §3): its directory name,
    the ``tables_version`` its meta.toml sets (None when it sets none) and the SHA-256 of every
    file it holds (relative path and bytes, in path order), so two copies of one overlay are
    told apart from an edited one."""

    name: str
    path: str
    version: str | None
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


@attrs.frozen
class Justification:
    """One ``[[justifications]]`` entry of an overlay's ``meta.toml``: why the overlay makes a
    change that weakens safety (:mod:`calcidose.catalog.diff`). ``change`` is the change's
    target as ``calcidose tables diff`` prints it; ``sources`` are ids of sources.toml (the
    overlay's or ours), at least one."""

    change: str
    reason: str
    sources: tuple[str, ...]


@attrs.frozen
class Change:
    """One clinically meaningful difference between two catalogs (:mod:`calcidose.catalog.diff`).

    ``target``: dotted ids naming what changed (``drugs.diltiazem.regimens.oral.caps.day``);
    ``aspect``: what kind of thing it is (``cap``, ``severity``, ``rule condition``, ...);
    ``change``: added, removed, raised, lowered, widened, narrowed or changed; ``old``/``new``:
    JSON values (a quantity as ``{"value", "unit"}``; None when added or removed);
    ``weakens``: a safety bar is lowered."""

    target: str
    aspect: str
    change: str
    old: Any
    new: Any
    weakens: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "aspect": self.aspect,
            "change": self.change,
            "old": self.old,
            "new": self.new,
            "weakens": self.weakens,
        }


@attrs.frozen
class OverlayChange:
    """A change one overlay made to the tables below it, with the justification its meta.toml
    gives (None when it gives none: allowed only for a change that does not weaken)."""

    overlay: str
    change: Change
    justification: Justification | None = None

    def sources(self) -> tuple[str, ...]:
        """The justification's sources (empty without one)."""
        return self.justification.sources if self.justification is not None else ()


@attrs.frozen
class Catalog:
    """Everything the tables hold, loaded and validated as a whole."""

    meta: Meta
    sources: Mapping[str, Source]
    conditions: Mapping[str, Condition]
    classes: Mapping[str, SubstanceClass]
    substances: Mapping[str, Substance]
    drugs: Mapping[str, Drug]
    aliases: Mapping[str, str]
    origin: tuple[str, ...] = ()
    #: the ``tables_version`` of the shipped tables (an overlay's meta.toml may set its own)
    edition: str = ""
    #: the overlays applied over the shipped tables, in order
    overlays: tuple[Overlay, ...] = ()
    #: what each overlay changed relative to the tables below it, in overlay order
    changes: tuple[OverlayChange, ...] = ()
    # Not fields a caller gives (attrs.evolve makes a catalog without them): where the catalog
    # was loaded from, set by the loader, and what has been derived from it.
    _ref: TablesRef | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _derived: dict[Callable[[Catalog], Any], tuple[int, Any]] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )
    _lock: threading.RLock = attrs.field(factory=threading.RLock, init=False, eq=False, repr=False)

    @property
    def tables_version(self) -> str:
        """The version string every result carries."""
        return self.meta.tables_version

    def provenance(self) -> dict[str, Any]:
        """The tables an answer used, as every result's JSON names them (``tables``): the
        shipped edition and each overlay's name, version and content hash."""
        return {
            "edition": self.edition or self.meta.tables_version,
            "overlays": [o.to_dict() for o in self.overlays],
        }

    @property
    def ref(self) -> TablesRef | None:
        """The directories this catalog was loaded from and the content hash of each, or None
        for a catalog built in memory (or changed with ``attrs.evolve`` after loading)."""
        return self._ref

    def derived(self, build: Callable[[Catalog], T]) -> T:
        """``build(self)``, computed once for this catalog and kept with it (thread-safe: two
        threads asking at once get the same object; ``build`` may itself ask for another
        derived value). ``build`` is the key, so each module passes its own function or
        class."""
        found = self._derived.get(build)
        if found is None or found[0] != _generation:
            with self._lock:
                found = self._derived.get(build)
                if found is None or found[0] != _generation:
                    found = self._derived[build] = (_generation, build(self))
        return found[1]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled without anything derived: as its reference when it was loaded from
        directories (loaded again, hashes checked, on the other side), else by its fields."""
        if self._ref is not None:
            from . import load_ref  # the loader is the package above this module

            return (load_ref, (self._ref,))
        fields = attrs.fields(Catalog)
        return (Catalog, tuple(getattr(self, f.name) for f in fields if f.init))


#: The generation of derived values; :func:`forget_derived` starts a new one.
_generation = 0


def forget_derived() -> None:
    """Every catalog builds what it derives again on next use. For mutation testing only: its
    test processes are forked from one whose catalogs were compiled by the unmutated code."""
    global _generation
    _generation += 1


class TablesRef(NamedTuple):
    """Where a catalog comes from: its tables directories as absolute paths (the shipped
    tables first, then the overlays in order) and, for each, the content hash of the files
    read there (``sha256:...``, :func:`calcidose.catalog.tablefiles.content_hash`)."""

    directories: tuple[str, ...]
    hashes: tuple[str, ...]
