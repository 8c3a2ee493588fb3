"""What a reader sees of one infobox value: its items, rendered from wikitext.

Pure functions, no I/O. :func:`display_items` parses one value (cleaned by
:mod:`monitor.core.clean`) with mwparserfromhell and renders it into :class:`RenderedItem`
s, with their flags, links, images and bold labels; templates are rendered as the
catalogue (:mod:`monitor.core.catalogue`) says.

* References, comments, footnote templates and maintenance tags vanish (a ``<ref>`` never
  closed hides the rest of its item only); flag icons vanish but are noted (the item's
  *side*); links show their text; markup is removed; entities become characters;
  whitespace is collapsed. ``{{KIA}}`` is rendered as ``KIA_MARKER`` (" †", the dagger
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
* Templates are rendered by handlers (:data:`Handler`), registered by name in the
  catalogue.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import mwparserfromhell
from mwparserfromhell import nodes
from mwparserfromhell.parser import ParserError
from mwparserfromhell.wikicode import Wikicode

# The catalogue's handlers render their arguments with this module, and this module asks
# the catalogue how to render a template: each refers to the other as a module, so either
# can be imported first.
from . import catalogue
from .names import spaced, upper_first
from .scan import normalize_template_name

__all__ = [
    "BREAK",
    "Handler",
    "Out",
    "RenderedItem",
    "Token",
    "display_items",
    "file_side",
    "flat",
    "normalize_link_target",
    "render_code",
    "template_args",
    "text_arg",
]

_WS = re.compile(r"\s+")

# -- rendering ------------------------------------------------------------------------------

# The renderer writes a flat list: strings (text), None (an item break), and annotations:
# ("flag", side), ("link", target, text), ("image", file name), ("bold", text), ("term",)
# (a ";" definition term: a heading), ("para",) (a blank line: a new paragraph).

BREAK = None
Token = str | tuple[str, ...] | None  # text, an annotation, or BREAK
Out = list[Token]  # what the renderer writes
Handler = Callable[[nodes.Template, str, str, Out], None]  # (template, name, raw name, out)


@dataclass
class RenderedItem:
    """One item as rendered, with what identifies it: flags (sides), links (target, text),
    images (file names) and bold passages, in order; whether it is a ``;`` term (a
    heading), and whether a blank line (a new paragraph) comes before it."""

    text: str
    flags: list[str]
    links: list[tuple[str, str]]
    images: list[str]
    bold: list[str]
    term: bool = False
    after_gap: bool = False


def display_items(wikitext: str) -> list[RenderedItem]:
    """Render one field value (without references) into its items, with their flags,
    links, images and bold labels; empty items are dropped."""
    out: list[Token] = []
    try:
        code = mwparserfromhell.parse(wikitext, skip_style_tags=False)
    except ParserError:  # the parser's own failure (never seen): readable text regardless
        _text(_plain_text(wikitext), out)
    else:
        render_code(code, out)
    items: list[RenderedItem] = []
    current = RenderedItem("", [], [], [], [])
    texts: list[str] = []
    gap = False  # a blank line since the last item

    def close() -> None:
        nonlocal current, texts, gap
        text = clean_text("".join(texts))
        if not text and current.images:
            text = current.images[0]
        if text:
            current.text = text
            current.after_gap = gap and bool(items)
            gap = False
            items.append(current)
        current = RenderedItem("", [], [], [], [])
        texts = []

    for token in out:
        if token is BREAK:
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
            elif kind == "term":
                current.term = True
            elif kind == "para":
                gap = True
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
        handler = catalogue.handler_for(normalize_template_name(name))
        if handler is catalogue.list_template:
            return "\n" + "\n".join(positional) + "\n"
        if handler in catalogue.SHOWS_NO_TEXT or not positional:
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


def clean_text(text: str) -> str:
    if "''" in text:
        text = _QUOTES.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = _WS.sub(" ", text).strip()
    return text.strip(_EDGE_PUNCT)


def flat(code: Wikicode | None) -> str:
    """A piece of wikitext rendered on one line (breaks as spaces, annotations dropped)."""
    if code is None:
        return ""
    out: Out = []
    render_code(code, out)
    return clean_text("".join(t if isinstance(t, str) else " " if t is None else "" for t in out))


def render_code(code: Wikicode, out: Out) -> None:
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
                    render_code(node.title, out)
            else:
                out.append(str(node.url))
        elif isinstance(node, nodes.HTMLEntity):
            try:
                out.append(node.normalize())
            except (ValueError, OverflowError):
                out.append(str(node))
        elif isinstance(node, nodes.Heading):
            out.append(BREAK)
            render_code(node.title, out)
            out.append(BREAK)
        elif isinstance(node, nodes.Argument) and node.default is not None:
            render_code(node.default, out)
        # Comments (and anything else) show nothing.


_STRAY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


def _text(value: str, out: Out) -> None:
    if "<" in value:  # an unclosed <center>, <small>…: the tag itself shows nothing
        value = _STRAY_TAG.sub("", value)
    if "\n" not in value:
        out.append(value)
        return
    lines = value.split("\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if i:
            out.append(BREAK)
        if 0 < i < last and not line.strip():
            out.append(("para",))
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
    target = spaced(html.unescape(target).split("#", 1)[0]).lstrip(":").strip()
    return upper_first(target)


def file_side(file_name: str) -> str:
    """``Flag_of_the_Syrian_Salvation_Government.svg`` → ``Syrian Salvation Government``."""
    name = spaced(file_name)
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
    title = flat(node.title)
    colon = title.startswith(":")
    bare = title.lstrip(":").strip()
    namespace = bare.split(":", 1)[0].strip().casefold() if ":" in bare else ""
    if namespace in _FILE_NAMESPACES and not colon:
        file_name = spaced(bare.split(":", 1)[1])
        out.append(("image", file_name))
        return
    prefix = bare.split(":", 1)[0].strip() if ":" in bare else ""
    if not colon and (
        namespace in _HIDDEN_NAMESPACES or (node.text is None and _INTERWIKI.match(prefix))
    ):
        return  # [[Category:…]] and interlanguage links [[de:…]] show nothing here
    if node.text is not None:
        text = flat(node.text)
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
        out.append(BREAK)
        if tag == "dt":
            out.append(("term",))
        if node.contents is not None and tag != "br":
            render_code(node.contents, out)  # <li>…</li> written as HTML
        return
    if tag in _HIDDEN_TAGS or node.contents is None:
        return
    if tag in ("b", "strong"):
        start = len(out)
        render_code(node.contents, out)
        bold = "".join(t for t in out[start:] if isinstance(t, str))
        out.insert(start, ("bold", clean_text(bold)))
        return
    if tag in ("nowiki", "pre", "math"):
        out.append(html.unescape(str(node.contents)).replace("\n", " "))
        return
    if tag in _BLOCK_TAGS:
        out.append(BREAK)
        render_code(node.contents, out)
        out.append(BREAK)
        return
    if tag in ("td", "th"):
        render_code(node.contents, out)
        out.append(" ")
        return
    render_code(node.contents, out)  # inline tags and anything unknown: their contents


def template_args(template: nodes.Template) -> tuple[list[Wikicode], dict[str, Wikicode]]:
    """Positional arguments (by number, as MediaWiki: a later duplicate wins) and named."""
    numbered: dict[int, Wikicode] = {}
    named: dict[str, Wikicode] = {}
    for param in template.params:
        key = str(param.name).strip()
        if ascii_digits(key, 4):
            numbered[int(key)] = param.value
        else:
            named[key.casefold()] = param.value
    if not numbered:
        return [], named
    top = max(numbered)
    if top > 50:  # absurd numbering: keep what there is, in order
        return [numbered[k] for k in sorted(numbered)], named
    return [numbered.get(i, _EMPTY) for i in range(1, top + 1)], named


_EMPTY = mwparserfromhell.parse("")  # a missing argument (only ever read)


def ascii_digits(text: str, most: int) -> bool:
    """Whether ``text`` is 1 to ``most`` ASCII digits (``str.isdigit`` also accepts "²",
    which ``int`` refuses)."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def text_arg(args: list[Wikicode], index: int) -> str:
    return flat(args[index]) if index < len(args) else ""


def _template(node: nodes.Template, out: Out) -> None:
    raw_name = flat(node.name) if node.name.filter_templates() else str(node.name)
    name = normalize_template_name(raw_name.split("<!--")[0])
    catalogue.handler_for(name)(node, name, raw_name, out)
