"""``calcidose audit``: an orders file through the kernel into an audit file, with a summary.

:func:`run_audit` streams the input batch by batch (memory is bounded by the batch size and the
memo of distinct orders), writes each audit batch as it is made, and counts verdicts per drug
(the drug as written in the input; a null drug is counted as ``(none)``).
"""

from __future__ import annotations

import html
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

import pyarrow as pa

from ..errors import CalcidoseError, InputError
from .io import AuditWriter, count_rows, provenance, read_orders
from .kernel import Kernel
from .schema import AUDIT_VERDICTS

__all__ = ["AuditSummary", "Progress", "render_report", "run_audit"]

NO_DRUG: Final = "(none)"


class AuditSummary:
    """Counts of one run: rows, distinct orders checked, and rows per (drug, verdict)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.rows = 0
        self.checked = 0
        self.seconds = 0.0
        self.metadata: dict[str, str] = {}

    def add(self, orders: pa.RecordBatch, audit: pa.RecordBatch) -> None:
        drugs = orders.column("drug").to_pylist()
        verdicts = audit.column("verdict").to_pylist()
        self.counts.update(
            zip((d if d is not None else NO_DRUG for d in drugs), verdicts, strict=True)
        )
        self.rows += audit.num_rows

    def per_verdict(self) -> dict[str, int]:
        out = dict.fromkeys(AUDIT_VERDICTS, 0)
        for (_, verdict), n in self.counts.items():
            out[verdict] += n
        return out

    def drugs(self) -> list[str]:
        return sorted({d for d, _ in self.counts})

    def text(self) -> str:
        """The summary table printed at the end of a run (drug x verdict, then totals)."""
        verdicts = list(AUDIT_VERDICTS)
        width = max([len("drug"), len("total"), *(len(d) for d in self.drugs())])
        head = "drug".ljust(width) + "".join(f" {v:>15}" for v in verdicts)
        lines = [head]
        for drug in self.drugs():
            cells = "".join(f" {self.counts[(drug, v)]:>15}" for v in verdicts)
            lines.append(drug.ljust(width) + cells)
        totals = self.per_verdict()
        lines.append("total".ljust(width) + "".join(f" {totals[v]:>15}" for v in verdicts))
        rate = self.rows / self.seconds if self.seconds > 0 else float("inf")
        lines.append(
            f"{self.rows} rows audited ({self.checked} distinct orders checked) in "
            f"{self.seconds:.2f} s ({rate:,.0f} rows/s)"
        )
        return "\n".join(lines)


class Progress:
    """A one-line progress bar on a terminal (``stream``); nothing when it is not a tty."""

    def __init__(self, total: int | None, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total
        self.done = 0

    def update(self, rows: int) -> None:
        self.done += rows
        if not self.enabled:
            return
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(share * 30)
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(f"\raudit [{bar}] {self.done:,}/{self.total:,} rows {share:6.1%}")
        else:
            self.stream.write(f"\raudit {self.done:,} rows")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


Engine = Callable[[Any, Any], Any]


def run_audit(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    catalog: Any = None,
    progress: Progress | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    master: str | None = None,
) -> AuditSummary:
    """Audit ``source`` (Parquet or CSV orders) into ``target`` (Parquet or CSV by extension).

    The input's columns are checked before any row is audited; a bad row is an ``invalid``
    audit row, never a stop."""
    from ..catalog import get_catalog

    cat = catalog if catalog is not None else get_catalog()
    summary = AuditSummary()
    summary.metadata = provenance(cat)
    bar = progress if progress is not None else Progress(None)
    batches = read_orders(source)
    first = next(batches)  # refuses a bad file before the output is created
    kernel = Kernel(cat)
    start = time.perf_counter()
    writer = AuditWriter(target, summary.metadata)
    try:
        if engine == "dask":
            from .engines import run_dask, tables_ref

            ref = tables_ref(cat)
            pairs: Any = _paired(
                _chain(first, batches), lambda it: run_dask(it, ref, scheduler=scheduler)
            )
        elif engine == "spark":
            from .engines import run_spark, tables_ref

            ref = tables_ref(cat)
            pairs = _paired(
                _chain(first, batches),
                lambda it: run_spark(it, ref, master=master or "local[2]"),
            )
        elif engine == "local":
            pairs = ((o, kernel(o, str(source))) for o in _chain(first, batches))
        else:
            raise InputError(f"unknown engine {engine!r}; local, dask or spark")
        for orders, audit in pairs:
            writer.write(audit)
            summary.add(orders, audit)
            bar.update(orders.num_rows)
    finally:
        writer.close()
        bar.close()
    summary.seconds = time.perf_counter() - start
    summary.checked = kernel.checked
    return summary


def _paired(
    batches: Iterator[pa.RecordBatch],
    audit: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]],
) -> Iterator[tuple[pa.RecordBatch, pa.RecordBatch]]:
    """Each orders batch with its audit batch, from an engine that gives one audit batch per
    orders batch in order: only the batches the engine has taken and not yet answered are
    held (a window), never the whole input."""
    held: deque[pa.RecordBatch] = deque()

    def feed() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            held.append(batch)
            yield batch

    for answer in audit(feed()):
        orders = held.popleft()
        if orders.num_rows != answer.num_rows:
            raise CalcidoseError(
                f"the engine gave {answer.num_rows} audit rows for a batch of "
                f"{orders.num_rows} orders"
            )
        yield orders, answer
    if held:
        raise CalcidoseError(f"the engine gave no audit for {len(held)} orders batches")


def _chain(first: pa.RecordBatch, rest: Any) -> Any:
    yield first
    yield from rest


def total_rows(source: str | os.PathLike[str]) -> int | None:
    """Rows of the input when known ahead (Parquet), for the progress bar."""
    return count_rows(source)


# --- the HTML report ---------------------------------------------------------------------------

#: One colour per verdict (colour-blind-safe palette, Okabe-Ito), and the text beside it.
_COLOURS: Final = {
    "contraindicated": "#D55E00",
    "exceeds-maximum": "#CC79A7",
    "above-range": "#E69F00",
    "below-range": "#56B4E9",
    "within-range": "#009E73",
    "cannot-check": "#999999",
    "invalid": "#000000",
}

_TEMPLATE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>calcidose audit: {{ source }}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}</style></head><body>
<h1>Dose audit of {{ source }}</h1>
<p>{{ rows }} orders audited against tables {{ tables_version }} (calcidose {{ version }}).
Each order's verdict is what <code>calcidose check</code> gives for it.</p>
<h2>Orders per drug and verdict</h2>
{{ chart }}
<h2>Counts</h2>
<table><thead><tr><th>drug</th>{% for v in verdicts %}<th>{{ v }}</th>{% endfor %}
<th>total</th></tr></thead><tbody>
{% for row in table %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
</body></html>
"""


def _table(summary: AuditSummary) -> list[list[str]]:
    rows = []
    for drug in summary.drugs():
        counts = [summary.counts[(drug, v)] for v in AUDIT_VERDICTS]
        rows.append([drug, *(str(c) for c in counts), str(sum(counts))])
    totals = summary.per_verdict()
    rows.append(["total", *(str(totals[v]) for v in AUDIT_VERDICTS), str(summary.rows)])
    return rows


def _chart(summary: AuditSummary) -> str:
    """An inline SVG: one horizontal bar per drug, split by verdict, with a legend; each part
    has a title (its count) and the table below gives every figure as text."""
    drugs = summary.drugs()
    bar_width, label_width, row_height = 600, 220, 22
    height = row_height * (len(drugs) + 2)
    parts = [
        f'<svg role="img" aria-label="orders per drug and verdict" width="'
        f'{label_width + bar_width + 20}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for n, drug in enumerate(drugs):
        y = n * row_height
        total = sum(summary.counts[(drug, v)] for v in AUDIT_VERDICTS) or 1
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{html.escape(drug)}</text>"
        )
        x = float(label_width)
        for verdict in AUDIT_VERDICTS:
            count = summary.counts[(drug, verdict)]
            if not count:
                continue
            width = bar_width * count / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{row_height - 6}" '
                f'fill="{_COLOURS[verdict]}"><title>{html.escape(drug)}: {count} '
                f"{verdict}</title></rect>"
            )
            x += width
    y = len(drugs) * row_height + 8
    x = float(label_width)
    for verdict in AUDIT_VERDICTS:
        parts.append(
            f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{_COLOURS[verdict]}"/>'
            f'<text x="{x + 14:.0f}" y="{y + 10}" font-size="11">{verdict}</text>'
        )
        x += 14 + 7 * len(verdict) + 12
    parts.append("</svg>")
    return "".join(parts)


def render_report(summary: AuditSummary, source: str) -> str:
    """The HTML report: Jinja2 (autoescaped) when it is installed (the service extra), else
    the same page by plain string formatting with every value escaped."""
    values: dict[str, Any] = {
        "source": source,
        "rows": summary.rows,
        "tables_version": summary.metadata.get("calcidose.tables_version", "?"),
        "version": summary.metadata.get("calcidose.version", "?"),
        "verdicts": list(AUDIT_VERDICTS),
        "table": _table(summary),
    }
    chart = _chart(summary)
    try:
        import jinja2
        from markupsafe import Markup
    except ImportError:
        return _plain(values, chart)
    env = jinja2.Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(**values, chart=Markup(chart))


def _plain(values: dict[str, Any], chart: str) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(v)}</th>" for v in values["verdicts"])
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>\n" for row in values["table"]
    )
    text = _TEMPLATE.split("<h2>Orders per drug")[0]
    for key in ("source", "rows", "tables_version", "version"):
        text = text.replace("{{ " + key + " }}", esc(str(values[key])))
    return (
        f"{text}<h2>Orders per drug and verdict</h2>\n{chart}\n<h2>Counts</h2>\n"
        f"<table><thead><tr><th>drug</th>{head}\n<th>total</th></tr></thead><tbody>\n"
        f"{body}</tbody></table>\n</body></html>\n"
    )
