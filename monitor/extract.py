"""Infobox facts from wikitext: pure functions, wikitext in, :class:`Facts` out (no I/O).

Speed is the point of the design: a page's history is thousands of revisions of the same
long text, and only a few of its infobox fields change at a time.

* :func:`find_infobox` locates the infobox with a scanner (regular expressions over the
  brace structure, skipping ``<!-- -->`` comments and the contents of ``<ref>``,
  ``<nowiki>`` and other extension tags, where braces need not balance). The text after the
  infobox is never looked at, and the page is never parsed as a whole.
* :func:`infobox_params` splits the infobox at its own ``|`` (not those of nested
  templates, ``[[links|…]]`` or ``{{{arguments|…}}}``).
* :func:`field_facts` turns one parameter into :class:`FieldFacts`; it is cached on the
  raw text (and again on the text without references and comments), so a field that did
  not change costs a dictionary lookup. Only here is mwparserfromhell used, on one value.

What a field's facts are (decisions documented for the diff, the CLI and the fixtures):

* **Display value**: what a reader sees. References, comments, footnote templates and
  maintenance tags vanish (a ``<ref>`` never closed hides the rest of its item only); flag
  icons vanish but name the item's *side*; links show their text; markup is removed;
  entities become characters; whitespace is collapsed.
  ``{{KIA}}`` is rendered as :data:`KIA_MARKER` (" †", the dagger the template shows);
  ``{{POW}}``/``{{MIA}}``/``{{WIA}}`` as " (POW)" etc. An image (``[[File:X.jpg|…]]``, or a
  bare file name) shows as its file name, so that adding one is a visible change; as an icon
  next to text it shows nothing. Unknown templates show their first positional argument,
  or their name when they have none.
* **Items**: list templates (``{{ubl}}``, ``{{plainlist}}``, ``{{flatlist}}``, ``{{hlist}}``,
  ``{{collapsible list}}``…), bullets, ``<br>`` in every spelling, ``{{pb}}`` and newlines
  split a field into items; nested lists are flattened in order; empty items are dropped.
  :attr:`FieldFacts.value` is the items' texts joined by newlines (a line each, as shown).
* **Item keys** (identity across edits): the target of the item's first link (first letter
  upper case, ``_`` as space, no ``#fragment``); else its flag's side; else its text without
  numbers, casefolded. Keys that collide within a field are told apart by their text, then
  by a ``#2``, ``#3``… suffix.
* **Sides**: ``{{flagicon|X}}``/``{{flag|X}}`` → ``X``; ``{{flagicon image|Flag of the Y.svg}}``
  → ``Y`` (the file name without extension, ``Flag of (the)``/``flag`` affixes and
  underscores); else a bold ``'''Label:'''`` in front of the item, or the last such heading
  line above it; else the text of the item's first link.
* **Broken wikitext** degrades locally: a template left unclosed inside a field shows as
  text without breaking the list around it; an infobox never closed ends at the ``}}``
  line or blank line after its last parameter; a stray ``}}`` ends it, as in MediaWiki.
* **Figures**: numbers next to a category word (killed, wounded, captured, missing,
  arrested, displaced, deserted, destroyed, casualties); in ``strength`` fields any number
  (category ``strength``), and in ``casualties`` fields a bare number in an item without
  other figures (category ``casualties``). Years, dates, percentages, ordinals and
  measurements are not figures. See :func:`find_figures`.
"""

from __future__ import annotations

import datetime
import functools
import html
import re
from dataclasses import dataclass
from typing import Any

import mwparserfromhell
from mwparserfromhell import nodes
from mwparserfromhell.wikicode import Wikicode

from .facts import Facts, FieldFacts, Figure, Item

__all__ = [
    "KIA_MARKER",
    "InfoboxSpan",
    "RenderedItem",
    "display_items",
    "extract_facts",
    "field_facts",
    "find_figures",
    "find_infobox",
    "infobox_params",
    "normalize_link_target",
    "normalize_template_name",
]

KIA_MARKER = " †"  # what {{KIA}} (and {{DOW}}, {{Executed}}) display: a dagger

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
_INFOBOX_START = re.compile(r"\{\{\s*(?:template\s*:\s*)?infobox", re.IGNORECASE)
_NAMESPACE_PREFIX = re.compile(
    r"^(?:template|vorlage|modèle|modele|plantilla|predefinição|szablon|sjabloon|шаблон)\s*:\s*",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class InfoboxSpan:
    """Where the infobox is: ``text[start:end]`` is ``{{Name | … }}`` (or, when it was
    never closed, what is taken for it). ``seps`` are the positions of its own ``|``."""

    name: str  # as written, underscores as spaces, first letter upper case
    start: int
    end: int
    seps: tuple[int, ...]
    closed: bool = True


def normalize_template_name(name: str) -> str:
    """Casefolded template name for comparisons: ``Template:Infobox_military conflict`` →
    ``infobox military conflict``."""
    name = _WS.sub(" ", name.replace("_", " ")).strip()
    return _NAMESPACE_PREFIX.sub("", name).casefold()


def _display_name(name: str) -> str:
    name = _NAMESPACE_PREFIX.sub("", _WS.sub(" ", name.replace("_", " ")).strip())
    return name[:1].upper() + name[1:]


def _skip(text: str, match: re.Match[str]) -> int:
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
    tag = _TAG_NAME.match(text, pos).group(1).lower()
    patterns = _CLOSE_TAG.get(tag)
    if patterns is None:
        patterns = _CLOSE_TAG[tag] = (
            re.compile(rf"</{tag}\s*>", re.IGNORECASE),
            re.compile(rf"<{tag}(?=[\s/>])", re.IGNORECASE),
        )
    close, reopen = patterns
    found = close.search(text, gt + 1)
    if found is None:
        return gt + 1  # an unclosed extension tag is plain text: go on after it
    again = reopen.search(text, gt + 1, found.start())
    if again is not None:
        # "<ref>…" whose </ref> was lost, before the next "<ref>…</ref>": taken as unclosed
        # rather than swallowing everything up to that next reference's end.
        return gt + 1
    return found.end()


def _wanted(infobox: str | None):
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
    if infobox is None and not _INFOBOX_START.search(wikitext):
        lowered = wikitext.casefold()
        if not any("{{" in lowered and name in lowered for name in FALLBACK_INFOBOXES):
            return None
    best: tuple[int, int, str] | None = None  # (rank, position, name)
    nested: tuple[int, int, str] | None = None
    depth = 0
    pos = 0
    search = _SCAN_BRACES.search
    while (match := search(wikitext, pos)) is not None:
        token = match.group()
        if token == "{{":
            start = match.start()
            name_match = _TEMPLATE_NAME.match(wikitext, start + 2)
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
            pos = _skip(wikitext, match)
    chosen = best if best is not None else nested
    if best is not None and nested is not None and nested[0] < best[0] and nested[0] == 0:
        chosen = nested  # the configured template, even if nested
    if chosen is None:
        return None
    return _span(wikitext, chosen[1], _display_name(chosen[2]))


def _span(text: str, start: int, name: str) -> InfoboxSpan:
    """Follow the infobox from its ``{{`` to the matching ``}}``, noting its own ``|``."""
    stack: list[tuple[str, int]] = []  # ("{", position) for {{, ("[", position) for [[
    seps: list[int] = []
    pos = start
    search = _SCAN_BOX.search
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
            pos = _skip(text, match)
    return _unclosed_span(text, start, name, seps)


_HEADING = re.compile(r"\n=+[^\n]*=+[ \t]*(?=\n|$)")
_PARAM_LINE = re.compile(r"\n[ \t]*\|[ \t]*[^\n|=<>{}\[\]]*=")
_CLOSING_LINE = re.compile(r"\n[ \t]*\}\}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)


def _unclosed_span(text: str, start: int, name: str, seps: list[int]) -> InfoboxSpan:
    """An infobox that is never closed (or whose ``}}`` a broken template inside took).

    MediaWiki would show it as raw text; to keep the facts of its intact fields, it is
    taken to end at the first line that is only ``}}`` after its last ``| name =`` line,
    else at the blank line after that, else at the first section heading. Its fields are
    split at its ``|`` and at every line that starts a ``| name =``.
    """
    heading = _HEADING.search(text, start)
    limit = heading.start() if heading else len(text)
    region = _COMMENT.sub(lambda m: " " * len(m.group()), text[start:limit])
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
            cleaned = _COMMENT.sub("", part)
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


# -- extraction -----------------------------------------------------------------------------


def extract_facts(wikitext: str, infobox: str | None = None) -> Facts:
    """The facts of the page's infobox (see the module documentation). No infobox:
    ``Facts(None, {})``. Never parses the whole page; unchanged fields cost nothing."""
    span = find_infobox(wikitext, infobox)
    if span is None:
        return Facts(None, {})
    seps = tuple(sep - span.start for sep in span.seps)
    box = wikitext[span.start : span.end]
    return Facts(span.name, dict(_box_facts(box, seps, span.closed)))


@functools.lru_cache(maxsize=256)
def _box_facts(box: str, seps: tuple[int, ...], closed: bool) -> tuple[tuple[str, FieldFacts], ...]:
    """The fields of one infobox text (cached: most edits leave the infobox alone)."""
    params = infobox_params(box, InfoboxSpan("", 0, len(box), seps, closed))
    result = []
    for name, raw in params.items():
        facts = field_facts(name, raw)
        if facts is not None:
            result.append((name, facts))
    return tuple(result)


_REF_SELF_CLOSING = re.compile(r"<ref\b[^>]*?/\s*>", re.IGNORECASE)
# A reference's contents never hold another "<ref": one that does was left unclosed.
_REF_PAIRED = re.compile(r"<ref\b[^>]*>(?:(?!<ref\b).)*?</ref\s*>", re.IGNORECASE | re.DOTALL)
_REF_OPEN = re.compile(r"<ref\b[^>]*>", re.IGNORECASE)
_STRAY_REF_CLOSE = re.compile(r"</ref\s*>", re.IGNORECASE)
_ITEM_END = re.compile(r"\{\{|\}\}|\[\[|\]\]|\||\n|<br\b", re.IGNORECASE)
_BR_SPELLINGS = re.compile(r"<\s*/?\s*br\b[^<>]*>", re.IGNORECASE)


def _strip_refs_and_comments(raw: str) -> str:
    """The value without references and comments, ``<br>`` spelt one way, and braces left
    open by a broken template repaired (:func:`_repair_braces`)."""
    if "<!--" in raw:
        raw = _COMMENT.sub("", raw)
    if "<" in raw and _BR_SPELLINGS.search(raw):
        raw = _BR_SPELLINGS.sub("<br>", raw)  # <br/ >, </br>, <BR />: one line break
    if "<" in raw and re.search(r"</?ref\b", raw, re.IGNORECASE):
        raw = _REF_SELF_CLOSING.sub("", raw)
        raw = _REF_PAIRED.sub("", raw)
        while (match := _REF_OPEN.search(raw)) is not None:
            raw = raw[: match.start()] + raw[_end_of_item(raw, match.end()) :]
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


def _repair_braces(text: str) -> str:
    """A template left unclosed (``{{flagicon|Iran [[X]]`` inside a ``{{ubl}}``) takes the
    ``}}`` of the template around it, breaking that one too. Find the ``{{`` that was not
    closed, and make it (and its ``|``) text, so the rest of the field reads as intended.

    The culprit is the ``{{`` whose removal balances the braces with the least damage: a
    block template (``{{ubl`` then a line break) is seldom the broken one and should end at
    the end of a line, and the broken text should not sit inside another inline template;
    ties go to the earliest.
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
    escaped: set[int] = set()
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
    if not escaped:
        return text
    _, spans = match(escaped)
    pieces: list[str] = []
    last = 0
    for pos in sorted(escaped):
        stop = _end_of_broken(text, pos, spans)
        pieces.append(text[last:pos])
        pieces.append("&#123;&#123;" + _escape_own_pipes(text[pos + 2 : stop]))
        last = stop
    pieces.append(text[last:])
    return "".join(pieces)


def _end_of_broken(text: str, pos: int, spans: list[tuple[int, int]]) -> int:
    """How far the text of a broken ``{{name|…`` reaches: to the end of its line, or to the
    ``}}`` closing the template around it."""
    line_end = text.find("\n", pos)
    stop = len(text) if line_end < 0 else line_end
    for start, end in spans:
        if start < pos < end:
            stop = min(stop, end)
    return stop


_NESTING = re.compile(r"\{\{|\}\}|\[\[|\]\]|\|")


def _escape_own_pipes(text: str) -> str:
    """``|`` outside the templates and links nested in ``text`` → ``&#124;`` (text)."""
    depth = 0
    out: list[str] = []
    last = 0
    for match in _NESTING.finditer(text):
        token = match.group()
        if token in ("{{", "[["):
            depth += 1
        elif token in ("}}", "]]"):
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(text[last : match.start()] + "&#124;")
            last = match.end()
    out.append(text[last:])
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def field_facts(name: str, raw: str) -> FieldFacts | None:
    """One parameter's facts from its raw wikitext; None when it displays nothing."""
    return _field_facts(name, _strip_refs_and_comments(raw))


@functools.lru_cache(maxsize=4096)
def _field_facts(name: str, cleaned: str) -> FieldFacts | None:
    if not cleaned:
        return None
    items = _build_items(name, display_items(cleaned))
    if not items:
        return None
    return FieldFacts(name=name, value="\n".join(item.text for item in items), items=items)


# -- rendering ------------------------------------------------------------------------------

# The renderer writes a flat list: strings (text), None (an item break), and annotations:
# ("flag", side), ("link", target, text), ("image", file name), ("bold", text).

_BREAK = None


@dataclass
class RenderedItem:
    """One item as rendered, with what identifies it: flags (sides), links (target, text),
    images (file names) and bold passages, in order."""

    text: str
    flags: list[str]
    links: list[tuple[str, str]]
    images: list[str]
    bold: list[str]


def display_items(wikitext: str) -> list[RenderedItem]:
    """Render one field value (without references) into its items, with their flags,
    links, images and bold labels; empty items are dropped."""
    out: list[Any] = []
    try:
        _render(mwparserfromhell.parse(wikitext, skip_style_tags=False), out)
    except Exception:  # the parser gave up (pathological input): show the text as it is
        out = []
        _text(wikitext, out)
    items: list[RenderedItem] = []
    current = RenderedItem("", [], [], [], [])
    texts: list[str] = []

    def close() -> None:
        nonlocal current, texts
        text = _clean_text("".join(texts))
        if not text and current.images:
            text = current.images[0]
        if text:
            current.text = text
            items.append(current)
        current = RenderedItem("", [], [], [], [])
        texts = []

    for token in out:
        if token is _BREAK:
            close()
        elif isinstance(token, str):
            texts.append(token)
        else:
            kind = token[0]
            if kind == "flag":
                current.flags.append(token[1])
            elif kind == "link":
                current.links.append((token[1], token[2]))
            elif kind == "image":
                current.images.append(token[1])
            elif kind == "bold":
                current.bold.append(token[1])
    close()
    return items


_QUOTES = re.compile(r"'{2,}")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad]")
_EDGE_PUNCT = " ,;"


def _clean_text(text: str) -> str:
    if "''" in text:
        text = _QUOTES.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = _WS.sub(" ", text).strip()
    return text.strip(_EDGE_PUNCT)


def _flat(code: Wikicode | None) -> str:
    """A piece of wikitext rendered on one line (breaks as spaces, annotations dropped)."""
    if code is None:
        return ""
    out: list[Any] = []
    _render(code, out)
    return _clean_text("".join(t if isinstance(t, str) else " " if t is None else "" for t in out))


def _render(code: Wikicode, out: list[Any]) -> None:
    for node in code.nodes:
        if isinstance(node, nodes.Text):
            _text(node.value, out)
        elif isinstance(node, nodes.Template):
            _template(node, out)
        elif isinstance(node, nodes.Wikilink):
            _wikilink(node, out)
        elif isinstance(node, nodes.Tag):
            _tag(node, out)
        elif isinstance(node, nodes.ExternalLink):
            if node.brackets:
                if node.title is not None:
                    _render(node.title, out)
            else:
                out.append(str(node.url))
        elif isinstance(node, nodes.HTMLEntity):
            try:
                out.append(node.normalize())
            except (ValueError, OverflowError):
                out.append(str(node))
        elif isinstance(node, nodes.Heading):
            out.append(_BREAK)
            _render(node.title, out)
            out.append(_BREAK)
        elif isinstance(node, nodes.Argument) and node.default is not None:
            _render(node.default, out)
        # Comments (and anything else) show nothing.


_STRAY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


def _text(value: str, out: list[Any]) -> None:
    if "<" in value:  # an unclosed <center>, <small>…: the tag itself shows nothing
        value = _STRAY_TAG.sub("", value)
    if "\n" not in value:
        out.append(value)
        return
    lines = value.split("\n")
    for i, line in enumerate(lines):
        if i:
            out.append(_BREAK)
        out.append(line)


_FILE_NAMESPACES = frozenset(
    {"file", "image", "datei", "bild", "fichier", "archivo", "imagen", "immagine", "ficheiro",
     "plik", "bestand", "файл", "media"}
)  # fmt: skip
_HIDDEN_NAMESPACES = frozenset({"category", "kategorie", "catégorie", "categoría", "categoria"})
_INTERWIKI = re.compile(r"^[a-z]{2,3}(?:-[a-z]{2,8})?$")
_FLAG_AFFIXES = re.compile(
    r"^(?:(?:civil|state|naval|war|military)\s+)?(?:flag|seal|emblem|coat of arms|logo|"
    r"insignia|roundel)\s+of\s+(?:the\s+)?|^infobox\s*|\s*\bflag\s*$|(?<=[a-z])flag$",
    re.IGNORECASE,
)


def normalize_link_target(target: str) -> str:
    """``[[syrian_civil war#Phase|…]]`` → ``Syrian civil war`` (a page's identity)."""
    target = html.unescape(target).replace("_", " ")
    target = target.split("#", 1)[0]
    target = _WS.sub(" ", target).strip().lstrip(":").strip()
    return target[:1].upper() + target[1:]


def _file_side(file_name: str) -> str:
    """``Flag_of_the_Syrian_Salvation_Government.svg`` → ``Syrian Salvation Government``."""
    name = _WS.sub(" ", file_name.replace("_", " ")).strip()
    name = re.sub(r"^(?:file|image)\s*:\s*", "", name, flags=re.IGNORECASE)
    name = re.sub(r"\.(?:svg|png|jpe?g|gif|tiff?|webp)$", "", name, flags=re.IGNORECASE)
    cleaned = name
    for _ in range(3):
        stripped = _FLAG_AFFIXES.sub("", cleaned).strip()
        if stripped == cleaned:
            break
        cleaned = stripped
    return cleaned or name


def _wikilink(node: nodes.Wikilink, out: list[Any]) -> None:
    title = _flat(node.title)
    colon = title.startswith(":")
    bare = title.lstrip(":").strip()
    namespace = bare.split(":", 1)[0].strip().casefold() if ":" in bare else ""
    if namespace in _FILE_NAMESPACES and not colon:
        file_name = _WS.sub(" ", bare.split(":", 1)[1].replace("_", " ")).strip()
        out.append(("image", file_name))
        return
    prefix = bare.split(":", 1)[0].strip() if ":" in bare else ""
    if not colon and (
        namespace in _HIDDEN_NAMESPACES or (node.text is None and _INTERWIKI.match(prefix))
    ):
        return  # [[Category:…]] and interlanguage links [[de:…]] show nothing here
    if node.text is not None:
        text = _flat(node.text)
        if not text and not str(node.text).strip():  # the pipe trick: [[Foo (bar)|]]
            text = re.sub(r"\s*\([^)]*\)$", "", bare.split(":", 1)[-1]).strip()
    else:
        text = bare
    target = normalize_link_target(bare)
    out.append(("link", target, text))
    out.append(text)


_BLOCK_TAGS = frozenset({"div", "p", "tr", "caption", "h1", "h2", "h3", "h4", "h5", "h6"})
_BREAK_TAGS = frozenset({"br", "hr", "li", "dt", "dd"})
_HIDDEN_TAGS = frozenset(
    {"ref", "references", "gallery", "imagemap", "timeline", "score", "graph", "templatedata",
     "mapframe", "maplink", "style", "script", "indicator", "categorytree", "inputbox"}
)  # fmt: skip


def _tag(node: nodes.Tag, out: list[Any]) -> None:
    tag = str(node.tag).strip().lower()
    if tag in _BREAK_TAGS:
        out.append(_BREAK)
        if node.contents is not None and tag != "br":
            _render(node.contents, out)  # <li>…</li> written as HTML
        return
    if tag in _HIDDEN_TAGS or node.contents is None:
        return
    if tag in ("b", "strong"):
        start = len(out)
        _render(node.contents, out)
        bold = "".join(t for t in out[start:] if isinstance(t, str))
        out.insert(start, ("bold", _clean_text(bold)))
        return
    if tag in ("nowiki", "pre", "math"):
        out.append(html.unescape(str(node.contents)).replace("\n", " "))
        return
    if tag in _BLOCK_TAGS:
        out.append(_BREAK)
        _render(node.contents, out)
        out.append(_BREAK)
        return
    if tag in ("td", "th"):
        _render(node.contents, out)
        out.append(" ")
        return
    _render(node.contents, out)  # inline tags and anything unknown: their contents


# -- templates ------------------------------------------------------------------------------


def _args(template: nodes.Template) -> tuple[list[Wikicode], dict[str, Wikicode]]:
    """Positional arguments (by number, as MediaWiki: a later duplicate wins) and named."""
    numbered: dict[int, Wikicode] = {}
    named: dict[str, Wikicode] = {}
    for param in template.params:
        key = str(param.name).strip()
        if key.isdigit():
            numbered[int(key)] = param.value
        else:
            named[key.casefold()] = param.value
    if not numbered:
        return [], named
    top = max(numbered)
    if top > 50:  # absurd numbering: keep what there is, in order
        return [numbered[k] for k in sorted(numbered)], named
    empty = mwparserfromhell.parse("")
    return [numbered.get(i, empty) for i in range(1, top + 1)], named


def _arg(args: list[Wikicode], index: int) -> str:
    return _flat(args[index]) if index < len(args) else ""


def _template(node: nodes.Template, out: list[Any]) -> None:
    raw_name = _flat(node.name) if node.name.filter_templates() else str(node.name)
    name = normalize_template_name(raw_name.split("<!--")[0])
    handler = _HANDLERS.get(name)
    if handler is None:
        for prefix, prefix_handler in _PREFIX_HANDLERS:
            if name.startswith(prefix):
                handler = prefix_handler
                break
    if handler is None:
        if name in _NOTHING or name.endswith((" inline", " needed")):
            return
        handler = _unknown
    handler(node, name, raw_name, out)


def _unknown(node: nodes.Template, name: str, raw_name: str, out: list[Any]) -> None:
    """Something readable: the first non-empty positional argument, else the name."""
    positional, _ = _args(node)
    for value in positional:
        if str(value).strip():
            _render(value, out)
            return
    bare = raw_name.strip()
    if re.fullmatch(r"[A-Z]{3}", bare):  # {{CAN}}, {{GER}}: a country's flag and code
        out.append(("flag", bare))
        out.append(bare)
        return
    if ":" in name or bare.isupper() or name.startswith("#"):
        return  # parser functions and magic words cannot be evaluated here
    out.append(_display_name(raw_name))


def _nothing(node, name, raw_name, out) -> None:
    return None


def _list_template(node: nodes.Template, name: str, raw_name: str, out: list[Any]) -> None:
    positional, _ = _args(node)
    out.append(_BREAK)
    for value in positional:
        _render(value, out)
        out.append(_BREAK)


def _break(node, name, raw_name, out) -> None:
    out.append(_BREAK)


def _first(node, name, raw_name, out) -> None:
    positional, named = _args(node)
    if positional:
        _render(positional[0], out)
    elif "text" in named:
        _render(named["text"], out)
    elif "1" in named:
        _render(named["1"], out)


def _second(node, name, raw_name, out) -> None:
    positional, named = _args(node)
    if len(positional) > 1:
        _render(positional[1], out)
    elif "text" in named:
        _render(named["text"], out)


def _last(node, name, raw_name, out) -> None:
    positional, named = _args(node)
    if positional:
        _render(positional[-1], out)
    elif "text" in named:
        _render(named["text"], out)


def _literal(text: str):
    def handler(node, name, raw_name, out) -> None:
        out.append(text)

    return handler


def _flagicon(node, name, raw_name, out) -> None:
    positional, _ = _args(node)
    side = _arg(positional, 0)
    if side:
        out.append(("flag", side))


def _flagicon_image(node, name, raw_name, out) -> None:
    positional, _ = _args(node)
    file_name = _arg(positional, 0)
    if file_name:
        out.append(("flag", _file_side(file_name)))


def _flag(node, name, raw_name, out) -> None:
    """{{flag|X}} / {{flagcountry|X}}: a flag and the linked name; {{flagu|X}}: unlinked."""
    positional, named = _args(node)
    if name == "flagg":  # {{flagg|mode|X}}
        positional = positional[1:]
    side = _arg(positional, 0)
    if not side:
        return
    text = _flat(named["name"]) if "name" in named else side
    out.append(("flag", side))
    if name not in ("flagu", "flag u"):
        out.append(("link", normalize_link_target(side), text))
    out.append(text)


_MILITARY = {
    "army": "Army", "air force": "Air Force", "navy": "Navy", "armed forces": "Armed Forces",
    "naval": "Navy", "marines": "Marines", "coast guard": "Coast Guard",
}  # fmt: skip


def _military(node, name, raw_name, out) -> None:
    """{{army|Syria}} → flag Syria, "Syria Army" (the real name needs the template's data)."""
    positional, _ = _args(node)
    side = _arg(positional, 0)
    if not side:
        return
    text = f"{side} {_MILITARY[name]}"
    out.append(("flag", side))
    out.append(("link", text, text))
    out.append(text)


def _marker(text: str):
    def handler(node, name, raw_name, out) -> None:
        out.append(text)

    return handler


def _circa(node, name, raw_name, out) -> None:
    positional, _ = _args(node)
    value = _arg(positional, 0)
    out.append(f"c. {value}" if value else "c.")


_RANGE_WORDS = {"-": "–", "–": "–", "—": "–", "to": " to ", "and": " and ", "or": " or ",
                "&": " & ", "x": " × ", "×": " × ", "by": " by ", "+": " + ", "to(-)": " to ",
                "and(-)": " and ", "+/-": " ± ", "±": " ± "}  # fmt: skip


def _convert(node, name, raw_name, out) -> None:
    """{{convert|20|km}} → "20 km"; {{convert|20|-|30|km}} → "20–30 km"."""
    positional, _ = _args(node)
    values = [_arg(positional, i) for i in range(min(len(positional), 6))]
    if not values:
        return
    if len(values) >= 4 and values[1] in _RANGE_WORDS:
        out.append(f"{values[0]}{_RANGE_WORDS[values[1]]}{values[2]} {values[3]}")
    elif len(values) >= 2:
        out.append(f"{values[0]} {values[1]}")
    else:
        out.append(values[0])


def _lang(node, name, raw_name, out) -> None:
    """{{lang|xx|text}}, {{langx|xx|text}}, {{lang-xx|text}}, {{transl|xx|text}}."""
    positional, named = _args(node)
    index = 0 if name.startswith("lang-") else 1
    if index < len(positional):
        _render(positional[index], out)
    elif "text" in named:
        _render(named["text"], out)


def _legend(node, name, raw_name, out) -> None:
    """{{legend|#color|label}}: the label, on a line of its own."""
    positional, named = _args(node)
    out.append(_BREAK)
    if len(positional) > 1:
        _render(positional[1], out)
    elif "text" in named:
        _render(named["text"], out)
    out.append(_BREAK)


def _interlanguage(node, name, raw_name, out) -> None:
    """{{ill|Local|de|Fremd}}: a link to the local page."""
    positional, named = _args(node)
    target = _arg(positional, 0)
    text = _flat(named["lt"]) if "lt" in named else target
    if target:
        out.append(("link", normalize_link_target(target), text))
        out.append(text)


def _sortname(node, name, raw_name, out) -> None:
    positional, named = _args(node)
    text = " ".join(x for x in (_arg(positional, 0), _arg(positional, 1)) if x)
    target = _arg(positional, 2) or text
    if "nolink" in named:
        out.append(text)
        return
    out.append(("link", normalize_link_target(target), text))
    out.append(text)


def _marriage(node, name, raw_name, out) -> None:
    """{{marriage|[[Mary Todd]]|1842|1865}} → "Mary Todd (m. 1842–1865)"."""
    positional, _ = _args(node)
    if positional:
        _render(positional[0], out)
    years = "–".join(x for x in (_arg(positional, 1), _arg(positional, 2)) if x)
    if years:
        out.append(f" (m. {years})")


def _abbr(node, name, raw_name, out) -> None:
    positional, _ = _args(node)
    if positional:
        _render(positional[0], out)


def _coord(node, name, raw_name, out) -> None:
    """{{coord|52|31|N|13|24|E}} → "52°31′N 13°24′E"; decimal forms as they are."""
    positional, _ = _args(node)
    values = [_arg(positional, i) for i in range(len(positional))]
    parts: list[str] = []
    group: list[str] = []
    marks = ("°", "′", "″")
    for value in values:
        if value.upper() in ("N", "S", "E", "W"):
            parts.append("".join(v + marks[i] for i, v in enumerate(group[:3])) + value.upper())
            group = []
        elif re.fullmatch(r"-?\d+(?:\.\d+)?", value):
            group.append(value)
    if group and not parts:
        parts = ["°, ".join(group[:2]) + "°"]
    out.append(" ".join(parts) if parts else "coordinates")


def _formatnum(node, name, raw_name, out) -> None:
    value = raw_name.split(":", 1)[1].strip() if ":" in raw_name else ""
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        out.append(value)
        return
    out.append(f"{number:,.0f}" if number.is_integer() else f"{number:,}")


def _case_function(node, name, raw_name, out) -> None:
    function, _, value = raw_name.partition(":")
    value = _clean_text(value)
    function = function.strip().casefold()
    if function == "lc":
        value = value.lower()
    elif function == "uc":
        value = value.upper()
    elif function == "ucfirst":
        value = value[:1].upper() + value[1:]
    elif function == "lcfirst":
        value = value[:1].lower() + value[1:]
    out.append(value)


# Dates: deterministic renderings only (an age "as of today" would change by itself).

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _month(value: str) -> int | None:
    value = value.strip()
    if value.isdigit():
        month = int(value)
        return month if 1 <= month <= 12 else None
    for i, month_name in enumerate(_MONTH_NAMES):
        if value and month_name.casefold().startswith(value.casefold()[:3]):
            return i + 1
    return None


def _ymd(values: list[str]) -> tuple[int, int | None, int | None] | None:
    if not values or not values[0].strip().lstrip("-").isdigit():
        return None
    year = int(values[0])
    month = _month(values[1]) if len(values) > 1 and values[1].strip() else None
    day = None
    if month and len(values) > 2 and values[2].strip().isdigit():
        day = int(values[2])
    return year, month, day


def _format_date(date: tuple[int, int | None, int | None], day_first: bool) -> str:
    year, month, day = date
    if month is None:
        return str(year)
    if day is None:
        return f"{_MONTH_NAMES[month - 1]} {year}"
    if day_first:
        return f"{day} {_MONTH_NAMES[month - 1]} {year}"
    return f"{_MONTH_NAMES[month - 1]} {day}, {year}"


def _date_template(node, name, raw_name, out) -> None:
    """{{start date|2024|11|27|df=y}} → "27 November 2024"; {{death date and age|…}} adds
    "(aged N)"; {{birth date and age}} shows the date only."""
    positional, named = _args(node)
    values = [_arg(positional, i) for i in range(len(positional))]
    day_first = _flat(named.get("df")).casefold() in ("y", "yes", "1", "true")
    date = _ymd(values[:3])
    if date is None:
        if values:
            out.append(values[0])
        return
    text = _format_date(date, day_first)
    if name in ("death date and age", "dda", "death-date and age") and len(values) >= 4:
        birth = _ymd(values[3:6])
        if birth is not None:
            years = _years_between(birth, date)
            if years is not None:
                text += f" (aged {years})"
    out.append(text)


def _years_between(a: tuple[int, int | None, int | None], b: tuple[int, int | None, int | None]):
    if a[1] is None or b[1] is None:
        return None
    years = b[0] - a[0]
    if (b[1], b[2] or 1) < (a[1], a[2] or 1):
        years -= 1
    return years


def _age_template(node, name, raw_name, out) -> None:
    """{{Age in years, months, weeks and days|year1=…|…|year2=…}} → "1 week and 4 days".
    Without an end date the age is "as of today": nothing is shown."""
    positional, named = _args(node)
    values = [_arg(positional, i) for i in range(len(positional))]

    def date(n: int) -> datetime.date | None:
        keys = (f"year{n}", f"month{n}", f"day{n}")
        if all(k in named for k in keys):
            parts = [_flat(named[k]) for k in keys]
        else:
            parts = values[(n - 1) * 3 : n * 3]
        if len(parts) < 3:
            return None
        try:
            month = _month(parts[1])
            return datetime.date(int(parts[0]), month or 0, int(parts[2]))
        except (TypeError, ValueError):
            return None

    start, end = date(1), date(2)
    if start is None or end is None or end < start:
        return
    years = end.year - start.year
    months = end.month - start.month
    days = end.day - start.day
    if days < 0:
        months -= 1
        previous_month = end.replace(day=1) - datetime.timedelta(days=1)
        days += previous_month.day
    if months < 0:
        years -= 1
        months += 12
    units: list[tuple[int, str]] = []
    if name in ("age", "age in years"):
        out.append(str(years))
        return
    if "years" in name:
        units.append((years, "year"))
    else:
        months += years * 12
    if "months" in name:
        units.append((months, "month"))
    else:  # {{age in days}}, {{age in years and days}}: the days since the last birthday
        anniversary = start.year + (years if "years" in name else 0)
        try:
            days = (end - start.replace(year=anniversary)).days
        except ValueError:  # 29 February
            days = (end - start.replace(year=anniversary, day=28)).days - 1
    if "weeks" in name:
        units += [(days // 7, "week"), (days % 7, "day")]
    elif "days" in name:
        units.append((days, "day"))
    shown = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n]
    if not shown:
        shown = ["0 days"]
    out.append(shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1])


_NOTHING = frozenset(
    # footnotes and references
    {"efn", "efn-ua", "efn-lr", "efn-ur", "efn-lg", "efn-la", "efn-ll", "refn",
     "sfn", "sfnp", "sfnm", "sfnb", "harvnb", "harv", "harvp", "harvtxt", "r", "rp", "ref",
     "ref label", "note label", "notetag", "note", "reflist", "notelist", "cite",
     "citation", "cite web", "cite news", "cite book", "cite journal",
     # maintenance tags
     "cn", "citation needed", "fact", "discuss", "dubious", "dubious inline", "better source",
     "better source needed", "bsn", "when", "clarify", "clarification needed", "update inline",
     "update after", "vague", "according to whom", "by whom", "who", "which", "whom",
     "failed verification", "verification needed", "verify source", "page needed",
     "full citation needed", "unreliable source?", "unreliable source", "disputed inline",
     "original research inline", "or", "self-published inline", "self-published source",
     "third-party inline", "primary source inline", "needs update", "dead link",
     "citation needed span", "cbignore", "specify", "examples", "weasel inline",
     "peacock inline", "pov inline", "npov inline", "contradictory inline", "clarify span",
     "irrelevant citation", "more citations needed span", "nonspecific", "elucidate",
     "year needed", "date missing", "sic", "tone inline", "attribution needed", "by how much",
     "how", "why", "where", "quantify", "unbalanced opinion", "inconsistent", "lopsided",
     "unreliable medical source", "request quotation", "rq", "page numbers needed",
     # icons and layout
     "increase", "decrease", "steady", "increasenegative", "decreasepositive",
     "increasepositive", "decreasenegative", "increaseneutral", "decreaseneutral",
     "nowrap begin", "nowrap end", "clear", "-", "clr", "endplainlist", "startplainlist",
     "endflatlist", "startflatlist", "end plainlist", "start plainlist", "div col end",
     "col-end", "anchor", "short description", "defaultsort", "toc", "void", "nobreak",
     "stack begin", "stack end", "up", "down"}
)  # fmt: skip

_HANDLERS: dict[str, Any] = {}


def _register(handler, *names: str) -> None:
    for name in names:
        _HANDLERS[name] = handler


_register(_flagicon, "flagicon", "flag icon", "flagdeco", "flagicon2", "flagicon-nl")
_register(_flagicon_image, "flagicon image", "flag icon image", "flagdeco image")
_register(_flag, "flag", "flagcountry", "flag country", "flagu", "flag u", "flagg")
_register(_military, *_MILITARY)
_register(_list_template, "ubl", "unbulleted list", "ublist", "unbulleted", "plainlist",
          "plain list", "flatlist", "flat list", "hlist", "bulleted list", "bulletted list",
          "blist", "bullet list", "ordered list", "unordered list", "collapsible list",
          "cslist", "vunblist", "ubil", "unbulleted indent list", "div col", "columns-list",
          "col-begin", "indented plainlist")  # fmt: skip
_register(_break, "pb", "br", "break", "crlf", "hr", "paragraph break", "parabr")
_register(_first, "nowrap", "nobr", "small", "smaller", "big", "larger", "nobold", "noitalic",
          "nobold", "em", "strong", "center", "centre", "bold", "italic", "resize", "font",
          "not a typo", "longitem", "nowraplinks", "url", "tooltip", "hover title", "abbrv",
          "small caps", "smallcaps", "sc", "lower", "nihongo", "nastaliq", "large", "huge",
          "midsize", "text", "plain", "nowrap links", "italic title", "ital", "noitalics",
          "no italic", "nobold", "serif", "mono", "monospace", "clarify span",
          "citation needed span", "abbreviation", "sic?", "nbsp fix", "bigger", "strikethrough",
          "strike", "underline", "sans-serif", "keypress", "highlight", "tooltip2")  # fmt: skip
_register(_second, "color", "colour", "fontcolor", "font color", "native name", "native phrase")
_register(_last, "transl", "transliteration", "lang-rtl", "resize")
_register(_lang, "lang", "langx", "lang-x")
_register(_legend, "legend", "leftlegend", "legend2", "legend inline", "legend-line",
          "legend striped", "legend0", "legend3", "legend-table")  # fmt: skip
_register(_interlanguage, "ill", "interlanguage link", "interlanguage link multi", "link-interwiki")
_register(_sortname, "sortname")
_register(_marriage, "marriage", "married")
_register(_abbr, "abbr", "abbrlink")
_register(_coord, "coord", "coor", "coor d", "coor dm", "coor dms")
_register(_circa, "circa", "c.", "ca.", "ca", "circa.")
_register(_convert, "convert", "cvt")
_register(_marker(KIA_MARKER), "kia", "dow", "executed", "killed in action", "died of wounds")
_register(_marker(" (POW)"), "pow", "prisoner of war")
_register(_marker(" (MIA)"), "mia", "missing in action")
_register(_marker(" (WIA)"), "wia", "wounded in action")
_register(_marker(" (surrendered)"), "surrendered")
_register(_literal("–"), "ndash", "en dash", "dash", "endash", "–")
_register(_literal("—"), "mdash", "em dash", "emdash", "—")
_register(_literal(" – "), "snd", "snds", "spaced ndash", "spnd", "sndash", "spaced en dash")
_register(_literal(" — "), "spaced mdash", "smd", "sm dash")
_register(_literal(" · "), "·", "dot", "middot", "dotsep", "tsep", "·wrap")
_register(_literal(" • "), "•", "bull", "bullet", "ubl bullet")
_register(_literal(" "), "nbsp", "space", "spaces", "thinsp", "hair space", "sp", "zwsp", "ns")
_register(_literal("|"), "!")
_register(_literal("="), "=")
_register(_literal("'"), "'", "apostrophe")
_register(_literal("/"), "slash", "/")
_register(_date_template, "start date", "end date", "start date and age", "end date and age",
          "birth date", "death date", "birth date and age", "death date and age", "dob",
          "bda", "dda", "birth-date", "death-date", "birth date and age2",
          "birth year and age", "death year and age", "start and end dates", "date",
          "film date", "release date", "start-date", "end-date")  # fmt: skip
_register(_age_template, "age in years, months, weeks and days", "age in years, months and days",
          "age in years and days", "age in days", "age in years and months",
          "age in years, months, and days", "age in months, weeks and days",
          "age in weeks and days", "age in years", "age")  # fmt: skip
_register(_nothing, "#tag:ref")

_PREFIX_HANDLERS: tuple[tuple[str, Any], ...] = (
    ("formatnum:", _formatnum),
    ("lc:", _case_function),
    ("uc:", _case_function),
    ("ucfirst:", _case_function),
    ("lcfirst:", _case_function),
    ("#tag:", _nothing),
    ("#", _nothing),
    ("lang-", _lang),
    ("cite ", _nothing),
    ("efn", _nothing),
)


# -- items ----------------------------------------------------------------------------------


def _heading(text: str) -> str | None:
    """``United States:`` on a line of its own (a label over the lines below)."""
    if text.endswith(":") and len(text) <= 60 and not re.search(r"\d", text):
        label = text[:-1].strip()
        if label and len(label.split()) <= 6:
            return label
    return None


def _bold_label(item: RenderedItem) -> str | None:
    """``'''France:''' 10,000 killed`` → France."""
    for bold in item.bold[:1]:
        if not item.text.startswith(bold):
            continue
        label = bold[:-1] if bold.endswith(":") else None
        if label is None and item.text[len(bold) : len(bold) + 1] == ":":
            label = bold
        if label and not re.search(r"\d", label) and len(label.split()) <= 6:
            return label.strip()
    return None


_NUMBERISH = re.compile(
    r"(?:\b(?:c|ca|circa|approx|approximately|about|around|roughly|nearly|almost|some|est|"
    r"estimated|over|at\s+least|more\s+than|up\s+to)\.?\s*|[~≈>≥<≤])?"
    r"\d[\d,.]*\+?(?:\s*(?:million|thousand|billion)\b)?"
    r"(?:\s*(?:[–—−-]|to)\s*\d[\d,.]*\+?(?:\s*(?:million|thousand|billion)\b)?)?",
    re.IGNORECASE,
)


def _text_key(text: str) -> str:
    key = _NUMBERISH.sub(" ", text)
    key = re.sub(r"[\s–—-]+(?=[\s,;)]|$)", " ", key)  # a dash left from a range
    return _WS.sub(" ", key).strip(" ,;:–—-").casefold()


def _build_items(field: str, raw_items: list[RenderedItem]) -> tuple[Item, ...]:
    built: list[tuple[str, str, RenderedItem, str | None]] = []  # key, text key, raw, side
    heading: str | None = None
    for raw in raw_items:
        label = _heading(raw.text)
        bold_label = _bold_label(raw)
        flags = raw.flags or [
            _file_side(image)
            for image in raw.images[:1]
            if "flag" in image.casefold() and raw.text != image  # [[File:Flag of X.svg|20px]]
        ]
        side = flags[0] if flags else None
        if side is None:
            side = bold_label or (heading if label is None else None)
        if side is None and raw.links:
            side = raw.links[0][1] or None
        if label is not None or bold_label is not None:
            heading = label or bold_label  # a bold "Germans:" labels the lines below too
        text_key = _text_key(raw.text)
        if raw.links and raw.links[0][0]:
            key = raw.links[0][0]
        elif flags:
            key = flags[0]
        else:
            key = text_key
        built.append((key, text_key, raw, side))
    # Keys colliding within the field: told apart by their text, then by their position.
    counts: dict[str, int] = {}
    for key, *_ in built:
        counts[key] = counts.get(key, 0) + 1
    items: list[Item] = []
    seen: dict[str, int] = {}
    for key, text_key, raw, side in built:
        if counts[key] > 1 and text_key and text_key != key.casefold():
            key = f"{key} / {text_key}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key} #{seen[key]}"
        figures = tuple(
            Figure(
                item=raw.text, side=side, category=category, number=low, low=low, high=high,
                approximate=approximate, plus=plus,
            )
            for category, low, high, approximate, plus in find_figures(raw.text, field)
        )  # fmt: skip
        items.append(Item(key=key, text=raw.text, figures=figures))
    return tuple(items)


# -- figures --------------------------------------------------------------------------------

_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("casualties", r"(?:killed|dead)\s*(?:,|and|or|&|/)\s*(?:wounded|injured)"),
    ("killed", r"killed|kia|dead|deaths?|died|dies|fatalities|fatality|executed|slain|martyred|"
               r"murdered|massacred|lives\s+lost|lost\s+their\s+lives|perished|drowned"),
    ("wounded", r"wounded|injured|injuries|injury|wia|hurt|wounds"),
    ("captured", r"captured|prisoners?|pows?|taken\s+prisoner|surrendered|hostages?|"
                 r"abducted|kidnapped"),
    ("missing", r"missing|mia|disappeared|unaccounted"),
    ("arrested", r"arrested|arrests?|detained|detainees?|detentions?|jailed|imprisoned"),
    ("displaced", r"displaced|refugees?|idps?|evacuated|evacuees|fled|homeless|uprooted"),
    ("deserted", r"deserted|deserters?|defected|defectors?"),
    ("destroyed", r"destroyed|shot\s+down|sunk|downed"),
    ("casualties", r"casualties|casualty|losses"),
)  # fmt: skip
_CATEGORY = re.compile(
    "|".join(rf"(?P<{f'c{i}'}>\b(?:{pattern})\b)" for i, (_, pattern) in enumerate(_CATEGORIES)),
    re.IGNORECASE,
)
_CATEGORY_NAMES = {f"c{i}": name for i, (name, _) in enumerate(_CATEGORIES)}

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULTIPLIER = r"million|thousand|billion|mln|bn"
_FIGURE = re.compile(
    rf"(?<!\w)(?<!\d[.,])(?P<a>{_NUM})(?:\s*(?P<amul>{_MULTIPLIER})\b)?"
    rf"(?:\s*(?P<sep>[–—−-]|to)\s*(?P<b>{_NUM})(?:\s*(?P<bmul>{_MULTIPLIER})\b)?)?"
    r"(?P<plus>\+)?(?P<after>[^\W\d_]+|%|°|′|″)?",
    re.IGNORECASE,
)
_MONTHS_RE = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTH_AFTER = re.compile(rf"\s*(?:{_MONTHS_RE})\b", re.IGNORECASE)
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTHS_RE})\.?\s*$", re.IGNORECASE)
_UNIT_AFTER = re.compile(
    r"\s*(?:km|kilomet(?:re|er)s?|mi|miles?|m|met(?:re|er)s?|ft|feet|foot|sq|square|ha|"
    r"hectares?|acres?|kg|tonnes?|tons?|years?|yrs?|months?|weeks?|days?|hours?|minutes?|"
    r"percent|per\s*cent|%|°|mm|cm|inches|nmi|knots?|mph|km/h|am|pm|a\.m\.|p\.m\.|"
    r"bc|bce|ad|ce|st|nd|rd|th)\b",
    re.IGNORECASE,
)
_APPROX_BEFORE = re.compile(
    r"(?:\b(?:c|ca|circa|approx|approximately|about|around|roughly|nearly|almost|some|est|"
    r"estimated|reportedly|an\s+estimated|up\s+to\s+c)\.?|[~≈∼])\s*$",
    re.IGNORECASE,
)
_PLUS_BEFORE = re.compile(
    r"(?:\b(?:over|more\s+than|at\s+least|in\s+excess\s+of|upwards\s+of|minimum\s+of|min\.)|"
    r"[>≥])\s*$",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[,;()\[\]\n]|\.\s|\s[–—]\s")


def _number(digits: str, multiplier: str | None) -> int | None:
    plain = digits.replace(",", "")
    try:
        value = float(plain)
    except ValueError:
        return None
    if multiplier:
        factor = {"million": 1e6, "mln": 1e6, "thousand": 1e3, "billion": 1e9, "bn": 1e9}
        value *= factor[multiplier.casefold()]
    elif "." in plain and "," not in digits:
        # "1.000" is a thousand in many languages; other decimals are not counts
        whole, _, fraction = plain.partition(".")
        if len(fraction) == 3 and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):
            value = float(digits.replace(".", ""))
        else:
            return None
    return round(value)


def _is_year(digits: str, multiplier: str | None) -> bool:
    return (
        multiplier is None and digits.isdigit() and len(digits) == 4 and 1000 <= int(digits) <= 2100
    )


def find_figures(text: str, field: str = "") -> list[tuple[str | None, int, int, bool, bool]]:
    """The figures of one item's display text: (category, low, high, approximate, plus).

    A number is a figure when a category word follows it in its clause (up to the next
    comma, semicolon, parenthesis or number) or, failing that, precedes it there; in a
    ``strength`` field every number is one (category ``strength`` unless a word says
    otherwise), in a ``casualties`` field a bare number is one when its item has no other.
    Not figures: years (four digits with no category word right after them), dates
    ("27 November"), ordinals and measurements ("5th", "10 km", "75%"), decimals.
    """
    field_kind = re.sub(r"\d+$", "", field.casefold().strip())
    strength = field_kind.startswith("strength")
    casualties = field_kind.startswith(("casualties", "casualty", "losses"))
    found: list[list[Any]] = []  # [category, low, high, approximate, plus]
    bare: list[list[Any]] = []
    consumed = 0  # text before this belongs to earlier figures
    matches = list(_FIGURE.finditer(text))
    for index, match in enumerate(matches):
        after = match.group("after")
        a, amul, b, bmul = match.group("a", "amul", "b", "bmul")
        if after:  # "5th", "10km", "75%", "1990s"
            continue
        rest = text[match.end() :]
        before = text[: match.start()]
        if _UNIT_AFTER.match(rest):
            continue
        if (
            not amul
            and not b
            and a.isdigit()
            and int(a) <= 31
            and (_MONTH_AFTER.match(rest) or _MONTH_BEFORE.search(before))
        ):
            continue  # a day of a date
        if b and not bmul and b.isdigit() and int(b) <= 31 and _MONTH_AFTER.match(rest):
            continue  # "27–30 November"
        low = _number(a, amul or bmul)
        high = _number(b, bmul) if b else low
        if low is None or high is None:
            continue
        # Its clause: forward to a boundary or the next number, backward likewise.
        next_start = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        forward = rest[: next_start - match.end()]
        if (stop := _BOUNDARY.search(forward)) is not None:
            forward = forward[: stop.start()]
        back_from = consumed
        if index and matches[index - 1].end() > back_from:
            back_from = matches[index - 1].end()
        backward = text[back_from : match.start()]
        if stops := list(_BOUNDARY.finditer(backward)):
            backward = backward[stops[-1].end() :]
        category = None
        if (word := _CATEGORY.search(forward)) is not None:
            category = _CATEGORY_NAMES[word.lastgroup]
            consumed = match.end() + word.end()
            category_right_after = not forward[: word.start()].strip()
        else:
            if (word := _backward_category(backward)) is not None:
                category = word
            category_right_after = False
            consumed = max(consumed, match.end())
        year_like = _is_year(a, amul) and (not b or _is_year(b, bmul))
        if year_like and not category_right_after:
            continue
        window = text[max(0, match.start() - 30) : match.start()]
        approximate = bool(_APPROX_BEFORE.search(window))
        plus = bool(match.group("plus")) or bool(_PLUS_BEFORE.search(window))
        entry = [category, min(low, high), max(low, high), approximate, plus]
        if category is not None:
            found.append(entry)
        elif strength:
            entry[0] = "strength"
            found.append(entry)
        elif casualties:
            bare.append(entry)
    if casualties and not found and bare:
        for entry in bare:
            entry[0] = "casualties"
        found = bare
    return [tuple(entry) for entry in found]  # type: ignore[misc]


def _backward_category(backward: str) -> str | None:
    last = None
    for word in _CATEGORY.finditer(backward):
        last = word
    return _CATEGORY_NAMES[last.lastgroup] if last is not None else None
