"""A generator of edits to real infobox fields, visible and invisible to a reader, and the
measure of how the semantic diff answers them (recall of visible edits, silence on
invisible ones). Used by tests/unit/test_visible_edits.py (a small deterministic slice)
and tests/integration/test_visible_edits.py (every field of the shared corpus).

What a reader sees is decided here, independently of the extraction: the text of a value
outside references and comments, link labels, and the arguments that display templates
show (:data:`SHOWN`, written from the templates' documentation); for a template the
catalogue does not know, its positional and non-presentational named arguments (the
documented principle). Edits:

* visible — a word gets letters appended ("Moon" → "Moonzq") or is deleted, a digit
  changes, a {{increase}} becomes a {{decrease}};
* invisible — a reference is added or its text changed, a comment is added, a space is
  doubled or becomes a no-break space, a word is wrapped in {{nowrap}}, a link's target
  changes behind the same label.

A visible edit must give at least one change record; an invisible one none.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import mwparserfromhell
from mwparserfromhell import nodes
from mwparserfromhell.wikicode import Wikicode

from monitor.core import catalogue
from monitor.core.diff import diff_wikitext
from monitor.core.scan import find_infobox, infobox_params, normalize_template_name
from monitor.sources.xmldump import DumpPage, read_dump
from storage import Revision

# Template → which arguments it shows: positions (1-based), names, "*" (every positional),
# "last" (the last positional). Only templates listed here (or unknown to the catalogue)
# are edited inside; the others (flag icons, codes, dates written as numbers) are left as
# they are, except for digits of the arguments listed in DIGITS.
SHOWN: dict[str, tuple[object, ...]] = {
    **{name: (1,) for name in (
        "nowrap", "small", "big", "nobold", "noitalic", "nastaliq", "abbr", "tooltip",
        "circa", "url", "flag", "flagcountry", "flagu", "army", "air force", "navy",
        "armed forces", "center", "smaller", "larger", "sic")},
    **{name: ("*",) for name in (
        "ubl", "unbulleted list", "plainlist", "flatlist", "hlist", "vunblist", "taxon list",
        "based on", "medalgold", "medalsilver", "medalbronze", "collapsible list", "ublist",
        "bulleted list", "plain list", "flat list")},
    "collapsible list": ("*", "title"),
    "lang": (2,), "native name": (2,), "legend": (2,), "leftlegend": (2,),
    "transl": ("last",), "resize": ("last",), "longitem": ("last",),
    "marriage": (1, 2, 3), "sortname": (1, 2), "nihongo": (1, 2, 3), "uss": (1, 2),
    "fossil range": (1, 2), "map caption": ("region", "subregion", "location_color"),
    "lang-la": (1,), "lang-fr": (1,), "lang-de": (1,), "start-date": (1,), "end-date": (1,),
    "emedicine2": (1, 2),
}  # fmt: skip
# Templates whose listed arguments are shown as numbers: only their digits are edited.
DIGITS: dict[str, tuple[object, ...]] = {
    **{name: (1,) for name in (
        "birth date", "death date", "birth date and age", "death date and age", "start date",
        "end date", "start date and age", "film date", "convert", "cvt", "icd9")},
    "height": ("m", "cm", "ft", "in"),
    "age in years, months, weeks and days": (1, 4, "year1", "year2"),
    "age in years, months and days": (1, 4, "year1", "year2"),
    "icd10": (2, 3),
    "coord": (1, 2, 4, 5),
}  # fmt: skip
TRENDS = {"increase": "decrease", "decrease": "increase"}

_WORD = re.compile(r"[^\W\d_]{2,}")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"(?<=\S) (?=\S)")
_HIDDEN_TAGS = frozenset({"ref", "references", "gallery", "imagemap", "timeline", "math"})
_FILE = re.compile(r"^\s*:?\s*(?:file|image|category|datei|bild|fichier|kategorie)\s*:", re.I)


@dataclass
class Spot:
    """Something a reader sees: a text node, and whether only its digits may change."""

    node: nodes.Text
    digits_only: bool = False


def _name(template: nodes.Template) -> str:
    return normalize_template_name(str(template.name).split("<!--")[0])


def _args(template: nodes.Template, which: tuple[object, ...]) -> list[Wikicode]:
    positional = [p for p in template.params if not p.showkey]
    named = {str(p.name).strip().casefold(): p for p in template.params if p.showkey}
    chosen: list[Wikicode] = []
    for spec in which:
        if spec == "*":
            chosen += [p.value for p in positional]
        elif spec == "last" and positional:
            shown = [p for p in positional if not catalogue.presentational_value(str(p.value))]
            chosen += [shown[-1].value] if shown else []
        elif isinstance(spec, int):
            key = str(spec)
            numbered = [p for p in template.params if str(p.name).strip() == key]
            chosen += [p.value for p in numbered[-1:]]
        elif isinstance(spec, str) and spec in named:
            chosen.append(named[spec].value)
    return chosen


def spots(code: Wikicode, digits_only: bool = False) -> Iterator[Spot]:
    """The text nodes of a value that a reader sees (see the module documentation)."""
    for node in code.nodes:
        if isinstance(node, nodes.Text):
            yield Spot(node, digits_only)
        elif isinstance(node, nodes.Wikilink):
            if _FILE.match(str(node.title)):
                continue
            if node.text is not None:
                yield from spots(node.text, digits_only)
        elif isinstance(node, nodes.ExternalLink):
            if node.brackets and node.title is not None:
                yield from spots(node.title, digits_only)
        elif isinstance(node, nodes.Tag):
            tag = str(node.tag).strip().casefold()
            if tag not in _HIDDEN_TAGS and node.contents is not None and not node.self_closing:
                yield from spots(node.contents, digits_only)
        elif isinstance(node, nodes.Heading):
            yield from spots(node.title, digits_only)
        elif isinstance(node, nodes.Template):
            yield from _template_spots(node, digits_only)


def _template_spots(template: nodes.Template, digits_only: bool) -> Iterator[Spot]:
    name = _name(template)
    if name.startswith("infobox"):
        return  # an embedded box: its parameters are fields of their own (see fields())
    if name in SHOWN:
        for value in _args(template, SHOWN[name]):
            yield from spots(value, digits_only)
    elif name in DIGITS:
        for value in _args(template, DIGITS[name]):
            yield from spots(value, True)
    elif catalogue.handler_for(name) is catalogue.unknown:
        for param in template.params:
            key, value = str(param.name).strip(), str(param.value)
            if not value.strip():
                continue
            if param.showkey and catalogue.presentational_arg(key, value):
                continue
            if not param.showkey and catalogue.presentational_value(value.strip()):
                continue
            yield from spots(param.value, digits_only)


@dataclass
class Field:
    """One infobox field of a page: where its raw value is, to splice edits in."""

    page: str
    name: str
    start: int
    end: int

    def raw(self, text: str) -> str:
        return text[self.start : self.end]


def fields(text: str) -> list[Field]:
    """The fields of the page's infobox, with those of the boxes embedded in them, each
    with the span of its raw value in the page (presentational parameters left out: they
    are not facts)."""
    span = find_infobox(text)
    if span is None:
        return []
    found: list[Field] = []
    _collect(text, span, "", found, 0)
    return found


def _collect(text: str, span, prefix: str, found: list[Field], depth: int) -> None:
    body_end = span.end - 2 if span.closed else span.end
    bounds = [*span.seps, body_end]
    params = infobox_params(text, span)
    for sep, nxt in zip(bounds, bounds[1:], strict=False):
        part = text[sep + 1 : nxt]
        eq = part.find("=")
        if eq < 0 or "{" in part[:eq] or "<" in part[:eq] or "[" in part[:eq]:
            continue
        name = part[:eq].strip()
        if params.get(name) is None:
            continue
        value = part[eq + 1 :]
        start = sep + 1 + eq + 1 + (len(value) - len(value.lstrip()))
        end = sep + 1 + eq + 1 + len(value.rstrip())
        if start >= end or catalogue.presentational_param(name, text[start:end]):
            continue
        raw = text[start:end]
        offset, n = 0, 1
        while depth < 2 and re.search(r"\{\{\s*infobox", raw[offset:], re.I) and n <= 20:
            inner = find_infobox(raw[offset:])
            if inner is None:
                break
            at = start + offset
            shifted = type(inner)(
                inner.name, inner.start + at, inner.end + at,
                tuple(s + at for s in inner.seps), inner.closed,
            )  # fmt: skip
            _collect(
                text, shifted, f"{prefix}{name}." + (f"{n}." if n > 1 else ""), found, depth + 1
            )
            offset += inner.end
            n += 1
        found.append(Field("", prefix + name, start, end))


# -- edits ------------------------------------------------------------------------------------

Edit = Callable[[str, random.Random], str | None]  # raw value → edited raw value, or None


def _in_markup(text: str, at: int) -> bool:
    """Whether ``at`` is inside a tag written as text ("<center", "<br/ >")."""
    return text.rfind("<", 0, at) > text.rfind(">", 0, at)


def _candidates(spot: Spot, pattern: re.Pattern[str]) -> list[tuple[Spot, re.Match[str]]]:
    value = spot.node.value
    return [(spot, m) for m in pattern.finditer(value) if not _in_markup(value, m.start())]


def _edit_spot(raw: str, rng: random.Random, word: bool) -> str | None:
    code = mwparserfromhell.parse(raw)
    candidates: list[tuple[Spot, re.Match[str]]] = []
    for spot in spots(code):
        if word and spot.digits_only:
            continue
        candidates += _candidates(spot, _WORD if word else _DIGIT)
    if not candidates:
        return None
    spot, match = rng.choice(candidates)
    value = spot.node.value
    if word:
        replacement = match.group() + "zq"
    else:
        replacement = str((int(match.group()) + rng.randint(1, 8)) % 10)
    spot.node.value = value[: match.start()] + replacement + value[match.end() :]
    return str(code)


def edit_word(raw: str, rng: random.Random) -> str | None:
    """A word a reader sees gets letters appended."""
    return _edit_spot(raw, rng, word=True)


def drop_word(raw: str, rng: random.Random) -> str | None:
    """A word a reader sees is deleted (a two-word text at least, so something is left)."""
    code = mwparserfromhell.parse(raw)
    candidates = [
        c for spot in spots(code)
        if not spot.digits_only and len(_WORD.findall(spot.node.value)) > 1
        for c in _candidates(spot, _WORD)
    ]  # fmt: skip
    if not candidates:
        return None
    spot, match = rng.choice(candidates)
    value = spot.node.value
    spot.node.value = value[: match.start()] + value[match.end() :].lstrip(" ")
    return str(code)


def edit_digit(raw: str, rng: random.Random) -> str | None:
    """A digit a reader sees changes."""
    return _edit_spot(raw, rng, word=False)


def flip_trend(raw: str, rng: random.Random) -> str | None:
    """{{increase}} ↔ {{decrease}}."""
    code = mwparserfromhell.parse(raw)
    trends = [t for t in code.filter_templates() if _name(t) in TRENDS]
    if not trends:
        return None
    template = rng.choice(trends)
    template.name = TRENDS[_name(template)]
    return str(code)


def _visible_spot_end(raw: str, rng: random.Random) -> tuple[str, int] | None:
    """A position right after a word a reader sees (where a reference or a comment goes)."""
    code = mwparserfromhell.parse(raw)
    marker = "\x00"
    candidates = [
        c for spot in spots(code) if not spot.digits_only for c in _candidates(spot, _WORD)
    ]
    if not candidates:
        return None
    spot, match = rng.choice(candidates)
    value = spot.node.value
    spot.node.value = value[: match.end()] + marker + value[match.end() :]
    marked = str(code)
    return marked.replace(marker, ""), marked.index(marker)


def add_reference(raw: str, rng: random.Random) -> str | None:
    """A reference is added after a word (its text has numbers and a link)."""
    found = _visible_spot_end(raw, rng)
    if found is None:
        return None
    text, at = found
    return text[:at] + "<ref>Report of 12 May 2020, [[Source]], p. 1,234</ref>" + text[at:]


def change_reference(raw: str, rng: random.Random) -> str | None:
    """The text of an existing reference changes."""
    refs = list(re.finditer(r"<ref\b[^>/]*>([^<]{2,})</ref\s*>", raw, re.IGNORECASE))
    if not refs:
        return None
    match = rng.choice(refs)
    return raw[: match.start(1)] + match.group(1) + " (updated 2021)" + raw[match.end(1) :]


def add_comment(raw: str, rng: random.Random) -> str | None:
    """A comment is added after a word."""
    found = _visible_spot_end(raw, rng)
    if found is None:
        return None
    text, at = found
    return text[:at] + "<!-- 500 killed, see talk -->" + text[at:]


def double_space(raw: str, rng: random.Random) -> str | None:
    """A space a reader sees is doubled."""
    return _replace_a_space(raw, rng, "  ")


def no_break_space(raw: str, rng: random.Random) -> str | None:
    """A space between two words becomes a no-break space (``&nbsp;``)."""
    return _replace_a_space(raw, rng, "&nbsp;")


def _replace_a_space(raw: str, rng: random.Random, by: str) -> str | None:
    code = mwparserfromhell.parse(raw)
    candidates = [c for spot in spots(code) for c in _candidates(spot, _SPACE)]
    if not candidates:
        return None
    spot, match = rng.choice(candidates)
    value = spot.node.value
    spot.node.value = value[: match.start()] + by + value[match.end() :]
    return str(code)


def wrap_nowrap(raw: str, rng: random.Random) -> str | None:
    """A word is wrapped in {{nowrap}} (which only keeps it on one line)."""
    code = mwparserfromhell.parse(raw)
    candidates = [
        c for spot in spots(code) if not spot.digits_only for c in _candidates(spot, _WORD)
    ]
    if not candidates:
        return None
    spot, match = rng.choice(candidates)
    value = spot.node.value
    wrapped = "{{nowrap|" + match.group() + "}}"
    spot.node.value = value[: match.start()] + wrapped + value[match.end() :]
    return str(code)


def retarget_link(raw: str, rng: random.Random) -> str | None:
    """A link's target changes behind the same label ([[A|x]] → [[A (topic)|x]], [[A]] →
    [[A (topic)|A]])."""
    code = mwparserfromhell.parse(raw)
    links = [
        link for link in code.filter_wikilinks()
        if not _FILE.match(str(link.title)) and ":" not in str(link.title)
        and "#" not in str(link.title) and str(link.text or link.title).strip()
        and not str(link.title).strip().startswith(("/", "."))
    ]  # fmt: skip
    if not links:
        return None
    link = rng.choice(links)
    title = str(link.title)
    if link.text is None:
        link.text = title
    link.title = title.strip() + " (topic)"
    return str(code)


VISIBLE: dict[str, Edit] = {
    "word": edit_word, "drop-word": drop_word, "digit": edit_digit, "trend": flip_trend,
}  # fmt: skip
INVISIBLE: dict[str, Edit] = {
    "reference": add_reference, "reference-text": change_reference, "comment": add_comment,
    "space": double_space, "nbsp": no_break_space, "nowrap": wrap_nowrap,
    "link-target": retarget_link,
}  # fmt: skip


# -- the measure ------------------------------------------------------------------------------


@dataclass
class Outcome:
    page: str
    field: str
    kind: str  # the edit's name
    visible: bool
    records: int
    before: str
    after: str


@dataclass
class Measure:
    outcomes: list[Outcome] = field(default_factory=list)
    fields: int = 0
    pages: int = 0

    def of(self, visible: bool) -> list[Outcome]:
        return [o for o in self.outcomes if o.visible == visible]

    @property
    def recall(self) -> float:
        shown = self.of(True)
        return sum(1 for o in shown if o.records) / len(shown) if shown else 1.0

    @property
    def silence(self) -> float:
        hidden = self.of(False)
        return sum(1 for o in hidden if not o.records) / len(hidden) if hidden else 1.0

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if bool(o.records) != o.visible]

    def summary(self) -> str:
        shown, hidden = self.of(True), self.of(False)
        return (
            f"{self.pages} pages, {self.fields} fields: visible-edit recall {self.recall:.4f} "
            f"({sum(1 for o in shown if o.records)}/{len(shown)}), silence {self.silence:.4f} "
            f"({sum(1 for o in hidden if not o.records)}/{len(hidden)})"
        )


def measure(pages: dict[str, str], per_kind: int = 1, seed: int = 10) -> Measure:
    """Edit every field of every page's infobox (``per_kind`` edits of each kind that
    applies), diff each edit against the page, and count."""
    result = Measure()
    for title in sorted(pages):
        text = pages[title]
        page_fields = fields(text)
        if not page_fields:
            continue
        result.pages += 1
        for found in page_fields:
            result.fields += 1
            raw = found.raw(text)
            for visible, edits in ((True, VISIBLE), (False, INVISIBLE)):
                for kind, edit in edits.items():
                    tried: set[str] = set()
                    for n in range(per_kind):
                        rng = random.Random(f"{seed}:{title}:{found.name}:{kind}:{n}")
                        edited = edit(raw, rng)
                        if edited is None or edited == raw or edited in tried:
                            continue
                        tried.add(edited)
                        new_text = text[: found.start] + edited + text[found.end :]
                        records = diff_wikitext(text, new_text)
                        result.outcomes.append(
                            Outcome(title, found.name, kind, visible, len(records), raw, edited)
                        )
    return result


# -- the corpus -------------------------------------------------------------------------------


def newest_revisions(path: Path) -> dict[str, str]:
    """The newest visible revision of every page of an export: "file/title" → text."""
    newest: dict[str, tuple[tuple[str, int], str]] = {}
    title = "?"
    for entry in read_dump(path):
        if isinstance(entry, DumpPage):
            title = entry.title
        elif isinstance(entry, Revision) and entry.text is not None and not entry.texthidden:
            key = f"{path.parent.name}/{title}"
            order = (entry.timestamp, entry.revid)
            if key not in newest or order >= newest[key][0]:
                newest[key] = (order, entry.text)
    return {key: text for key, (_, text) in newest.items()}


def corpus_pages(exports: list[Path], seed: Path) -> dict[str, str]:
    """The newest revision of every page of the exports, and the seed article."""
    pages: dict[str, str] = {}
    for path in exports:
        pages.update(newest_revisions(path))
    pages["seed/" + seed.stem] = seed.read_text(encoding="utf-8")
    return pages
