"""Properties of the semantic diff on the seed infobox (hypothesis).

* Cosmetic rewrites of the real infobox of *2024 Syrian opposition offensives* — parameters
  reordered, ``=`` realigned, ``<br>`` respelled, ``{{ubl}}`` ↔ ``{{plainlist}}`` ↔ bullets,
  references and comments added or removed, links re-piped with the same display text,
  flag sizes — produce no records.
* Changing k casualty figures (1 to 4, in ``casualtiesN`` or ``notes``, each in a different
  item) produces exactly k ``figure_changed`` records with the right fields, categories
  and numbers, even under the cosmetic rewrites.
* Extraction never raises, whatever the wikitext, and every figure is a whole number no
  greater than ``MAX_FIGURE``.
* The quick look at a text's bytes (``may_mention_infobox``) never says "no infobox" of a
  text in which the infobox scanner finds one, whatever the case and the letters around.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import mwparserfromhell
from helpers import SEED as SEED_PATH
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.core.diff import diff_wikitext
from monitor.core.extract import extract_facts, find_infobox, infobox_params
from monitor.core.numbers import MAX_FIGURE
from monitor.core.scan import may_mention_infobox

SEED = SEED_PATH.read_text(encoding="utf-8")
_SPAN = find_infobox(SEED)
assert _SPAN is not None
HEAD, TAIL = SEED[: _SPAN.start], SEED[_SPAN.end :]
PARAMS: list[tuple[str, str]] = list(infobox_params(SEED, _SPAN).items())
NAME = _SPAN.name

# Deterministic (the same 50 examples on every run) and no example database in the tree.
SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)

# -- rewriting one value ----------------------------------------------------------------------

_REF = re.compile(r"<ref\b[^>]*/\s*>|<ref\b[^>]*>.*?</ref\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PLAIN_LINK = re.compile(r"\[\[([^\[\]|:]+)\]\]")
_SELF_PIPED = re.compile(r"\[\[([^\[\]|:]+)\|\1\]\]")
_FLAG = re.compile(r"\{\{\s*(flagicon image|flagicon|flagdeco)\s*\|([^{}|]+)\}\}", re.IGNORECASE)
_LIST_TEMPLATES = {"ubl", "unbulleted list", "plainlist"}


def _protected(value: str) -> list[tuple[int, int]]:
    """Spans of references and comments: nothing is inserted or rewritten inside them."""
    return [m.span() for m in _REF.finditer(value)] + [m.span() for m in _COMMENT.finditer(value)]


def _outside(value: str, position: int) -> bool:
    return not any(start < position < end for start, end in _protected(value))


def _anchors(value: str) -> list[int]:
    """Where a reference or a comment can go: after a link or a casualty word."""
    spots = [m.end() for m in re.finditer(r"\]\](?![a-z])|\bkilled\b|\bcaptured\b", value)]
    return [p for p in spots if _outside(value, p)]


def _insert(value: str, position: int, text: str) -> str:
    return value[:position] + text + value[position:]


def _list_items(template: mwparserfromhell.nodes.Template) -> list[str]:
    return [str(p.value).strip() for p in template.params if not p.showkey]


def _relist(value: str, style: str) -> str:
    """Write the value's top-level {{ubl}}/{{plainlist}} as `style` (same items)."""
    code = mwparserfromhell.parse(value)
    for template in code.filter_templates(recursive=False):
        name = str(template.name).strip().casefold()
        if name not in _LIST_TEMPLATES:
            continue
        if name == "plainlist":
            items = [
                line.lstrip("*").strip()
                for line in str(template.get(1).value).split("\n")
                if line.strip()
            ]
        else:
            items = _list_items(template)
        if not items or any(not item or "\n" in item for item in items):
            continue
        bullets = "".join(f"\n* {item}" for item in items)
        if style == "ubl":
            replacement = "{{ubl" + "".join(f"\n | {item}" for item in items) + "\n}}"
        elif style == "plainlist":
            replacement = "{{plainlist|" + bullets + "\n}}"
        else:
            replacement = bullets.lstrip("\n") + "\n"
        code.replace(template, replacement)
    return str(code)


@dataclass(frozen=True)
class Rewrite:
    """One cosmetic rewrite of a value, with its random choices drawn up front."""

    kind: str
    choice: int

    def __call__(self, value: str) -> str:
        kind, n = self.kind, self.choice
        if kind == "br":
            spelling = ["<br>", "<br />", "<br/>", "<BR>", "<br/ >"][n % 5]
            return _BR.sub(spelling, value)
        if kind == "list":
            return _relist(value, ["ubl", "plainlist", "bullets"][n % 3])
        if kind == "drop_refs":
            return _REF.sub("", value)
        if kind == "add_ref":
            spots = _anchors(value)
            if not spots:
                return value
            ref = (
                f'<ref name="p{n}"/>'
                if n % 2
                else f"<ref>{{{{cite web |title=Update {n} |url=https://example.org/{n}}}}}</ref>"
            )
            return _insert(value, spots[n % len(spots)], ref)
        if kind == "comment":
            spots = [*_anchors(value), len(value)]
            return _insert(value, spots[n % len(spots)], f"<!-- note {n} -->")
        if kind == "drop_comments":
            return _COMMENT.sub("", value)
        if kind == "pipe":
            return _PLAIN_LINK.sub(lambda m: f"[[{m.group(1)}|{m.group(1)}]]", value)
        if kind == "unpipe":
            return _SELF_PIPED.sub(lambda m: f"[[{m.group(1)}]]", value)
        if kind == "underscores":
            return _PLAIN_LINK.sub(
                lambda m: f"[[{m.group(1).replace(' ', '_')}|{m.group(1)}]]", value
            )
        if kind == "flag_size":
            return _FLAG.sub(
                lambda m: f"{{{{{m.group(1)}|{m.group(2)}|size={18 + n % 10}px}}}}", value
            )
        raise AssertionError(kind)


REWRITES = (
    "br", "list", "drop_refs", "add_ref", "comment", "drop_comments", "pipe", "unpipe",
    "underscores", "flag_size",
)  # fmt: skip


@st.composite
def cosmetic_edits(draw: st.DrawFn) -> Callable[[list[tuple[str, str]]], str]:
    """A random cosmetic rewrite of the whole infobox, returned as a function of its
    parameters (so that a figure change can be made first)."""
    per_field = {
        name: draw(
            st.lists(
                st.builds(Rewrite, st.sampled_from(REWRITES), st.integers(0, 1000)), max_size=3
            )
        )
        for name, _ in PARAMS
    }
    order = draw(st.permutations(range(len(PARAMS))))
    reorder = draw(st.booleans())
    alignment = draw(st.sampled_from(["| {name:<17} = ", "|{name}=", "| {name} = ", " |{name} ="]))
    top_comment = draw(st.booleans())

    def build(params: list[tuple[str, str]]) -> str:
        fields = []
        for name, value in params:
            for rewrite in per_field.get(name, []):
                value = rewrite(value)
            fields.append((name, value))
        if reorder:
            fields = [fields[i] for i in order if i < len(fields)]
        lines = [alignment.format(name=name) + value + "\n" for name, value in fields]
        if top_comment:
            lines.insert(len(lines) // 2, "<!-- please discuss changes on the talk page -->\n")
        return HEAD + "{{" + NAME + "\n" + "".join(lines) + "}}" + TAIL

    return build


# -- properties -------------------------------------------------------------------------------


@SETTINGS
@given(cosmetic_edits())
def test_cosmetic_rewrites_produce_no_records(build):
    new = build(PARAMS)
    assert diff_wikitext(SEED, new) == []


@dataclass(frozen=True)
class Spot:
    field: str
    start: int  # the number's position in the field's raw value
    end: int
    category: str
    number: int
    item: str  # the display text of the item the figure belongs to


def _figure_spots() -> list[Spot]:
    """Each casualty figure of the seed, where its digits are in the raw wikitext."""
    facts = extract_facts(SEED)
    spots = []
    for name, raw in PARAMS:
        if not (name.startswith("casualties") or name == "notes"):
            continue
        figures = list(facts.fields[name].figures)
        for match in re.finditer(
            r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\d,])\d+(?![\d,])", raw
        ):
            if not _outside(raw, match.start()):
                continue
            number = int(match.group().replace(",", ""))
            for figure in figures:
                if figure.number == number and figure.category:
                    spots.append(Spot(name, *match.span(), figure.category, number, figure.item))
                    figures.remove(figure)
                    break
    return spots


SPOTS = _figure_spots()


def test_the_seed_has_casualty_figures_to_change():
    fields = {spot.field for spot in SPOTS}
    assert {"casualties1", "casualties2", "casualties4", "notes"} <= fields
    assert len({(spot.field, spot.item) for spot in SPOTS}) >= 8


def _shown(number: int) -> str:
    return f"{number:,}" if number >= 1000 else str(number)


@SETTINGS
@given(
    st.lists(
        st.sampled_from(SPOTS),
        min_size=1,
        max_size=4,
        unique_by=lambda spot: (spot.field, spot.item),
    ),
    st.lists(st.integers(min_value=1, max_value=900_000), min_size=4, max_size=4),
    st.one_of(st.none(), cosmetic_edits()),
)
def test_k_figures_changed_are_k_records(spots: list[Spot], numbers: list[int], cosmetic):
    """k figures of different items changed at once: k records, each with its numbers."""
    changes = []  # (spot, new number)
    for spot, number in zip(spots, numbers, strict=False):
        changes.append((spot, number + 1 if number == spot.number else number))
    values = dict(PARAMS)
    for spot, number in sorted(changes, key=lambda change: -change[0].start):
        value = values[spot.field]
        values[spot.field] = value[: spot.start] + _shown(number) + value[spot.end :]
    params = list(values.items())
    if cosmetic is None:
        new = HEAD + "{{" + NAME + "\n" + "".join(f"| {n} = {v}\n" for n, v in params) + "}}" + TAIL
    else:
        new = cosmetic(params)
    records = diff_wikitext(SEED, new)
    got = sorted((r.field, r.kind, r.category, r.old_number, r.new_number) for r in records)
    expected = sorted(
        (spot.field, "figure_changed", spot.category, spot.number, number)
        for spot, number in changes
    )
    assert got == expected


# Pieces of wikitext, good and broken, that extraction must survive in any combination.
_PIECES = (
    "{{", "}}", "[[", "]]", "|", "=", "x", " ", "\n", "* ", "5", " killed", ", ", "1,000",
    " million", "²", "9" * 20, "9" * 320, "<ref>", "</ref>", "<br>", "'''", "<!--", "-->",
    "&nbsp;", "{{flagicon|Iran}}", "{{ubl|", "{{start date|", "{{age|", "{{formatnum:",
    "{{circa|", "{{convert|", "[[File:Flag of Syria.svg|", "<small>", "{{{", "}}}",
)  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(_PIECES), max_size=80).map("".join))
def test_extraction_never_raises(value: str):
    facts = extract_facts("{{Infobox military conflict\n| casualties1 = " + value + "\n}}")
    for field in facts.fields.values():
        for figure in field.figures:
            assert isinstance(figure.number, int) and 0 <= figure.number <= MAX_FIGURE
            assert figure.low is not None and figure.high is not None
            assert figure.low <= figure.high <= MAX_FIGURE


# Names of infoboxes in odd cases, letters that fold into ASCII ones (ſ → s, ﬁ → fi, İ → i̇),
# and what may stand around them.
_NAME_PIECES = (
    "{{", "}}", "Infobox", "INFOBOX", "infoBOX", "iNfObOx", "box", "Box", "bOX", "x", "X",
    "ſpeciesbox", "Speciesbox", "ſpecieſbox", "taxobox", "TAXOBOX", "Chembox", "dRuGbOx",
    "ſ", "ﬁ", "ß", "İ", "ŉ", "ﬆ", "é", "—", "😀", " ", "\n", "|", "o", "in", "fo", "species",
)  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(_NAME_PIECES), max_size=30).map("".join))
@example("{{ſpeciesbox | taxon = Pyrus}}")  # ſ folds to s: a Speciesbox
@example("{{ Infobox\n| a = 1}}")
@example("é {{SUBSPECIESBOX}}")
def test_the_look_at_the_bytes_never_misses_an_infobox(text: str):
    if find_infobox(text) is not None:
        assert may_mention_infobox(text.encode())
