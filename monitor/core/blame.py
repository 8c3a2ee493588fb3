"""Blame: the revision that put each fact of an infobox there.

Fed a page's revisions one by one (:meth:`Blame.add`), a :class:`Blame` keeps a
*lineage* for every fact a reader sees: each field's value, each item of a field, each
figure of an item. A lineage is the list of states the fact went through, each with the
revision that made it, so:

* the revision that introduced a value, an item or a figure as it stands now is its
  lineage's last version (the report's "since … by …");
* the edits that took a fact from one state to another are the versions in between (a
  digest credits all of them for a net change made over several edits).

Items are followed from one revision to the next as the semantic diff pairs them
(:func:`~monitor.core.diff.match_items`), figures as it pairs figures
(:func:`~monitor.core.diff.pair_figures`); what the diff calls cosmetic makes no new
version, so the same rules decide what changed and who changed it.

The caller chooses the revisions: the report feeds every revision that no identity revert
undid (vandalism reverted since credits nobody, and the revert that restored a value does
not take it over); a digest feeds the revisions of its window after the infobox as it
stood when the window opened (the *baseline*, whose facts have origin None: they were
there before). Pure: no I/R; an origin is whatever the caller uses for a revision.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Generic, TypeVar

from .diff import diff_field, diff_item, match_items, pair_figures
from .facts import Change, Facts, FieldFacts, Figure, Item

__all__ = ["Blame", "Lineage", "Version"]

R = TypeVar("R")  # an origin: the caller's handle on a revision

# Net changes that turn a fact from one state into another: every edit on the way made
# them. The others (a fact appearing or vanishing) are made by the edit that did it.
TRANSFORMS = frozenset({"value_changed", "item_changed", "figure_changed"})


@dataclass(frozen=True)
class Version(Generic[R]):
    origin: R | None  # the revision that made this state; None: the baseline's
    text: str | None  # the value's or item's display text (a figure: its item's); None: gone
    number: int | None = None  # figures: the number


@dataclass(eq=False)
class Lineage(Generic[R]):
    """One fact through time: a field's value (``kind`` "value"), an item or a figure."""

    field: str
    kind: str  # value | item | figure
    versions: list[Version[R]]
    category: str | None = None  # figures: killed, wounded…
    side: str | None = None
    parent: Lineage[R] | None = None  # figures: the item they belong to

    @property
    def current(self) -> Version[R]:
        return self.versions[-1]

    @property
    def present(self) -> bool:
        return self.versions[-1].text is not None

    @property
    def introduced_by(self) -> R | None:
        """The revision that made the fact what it is now (None: the baseline)."""
        return self.versions[-1].origin

    def last_seen(self) -> Version[R] | None:
        """Its last state before it went away (or now)."""
        return next((v for v in reversed(self.versions) if v.text is not None), None)

    def origins(self) -> list[R]:
        """Every revision that made one of its states, oldest first, each once."""
        found: list[R] = []
        for version in self.versions:
            if version.origin is not None and not any(o is version.origin for o in found):
                found.append(version.origin)
        return found

    def _set(self, origin: R | None, text: str | None, number: int | None = None) -> None:
        self.versions.append(Version(origin, text, number))


@dataclass
class _ItemState(Generic[R]):
    item: Item
    lineage: Lineage[R]
    figures: list[tuple[Figure, Lineage[R]]]


@dataclass
class _FieldState(Generic[R]):
    facts: FieldFacts
    items: list[_ItemState[R]]  # aligned with facts.items


class Blame(Generic[R]):
    """The lineages of a page's facts, from ``baseline`` (what stood before the first
    revision fed; None: nothing, the page is new) on."""

    def __init__(self, baseline: Facts | None = None) -> None:
        self._values: dict[str, Lineage[R]] = {}  # field -> its value's lineage
        self._fields: dict[str, _FieldState[R]] = {}  # the fields present now
        self._parts: dict[str, list[Lineage[R]]] = defaultdict(list)  # items and figures
        if baseline is not None:
            self.add(None, baseline)

    # -- feeding -------------------------------------------------------------------------

    def add(self, origin: R | None, facts: Facts) -> None:
        """The next revision that counts, and the facts it shows."""
        names = [*facts.fields, *(n for n in self._fields if n not in facts.fields)]
        for name in names:
            new = facts.fields.get(name)
            if new is not None and not (new.value.strip() or new.items):
                new = None  # an empty field is no field (as the diff has it)
            state = self._fields.get(name)
            if state is None:
                if new is not None:
                    self._appear(origin, new)
            elif new is None:
                self._vanish(origin, state)
            elif new is not state.facts and new != state.facts:
                self._change(origin, state, new)

    def _appear(self, origin: R | None, new: FieldFacts) -> None:
        value = self._values.setdefault(new.name, Lineage(new.name, "value", []))
        value._set(origin, new.value)
        self._fields[new.name] = _FieldState(
            new, [self._new_item(origin, new.name, item) for item in new.items]
        )

    def _vanish(self, origin: R | None, state: _FieldState[R]) -> None:
        name = state.facts.name
        self._values[name]._set(origin, None)
        for item in state.items:
            self._end_item(origin, item)
        del self._fields[name]

    def _change(self, origin: R | None, state: _FieldState[R], new: FieldFacts) -> None:
        old = state.facts
        records = diff_field(old, new)
        if records:
            self._values[new.name]._set(origin, new.value)
        by_item = {id(s.item): s for s in state.items}
        scalar = len(old.items) <= 1 and len(new.items) <= 1
        if scalar or (not records and len(old.items) == len(new.items)):
            # one value (or a cosmetic edit): the items stay the same facts, in order
            pairs = list(zip(old.items, new.items, strict=False))
            removed, added = list(old.items[len(pairs) :]), list(new.items[len(pairs) :])
        else:
            pairs, removed, added = match_items(old.items, new.items)
        paired = {id(after): by_item[id(before)] for before, after in pairs}
        items: list[_ItemState[R]] = []
        for after in new.items:
            before = paired.get(id(after))
            if before is None:
                continue  # added: below, in its place
            changed = bool(records) and (scalar or bool(diff_item(new.name, before.item, after)))
            items.append(self._change_item(origin, before, after, changed))
        for item in removed:
            self._end_item(origin, by_item[id(item)])
        new_items = {id(item): self._new_item(origin, new.name, item) for item in added}
        kept = {id(s.item): s for s in items}
        state.items = [kept.get(id(item)) or new_items[id(item)] for item in new.items]
        state.facts = new

    def _new_item(self, origin: R | None, name: str, item: Item) -> _ItemState[R]:
        lineage: Lineage[R] = Lineage(name, "item", [Version(origin, item.text)])
        self._parts[name].append(lineage)
        return _ItemState(
            item, lineage, [(f, self._new_figure(origin, lineage, item, f)) for f in item.figures]
        )

    def _new_figure(
        self, origin: R | None, parent: Lineage[R], item: Item, figure: Figure
    ) -> Lineage[R]:
        lineage: Lineage[R] = Lineage(
            parent.field, "figure", [Version(origin, item.text, figure.number)],
            category=figure.category, side=figure.side, parent=parent,
        )  # fmt: skip
        self._parts[parent.field].append(lineage)
        return lineage

    def _end_item(self, origin: R | None, state: _ItemState[R]) -> None:
        state.lineage._set(origin, None)
        for _, figure in state.figures:
            figure._set(origin, None)

    def _change_item(
        self, origin: R | None, state: _ItemState[R], after: Item, changed: bool
    ) -> _ItemState[R]:
        """The item's next state (``changed``: the diff says the edit changed it)."""
        if changed:
            state.lineage._set(origin, after.text)
        lineages = {id(f): lineage for f, lineage in state.figures}
        figures: list[tuple[Figure, Lineage[R]]] = []
        for a, b in pair_figures(state.item.figures, after.figures):
            if a is None:
                assert b is not None
                figures.append((b, self._new_figure(origin, state.lineage, after, b)))
            elif b is None:
                lineages[id(a)]._set(origin, None)
            else:
                lineage = lineages[id(a)]
                if changed and a.number != b.number:
                    lineage._set(origin, after.text, b.number)
                figures.append((b, lineage))
        order = {id(f): i for i, f in enumerate(after.figures)}
        figures.sort(key=lambda pair: order[id(pair[0])])
        return _ItemState(after, state.lineage, figures)

    # -- reading ---------------------------------------------------------------------------

    def value(self, name: str) -> Lineage[R] | None:
        """The lineage of the field's value (present now or not)."""
        return self._values.get(name)

    def items(self, name: str) -> list[Lineage[R]]:
        """The lineages of the field's items now, in the field's order."""
        state = self._fields.get(name)
        return [s.lineage for s in state.items] if state else []

    def parts(self, name: str) -> list[Lineage[R]]:
        """Every item and figure lineage the field ever had, in order of appearance."""
        return list(self._parts.get(name, ()))

    def find(self, change: Change) -> Lineage[R] | None:
        """The lineage of the fact a net change (from the baseline to now) is about: the
        item, the figure, else the field's value."""
        name, kind = change.field, change.kind
        parts = self._parts.get(name, [])
        found: Lineage[R] | None = None
        if kind in ("item_added", "item_changed"):
            text = change.item or change.new
            found = _best([p for p in parts if p.kind == "item" and p.present], text, None)
        elif kind == "item_removed":
            text = change.item or change.old
            gone = [p for p in parts if p.kind == "item" and not p.present]
            found = _best(gone, text, None, latest=True)
        elif kind == "figure_changed":
            figures = [p for p in parts if p.kind == "figure" and p.category == change.category]
            if change.new_number is not None:
                now = [p for p in figures if p.present and p.current.number == change.new_number]
                found = _best(now, change.item, change.side)
            else:
                gone = [
                    p for p in figures
                    if (not p.present or p.current.number is None)
                    and _last_number(p) == change.old_number
                ]  # fmt: skip
                found = _best(gone, change.item, change.side, latest=True)
        return found or self._values.get(name)

    def credit(self, change: Change) -> list[R]:
        """The revisions a net change is credited to, oldest first: for a fact turned from
        one state into another, every edit that changed it since the baseline; for a fact
        that appeared or went away, the edit that put it there or took it away."""
        lineage = self.find(change)
        if lineage is None:
            return []
        if change.kind in TRANSFORMS:
            return lineage.origins()
        origin = lineage.introduced_by
        return [] if origin is None else [origin]


def _last_number(lineage: Lineage[R]) -> int | None:
    return next((v.number for v in reversed(lineage.versions) if v.number is not None), None)


def _best(
    candidates: list[Lineage[R]], text: str | None, side: str | None, *, latest: bool = False
) -> Lineage[R] | None:
    """The candidate whose item text (then side) is the change's; the first (``latest``:
    the last) of equals."""

    def text_of(lineage: Lineage[R]) -> str | None:
        owner = lineage.parent or lineage
        seen = owner.current if owner.present else owner.last_seen()
        return seen.text if seen else None

    def score(lineage: Lineage[R]) -> tuple[bool, bool]:
        return (text is not None and text_of(lineage) == text,
                side is not None and lineage.side == side)  # fmt: skip

    return max(candidates[::-1] if latest else candidates, key=score, default=None)
