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


# What text from a wiki must not carry into a line of output as it is: characters that end
# a line or start another, or drive a terminal (C0 and C1 controls: CR, LF, ESC, CSI…, DEL,
# the Unicode line and paragraph separators), and those that reorder a line (bidi controls:
# an RLO makes "1259801105" read "5011089521").
_C0 = "\x00-\x1f"
_LINE_BREAKERS = _C0 + "\x7f-\x9f\u2028\u2029"
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c"
_UNSAFE = re.compile(f"[{_LINE_BREAKERS}{_BIDI}]")
_UNSAFE_IN_JSON = re.compile(f"[{_LINE_BREAKERS[len(_C0) :]}{_BIDI}]")  # json escapes C0
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str, width: int | None = None) -> str:
    """Text from a wiki (a title, a field, a user name, a comment, a value) for one line of
    terminal output: each character in _UNSAFE becomes a visible escape (\\n, \\r, \\t,
    \\x1b, \\u202e), everything else is shown as stored. The one escaping of the CLI;
    ``width`` cuts the text (before escaping) with an ellipsis."""
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_json(text: str) -> str:
    """JSON text (json.dumps, ensure_ascii off) with the characters of _UNSAFE that JSON
    leaves raw written as JSON escapes (\\u2028, \\u202e): the same value, safe to print."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def one_line(text: str, width: int = 200) -> str:
    """Control characters (CR, LF, tabs…) and line/paragraph separators become spaces:
    nothing from the wiki can start a new header or fake a line (mail headers, digests)."""
    text = " ".join(re.sub(f"[{_LINE_BREAKERS}]", " ", text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


_BIDI_CONTROLS = re.compile(f"[{_BIDI}]")


def isolate(text: str | None) -> str:
    """One line of wiki text; with right-to-left letters, between Unicode isolates
    (FSI … PDI), so that it shows as written. Bidi controls from the wiki are dropped:
    a stray PDI or RLO could otherwise end the isolate and reorder the rest of the line."""
    line = _BIDI_CONTROLS.sub("", one_line(text or ""))
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in line):
        return "\u2068" + line + "\u2069"
    return line
