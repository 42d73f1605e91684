"""Sources are documents a reader can find, and every fact says what it rests on (issue 11 §4).

The tables once cited an unattributed FAQ page, an unattributed review page and a generic
"secondary summaries" entry of the project's own review. Those ids are gone: each fact cites a
label, a paper with its DOI, an article by title, or an entry of its own that says plainly
that it was not verified against a primary source.
"""

from __future__ import annotations

import re

from calcidose.catalog import get_catalog

CAT = get_catalog()
GONE = ("seed-001", "seed-002", "calcidose-evidence-digest")


def _cited() -> set[str]:
    ids: set[str] = set()
    for drug in CAT.drugs.values():
        ids.update(drug.sources)
        for r in drug.regimens:
            ids.update(r.sources)
            if r.dose is not None:
                ids.update(r.dose.sources)
            for c in r.caps:
                ids.update(c.sources)
            for p in r.products:
                ids.update(p.sources)
        for rule in drug.rules:
            ids.update(rule.sources)
    for cond in CAT.conditions.values():
        ids.update(cond.sources)
    return ids


def test_the_unattributed_and_generic_sources_are_gone() -> None:
    for sid in GONE:
        assert sid not in CAT.sources
        assert sid not in _cited()


def test_every_cited_source_resolves() -> None:
    assert _cited() <= set(CAT.sources)


def test_an_unverified_fact_says_so() -> None:
    # each replacement of the generic entry names its fact and whether it was verified
    for sid in (
        "diltiazem-weight-based-dose",
        "probenecid-calcinosis-dose",
        "ceftriaxone-calcinosis-course",
        "hypotension-systolic-90",
        "topical-sts-10-percent",
        "biologic-combination-general",
        "pinch-punch-technique",
    ):
        checked = CAT.sources[sid].checked
        assert re.search(r"not (verified|re-read)", checked), sid
        assert re.search(r"\d{4}-\d{2}-\d{2}", checked), sid  # the date it was looked at


def test_the_calcinosis_doses_cite_what_they_rest_on() -> None:
    # the probenecid and ceftriaxone calcinosis doses (1.5 g/day; 2 g/day for 20 days) cite the
    # entries that say they come from secondary summaries, not a generic digest
    probenecid = CAT.drugs["probenecid"].regimens[0]
    assert probenecid.dose is not None
    assert probenecid.dose.sources == ("probenecid-calcinosis-dose",)
    ceftriaxone = next(r for r in CAT.drugs["ceftriaxone"].regimens if r.dose is not None)
    assert ceftriaxone.dose is not None
    assert "ceftriaxone-calcinosis-course" in ceftriaxone.dose.sources


def test_traineau_doi() -> None:
    # PubMed 31302187: J Am Acad Dermatol 2020;82(2):317-25, doi:10.1016/j.jaad.2019.07.006
    src = CAT.sources["traineau-2020"]
    assert "10.1016/j.jaad.2019.07.006" in src.citation
