"""Sphinx extension: one page per catalog entry, written at build time from the shipped tables.

On ``builder-inited`` (before Sphinx looks for source files) the directory ``catalog/`` of the
docs is emptied and rewritten from ``calcidose.load_tables(use_env=False)``: the shipped tables
as calcidose itself loads and validates them, never an overlay of the machine that builds.
Nothing on these pages is written by hand, so a page cannot say something the tables do not.

Pages: ``catalog/index`` (every entry, the tables version), ``catalog/<id>`` (regimens with
their ranges, caps, products and courses; what is not dosable and why; the rules with severity,
condition and message; the sources with what was checked in them and the date the table was last
checked), ``catalog/sources`` and ``catalog/conditions``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT = "catalog"
_REVIEW_DATE = re.compile(r"\b(20\d\d-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)\b")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|#$~])")


def esc(text: object) -> str:
    """Text from a table, safe in Markdown: no character of it is read as markup."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def qty(q: Any) -> str:
    """A table quantity as written: its value and its UCUM code."""
    if q is None:
        return "-"
    value = q.value
    shown = str(int(value)) if float(value).is_integer() else repr(float(value))
    return f"{shown} {q.unit}"


def code(text: object) -> str:
    return f"`{text}`"


def source_links(ids: Iterable[str]) -> str:
    ids = list(ids)
    if not ids:
        return "none given"
    return ", ".join(f"{{ref}}`{i} <source-{i}>`" for i in ids)


def predicate(when: Any) -> str:
    """A rule's ``when`` tree, as words."""
    if isinstance(when, Mapping):
        if set(when) == {"all"}:
            return "all of (" + "; ".join(predicate(w) for w in when["all"]) + ")"
        if set(when) == {"any"}:
            return "any of (" + "; ".join(predicate(w) for w in when["any"]) + ")"
        if set(when) == {"not"}:
            return "not (" + predicate(when["not"]) + ")"
        parts = []
        for key, value in when.items():
            if isinstance(value, Mapping) and {"value", "unit"} <= set(value):
                shown = f"{value['value']} {value['unit']}"
            else:
                shown = str(value)
            parts.append(f"{key} = {shown}")
        return ", ".join(parts)
    return str(when)


def review_lines(table_file: Path | None) -> list[str]:
    """The leading comment block of a table file (its provenance and review notes)."""
    if table_file is None or not table_file.is_file():
        return []
    lines = []
    for line in table_file.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return lines


# A note that says, right after its heading, that the table was not checked ("Re-audit
# 2026-12-02 (issue 10 §6): not re-checked against its label in this audit").
_NOT_CHECKED = re.compile(r":\s*not\s+(?:re-?)?checked\b", re.IGNORECASE)


@dataclass(frozen=True)
class CheckNote:
    """A dated statement in a table file's comments: when something in it was checked, and what."""

    date: str
    text: str
    checked: bool  # False when the note itself says the table was not checked then


def check_notes(table_file: Path | None) -> list[CheckNote]:
    """Every dated note in the comments of a table file, in file order.

    A comment line with a date (YYYY-MM or YYYY-MM-DD) starts a note at the sentence holding the
    date; the note goes on over the following comment lines until a blank comment line, a bullet,
    a line with another date or the end of the comment. The notes are shown verbatim.
    """
    if table_file is None or not table_file.is_file():
        return []
    notes: list[CheckNote] = []
    current: list[str] | None = None
    date = ""

    def close() -> None:
        nonlocal current
        if current is not None:
            text = " ".join(" ".join(current).split()).strip("- ")
            notes.append(CheckNote(date, text, not _NOT_CHECKED.search(text)))
        current = None

    for raw in table_file.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line.startswith("#"):
            close()
            continue
        body = line.lstrip("#").strip()
        found = _REVIEW_DATE.search(body)
        if found:
            # the note starts at the clause holding the date; what precedes it on the line
            # ends the note before (a continuation line: "...; conflict reported); 2026-12-03:")
            start = max(body.rfind(". ", 0, found.start()), body.rfind("; ", 0, found.start()))
            if start >= 0 and current is not None:
                current.append(body[: start + 1])
            close()
            current = [body[start + 2 :] if start >= 0 else body]
            date = max(_REVIEW_DATE.findall(current[0]))
        elif current is not None and body and not body.startswith(("*", "-")):
            current.append(body)
        else:
            close()
    close()
    return notes


def last_checked(notes: list[CheckNote]) -> str | None:
    """The latest date of a note that does not say the table went unchecked, or None."""
    dates = [n.date for n in notes if n.checked]
    return max(dates) if dates else None


def _regimen(md: list[str], regimen: Any) -> None:
    md.append(f"### {esc(regimen.title)}\n")
    md.append(f"- id: {code(regimen.id)}")
    md.append(f"- route: {esc(regimen.route)}")
    md.append(
        f"- evidence level: **{esc(regimen.evidence)}**; range from: {esc(regimen.range_origin)}"
    )
    pop = regimen.population
    ages = []
    if pop.min_age is not None:
        ages.append(f"from {qty(pop.min_age)} (inclusive)")
    if pop.max_age is not None:
        ages.append(f"under {qty(pop.max_age)}")
    md.append(f"- population: {esc(pop.label)}" + (f" ({', '.join(ages)})" if ages else ""))
    if regimen.calcinosis_types:
        md.append(f"- calcinosis types: {esc(', '.join(regimen.calcinosis_types))}")
    if regimen.frequencies:
        md.append(f"- frequencies: {', '.join(code(f) for f in regimen.frequencies)}")
    if regimen.duration:
        md.append(f"- duration: {esc(regimen.duration)}")
    md.append(f"- sources: {source_links(regimen.sources)}")
    md.append("")
    if not regimen.dosable:
        md.append(f"**Not dosable.** {esc(regimen.not_dosable_reason or 'no reason given')}\n")
    if regimen.dose is not None:
        d = regimen.dose
        rng = qty(d.low) if qty(d.low) == qty(d.high) else f"{qty(d.low)} to {qty(d.high)}"
        md.append(
            f"**Dose:** {code(rng)} ({esc(d.basis)}, scaled by {esc(d.scale)});"
            f" sources: {source_links(d.sources)}."
        )
        if d.note:
            md.append(f"{esc(d.note)}")
        md.append("")
    _caps(md, regimen.caps, "Caps of this regimen")
    if regimen.products:
        md.append("**Products:**\n")
        for p in regimen.products:
            what = []
            if p.strengths:
                what.append("strengths " + ", ".join(code(qty(s)) for s in p.strengths))
            if p.concentration is not None:
                what.append(f"concentration {code(qty(p.concentration))}")
            if p.volume_step is not None:
                what.append(f"measured in steps of {code(qty(p.volume_step))}")
            if p.whole_vials:
                what.append("given in whole vials")
            if p.frequencies:
                what.append("for " + ", ".join(code(f) for f in p.frequencies))
            md.append(
                f"- {esc(p.form)}: {'; '.join(what) or 'no strength given'}"
                f" (sources: {source_links(p.sources)})"
            )
        md.append("")
    if regimen.course is not None:
        c = regimen.course
        what = []
        if c.administrations is not None:
            what.append(f"{c.administrations} administrations")
        if c.min_days is not None or c.max_days is not None:
            what.append(f"over {c.min_days} to {c.max_days} days")
        if c.interval is not None:
            what.append(f"{code(qty(c.interval))} apart")
        if c.repeat_every is not None:
            what.append(f"repeated every {code(qty(c.repeat_every))}")
        md.append(
            f"**Course:** {', '.join(what) or 'not specified'}."
            + (f" {esc(c.note)}" if c.note else "")
        )
        md.append("")
    for note in regimen.notes:
        md.append(f"- note: {esc(note)}")
    if regimen.notes:
        md.append("")


def _caps(md: list[str], caps: Iterable[Any], heading: str) -> None:
    caps = list(caps)
    if not caps:
        return
    md.append(f"**{heading}:**\n")
    for cap in caps:
        hard = "above-range (top of the reports)" if cap.kind == "regimen" else "hard maximum"
        line = (
            f"- {code(qty(cap.max))} per {esc(cap.per)}, kind {esc(cap.kind)} ({hard});"
            f" sources: {source_links(cap.sources)}"
        )
        if cap.note:
            line += f". {esc(cap.note)}"
        md.append(line)
    md.append("")


def _rule(md: list[str], rule: Any) -> None:
    md.append(f"### {esc(rule.id)}\n")
    md.append(
        f"- kind: {esc(rule.kind)}; severity: **{esc(rule.severity)}**"
        + ("; a calcidose product decision" if rule.product_decision else "")
    )
    md.append(f"- applies to: {', '.join(code(r) for r in rule.regimens) or 'every regimen'}")
    md.append(f"- when: {code(predicate(rule.when))}")
    md.append(f"- message: {esc(rule.message)}")
    md.append(f"- management: {esc(rule.management)}")
    for adj in rule.adjust:
        md.append(
            f"- limit when it fires: {code(qty(adj.max))} per {esc(adj.per)}"
            f" (sources: {source_links(adj.sources)})" + (f". {esc(adj.note)}" if adj.note else "")
        )
    if rule.separate is not None:
        md.append(f"- separate by at least {code(qty(rule.separate))}")
    md.append(f"- sources: {source_links(rule.sources)}")
    md.append("")


def _source(md: list[str], source: Any) -> None:
    md.append(f"(source-{source.id})=")
    md.append(f"## {esc(source.id)}\n")
    md.append(f"- kind: {esc(source.kind)}")
    md.append(f"- title: {esc(source.title)}")
    md.append(f"- citation: {esc(source.citation)}")
    if source.url:
        md.append(f"- link: <{source.url}>")
    md.append(f"- checked: {esc(source.checked)}")
    md.append("")


def drug_page(drug: Any, catalog: Any, table_file: Path | None) -> str:
    md = [f"# {esc(drug.name)}\n"]
    facts = [f"id {code(drug.id)}", f"kind {esc(drug.kind)}"]
    if drug.high_alert:
        facts.append("**ISMP high-alert medication**")
    if drug.narrow_therapeutic_index:
        facts.append("**narrow therapeutic index** (never rounded up)")
    md.append("; ".join(facts) + ".\n")
    md.append(esc(drug.summary) + "\n")
    if drug.brands:
        md.append(f"- brands: {esc(', '.join(drug.brands))}")
    if drug.synonyms:
        md.append(f"- synonyms: {esc(', '.join(drug.synonyms))}")
    if drug.classes:
        md.append(f"- interaction classes: {', '.join(code(c) for c in drug.classes)}")
    md.append(f"- sources: {source_links(drug.sources)}")
    md.append("")
    for item in drug.indications:
        md.append(f"- indication: {esc(item)}")
    for item in drug.counselling:
        md.append(f"- counselling: {esc(item)}")
    md.append("")

    lines = review_lines(table_file)
    notes = check_notes(table_file)
    md.append("## Provenance\n")
    md.append(f"- tables version: {code(catalog.tables_version)}")
    md.append(f"- table file: {code(f'tables/drugs/{drug.id}.toml')}")
    md.append(f"- last checked: {_last_checked_text(notes)}")
    md.append("")
    if lines:
        md.append("```text\n" + "\n".join(lines) + "\n```\n")
    if notes:
        md.append("### Checks recorded in the table\n")
        md.append(
            "Every dated note of the table file, verbatim: what was checked, against what, and"
            " when (the sources' own check notes are on the sources page).\n"
        )
        for note in notes:
            flag = "" if note.checked else " (says the table was not checked then)"
            md.append(f"- {esc(note.date)}{flag}: {esc(note.text)}")
        md.append("")

    _caps_list = list(drug.caps)
    if _caps_list:
        md.append("## Caps of the drug (every regimen)\n")
        _caps(md, _caps_list, "Caps")

    md.append("## Regimens\n")
    if not drug.regimens:
        md.append("No regimen.\n")
    for regimen in drug.regimens:
        _regimen(md, regimen)

    md.append("## Rules\n")
    if not drug.rules:
        md.append("No rule.\n")
    for rule in drug.rules:
        _rule(md, rule)

    cited: list[str] = []
    for ids in _all_source_ids(drug):
        for i in ids:
            if i not in cited:
                cited.append(i)
    md.append("## Sources\n")
    for i in cited:
        s = catalog.sources[i]
        link = f" <{s.url}>" if s.url else ""
        md.append(f"- {{ref}}`{i} <source-{i}>` ({esc(s.kind)}): {esc(s.citation)}{link}")
    md.append("")
    return "\n".join(md)


def _last_checked_text(notes: list[CheckNote]) -> str:
    date = last_checked(notes)
    if date is None:
        return "no check date recorded in the table"
    later = sorted({n.date for n in notes if not n.checked and n.date > date})
    if later:
        return f"{date} (the note of {', '.join(later)} says the table was not re-checked then)"
    return date


def _all_source_ids(drug: Any) -> Iterable[Iterable[str]]:
    yield drug.sources
    for cap in drug.caps:
        yield cap.sources
    for r in drug.regimens:
        yield r.sources
        if r.dose is not None:
            yield r.dose.sources
        for cap in r.caps:
            yield cap.sources
        for p in r.products:
            yield p.sources
    for rule in drug.rules:
        yield rule.sources
        for adj in rule.adjust:
            yield adj.sources


def index_page(catalog: Any, tables: Path | None = None) -> str:
    md = ["# Catalog\n"]
    md.append(
        "Every entry of the shipped tables, written from the tables when this site was built"
        f" (tables version {code(catalog.tables_version)}). An institution overlay changes"
        " what calcidose computes, not these pages.\n"
    )
    md.append("| entry | kind | regimens | dosable | evidence | last checked |")
    md.append("|---|---|---|---|---|---|")
    for drug in sorted(catalog.drugs.values(), key=lambda d: d.name.lower()):
        dosable = sum(1 for r in drug.regimens if r.dosable)
        evidence = ", ".join(sorted({r.evidence for r in drug.regimens})) or "-"
        table_file = tables / f"{drug.id}.toml" if tables is not None else None
        checked = last_checked(check_notes(table_file)) or "-"
        md.append(
            f"| [{esc(drug.name)}]({drug.id}.md) | {esc(drug.kind)} | {len(drug.regimens)}"
            f" | {dosable} | {esc(evidence)} | {esc(checked)} |"
        )
    md.append("")
    md.append(
        "```{toctree}\n:hidden:\n\n"
        + "\n".join(d.id for d in sorted(catalog.drugs.values(), key=lambda d: d.name.lower()))
        + "\nconditions\nsources\n```\n"
    )
    return "\n".join(md)


def sources_page(catalog: Any) -> str:
    md = ["# Sources\n", "Every source of the tables, cited once by id (`tables/sources.toml`).\n"]
    for source in sorted(catalog.sources.values(), key=lambda s: s.id):
        _source(md, source)
    return "\n".join(md)


def conditions_page(catalog: Any) -> str:
    md = [
        "# Conditions and interaction classes\n",
        "The ids a rule's `when` can name (`tables/conditions.toml`, `tables/substances.toml`).\n",
        "## Conditions\n",
    ]
    for c in sorted(catalog.conditions.values(), key=lambda c: c.id):
        line = f"- {code(c.id)}: {esc(c.name)}"
        if c.description:
            line += f". {esc(c.description)}"
        if c.implies_crcl_below is not None:
            line += f" (implies CrCl below {code(qty(c.implies_crcl_below))})"
        md.append(line)
    md.append("\n## Interaction classes\n")
    for k in sorted(catalog.classes.values(), key=lambda k: k.id):
        line = f"- {code(k.id)}: {esc(k.name)}"
        if k.description:
            line += f". {esc(k.description)}"
        if k.sources:
            line += f" (sources: {source_links(k.sources)})"
        md.append(line)
    md.append("")
    return "\n".join(md)


def write_pages(srcdir: Path) -> list[Path]:
    """Empty ``catalog/`` and write every page; returns the files written."""
    import calcidose

    catalog = calcidose.load_tables(use_env=False)
    out = srcdir / OUT
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    tables = srcdir.parent / "tables" / "drugs"
    pages = {
        "index": index_page(catalog, tables),
        "sources": sources_page(catalog),
        "conditions": conditions_page(catalog),
    }
    for drug in catalog.drugs.values():
        table_file = tables / f"{drug.id}.toml"
        pages[drug.id] = drug_page(drug, catalog, table_file if table_file.is_file() else None)
    written = []
    for name, text in pages.items():
        path = out / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _on_builder_inited(app: Any) -> None:
    write_pages(Path(app.srcdir))


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
