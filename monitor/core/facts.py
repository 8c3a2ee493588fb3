"""The records of the semantic layer: what an infobox says (facts) and what changed.

Pure data, no I/O: :mod:`monitor.extract` turns wikitext into :class:`Facts`,
:mod:`monitor.diff` turns two :class:`Facts` into :class:`Change` records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CHANGE_KINDS = (
    "field_added", "field_removed", "value_changed", "item_added", "item_removed",
    "item_changed", "figure_changed",
)  # fmt: skip


@dataclass(frozen=True)
class Figure:
    """A number a reader sees in a field: '220 killed', 'c. 1,000', '70,000–90,000'."""

    item: str  # display text of the item it belongs to
    side: str | None  # the item's flag, else its top heading, else its link: 'Great Britain'
    category: str | None  # killed | wounded | captured | missing | arrested | displaced | …
    number: int | None  # the value; for a range, its low end
    low: int | None = None  # ranges: 70000 … 90000; else both equal number
    high: int | None = None
    approximate: bool = False  # c. / circa / ~ / about
    plus: bool = False  # '1+'
    group: str | None = None  # the sub-heading(s) under its side: 'Army', 'Navy'


@dataclass(frozen=True)
class Item:
    """One entry of a list field (a belligerent, a commander, a casualty line)."""

    key: str  # identity across edits: main link target, else text without figures
    text: str  # display text
    figures: tuple[Figure, ...] = ()
    # How ``key`` was made: ``base_key`` (what ``kind`` names), then " / qualifier" when
    # another item of the field has the same base key, then " #position" from the second
    # item with the same key on. Hand-made items may leave these at their defaults.
    kind: str = "text"  # link (a link target) | flag (a flag's side) | text (text w/o numbers)
    base_key: str = ""  # "": the same as key
    qualifier: str = ""  # the item's text key, telling it apart from same-base items
    position: int = 1
    flag: str | None = None  # the side its flag shows ({{flagicon|Iran}} → Iran), if any
    side: str | None = None  # its flag's side, else its top heading's label, if any
    heading: bool = False  # a label over the lines below ("Great Britain:", "; Army")

    @property
    def identity(self) -> str:
        """The key without its position: what stays the same when an item moves."""
        base = self.base_key or self.key
        return f"{base} / {self.qualifier}" if self.qualifier else base


@dataclass(frozen=True)
class FieldFacts:
    name: str  # infobox parameter, e.g. 'casualties2'
    value: str  # display text of the whole field
    items: tuple[Item, ...] = ()

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(figure for item in self.items for figure in item.figures)


@dataclass(frozen=True)
class Facts:
    infobox: str | None  # template name, e.g. 'Infobox military conflict'; None: no infobox
    fields: dict[str, FieldFacts] = field(default_factory=dict)  # non-empty fields only

    def to_json(self) -> dict[str, Any]:
        """The `wikimon show --json` form of the fields."""
        return {
            name: {
                "value": f.value,
                "items": [item.text for item in f.items],
                "figures": [
                    {
                        key: getattr(figure, key)
                        for key in (
                            "item",
                            "side",
                            "category",
                            "number",
                            "low",
                            "high",
                            "approximate",
                            "plus",
                            "group",
                        )  # fmt: skip
                    }
                    for figure in f.figures
                ],
            }
            for name, f in self.fields.items()
        }


@dataclass(frozen=True)
class Change:
    """One semantic change of one field between two revisions."""

    field: str
    kind: str  # one of CHANGE_KINDS
    old: str | None = None  # display text before (whole field, or the item)
    new: str | None = None
    item: str | None = None  # the item's display text (item_* and figure_changed)
    category: str | None = None  # figure_changed
    side: str | None = None
    old_number: int | None = None  # figure_changed: the figure's value (a range's low end)
    new_number: int | None = None
    # figure_changed: both ends of each side (equal for a single number), so that a range
    # edit reads "60–70 → 60–80"
    old_low: int | None = None
    old_high: int | None = None
    new_low: int | None = None
    new_high: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
