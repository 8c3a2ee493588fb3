"""What a reader sees of one infobox value: its items, rendered from wikitext.

Pure functions, no I/O. :func:`clean_value` removes what a reader never sees (references
in all their forms, comments) and repairs braces a broken template left open;
:func:`display_items` parses the value with mwparserfromhell and renders it into
:class:`RenderedItem` s, with their flags, links, images and bold labels.

* References, comments, footnote templates and maintenance tags vanish (a ``<ref>`` never
  closed hides the rest of its item only); flag icons vanish but are noted (the item's
  *side*); links show their text; markup is removed; entities become characters;
  whitespace is collapsed. ``{{KIA}}`` is rendered as :data:`KIA_MARKER` (" †", the dagger
  the template shows); ``{{POW}}``/``{{MIA}}``/``{{WIA}}`` as " (POW)" etc. An image
  (``[[File:X.jpg|…]]``, or a bare file name) shows as its file name, so that adding one
  is a visible change; as an icon next to text it shows nothing. ``{{sic|text}}`` shows
  its text. Unknown templates show their first positional argument, or their name when
  they have none.
* Items: list templates (``{{ubl}}``, ``{{plainlist}}``, ``{{flatlist}}``, ``{{hlist}}``,
  ``{{collapsible list}}``…), bullets, ``<br>`` in every spelling, ``{{pb}}`` and newlines
  split a value into items; nested lists are flattened in order; empty items are dropped.
* Broken wikitext degrades locally: a template left unclosed inside a value shows as text
  without breaking the list around it (every such ``{{`` is escaped where it stands before
  the value is parsed, so the parser never backtracks over it). Template arguments are
  read defensively (a parameter named "²" is a name, not a number), so a template never
  falls back to raw wikitext.
* Templates are rendered by handlers (:data:`Handler`), registered by name.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import mwparserfromhell
from mwparserfromhell import nodes
from mwparserfromhell.parser import ParserError
from mwparserfromhell.wikicode import Wikicode

from .numbers import exact_value
from .scan import COMMENT as _COMMENT
from .scan import display_template_name, normalize_template_name

__all__ = [
    "KIA_MARKER",
    "Handler",
    "Out",
    "RenderedItem",
    "Token",
    "clean_value",
    "display_items",
    "file_side",
    "normalize_link_target",
]

KIA_MARKER = " †"  # what {{KIA}} (and {{DOW}}, {{Executed}}) display: a dagger
_WS = re.compile(r"\s+")

# -- cleaning -------------------------------------------------------------------------------

_REF_SELF_CLOSING = re.compile(r"<ref\b[^>]*?/\s*>", re.IGNORECASE)
# A reference's contents never hold another "<ref": one that does was left unclosed.
_REF_PAIRED = re.compile(r"<ref\b[^>]*>(?:(?!<ref\b).)*?</ref\s*>", re.IGNORECASE | re.DOTALL)
_REF_OPEN = re.compile(r"<ref\b[^>]*>", re.IGNORECASE)
_STRAY_REF_CLOSE = re.compile(r"</ref\s*>", re.IGNORECASE)
_ITEM_END = re.compile(r"\{\{|\}\}|\[\[|\]\]|\||\n|<br\b", re.IGNORECASE)
_BR_SPELLINGS = re.compile(r"<\s*/?\s*br\b[^<>]*>", re.IGNORECASE)


def clean_value(raw: str) -> str:
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
    for pos in escaped:
        pipes.update(_own_pipes(text, pos + 2, _end_of_broken(text, pos, spans), escaped))
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


def _own_pipes(text: str, start: int, stop: int, escaped: set[int]) -> list[int]:
    """The ``|`` of ``text[start:stop]`` outside the templates and links nested in it (an
    escaped ``{{`` is text, not a template)."""
    depth = 0
    found: list[int] = []
    for match in _NESTING.finditer(text, start, stop):
        token = match.group()
        if token == "{{" and match.start() in escaped:
            continue
        if token in ("{{", "[["):
            depth += 1
        elif token in ("}}", "]]"):
            depth = max(0, depth - 1)
        elif depth == 0:
            found.append(match.start())
    return found


# -- rendering ------------------------------------------------------------------------------

# The renderer writes a flat list: strings (text), None (an item break), and annotations:
# ("flag", side), ("link", target, text), ("image", file name), ("bold", text).

_BREAK = None
Token = str | tuple[str, ...] | None  # text, an annotation, or _BREAK
Out = list[Token]  # what the renderer writes
Handler = Callable[[nodes.Template, str, str, Out], None]  # (template, name, raw name, out)


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
    out: list[Token] = []
    try:
        code = mwparserfromhell.parse(wikitext, skip_style_tags=False)
    except ParserError:  # the parser's own failure (never seen): readable text regardless
        _text(_plain_text(wikitext), out)
    else:
        _render(code, out)
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


_INNERMOST_TEMPLATE = re.compile(r"\{\{([^{}]*)\}\}")
_PLAIN_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]|]*)\]\]")
_MARKUP = re.compile(r"\{\{|\}\}|\[\[|\]\]|<[^<>]*>")


def _plain_text(wikitext: str) -> str:
    """A rough reading of wikitext without the parser (its last resort): a template shows
    its first positional argument (a list template each, on lines of their own), a link
    its text; other markup is dropped."""

    def template(match: re.Match[str]) -> str:
        name, *args = match.group(1).split("|")
        positional = [a.strip() for a in args if "=" not in a]
        handler = _HANDLERS.get(normalize_template_name(name))
        if handler is _list_template:
            return "\n" + "\n".join(positional) + "\n"
        if handler in (_flagicon, _flagicon_image, _nothing) or not positional:
            return ""
        return positional[0]

    text = _PLAIN_LINK.sub(r"\1", wikitext)
    for _ in range(20):
        text, replaced = _INNERMOST_TEMPLATE.subn(template, text)
        if not replaced:
            break
    return _MARKUP.sub("", text.replace("<br>", "\n"))


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
    out: Out = []
    _render(code, out)
    return _clean_text("".join(t if isinstance(t, str) else " " if t is None else "" for t in out))


def _render(code: Wikicode, out: Out) -> None:
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


def _text(value: str, out: Out) -> None:
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


def file_side(file_name: str) -> str:
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


def _wikilink(node: nodes.Wikilink, out: Out) -> None:
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


def _tag(node: nodes.Tag, out: Out) -> None:
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
        if _ascii_digits(key, 4):
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


def _ascii_digits(text: str, most: int) -> bool:
    """Whether ``text`` is 1 to ``most`` ASCII digits (``str.isdigit`` also accepts "²",
    which ``int`` refuses)."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def _arg(args: list[Wikicode], index: int) -> str:
    return _flat(args[index]) if index < len(args) else ""


def _template(node: nodes.Template, out: Out) -> None:
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


def _unknown(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
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
    out.append(display_template_name(raw_name))


def _nothing(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    return None


def _list_template(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, _ = _args(node)
    out.append(_BREAK)
    for value in positional:
        _render(value, out)
        out.append(_BREAK)


def _break(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    out.append(_BREAK)


def _first(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, named = _args(node)
    if positional:
        _render(positional[0], out)
    elif "text" in named:
        _render(named["text"], out)
    elif "1" in named:
        _render(named["1"], out)


def _second(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, named = _args(node)
    if len(positional) > 1:
        _render(positional[1], out)
    elif "text" in named:
        _render(named["text"], out)


def _last(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, named = _args(node)
    if positional:
        _render(positional[-1], out)
    elif "text" in named:
        _render(named["text"], out)


def _flagicon(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, _ = _args(node)
    side = _arg(positional, 0)
    if side:
        out.append(("flag", side))


def _flagicon_image(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, _ = _args(node)
    file_name = _arg(positional, 0)
    if file_name:
        out.append(("flag", file_side(file_name)))


def _flag(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
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


def _military(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    """{{army|Syria}} → flag Syria, "Syria Army" (the real name needs the template's data)."""
    positional, _ = _args(node)
    side = _arg(positional, 0)
    if not side:
        return
    text = f"{side} {_MILITARY[name]}"
    out.append(("flag", side))
    out.append(("link", text, text))
    out.append(text)


def _shows(text: str) -> Handler:
    """A handler for a template that always shows ``text`` ({{KIA}}, {{ndash}}, {{!}})."""

    def handler(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
        out.append(text)

    return handler


def _sic(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    """{{sic|Hel|lo}} → "Hello": the text as written (the editorial "[sic]" is dropped,
    like other maintenance marks)."""
    positional, _ = _args(node)
    for value in positional:
        _render(value, out)


def _circa(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, _ = _args(node)
    value = _arg(positional, 0)
    out.append(f"c. {value}" if value else "c.")


_RANGE_WORDS = {"-": "–", "–": "–", "—": "–", "to": " to ", "and": " and ", "or": " or ",
                "&": " & ", "x": " × ", "×": " × ", "by": " by ", "+": " + ", "to(-)": " to ",
                "and(-)": " and ", "+/-": " ± ", "±": " ± "}  # fmt: skip


def _convert(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
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


def _lang(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    """{{lang|xx|text}}, {{langx|xx|text}}, {{lang-xx|text}}, {{transl|xx|text}}."""
    positional, named = _args(node)
    index = 0 if name.startswith("lang-") else 1
    if index < len(positional):
        _render(positional[index], out)
    elif "text" in named:
        _render(named["text"], out)


def _legend(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    """{{legend|#color|label}}: the label, on a line of its own."""
    positional, named = _args(node)
    out.append(_BREAK)
    if len(positional) > 1:
        _render(positional[1], out)
    elif "text" in named:
        _render(named["text"], out)
    out.append(_BREAK)


def _interlanguage(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    """{{ill|Local|de|Fremd}}: a link to the local page."""
    positional, named = _args(node)
    target = _arg(positional, 0)
    text = _flat(named["lt"]) if "lt" in named else target
    if target:
        out.append(("link", normalize_link_target(target), text))
        out.append(text)


def _sortname(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, named = _args(node)
    text = " ".join(x for x in (_arg(positional, 0), _arg(positional, 1)) if x)
    target = _arg(positional, 2) or text
    if "nolink" in named:
        out.append(text)
        return
    out.append(("link", normalize_link_target(target), text))
    out.append(text)


def _marriage(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    """{{marriage|[[Mary Todd]]|1842|1865}} → "Mary Todd (m. 1842–1865)"."""
    positional, _ = _args(node)
    if positional:
        _render(positional[0], out)
    years = "–".join(x for x in (_arg(positional, 1), _arg(positional, 2)) if x)
    if years:
        out.append(f" (m. {years})")


def _abbr(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    positional, _ = _args(node)
    if positional:
        _render(positional[0], out)


def _coord(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
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


def _formatnum(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
    value = raw_name.split(":", 1)[1].strip() if ":" in raw_name else ""
    number = exact_value(value.replace(",", "")) if len(value) <= 40 else None
    if number is None:
        out.append(value)
    elif number == number.to_integral_value():
        out.append(f"{int(number):,}")
    else:
        out.append(f"{number:,}")


def _case_function(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
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
    if _ascii_digits(value, 2):
        month = int(value)
        return month if 1 <= month <= 12 else None
    for i, month_name in enumerate(_MONTH_NAMES):
        if value and month_name.casefold().startswith(value.casefold()[:3]):
            return i + 1
    return None


Date = tuple[int, int | None, int | None]  # year, month, day


def _ymd(values: list[str]) -> Date | None:
    if not values or not _ascii_digits(values[0].strip().removeprefix("-"), 6):
        return None
    year = int(values[0])
    month = _month(values[1]) if len(values) > 1 and values[1].strip() else None
    day = None
    if month and len(values) > 2 and _ascii_digits(values[2].strip(), 2):
        day = int(values[2])
    return year, month, day


def _format_date(date: Date, day_first: bool) -> str:
    year, month, day = date
    if month is None:
        return str(year)
    if day is None:
        return f"{_MONTH_NAMES[month - 1]} {year}"
    if day_first:
        return f"{day} {_MONTH_NAMES[month - 1]} {year}"
    return f"{_MONTH_NAMES[month - 1]} {day}, {year}"


def _date_template(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
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


def _years_between(a: Date, b: Date) -> int | None:
    if a[1] is None or b[1] is None:
        return None
    years = b[0] - a[0]
    if (b[1], b[2] or 1) < (a[1], a[2] or 1):
        years -= 1
    return years


def _age_template(node: nodes.Template, name: str, raw_name: str, out: Out) -> None:
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
        except (TypeError, ValueError, OverflowError):
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
     "cbignore", "specify", "examples", "weasel inline",
     "peacock inline", "pov inline", "npov inline", "contradictory inline",
     "irrelevant citation", "more citations needed span", "nonspecific", "elucidate",
     "year needed", "date missing", "tone inline", "attribution needed", "by how much",
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

_HANDLERS: dict[str, Handler] = {}


def _register(handler: Handler, *names: str) -> None:
    for name in names:
        if name in _HANDLERS:  # the later registration would silently win
            raise ValueError(f"template {name!r} registered twice")
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
          "em", "strong", "center", "centre", "bold", "italic", "font",
          "not a typo", "longitem", "nowraplinks", "url", "tooltip", "hover title", "abbrv",
          "small caps", "smallcaps", "sc", "lower", "nihongo", "nastaliq", "large", "huge",
          "midsize", "text", "plain", "nowrap links", "italic title", "ital", "noitalics",
          "no italic", "serif", "mono", "monospace", "clarify span",
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
_register(_shows(KIA_MARKER), "kia", "dow", "executed", "killed in action", "died of wounds")
_register(_shows(" (POW)"), "pow", "prisoner of war")
_register(_shows(" (MIA)"), "mia", "missing in action")
_register(_shows(" (WIA)"), "wia", "wounded in action")
_register(_shows(" (surrendered)"), "surrendered")
_register(_shows("–"), "ndash", "en dash", "dash", "endash", "–")
_register(_shows("—"), "mdash", "em dash", "emdash", "—")
_register(_shows(" – "), "snd", "snds", "spaced ndash", "spnd", "sndash", "spaced en dash")
_register(_shows(" — "), "spaced mdash", "smd", "sm dash")
_register(_shows(" · "), "·", "dot", "middot", "dotsep", "tsep", "·wrap")
_register(_shows(" • "), "•", "bull", "bullet", "ubl bullet")
_register(_shows(" "), "nbsp", "space", "spaces", "thinsp", "hair space", "sp", "zwsp", "ns")
_register(_shows("|"), "!")
_register(_shows("="), "=")
_register(_shows("'"), "'", "apostrophe")
_register(_shows("/"), "slash", "/")
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
_register(_sic, "sic")

_PREFIX_HANDLERS: tuple[tuple[str, Handler], ...] = (
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
