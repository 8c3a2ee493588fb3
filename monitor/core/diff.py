"""The semantic diff: two revisions' infobox facts in, :class:`Change` records out.

Pure functions, no I/O. :func:`diff_facts` compares two :class:`Facts`;
:func:`diff_wikitext` extracts both sides first (``wikimon diff OLD NEW``).

Records come in a stable order: fields in the order of the new infobox, then the fields
that were removed; within a field, removed items (old order), added items (new order),
then changed items (new order; a text change before its figure changes).

The rules, as a reader of the rendered infobox would describe an edit:

* A field that is absent or empty and becomes non-empty is ``field_added`` (new = its
  display value); the reverse is ``field_removed`` (old = its value).
* Equal facts produce nothing: whatever extraction maps to the same display text, items
  and figures (references, comments, alignment, list syntax, ``<br>`` spellings, piping…)
  is cosmetic. Text that differs only in whitespace, letter case or typography (dashes,
  curly quotes) is cosmetic too, and so is rewording how a number is qualified
  ("c. 1,000" → "~1,000"). Numbers are read as extraction reads them
  (:mod:`monitor.numbers`): "1,000" and "1.000" and "1 000" are one number each.
* A *scalar* field (at most one item on each side) changes by ``value_changed`` — unless
  only figures changed inside its one item, which gives one ``figure_changed`` per figure.
  A field that is replaced wholesale (no item survives and one side has at most one
  item, e.g. a list vandalised into one sentence, or "Ongoing" becoming a result with
  bullet points) is a ``value_changed`` too.
* A *list* field changes by ``item_removed`` / ``item_added`` (items matched by their key,
  else by their text, see :func:`match_items`: a link whose target changed but not its
  text is the same item), ``item_changed`` when a matched item's text changed beyond its
  figures (e.g. a commander gaining ``{{KIA}}``), and ``figure_changed`` when a number
  inside a matched item changed, appeared (``old_number`` None) or vanished
  (``new_number`` None). Figures within an item are matched by (category, side), then by
  category, in order.
* A matched item whose flag was swapped for another (``{{flagicon|Iran}}`` →
  ``{{flagicon|Israel}}``; not a flag appearing or vanishing) is ``item_changed``, in a
  scalar field too; when its text is unchanged, old and new name the flags
  ("5 killed (Iran)" → "5 killed (Israel)").
* When an item's (or a scalar's) text changed beyond its figures *and* figures with a
  category changed too, the text record is followed by those ``figure_changed`` records,
  so that no change of a casualty figure goes unreported.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from .extract import extract_facts
from .facts import Change, Facts, FieldFacts, Figure, Item
from .numbers import CATEGORY, FIGURE_WORDS, Quantity, category_name, is_qualifier, quantities

__all__ = [
    "diff_facts", "diff_field", "diff_item", "diff_wikitext", "match_items", "pair_figures",
]  # fmt: skip

# -- public API ---------------------------------------------------------------------------


def diff_facts(old: Facts, new: Facts) -> list[Change]:
    """The semantic changes from ``old`` to ``new``, in a stable order (see module doc)."""
    old_fields = {name: f for name, f in old.fields.items() if _present(f)}
    new_fields = {name: f for name, f in new.fields.items() if _present(f)}
    changes: list[Change] = []
    for name, after in new_fields.items():
        before = old_fields.get(name)
        if before is None:
            changes.append(Change(field=name, kind="field_added", new=after.value))
        else:
            changes.extend(diff_field(before, after))
    for name, before in old_fields.items():
        if name not in new_fields:
            changes.append(Change(field=name, kind="field_removed", old=before.value))
    return changes


def diff_wikitext(old: str, new: str, infobox: str | None = None) -> list[Change]:
    """:func:`diff_facts` of the two texts' extractions (``wikimon diff OLD NEW``)."""
    return diff_facts(extract_facts(old, infobox), extract_facts(new, infobox))


def diff_field(old: FieldFacts, new: FieldFacts) -> list[Change]:
    """The changes of one field present (non-empty) on both sides."""
    if old == new:
        return []
    name = new.name
    if _only_regrouped(old, new):
        return []
    if len(old.items) <= 1 and len(new.items) <= 1:
        return _diff_scalar(name, old, new)
    pairs, removed, added = match_items(old.items, new.items)
    if not pairs and min(len(old.items), len(new.items)) <= 1:
        # Nothing survives and one side is a single value: the field was replaced.
        return _value_change(name, old, new)
    changes = [
        Change(field=name, kind="item_removed", item=i.text, old=i.text, side=i.side)
        for i in removed
    ]
    changes += [
        Change(field=name, kind="item_added", item=i.text, new=i.text, side=i.side) for i in added
    ]
    for before, after in pairs:
        changes.extend(diff_item(name, before, after))
    return changes


# -- fields ---------------------------------------------------------------------------------


def _present(f: FieldFacts) -> bool:
    return bool(f.value.strip()) or bool(f.items)


def _diff_scalar(name: str, old: FieldFacts, new: FieldFacts) -> list[Change]:
    if not old.items or not new.items:
        return _value_change(name, old, new)
    before, after = old.items[0], new.items[0]
    figures = _figure_pairs(before.figures, after.figures)
    if _same_beyond_figures(old, new) or not _text_differs(old.value, new.value):
        if _flag_swapped(before, after):
            return diff_item(name, before, after)
        return [_figure_change(name, before, after, a, b) for a, b in figures]
    return [_value_record(name, old, new)] + [
        _figure_change(name, before, after, a, b) for a, b in figures if _categorised(a, b)
    ]


def _value_change(name: str, old: FieldFacts, new: FieldFacts) -> list[Change]:
    if not _text_differs(old.value, new.value):
        return []
    return [_value_record(name, old, new)]


def _value_record(name: str, old: FieldFacts, new: FieldFacts) -> Change:
    return Change(field=name, kind="value_changed", old=old.value, new=new.value)


# -- items ----------------------------------------------------------------------------------


def diff_item(name: str, before: Item, after: Item) -> list[Change]:
    """The changes of one item matched across two revisions (by :func:`match_items`)."""
    figures = _figure_pairs(before.figures, after.figures)
    swapped = _flag_swapped(before, after)
    if not swapped and _same_beyond_figures(before, after):
        return [_figure_change(name, before, after, a, b) for a, b in figures]
    old, new = before.text, after.text
    if not _text_differs(old, new):  # only the flag changed: say so
        old, new = f"{old} ({before.flag})", f"{new} ({after.flag})"
    record = Change(
        field=name, kind="item_changed", item=after.text, old=old, new=new,
        side=after.side or before.side,
    )  # fmt: skip
    return [record] + [
        _figure_change(name, before, after, a, b) for a, b in figures if _categorised(a, b)
    ]


def match_items(
    old: Sequence[Item], new: Sequence[Item]
) -> tuple[list[tuple[Item, Item]], list[Item], list[Item]]:
    """Pair old and new items: (pairs in new order, removed in old order, added in new order).

    Stages, each over what the earlier ones left, every one in order:

    1. same key and same text (keys compared by :attr:`Item.identity`, without position);
    2. same key without extraction's disambiguation (" / text", which comes and goes with
       another item of the same link or flag) and same text;
    3. same key, same sides; then same key, compatible sides (one side unknown, or a
       side in common); then the same for the key without disambiguation;
    4. same key that names something (a link target or a flag), whatever the sides — a
       key made of the item's own text is not enough: two "N killed" lines under
       different labels are different items;
    5. same text: a link whose target changed but not its text (``[[Hayat Tahrir
       al-Sham|HTS]]`` → ``[[Hay'at Tahrir al-Sham|HTS]]``, as bots bypassing redirects
       do), or a flag swapped in front of the same text;
    6. items that differ only in their figures ("208 killed" → "208 killed, 21 captured",
       whose text keys differ by the category word);
    7. headings left over, in order: a renamed heading (``Army:`` → ``Land forces:``) is
       one changed item, not a removal and an addition.
    """
    pairing: dict[int, int] = {}  # new index → old index
    stages: list[Callable[[Item, Item], bool]] = [
        lambda a, b: _key(a) == _key(b) and _norm(a.text) == _norm(b.text),
        lambda a, b: _base_key(a) == _base_key(b) and _norm(a.text) == _norm(b.text),
        lambda a, b: _key(a) == _key(b) and bool(_sides(a)) and _sides(a) == _sides(b),
        lambda a, b: _key(a) == _key(b) and _sides_compatible(a, b),
        lambda a, b: _base_key(a) == _base_key(b) and _sides_compatible(a, b),
        lambda a, b: _key(a) == _key(b) and _named(a),
        lambda a, b: _norm(a.text) == _norm(b.text),
        lambda a, b: (
            (bool(a.figures) or bool(b.figures))
            and _sides_compatible(a, b)
            and _same_beyond_figures(a, b)
        ),
        lambda a, b: a.heading and b.heading,
    ]
    for accepts in stages:
        used = set(pairing.values())
        for j, after in enumerate(new):
            if j in pairing:
                continue
            for i, before in enumerate(old):
                if i not in used and accepts(before, after):
                    pairing[j] = i
                    used.add(i)
                    break
    matched_old = set(pairing.values())
    pairs = [(old[pairing[j]], new[j]) for j in range(len(new)) if j in pairing]
    removed = [item for i, item in enumerate(old) if i not in matched_old]
    added = [item for j, item in enumerate(new) if j not in pairing]
    return pairs, removed, added


def _key(item: Item) -> str:
    """The item's identity without its position among same-key items."""
    return _norm(item.identity.replace("_", " "))


def _base_key(item: Item) -> str:
    """The key without extraction's qualifier (added when another item of the field has
    the same link or flag, so it comes and goes with that other item)."""
    return _norm((item.base_key or item.key).replace("_", " "))


def _named(item: Item) -> bool:
    """Whether the key names something (a link target or a flag) rather than being the
    item's own text."""
    return item.kind != "text"


def _flag_swapped(before: Item, after: Item) -> bool:
    """Whether the item's flag changed from one side to another ({{flagicon|Iran}} →
    {{flagicon|Israel}}); a flag appearing or vanishing is not a swap."""
    return bool(before.flag and after.flag) and _norm(before.flag) != _norm(after.flag)


def _sides(item: Item) -> frozenset[str]:
    return frozenset(_norm(f.side) for f in item.figures if f.side)


def _sides_compatible(a: Item, b: Item) -> bool:
    sa, sb = _sides(a), _sides(b)
    return not sa or not sb or bool(sa & sb)


# -- figures --------------------------------------------------------------------------------


def pair_figures(
    old: Sequence[Figure], new: Sequence[Figure]
) -> list[tuple[Figure | None, Figure | None]]:
    """Every figure of either side with its counterpart: (old, new) pairs in new order,
    (None, f) for a figure that appeared, then (f, None) for one that vanished."""
    pairing: dict[int, int] = {}  # new index → old index
    for same_group in (
        lambda a, b: a.category == b.category and _side(a) == _side(b) and a.group == b.group,
        lambda a, b: a.category == b.category and _side(a) == _side(b),
        lambda a, b: a.category == b.category,
    ):
        _pair_group(old, new, pairing, same_group)
    result: list[tuple[Figure | None, Figure | None]] = [
        (old[pairing[j]] if j in pairing else None, after) for j, after in enumerate(new)
    ]
    matched = set(pairing.values())
    return result + [(before, None) for i, before in enumerate(old) if i not in matched]


def _figure_pairs(
    old: Sequence[Figure], new: Sequence[Figure]
) -> list[tuple[Figure | None, Figure | None]]:
    """The figures that changed, appeared (None, f) or vanished (f, None); new order first."""
    return [
        (a, b)
        for a, b in pair_figures(old, new)
        if (a is None or b is None or _figure_differs(a, b))
        and (_number(a) is not None or _number(b) is not None)
    ]


def _pair_group(
    old: Sequence[Figure],
    new: Sequence[Figure],
    pairing: dict[int, int],
    same_group: Callable[[Figure, Figure], bool],
) -> None:
    """Pair unpaired figures of one group: equal values first when the counts differ
    (a figure inserted before another of its kind), then in order."""
    used = set(pairing.values())
    free_new = [j for j in range(len(new)) if j not in pairing]
    free_old = [i for i in range(len(old)) if i not in used]
    for j in free_new:
        group_new = [k for k in free_new if k not in pairing and same_group(new[k], new[j])]
        group_old = [i for i in free_old if i not in used and same_group(old[i], new[j])]
        if not group_new or not group_old:
            continue
        if len(group_new) != len(group_old):
            for k in group_new:
                for i in group_old:
                    if i not in used and not _figure_differs(old[i], new[k]):
                        pairing[k] = i
                        used.add(i)
                        break
            group_new = [k for k in group_new if k not in pairing]
            group_old = [i for i in group_old if i not in used]
        for k, i in zip(group_new, group_old, strict=False):
            pairing[k] = i
            used.add(i)


def _side(f: Figure) -> str | None:
    return _norm(f.side) if f.side else None


def _number(f: Figure | None) -> int | None:
    return None if f is None else f.number


def _figure_differs(a: Figure, b: Figure) -> bool:
    return (a.number, a.low, a.high, a.approximate, a.plus) != (
        b.number, b.low, b.high, b.approximate, b.plus
    )  # fmt: skip


def _either(
    first: Figure | None, second: Figure | None, attribute: Callable[[Figure], str | None]
) -> str | None:
    """The first non-empty ``attribute`` of the two figures, if any."""
    for figure in (first, second):
        if figure is not None and (value := attribute(figure)):
            return value
    return None


def _categorised(a: Figure | None, b: Figure | None) -> bool:
    return (a is not None and a.category is not None) or (b is not None and b.category is not None)


def _figure_change(
    name: str, before: Item, after: Item, a: Figure | None, b: Figure | None
) -> Change:
    return Change(
        field=name,
        kind="figure_changed",
        old=before.text,
        new=after.text,
        item=after.text,
        category=_either(b, a, lambda f: f.category),
        side=_either(b, a, lambda f: f.side),
        old_number=_number(a),
        new_number=_number(b),
        old_low=_end(a, low=True),
        old_high=_end(a, low=False),
        new_low=_end(b, low=True),
        new_high=_end(b, low=False),
    )


def _end(f: Figure | None, low: bool) -> int | None:
    """One end of a figure (a single number is both ends of itself)."""
    if f is None:
        return None
    end = f.low if low else f.high
    return f.number if end is None else end


# -- text -----------------------------------------------------------------------------------

_MOST_TOKENS = 4000  # beyond this, two texts that differ are a change (see below)
_TOKEN = re.compile(r"#|[^\W_]+|[^\w\s]")  # "#", words (digits in them too), signs
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]}])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[{])\s+")
_SPACES = re.compile(r"\s+")

# Tokens that belong to how a figure is written ("142 killed, c. 21 captured and several
# missing"): a text change made only of these next to a number is a change of figures.
_FIGURE_PUNCT = frozenset(",;:.()+~-/&")
_TYPOGRAPHY = str.maketrans({"–": "-", "—": "-", "−": "-", "‐": "-", "’": "'", "‘": "'",
                             "“": '"', "”": '"', "\u00a0": " "})  # fmt: skip


@functools.lru_cache(maxsize=8192)
def _norm(text: str) -> str:
    """Text compared without differences of whitespace, letter case and typography
    (dashes, curly quotes) that a reader does not tell apart."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    text = _SPACES.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    return text.casefold()


def _text_differs(a: str, b: str) -> bool:
    return _norm(a) != _norm(b)


@functools.lru_cache(maxsize=8192)
def _numbers(text: str) -> tuple[str, tuple[Quantity, ...]]:
    """The normalised text with every number and range (:func:`numbers.quantities`, as
    extraction reads them) masked as "#", and those quantities in order."""
    normed = _norm(text)
    found = tuple(quantities(normed))
    pieces, last = [], 0
    for quantity in found:
        pieces += [normed[last : quantity.start], "#"]
        last = quantity.end
    pieces.append(normed[last:])
    return "".join(pieces), found


def _same_beyond_figures(a: Item | FieldFacts, b: Item | FieldFacts) -> bool:
    """Whether two items (or scalar fields) say the same apart from their figures: the
    numbers that are not figures (years, "30 species") are the same, and the texts are
    equal once numbers are masked, or differ only in figure words next to a number
    ("61 killed" → "142 killed, 21 captured")."""
    text_a, text_b = _text_of(a), _text_of(b)
    if _other_numbers(text_a, a.figures) != _other_numbers(text_b, b.figures):
        return False
    ma, mb = _numbers(text_a)[0], _numbers(text_b)[0]
    if ma == mb:
        return True
    ta, tb = _TOKEN.findall(ma), _TOKEN.findall(mb)
    if not ta or not tb or len(ta) + len(tb) > _MOST_TOKENS:
        return False  # (an alignment of thousands of tokens is quadratic: a change, then)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        region = ta[i1:i2] + tb[j1:j2]
        if all(_figure_token(t) for t in region) and "#" in region:
            continue  # "61 killed" → "142 killed, 21 captured"
        if _synonyms(ta[i1:i2], tb[j1:j2]):
            continue  # "220 killed" → "220 dead"
        before_number = ta[i2 : i2 + 1] == ["#"] or tb[j2 : j2 + 1] == ["#"]
        if before_number and is_qualifier(region):
            continue  # "c. 1,000" → "~1,000"
        return False
    return True


def _text_of(x: Item | FieldFacts) -> str:
    return x.text if isinstance(x, Item) else x.value


def _other_numbers(text: str, figures: Sequence[Figure]) -> list[object]:
    """The numbers of a text that are not (the values of) its figures, in order: each
    number or range as its exact ends (as written when it has no value)."""
    others: list[object] = [
        (q.low, q.high) if q.low is not None and q.high is not None else q.text
        for q in _numbers(text)[1]
    ]
    for figure in figures:
        ends = (
            figure.number if figure.low is None else figure.low,
            figure.number if figure.high is None else figure.high,
        )
        for i, quantity in enumerate(others):
            if quantity == ends:
                del others[i]
                break
    return others


def _categories(tokens: Sequence[str]) -> list[str] | None:
    """The figure categories a run of words names, in order ("taken prisoner" →
    ["captured"]); None when a word is not a category word."""
    text = " ".join(tokens)
    found = [category_name(m) for m in CATEGORY.finditer(text)]
    rest = CATEGORY.sub(" ", text).split()
    return found if found and all(t in _FIGURE_PUNCT for t in rest) else None


def _synonyms(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two runs of words name the same figure categories in other words: killed
    / dead / deaths, wounded / injured, captured / taken prisoner / POW, missing / MIA,
    displaced / refugees (one category each, :data:`numbers.CATEGORIES`)."""
    if not a or not b:
        return False
    named = _categories(a)
    return named is not None and named == _categories(b)


_JOINERS = frozenset({"and", "plus", "&"})


def _regroup_tokens(
    field: FieldFacts,
) -> tuple[list[str], list[tuple[str, str, int, int, bool, bool]]]:
    """A field as what it says regardless of its lines: its words in order (numbers,
    punctuation and joiners left out, category words by category) and its figures, sorted."""
    words: list[str] = []
    for item in field.items:
        for token in _TOKEN.findall(_numbers(item.text)[0]):
            if token == "#" or token in _FIGURE_PUNCT or token in _JOINERS:
                continue
            named = _categories([token])
            words.append(named[0] if named else token)
    figures = sorted(
        (
            _side(f) or "",
            f.category or "",
            f.low if f.low is not None else -1,
            f.high if f.high is not None else -1,
            f.approximate,
            f.plus,
        )  # fmt: skip
        for f in field.figures
    )
    return words, figures


def _only_regrouped(old: FieldFacts, new: FieldFacts) -> bool:
    """Whether an edit only moved figures between lines or items ("208 killed, 21
    captured" → "208 killed" and "21 captured" on a line of its own, same flag): the same
    figures (side, category, number) and the same words, in the same order."""
    if not old.figures or len(old.items) == len(new.items):
        return False
    if {i.flag for i in old.items if i.flag} != {i.flag for i in new.items if i.flag}:
        return False
    return _regroup_tokens(old) == _regroup_tokens(new)


def _figure_token(token: str) -> bool:
    return token == "#" or token in FIGURE_WORDS or token in _FIGURE_PUNCT
