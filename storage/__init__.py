"""wikimon's SQLite store."""

from .models import (
    TIME_FORMAT,
    Page,
    Revision,
    format_time,
    parse_time,
    sha1_base36_to_hex,
    sha1_hex,
)
from .store import RevisionWriter, Store, StoreError, utcnow

__all__ = [
    "TIME_FORMAT",
    "Page",
    "Revision",
    "RevisionWriter",
    "Store",
    "StoreError",
    "format_time",
    "parse_time",
    "sha1_base36_to_hex",
    "sha1_hex",
    "utcnow",
]
