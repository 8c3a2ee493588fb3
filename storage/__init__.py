"""wikimon's SQLite store."""

from .models import Page, Revision, sha1_base36_to_hex, sha1_hex
from .store import RevisionWriter, Store, StoreError, utcnow

__all__ = [
    "Page",
    "Revision",
    "RevisionWriter",
    "Store",
    "StoreError",
    "sha1_base36_to_hex",
    "sha1_hex",
    "utcnow",
]
