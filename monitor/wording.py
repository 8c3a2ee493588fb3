"""How a change is said to a reader, in the CLI, the digests and the report."""

from __future__ import annotations

import re
import unicodedata

from storage import ChangeRecord


def shell_quote(text: str) -> str:
    """For a command to copy into a shell: 'it'\''s'."""
    return "'" + text.replace("'", "'\\''") + "'"


def plural(count: int, noun: str) -> str:
    """1 edit, 2 edits."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe(change: ChangeRecord) -> str:
    """One change as a reader would say it: a core Change, a stored ChangeRow."""
    kind = change.kind
    if kind == "figure_changed" and change.old_number == change.new_number:
        # a range end, "c." or "+" changed: the texts say what
        return f"{change.category or 'figure'}: {change.old} → {change.new}"
    if kind == "figure_changed":
        old, new = change.old_number, change.new_number
        delta = f" ({new - old:+,})" if old is not None and new is not None else ""
        what = change.category or "figure"
        side = f", {change.side}" if change.side else ""
        old_text = "—" if old is None else f"{old:,}"
        new_text = "—" if new is None else f"{new:,}"
        return f"{what}: {old_text} → {new_text}{delta} ({change.item}{side})"
    if kind in ("item_added", "field_added"):
        return f"+ {change.item or change.new}"
    if kind in ("item_removed", "field_removed"):
        return f"− {change.item or change.old}"
    return f"{change.old} → {change.new}"


def one_line(text: str, width: int = 200) -> str:
    """Control characters (CR, LF, tabs…) and line/paragraph separators become spaces:
    nothing from the wiki can start a new header or fake a line."""
    text = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]", " ", text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def isolate(text: str | None) -> str:
    """One line of wiki text; with right-to-left letters, between Unicode isolates
    (FSI … PDI), so that it shows as written. Bidi controls from the wiki are dropped:
    a stray PDI or RLO could otherwise end the isolate and reorder the rest of the line."""
    line = _BIDI_CONTROLS.sub("", one_line(text or ""))
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in line):
        return "\u2068" + line + "\u2069"
    return line
