"""Medication names as people write them: normalised, looked up exactly, never guessed.

A name is looked up after normalisation only: Unicode NFKC, case folded, and runs of spaces,
hyphens and underscores read as one hyphen (``"Toprol XL"``, ``"toprol-xl"`` and ``"TOPROL_XL"``
are one name). Nothing else is forgiven: a misspelling is not resolved, it is reported, with
"did you mean" suggestions (difflib) that are never applied.

The names are the ids, synonyms and brand names of the catalog's drugs and substances
(``tables/substances.toml``, ``tables/medications.toml``, ``tables/drugs/``); the loader refuses
two entries that share a normalised name.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Final

from .model import Catalog, Drug, Substance

__all__ = ["display", "lookup", "names_of", "normalise", "suggest"]

_SEPARATORS: Final = re.compile(r"[\s_\-]+")

#: Names longer than this get no suggestions (difflib is quadratic in the name's length).
_SUGGEST_MAX_LENGTH: Final = 80


def normalise(name: str) -> str:
    """The lookup key of a name: NFKC, case folded, separators as single hyphens."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub("-", text).strip("-")


def lookup(catalog: Catalog, name: str) -> str | None:
    """The drug or substance id ``name`` names exactly (after normalisation), or None."""
    aliases = catalog.aliases
    found = aliases.get(name)
    return found if found is not None else aliases.get(normalise(name))


def _spellings(catalog: Catalog) -> dict[str, str]:
    """Normalised name -> how it is shown in a suggestion (brand spelling, then the generic);
    built once per catalog (:meth:`Catalog.derived`)."""
    return catalog.derived(_build_spellings)


def _build_spellings(catalog: Catalog) -> dict[str, str]:
    found: dict[str, str] = {}
    names = names_of(catalog)
    entries: list[Drug | Substance] = [*catalog.drugs.values(), *catalog.substances.values()]
    for entry in entries:
        generic = names.get(entry.id, entry.id)
        for spelling in (entry.id, *entry.synonyms):
            found.setdefault(normalise(spelling), generic)
        for brand in entry.brands:
            found.setdefault(normalise(brand), f"{brand} ({generic})")
    return found


def _names(catalog: Catalog) -> dict[str, str]:
    names = {s.id: s.name for s in catalog.substances.values()}
    names.update({d.id: d.name for d in catalog.drugs.values()})
    return names


def suggest(catalog: Catalog, name: str, limit: int = 3) -> tuple[str, ...]:
    """Up to ``limit`` known names close to ``name`` (difflib ratio 0.75 or more), best first,
    as they would be shown (``"Biaxin (clarithromycin)"``). Never applied by calcidose."""
    key = normalise(name)
    if not key or len(key) > _SUGGEST_MAX_LENGTH:
        return ()
    spellings = _spellings(catalog)
    close = difflib.get_close_matches(key, list(spellings), n=limit * 2, cutoff=0.75)
    return tuple(dict.fromkeys(spellings[c] for c in close))[:limit]


def display(catalog: Catalog, given: str, ident: str) -> str:
    """How a medication the patient takes is named in a finding: the name as given, with the
    substance it resolved to when that is another name (``"Biaxin (clarithromycin)"``)."""
    name = names_of(catalog).get(ident, ident)
    if normalise(given) in (normalise(name), normalise(ident)):
        return name
    return f"{' '.join(given.split())} ({name})"


def names_of(catalog: Catalog) -> dict[str, str]:
    """Drug or substance id -> its name, built once per catalog (:meth:`Catalog.derived`)."""
    return catalog.derived(_names)
