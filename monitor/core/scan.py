"""Where the infobox is in a page, and its parameters: a scanner, not a parser.

Pure functions, no I/O. :func:`find_infobox` locates the infobox with regular expressions
over the brace structure, skipping ``<!-- -->`` comments and the contents of ``<ref>``,
``<nowiki>`` and other extension tags, where braces need not balance. The text after the
infobox is never looked at, and the page is never parsed as a whole.
:func:`infobox_params` splits the infobox at its own ``|`` (not those of nested
templates, ``[[links|…]]`` or ``{{{arguments|…}}}``).

Broken wikitext: an infobox never closed ends at the ``}}`` line or blank line after its
last parameter; a stray ``}}`` ends it, as in MediaWiki.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .names import spaced, upper_first

__all__ = [
    "COMMENT",
    "FALLBACK_INFOBOXES",
    "InfoboxSpan",
    "display_template_name",
    "find_infobox",
    "infobox_params",
    "may_mention_infobox",
    "normalize_template_name",
]

# Templates that count as "the infobox" when there is no {{Infobox …}} and none is configured.
FALLBACK_INFOBOXES = frozenset(
    {"taxobox", "automatic taxobox", "speciesbox", "subspeciesbox", "chembox", "drugbox"}
)

# -- the scanner ----------------------------------------------------------------------------

# Extension tags whose contents the preprocessor does not look into (braces need not balance).
_OPAQUE_TAGS = (
    "nowiki|ref|pre|math|syntaxhighlight|source|gallery|timeline|score|chem|ce|graph|"
    "templatedata|mapframe|maplink|imagemap|hiero|inputbox|categorytree|poem"
)
_OPAQUE = rf"<(?:{_OPAQUE_TAGS})(?=[\s/>])"
_SCAN_BRACES = re.compile(rf"\{{\{{|\}}\}}|<!--|{_OPAQUE}", re.IGNORECASE)
_SCAN_BOX = re.compile(rf"\{{\{{|\}}\}}|\[\[|\]\]|\||<!--|{_OPAQUE}", re.IGNORECASE)
_CLOSE_TAG: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}
_TAG_NAME = re.compile(r"<([a-zA-Z]+)")
_TEMPLATE_NAME = re.compile(r"[^|{}\[\]<>\n]*")
# Every name that counts as an infobox without a configured one ends in one of these
# ("Infobox military conflict", "automatic taxobox", "subspeciesbox"…)
_FALLBACK_ENDINGS = ("infobox", "taxobox", "speciesbox", "chembox", "drugbox")
_LONGEST_ENDING = max(map(len, _FALLBACK_ENDINGS))


def _mentions_infobox(wikitext: str) -> bool:
    """Does "Infobox" or a fallback infobox's name appear anywhere (any case)? Every one
    ends in "box", so only the text before each "x" is looked at: one quick pass over the
    page for a rare letter costs far less than a case-insensitive regex, a lowered copy of
    a 100 KB page or a search for "box" (a common word in wikitext)."""
    for letter in ("x", "X"):
        at = wikitext.find(letter)
        while at != -1:
            start = max(0, at + 1 - _LONGEST_ENDING)
            if wikitext[start : at + 1].casefold().endswith(_FALLBACK_ENDINGS):
                return True
            at = wikitext.find(letter, at + 1)
    return False


_ENDINGS_UTF8 = tuple(ending.encode() for ending in _FALLBACK_ENDINGS)


def may_mention_infobox(data: bytes) -> bool:
    """For a text's UTF-8 bytes, without decoding them: False only when the text surely
    has no infobox to look for (no ``{{``, or no name that :func:`_mentions_infobox`
    finds). No character beyond ASCII folds into a "b", "o" or "x", so every such name
    ends in a "box" of ASCII letters; a name with letters beyond ASCII before its "box"
    ("ſpeciesbox": ſ folds to s) is left to the decoded text."""
    if b"{{" not in data:
        return False
    lowered = data.lower()  # ASCII letters only
    at = lowered.find(b"box")
    while at != -1:
        name = lowered[max(0, at + 3 - _LONGEST_ENDING) : at + 3]
        if name.endswith(_ENDINGS_UTF8) or not name.isascii():
            return True
        at = lowered.find(b"box", at + 1)
    return False


_NAMESPACE_PREFIX = re.compile(
    r"^(?:template|vorlage|modèle|modele|plantilla|predefinição|szablon|sjabloon|шаблон)\s*:\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class InfoboxSpan:
    """Where the infobox is: ``text[start:end]`` is ``{{Name | … }}`` (or, when it was
    never closed, what is taken for it). ``seps`` are the positions of its own ``|``."""

    name: str  # as written, underscores as spaces, first letter upper case
    start: int
    end: int
    seps: tuple[int, ...]
    closed: bool = True


def _bare_template_name(name: str) -> str:
    """``Template:Infobox_military conflict`` → ``Infobox military conflict``."""
    return _NAMESPACE_PREFIX.sub("", spaced(name))


def normalize_template_name(name: str) -> str:
    """Casefolded template name for comparisons: ``Template:Infobox_military conflict`` →
    ``infobox military conflict``."""
    return _bare_template_name(name).casefold()


def display_template_name(name: str) -> str:
    return upper_first(_bare_template_name(name))


# A scan's memory of where each opaque tag's next closing tag is: (searched from, found).
# The scan moves forward, so one search serves every opening before that closing tag (a
# run of "<ref>" never closed otherwise searches the rest of the page once each).
_Closes = dict[str, tuple[int, "re.Match[str] | None"]]


def _skip(text: str, match: re.Match[str], closes: _Closes) -> int:
    """The position after a comment or an opaque tag's contents starting at ``match``."""
    pos = match.start()
    if match.group() == "<!--":
        end = text.find("-->", pos + 4)
        return len(text) if end < 0 else end + 3  # an unclosed comment runs to the end
    gt = text.find(">", pos)
    if gt < 0:
        return match.end()
    if text[gt - 1] == "/":  # <ref name="x" />
        return gt + 1
    name = _TAG_NAME.match(text, pos)
    assert name is not None  # ``match`` is an opaque tag's opening: "<" and its name
    tag = name.group(1).lower()
    patterns = _CLOSE_TAG.get(tag)
    if patterns is None:
        patterns = _CLOSE_TAG[tag] = (
            re.compile(rf"</{tag}\s*>", re.IGNORECASE),
            re.compile(rf"<{tag}(?=[\s/>])", re.IGNORECASE),
        )
    close, reopen = patterns
    known = closes.get(tag)
    if known is not None and known[0] <= gt + 1 and (known[1] is None or known[1].start() > gt):
        found = known[1]
    else:
        found = close.search(text, gt + 1)
        closes[tag] = (gt + 1, found)
    if found is None:
        return gt + 1  # an unclosed extension tag is plain text: go on after it
    again = reopen.search(text, gt + 1, found.start())
    if again is not None:
        # "<ref>…" whose </ref> was lost, before the next "<ref>…</ref>": taken as unclosed
        # rather than swallowing everything up to that next reference's end.
        return gt + 1
    return found.end()


def _wanted(infobox: str | None) -> Callable[[str], int | None]:
    configured = normalize_template_name(infobox) if infobox else None

    def rank(name: str) -> int | None:
        """0: the configured template, 1: an Infobox…, 2: an infobox-like fallback."""
        norm = normalize_template_name(name)
        if configured is not None and norm == configured:
            return 0
        if norm.startswith("infobox"):
            return 1
        if norm in FALLBACK_INFOBOXES:
            return 2
        return None

    return rank


def find_infobox(wikitext: str, infobox: str | None = None) -> InfoboxSpan | None:
    """Locate the infobox: the configured template if the page has it, else the first
    top-level template whose name starts with "Infobox" (so a renamed infobox is still
    found), else a Taxobox-like template (:data:`FALLBACK_INFOBOXES`). None: no infobox.

    Top-level means not inside another template; when no candidate is top-level (an
    unclosed ``{{`` earlier on the page, or a wrapper template), the first one is used.
    """
    rank = _wanted(infobox)
    if infobox is None and ("{{" not in wikitext or not _mentions_infobox(wikitext)):
        return None
    best: tuple[int, int, str] | None = None  # (rank, position, name)
    closes: _Closes = {}
    nested: tuple[int, int, str] | None = None
    depth = 0
    pos = 0
    search = _SCAN_BRACES.search
    while (match := search(wikitext, pos)) is not None:
        token = match.group()
        if token == "{{":
            start = match.start()
            name_match = _TEMPLATE_NAME.match(wikitext, start + 2)
            assert name_match is not None  # the pattern matches the empty string too
            name = name_match.group()
            found = rank(name) if name.strip() else None
            if found is not None:
                candidate = (found, start, name)
                if depth == 0:
                    if best is None or found < best[0]:
                        best = candidate
                    if found == 0 or (found == 1 and infobox is None):
                        break
                elif nested is None or found < nested[0]:
                    nested = candidate
            depth += 1
            pos = start + 2
        elif token == "}}":
            depth = max(0, depth - 1)
            pos = match.end()
        else:
            pos = _skip(wikitext, match, closes)
    chosen = best if best is not None else nested
    if best is not None and nested is not None and nested[0] < best[0] and nested[0] == 0:
        chosen = nested  # the configured template, even if nested
    if chosen is None:
        return None
    return _span(wikitext, chosen[1], display_template_name(chosen[2]))


def _span(text: str, start: int, name: str) -> InfoboxSpan:
    """Follow the infobox from its ``{{`` to the matching ``}}``, noting its own ``|``."""
    stack: list[tuple[str, int]] = []  # ("{", position) for {{, ("[", position) for [[
    seps: list[int] = []
    pos = start
    search = _SCAN_BOX.search
    closes: _Closes = {}
    while (match := search(text, pos)) is not None:
        token = match.group()
        pos = match.end()
        if token == "{{":
            stack.append(("{", match.start()))
        elif token == "}}":
            while stack and stack.pop()[0] != "{":
                pass  # a [[ left open inside a template ends with it
            if not stack:
                return InfoboxSpan(name, start, match.end(), tuple(seps))
        elif token == "[[":
            stack.append(("[", match.start()))
        elif token == "]]":
            if stack and stack[-1][0] == "[":
                stack.pop()
        elif token == "|":
            # A link cannot span lines: a [[ still open on an earlier line was never closed.
            while stack and stack[-1][0] == "[" and "\n" in text[stack[-1][1] : match.start()]:
                stack.pop()
            if len(stack) == 1:
                seps.append(match.start())
        else:
            pos = _skip(text, match, closes)
    return _unclosed_span(text, start, name, seps)


_PARAM_LINE = re.compile(r"\n[ \t]*\|[^\n|=<>{}\[\]]*=")  # (no "[ \t]*" after "|": it backtracks)
_CLOSING_LINE = re.compile(r"\n[ \t]*\}\}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)


def _heading_start(text: str, start: int) -> int:
    """Where the first section heading after ``start`` begins (the line break before a line
    that starts and ends with ``=``, spaces after it allowed), else the end of the text.
    One look at each line that starts with ``=``: linear, whatever the line holds (a
    pattern for it backtracks cubically on a long line of ``=``)."""
    pos = start
    while (newline := text.find("\n=", pos)) >= 0:
        line_end = text.find("\n", newline + 1)
        if line_end < 0:
            line_end = len(text)
        line = text[newline + 1 : line_end].rstrip(" \t")
        if len(line) >= 2 and line.endswith("="):
            return newline
        pos = line_end
    return len(text)


def _unclosed_span(text: str, start: int, name: str, seps: list[int]) -> InfoboxSpan:
    """An infobox that is never closed (or whose ``}}`` a broken template inside took).

    MediaWiki would show it as raw text; to keep the facts of its intact fields, it is
    taken to end at the first line that is only ``}}`` after its last ``| name =`` line,
    else at the blank line after that, else at the first section heading. Its fields are
    split at its ``|`` and at every line that starts a ``| name =``.
    """
    limit = _heading_start(text, start)
    region = COMMENT.sub(lambda m: " " * len(m.group()), text[start:limit])
    last_param = 0
    for match in _PARAM_LINE.finditer(region):
        last_param = match.start()
    end = limit
    if (close := _CLOSING_LINE.search(region, last_param + 1)) is not None:
        end = start + close.start()
    elif (blank := _BLANK_LINE.search(region, last_param + 1)) is not None:
        end = start + blank.start()
    line_seps = {start + m.start() + m.group().index("|") for m in _PARAM_LINE.finditer(region)}
    all_seps = sorted({s for s in seps if s < end} | {s for s in line_seps if s < end})
    return InfoboxSpan(name, start, end, tuple(all_seps), closed=False)


def infobox_params(wikitext: str, span: InfoboxSpan) -> dict[str, str]:
    """The infobox's parameters in order, name → raw value (stripped). Positional ones are
    named "1", "2", …; a repeated name keeps its last value, as MediaWiki does."""
    params: dict[str, str] = {}
    body_end = span.end - 2 if span.closed else span.end
    bounds = [*span.seps, body_end]
    positional = 0
    for sep, nxt in zip(bounds, bounds[1:], strict=False):
        part = wikitext[sep + 1 : nxt]
        eq = part.find("=")
        name = part[:eq] if eq >= 0 else None
        if name is not None and ("<!--" in name or "{" in name or "[" in name or "<" in name):
            cleaned = COMMENT.sub("", part)
            eq = cleaned.find("=")
            name = cleaned[:eq] if eq >= 0 and not re.search(r"[{\[<]", cleaned[:eq]) else None
            if name is not None:
                part = cleaned
        if name is None:
            positional += 1
            key, value = str(positional), part
        else:
            key, value = name.strip(), part[eq + 1 :]
        params.pop(key, None)
        params[key] = value.strip()
    return params
