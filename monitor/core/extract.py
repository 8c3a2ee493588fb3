"""Infobox facts from wikitext: pure functions, wikitext in, :class:`Facts` out (no I/O).

Speed is the point of the design: a page's history is thousands of revisions of the same
long text, and only a few of its infobox fields change at a time. The work is split:

* :mod:`monitor.infobox_scan` finds the infobox and its parameters with a scanner; the
  text after the infobox is never looked at, and the page is never parsed as a whole.
* :func:`field_facts` (here) turns one parameter into :class:`FieldFacts`; it is cached on
  the raw text (and again on the text without references and comments), so a field that
  did not change costs a dictionary lookup.
* :mod:`monitor.render` renders one value into the items a reader sees (the only place
  mwparserfromhell is used, on one value at a time); :mod:`monitor.figures` finds the
  figures of an item's text, reading numbers as :mod:`monitor.numbers` says.

What a field's facts are (decisions documented for the diff, the CLI and the fixtures):

* **Display value**: what a reader sees (see :mod:`monitor.render`).
  :attr:`FieldFacts.value` is the items' texts joined by newlines (a line each, as shown).
* **Items**: list templates, bullets, ``<br>``, ``{{pb}}`` and newlines split a field into
  items; nested lists are flattened in order; empty items are dropped.
* **Item keys** (identity across edits): the target of the item's first link (first letter
  upper case, ``_`` as space, no ``#fragment``); else its flag's side; else its text without
  numbers, casefolded (:attr:`Item.kind` says which: ``link``, ``flag`` or ``text``, and
  :attr:`Item.base_key` is that key). Keys that collide within a field are told apart by
  their text (:attr:`Item.qualifier`, shown as ``key / qualifier``), then by their
  position (:attr:`Item.position`, shown as a ``#2``, ``#3``… suffix).
  :attr:`Item.flag` is the side of the item's flag, if it has one.
* **Sides**: ``{{flagicon|X}}``/``{{flag|X}}`` → ``X``; ``{{flagicon image|Flag of the Y.svg}}``
  → ``Y`` (the file name without extension, ``Flag of (the)``/``flag`` affixes and
  underscores); else a bold ``'''Label:'''`` in front of the item, or the last such heading
  line above it; else the text of the item's first link.
* **Figures**: see :mod:`monitor.figures`; every figure of an item carries its side.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .catalogue import KIA_MARKER, presentational_param
from .clean import clean_value, too_malformed
from .facts import Facts, FieldFacts, Figure, Item
from .figures import find_figures
from .numbers import QUALIFIED_NUMBER
from .render import RenderedItem, display_items, file_side
from .scan import InfoboxSpan, find_infobox, infobox_params

__all__ = [
    "KIA_MARKER",
    "TOO_MALFORMED",
    "extract_facts",
    "field_facts",
    "find_figures",
    "find_infobox",
    "infobox_params",
]

_WS = re.compile(r"\s+")

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
    result: list[tuple[str, FieldFacts]] = []
    for name, raw in _named(params):
        result.extend(param_facts(name, raw))
    return tuple(result)


def _named(params: dict[str, str]) -> list[tuple[str, str]]:
    """An infobox shows its named parameters only: a positional one (``| {{flag|Iran}}``
    without ``name =``, or text after a stray ``|``) shows nothing on the page."""
    return [(name, raw) for name, raw in params.items() if not name.isdigit()]


_EMBEDDED = re.compile(r"\{\{\s*(?:template\s*:\s*)?infobox", re.IGNORECASE)
_MOST_EMBEDDED = 20  # boxes lifted out of one value (and 3 levels deep at most)


@functools.lru_cache(maxsize=4096)
def param_facts(name: str, raw: str, depth: int = 0) -> tuple[tuple[str, FieldFacts], ...]:
    """The facts of one infobox parameter: its own field, and the fields of the boxes
    embedded in it ({{Infobox spaceflight/IP|object=…}} in ``interplanetary``:
    ``interplanetary.object``; a second box in the same value: ``interplanetary.2.object``).
    A presentational parameter (``image_size = 300px``, ``alt = …``) is no fact."""
    if presentational_param(name, raw):
        return ()
    if too_malformed(raw):
        return ((name, _malformed(name)),)
    embedded: list[tuple[str, FieldFacts]] = []
    if depth < 3 and _EMBEDDED.search(raw):
        for n in range(1, _MOST_EMBEDDED + 1):
            span = find_infobox(raw)
            if span is None or span.start == 0 and span.end == len(raw) and not raw.strip():
                break
            prefix = f"{name}." if n == 1 else f"{name}.{n}."
            for sub, sub_raw in _named(infobox_params(raw, span)):
                embedded.extend(param_facts(prefix + sub, sub_raw, depth + 1))
            raw = raw[: span.start] + raw[span.end :]
    own = field_facts(name, raw)
    return ((name, own), *embedded) if own is not None else tuple(embedded)


@functools.lru_cache(maxsize=4096)
def field_facts(name: str, raw: str) -> FieldFacts | None:
    """One parameter's facts from its raw wikitext; None when it displays nothing."""
    if too_malformed(raw):
        return _malformed(name)
    return _field_facts(name, clean_value(raw))


TOO_MALFORMED = "(too malformed to read)"


def _malformed(name: str) -> FieldFacts:
    """A value with more markup left open than anything real (:func:`too_malformed`): it
    is not read, and says so, so that the change log shows the field became unreadable
    (and readable again) rather than a garbled reading or a silence."""
    item = Item(key=TOO_MALFORMED, text=TOO_MALFORMED)
    return FieldFacts(name=name, value=TOO_MALFORMED, items=(item,))


@functools.lru_cache(maxsize=4096)
def _field_facts(name: str, cleaned: str) -> FieldFacts | None:
    if not cleaned:
        return None
    items = _build_items(name, display_items(cleaned))
    if not items:
        return None
    return FieldFacts(name=name, value="\n".join(item.text for item in items), items=items)


# -- items ----------------------------------------------------------------------------------


def _heading(item: RenderedItem) -> str | None:
    """A label on a line of its own, over the lines below: ``United States:``, a ``;``
    term, or a line that is bold all through (a bold ``Great Britain``)."""
    text = item.text
    if len(text) > 60 or re.search(r"\d", text) or len(text.split()) > 6:
        return None
    if text.endswith(":"):
        return text[:-1].strip() or None
    if item.term or (item.bold and item.bold[0] == text):
        return text.strip() or None
    return None


def _bold_label(item: RenderedItem) -> str | None:
    """A bold ``France:`` in front of the line's text (``France: 10,000 killed``) → France."""
    for bold in item.bold[:1]:
        if not item.text.startswith(bold):
            continue
        label = bold[:-1] if bold.endswith(":") else None
        if label is None and item.text[len(bold) : len(bold) + 1] == ":":
            label = bold
        if label and not re.search(r"\d", label) and len(label.split()) <= 6:
            return label.strip()
    return None


def _text_key(text: str) -> str:
    key = QUALIFIED_NUMBER.sub(" ", text)
    key = re.sub(r"[\s–—-]+(?=[\s,;)]|$)", " ", key)  # a dash left from a range
    return _WS.sub(" ", key).strip(" ,.;:–—-").casefold()


@dataclass
class _Built:
    kind: str  # link | flag | text
    base_key: str
    text_key: str
    raw: RenderedItem
    side: str | None  # its figures' side
    item_side: str | None  # the item's own side (its flag, else its top heading)
    group: str | None
    flag: str | None
    heading: bool


class _Headings:
    """The labels over the current line, outermost first (side → sub-group).

    A label right under another label (no line between them) is a sub-group of it
    (``Great Britain:`` then ``Army:``); a later label is a sibling of the innermost one
    (``Navy:`` after Army's lines), unless a blank line comes first: then it starts a new
    side (``Loyalist forces:``)."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.just_labelled = False  # the last line was a label on a line of its own

    def label(self, label: str, raw: RenderedItem) -> None:
        if self.just_labelled and not raw.after_gap and len(self.labels) < 4:
            self.labels.append(label)
        elif raw.after_gap or not self.labels:
            self.labels = [label]
        else:
            self.labels[-1] = label

    @property
    def side(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def group(self) -> str | None:
        return " / ".join(self.labels[1:]) or None


def _build_items(field: str, raw_items: list[RenderedItem]) -> tuple[Item, ...]:
    built: list[_Built] = []
    headings = _Headings()
    for raw in raw_items:
        heading = _heading(raw)
        label = heading or _bold_label(raw)
        if label is not None:
            headings.label(label, raw)
        headings.just_labelled = heading is not None
        flags = raw.flags or [
            file_side(image)
            for image in raw.images[:1]
            if "flag" in image.casefold() and raw.text != image  # [[File:Flag of X.svg|20px]]
        ]
        flag = flags[0] if flags else None
        side, group = (flag, None) if flag is not None else (headings.side, headings.group)
        item_side = side
        if side is None and raw.links:
            side = raw.links[0][1] or None  # a figure's side, failing all else: its link
        text_key = _text_key(raw.text)
        if raw.links and raw.links[0][0]:
            kind, key = "link", raw.links[0][0]
        elif flag is not None:
            kind, key = "flag", flag
        else:
            kind, key = "text", text_key
        built.append(
            _Built(kind, key, text_key, raw, side, item_side, group, flag, heading is not None)
        )
    # Keys colliding within the field: told apart by their text, then by their position.
    counts: dict[str, int] = {}
    for entry in built:
        counts[entry.base_key] = counts.get(entry.base_key, 0) + 1
    items: list[Item] = []
    seen: dict[str, int] = {}
    for entry in built:
        base, text_key, raw = entry.base_key, entry.text_key, entry.raw
        qualifier = ""
        if counts[base] > 1 and text_key and text_key != base.casefold():
            qualifier = text_key
        identity = f"{base} / {qualifier}" if qualifier else base
        seen[identity] = position = seen.get(identity, 0) + 1
        figures = tuple(
            Figure(
                item=raw.text, side=entry.side, category=category, number=low, low=low,
                high=high, approximate=approximate, plus=plus, group=entry.group,
            )
            for category, low, high, approximate, plus in find_figures(raw.text, field)
        )  # fmt: skip
        item = Item(
            key=identity if position == 1 else f"{identity} #{position}",
            text=raw.text, figures=figures, kind=entry.kind, base_key=base,
            qualifier=qualifier, position=position, flag=entry.flag,
            side=entry.item_side, heading=entry.heading,
        )  # fmt: skip
        items.append(item)
    return tuple(items)
