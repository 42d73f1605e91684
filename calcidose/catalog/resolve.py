"""A drug named as people write it (id, alias, any case and spacing) -> the catalog's drug."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputTypeError, UnknownDrugError
from .model import (
    Catalog,
    Drug,
)

if TYPE_CHECKING:
    pass


def _fold(name: str) -> str:
    """A drug name as looked up: NFKC, case folded, runs of spaces, hyphens and underscores as
    one hyphen (``"Diltiazem"``, ``"DILTIAZEM"`` and ``"sodium thiosulfate"`` find their ids)."""
    import re
    import unicodedata

    return re.sub(r"[\s_\-]+", "-", unicodedata.normalize("NFKC", name).casefold()).strip("-")


def resolve_drug(catalog: Catalog, name: str) -> Drug:
    """The catalog drug ``name`` names: an id or a synonym, exactly after case folding and
    separator normalisation (no fuzzy match). An unknown name is an UnknownDrugError with up
    to three "did you mean" suggestions (difflib), which are never applied."""
    if not isinstance(name, str):
        raise InputTypeError(f"a drug must be named by text, not {type(name).__name__}")
    target = catalog.aliases.get(name)
    if target is None:
        key = _fold(name)
        target = next((t for alias, t in catalog.aliases.items() if _fold(alias) == key), None)
    drug = catalog.drugs.get(target) if target is not None else None
    if drug is None:
        hint = ""
        if target is not None:
            hint = f" ({name!r} is a substance the rules know, not a catalog therapy)"
        else:
            hint = _did_you_mean(catalog, name)
        raise UnknownDrugError(
            f"unknown drug {name!r}{hint}; catalog drugs: {', '.join(sorted(catalog.drugs))}"
        )
    return drug


def _did_you_mean(catalog: Catalog, name: str) -> str:
    """``"; did you mean 'diltiazem'? (not applied)"``, or "" when nothing is close (difflib
    ratio 0.75 or more against the drugs' ids and synonyms; names over 80 characters get none)."""
    import difflib

    key = _fold(name)
    if not key or len(key) > 80:
        return ""
    spellings: dict[str, str] = {}
    for drug in catalog.drugs.values():
        for spelling in (drug.id, *drug.synonyms):
            spellings.setdefault(_fold(spelling), drug.id)
    close = difflib.get_close_matches(key, list(spellings), n=6, cutoff=0.75)
    ids = list(dict.fromkeys(spellings[c] for c in close))[:3]
    if not ids:
        return ""
    return f"; did you mean {' or '.join(repr(i) for i in ids)}? (not applied)"
