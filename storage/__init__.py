"""wikimon's SQLite store."""

from .models import Page, Revision, sha1_base36_to_hex, sha1_hex
from .store import RevisionWriter, Store, utcnow

__all__ = [
    "Page",
    "Revision",
    "RevisionWriter",
    "Store",
    "sha1_base36_to_hex",
    "sha1_hex",
    "utcnow",
]
