"""Facts as flat rows, for tables (exports, the ``facts_now`` view): one row per value.

A field without items gives one row; otherwise each item gives one row, or one row per
figure when it has figures (the field's display value is repeated on each). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .facts import Facts, Figure

_FIGURE_COLUMNS = tuple(f.name for f in fields(Figure) if f.name != "item")


@dataclass(frozen=True)
class FactRow:
    field: str  # the infobox parameter
    value: str  # the field's display value
    position: int | None = None  # the item's place in the field, from 1 (None: no items)
    item: str | None = None  # the item's display text
    side: str | None = None  # the figure's side, group, category, number…, when it has one
    group: str | None = None  # the sub-heading(s) under its side: 'Army'
    category: str | None = None
    number: int | None = None
    low: int | None = None
    high: int | None = None
    approximate: bool | None = None
    plus: bool | None = None


def fact_rows(facts: Facts) -> list[FactRow]:
    """The facts as flat rows, fields in infobox order (see the module documentation)."""
    rows = []
    for name, field in facts.fields.items():
        if not field.items:
            rows.append(FactRow(name, field.value))
        for position, item in enumerate(field.items, 1):
            if not item.figures:
                rows.append(FactRow(name, field.value, position, item.text))
            for figure in item.figures:
                figure_values = {column: getattr(figure, column) for column in _FIGURE_COLUMNS}
                rows.append(FactRow(name, field.value, position, item.text, **figure_values))
    return rows
