"""The figures of an item: which numbers of its display text are counts, of what.

Pure functions, no I/O. A number is a figure when a category word (killed, wounded,
captured, missing, arrested, displaced, deserted, destroyed, casualties) is in its clause;
in ``strength`` fields any number is one (category ``strength``), and in ``casualties``
fields a bare number in an item without other figures (category ``casualties``). Years,
dates, percentages, ordinals and measurements are not figures. How numbers are written
and which words qualify them is :mod:`monitor.numbers`, shared with the diff; a figure is
a whole number up to :data:`monitor.numbers.MAX_FIGURE`. See :func:`find_figures`.
"""

from __future__ import annotations

import re

from .numbers import (
    APPROXIMATE_BEFORE,
    CATEGORY,
    PLUS_BEFORE,
    QUANTITY,
    category_name,
    count,
)

__all__ = ["MOST_NUMBERS", "FigureFacts", "find_figures"]

_MONTHS_RE = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTH_AFTER = re.compile(rf"\s*(?:{_MONTHS_RE})\b", re.IGNORECASE)
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTHS_RE})\.?\s*$", re.IGNORECASE)
# An item with more numbers than this is text, not figures (a real casualty line has a
# handful; a vandal's "1 1 1 …" thousands, each costing a look around it).
MOST_NUMBERS = 200
_MONTH_REACH = 24  # "September." and the spaces after it
_UNIT_AFTER = re.compile(
    r"\s*(?:km|kilomet(?:re|er)s?|mi|miles?|m|met(?:re|er)s?|ft|feet|foot|sq|square|ha|"
    r"hectares?|acres?|kg|tonnes?|tons?|years?|yrs?|months?|weeks?|days?|hours?|minutes?|"
    r"percent|per\s*cent|%|°|mm|cm|inches|nmi|knots?|mph|km/h|am|pm|a\.m\.|p\.m\.|"
    r"bc|bce|ad|ce|st|nd|rd|th)\b",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[,;()\[\]\n]|\.\s|\s[–—]\s")


def _small(digits: str) -> bool:
    """A plain number up to 31 (a day of the month)."""
    return digits.isascii() and digits.isdigit() and len(digits) <= 2 and int(digits) <= 31


def _is_year(digits: str, multiplier: str | None) -> bool:
    return (
        multiplier is None
        and digits.isascii()
        and digits.isdigit()
        and len(digits) == 4
        and 1000 <= int(digits) <= 2100
    )


FigureFacts = tuple[str, int, int, bool, bool]  # category, low, high, approximate, plus


def find_figures(text: str, field: str = "") -> list[FigureFacts]:
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
    found: list[FigureFacts] = []
    bare: list[FigureFacts] = []
    consumed = 0  # text before this belongs to earlier figures
    matches = list(QUANTITY.finditer(text))
    if len(matches) > MOST_NUMBERS:
        return []  # no count a reader could follow: the item is read as text only
    for index, match in enumerate(matches):
        after = match.group("after")
        a, amul, b, bmul = match.group("a", "amul", "b", "bmul")
        if after:  # "5th", "10km", "75%", "1990s"
            continue
        if _UNIT_AFTER.match(text, match.end()):
            continue
        if (
            not amul
            and not b
            and _small(a)
            and (
                _MONTH_AFTER.match(text, match.end())
                # a month name just before: only the few characters before it are searched
                or _MONTH_BEFORE.search(text, max(0, match.start() - _MONTH_REACH), match.start())
            )
        ):
            continue  # a day of a date
        if b and not bmul and _small(b) and _MONTH_AFTER.match(text, match.end()):
            continue  # "27–30 November"
        low = count(a, amul or bmul)
        high = count(b, bmul) if b else low
        if low is None or high is None:
            continue
        # Its clause: forward to a boundary or the next number, backward likewise.
        next_start = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        forward = text[match.end() : next_start]
        if (stop := _BOUNDARY.search(forward)) is not None:
            forward = forward[: stop.start()]
        back_from = consumed
        if index and matches[index - 1].end() > back_from:
            back_from = matches[index - 1].end()
        backward = text[back_from : match.start()]
        if stops := list(_BOUNDARY.finditer(backward)):
            backward = backward[stops[-1].end() :]
        category: str | None
        if (word := CATEGORY.search(forward)) is not None:
            category = category_name(word)
            consumed = match.end() + word.end()
            category_right_after = not forward[: word.start()].strip()
        else:
            category = _backward_category(backward)
            category_right_after = False
            consumed = max(consumed, match.end())
        year_like = _is_year(a, amul) and (not b or _is_year(b, bmul))
        if year_like and not category_right_after:
            continue
        window = text[max(0, match.start() - 30) : match.start()]
        approximate = bool(APPROXIMATE_BEFORE.search(window))
        plus = bool(match.group("plus")) or bool(PLUS_BEFORE.search(window))
        entry = (min(low, high), max(low, high), approximate, plus)
        if category is not None:
            found.append((category, *entry))
        elif strength:
            found.append(("strength", *entry))
        elif casualties:
            bare.append(("casualties", *entry))
    return found if found or not casualties else bare


def _backward_category(backward: str) -> str | None:
    last = None
    for word in CATEGORY.finditer(backward):
        last = word
    return category_name(last) if last is not None else None
