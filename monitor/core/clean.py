"""Cleaning one infobox value before it is rendered: what a reader never sees goes
(references in all their forms, comments), ``<br>`` is spelt one way, and braces a broken
template left open are repaired so the parser never meets an unclosed template (on which
it backtracks at great cost). Pure functions, no I/O.
"""

from __future__ import annotations

import re

from .scan import COMMENT

_REF_SELF_CLOSING = re.compile(r"<ref\b[^>]*?/\s*>", re.IGNORECASE)
# A reference's contents never hold another "<ref": one that does was left unclosed.
_REF_PAIRED = re.compile(r"<ref\b[^>]*>(?:(?!<ref\b).)*?</ref\s*>", re.IGNORECASE | re.DOTALL)
_REF_OPEN = re.compile(r"<ref\b[^>]*>", re.IGNORECASE)
_STRAY_REF_CLOSE = re.compile(r"</ref\s*>", re.IGNORECASE)
_ITEM_END = re.compile(r"\{\{|\}\}|\[\[|\]\]|\||\n|<br\b", re.IGNORECASE)
_BR_SPELLINGS = re.compile(r"<\s*/?\s*br\b[^<>]*>", re.IGNORECASE)


# A value with more markup left open than this is not read (see :func:`too_malformed`).
MOST_UNCLOSED = 50
_OPENERS = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)|<|(/?)>")
_VOID = frozenset({"br", "hr", "wbr", "img"})


def too_malformed(raw: str) -> bool:
    """Whether a value holds so much markup left open (``[[``, ``[http…``, a
    ``<tag`` without its ``>``, a ``<span>`` never closed) that reading it would cost time
    out of all proportion: the parser backtracks over every unclosed opener (3,000
    ``<span `` take half a minute). No real value comes near :data:`MOST_UNCLOSED`; a
    vandal's does. One linear pass."""
    unclosed = max(0, raw.count("[") - raw.count("]"))  # ("{{" left open: _repair_braces)
    if unclosed > MOST_UNCLOSED:
        return True
    pending = ""  # the name of the tag whose ">" has not come yet
    closing = False  # … and whether it is a closing tag
    left_open: dict[str, int] = {}  # tag name → opened minus closed
    for match in _OPENERS.finditer(raw):
        slash, name, self_closing = match.groups()
        if match.group().endswith(">"):
            if pending and not self_closing and pending not in _VOID:
                left_open[pending] = left_open.get(pending, 0) + (-1 if closing else 1)
            pending = ""
            continue
        if pending:  # another "<" before the ">": that tag was never closed
            unclosed += 1
            if unclosed > MOST_UNCLOSED:
                return True
        pending, closing = (name or "").lower(), bool(slash)
    elements = sum(count for count in left_open.values() if count > 0)
    return unclosed + bool(pending) + elements > MOST_UNCLOSED


def clean_value(raw: str) -> str:
    """The value without references and comments, ``<br>`` spelt one way, and braces left
    open by a broken template repaired (:func:`_repair_braces`)."""
    if "<!--" in raw:
        raw = COMMENT.sub("", raw)
    if "<" in raw and _BR_SPELLINGS.search(raw):
        raw = _BR_SPELLINGS.sub("<br>", raw)  # <br/ >, </br>, <BR />: one line break
    if "<" in raw and re.search(r"</?ref\b", raw, re.IGNORECASE):
        raw = _REF_SELF_CLOSING.sub("", raw)
        raw = _REF_PAIRED.sub("", raw)
        # an unclosed <ref> hides the rest of its item (one pass, left to right)
        pieces: list[str] = []
        last = 0
        for match in _REF_OPEN.finditer(raw):
            if match.start() >= last:
                pieces.append(raw[last : match.start()])
                last = _end_of_item(raw, match.end())
        raw = "".join(pieces) + raw[last:]
        raw = _STRAY_REF_CLOSE.sub("", raw)
    if "{{" in raw:
        raw = _repair_braces(raw)
    return raw.strip()


def _end_of_item(text: str, pos: int) -> int:
    """Where the item containing ``pos`` ends: the next line break, ``<br>`` or list ``|``
    outside templates and links, or the ``}}`` closing the template around it. An
    unclosed ``<ref>`` hides this much, not the rest of the field."""
    depth = 0
    for match in _ITEM_END.finditer(text, pos):
        token = match.group()
        if token in ("{{", "[["):
            depth += 1
        elif token in ("}}", "]]"):
            if depth == 0:
                return match.start()
            depth -= 1
        elif depth == 0:
            return match.start()
    return len(text)


_BRACES = re.compile(r"\{\{|\}\}|<(nowiki|pre|math)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_LIST_LINE = re.compile(r"[ \t]*\n\s*[|*#]")
_BLOCK_OPENING = re.compile(r"\{\{[^|{}\n]*(?:\|[ \t]*[\w -]+[ \t]*=[^|{}\n]*)*\|?[ \t]*\n")


# The search for the broken "{{" tries every candidate for every unclosed one: beyond this
# much work (tokens × candidates × unclosed) the never-closed "{{" are taken as text, as
# MediaWiki does, without a search.
_REPAIR_BUDGET = 100_000


def _repair_braces(text: str) -> str:
    """A template left unclosed (``{{flagicon|Iran [[X]]`` inside a ``{{ubl}}``) takes the
    ``}}`` of the template around it, breaking that one too. Find the ``{{`` that was not
    closed, and make it (and its ``|``) text, so the rest of the field reads as intended.

    The culprit is the ``{{`` whose removal balances the braces with the least damage: a
    block template (``{{ubl`` then a line break) is seldom the broken one and should end at
    the end of a line, and the broken text should not sit inside another inline template;
    ties go to the earliest. Every ``{{`` left unbalanced is escaped where it stands, so
    the parser never meets an unclosed template (on which it backtracks at great cost).
    """
    tokens = [(m.start(), m.group()) for m in _BRACES.finditer(text) if m.group() in ("{{", "}}")]
    opens = [pos for pos, token in tokens if token == "{{"]

    def match(escaped: set[int]) -> tuple[list[int], list[tuple[int, int]]]:
        stack: list[int] = []
        spans: list[tuple[int, int]] = []
        for pos, token in tokens:
            if token == "{{":
                if pos not in escaped:
                    stack.append(pos)
            elif stack:
                spans.append((stack.pop(), pos))
        return stack, spans

    def damage(escaped: set[int], spans: list[tuple[int, int]]) -> int:
        # a list template is seldom the broken one: its }} is far from its {{
        score = sum(1 for pos in escaped if _BLOCK_OPENING.match(text, pos))
        for start, end in spans:
            block = _BLOCK_OPENING.match(text, start) is not None
            line_end = text.find("\n", end)
            rest = text[end + 2 : len(text) if line_end < 0 else line_end]
            if block and rest.strip():
                score += 1  # a list template closing in the middle of a line
            if block and _LIST_LINE.match(text, end + 2):
                score += 1  # … or before more of its "| item" or "* item" lines
            if not block:
                score += sum(1 for pos in escaped if start < pos < end)
        return score

    unclosed, _ = match(set())
    if not unclosed:
        return text
    escaped: set[int] = set()
    if len(tokens) * len(opens) * len(unclosed) > _REPAIR_BUDGET:
        escaped = set(unclosed)  # pathological: what is never closed is text
        unclosed = []
    while unclosed:
        best: tuple[int, int] | None = None  # (damage, position)
        for candidate in opens:
            if candidate in escaped:
                continue
            trial = escaped | {candidate}
            left, spans = match(trial)
            if len(left) < len(unclosed):
                score = damage(trial, spans)
                if best is None or score < best[0]:
                    best = (score, candidate)
        if best is None:
            escaped |= set(unclosed)  # as MediaWiki: what is never closed is text
            break
        escaped.add(best[1])
        unclosed, _ = match(escaped)
    _, spans = match(escaped)
    # Each escaped "{{" is text, and so are the "|" of its own (up to the end of its line or
    # of the template around it), not those of templates and links nested in it.
    pipes: set[int] = set()
    stops = _ends_of_broken(text, escaped, spans)
    for pos in escaped:
        pipes.update(_own_pipes(text, pos + 2, stops[pos], stops))
    pieces: list[str] = []
    last = 0
    for pos in sorted(escaped | pipes):
        pieces.append(text[last:pos])
        if pos in escaped:
            pieces.append("&#123;&#123;")
            last = pos + 2
        else:
            pieces.append("&#124;")
            last = pos + 1
    pieces.append(text[last:])
    return "".join(pieces)


def _ends_of_broken(text: str, escaped: set[int], spans: list[tuple[int, int]]) -> dict[int, int]:
    """How far the text of each broken ``{{name|…`` reaches: to the end of its line, or to
    the ``}}`` closing the template around it (the innermost: matched spans nest, so one
    sweep with a stack finds it for all of them)."""
    ends: dict[int, int] = {}
    ordered = sorted(spans)
    stack: list[tuple[int, int]] = []
    index = 0
    for pos in sorted(escaped):
        while index < len(ordered) and ordered[index][0] < pos:
            while stack and stack[-1][1] <= ordered[index][0]:
                stack.pop()
            stack.append(ordered[index])
            index += 1
        while stack and stack[-1][1] <= pos:
            stack.pop()
        line_end = text.find("\n", pos)
        stop = len(text) if line_end < 0 else line_end
        ends[pos] = min(stop, stack[-1][1]) if stack else stop
    return ends


_NESTING = re.compile(r"\{\{|\}\}|\[\[|\]\]|\|")


def _own_pipes(text: str, start: int, stop: int, escaped: dict[int, int]) -> list[int]:
    """The ``|`` of ``text[start:stop]`` outside the templates and links nested in it (an
    escaped ``{{`` is text, not a template; ``escaped`` maps each to where its text ends).
    From another escaped ``{{`` at the same depth that ends where this one does, the pipes
    are that one's: the scan stops there (so a run of them costs one pass, not a square)."""
    depth = 0
    found: list[int] = []
    for match in _NESTING.finditer(text, start, stop):
        token = match.group()
        if token == "{{" and match.start() in escaped:
            if depth == 0 and escaped[match.start()] == stop:
                break
            continue
        if token in ("{{", "[["):
            depth += 1
        elif token in ("}}", "]]"):
            depth = max(0, depth - 1)
        elif depth == 0:
            found.append(match.start())
    return found
