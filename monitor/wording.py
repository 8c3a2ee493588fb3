"""How a change is said to a reader, in the CLI, the digests and the report."""

from __future__ import annotations

from typing import Any


def plural(count: int, noun: str) -> str:
    """1 edit, 2 edits."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe(change: dict[str, Any]) -> str:
    """One change as a reader would say it."""
    kind = change["kind"]
    if kind == "figure_changed" and change["old_number"] == change["new_number"]:
        # a range end, "c." or "+" changed: the texts say what
        return f"{change['category'] or 'figure'}: {change['old']} → {change['new']}"
    if kind == "figure_changed":
        old, new = change["old_number"], change["new_number"]
        delta = f" ({new - old:+,})" if old is not None and new is not None else ""
        what = change["category"] or "figure"
        side = f", {change['side']}" if change["side"] else ""
        old_text = "—" if old is None else f"{old:,}"
        new_text = "—" if new is None else f"{new:,}"
        return f"{what}: {old_text} → {new_text}{delta} ({change['item']}{side})"
    if kind in ("item_added", "field_added"):
        return f"+ {change['item'] or change['new']}"
    if kind in ("item_removed", "field_removed"):
        return f"− {change['item'] or change['old']}"
    return f"{change['old']} → {change['new']}"
