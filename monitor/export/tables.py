"""The change log and the facts as tables: their columns, and writers for CSV, JSON Lines
and Parquet that stream (a row group at a time), shared by ``wikimon export`` and
``wikimon cube``.

The columns are not a list kept by hand: a change record has its page's columns (wiki,
page_id, title) and every field of :class:`storage.ChangeRow` (a revert flattened to
``revert_to``: the revision whose text it restored), so fields the change log gains
appear in the exports by themselves; a fact row has its revision's columns and every
field of :class:`monitor.core.rows.FactRow`.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from storage import ChangeRow

from ..core.rows import FactRow, fact_rows
from ..database import FactsAt, PageChange
from ..errors import WikimonError

FORMATS = ("parquet", "csv", "jsonl")
PARQUET_HINT = "pip install 'wikimon[parquet]'"
ROW_GROUP = 20_000  # rows held before a Parquet row group is written

Record = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str
    kind: type  # int, str or bool; every column may be null


_KINDS = (bool, int, str)


def _kind(hint: object, where: str) -> type:
    """int for ``int | None`` and so on."""
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    kinds = [arg for arg in args if arg is not type(None)]
    if len(kinds) == 1 and kinds[0] in _KINDS:
        return typing.cast(type, kinds[0])
    raise TypeError(f"{where}: no table column type for {hint!r}")


def _columns_of(cls: type, skip: Iterable[str] = ()) -> list[Column]:
    hints = typing.get_type_hints(cls)
    return [
        Column(f.name, _kind(hints[f.name], f"{cls.__name__}.{f.name}"))
        for f in fields(cls)
        if f.name not in skip
    ]


PAGE_COLUMNS = [Column("wiki", str), Column("page_id", int), Column("title", str)]
_CHANGE_FIELDS = {c.name: c for c in _columns_of(ChangeRow, skip=("revert",))}
CHANGE_COLUMNS = PAGE_COLUMNS + [
    Column("revert_to", int) if f.name == "revert" else _CHANGE_FIELDS[f.name]
    for f in fields(ChangeRow)
]
FACT_COLUMNS = PAGE_COLUMNS + [
    Column("revid", int),
    Column("timestamp", str),
    Column("infobox", str),
    *_columns_of(FactRow),
]


def change_record(change: PageChange) -> Record:
    """One change record as a table row (the columns of :data:`CHANGE_COLUMNS`)."""
    record: Record = {c.name: getattr(change, c.name) for c in PAGE_COLUMNS}
    for f in fields(ChangeRow):
        if f.name == "revert":
            record["revert_to"] = change.revert.reverted_to if change.revert else None
        else:
            record[f.name] = getattr(change, f.name)
    return record


def fact_records(snapshot: FactsAt) -> Iterator[Record]:
    """A revision's facts as table rows (the columns of :data:`FACT_COLUMNS`)."""
    page, revision, facts = snapshot.page, snapshot.revision, snapshot.facts
    head = {
        "wiki": page.wiki,
        "page_id": page.page_id,
        "title": page.title,
        "revid": revision.revid,
        "timestamp": revision.timestamp,
        "infobox": facts.infobox,
    }
    for row in fact_rows(facts):
        yield {**head, **{f.name: getattr(row, f.name) for f in fields(row)}}


# -- writers ------------------------------------------------------------------------------------


def format_for(path: str, given: str | None) -> str:
    """The format asked for, else the one the file name says (.parquet, .csv, .jsonl)."""
    if given is not None:
        return given
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("ndjson", "json"):
        suffix = "jsonl"
    if suffix in FORMATS:
        return suffix
    raise WikimonError(
        f"--out {path}: say which format with --format parquet|csv|jsonl (or name the file "
        ".parquet, .csv or .jsonl)"
    )


class TableWriter:
    """Rows to a file, written to ``partial`` (default ``NAME.partial``) and renamed when
    closed without error, so that an interrupted export never leaves a file that looks
    complete. ``-`` is standard output (CSV and JSON Lines)."""

    def __init__(self, path: str, fmt: str, columns: list[Column], partial: str | None = None):
        self.path, self.format, self.columns = path, fmt, columns
        self.rows = 0
        self._buffer: list[Record] = []
        self._stdout = path == "-"
        if self._stdout and fmt == "parquet":
            raise WikimonError("--out -: Parquet cannot go to standard output; name a file")
        self._partial = path if self._stdout else partial or f"{path}.partial"
        self._file: IO[str] | None = None
        self._parquet: Any = None
        if fmt == "parquet":
            pa, pq = _pyarrow()
            self._schema = parquet_schema(columns)
            self._parquet = pq.ParquetWriter(self._partial, self._schema, compression="zstd")
            self._pa = pa
            return
        if self._stdout:
            self._file = sys.stdout
        else:
            self._file = open(self._partial, "w", encoding="utf-8", newline="")  # noqa: SIM115
        if fmt == "csv":
            self._csv = csv.writer(self._file)
            self._csv.writerow([c.name for c in columns])

    def write(self, record: Record) -> None:
        self.rows += 1
        if self.format == "parquet":
            self._buffer.append(record)
            if len(self._buffer) >= ROW_GROUP:
                self._flush()
        elif self.format == "csv":
            self._csv.writerow([_csv_cell(record[c.name]) for c in self.columns])
        else:
            assert self._file is not None
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _flush(self) -> None:
        if self._buffer:
            table = self._pa.Table.from_pylist(self._buffer, schema=self._schema)
            self._parquet.write_table(table)
            self._buffer = []

    def close(self, *, keep: bool = True) -> None:
        """Finish the file; ``keep=False`` (an error) removes the partial file instead."""
        if self._parquet is not None:
            if keep:
                self._flush()
            self._parquet.close()
        elif self._file is not None and not self._stdout:
            self._file.close()
        else:
            sys.stdout.flush()
        if self._stdout:
            return
        if keep:
            os.replace(self._partial, self.path)
        else:
            Path(self._partial).unlink(missing_ok=True)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.close(keep=error is None)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise WikimonError(f"Parquet needs pyarrow: {PARQUET_HINT}") from None
    return pyarrow, pyarrow.parquet


def parquet_schema(columns: list[Column]) -> Any:
    pa, _ = _pyarrow()
    types_ = {int: pa.int64(), str: pa.string(), bool: pa.bool_()}
    return pa.schema([pa.field(c.name, types_[c.kind]) for c in columns])
