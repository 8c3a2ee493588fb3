"""How a change is said to a reader, in the CLI, the digests and the report."""

from __future__ import annotations

import re
import unicodedata

from storage import ChangeRecord


def plural(count: int, noun: str) -> str:
    """1 edit, 2 edits."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _figure(number: int | None, low: int | None, high: int | None) -> str:
    """A figure as a reader reads it: "—" (none), "220", "60–70" (a range)."""
    if number is None:
        return "—"
    low = number if low is None else low
    high = number if high is None else high
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def describe(change: ChangeRecord) -> str:
    """One change as a reader would say it: a core Change, a stored ChangeRow."""
    kind = change.kind
    if kind == "figure_changed":
        old, new = change.old_number, change.new_number
        old_text = _figure(old, change.old_low, change.old_high)
        new_text = _figure(new, change.new_low, change.new_high)
        if old_text == new_text:
            # "c." or "+" changed: the texts say what
            return f"{change.category or 'figure'}: {change.old} → {change.new}"
        single = old_text.count("–") + new_text.count("–") == 0
        delta = f" ({new - old:+,})" if old is not None and new is not None and single else ""
        what = change.category or "figure"
        side = f", {change.side}" if change.side else ""
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
