"""The view of ``calcidose tables diff``: the changes of
:func:`calcidose.catalog.diff.diff_catalogs`, each with the overlay that made it and its
justification, as text or as JSON (schema ``calcidose/tables-diff/1``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ..catalog.model import Catalog, Change, OverlayChange
from ..catalog.overlays import shown_value

__all__ = ["TABLES_DIFF_SCHEMA", "diff_dict", "diff_text"]

TABLES_DIFF_SCHEMA: Final = "calcidose/tables-diff/1"


def _by_target(new: Catalog) -> dict[str, OverlayChange]:
    """target -> the last overlay change of ``new`` that names it."""
    return {c.change.target: c for c in new.changes}


def _entry(change: Change, made: OverlayChange | None) -> dict[str, Any]:
    out = change.to_dict()
    out["overlay"] = made.overlay if made is not None else None
    j = made.justification if made is not None else None
    out["justification"] = None if j is None else {"reason": j.reason, "sources": list(j.sources)}
    return out


def diff_dict(
    changes: Sequence[Change], base: Catalog, new: Catalog, base_name: str
) -> dict[str, Any]:
    """The JSON object: both sides' tables, every change, and the counts."""
    made = _by_target(new)
    rows = [_entry(c, made.get(c.target)) for c in changes]
    weakening = [r for r in rows if r["weakens"]]
    return {
        "schema": TABLES_DIFF_SCHEMA,
        "base": {"name": base_name, **base.provenance()},
        "tables": new.provenance(),
        "changes": rows,
        "summary": {
            "changes": len(rows),
            "weakening": len(weakening),
            "unjustified": sum(1 for r in weakening if r["justification"] is None),
        },
    }


def diff_text(data: dict[str, Any], overlays: Sequence[str]) -> str:
    """The text view of :func:`diff_dict`'s object."""
    lines = [f"tables diff: {data['base']['name']} -> {' + '.join(overlays)}"]
    for row in data["changes"]:
        lines.append(row["target"])
        lines.append(
            f"    {row['aspect']} {row['change']}: {shown_value(row['old'])} -> "
            f"{shown_value(row['new'])}"
        )
        by = f" by {row['overlay']}" if row["overlay"] else ""
        if row["weakens"]:
            j = row["justification"]
            if j is None:
                lines.append(f"    WEAKENS SAFETY{by}: no justification")
            else:
                lines.append(
                    f"    WEAKENS SAFETY{by}, justified: {j['reason']} "
                    f"(sources: {', '.join(j['sources'])})"
                )
        elif by:
            lines.append(f"    changed{by}")
    s = data["summary"]
    if not s["changes"]:
        lines.append("no clinically meaningful change")
    else:
        lines.append(
            f"{s['changes']} change{'s' if s['changes'] != 1 else ''}: {s['weakening']} "
            f"weaken{'s' if s['weakening'] == 1 else ''} safety, {s['unjustified']} without "
            "justification"
        )
    return "\n".join(lines)
