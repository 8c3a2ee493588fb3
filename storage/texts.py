"""How revision texts are stored: references, deltas and keyframes (see :mod:`.codec`).

Each revision with text is stored in one of three ways:

* **identical** to an earlier revision of the page (the same SHA-1 and the same bytes: a
  revert, a null edit): ``same_as`` names it and ``content`` is empty;
* a **delta**: zstd with an earlier revision's text as the dictionary (``delta_base``), the
  smallest of a few tries among the page's last :data:`RECENT` distinct texts;
* a **keyframe**, compressed alone (``delta_base`` NULL), when every candidate base is at the
  end of a chain of :data:`~.codec.MAX_CHAIN` deltas.

So blank-and-restore vandalism costs a reference (the restore) and a tiny delta (the
blanking), and a revision that undoes part of a vandal's edits is a delta against the text
before them, not against the vandalised one. ``chain_depth`` is how many deltas must be
decoded to read a revision (a reference costs what its target costs).

Rows written before references existed (each a delta against the revision stored just
before it) are read by the same code: ``delta_base`` names the base either way.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import codec
from .errors import StoreError
from .models import Page, Revision, sha1_from_column, sha1_hex, sha1_to_column

if TYPE_CHECKING:
    from .store import Store

RECENT = 32  # distinct texts a delta may be based on: the page's last ones
SEARCH_ABOVE = 256  # bytes: a delta against the newest text this large may have a better base
SEARCH_TRIES = 3  # other bases tried then, those closest in size first

REVISION_FIELDS = (
    "revid", "parent_revid", "timestamp", "user", "user_id", "anon", "comment", "minor",
    "size", "sha1", "texthidden", "userhidden", "commenthidden", "suppressed",
)  # fmt: skip
REVISION_FLAGS = ("anon", "minor", "texthidden", "userhidden", "commenthidden", "suppressed")


class TextCache:
    """Decoded texts by key, least recently used dropped first, within a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._texts: OrderedDict[Any, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, key: Any) -> bytes | None:
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
        return text

    def put(self, key: Any, text: bytes) -> None:
        old = self._texts.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._texts[key] = text
        self._bytes += len(text)
        while self._bytes > self.max_bytes and len(self._texts) > 1:
            _, dropped = self._texts.popitem(last=False)
            self._bytes -= len(dropped)

    def clear(self) -> None:
        self._texts.clear()
        self._bytes = 0


@dataclass(frozen=True)
class _Base:
    """A stored text that later revisions may be based on."""

    revid: int  # a revision that holds it as a keyframe or a delta (never a reference)
    data: bytes
    depth: int


class RevisionWriter:
    """Appends revisions of one page in batches; each batch is one transaction.

    Revisions already stored are skipped, so a re-run of an interrupted import or
    backfill adds exactly what is missing. Another process may write the same page
    meanwhile: the writer remembers the page's last texts and their SHA-1s only while no
    one else has written to the page (checked inside each transaction), and forgets them
    when a batch fails; what it remembers is only ever a choice of base, so the rows it
    writes decode whatever happened in between.
    """

    def __init__(self, store: Store, page: Page):
        self.store = store
        self.page = page
        self._recent: list[_Base] = []  # oldest first
        self._loaded = 0  # how many of the page's newest texts were read from the database
        self._identical: dict[str, tuple[int, int]] | None = None  # sha1 -> (revid, depth)
        self._last_row: int | None = None  # the page's newest row when memory was in step

    def write(self, revisions: Iterable[Revision], sync: dict[str, Any] | None = None) -> int:
        """Store the new ones among ``revisions`` and update sync state, atomically.

        Returns how many were added.
        """
        revisions = list(revisions)
        conn = self.store.conn
        added = 0
        try:
            with self.store.transaction():
                known = self._stored_revids([rev.revid for rev in revisions])
                if self._newest_row() != self._last_row:
                    self._forget()  # another process wrote to the page: re-read lazily
                for rev in revisions:
                    if rev.revid in known:
                        continue
                    known.add(rev.revid)
                    # one at a time: a later revision of the batch may be identical to it
                    row = self._row(rev)
                    conn.execute(
                        f"INSERT INTO revisions ({', '.join(f'[{c}]' for c in row)}) "
                        f"VALUES ({', '.join('?' for _ in row)})",
                        list(row.values()),
                    )
                    added += 1
                if sync:
                    self.store._update_sync_state(self.page, sync)
                self._last_row = self._newest_row()
        except BaseException:
            self._forget()  # it may remember rows that were rolled back
            raise
        return added

    # -- what the writer remembers ----------------------------------------------------------

    def _forget(self) -> None:
        self._recent, self._loaded, self._identical, self._last_row = [], 0, None, None

    def _newest_row(self) -> int | None:
        row = self.store.conn.execute(
            "SELECT id FROM revisions WHERE page = ? ORDER BY id DESC LIMIT 1", [self.page.id]
        ).fetchone()
        return None if row is None else int(row[0])

    def _stored_revids(self, revids: list[int]) -> set[int]:
        known: set[int] = set()
        for start in range(0, len(revids), 500):
            chunk = revids[start : start + 500]
            known.update(
                row[0]
                for row in self.store.conn.execute(
                    f"SELECT revid FROM revisions WHERE page = ? "
                    f"AND revid IN ({', '.join('?' * len(chunk))})",
                    [self.page.id, *chunk],
                )
            )
        return known

    def _identical_texts(self) -> dict[str, tuple[int, int]]:
        """SHA-1 of every stored text of the page -> (revision holding it, its depth): of
        several, the quickest to read. Rows whose text does not match their declared SHA-1
        are left out."""
        if self._identical is None:
            self._identical = {}
            for sha1, revid, same_as, depth in self.store.conn.execute(
                "SELECT sha1, revid, same_as, chain_depth FROM revisions WHERE page = ? "
                "AND content IS NOT NULL AND sha1 IS NOT NULL AND NOT sha1_mismatch",
                [self.page.id],
            ):
                key = sha1_from_column(sha1)
                assert key is not None  # selected: sha1 IS NOT NULL
                known = self._identical.get(key)
                if known is None or depth < known[1]:
                    self._identical[key] = (same_as or revid, depth)
        return self._identical

    def _bases(self, count: int) -> list[_Base]:
        """The page's ``count`` newest distinct texts (at most RECENT), oldest first."""
        if self._loaded < count and self._loaded < RECENT:
            self._loaded = count = min(max(count, self._loaded), RECENT)
            rows = self.store.conn.execute(
                "SELECT revid, same_as, chain_depth FROM revisions "
                "WHERE page = ? AND content IS NOT NULL ORDER BY id DESC LIMIT ?",
                [self.page.id, count],
            ).fetchall()
            held = {base.revid for base in self._recent}
            older = []
            for revid, same_as, depth in rows:
                holder = same_as or revid
                if holder in held:
                    continue
                held.add(holder)
                data = self.store.text(self.page, holder)
                assert data is not None  # rows with content decode to bytes
                older.append(_Base(holder, data, depth))
            self._recent[:0] = reversed(older)
            del self._recent[: max(0, len(self._recent) - RECENT)]
        return self._recent

    def _remember(self, base: _Base) -> None:
        self._recent = [b for b in self._recent if b.revid != base.revid] + [base]
        del self._recent[: max(0, len(self._recent) - RECENT)]

    # -- encoding ---------------------------------------------------------------------------

    def _row(self, rev: Revision) -> dict[str, Any]:
        """The database row for ``rev``."""
        row = {name: getattr(rev, name) for name in REVISION_FIELDS}
        for name in REVISION_FLAGS:
            row[name] = int(bool(row[name]))
        row["page"] = self.page.id
        row["content"] = row["delta_base"] = row["same_as"] = None
        row["chain_depth"] = row["sha1_mismatch"] = 0
        row["sha1"] = sha1_to_column(rev.sha1)
        if rev.text is None:
            return row
        data = rev.text.encode("utf-8")
        actual_sha1 = sha1_hex(data)
        if rev.sha1 is None:
            row["sha1"] = sha1_to_column(actual_sha1)
        row["sha1_mismatch"] = int(rev.sha1 not in (None, actual_sha1))
        if row["size"] is None:
            row["size"] = len(data)
        identical = self._identical_texts()
        same = identical.get(actual_sha1)
        if same is not None and self._text_of(same[0]) == data:
            row["content"], row["same_as"], row["chain_depth"] = b"", same[0], same[1]
            self._remember(_Base(same[0], data, same[1]))
            return row
        base, row["content"] = self._encode(data)
        # Never store what cannot be read back: the round trip is the promise.
        if codec.decompress(row["content"], base.data if base else None) != data:
            raise StoreError(f"revision {rev.revid}: compression did not round-trip")
        row["delta_base"] = base.revid if base else None
        row["chain_depth"] = base.depth + 1 if base else 0
        if not row["sha1_mismatch"]:
            identical[actual_sha1] = (rev.revid, row["chain_depth"])
        self._remember(_Base(rev.revid, data, row["chain_depth"]))
        return row

    def _text_of(self, revid: int) -> bytes | None:
        for base in self._recent:
            if base.revid == revid:
                return base.data
        return self.store.text(self.page, revid)

    def _encode(self, data: bytes) -> tuple[_Base | None, bytes]:
        """(base, delta) with the smallest delta found, or (None, keyframe)."""
        bases = self._bases(1)
        if not bases or bases[-1].depth + 1 >= codec.MAX_CHAIN:
            return None, codec.compress(data)  # the chain is as long as it may grow
        best = bases[-1]
        ends = codec.common_ends(data, best.data)
        if _middle(data, ends) > SEARCH_ABOVE:
            # Far from the newest text (vandalism undone in part, a section restored): the
            # text among the last few, closest in size, that leaves the least in between.
            others = [
                b
                for b in self._bases(RECENT)
                if b.depth + 1 < codec.MAX_CHAIN and b.revid != best.revid
            ]
            others.sort(key=lambda b: abs(len(b.data) - len(data)))
            for base in others[:SEARCH_TRIES]:
                found = codec.common_ends(data, base.data)
                if _middle(data, found) < _middle(data, ends):
                    best, ends = base, found
        return best, codec.compress(data, best.data, ends)


def _middle(data: bytes, ends: tuple[int, int]) -> int:
    """How much of ``data`` a delta with these common ends must spell out."""
    return len(data) - sum(ends)
