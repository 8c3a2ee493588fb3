"""wikimon's SQLite store."""

from .models import TIME_FORMAT, Page, Revision, sha1_base36_to_hex, sha1_hex
from .store import RevisionWriter, Store, StoreError, utcnow

__all__ = [
    "TIME_FORMAT",
    "Page",
    "Revision",
    "RevisionWriter",
    "Store",
    "StoreError",
    "sha1_base36_to_hex",
    "sha1_hex",
    "utcnow",
]
